"""The digest and the feed merged by arXiv id: every paper of either source is one `Paper`.

Decided rules (issue 22): the digest's title wins where both exist (the feed's was hard-wrapped and lost
some LaTeX); the feed's author order wins (the digest's is scrambled and cut with "+"); both vote counts
are kept (`Paper.votes_max` is what filters and ranking use); the dates are every day either source
featured the paper; the Korean summary comes from the digest, the English abstract from the feed, and
`Paper.sources` says which source each field came from. A paper only in the feed is a full record with
an empty summary: a missing field stays missing, it is never filled in from another.

Across feed days (a day fetched again later, or a paper featured twice) the winning appearance is the
one with an abstract, then the latest day, then the longest abstract, then the first in (file, position)
order; upvotes are the maximum seen.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from indexer.ingest.feed import FeedItem
from indexer.ingest.records import Paper


@dataclass
class FeedPaper:
    """One arXiv id across every feed day that listed it."""

    winner: FeedItem
    authors: list[str] = field(default_factory=list)
    upvotes: int | None = None
    dates: list[str] = field(default_factory=list)
    thumbnail_url: str | None = None


def _rank(i: FeedItem) -> tuple:
    return (not i.abstract, tuple(-int(x) for x in i.date.split("-")) if i.date else (1,), -len(i.abstract),
            i.source, i.position)


def merge_feed_items(items: Iterable[FeedItem]) -> dict[str, FeedPaper]:
    """Feed items folded into one `FeedPaper` per arXiv id."""
    by_id: dict[str, list[FeedItem]] = {}
    for i in items:
        by_id.setdefault(i.arxiv_id, []).append(i)
    out = {}
    for aid, group in by_id.items():
        group.sort(key=_rank)
        ups = [i.upvotes for i in group if i.upvotes is not None]
        out[aid] = FeedPaper(
            winner=group[0],
            authors=list(next((i.authors for i in group if i.authors), [])),
            upvotes=max(ups) if ups else None,
            dates=sorted({i.date for i in group if i.date}),
            thumbnail_url=next((i.thumbnail_url for i in group if i.thumbnail_url), None),
        )
    return out


def merge_sources(digest: list[Paper], feed: dict[str, FeedPaper]) -> list[Paper]:
    """One record per arXiv id of either source, sorted by id."""
    by_id = {p.arxiv_id: p for p in digest}
    return [_merge(by_id.get(aid), feed.get(aid)) for aid in sorted(by_id.keys() | feed.keys())]


def _merge(d: Paper | None, f: FeedPaper | None) -> Paper:
    if f is None:
        assert d is not None
        return replace(d, sources=_sources(d, None))
    w = f.winner
    feed_authors = bool(f.authors)
    dates = sorted(set(d.dates if d else []) | set(f.dates))
    p = Paper(
        arxiv_id=w.arxiv_id,
        title=d.title if d else w.title,
        authors=list(f.authors) if feed_authors or d is None else list(d.authors),
        authors_truncated=False if feed_authors or d is None else d.authors_truncated,
        votes=d.votes if d else None,
        dates=dates,
        thumbnail_url=(d.thumbnail_url if d else None) or f.thumbnail_url,
        sections=dict(d.sections) if d else {},
        summary=d.summary if d else "",
        source=d.source if d else w.location,
        abstract=w.abstract,
        upvotes=f.upvotes,
        feed_source=w.location,
    )
    p.sources = _sources(d, f)
    return p


def _sources(d: Paper | None, f: FeedPaper | None) -> dict[str, str]:
    """Field -> the source it came from, for the fields that have a value."""
    out: dict[str, str] = {"title": "digest" if d else "feed"}
    if f is not None and f.authors:
        out["authors"] = "feed"
    elif d is not None and d.authors:
        out["authors"] = "digest"
    if d is not None and d.votes is not None:
        out["votes"] = "digest"
    if f is not None and f.upvotes is not None:
        out["upvotes"] = "feed"
    in_digest, in_feed = bool(d and d.dates), bool(f and f.dates)
    if in_digest or in_feed:
        out["dates"] = "digest+feed" if in_digest and in_feed else "digest" if in_digest else "feed"
    if d is not None and d.thumbnail_url:
        out["thumbnail_url"] = "digest"
    elif f is not None and f.thumbnail_url:
        out["thumbnail_url"] = "feed"
    if d is not None and d.summary:
        out["summary"] = "digest"
    if f is not None and f.winner.abstract:
        out["abstract"] = "feed"
    return out
