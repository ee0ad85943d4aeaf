"""Exceptions -> JSON errors. Clients never see a stack trace."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from search.limits import NotFoundError, QueryError, valid_text
from search.filters import FilterError

log = logging.getLogger("papersearch.api")


class IndexNotReady(RuntimeError):
    pass


# the engine's own exceptions carry a user-facing message; each maps to one status
STATUS: dict[type[Exception], int] = {NotFoundError: 404, QueryError: 400, FilterError: 422, IndexNotReady: 503}


def _plain(status: int):
    async def handler(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=status, content={"detail": valid_text(str(exc))})

    return handler


def install(app: FastAPI) -> None:
    for exc_type, status in STATUS.items():
        app.add_exception_handler(exc_type, _plain(status))

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
