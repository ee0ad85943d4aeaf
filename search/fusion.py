"""Rank fusion of dense and lexical scores. Every ranker speaks (positions, scores)."""
from __future__ import annotations

import numpy as np

RRF_K = 60


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


def zscore(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Standardise scores over the candidate rows so dense and BM25 scales are comparable."""
    ref = scores if mask is None else scores[mask]
    if ref.size == 0:
        return np.zeros_like(scores)
    sd = float(ref.std())
    return (scores - float(ref.mean())) / (sd if sd > 1e-9 else 1.0)
