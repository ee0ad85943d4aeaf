"""Filters applied exactly, before ranking, as a boolean mask over the index rows.

The mask becomes a FAISS IDSelector for dense search and multiplies the BM25
scores, so when k papers pass a filter, k come back.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from indexer.ingest.records import Paper


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None      # paper appeared on a digest on or after this day
    date_to: date | None = None        # ... and on or before this day
    min_votes: int | None = None
    author: str | None = None          # case-insensitive substring of any author
    cluster: int | None = None         # topic cluster id (indexer.topics.clusters)

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise FilterError(f"date_from {self.date_from} is after date_to {self.date_to}")
        if self.min_votes is not None and self.min_votes < 0:
            raise FilterError("min_votes must be >= 0")

    @property
    def active(self) -> bool:
        return any(v not in (None, "") for v in (self.date_from, self.date_to, self.min_votes, self.author, self.cluster))


class FilterColumns:
    """Per-row metadata arrays, built once per loaded index."""

    def __init__(self, papers: list[Paper], clusters: np.ndarray | None = None):
        self.clusters = clusters
        self.dates = [sorted(p.dates) for p in papers]
        # the larger of the digest's votes and the feed's upvotes (Paper.votes_max): filters, sorting and log_votes
        self.votes = np.array([v if (v := p.votes_max) is not None else -1 for p in papers], dtype=np.int64)
        self.authors = ["\n".join(p.authors).lower() for p in papers]
        self.last = np.array([p.last_seen or "" for p in papers])
        self.first = np.array([p.first_seen or "" for p in papers])

    def mask(self, f: Filters) -> np.ndarray | None:
        """Rows passing every filter, or None when no filter is set."""
        if not f.active:
            return None
        m = np.ones(len(self.votes), dtype=bool)
        if f.min_votes:  # 0 means "any", including the papers whose digest gave no vote count
            m &= self.votes >= f.min_votes
        if f.date_from or f.date_to:
            lo = f.date_from.isoformat() if f.date_from else ""
            hi = f.date_to.isoformat() if f.date_to else "9999-99-99"
            # a paper matches when any of its appearance dates falls in the range
            cand = np.nonzero(m & (self.last >= lo) & (self.first <= hi))[0]
            hit = np.zeros_like(m)
            for i in cand:
                hit[i] = any(lo <= d <= hi for d in self.dates[i])
            m &= hit
        if f.author:
            needle = f.author.strip().lower()
            m &= np.array([needle in a for a in self.authors], dtype=bool)
        if f.cluster is not None:
            if self.clusters is None:
                raise FilterError("this index has no topic clusters; rebuild it with `papersearch index`")
            valid = set(np.unique(self.clusters).tolist())
            if f.cluster not in valid:
                raise FilterError(f"cluster: no topic cluster {f.cluster} (ids {min(valid)}-{max(valid)}; see /api/clusters)")
            m &= self.clusters == f.cluster
        return m
