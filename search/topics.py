"""The served generation's topics, read-only, as the API and the web page need them.

The clustering is computed at build time (indexer.topics); serving only reads it.
This view is the one door to it from the API, so routers never hold the raw
arrays or the plotting code, and a retired topic id resolves the same way
everywhere (JSON, page, search filter).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from indexer.ingest.records import Paper
from indexer.topics.clusters import Cluster, Clustering
from indexer.topics.plots import frame_limits, label_anchors, map_png

__all__ = ["Cluster", "Frame", "LabelAnchor", "MapPoint", "TopicView"]

Frame = tuple[float, float, float, float]          # xmin, xmax, ymin, ymax
MapPoint = tuple[float, float, int, str, str]      # x, y, topic id, arXiv id, title
MAP_DECIMALS = 3  # map coordinates are for drawing: three decimals are plenty and keep the payload small


@dataclass(frozen=True)
class LabelAnchor:
    """Where a topic's label goes on the map: its members' median position."""
    id: int
    label: str
    x: float
    y: float


class TopicView:
    """Topics of one loaded index, row-aligned with its papers (one view per engine, so per generation)."""

    def __init__(self, clustering: Clustering, papers: Sequence[Paper], pos_of: Mapping[str, int]):
        self._c = clustering
        self._papers = papers
        self._pos_of = pos_of

    @property
    def method(self) -> str:
        return self._c.method

    @property
    def map_method(self) -> str:
        return self._c.map_method

    @property
    def clusters(self) -> list[Cluster]:
        """Largest first, the "other" group last (the order the build stored)."""
        return self._c.clusters

    def get(self, cluster_id: int) -> Cluster | None:
        return self._c.get(cluster_id)

    def resolve(self, cluster_id: int) -> int | None:
        """The live id a link to `cluster_id` should show: itself, the topic a retired id joined, or None."""
        return self._c.resolve(cluster_id)

    def labels(self) -> dict[str, str]:
        """Topic id (as the search facets key it) -> label."""
        return {str(c.id): c.label for c in self._c.clusters}

    def title_of(self, arxiv_id: str) -> str:
        return self._papers[self._pos_of[arxiv_id]].title

    def frame(self) -> Frame:
        """The robust plot frame (1st-99th percentile plus a margin): far-off points must not squeeze the rest."""
        return frame_limits(self._c.map2d)

    def map_points(self) -> list[MapPoint]:
        """Every paper's stored map position and topic, in index order."""
        return [(round(float(x), MAP_DECIMALS), round(float(y), MAP_DECIMALS), int(a), p.arxiv_id, p.title)
                for (x, y), a, p in zip(self._c.map2d.tolist(), self._c.assignments.tolist(), self._papers)]

    def anchors(self) -> list[LabelAnchor]:
        """One label per topic ("other" has none), largest topics first."""
        return [LabelAnchor(cid, self._c.get(cid).label, round(x, MAP_DECIMALS), round(y, MAP_DECIMALS))
                for cid, x, y in label_anchors(self._c)]

    def map_png(self) -> bytes:
        """The static map (matplotlib, about a second): callers cache it per generation."""
        return map_png(self._c)
