"""GET /api/clusters, /api/clusters/map, /api/clusters/{id}: topics, the 2-D map's points, a topic's papers."""
from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from api.deps import engine
from indexer.topics.clusters import Cluster, Clustering
from indexer.topics.plots import frame_limits, label_anchors
from search.engine import SearchEngine
from search.schemas import SearchResult

router = APIRouter(prefix="/api", tags=["clusters"])


class TopicOrder(str, Enum):
    size = "size"        # largest first
    rising = "rising"    # growth (share of the last 3 months vs the 6 before), highest first
    fading = "fading"    # lowest growth first


class ClusterInfo(BaseModel):
    id: int
    size: int
    label: str
    terms_en: list[str] = Field(description="key phrases of the members' titles")
    terms_ko: list[str] = Field(description="key phrases of their Korean summaries")
    central: list[str]
    monthly: dict[str, int]
    growth: float = Field(description="log2(share of the last 3 months / share of the 6 before); +1 = doubled")
    recent: int = Field(description="papers in the last 3 months")
    before: int = Field(description="papers in the 6 months before those")
    other: bool = Field(description="the group of papers in no coherent topic")


class ClusterList(BaseModel):
    method: str
    map_method: str
    sort: TopicOrder
    clusters: list[ClusterInfo]


class ClusterPapers(BaseModel):
    cluster: ClusterInfo
    total: int
    results: list[SearchResult]


class MapLabel(BaseModel):
    id: int
    label: str
    x: float
    y: float


class TopicMap(BaseModel):
    frame: tuple[float, float, float, float] = Field(description="xmin, xmax, ymin, ymax: the robust plot frame")
    columns: list[str]
    points: list[tuple[float, float, int, str, str]] = Field(description="x, y, topic id, arXiv id, title")
    labels: list[MapLabel]


def require(e: SearchEngine) -> Clustering:
    if e.clustering is None:
        raise HTTPException(status_code=404, detail="this index has no topic clusters; rebuild it with `papersearch index`")
    return e.clustering


def ordered(c: Clustering, sort: TopicOrder) -> list[Cluster]:
    """The "other" group always last: it is not a topic."""
    if sort is TopicOrder.size:
        return list(c.clusters)
    key = (lambda cl: (cl.other, -cl.growth, cl.id)) if sort is TopicOrder.rising else \
        (lambda cl: (cl.other, cl.growth, cl.id))
    return sorted(c.clusters, key=key)


def info(cl: Cluster) -> ClusterInfo:
    return ClusterInfo(**cl.to_dict())


@router.get("/clusters", response_model=ClusterList)
def clusters(e: Annotated[SearchEngine, Depends(engine)], sort: TopicOrder = TopicOrder.size) -> ClusterList:
    c = require(e)
    return ClusterList(method=c.method, map_method=c.map_method, sort=sort, clusters=[info(x) for x in ordered(c, sort)])


@router.get("/clusters/map", response_model=TopicMap)
def topic_map(e: Annotated[SearchEngine, Depends(engine)]) -> TopicMap:
    """Every paper's stored map position and topic, the frame to draw them in, and where labels go."""
    c = require(e)
    points = [(round(float(x), 3), round(float(y), 3), int(a), p.arxiv_id, p.title)
              for (x, y), a, p in zip(c.map2d.tolist(), c.assignments.tolist(), e.papers)]
    labels = [MapLabel(id=cid, label=c.get(cid).label, x=round(x, 3), y=round(y, 3)) for cid, x, y in label_anchors(c)]
    return TopicMap(frame=frame_limits(c.map2d), columns=["x", "y", "topic", "arxiv_id", "title"], points=points,
                    labels=labels)


@router.get("/clusters/{cluster_id}", response_model=ClusterPapers,
            responses={307: {"description": "a retired topic id: redirects to the topic most of its papers joined"}})
def cluster(e: Annotated[SearchEngine, Depends(engine)], cluster_id: int,
            k: Annotated[int, Query(ge=1, le=500)] = 50):
    """A topic's papers, most voted first."""
    c = require(e)
    target = c.resolve(cluster_id)
    if target is None:
        raise HTTPException(status_code=404, detail=f"no topic {cluster_id}; list them with /api/clusters")
    if target != cluster_id:
        return RedirectResponse(f"/api/clusters/{target}?k={k}", status_code=307)
    total, results = e.cluster_papers(cluster_id, k)
    return ClusterPapers(cluster=info(c.get(cluster_id)), total=total, results=results)
