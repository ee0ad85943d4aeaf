"""How trustworthy a clustering is: neighbour consistency, title cohesion, suspect share, label quality.

Shared by the clustering itself (a cluster whose members' neighbours live
elsewhere is a grab-bag and gets dissolved), by `bench/clusters.py` and by the
tests, so the goal that is checked is the goal that is enforced.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from indexer.text.tokenize import EN_STOPWORDS

NEIGHBOURS = 10           # "most of a paper's 10 nearest neighbours" (fewer on corpora under 1,000 papers)
MIN_CONSISTENCY = 0.5      # the goal: no topic whose members' neighbours are mostly elsewhere
MAX_SUSPECT_SHARE = 0.2    # the goal: no topic made of wrong summaries
MAX_LABEL_SHARE = 0.1      # the goal: no label word in more than a tenth of the labels
# words that say nothing about a topic in this corpus: a label using them is "generic"
GENERIC_LABEL_TERMS = frozenset(
    "llm llms language languages model models large data dataset training learning performance method methods "
    "approach based using via new study ai neural network networks task tasks paper "
    "데이터 학습 훈련 성능 모델 언어 방법 연구 결과 기법 접근 제안 향상 개선 평가 대규모".split()
)


def neighbours_for(n: int) -> int:
    """10 on the real corpus; fewer on a small one, where a 5-paper topic could never hold a majority of 10."""
    return int(np.clip(n // 100, 3, NEIGHBOURS))


def knn_rows(vectors: np.ndarray, k: int | None = None, block: int = 1024) -> np.ndarray:
    """Each row's k nearest other rows by cosine (rows are unit vectors): (n, k) indices."""
    n = len(vectors)
    k = min(k or neighbours_for(n), n - 1)
    out = np.empty((n, k), dtype=np.int64)
    for s in range(0, n, block):
        sims = vectors[s : s + block] @ vectors.T
        sims[np.arange(len(sims)), np.arange(s, s + len(sims))] = -np.inf
        part = np.argpartition(-sims, k, axis=1)[:, :k] if k < n - 1 else np.argsort(-sims, axis=1)[:, :k]
        out[s : s + block] = part
    return out


def consistent_rows(assignments: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """True where most (more than half) of a row's neighbours share its cluster."""
    same = assignments[neighbours] == assignments[:, None]
    return same.sum(axis=1) * 2 > neighbours.shape[1]


def per_cluster(values: np.ndarray, assignments: np.ndarray) -> dict[int, float]:
    return {int(c): float(values[assignments == c].mean()) for c in np.unique(assignments)}


def title_cohesion(title_vectors: np.ndarray, assignments: np.ndarray) -> dict[int, float]:
    """Mean pairwise cosine of members' title vectors: (|sum|^2 - n) / (n (n - 1)) for unit rows."""
    out = {}
    for c in np.unique(assignments):
        m = title_vectors[assignments == c]
        n = len(m)
        s = m.sum(axis=0)
        out[int(c)] = float((s @ s - n) / (n * (n - 1))) if n > 1 else 1.0
    return out


def norm_term(term: str) -> str:
    """Case, hyphens and simple English plurals merged: "LLMs" -> "llm", "Text-to-Videos" -> "text to video"."""
    words = []
    for w in term.lower().replace("-", " ").split():
        if w.isascii() and len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
            w = w[:-1]
        words.append(w)
    return " ".join(words)


def label_flags(labels: list[list[str]]) -> list[tuple[bool, bool]]:
    """Per label (its terms): (repeats a term after merging case/plural, uses a generic word).

    A word is generic when it is on the corpus-wide list or appears in more than
    10% of all labels (and in more than one).
    """
    words_per_label = [{w for t in terms for w in norm_term(t).split()} - EN_STOPWORDS for terms in labels]
    df = Counter(w for ws in words_per_label for w in ws)
    limit = max(1, math.floor(MAX_LABEL_SHARE * len(labels)))
    out = []
    for terms, words in zip(labels, words_per_label):
        normed = [set(norm_term(t).split()) - EN_STOPWORDS for t in terms]
        repeated = any(a & b for i, a in enumerate(normed) for b in normed[i + 1:])  # two phrases share a word
        generic = any(w in GENERIC_LABEL_TERMS or df[w] > limit for w in words)
        out.append((repeated, generic))
    return out


@dataclass
class ClusterQuality:
    id: int
    size: int
    consistency: float
    title_cohesion: float
    suspect_share: float


def cluster_quality(vectors: np.ndarray, titles: np.ndarray, assignments: np.ndarray,
                    suspect: np.ndarray) -> list[ClusterQuality]:
    """Per cluster (the "other" group, id < 0, included), worst consistency first."""
    units = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    cons = per_cluster(consistent_rows(assignments, knn_rows(units)).astype(float), assignments)
    coh = title_cohesion(titles, assignments)
    sus = per_cluster(suspect.astype(float), assignments)
    sizes = Counter(assignments.tolist())
    out = [ClusterQuality(c, sizes[c], cons[c], coh[c], sus[c]) for c in cons]
    return sorted(out, key=lambda q: q.consistency)
