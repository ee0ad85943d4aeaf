"""GET /api/search"""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from api.deps import engine
from api.schemas import Format
from api.views import DOWNLOADS, download
from search.engine import SearchEngine
from search.filters import Filters
from search.limits import MAX_K
from search.schemas import RankMode, SearchResponse

router = APIRouter(prefix="/api", tags=["search"])

MAX_QUERY_PARAM = 2000  # longer is refused (422); up to this it is cut to MAX_QUERY_CHARS with a notice


@router.get("/search", response_model=SearchResponse, responses=DOWNLOADS)
def search(
    e: Annotated[SearchEngine, Depends(engine)],
    q: Annotated[str, Query(max_length=MAX_QUERY_PARAM,
                            description="Korean, English or mixed; an arXiv id/URL means similar-to")] = "",
    k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
    date_from: Annotated[date | None, Query(description="YYYY-MM-DD")] = None,
    date_to: Annotated[date | None, Query(description="YYYY-MM-DD")] = None,
    min_votes: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
    author: Annotated[str | None, Query(max_length=200)] = None,
    mode: RankMode = RankMode.relevance,
    cluster: Annotated[int | None, Query(ge=-1, le=100_000, description="topic cluster id (/api/clusters)")] = None,
    method: Annotated[Literal["learned", "hybrid", "dense", "lexical"] | None,
                      Query(description="ranker; default: learned where its weights ship, else hybrid")] = None,
    fmt: Format = None,
):
    resp = e.search(q, k=k, filters=Filters(date_from, date_to, min_votes, author, cluster), mode=mode, method=method)
    return download(resp.results, fmt, "search", resp.query) if fmt else resp
