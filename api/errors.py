"""Exceptions -> JSON errors. Clients never see a stack trace."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from search.engine import NotFoundError, QueryError
from search.filters import FilterError

log = logging.getLogger("papersearch.api")


class IndexNotReady(RuntimeError):
    pass


def install(app: FastAPI) -> None:
    @app.exception_handler(NotFoundError)
    async def not_found(_: Request, exc: NotFoundError):
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(QueryError)
    async def bad_query(_: Request, exc: QueryError):
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    @app.exception_handler(FilterError)
    async def bad_filter(_: Request, exc: FilterError):
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(IndexNotReady)
    async def not_ready(_: Request, exc: IndexNotReady):
        return JSONResponse(status_code=503, content={"detail": str(exc)})

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError):
        errors = [{"field": ".".join(str(p) for p in e.get("loc", [])[1:]) or "body", "message": e.get("msg", "")}
                  for e in exc.errors()]
        msg = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse(status_code=422, content={"detail": f"invalid parameters: {msg}", "errors": errors})

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception):
        log.exception("unhandled error")
        return JSONResponse(status_code=500, content={"detail": "internal error; see the server log"})
