"""GET /api/papers/{id}, GET /api/papers/{id}/similar, POST /api/similar"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.deps import engine
from api.schemas import PaperDetail, SimilarMethod, SimilarRequest
from search.engine import MAX_K, SearchEngine
from search.schemas import SearchResponse

router = APIRouter(prefix="/api", tags=["papers"])

ArxivId = Annotated[str, Path(max_length=100, description="arXiv id, e.g. 2404.03592")]


def paper_detail(e: SearchEngine, arxiv_id: str) -> PaperDetail:
    p = e.paper(arxiv_id)
    suspect, agreement = e.is_suspect(p.arxiv_id)
    return PaperDetail(
        arxiv_id=p.arxiv_id, title=p.title, authors=p.authors, authors_truncated=p.authors_truncated,
        votes=p.votes, dates=p.dates, first_seen=p.first_seen, last_seen=p.last_seen, arxiv_url=p.arxiv_url,
        thumbnail_url=p.thumbnail_url, sections=p.sections, summary_suspect=suspect, agreement=agreement,
    )


@router.get("/papers/{arxiv_id:path}/similar", response_model=SearchResponse)
def similar(e: Annotated[SearchEngine, Depends(engine)], arxiv_id: ArxivId,
            k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
            method: Annotated[SimilarMethod | None, Query(description="ranker; default: learned")] = None,
            ) -> SearchResponse:
    return e.similar(arxiv_id, k=k, method=method)


@router.get("/papers/{arxiv_id:path}", response_model=PaperDetail)
def paper(e: Annotated[SearchEngine, Depends(engine)], arxiv_id: ArxivId) -> PaperDetail:
    return paper_detail(e, arxiv_id)


@router.post("/similar", response_model=SearchResponse)
def more_like(e: Annotated[SearchEngine, Depends(engine)], body: SimilarRequest) -> SearchResponse:
    return e.more_like(body.positive, body.negative, k=body.k, method=body.method)
