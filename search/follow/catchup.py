"""Catch watches up with the index: the thin part of the matcher that calls the search engine.

The ranker lives above the indexer, so matching cannot run inside the build; it runs here, after `index`
publishes, in `watch run` and when the server loads a new generation. Each run first syncs the generation's
papers into the store's arrivals log, then matches every watch against the arrivals it has not seen
(WatchStore.pending) and records the matches with each watch's new position in one transaction: rerunning
after a kill at any point loses nothing and matches nothing twice. A new watch is backfilled with the papers
featured in the days before the index's newest date, so its feed is not empty. A query watch scores only the
rows it waits for, against its profile of the generation (search.follow.scoring): keep the EngineSource's
scorer across reloads and no generation re-encodes a watch's query.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

import numpy as np

from indexer.ingest.records import Paper
from search.engine import SearchEngine
from search.filters import FilterError, Filters
from search.follow.authors import AuthorIndex, UnknownAuthor
from search.follow.matching import (
    Decision,
    ThresholdRule,
    author_decisions,
    corpus_stats,
    decide,
    match_hash,
    seed_candidates,
)
from search.follow.models import AuthorSpec, CorpusStats, InvalidWatch, Match, QuerySpec, SeedsSpec, Spec, Watch
from search.follow.scoring import WatchScorer
from search.follow.store import Progress, WatchStore, utcnow
from search.limits import NotFoundError, QueryError
from search.rankers.query import METHODS
from search.rankers.similar import SIMILAR_METHODS

BACKFILL_DAYS = 14


class ScoreSource(Protocol):
    """What matching needs from the search engine: the served papers and full-length score arrays."""

    @property
    def generation(self) -> str: ...

    @property
    def papers(self) -> Sequence[Paper]: ...

    @property
    def partial(self) -> bool:
        """A quick first pass (lexical and title vectors only): watches wait for the complete generation."""

    def query_scores(self, spec: QuerySpec) -> tuple[str, np.ndarray]:
        """(the ranker used, its score per paper; -inf outside the watch's filters)"""

    def row_scores(self, watch: Watch, rows: Sequence[int]) -> tuple[np.ndarray, CorpusStats]:
        """A query watch's scores of the papers at `rows` alone, equal to `query_scores` on them, and the
        statistics of its whole-corpus scores."""

    def seed_scores(self, spec: SeedsSpec) -> tuple[str, np.ndarray]:
        """(the ranker used, "more like these" score per paper; -inf for the seeds themselves)"""

    def check(self, spec: Spec) -> Spec:
        """The spec as the index knows it (an author under the spelling the corpus uses most); InvalidWatch
        naming the field when the index cannot serve it (unknown seed, author, topic)."""


class EngineSource:
    """ScoreSource over a loaded SearchEngine: the same default rankers, retired-topic resolution and seed
    scoring as its search (SearchEngine.resolve_method, current_topic, like_scores). One per generation."""

    def __init__(self, engine: SearchEngine, scorer: WatchScorer | None = None):
        self.engine = engine
        self.scorer = scorer or WatchScorer()
        self._authors: AuthorIndex | None = None

    @property
    def generation(self) -> str:
        return self.engine.generation

    @property
    def papers(self) -> Sequence[Paper]:
        return self.engine.papers

    @property
    def partial(self) -> bool:
        return bool(self.engine.pending)

    @property
    def authors(self) -> AuthorIndex:
        """The served generation's author index, with its topics (built once, on first use)."""
        if self._authors is None:
            e = self.engine
            labels = {c.id: c.label for c in e.clustering.clusters} if e.clustering else None
            self._authors = AuthorIndex(e.papers, e.columns.clusters, labels)
        return self._authors

    def query_plan(self, spec: QuerySpec) -> tuple[str, np.ndarray | None]:
        """(the ranker a query watch runs, the rows its filters keep; None: all)"""
        e = self.engine
        return e.resolve_method(spec.method, METHODS), e.columns.mask(e.current_topic(spec.filters(), []))

    def query_scores(self, spec: QuerySpec) -> tuple[str, np.ndarray]:
        method, mask = self.query_plan(spec)
        return method, self.engine.rank(spec.query, mask, method).scores

    def row_scores(self, watch: Watch, rows: Sequence[int]) -> tuple[np.ndarray, CorpusStats]:
        assert isinstance(watch.spec, QuerySpec)
        profile = self.scorer.profile(self.engine, watch.id, watch.spec, *self.query_plan(watch.spec))
        return profile.scores(self.engine, self.scorer.rows(self.engine, rows)), profile.stats

    def seed_scores(self, spec: SeedsSpec) -> tuple[str, np.ndarray]:
        method = self.engine.resolve_method(spec.method, SIMILAR_METHODS)
        return method, self.engine.like_scores(spec.positive, spec.negative, Filters(), method)[0]

    def check(self, spec: Spec) -> Spec:
        e = self.engine
        try:
            if isinstance(spec, QuerySpec):
                e.resolve_method(spec.method, METHODS)
                e.columns.mask(e.current_topic(spec.filters(), []))
            elif isinstance(spec, SeedsSpec):
                e.resolve_method(spec.method, SIMILAR_METHODS)
                for name in ("positive", "negative"):
                    for aid in getattr(spec, name):
                        if aid not in e.pos_of:
                            raise InvalidWatch(name, f"paper {aid} is not in the index")
            else:  # "ziwei  LIU" follows, and names its feed after, "Ziwei Liu"
                return AuthorSpec(author=self.authors.lookup(spec.author).name)
        except QueryError as exc:
            raise InvalidWatch("method", str(exc)) from None
        except FilterError as exc:
            raise InvalidWatch("cluster", str(exc).removeprefix("cluster: ")) from None
        except UnknownAuthor as exc:
            raise InvalidWatch("author", str(exc)) from None
        return spec


@dataclass
class CatchUp:
    generation: str
    current: bool                       # False: the store follows a newer generation; nothing was matched
    arrived: int = 0                    # papers new or changed in this generation
    matched: dict[str, list[Match]] = field(default_factory=dict)   # watch id -> its new matches
    problems: dict[str, str] = field(default_factory=dict)          # watch id -> why it was not caught up


def _decisions(source: ScoreSource, watch: Watch, rows: Sequence[int], rule: ThresholdRule,
               ) -> tuple[list[Decision], CorpusStats | None]:
    """Which of the papers at `rows` the watch keeps, and the statistics that decided it."""
    spec, papers = watch.spec, source.papers
    if not rows:
        return [], None
    if isinstance(spec, AuthorSpec):
        return author_decisions([papers[i] for i in rows], spec), None
    if isinstance(spec, QuerySpec):  # only the waiting rows are scored, against the corpus statistics
        scores, stats = source.row_scores(watch, rows)
        return decide([papers[i].arxiv_id for i in rows], scores, stats, rule), stats
    method, scores = source.seed_scores(spec)
    ids = [papers[i].arxiv_id for i in rows]
    rows = [rows[i] for i in seed_candidates(ids, spec)]
    stats = watch.stats
    if stats is None or (stats.generation, stats.method) != (source.generation, method):
        stats = corpus_stats(scores, source.generation, method)  # refreshed once per generation
    return decide([papers[i].arxiv_id for i in rows], scores[list(rows)], stats, rule), stats


def catch_up(source: ScoreSource, store: WatchStore, rule: ThresholdRule = ThresholdRule()) -> CatchUp:
    """Sync the served generation into the store and match every watch against what it has not seen; every
    watch's result is recorded in one transaction at the end."""
    if source.partial:  # not synced either: the complete generation's arrivals are these papers, judged fully
        return CatchUp(source.generation, False)
    papers = source.papers
    hashes = [match_hash(p) for p in papers]
    sync = store.sync(source.generation, zip((p.arxiv_id for p in papers), hashes))
    report = CatchUp(source.generation, sync.current, sync.arrived)
    if not sync.current:
        return report
    row_of = {p.arxiv_id: i for i, p in enumerate(papers)}
    now = utcnow()
    watches = store.watches()
    log = store.arrivals(min((w.seen_seq for w in watches), default=0))
    seqs = [a.seq for a in log]
    progress: list[Progress] = []
    for watch in watches:
        arrivals = log[bisect_right(seqs, watch.seen_seq):]
        if not arrivals:
            continue
        # a paper pruned from the index since it arrived cannot match; one changed since has a newer arrival
        rows = [row_of[a.arxiv_id] for a in arrivals
                if a.arxiv_id in row_of and hashes[row_of[a.arxiv_id]] == a.content_hash]
        try:
            decisions, stats = _decisions(source, watch, rows, rule)
        except (QueryError, FilterError, NotFoundError) as exc:  # e.g. a seed paper pruned from the corpus
            report.problems[watch.id] = str(exc)
            continue
        matches = [d.match(source.generation, now, hashes[row_of[d.arxiv_id]]) for d in decisions]
        progress.append(Progress(watch, arrivals[-1].seq, matches, stats))
    recorded = store.record_all(progress)
    report.matched = {p.watch.id: list(p.matches) for p in progress if p.watch.id in recorded}
    return report


def recent_rows(papers: Sequence[Paper], days: int = BACKFILL_DAYS) -> list[int]:
    """Rows of the papers featured in the `days` days that end on the newest digest date of the index."""
    newest = max((p.last_seen for p in papers if p.last_seen), default=None)
    if newest is None or days < 1:
        return []
    start = (date.fromisoformat(newest) - timedelta(days=days - 1)).isoformat()
    return [i for i, p in enumerate(papers) if any(start <= d <= newest for d in p.dates)]


def create_watch(source: ScoreSource, store: WatchStore, spec: Spec, name: str | None = None,
                 client: str | None = None, rule: ThresholdRule = ThresholdRule(),
                 backfill_days: int = BACKFILL_DAYS) -> tuple[Watch, list[Match]]:
    """Check the spec against the index, save the watch (caps apply) and backfill its recent matches.

    The served generation is synced first, so the new watch starts after everything the index holds."""
    spec = source.check(spec)
    papers = source.papers
    hashes = {p.arxiv_id: match_hash(p) for p in papers}
    store.sync(source.generation, hashes.items())
    watch = store.create(spec, name, client)
    decisions, _ = _decisions(source, watch, recent_rows(papers, backfill_days), rule)
    now = utcnow()
    matches = [d.match(source.generation, now, hashes[d.arxiv_id]) for d in decisions]
    store.add_matches(watch.id, matches)
    return watch, matches
