"""GET /feeds/{id}.atom: a watch's matches as an Atom 1.0 feed, with ETag and Last-Modified so that feed
readers polling it get 304 until something changes (the validators come from the stored matches: a 304 is
answered without rendering)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Response

from api.deps import BaseUrl, Engine, Watches
from api.views import feed_items
from search.follow import atom

router = APIRouter(tags=["feeds"])


@router.get(atom.FEED_PATH, response_class=Response,
            responses={200: {"content": {"application/atom+xml": {}}, "description": "the Atom feed"},
                       304: {"description": "unchanged since If-None-Match / If-Modified-Since"},
                       404: {"description": "no such watch"}})
def feed(watch_id: Annotated[str, Path(max_length=64)], e: Engine, store: Watches, base: BaseUrl,
         if_none_match: Annotated[str | None, Header()] = None,
         if_modified_since: Annotated[str | None, Header()] = None) -> Response:
    watch = store.get(watch_id)
    if watch is None:
        raise HTTPException(status_code=404, detail="no such watch (deleted, or the id is mistyped)")
    matches = store.matches(watch.id)
    tag, modified = atom.etag(watch, matches, base), atom.last_modified(watch, matches)
    headers = {"ETag": tag, "Last-Modified": atom.http_date(modified), "Cache-Control": "no-cache"}
    if atom.not_modified(if_none_match, if_modified_since, tag, modified):
        return Response(status_code=304, headers=headers)
    body = atom.render_feed(watch, feed_items(e, matches), base)
    return Response(body, media_type=atom.MEDIA_TYPE, headers=headers)
