"""Topic clusters of the paper embeddings: k-means (faiss) or HDBSCAN, labels, central papers, a 2-D map.

Computed at build time and stored with the index generation (`clusters.json`,
`clusters.npy`, `map2d.npy`), so the web page, the API and notebooks all show the
same clusters without recomputing them. Seeded: the same vectors give the same
clusters.
"""
from __future__ import annotations

import json
import math
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from indexer.records import Paper

SEED = 1234
CLUSTERS_VERSION = 2  # bump when labelling or clustering changes, so stored clusters are recomputed
# words common to nearly every summary/title: never informative as a topic label
GENERIC = frozenset(
    "있다 없다 하다 되다 이다 않다 같다 위하다 통하다 대하다 따르다 보이다 주다 높다 새롭다 다양하다 기존 "
    "모델 연구 방법 제안 성능 결과 논문 접근 기반 문제 사용 활용 개선 향상 평가 실험 가능 본 "
    "model models large based using learning via towards toward new study approach method methods".split()
)
NOISE = -1  # HDBSCAN's "no cluster"


@dataclass
class Cluster:
    id: int
    size: int
    terms_ko: list[str]                 # distinctive Korean morphemes (c-TF-IDF)
    terms_en: list[str]                 # distinctive English title words
    central: list[str]                  # arXiv ids closest to the centroid
    monthly: dict[str, int] = field(default_factory=dict)   # "YYYY-MM" of first appearance -> papers

    @property
    def label(self) -> str:
        return " · ".join(self.terms_en[:3] + self.terms_ko[:2])

    def to_dict(self) -> dict:
        return {**asdict(self), "label": self.label}


