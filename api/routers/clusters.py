"""GET /api/clusters, GET /api/clusters/{id}"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel

from api.deps import engine
from search.engine import SearchEngine
from search.schemas import SearchResult

router = APIRouter(prefix="/api", tags=["clusters"])


class ClusterInfo(BaseModel):
    id: int
    size: int
    label: str
    terms_en: list[str]
    terms_ko: list[str]
    central: list[str]
    monthly: dict[str, int]


class ClusterList(BaseModel):
    method: str
    map_method: str
    clusters: list[ClusterInfo]


class ClusterPapers(BaseModel):
    cluster: ClusterInfo
    total: int
    results: list[SearchResult]


def cluster_list(e: SearchEngine) -> ClusterList:
    c = e.clustering
    if c is None:
        raise HTTPException(status_code=404, detail="this index has no topic clusters; rebuild it with `papersearch index`")
    return ClusterList(method=c.method, map_method=c.map_method, clusters=[ClusterInfo(**x.to_dict()) for x in c.clusters])


@router.get("/clusters", response_model=ClusterList)
def clusters(e: Annotated[SearchEngine, Depends(engine)]) -> ClusterList:
    return cluster_list(e)


@router.get("/clusters/{cluster_id}", response_model=ClusterPapers)
def cluster(e: Annotated[SearchEngine, Depends(engine)], cluster_id: int,
            k: Annotated[int, Query(ge=1, le=500)] = 50) -> ClusterPapers:
    """A cluster's papers, most voted first."""
    info = next((c for c in cluster_list(e).clusters if c.id == cluster_id), None)
    if info is None:
        raise HTTPException(status_code=404, detail=f"no cluster {cluster_id}")
    total, results = e.cluster_papers(cluster_id, k)
    return ClusterPapers(cluster=info, total=total, results=results)
