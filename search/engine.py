"""The search engine: dense + Korean-aware BM25, fused, filtered exactly, ranked by mode.

Rankers all produce a full-length score array aligned with the index rows
(-inf where the filter excludes a row), so they compose with the same filters
and the same fusion (arxiv-sanity-lite style). The engine loads one index
generation and one warm model; reloading makes a new engine and swaps it.
"""
from __future__ import annotations

import dataclasses
import numbers
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from indexer.dense.agreement import SUSPECT_BELOW, suspect_mask
from indexer.ingest.ids import normalize_arxiv_id
from indexer.text.passages import summary_text
from indexer.reading.reader import LoadedIndex, open_index
from papersearch.settings import Settings
from indexer.dense.vectors import combine, summary_like
from search.features import SEED_TERMS, FeatureSet, query_features, seed_features
from search.filters import FilterColumns, Filters
from search.fusion import top
from search.learned import LinearFusion, load_models
from search.lexical import LexicalIndex
from search.ranking import HybridParams, fuse, rerank
from search.schemas import RankMode, SearchResponse, SearchResult
from search.snippet import make_snippet
from indexer.text.tokenize import tokens

MAX_QUERY_CHARS = 500
QUERY_CACHE_SIZE = 2048  # query vectors kept (1.5 KB each)


def valid_text(text: str) -> str:
    """Lone surrogates (JSON allows "\\ud800") become U+FFFD: they cannot be tokenised or encoded in a response."""
    return text if text.isascii() else text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
MAX_K = 100
# relevance rankers; the votes / recency / blend modes re-rank their candidates. "learned" is the
# default where its trained weights ship (search/fusion_weights.json), "hybrid" the hand-tuned fallback.
METHODS = ("lexical", "dense", "hybrid", "learned")
SIMILAR_METHODS = ("dense", "lexical", "learned")


class QueryError(ValueError):
    """The request itself is wrong (empty query, bad k): a 400/422, not a server error."""


class NotFoundError(LookupError):
    pass


@dataclass
class Ranking:
    scores: np.ndarray        # full-length, -inf outside the filter
    terms: list[str]
    expanded: dict[str, float] | None = None   # lexicon terms added to the lexical query, with weights


