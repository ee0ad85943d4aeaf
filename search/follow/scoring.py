"""Score only the papers new to the index, with the scores ranking the whole corpus would give them.

The learned and hybrid rankers standardise each input over the rows they rank, BM25 weighs terms by the
whole corpus, and the PRF feature moves the query toward the corpus's top 10: a day's new papers scored
alone would get other scores than among all papers, and a threshold on them would mean nothing. A watch's
QueryProfile keeps, per generation, what its ranker computes over the whole (filtered) corpus that is not a
row's own: the query vector, the PRF vector, each input's moments, and the mean and spread of the final scores
(the matcher's z-score unit). New rows are then scored from an IndexView of those rows alone (IndexView.take)
with the kept values. A profile costs one whole-corpus ranking per watch and generation; the query vector is
kept across generations (the same model gives the same vector), so no generation re-encodes a watch.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from indexer.text.tokenize import tokens
from papersearch.registry import Registry
from search.dense import DenseSearch
from search.engine import SearchEngine
from search.features import query_features
from search.follow.matching import corpus_stats
from search.follow.models import CorpusStats, QuerySpec
from search.index_view import IndexView
from search.rankers.fusion import zscore_fuse, zscore_moments
from search.rankers.learned import FeatureMoments
from search.rankers.query import METHODS, RankQuery

VECTOR_CACHE = 100_000   # query vectors kept across generations (1.5 KB each; the watch cap is far below)
# BLAS matrix-vector products group rows (OpenBLAS: by 4 from the first row) and a row's last bits depend on
# its group: rows scored in the aligned blocks of 8 they sit in get the whole matrix's values to the bit
BLOCK = 8


@dataclass(frozen=True, eq=False)
class Rows:
    """Index rows scored alone (the papers new to the watches), shared by every watch of a catch-up."""
    positions: np.ndarray        # the rows asked for
    padded: np.ndarray           # them and their neighbours, in the aligned blocks the whole matrix has
    pick: np.ndarray             # where each asked row sits in `padded`
    view: IndexView              # the engine's view of the padded rows

    @classmethod
    def of(cls, engine: SearchEngine, positions: Sequence[int]) -> Rows:
        pos = np.asarray(positions, dtype=np.int64)
        n = engine.size
        tail = n - n % BLOCK     # the last, partial block is the whole matrix's remainder: keep it last
        starts = np.unique(pos[pos < tail] // BLOCK) * BLOCK
        padded = (starts[:, None] + np.arange(BLOCK)).ravel()
        if (pos >= tail).any():
            padded = np.concatenate([padded, np.arange(tail, n)])
        return cls(pos, padded, np.searchsorted(padded, pos), engine.view.take(padded))


class RowDense:
    """The dense ranker over some rows: the same FAISS inner products, restricted to them."""

    def __init__(self, dense: DenseSearch, positions: np.ndarray):
        self.dense, self.positions = dense, positions

    def scores(self, qvec: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        allowed = np.zeros(len(self.dense.rids), dtype=bool)
        allowed[self.positions if mask is None else self.positions[mask]] = True
        return self.dense.scores(qvec, allowed)[self.positions]


@dataclass(frozen=True)
class Kept:
    """What a ranker computed over the whole corpus that rows scored alone need."""
    moments: dict[str, FeatureMoments] = field(default_factory=dict)
    prf: np.ndarray | None = None
    full: np.ndarray | None = None   # a rank-based fusion (RRF) scores a row by its rank among all: keep them all


@dataclass(frozen=True)
class RowRanker:
    """A query ranker split in two: its whole-corpus pass (full scores, what to keep) and its row pass."""
    corpus: Callable[[RankQuery], tuple[np.ndarray, Kept]]
    rows: Callable[[RankQuery, Kept, np.ndarray], np.ndarray]   # (query over a row view, kept, row positions)


ROW_RANKERS: Registry[RowRanker] = Registry("method")


def _plain(method: str) -> RowRanker:
    """A ranker whose score of a row is the row's own (lexical, dense): the same function over the rows."""
    fn = METHODS.get(method)
    return RowRanker(lambda q: (fn(q), Kept()), lambda q, kept, pos: fn(q))


ROW_RANKERS.add("lexical", _plain("lexical"))
ROW_RANKERS.add("dense", _plain("dense"))


def _live(q: RankQuery) -> np.ndarray:
    return np.ones(q.view.size, dtype=bool) if q.mask is None else q.mask


def _hybrid_corpus(q: RankQuery) -> tuple[np.ndarray, Kept]:
    full = METHODS.get("hybrid")(q)
    if q.params.method != "zscore":
        return full, Kept(full=full)
    live = np.isfinite(q.dense) if q.mask is None else q.mask  # as search.rankers.ranking.fuse
    dense, lexical = zscore_moments(q.dense, q.lexical, live)
    return full, Kept({"dense": dense, "lexical": lexical})


