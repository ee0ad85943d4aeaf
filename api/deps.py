"""FastAPI dependencies: the served engine, the app settings, the watch store, the public base URL and the
reload-token check."""
from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, Response

from api.errors import IndexNotReady
from api.state import EngineHolder
from search.engine import SearchEngine
from search.follow.store import WatchStore


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
Engine = Annotated[SearchEngine, Depends(engine)]


def watch_store(h: Holder) -> WatchStore:
    return h.watches()


def base_url(request: Request, h: Holder) -> str:
    """The root absolute links start from: `public_base_url` when set (a reverse proxy changes the host the
    server sees), else what this request was addressed to (Host header, scheme, root path)."""
    return h.settings.public_base_url or str(request.base_url).rstrip("/")


def operator(what: str):
    """A dependency guarding an operator-only endpoint with the reload token: 404 unless the server has one, 403
    on a missing or wrong X-Reload-Token (compared in constant time). `what` names the endpoint in the errors."""

    def check(h: Holder, x_reload_token: Annotated[str | None, Header()] = None) -> None:
        token = h.settings.reload_token
        if not token:
            raise HTTPException(status_code=404, detail=f"{what} is off: start the server with PAPERSEARCH_RELOAD_TOKEN set")
        if not x_reload_token or not secrets.compare_digest(token.encode(), x_reload_token.encode("utf-8", "replace")):
            raise HTTPException(status_code=403,
                                detail=f"{what} needs the X-Reload-Token header set to the server's reload_token")

    return Depends(check)


Watches = Annotated[WatchStore, Depends(watch_store)]
BaseUrl = Annotated[str, Depends(base_url)]
