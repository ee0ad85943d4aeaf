"""Rank fusion of dense and lexical scores: the strategies, by name (FUSIONS). Every ranker speaks (positions, scores)."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from papersearch.registry import Registry

RRF_K = 60
# (dense, lexical, live rows, dense weight, depth) -> full-length scores, -inf outside the live rows
Fusion = Callable[[np.ndarray, np.ndarray, np.ndarray, float, int], np.ndarray]
FUSIONS: Registry[Fusion] = Registry("fusion")


def top(scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Positions and scores of the k best rows (descending), restricted to `mask`."""
    s = scores if mask is None else np.where(mask, scores, -np.inf)
    k = min(k, int(np.isfinite(s).sum()))
    if k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    part = np.argpartition(-s, k - 1)[:k]
    order = part[np.argsort(-s[part], kind="stable")]
    return order, s[order]


def rrf(rankings: list[np.ndarray], n: int, weights: list[float] | None = None, k: int = RRF_K) -> np.ndarray:
    """Reciprocal rank fusion over full-length score arrays: sum_i w_i / (k + rank_i)."""
    out = np.zeros(n, dtype=np.float32)
    for i, order in enumerate(rankings):
        w = 1.0 if weights is None else weights[i]
        out[order] += w / (k + np.arange(1, len(order) + 1, dtype=np.float32))
    return out


# (mean, standard deviation) of scores over the rows they are standardised over; None when there are none
Moments = tuple[float, float] | None


def moments(scores: np.ndarray, mask: np.ndarray | None = None) -> Moments:
    """What `zscore` standardises with, kept apart so a few rows can be scored against a whole corpus's."""
    ref = scores if mask is None else scores[mask]
    if ref.size == 0:
        return None
    return float(ref.mean()), float(ref.std())


def standardise(scores: np.ndarray, m: Moments) -> np.ndarray:
    if m is None:
        return np.zeros_like(scores)
    mean, sd = m
    return (scores - mean) / (sd if sd > 1e-9 else 1.0)


def zscore(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Standardise scores over the candidate rows so dense and BM25 scales are comparable."""
    return standardise(scores, moments(scores, mask))


@FUSIONS.register("rrf")
def rrf_fusion(dense: np.ndarray, lexical: np.ndarray, live: np.ndarray, dense_weight: float,
               depth: int) -> np.ndarray:
    """Weighted reciprocal rank fusion of the two rankings, each `depth` deep."""
    rankings = []
    for s, floor in ((dense, -np.inf), (lexical, 0.0)):  # BM25 zero = no term matched: not a ranking
        s = np.where(live, s, -np.inf)
        d = min(depth, int((np.isfinite(s) & (s > floor)).sum()))
        rankings.append(np.argsort(-s, kind="stable")[:d])
    out = rrf(rankings, len(dense), [2 * dense_weight, 2 * (1 - dense_weight)])
    # rows nobody ranked keep a tiny dense-ordered score so k results still come back under a filter
    tail = np.where(out == 0, 1e-6 * (1 + np.tanh(np.nan_to_num(dense, neginf=-10))), out)
    return np.where(live, tail, -np.inf).astype(np.float32)


@FUSIONS.register("zscore")
def zscore_fusion(dense: np.ndarray, lexical: np.ndarray, live: np.ndarray, dense_weight: float,
                  depth: int) -> np.ndarray:
    """Convex combination of standardised scores (BM25 below zero clipped: no term matched)."""
    return zscore_fuse(dense, lexical, live, dense_weight, zscore_moments(dense, lexical, live))


def zscore_moments(dense: np.ndarray, lexical: np.ndarray, live: np.ndarray) -> tuple[Moments, Moments]:
    """The z-score fusion's corpus-level inputs: the moments of each side over the live rows."""
    return moments(dense, live), moments(np.maximum(lexical, 0), live)


def zscore_fuse(dense: np.ndarray, lexical: np.ndarray, live: np.ndarray, dense_weight: float,
                m: tuple[Moments, Moments]) -> np.ndarray:
    """The z-score fusion with given moments: rows scored alone match the whole corpus's scores."""
    out = dense_weight * standardise(dense, m[0]) + (1 - dense_weight) * standardise(np.maximum(lexical, 0), m[1])
    return np.where(live, out, -np.inf).astype(np.float32)
