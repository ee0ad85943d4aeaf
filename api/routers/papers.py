"""GET /api/papers/{id}, GET /api/papers/{id}/similar, POST /api/similar"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.deps import engine
from api.schemas import Format, PaperDetail, SimilarMethod, SimilarRequest
from api.views import DOWNLOADS, download, paper_detail
from search.engine import SearchEngine
from search.limits import MAX_K
from search.schemas import RankMode, SearchResponse

router = APIRouter(prefix="/api", tags=["papers"])

ArxivId = Annotated[str, Path(max_length=100, description="arXiv id, e.g. 2404.03592")]


@router.get("/papers/{arxiv_id:path}/similar", response_model=SearchResponse, responses=DOWNLOADS)
def similar(e: Annotated[SearchEngine, Depends(engine)], arxiv_id: ArxivId,
            k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
            method: Annotated[SimilarMethod | None, Query(description="ranker; default: learned")] = None,
            mode: Annotated[RankMode, Query(description="votes / recency re-sort the relevant head, as search")]
            = RankMode.relevance,
            fmt: Format = None):
    resp = e.similar(arxiv_id, k=k, method=method, mode=mode)
    return download(resp.results, fmt, "similar", resp.similar_to[0]) if fmt else resp


@router.get("/papers/{arxiv_id:path}", response_model=PaperDetail)
def paper(e: Annotated[SearchEngine, Depends(engine)], arxiv_id: ArxivId) -> PaperDetail:
    return paper_detail(e, arxiv_id)


@router.post("/similar", response_model=SearchResponse, responses=DOWNLOADS)
def more_like(e: Annotated[SearchEngine, Depends(engine)], body: SimilarRequest, fmt: Format = None):
    resp = e.more_like(body.positive, body.negative, k=body.k, method=body.method, mode=body.mode)
    return download(resp.results, fmt, "similar", *resp.similar_to[:3]) if fmt else resp
