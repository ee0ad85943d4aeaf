"""Exceptions -> JSON errors. Clients never see a stack trace."""
from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from search.filters import FilterError
from search.follow.authors import UnknownAuthor
from search.follow.limits import TooManyWatches
from search.follow.models import InvalidWatch
from search.limits import NotFoundError, QueryError, valid_text

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

    @app.exception_handler(InvalidWatch)
    async def invalid_watch(_: Request, exc: InvalidWatch):
        """Shaped like a validation error: the field a client should fix, and why."""
        message = valid_text(exc.message)
        return JSONResponse(status_code=422, content={"detail": f"invalid watch: {exc.field}: {message}",
                                                      "errors": [{"field": exc.field, "message": message}]})

    @app.exception_handler(TooManyWatches)
    async def too_many(_: Request, exc: TooManyWatches):
        headers = {"Retry-After": str(math.ceil(exc.retry_after))} if exc.retry_after is not None else None
        return JSONResponse(status_code=429, content={"detail": str(exc)}, headers=headers)

    @app.exception_handler(UnknownAuthor)
    async def unknown_author(_: Request, exc: UnknownAuthor):
        return JSONResponse(status_code=404, content={"detail": valid_text(str(exc)), "closest": exc.closest})

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
