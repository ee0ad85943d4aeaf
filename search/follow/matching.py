"""The matcher core, pure: which of the papers new to the index a watch keeps.

A query or seeds watch keeps a new paper when the ranker finds it relevant, not merely the best of a small
day: its score is z-scored against the watch's corpus-level statistics (the mean and spread of the same
ranker's scores over the whole filtered corpus of the generation) and must clear a threshold. The learned
ranker standardises its features over the rows it ranks, so only corpus-level statistics make the scores of
a handful of new rows comparable from one day to the next. The threshold is a parameter, to be chosen by
replaying the corpus day by day against judged queries. An author watch keeps every new paper the author is
on, under the spelling-proof name key of search.follow.authors.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from indexer.ingest.records import Paper
from search.follow.authors import name_key
from search.follow.models import AuthorSpec, CorpusStats, Match, SeedsSpec

MIN_STD = 1e-6   # a ranker that scores every row alike has no spread: no z-score clears any threshold
AUTHOR_SCORE = 1.0


@dataclass(frozen=True)
class ThresholdRule:
    """Keep a paper whose z-scored score is at least `z_min` (and, when set, whose raw score is at least
    `score_min`). The default is what `bench/replay_watches.py` chose on the dev set's tuning half (the
    corpus's last 60 days replayed one day at a time, best F1; no per-day cap did better): re-run it after a
    ranker change and keep this in step with its choice."""
    z_min: float = 3.0
    score_min: float | None = None

    def keep(self, scores: np.ndarray, z: np.ndarray) -> np.ndarray:
        ok = np.isfinite(z) & (z >= self.z_min)
        return ok if self.score_min is None else ok & (scores >= self.score_min)


@dataclass(frozen=True)
class Decision:
    arxiv_id: str
    score: float
    z: float | None = None

    def match(self, generation: str, matched_at: datetime, content_hash: str) -> Match:
        return Match(arxiv_id=self.arxiv_id, score=self.score, z=self.z, generation=generation,
                     matched_at=matched_at, content_hash=content_hash)


def match_hash(paper: Paper) -> str:
    """What a watch has seen of a paper: the embedded text (Paper.content_hash), the authors (author watches)
    and the English abstract where the record has one. A paper that gains or changes any of them is new again."""
    abstract = getattr(paper, "abstract", None) or ""
    payload = json.dumps([paper.content_hash(), list(paper.authors), abstract], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def corpus_stats(scores: np.ndarray, generation: str, method: str) -> CorpusStats:
    """Mean and standard deviation of the finite scores (rows outside the filter score -inf)."""
    finite = np.asarray(scores, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if len(finite) == 0:
        return CorpusStats(generation=generation, method=method, mean=0.0, std=0.0, n=0)
    return CorpusStats(generation=generation, method=method, mean=float(finite.mean()), std=float(finite.std()),
                       n=int(len(finite)))


def zscores(scores: np.ndarray, stats: CorpusStats) -> np.ndarray:
    """Scores in units of the corpus spread; -inf (filtered out) stays -inf, and nothing is finite when the
    corpus had no spread."""
    s = np.asarray(scores, dtype=np.float64)
    if stats.n == 0 or stats.std < MIN_STD:
        return np.full(s.shape, -np.inf)
    with np.errstate(invalid="ignore"):
        z = (s - stats.mean) / stats.std
    return np.where(np.isfinite(s), z, -np.inf)


def decide(ids: Sequence[str], scores: np.ndarray, stats: CorpusStats, rule: ThresholdRule) -> list[Decision]:
    """The candidates (`ids`, with their raw `scores` aligned) that clear the rule, highest z first."""
    scores = np.asarray(scores, dtype=np.float64)
    if len(ids) != len(scores):
        raise ValueError(f"{len(ids)} ids for {len(scores)} scores")
    z = zscores(scores, stats)
    keep = np.nonzero(rule.keep(scores, z))[0]
    out = [Decision(ids[i], float(scores[i]), float(z[i])) for i in keep]
    return sorted(out, key=lambda d: (-(d.z or 0.0), d.arxiv_id))


def seed_candidates(ids: Sequence[str], spec: SeedsSpec) -> list[int]:
    """Positions in `ids` a seeds watch may match: never one of its own seed papers."""
    seeds = set(spec.positive) | set(spec.negative)
    return [i for i, a in enumerate(ids) if a not in seeds]


def author_decisions(papers: Sequence[Paper], spec: AuthorSpec) -> list[Decision]:
    """The papers the watched author is on, in input order."""
    key = name_key(spec.author)
    if not key:
        return []
    return [Decision(p.arxiv_id, AUTHOR_SCORE) for p in papers if any(name_key(a) == key for a in p.authors)]