def _hybrid_rows(q: RankQuery, kept: Kept, pos: np.ndarray) -> np.ndarray:
    if kept.full is not None:
        return kept.full[pos]
    return zscore_fuse(q.dense, q.lexical, _live(q), q.params.dense_weight,
                       (kept.moments["dense"], kept.moments["lexical"]))


def _learned_corpus(q: RankQuery) -> tuple[np.ndarray, Kept]:
    model = q.models["query"]
    fs = query_features(q.view, q.qvec, q.terms, q.expanded, model.features)
    kept = Kept(model.moments(fs, q.mask), fs.prf)
    return model.score(fs, q.mask, kept.moments), kept


def _learned_rows(q: RankQuery, kept: Kept, pos: np.ndarray) -> np.ndarray:
    model = q.models["query"]
    fs = query_features(q.view, q.qvec, q.terms, q.expanded, model.features, kept.prf)
    return model.score(fs, q.mask, kept.moments)


ROW_RANKERS.add("hybrid", RowRanker(_hybrid_corpus, _hybrid_rows))
ROW_RANKERS.add("learned", RowRanker(_learned_corpus, _learned_rows))


@dataclass(frozen=True, eq=False)
class QueryProfile:
    """One query watch against one generation: its query's inputs and its ranker's corpus-level values."""
    generation: str
    spec: QuerySpec
    method: str
    mask: np.ndarray | None      # the watch's filter over this generation's rows
    terms: list[str]
    expanded: dict[str, float]
    qvec: np.ndarray
    kept: Kept
    stats: CorpusStats           # mean and spread of the final scores over the filtered corpus

    def scores(self, engine: SearchEngine, rows: Rows) -> np.ndarray:
        """The ranker's scores of `rows` alone, as ranking the whole corpus gives them (-inf outside the filter)."""
        mask = None if self.mask is None else self.mask[rows.padded]
        q = RankQuery(self.terms, self.expanded, mask, rows.view, RowDense(engine.dense, rows.padded),
                      engine.params, engine.models, lambda: self.qvec)
        return np.asarray(ROW_RANKERS.get(self.method).rows(q, self.kept, rows.padded)[rows.pick], dtype=np.float32)


class WatchScorer:
    """Profiles of query watches for the engine being served, and query vectors kept across engines.

    Keep one per process (the server across reloads, a `watch run`): a new generation refreshes each watch's
    profile once, a reload with the same model re-encodes nothing."""

    def __init__(self) -> None:
        self._engine: SearchEngine | None = None
        self._model = ""
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._profiles: dict[str, QueryProfile] = {}
        self._rows: Rows | None = None
        self.refreshed = 0   # profiles built (whole-corpus passes), for benchmarks and tests

    def bind(self, engine: SearchEngine) -> None:
        """Serve this engine: profiles of another engine are dropped, vectors of the same model kept."""
        if engine is self._engine:
            return
        model = json.dumps([engine.embedder.name, engine.embedder.fingerprint], sort_keys=True, default=str)
        if model != self._model:
            self._vectors.clear()
        self._engine, self._model, self._profiles, self._rows = engine, model, {}, None

    def vector(self, engine: SearchEngine, query: str) -> np.ndarray:
        self.bind(engine)
        key = (self._model, query)
        vec = self._vectors.get(key)
        if vec is None:
            vec = self._vectors[key] = engine.encode_query(query)
            if len(self._vectors) > VECTOR_CACHE:
                self._vectors.popitem(last=False)
        else:
            self._vectors.move_to_end(key)
        return vec

    def profile(self, engine: SearchEngine, watch_id: str, spec: QuerySpec, method: str,
                mask: np.ndarray | None) -> QueryProfile:
        """The watch's profile for the engine's generation, built on first use (one whole-corpus ranking)."""
        self.bind(engine)
        old = self._profiles.get(watch_id)
        if old is not None and old.spec == spec and old.method == method:
            return old
        terms = tokens(spec.query)
        qvec = self.vector(engine, spec.query)
        q = RankQuery(terms, engine.expand(terms), mask, engine.view, engine.dense, engine.params, engine.models,
                      lambda: qvec)
        full, kept = ROW_RANKERS.get(method).corpus(q)
        stats = corpus_stats(full, engine.generation, method)
        self._profiles[watch_id] = p = QueryProfile(engine.generation, spec, method, mask, terms, q.expanded, qvec,
                                                    kept, stats)
        self.refreshed += 1
        return p

    def rows(self, engine: SearchEngine, positions: Sequence[int]) -> Rows:
        """The row view of `positions`, built once for every watch that waits for the same papers."""
        self.bind(engine)
        pos = np.asarray(positions, dtype=np.int64)
        if self._rows is None or not np.array_equal(self._rows.positions, pos):
            self._rows = Rows.of(engine, pos)
        return self._rows
