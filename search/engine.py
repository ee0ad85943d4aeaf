"""The search engine: one index generation and one warm model, answering search, similar and more-like.

Rankers (search.rankers) all produce a full-length score array aligned with the
index rows (-inf where the filter excludes a row), so they compose with the same
filters and the same fusion (arxiv-sanity-lite style). They read the index
through the frozen IndexView the engine builds, never the engine itself.
Reloading makes a new engine and swaps it.
"""
from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from indexer.dense.suspicion import Suspicion, Verdict
from indexer.dense.vectors import combine
from indexer.ingest.ids import normalize_arxiv_id
from indexer.ingest.records import Paper
from indexer.reading.reader import LoadedIndex, open_index
from indexer.text.tokenize import latin_share, latin_tokens, tokens
from models.interface import TextEmbedder
from papersearch.registry import Registry
from papersearch.settings import Settings
from search.dense import DenseSearch
from search.features import FeatureSet, query_features
from search.filters import FilterColumns, Filters
from search.index_view import IndexView, expand
from search.lexical import LexicalIndex
from search.limits import NotFoundError, QueryError, building_notice, check, check_k, check_method, live_rankers, valid_text
from search.rankers.fusion import top
from search.rankers.learned import LinearFusion, load_models
from search.rankers.query import METHODS, RankQuery
from search.rankers.ranking import HybridParams, rerank
from search.rankers.similar import SIMILAR_METHODS, Seeds
from search.results import ResultBuilder
from search.schemas import RankMode, SearchResponse, SearchResult
from search.topics import TopicView

QUERY_CACHE_SIZE = 2048  # query vectors kept (1.5 KB each)


@dataclass
class Ranking:
    scores: np.ndarray        # full-length, -inf outside the filter
    terms: list[str]
    expanded: dict[str, float] | None = None   # lexicon terms added to the lexical query, with weights


