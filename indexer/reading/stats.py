"""Summary numbers of the served index, for `papersearch stats` and `/api/stats`."""
from __future__ import annotations

import os
from pathlib import Path

from indexer.reading.reader import LoadedIndex, open_index


def index_stats(data_dir: Path) -> dict:
    idx = open_index(data_dir)
    try:
        return stats_of(idx)
    finally:
        idx.close()


def stats_of(idx: LoadedIndex) -> dict:
    c = idx.store.conn
    # votes: the larger of the digest's votes and the feed's upvotes (Paper.votes_max), as filters and sorting use
    n, first, last, vmax, with_votes, with_summary, with_abstract, feed_only = c.execute(
        "SELECT COUNT(*), MIN(first_seen), MAX(last_seen), MAX(MAX(IFNULL(votes, -1), IFNULL(upvotes, -1))), "
        "SUM(votes IS NOT NULL OR upvotes IS NOT NULL), SUM(summary != ''), SUM(abstract != ''), "
        "SUM(json_extract(sources, '$.title') = 'feed') FROM papers"
    ).fetchone()
    days = c.execute("SELECT COUNT(DISTINCT value) FROM papers, json_each(papers.dates)").fetchone()[0]
    multi = c.execute("SELECT COUNT(*) FROM papers WHERE json_array_length(dates) > 1").fetchone()[0]
    size = sum(f.stat().st_size for f in idx.generation.path.iterdir() if f.is_file())
    m = idx.manifest
    return {
        "papers": n,
        "digest_days": days,                 # days featured, in the digest or the feed
        "first_date": first,
        "last_date": last,
        "papers_on_several_days": multi,
        "papers_with_votes": with_votes or 0,
        "max_votes": vmax if vmax is not None and vmax >= 0 else None,
        "papers_with_korean_summary": with_summary or 0,
        "papers_with_abstract": with_abstract or 0,
        "papers_only_in_feed": feed_only or 0,      # no Korean summary yet
        "model": m.model.get("name"),
        "dim": m.dim,
        "fields": m.fields,
        "weights": m.weights,
        "generation": idx.generation.name,
        "pending": m.pending,                # a quick first pass: what the next `papersearch index` adds
        "created_at": m.created_at,
        "index_bytes": size,
        "data_dir": str(idx.generation.path.parent.parent.resolve()),
        "corpus": [p for p in m.corpus.split(os.pathsep) if p],
    }
