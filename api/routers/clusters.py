"""GET /api/clusters, /api/clusters/map, /api/clusters/{id}: topics, the 2-D map's points, a topic's papers."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import RedirectResponse

from api.deps import engine
from api.schemas import ClusterInfo, ClusterList, ClusterPapers, Format, MapLabel, TopicMap, TopicOrder
from api.views import DOWNLOADS, download, ordered
from search.engine import SearchEngine
from search.topics import Cluster, TopicView

router = APIRouter(prefix="/api", tags=["clusters"])


def require(e: SearchEngine) -> TopicView:
    topics = e.topics
    if topics is None:
        if e.pending:  # a quick first pass: the build beside the server clusters
            raise HTTPException(status_code=503, detail="topics are not built yet: the index is still being built "
                                                        "(/healthz says how far); try again when it is complete",
                                headers={"Retry-After": "60"})
        raise HTTPException(status_code=404, detail="this index has no topic clusters; rebuild it with `papersearch index`")
    return topics


def info(cl: Cluster) -> ClusterInfo:
    return ClusterInfo(**cl.to_dict())


@router.get("/clusters", response_model=ClusterList)
def clusters(e: Annotated[SearchEngine, Depends(engine)], sort: TopicOrder = TopicOrder.size) -> ClusterList:
    t = require(e)
    return ClusterList(method=t.method, map_method=t.map_method, sort=sort, clusters=[info(x) for x in ordered(t, sort)])


@router.get("/clusters/map", response_model=TopicMap)
def topic_map(e: Annotated[SearchEngine, Depends(engine)]) -> TopicMap:
    """Every paper's stored map position and topic, the frame to draw them in, and where labels go."""
    t = require(e)
    labels = [MapLabel(id=a.id, label=a.label, x=a.x, y=a.y) for a in t.anchors()]
    return TopicMap(frame=t.frame(), columns=["x", "y", "topic", "arxiv_id", "title"], points=t.map_points(),
                    labels=labels)


@router.get("/clusters/{cluster_id}", response_model=ClusterPapers,
            responses={**DOWNLOADS,
                       307: {"description": "a retired topic id: redirects to the topic most of its papers joined"}})
def cluster(e: Annotated[SearchEngine, Depends(engine)], cluster_id: int,
            k: Annotated[int, Query(ge=1, le=500)] = 50,
            fmt: Format = None):
    """A topic's papers, most voted first."""
    t = require(e)
    target = t.resolve(cluster_id)
    if target is None:
        raise HTTPException(status_code=404, detail=f"no topic {cluster_id}; list them with /api/clusters")
    if target != cluster_id:
        return RedirectResponse(f"/api/clusters/{target}?k={k}" + (f"&format={fmt}" if fmt else ""),
                                status_code=307)
    total, results = e.cluster_papers(cluster_id, k)
    if fmt:
        return download(results, fmt, "topic", str(cluster_id), t.get(cluster_id).label)
    return ClusterPapers(cluster=info(t.get(cluster_id)), total=total, results=results)
