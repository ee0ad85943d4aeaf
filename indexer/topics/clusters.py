"""Topics of the corpus: clusters, labels, central papers, monthly counts, growth and a 2-D map.

Computed at build time and stored with the index generation (`clusters.json`,
`clusters.npy`, `map2d.npy`), so the web page, the API and notebooks all show the
same topics without recomputing them. Seeded: the same input gives the same topics.
The pieces live in their own modules of this package: `space` (what is clustered),
`graph` (communities, grab-bags dissolved), `labels`, `trends`, `quality` (the
measures the goals are stated in). Methods register by name in `CLUSTER_METHODS`.
"""
from __future__ import annotations

import json
import math
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from indexer.ingest.records import Paper
from indexer.topics.graph import OTHER, RESOLUTION, graph_topics
from indexer.topics.labels import Encode, label_topics
from indexer.topics.quality import knn_rows
from indexer.topics.trends import growth, windows
from papersearch.registry import Registry

SEED = 1234
CLUSTERS_VERSION = 4  # bump when labelling or clustering changes, so stored clusters are recomputed
NOISE = OTHER  # HDBSCAN's "no cluster" is the "other" group too
OTHER_LABEL = "other · 기타 (no coherent topic)"


@dataclass
class Cluster:
    id: int
    size: int
    terms_en: list[str]                 # key phrases of the members' titles
    terms_ko: list[str]                 # key phrases of their Korean summaries
    central: list[str]                  # arXiv ids closest to the topic's centre
    monthly: dict[str, int] = field(default_factory=dict)   # "YYYY-MM" of first appearance -> papers
    growth: float = 0.0                 # trends.Growth.score: log2 share ratio, last 3 months vs 6 before
    recent: int = 0
    before: int = 0
    other: bool = False                 # the explicit group of papers in no coherent topic

    @property
    def label(self) -> str:
        return OTHER_LABEL if self.other else " · ".join(self.terms_en[:3] + self.terms_ko[:1])

    def to_dict(self) -> dict:
        return {**asdict(self), "label": self.label}


@dataclass
class TopicInput:
    """Everything topics are computed from, row-aligned with the index."""
    papers: list[Paper]
    vectors: np.ndarray            # unit embedding rows as the search index holds them
    topic: np.ndarray              # space.topic_vectors rows: what is clustered and mapped
    summary_tokens: list[list[str]]
    suspect: np.ndarray            # summaries that describe another paper (never used for labels)


