"""Load a corpus — digest trees and files, feed folders and files — into one `Paper` per arXiv id.

A path is read as the feed when it is a `.json` file or a folder of `YYYY-MM-DD.json` day files
(indexer.ingest.feed), otherwise as digests; the two sources are merged by arXiv id afterwards
(indexer.ingest.merge). What follows is how digest appearances merge among themselves.

The same paper shows up more than once: on several days (it trends again),
in a day file that was scraped twice and concatenated (a second
`## Daily Papers` header mid-file), or in a standalone copy of a day (the
seed files). Merging rules:

* votes: the maximum seen; dates: every digest date, sorted unique.
* the *winning* appearance supplies title, summary, sections and `source`:
  1. a structured summary (`What's New` / `Technical Details` / ...) beats
     plain bullets - it is the newer, richer pipeline and splits cleanly;
  2. then the longest summary - re-scrapes of a day are sometimes cut short,
     so the longer text is the more complete one;
  3. then the latest date - the most recent rewrite of the paper;
  4. then the first in (path, line) order - only so full ties are deterministic.
* authors and thumbnail come from the winner, or, when it has none, from the
  next appearance in the same order that has them.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from indexer.ingest.day_file import parse_file
from indexer.ingest.feed import FeedItem, feed_files, is_feed_path, parse_feed_file
from indexer.ingest.merge import merge_feed_items, merge_sources
from indexer.ingest.parser import Entry, ParsedFile
from indexer.ingest.records import IngestReport, Paper

DIGEST_GLOB = "*.md"


def digest_files(path: Path) -> list[Path]:
    """Files to load from `path`: a single file of any extension, or every `*.md` below a
    directory (sorted; hidden directories skipped). Other files in the tree, such as
    `papers_list.csv`, are not digests."""
    if path.is_file():
        return [path]
    files = [
        f for f in path.rglob(DIGEST_GLOB)
        if f.is_file() and not any(part.startswith(".") for part in f.relative_to(path).parts)
    ]
    return sorted(files, key=lambda f: f.relative_to(path).as_posix())


def _rank(e: Entry) -> tuple:
    """Sort key: best appearance first (see module docstring)."""
    return (not e.structured, -len(e.summary), _neg_date(e.date), e.source, e.line)


def _neg_date(d: str | None) -> tuple[int, ...]:
    return tuple(-int(x) for x in d.split("-")) if d else (1,)


def merge_entries(entries: Iterable[Entry]) -> list[Paper]:
    """Fold entries into one Paper per arXiv id, sorted by id."""
    by_id: dict[str, list[Entry]] = {}
    for e in entries:
        by_id.setdefault(e.arxiv_id, []).append(e)
    papers = []
    for aid in sorted(by_id):
        group = sorted(by_id[aid], key=_rank)
        win = group[0]
        with_authors = next((e for e in group if e.authors), win)
        votes = [e.votes for e in group if e.votes is not None]
        papers.append(Paper(
            arxiv_id=aid,
            title=win.title,
            authors=list(with_authors.authors),
            authors_truncated=with_authors.authors_truncated,
            votes=max(votes) if votes else None,
            dates=sorted({e.date for e in group if e.date}),
            thumbnail_url=next((e.thumbnail_url for e in group if e.thumbnail_url), None),
            sections=dict(win.sections),
            summary=win.summary,
            source=win.location,
        ))
    return papers


def load_corpus(
    path: Path | str | Sequence[Path | str], progress: bool = False
) -> tuple[list[Paper], IngestReport]:
    """Parse digest trees/files and feed folders/files, one or several, and merge them by arXiv id.

    Bad files are skipped and reported, never raised; a path that does not exist
    at all is a configuration error and raises FileNotFoundError.
    """
    roots = [Path(path)] if isinstance(path, (str, Path)) else [Path(p) for p in path]
    files: list[Path] = []
    days: list[Path] = []
    for root in roots:
        if not root.exists():
            raise FileNotFoundError(f"corpus path does not exist: {root}")
        if is_feed_path(root):
            days.extend(feed_files(root))
        else:
            files.extend(digest_files(root))

    report = IngestReport()
    entries: list[Entry] = []
    started = time.perf_counter()
    for f in _maybe_progress(files, progress, "parsing digests"):
        result: ParsedFile = parse_file(f)
        report.warnings.extend(result.warnings)
        report.sections_skipped += result.sections_skipped
        if result.skipped:
            report.files_skipped += 1
            continue
        report.files_read += 1
        entries.extend(result.entries)
    digest = merge_entries(entries)
    items = _read_feed(days, report, progress)
    feed = merge_feed_items(items)
    papers = merge_sources(digest, feed)
    report.entries = len(entries)
    report.papers = len(papers)
    report.duplicates_merged = len(entries) - len(digest)
    report.feed_only = len(feed.keys() - {p.arxiv_id for p in digest})
    report.with_abstract = sum(1 for p in papers if p.abstract)
    if progress:
        import sys
        print(f"parsed {report.files_read} files, {len(papers)} papers in {time.perf_counter() - started:.2f}s"
              + (f" ({report.feed_files} feed days: {len(feed)} papers, {report.feed_only} only in the feed)"
                 if days else ""), file=sys.stderr)
    return papers, report


def _read_feed(days: list[Path], report: IngestReport, progress: bool) -> list[FeedItem]:
    items: list[FeedItem] = []
    for f in _maybe_progress(days, progress, "reading feed days"):
        result = parse_feed_file(f)
        report.warnings.extend(result.warnings)
        report.feed_items_skipped += result.items_skipped
        if result.skipped:
            report.files_skipped += 1
            continue
        report.files_read += 1
        report.feed_files += 1
        report.feed_items += len(result.items)
        items.extend(result.items)
    return items


def _maybe_progress(files: list[Path], progress: bool, desc: str) -> Iterable[Path]:
    if not progress or not files:
        return files
    from tqdm import tqdm

    return tqdm(files, desc=desc, unit="file")