class SearchEngine:
    def __init__(self, idx: LoadedIndex, embedder: TextEmbedder, params: HybridParams | None = None,
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
        self.clustering = idx.clustering
        self.columns = FilterColumns(self.papers, self.clustering.assignments if self.clustering else None)
        self.agreement = idx.agreement
        # ranking reads a missing summary (a paper only in the feed) like a wrong one (indexer.dense.suspicion:
        # the abstract decides where there is one); `flagged` is what users see: a summary that exists and
        # seems to describe another paper
        self.suspicion: Suspicion = idx.suspicion()
        self.suspect, self.flagged = self.suspicion.suspect, self.suspicion.flagged
        # a quick first pass (`index --quick`) has judged no summary yet: lexical search trusts them all meanwhile
        self.pending: list[str] = idx.manifest.pending
        if self.pending:
            self.suspect = np.zeros(len(self.suspect), dtype=bool)
        self.view = IndexView.of(idx, self.suspect, self._lexical_index(), self.columns.votes,
                                 self.params.expansion_weight)
        self.dense = DenseSearch(idx.ann, self.rids)
        self.results = ResultBuilder(self.papers, self.flagged, self.agreement, self.columns.clusters)
        self.encode_query("warm up")  # first-request latency: load kernels and Kiwi now, not under load
        tokens("warm up")
        if blas_threads:
            # process-wide, once: OpenBLAS threads spinning after each matrix-vector product stole the cores
            # torch encodes the next query on (2 cores: learned search p50 46 -> 18 ms). Limiting per call
            # instead cost a fifth of the throughput at 8 concurrent requests (toggling a global setting).
            threadpool_limits(limits=blas_threads, user_api="blas")

    @classmethod
    def open(cls, settings: Settings, embedder: TextEmbedder | None = None, params: HybridParams | None = None,
             models: dict[str, LinearFusion] | None = None) -> SearchEngine:
        """Load the served generation with a warm model (`settings.query_blas_threads` applies to searches)."""
        idx = open_index(Path(settings.data_dir))
        try:
            idx.manifest.check_model(settings.model)
            if embedder is None:
                from models.loading import embedder_for

                embedder = embedder_for(settings, serving=True)
            # a server reloading a rebuilt index must not query it with another model's vectors
            idx.manifest.check_model(embedder.name, embedder.fingerprint)
        except BaseException:
            idx.close()
            raise
        return cls(idx, embedder, params or HybridParams.from_settings(settings), models, settings.query_blas_threads)

    def _lexical_index(self) -> LexicalIndex:
        """BM25 from the tokens cached in the store, with the current title boost; the English abstracts are
        tokenised here (a regular expression, no Kiwi: ~0.1 s for the corpus)."""
        lex = self.idx.store.lexical_tokens()
        return LexicalIndex.from_fields(
            [lex.get(int(r), ([], []))[0] for r in self.rids],
            [lex.get(int(r), ([], []))[1] for r in self.rids],
            title_boost=self.params.title_boost,
            abstract_tokens=[latin_tokens(p.abstract) for p in self.papers],
        )

    def rebuild_lexical(self) -> None:
        """Rebuild BM25 (after a title boost change); the rankers see it through a new view."""
        self.view = dataclasses.replace(self.view, lexical=self._lexical_index())

    def set_weights(self, weights: dict[str, float]) -> None:
        """Re-weight title vs summary in the in-memory FAISS index (experiments; the saved index is untouched)."""
        paper_vecs = combine(self.idx.vectors, weights, self.suspect, self.view.adapters.summary_predictor)
        self.view = dataclasses.replace(self.view, paper_vecs=paper_vecs)
        self.idx.ann.index_vectors(self.rids, paper_vecs)
        self.idx.manifest.weights = dict(weights)

    @property
    def size(self) -> int:
        return len(self.papers)

    def close(self) -> None:
        self.idx.close()

    # ---- rankers: full-length score arrays -------------------------------------------------
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
        return expand(self.view, terms)

    def features(self, query: str, terms: list[str] | None = None, qvec: np.ndarray | None = None) -> FeatureSet:
        terms = tokens(query) if terms is None else terms
        qvec = self.encode_query(query) if qvec is None else qvec
        return query_features(self.view, qvec, terms, self.expand(terms))

    def rankings(self, query: str, mask: np.ndarray | None,
                 methods: Iterable[str] = METHODS) -> tuple[dict[str, np.ndarray], Ranking]:
        """Full-length scores per method from one query encoding (the quality harness asks for all of them)."""
        terms = tokens(query)
        q = RankQuery(terms, self.expand(terms), mask, self.view, self.dense, self.params, self.models,
                      lambda: self.encode_query(query))
        return {m: METHODS.get(m)(q) for m in methods}, Ranking(np.empty(0), terms, q.expanded)

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
        method = self.resolve_method(method, METHODS)
        query, notices = check(query, k)
        notices += building_notice(self.pending, method)
        filters = self.current_topic(filters, notices)
        mask = self.columns.mask(filters)
        aid = normalize_arxiv_id(query)
        if aid is not None:  # "papers like this one", ranked by the same modes and with the same facets
            sim_method = method if method in SIMILAR_METHODS else self.resolve_method(None, SIMILAR_METHODS)
            scores, mask, seeds = self.like_scores([aid], [], filters, sim_method)
            r = Ranking(scores, tokens(self.papers[self.pos_of[aid]].title))
            similar_to = seeds
        else:
            r, similar_to = self.rank(query, mask, method), []
        total = self.size if mask is None else int(mask.sum())
        if method == "lexical" and aid is None and not np.isfinite(r.scores).any():
            notices.append("no query term occurs in the corpus")
        pos, scores = top(r.scores, max(k, self.params.pool))
        facets = self.results.facets(pos)
        pos, scores = rerank(pos, scores, mode, self.columns, k, self.params)
        highlight = r.terms + list(r.expanded or {})
        english = None if aid is not None else latin_share(r.terms)  # the snippet's text follows the query's language
        return SearchResponse(query=query, mode=mode, total=total, notices=notices, facets=facets, similar_to=similar_to,
                              method=method, expanded_terms={t: round(w, 3) for t, w in (r.expanded or {}).items()},
                              results=self.results.results(pos, scores, highlight, english))

    def resolve_method(self, method: str | None, allowed: Registry) -> str:
        """The requested ranker, validated; by default the learned one where it ships and is live (search.limits)."""
        kind, fallback = ("similar", "dense") if allowed is SIMILAR_METHODS else ("query", "hybrid")
        return check_method(method, allowed, kind in self.models, fallback, live_rankers(self.pending, allowed.names()),
                             f"the index is still being built ({', '.join(self.pending)} pending)")

    def similar(self, arxiv_id: str, k: int = 10, filters: Filters = Filters(), method: str | None = None,
                mode: RankMode = RankMode.relevance) -> SearchResponse:
        return self.more_like([arxiv_id], [], k=k, filters=filters, method=method, mode=mode)

    def more_like(
        self, positive: list[str], negative: list[str] | None = None, k: int = 10, filters: Filters = Filters(),
        method: str | None = None, mode: RankMode = RankMode.relevance,
    ) -> SearchResponse:
        """Papers like the positives and unlike the negatives; inputs excluded. `mode` re-orders the relevant
        head by votes, recency or a blend, exactly as search() does."""
        if not positive:
            raise QueryError("give at least one positive arXiv id")
        check_k(k)
        method = self.resolve_method(method, SIMILAR_METHODS)
        scores, mask, seeds = self.like_scores(positive, negative or [], filters, method)
        pos, s = top(scores, max(k, self.params.pool))
        facets = self.results.facets(pos)
        pos, s = rerank(pos, s, mode, self.columns, k, self.params)
        terms = tokens(" ".join(self.paper(a).title for a in seeds))
        return SearchResponse(query=" ".join(seeds), mode=mode, total=int(mask.sum()), similar_to=seeds, facets=facets,
                              method=method, results=self.results.results(pos, s, terms),
                              notices=building_notice(self.pending, method))

    def like_scores(self, positive: list[str], negative: list[str], filters: Filters,
                    method: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Scores for "more like these" by one method (search.rankers.similar), the inputs masked out:
        (full-length scores, the mask they were ranked under, the positives' canonical ids)."""
        ids = [self._require(a) for a in [*positive, *negative]]
        pos_idx, neg_idx = ids[: len(positive)], ids[len(positive):]
        mask = self.columns.mask(filters)
        mask = np.ones(self.size, dtype=bool) if mask is None else mask.copy()
        mask[ids] = False
        seeds = Seeds(pos_idx, neg_idx, mask, self.view, self.dense, self.models)
        return SIMILAR_METHODS.get(method)(seeds), mask, [self.papers[i].arxiv_id for i in pos_idx]

    def cluster_papers(self, cluster_id: int, k: int = 50) -> tuple[int, list[SearchResult]]:
        """Members of a topic cluster, most voted first (then most recent)."""
        if self.columns.clusters is None:
            return 0, []
        members = np.nonzero(self.columns.clusters == cluster_id)[0]
        order = sorted(members.tolist(), key=lambda i: self.papers[i].last_seen or "", reverse=True)
        order.sort(key=lambda i: -(self.papers[i].votes_max or 0))  # stable: equal votes stay newest first
        return len(members), self.cards(self.papers[i].arxiv_id for i in order[:k])

    def cards(self, arxiv_ids: Iterable[str]) -> list[SearchResult]:
        """Papers as result cards in the order given, scored by votes (topic, author, watch lists: no query)."""
        rows = [self._require(a) for a in arxiv_ids]
        return [self.results.result(i, float(self.papers[i].votes_max or 0), []) for i in rows]

    def paper(self, arxiv_id: str) -> Paper:
        return self.papers[self._require(arxiv_id)]

    def summary_check(self, arxiv_id: str) -> Verdict:
        """Whether the paper's summary is flagged, why, and both agreements (None where a text is missing)."""
        return self.suspicion.verdict(self._require(arxiv_id))

    # ---- helpers -------------------------------------------------------------------------
    def current_topic(self, filters: Filters, notices: list[str] | None = None) -> Filters:
        """A retired topic id filters by the topic most of its papers joined (links keep working); `notices` says so."""
        c = self.clustering
        target = c.resolve(filters.cluster) if filters.cluster is not None and c is not None else None
        if target is None or target == filters.cluster:
            return filters  # a live topic, or unknown (the filter says so)
        if notices is not None:
            notices.append(f"topic {filters.cluster} is now topic {target}")
        return dataclasses.replace(filters, cluster=target)

    def _require(self, arxiv_id: str) -> int:
        aid = normalize_arxiv_id(arxiv_id) or valid_text(arxiv_id).strip()
        if aid not in self.pos_of:
            raise NotFoundError(f"paper {aid[:100]} is not in the index")
        return self.pos_of[aid]

    check_k = staticmethod(check_k)  # request validation lives in search.limits; kept here for callers
    check = staticmethod(check)

    # ---- read-only views for the API (search.topics, search.status) -------------------------
    @property
    def generation(self) -> str:
        """The served generation's name: which index answered (X-Index-Generation, /healthz)."""
        return self.idx.generation.name

    @property
    def topics(self) -> TopicView | None:
        """The served topics, or None for an index built without them."""
        return TopicView(self.clustering, self.papers, self.pos_of) if self.clustering is not None else None