@dataclass
class Clustering:
    method: str
    assignments: np.ndarray             # topic id per index row (OTHER: in no coherent topic)
    clusters: list[Cluster]
    map2d: np.ndarray                   # (n, 2) map coordinates per index row
    map_method: str
    params: dict = field(default_factory=dict)   # the settings that produced it (reuse check)
    aliases: dict[int, int] = field(default_factory=dict)  # retired topic id -> the topic most of it joined

    def save(self, directory: Path) -> None:
        np.save(directory / "clusters.npy", self.assignments)
        np.save(directory / "map2d.npy", self.map2d)
        meta = {"method": self.method, "map_method": self.map_method, "params": self.params,
                "aliases": {str(k): v for k, v in self.aliases.items()},
                "clusters": [c.to_dict() for c in self.clusters]}
        (directory / "clusters.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> Clustering | None:
        meta_path = directory / "clusters.json"
        if not meta_path.exists():
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        clusters = [Cluster(**{k: v for k, v in c.items() if k != "label"}) for c in meta["clusters"]]
        return cls(meta["method"], np.load(directory / "clusters.npy"), clusters, np.load(directory / "map2d.npy"),
                   meta["map_method"], meta.get("params", {}), {int(k): v for k, v in meta.get("aliases", {}).items()})

    def get(self, cluster_id: int) -> Cluster | None:
        return next((c for c in self.clusters if c.id == cluster_id), None)

    def resolve(self, cluster_id: int) -> int | None:
        """The id a link to `cluster_id` should show: itself, the topic a retired id became, or None."""
        if self.get(cluster_id) is not None:
            return cluster_id
        target = self.aliases.get(cluster_id)
        return target if target is not None and self.get(target) is not None else None


def default_k(n: int) -> int:
    """About sqrt(n / 2) clusters for k-means: ~51 for the 5k-paper corpus, a handful for a test slice."""
    return max(2, min(n // 3 if n >= 6 else 1, round(math.sqrt(n / 2))))


def kmeans(vectors: np.ndarray, k: int, seed: int = SEED) -> np.ndarray:
    import faiss

    x = np.ascontiguousarray(vectors, dtype=np.float32)
    km = faiss.Kmeans(x.shape[1], k, niter=25, seed=seed, spherical=True, verbose=False)
    km.train(x)
    return km.index.search(x, 1)[1][:, 0].astype(np.int64)


def hdbscan(vectors: np.ndarray, min_cluster_size: int = 10) -> np.ndarray:
    from sklearn.cluster import HDBSCAN

    return HDBSCAN(min_cluster_size=min_cluster_size, copy=True).fit_predict(vectors).astype(np.int64)


def map_2d(vectors: np.ndarray, method: str = "auto", seed: int = SEED) -> tuple[np.ndarray, str]:
    """UMAP when installed (and enough points), else PCA: the dependency-free fallback."""
    if method in ("auto", "umap") and len(vectors) >= 15:
        try:
            import umap

            k = min(15, len(vectors) - 1)
            reducer = umap.UMAP(n_components=2, metric="cosine", random_state=seed, n_neighbors=k,
                                precomputed_knn=_exact_knn(vectors, k))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "n_jobs overridden by random_state": seeded on purpose
                return reducer.fit_transform(vectors).astype(np.float32), "umap"
        except ImportError:
            if method == "umap":
                raise
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return (centred @ vt[:2].T).astype(np.float32), "pca"


def _exact_knn(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, None]:
    """UMAP's neighbour graph computed exactly in numpy (self first, cosine distance): pynndescent's
    approximate search is JIT-compiled on every run (~20 s of a 31 s topic step on the 5k corpus)."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    nn = knn_rows(unit, k - 1)
    sims = np.einsum("id,ikd->ik", unit, unit[nn])
    order = np.argsort(-sims, axis=1)
    nn, sims = np.take_along_axis(nn, order, 1), np.take_along_axis(sims, order, 1)
    n = len(vectors)
    indices = np.hstack([np.arange(n, dtype=np.int64)[:, None], nn])
    dists = np.hstack([np.zeros((n, 1), dtype=np.float32), np.maximum(1.0 - sims, 0.0).astype(np.float32)])
    return indices, dists, None


Assign = Callable[[np.ndarray, "int | None", float], np.ndarray]
CLUSTER_METHODS: Registry[Assign] = Registry("clustering method")
CLUSTER_METHODS.add("graph", lambda topic, k, resolution: graph_topics(topic, resolution))
CLUSTER_METHODS.add("kmeans", lambda topic, k, resolution: kmeans(topic, k or default_k(len(topic))))
CLUSTER_METHODS.add("hdbscan", lambda topic, k, resolution: hdbscan(topic))
METHODS = CLUSTER_METHODS.names()


def assign_topics(topic: np.ndarray, method: str = "graph", k: int | None = None,
                  resolution: float = RESOLUTION) -> np.ndarray:
    return CLUSTER_METHODS.get(method)(topic, k, resolution)


def cluster_papers(inp: TopicInput, method: str = "graph", k: int | None = None, resolution: float = RESOLUTION,
                   map_method: str = "auto", encode: Encode | None = None) -> Clustering:
    assign = assign_topics(inp.topic, method, k, resolution)
    ids = sorted(set(assign.tolist()) - {OTHER})
    labels = label_topics([p.title for p in inp.papers], inp.summary_tokens, inp.suspect, assign, ids,
                          _centres(inp.vectors, assign, ids), encode)
    coords, used = map_2d(inp.topic, map_method)
    return Clustering(method, assign, describe(inp, assign, labels), coords, used)


def describe(inp: TopicInput, assign: np.ndarray, labels: dict[int, tuple[list[str], list[str]]]) -> list[Cluster]:
    """Every non-empty topic (and the "other" group) with its central papers, months and growth, largest first."""
    months_of = [(p.first_seen or "")[:7] for p in inp.papers]
    totals = Counter(months_of)
    recent, before = windows(list(totals))
    ids = sorted(set(assign.tolist()))
    centres = _centres(inp.topic, assign, ids)
    clusters = []
    for c in ids:
        members = np.nonzero(assign == c)[0]
        central = [inp.papers[i].arxiv_id for i in members[np.argsort(-(inp.topic[members] @ centres[c]))[:5]]]
        monthly = dict(sorted(Counter(months_of[i] for i in members).items()))
        g = growth(monthly, totals, recent, before, len(ids))
        en, ko = labels.get(c, ([], []))
        clusters.append(Cluster(int(c), len(members), en, ko, central, monthly, g.score, g.recent, g.before,
                                other=c == OTHER))
    return sorted(clusters, key=lambda cl: (cl.other, -cl.size, cl.id))


def _centres(vectors: np.ndarray, assign: np.ndarray, ids: list[int]) -> dict[int, np.ndarray]:
    out = {}
    for c in ids:
        m = vectors[assign == c].mean(axis=0)
        out[c] = m / max(float(np.linalg.norm(m)), 1e-12)
    return out
