"""POST /api/watches, GET /api/watches/{id}, GET /api/watches/{id}/matches, DELETE /api/watches/{id}, and
GET /api/watches (every watch; operator only, with the reload token).

A watch id is an unguessable token and the only key to a watch: anyone holding it may read or delete it,
nobody can list them without the reload token. Creating is open to anyone who reaches the server, so the
store caps the number of watches and each client's creation rate (429 with Retry-After).
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response

from api.deps import BaseUrl, Engine, Holder, Watches, operator
from api.schemas import Format, WatchCreated, WatchDetail, WatchMatches, WatchOut, WatchRequest
from api.views import DOWNLOADS, LATEST, download, feed_items, match_out, watch_out
from search.follow import atom
from search.follow.catchup import create_watch
from search.follow.models import Watch, parse_request
from search.follow.store import WatchStore

router = APIRouter(prefix="/api", tags=["watches"])

WatchId = Annotated[str, Path(max_length=64, description="the id POST /api/watches returned")]


def _require(store: WatchStore, watch_id: str) -> Watch:
    w = store.get(watch_id)
    if w is None:
        raise HTTPException(status_code=404, detail="no such watch (deleted, or the id is mistyped)")
    return w


@router.post("/watches", status_code=201, response_model=WatchCreated,
             responses={422: {"description": "a bad field, named"}, 429: {"description": "too many watches"}})
def create(request: Request, response: Response, body: WatchRequest, e: Engine, h: Holder, store: Watches,
           base: BaseUrl) -> WatchCreated:
    """Follow a search, papers like some seed papers, or an author. The new feed starts with the matches among
    the papers featured in the 14 days up to the index's newest digest."""
    spec, name = parse_request(body.model_dump(exclude_unset=True))
    watch, matches = create_watch(h.source(e), store, spec, name, request.client.host if request.client else None)
    out = watch_out(watch, base)
    response.headers["Location"] = f"/api/watches/{watch.id}"
    return WatchCreated(**out.model_dump(), backfilled=len(matches))


@router.get("/watches", response_model=list[WatchOut], dependencies=[operator("listing watches")])
def list_watches(store: Watches, base: BaseUrl) -> list[WatchOut]:
    """Every watch, oldest first (needs X-Reload-Token: the ids are the keys to the feeds)."""
    return [watch_out(w, base) for w in store.watches()]


@router.get("/watches/{watch_id}", response_model=WatchDetail)
def get_watch(watch_id: WatchId, e: Engine, store: Watches, base: BaseUrl) -> WatchDetail:
    """The watch and its newest matches."""
    w = _require(store, watch_id)
    items = feed_items(e, store.matches(w.id))
    return WatchDetail(**watch_out(w, base).model_dump(), matches_total=len(items),
                       latest=[match_out(p, m, base) for p, m in items[:LATEST]])


@router.get("/watches/{watch_id}/matches", response_model=WatchMatches,
            responses=DOWNLOADS)
def matches(watch_id: WatchId, e: Engine, store: Watches, base: BaseUrl,
            fmt: Format = None):
    """Everything the Atom feed shows, as JSON (or BibTeX, CSV, JSON Lines), newest featured first."""
    w = _require(store, watch_id)
    found = store.matches(w.id)
    rows = [match_out(p, m, base) for p, m in feed_items(e, found)]
    if fmt is not None:
        return download(rows, fmt, "watch", w.name)
    return WatchMatches(watch=watch_out(w, base), updated=atom.last_modified(w, found), matches=rows)


@router.delete("/watches/{watch_id}", status_code=204, response_class=Response,
               responses={404: {"description": "no such watch"}})
def delete(watch_id: WatchId, store: Watches) -> Response:
    """Stop following: the watch and its matches are gone, its feed answers 404."""
    if not store.delete(watch_id):
        raise HTTPException(status_code=404, detail="no such watch (deleted, or the id is mistyped)")
    return Response(status_code=204)
