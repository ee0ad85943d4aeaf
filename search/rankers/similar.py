"""The "more like these" rankers, by name (SIMILAR_METHODS): seeds in, full-length scores out.

dense: Rocchio on the index vectors (mean of the positives minus half the negatives);
lexical: BM25 with the seeds' most distinctive terms (title only for a suspect summary);
learned: both, with title/summary/cross-lingual similarities, fused by the trained weights.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from papersearch.registry import Registry
from search.dense import DenseSearch
from search.features import seed_features
from search.index_view import IndexView
from search.rankers.learned import LinearFusion


@dataclass(frozen=True, eq=False)
class Seeds:
    """Positions of the papers to be like and unlike, and the rows that may be returned."""
    positive: list[int]
    negative: list[int]
    mask: np.ndarray             # the filter, with the seeds themselves masked out
    view: IndexView
    dense_search: DenseSearch
    models: dict[str, LinearFusion]


SIMILAR_METHODS: Registry[Callable[[Seeds], np.ndarray]] = Registry("similar method")


@SIMILAR_METHODS.register("dense")
def rocchio(s: Seeds) -> np.ndarray:
    vecs = s.view.paper_vecs
    vec = vecs[s.positive].mean(axis=0)
    if s.negative:
        vec = vec - 0.5 * vecs[s.negative].mean(axis=0)
    vec = vec / (np.linalg.norm(vec) or 1.0)
    return s.dense_search.scores(vec, s.mask)


@SIMILAR_METHODS.register("lexical")
def seed_terms_bm25(s: Seeds) -> np.ndarray:
    v = seed_features(s.view, s.positive, s.negative, frozenset({"bm25_seed"})).values["bm25_seed"]
    return np.where(s.mask & (v > 0), v, -np.inf).astype(np.float32)


@SIMILAR_METHODS.register("learned")
def learned(s: Seeds) -> np.ndarray:
    model = s.models["similar"]
    return model.score(seed_features(s.view, s.positive, s.negative, model.features), s.mask)
