"""FastAPI dependencies: the served engine and the app settings."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from api.errors import IndexNotReady
from api.state import EngineHolder
from search.engine import SearchEngine


def holder(request: Request) -> EngineHolder:
    return request.app.state.holder


def engine(request: Request, response: Response) -> SearchEngine:
    h: EngineHolder = request.app.state.holder
    e = h.engine  # one reference per request: a concurrent reload cannot pull it away
    if e is None:
        raise IndexNotReady(h.error or "the index is not loaded yet; build it with `papersearch index`")
    response.headers["X-Index-Generation"] = e.generation  # which generation answered (chaos bench)
    return e


# the holder as a route parameter: routers ask for it without knowing where it is kept
Holder = Annotated[EngineHolder, Depends(holder)]