@dataclass
class Clustering:
    method: str
    assignments: np.ndarray             # cluster id per index row (NOISE for HDBSCAN outliers)
    clusters: list[Cluster]
    map2d: np.ndarray                   # (n, 2) map coordinates per index row
    map_method: str
    params: dict = field(default_factory=dict)   # the settings that produced it (reuse check)

    def save(self, directory: Path) -> None:
        np.save(directory / "clusters.npy", self.assignments)
        np.save(directory / "map2d.npy", self.map2d)
        meta = {"method": self.method, "map_method": self.map_method, "params": self.params,
                "clusters": [c.to_dict() for c in self.clusters]}
        (directory / "clusters.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "Clustering | None":
        meta_path = directory / "clusters.json"
        if not meta_path.exists():
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        clusters = [Cluster(**{k: v for k, v in c.items() if k != "label"}) for c in meta["clusters"]]
        return cls(meta["method"], np.load(directory / "clusters.npy"), clusters,
                   np.load(directory / "map2d.npy"), meta["map_method"], meta.get("params", {}))


def default_k(n: int) -> int:
    """About sqrt(n / 2) clusters: ~50 for the 5k-paper corpus, a handful for a test slice."""
    return max(2, min(n // 3 if n >= 6 else 1, round(math.sqrt(n / 2))))


def kmeans(vectors: np.ndarray, k: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    import faiss

    km = faiss.Kmeans(vectors.shape[1], k, niter=25, seed=seed, spherical=True, verbose=False)
    km.train(np.ascontiguousarray(vectors, dtype=np.float32))
    _, assign = km.index.search(np.ascontiguousarray(vectors, dtype=np.float32), 1)
    return assign[:, 0].astype(np.int64), km.centroids


def hdbscan(vectors: np.ndarray, min_cluster_size: int = 10) -> np.ndarray:
    from sklearn.cluster import HDBSCAN

    return HDBSCAN(min_cluster_size=min_cluster_size, copy=True).fit_predict(vectors).astype(np.int64)


def ctfidf_terms(docs: list[list[str]], assignments: np.ndarray, top: int = 8) -> dict[int, list[str]]:
    """Class-based TF-IDF: terms frequent in a cluster and rare across clusters."""
    ids = sorted(set(int(a) for a in assignments) - {NOISE})
    per = {c: Counter() for c in ids}
    for toks, a in zip(docs, assignments):
        if int(a) != NOISE:
            per[int(a)].update(toks)
    freq = Counter()  # BERTopic's c-TF-IDF: idf = log(1 + A / f_t), f_t = the term's count over all clusters
    for cnt in per.values():
        freq.update(cnt)
    avg = np.mean([sum(c.values()) for c in per.values()]) if per else 1.0
    out = {}
    for c, cnt in per.items():
        total = sum(cnt.values()) or 1
        scored = {t: (f / total) * math.log(1 + avg / freq[t]) for t, f in cnt.items()
                  if len(t) > 1 and t not in GENERIC and not t.isdigit()}
        out[c] = [t for t, _ in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    return out


def map_2d(vectors: np.ndarray, method: str = "auto", seed: int = SEED) -> tuple[np.ndarray, str]:
    """UMAP when installed (and enough points), else PCA: the dependency-free fallback."""
    if method in ("auto", "umap") and len(vectors) >= 15:
        try:
            import umap

            reducer = umap.UMAP(n_components=2, metric="cosine", random_state=seed, n_neighbors=min(15, len(vectors) - 1))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "n_jobs overridden by random_state": seeded on purpose
                return reducer.fit_transform(vectors).astype(np.float32), "umap"
        except ImportError:
            if method == "umap":
                raise
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return (centred @ vt[:2].T).astype(np.float32), "pca"


def cluster_papers(
    vectors: np.ndarray,
    papers: list[Paper],
    title_tokens: list[list[str]],
    summary_tokens: list[list[str]],
    k: int | None = None,
    method: str = "kmeans",
    map_method: str = "auto",
) -> Clustering:
    if method == "hdbscan":
        assign = hdbscan(vectors)
        ids = sorted(set(assign.tolist()) - {NOISE})
        centroids = np.stack([vectors[assign == c].mean(axis=0) for c in ids]) if ids else np.zeros((0, vectors.shape[1]))
    elif method == "kmeans":
        assign, centroids = kmeans(vectors, k or default_k(len(vectors)))
        ids = list(range(len(centroids)))
    else:
        raise ValueError(f"unknown clustering method {method!r}; use kmeans or hdbscan")
    clusters = _describe(assign, ids, centroids, papers, title_tokens, summary_tokens, vectors)
    coords, used = map_2d(vectors, map_method)
    return Clustering(method, assign, clusters, coords, used)


def _describe(
    assign: np.ndarray, ids: list[int], centroids: np.ndarray, papers: list[Paper],
    title_tokens: list[list[str]], summary_tokens: list[list[str]], vectors: np.ndarray,
) -> list[Cluster]:
    """Labels, central papers and monthly counts of every non-empty cluster, largest first."""
    ko = ctfidf_terms(summary_tokens, assign)
    en = ctfidf_terms(title_tokens, assign)
    clusters = []
    for row, c in enumerate(ids):
        members = np.nonzero(assign == c)[0]
        if len(members) == 0:
            continue
        sims = vectors[members] @ centroids[row]
        central = [papers[i].arxiv_id for i in members[np.argsort(-sims)[:5]]]
        months = Counter((papers[i].first_seen or "")[:7] for i in members)
        clusters.append(Cluster(int(c), len(members), ko.get(c, []), [t for t in en.get(c, []) if t.isascii()],
                                central, dict(sorted(months.items()))))
    return sorted(clusters, key=lambda c: -c.size)


def extend(
    prev: Clustering, prev_rids: np.ndarray, rids: np.ndarray, vectors: np.ndarray, papers: list[Paper],
    title_tokens: list[list[str]], summary_tokens: list[list[str]],
) -> Clustering:
    """Add new papers to existing clusters without re-clustering.

    A new day's papers join their nearest centroid and sit on the map at the mean
    position of their 5 nearest known papers, so topic ids and the map stay stable
    from day to day and an incremental build stays fast (UMAP alone takes ~30 s).
    """
    where = {int(r): i for i, r in enumerate(prev_rids)}
    known = np.array([int(r) in where for r in rids], dtype=bool)
    assign = np.full(len(rids), NOISE, dtype=np.int64)
    coords = np.zeros((len(rids), 2), dtype=np.float32)
    old_rows = np.array([where[int(r)] for r in rids[known]], dtype=np.int64)
    assign[known] = prev.assignments[old_rows]
    coords[known] = prev.map2d[old_rows]
    ids = [c.id for c in prev.clusters if np.any(assign == c.id)]
    centroids = np.stack([_unit(vectors[assign == c].mean(axis=0)) for c in ids])
    new = np.nonzero(~known)[0]
    if len(new):
        assign[new] = np.array(ids)[np.argmax(vectors[new] @ centroids.T, axis=1)]
        sims = vectors[new] @ vectors[known].T
        nearest = np.argsort(-sims, axis=1)[:, :5]
        coords[new] = coords[np.nonzero(known)[0]][nearest].mean(axis=1)
    clusters = _describe(assign, ids, centroids, papers, title_tokens, summary_tokens, vectors)
    return Clustering(prev.method, assign, clusters, coords, prev.map_method, dict(prev.params))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)
