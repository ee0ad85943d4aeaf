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
    n, first, last, vmax, with_votes = c.execute(
        "SELECT COUNT(*), MIN(first_seen), MAX(last_seen), MAX(votes), COUNT(votes) FROM papers"
    ).fetchone()
    days = c.execute("SELECT COUNT(DISTINCT value) FROM papers, json_each(papers.dates)").fetchone()[0]
    multi = c.execute("SELECT COUNT(*) FROM papers WHERE json_array_length(dates) > 1").fetchone()[0]
    size = sum(f.stat().st_size for f in idx.generation.path.iterdir() if f.is_file())
    m = idx.manifest
    return {
        "papers": n,
        "digest_days": days,
        "first_date": first,
        "last_date": last,
        "papers_on_several_days": multi,
        "papers_with_votes": with_votes,
        "max_votes": vmax,
        "model": m.model.get("name"),
        "dim": m.dim,
        "fields": m.fields,
        "weights": m.weights,
        "generation": idx.generation.name,
        "created_at": m.created_at,
        "index_bytes": size,
        "data_dir": str(idx.generation.path.parent.parent.resolve()),
        "corpus": [p for p in m.corpus.split(os.pathsep) if p],
    }
