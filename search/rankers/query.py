"""The query rankers, by name (METHODS): each gives a full-length score array, -inf outside the filter.

They share one query's first stages (BM25 with the lexicon's expansion, the FAISS
dense scores, the query vector), computed once and only when a ranker asks, so
the quality harness gets every ranker from one query encoding.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from papersearch.registry import Registry
from search.dense import DenseSearch
from search.features import query_features
from search.index_view import IndexView
from search.rankers.learned import LinearFusion
from search.rankers.ranking import HybridParams, fuse


@dataclass
class RankQuery:
    """One query against one index view; `encode` gives its vector (the engine's cache)."""
    terms: list[str]
    expanded: dict[str, float]   # lexicon terms added to the lexical query, with weights
    mask: np.ndarray | None
    view: IndexView
    dense_search: DenseSearch
    params: HybridParams
    models: dict[str, LinearFusion]
    encode: Callable[[], np.ndarray]

    @cached_property
    def qvec(self) -> np.ndarray:
        return self.encode()

    @cached_property
    def lexical(self) -> np.ndarray:
        # one weighted query: the expansion never repeats a query term, so the two sets simply merge
        s = self.view.lexical.trusted_scores({**Counter(self.terms), **self.expanded}, self.view.suspect)
        return s if self.mask is None else np.where(self.mask, s, -np.inf).astype(np.float32)

    @cached_property
    def dense(self) -> np.ndarray:
        return self.dense_search.scores(self.qvec, self.mask)


# relevance rankers; the votes / recency / blend modes re-rank their candidates. "learned" is the default
# where its trained weights ship (search/rankers/fusion_weights.json), "hybrid" the hand-tuned fallback.
METHODS: Registry[Callable[[RankQuery], np.ndarray]] = Registry("method")


@METHODS.register("lexical")
def lexical(q: RankQuery) -> np.ndarray:
    """BM25; a paper sharing no term with the query is not a lexical hit."""
    return np.where(q.lexical > 0, q.lexical, -np.inf).astype(np.float32)


@METHODS.register("dense")
def dense(q: RankQuery) -> np.ndarray:
    return q.dense


@METHODS.register("hybrid")
def hybrid(q: RankQuery) -> np.ndarray:
    """Dense and BM25 fused by the configured strategy (HybridParams.method)."""
    return fuse(q.dense, q.lexical, q.mask, q.params)


@METHODS.register("learned")
def learned(q: RankQuery) -> np.ndarray:
    """The trained linear fusion over the query features it reads."""
    model = q.models["query"]
    return model.score(query_features(q.view, q.qvec, q.terms, q.expanded, model.features), q.mask)
