"""GET /api/authors/{name}: an author's papers (newest first), co-authors (by papers together) and topics.

Names match whatever their case, accents and spacing ("ziwei  LIU", "Zi-Wei Liu"); a name that matches nobody
gets 404 with the closest names that do exist."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import Engine, Holder
from api.schemas import AuthorOut, Format
from api.views import DOWNLOADS, author_out, download

router = APIRouter(prefix="/api", tags=["authors"])


@router.get("/authors/{name:path}", response_model=AuthorOut,
            responses={**DOWNLOADS, 404: {"description": "nobody by that name; `closest` lists the nearest names"}})
def author(name: Annotated[str, Path(max_length=200)], e: Engine, h: Holder,
           k: Annotated[int, Query(ge=1, le=1000, description="papers listed at most")] = 200,
           fmt: Format = None):
    page = h.source(e).authors.lookup(name)
    out = author_out(e, page, k)
    return download(out.results, fmt, "author", page.name) if fmt else out
