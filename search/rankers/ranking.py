"""Hybrid fusion and the rank modes (relevance, votes, recency, blend)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from papersearch.settings import Settings
from search.filters import FilterColumns
from search.rankers.fusion import FUSIONS
from search.schemas import RankMode


@dataclass(frozen=True)
class HybridParams:
    """Every knob of the hybrid ranker in one typed object (from Settings: PAPERSEARCH_FUSION, _DENSE_WEIGHT)."""
    # Measured on the dev set (bench/quality.py, README "Quality"): z-score fusion with
    # dense weight 0.7 beat RRF (nDCG@10 0.645 vs 0.640 at title weight 0.2, 0.623 at 0.4)
    method: str = "zscore"       # a name in search.rankers.fusion.FUSIONS
    dense_weight: float = 0.7    # zscore: weight of dense; rrf: relative weight of the dense ranking
    depth: int = 200             # how deep each ranking goes into RRF
    title_boost: int = 2         # title tokens repeated in the BM25 document
    expansion_weight: float = 0.4  # lexicon (other-language) terms: this x confidence, below the query's own 1.0
    pool: int = 100              # relevance candidates the votes / recency / blend modes re-order
    # votes / recency modes sort only the head whose score is at least this share of the way from the pool's
    # floor (its last score) to the top: scale- and shift-free, so it means the same for every ranker
    head_ratio: float = 0.55
    blend: tuple[float, float, float] = (0.6, 0.25, 0.15)  # blend mode: relevance, log votes, recency

    def __post_init__(self) -> None:
        FUSIONS.validate(self.method)  # an unknown name is an error listing the choices, never a silent fallback
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ValueError(f"dense_weight must be within [0, 1], got {self.dense_weight}")

    @classmethod
    def from_settings(cls, settings: Settings) -> HybridParams:
        return cls(method=settings.fusion, dense_weight=settings.dense_weight)


def fuse(dense: np.ndarray, lexical: np.ndarray, mask: np.ndarray | None, p: HybridParams) -> np.ndarray:
    live = np.isfinite(dense) if mask is None else mask
    return FUSIONS.get(p.method)(dense, lexical, live, p.dense_weight, p.depth)


def rerank(
    pos: np.ndarray, scores: np.ndarray, mode: RankMode, cols: FilterColumns, k: int,
    p: HybridParams = HybridParams(),
) -> tuple[np.ndarray, np.ndarray]:
    """Re-order the relevance pool by votes, recency or a blend; return the top k."""
    if mode == RankMode.relevance or len(pos) == 0:
        return pos[:k], scores[:k]
    votes = np.maximum(cols.votes[pos], 0).astype(np.float32)
    recency = np.array([_days(cols.last[i]) for i in pos], dtype=np.float32)
    if mode in (RankMode.votes, RankMode.recency):
        key = votes if mode == RankMode.votes else recency
        strong = relevant_head(scores, p)
        head = np.nonzero(strong)[0]
        head = head[np.lexsort((-scores[head], -key[head]))]
        order = np.concatenate([head, np.nonzero(~strong)[0]])
    else:
        rel = (scores - scores.min()) / ((scores.max() - scores.min()) or 1.0)
        v = np.log1p(votes) / (np.log1p(votes.max()) or 1.0)
        r = (recency - recency.min()) / ((recency.max() - recency.min()) or 1.0)
        key = p.blend[0] * rel + p.blend[1] * v + p.blend[2] * r
        order = np.argsort(-key, kind="stable")
    order = order[:k]
    return pos[order], key[order] if mode == RankMode.blend else scores[order]


def relevant_head(scores: np.ndarray, p: HybridParams = HybridParams()) -> np.ndarray:
    """Which of a descending relevance pool is the clearly relevant head that votes / recency may re-order.

    Measured on the dev set's topic and question queries (tuning half; README "Rank modes"): "at least half the
    top score" let famous off-topic papers open the page (P@10 of the votes-sorted page 0.33 vs 0.60 by
    relevance with the learned ranker, whose z-score sums do not start at 0). Measured from the pool's floor the
    rule is free of each ranker's scale and offset: at 0.55 the page keeps P@10 within 0.02 of relevance order.
    """
    floor = scores[min(len(scores), p.pool) - 1]
    span = scores[0] - floor
    if not span > 0:  # one candidate, or all tied: nothing to tell apart
        return np.ones(len(scores), dtype=bool)
    return scores - floor >= p.head_ratio * span


def _days(iso: str) -> float:
    if not iso:
        return 0.0
    return float(np.datetime64(iso, "D").astype(np.int64))