class SearchEngine:
    def __init__(self, idx: LoadedIndex, embedder, params: HybridParams | None = None,
                 models: dict[str, LinearFusion] | None = None, blas_threads: int = 1):
        self.idx, self.embedder = idx, embedder
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._qlock = threading.Lock()
        self.params = params or HybridParams()
        self.models = load_models() if models is None else models
        by_rid = dict(idx.store.all())
        self.rids = idx.ids.astype(np.int64)
        self.papers = [by_rid[int(r)] for r in self.rids]
        self.pos_of = {p.arxiv_id: i for i, p in enumerate(self.papers)}
        # row id -> position, as a dense lookup array (row ids are small positive ints)
        self._pos_of_rid = np.full(int(self.rids.max(initial=0)) + 1, -1, dtype=np.int64)
        self._pos_of_rid[self.rids] = np.arange(len(self.rids))
        self.clustering = idx.clustering
        self.columns = FilterColumns(self.papers, self.clustering.assignments if self.clustering else None)
        self.rebuild_lexical()
        self.title_vecs = idx.vectors["title"]
        self.summary_vecs = idx.vectors["summary"]
        self.agreement = idx.agreement
        # ranking reads a missing summary (a paper only in the feed) like a wrong one: its title, mapped into
        # summary space, stands in for it, BM25 reads its title only (indexer.dense.agreement); `flagged` is the
        # user-facing "summary suspect" flag: a summary that exists and seems to describe another paper
        self.suspect = suspect_mask(self.agreement, idx.manifest.extra.get("suspect_threshold", SUSPECT_BELOW))
        self.flagged = self.suspect & ~np.isnan(self.agreement)
        self.adapters = idx.adapters
        self.gloss_vecs = idx.gloss  # None for generations built before the English view
        predict = self.adapters.summary_predictor
        self.paper_vecs = combine(idx.vectors, idx.manifest.weights, self.suspect, predict)  # what FAISS holds
        self.summary_like = summary_like(idx.vectors["title"], idx.vectors["summary"], self.suspect, predict)
        self.log_votes = np.log1p(np.maximum(self.columns.votes, 0)).astype(np.float32)
        self.lexicon = idx.lexicon
        self._summaries = [summary_text(p) for p in self.papers]
        self.encode_query("warm up")  # first-request latency: load kernels and Kiwi now, not under load
        tokens("warm up")
        if blas_threads:
            # process-wide, once: OpenBLAS threads spinning after each matrix-vector product stole the cores
            # torch encodes the next query on (2 cores: learned search p50 46 -> 18 ms). Limiting per call
            # instead cost a fifth of the throughput at 8 concurrent requests (toggling a global setting).
            threadpool_limits(limits=blas_threads, user_api="blas")

    @classmethod
    def open(cls, settings: Settings, embedder=None, params: HybridParams | None = None,
             models: dict[str, LinearFusion] | None = None) -> "SearchEngine":
        """Load the served generation with a warm model (`settings.query_blas_threads` applies to searches)."""
        idx = open_index(Path(settings.data_dir))
        try:
            idx.manifest.check_model(settings.model)
            if embedder is None:
                from indexer.pipeline.build import embedder_for

                embedder = embedder_for(settings, serving=True)
            # a server reloading a rebuilt index must not query it with another model's vectors
            idx.manifest.check_model(embedder.name, embedder.fingerprint)
        except BaseException:
            idx.close()
            raise
        return cls(idx, embedder, params or HybridParams.from_settings(settings), models, settings.query_blas_threads)

    def rebuild_lexical(self) -> None:
        """(Re)build BM25 from the tokens cached in the store, with the current title boost."""
        lex = self.idx.store.lexical_tokens()
        self.lexical = LexicalIndex.from_fields(
            [lex.get(int(r), ([], []))[0] for r in self.rids],
            [lex.get(int(r), ([], []))[1] for r in self.rids],
            title_boost=self.params.title_boost,
        )

    def set_weights(self, weights: dict[str, float]) -> None:
        """Re-weight title vs summary in the in-memory FAISS index (experiments; the saved index is untouched)."""
        self.paper_vecs = combine(self.idx.vectors, weights, self.suspect,
                                  self.adapters.summary_predictor)
        self.idx.ann.index_vectors(self.rids, self.paper_vecs)
        self.idx.manifest.weights = dict(weights)

    @property
    def size(self) -> int:
        return len(self.papers)

    def close(self) -> None:
        self.idx.close()

    # ---- rankers: full-length score arrays -------------------------------------------------
    def dense_scores(self, qvec: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        """Exact inner product against the FAISS index, restricted to `mask` inside FAISS."""
        out = np.full(self.size, -np.inf, dtype=np.float32)
        allowed = self.rids if mask is None else self.rids[mask]
        if len(allowed) == 0:
            return out
        scores, ids = self.idx.ann.search(qvec, len(allowed), allowed=allowed if mask is not None else None)
        keep = ids[0] >= 0
        out[self._pos_of_rid[ids[0][keep]]] = scores[0][keep]
        return out

    def encode_query(self, query: str) -> np.ndarray:
        """The query's vector, from a small LRU cache: paging, re-filtering and re-sorting repeat a query."""
        with self._qlock:
            hit = self._qcache.get(query)
            if hit is not None:
                self._qcache.move_to_end(query)
                return hit
        vec = self.embedder.encode_queries([query])[0]
        vec.setflags(write=False)  # shared between requests: nobody may change it in place
        with self._qlock:
            self._qcache[query] = vec
            if len(self._qcache) > QUERY_CACHE_SIZE:
                self._qcache.popitem(last=False)
        return vec

    def expand(self, terms: list[str]) -> dict[str, float]:
        """Other-language lexicon terms for the lexical ranker, weighted below the query's own."""
        return self.lexicon.expand(terms, self.params.expansion_weight)

    def title_term_cover(self, terms: list[str]) -> np.ndarray:
        """Per paper: share of these distinct terms that occur in its title."""
        cols = [self.lexical.vocab[t] for t in terms if t in self.lexical.vocab]
        if not terms or not cols:
            return np.zeros(self.size, dtype=np.float32)
        hit = self.lexical.fields["title"].matrix[:, cols] > 0
        return (np.asarray(hit.sum(axis=1)).ravel() / len(terms)).astype(np.float32)

    def seed_terms(self, positions: list[int]) -> dict[str, float]:
        """A seed paper's most distinctive BM25 terms (title only when its summary is suspect)."""
        out: dict[str, float] = {}
        for p in positions:
            field = "title" if self.suspect[p] else "all"
            for t, w in self.lexical.top_terms(p, SEED_TERMS, field).items():
                out[t] = out.get(t, 0.0) + w / len(positions)
        return out

    def features(self, query: str, terms: list[str] | None = None, qvec: np.ndarray | None = None) -> FeatureSet:
        terms = tokens(query) if terms is None else terms
        qvec = self.encode_query(query) if qvec is None else qvec
        return query_features(self, qvec, terms, self.expand(terms))

    def rankings(self, query: str, mask: np.ndarray | None, methods=METHODS) -> tuple[dict[str, np.ndarray], Ranking]:
        """Full-length scores per method from one query encoding (the quality harness asks for all of them)."""
        terms = tokens(query)
        expanded = self.expand(terms)
        out: dict[str, np.ndarray] = {}
        need_dense = {"dense", "hybrid", "learned"} & set(methods)
        qvec = self.encode_query(query) if need_dense else None
        lexical = None
        if {"lexical", "hybrid"} & set(methods):
            # one weighted query: the expansion never repeats a query term, so the two sets simply merge
            lexical = self.lexical.trusted_scores({**Counter(terms), **expanded}, self.suspect)
            lexical = lexical if mask is None else np.where(mask, lexical, -np.inf).astype(np.float32)
        dense = self.dense_scores(qvec, mask) if {"dense", "hybrid"} & set(methods) else None
        if "lexical" in methods:  # a paper sharing no term with the query is not a lexical hit
            out["lexical"] = np.where(lexical > 0, lexical, -np.inf).astype(np.float32)
        if "dense" in methods:
            out["dense"] = dense
        if "hybrid" in methods:
            out["hybrid"] = fuse(dense, lexical, mask, self.params)
        if "learned" in methods:
            model = self.models["query"]
            out["learned"] = model.score(query_features(self, qvec, terms, expanded, model.features), mask)
        return out, Ranking(np.empty(0), terms, expanded)

    def rank(self, query: str, mask: np.ndarray | None, method: str = "hybrid") -> Ranking:
        scores, r = self.rankings(query, mask, (method,))
        r.scores = scores[method]
        return r

    # ---- public API --------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 10,
        filters: Filters = Filters(),
        mode: RankMode = RankMode.relevance,
        method: str | None = None,
    ) -> SearchResponse:
        method = self._method(method, METHODS)
        query, notices = self.check(query, k)
        filters = self._current_topic(filters, notices)
        mask = self.columns.mask(filters)
        aid = normalize_arxiv_id(query)
        if aid is not None:  # "papers like this one", ranked by the same modes and with the same facets
            sim_method = method if method in SIMILAR_METHODS else self._method(None, SIMILAR_METHODS)
            scores, mask, seeds = self._like([aid], [], filters, sim_method)
            r = Ranking(scores, tokens(self.papers[self.pos_of[aid]].title))
            similar_to = seeds
        else:
            r = self.rank(query, mask, method)
            similar_to = []
        total = self.size if mask is None else int(mask.sum())
        if method == "lexical" and aid is None and not np.isfinite(r.scores).any():
            notices.append("no query term occurs in the corpus")
        pos, scores = top(r.scores, max(k, self.params.pool))
        facets = self._facets(pos)
        pos, scores = rerank(pos, scores, mode, self.columns, k, self.params)
        highlight = r.terms + list(r.expanded or {})
        return SearchResponse(query=query, mode=mode, total=total, notices=notices, facets=facets, similar_to=similar_to,
                              method=method, expanded_terms={t: round(w, 3) for t, w in (r.expanded or {}).items()},
                              results=[self._result(int(p), float(s), highlight) for p, s in zip(pos, scores)])

    def _method(self, method: str | None, allowed: tuple[str, ...]) -> str:
        """The requested ranker, validated; by default the learned one where its weights ship."""
        kind, fallback = ("similar", "dense") if allowed is SIMILAR_METHODS else ("query", "hybrid")
        if method is None:
            return "learned" if kind in self.models else fallback
        if method not in allowed:
            raise QueryError(f"method must be one of {', '.join(allowed)}, got {method!r}")
        if method == "learned" and kind not in self.models:
            raise QueryError("no learned ranker is installed (search/fusion_weights.json); choose another method")
        return method

    def _facets(self, pos: np.ndarray) -> dict[str, int]:
        if self.columns.clusters is None or len(pos) == 0:
            return {}
        ids, counts = np.unique(self.columns.clusters[pos], return_counts=True)
        return {str(int(i)): int(c) for i, c in sorted(zip(ids, counts), key=lambda t: -t[1]) if i >= 0}

    def similar(self, arxiv_id: str, k: int = 10, filters: Filters = Filters(), method: str | None = None) -> SearchResponse:
        return self.more_like([arxiv_id], [], k=k, filters=filters, method=method)

    def more_like(
        self, positive: list[str], negative: list[str] | None = None, k: int = 10, filters: Filters = Filters(),
        method: str | None = None,
    ) -> SearchResponse:
        """Papers like the positives and unlike the negatives; inputs excluded."""
        if not positive:
            raise QueryError("give at least one positive arXiv id")
        self.check_k(k)
        method = self._method(method, SIMILAR_METHODS)
        scores, mask, seeds = self._like(positive, negative or [], filters, method)
        pos, s = top(scores, max(k, self.params.pool))
        facets = self._facets(pos)
        terms = tokens(" ".join(self.paper(a).title for a in seeds))
        return SearchResponse(query=" ".join(seeds), total=int(mask.sum()), similar_to=seeds, facets=facets,
                              method=method,
                              results=[self._result(int(p), float(v), terms) for p, v in zip(pos[:k], s[:k])])

    def _like(self, positive: list[str], negative: list[str], filters: Filters, method: str):
        """Scores for "more like these" by one method, with the inputs masked out.

        dense: Rocchio on the index vectors (mean of the positives minus half the negatives);
        lexical: BM25 with the seeds' most distinctive terms (title only for a suspect summary);
        learned: both, with title/summary/cross-lingual similarities, fused by the trained weights.
        """
        ids = [self._require(a) for a in [*positive, *negative]]
        pos_idx, neg_idx = ids[: len(positive)], ids[len(positive):]
        mask = self.columns.mask(filters)
        mask = np.ones(self.size, dtype=bool) if mask is None else mask.copy()
        mask[ids] = False
        seeds = [self.papers[i].arxiv_id for i in pos_idx]
        if method == "dense":
            vec = self.paper_vecs[pos_idx].mean(axis=0)
            if neg_idx:
                vec = vec - 0.5 * self.paper_vecs[neg_idx].mean(axis=0)
            vec = vec / (np.linalg.norm(vec) or 1.0)
            return self.dense_scores(vec, mask), mask, seeds
        if method == "lexical":
            s = seed_features(self, pos_idx, neg_idx, frozenset({"bm25_seed"})).values["bm25_seed"]
            return np.where(mask & (s > 0), s, -np.inf).astype(np.float32), mask, seeds
        model = self.models["similar"]
        return model.score(seed_features(self, pos_idx, neg_idx, model.features), mask), mask, seeds

    def cluster_papers(self, cluster_id: int, k: int = 50) -> tuple[int, list[SearchResult]]:
        """Members of a topic cluster, most voted first (then most recent)."""
        if self.columns.clusters is None:
            return 0, []
        members = np.nonzero(self.columns.clusters == cluster_id)[0]
        order = sorted(members.tolist(), key=lambda i: self.papers[i].last_seen or "", reverse=True)
        order.sort(key=lambda i: -(self.papers[i].votes_max or 0))  # stable: equal votes stay newest first
        return len(members), [self._result(i, float(self.papers[i].votes_max or 0), []) for i in order[:k]]

    def paper(self, arxiv_id: str):
        return self.papers[self._require(arxiv_id)]

    def is_suspect(self, arxiv_id: str) -> tuple[bool, float | None]:
        """(flagged, title-summary agreement); agreement None for a paper without a Korean summary."""
        i = self._require(arxiv_id)
        return bool(self.flagged[i]), self._agreement(i)

    def _agreement(self, i: int) -> float | None:
        a = float(self.agreement[i])
        return None if np.isnan(a) else round(a, 4)

    # ---- helpers -------------------------------------------------------------------------
    def _current_topic(self, filters: Filters, notices: list[str]) -> Filters:
        """A topic id retired by a re-cluster filters by the topic most of its papers joined (links keep working)."""
        c = self.clustering
        target = c.resolve(filters.cluster) if filters.cluster is not None and c is not None else None
        if target is None or target == filters.cluster:
            return filters  # a live topic, or unknown (the filter says so)
        notices.append(f"topic {filters.cluster} is now topic {target}")
        return dataclasses.replace(filters, cluster=target)

    def _require(self, arxiv_id: str) -> int:
        aid = normalize_arxiv_id(arxiv_id) or valid_text(arxiv_id).strip()
        if aid not in self.pos_of:
            raise NotFoundError(f"paper {aid[:100]} is not in the index")
        return self.pos_of[aid]

    @staticmethod
    def check_k(k: int) -> None:
        if not isinstance(k, numbers.Integral) or isinstance(k, bool) or not 1 <= k <= MAX_K:
            raise QueryError(f"k must be between 1 and {MAX_K}, got {k}")

    @staticmethod
    def check(query: str, k: int) -> tuple[str, list[str]]:
        SearchEngine.check_k(k)
        q = " ".join(valid_text(query or "").split())
        if not q:
            raise QueryError("the query is empty")
        notices = []
        if len(q) > MAX_QUERY_CHARS:
            q = q[:MAX_QUERY_CHARS]
            notices.append(f"query cut to its first {MAX_QUERY_CHARS} characters")
        return q, notices

    def _result(self, i: int, score: float, terms: list[str]) -> SearchResult:
        p = self.papers[i]
        return SearchResult(
            arxiv_id=p.arxiv_id, title=p.title, authors=p.authors, votes=p.votes_max, dates=p.dates,
            score=round(score, 5), snippet=make_snippet(self._summaries[i], terms), arxiv_url=p.arxiv_url,
            thumbnail_url=p.thumbnail_url, summary_suspect=bool(self.flagged[i]),
            cluster=int(self.columns.clusters[i]) if self.columns.clusters is not None else None,
            agreement=self._agreement(i),
        )
