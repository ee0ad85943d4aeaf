"""SQLite paper store: the durable record of every paper and its content hash.

The store is the truth for metadata; the FAISS index and `.npy` embeddings are
derived from it and carry the same int64 row ids (`papers.rowid`), so an id
never changes for a paper once assigned.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer.ingest.records import Paper

SCHEMA_VERSION = 3

# Each entry migrates from version i to i+1; append, never edit.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE papers (
        id INTEGER PRIMARY KEY,
        arxiv_id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        authors TEXT NOT NULL,          -- JSON list
        authors_truncated INTEGER NOT NULL DEFAULT 0,
        votes INTEGER,
        dates TEXT NOT NULL,            -- JSON list of ISO dates, sorted
        first_seen TEXT,
        last_seen TEXT,
        thumbnail_url TEXT,
        sections TEXT NOT NULL,         -- JSON object
        summary TEXT NOT NULL,
        source TEXT NOT NULL,
        content_hash TEXT NOT NULL
    );
    CREATE INDEX papers_first_seen ON papers(first_seen);
    CREATE INDEX papers_votes ON papers(votes);
    """,
    # v2: lexical tokens cached per paper, so BM25 never re-tokenises unchanged papers
    """
    CREATE TABLE lexical (
        paper_id INTEGER PRIMARY KEY REFERENCES papers(id) ON DELETE CASCADE,
        content_hash TEXT NOT NULL,
        tokenizer TEXT NOT NULL,
        title TEXT NOT NULL,            -- JSON list of tokens
        summary TEXT NOT NULL           -- JSON list of tokens
    );
    """,
    # v3: the Hugging Face feed as a second source, and per-field hashes so a build re-embeds only the fields
    # that changed; rows written before hold NULL field_hashes (the build derives them: indexer.pipeline.fields)
    """
    ALTER TABLE papers ADD COLUMN abstract TEXT NOT NULL DEFAULT '';
    ALTER TABLE papers ADD COLUMN upvotes INTEGER;
    ALTER TABLE papers ADD COLUMN sources TEXT NOT NULL DEFAULT '{}';   -- JSON object: field -> source
    ALTER TABLE papers ADD COLUMN feed_source TEXT NOT NULL DEFAULT '';
    ALTER TABLE papers ADD COLUMN field_hashes TEXT;                    -- JSON object: field -> hash
    """,
]


class StoreError(RuntimeError):
    pass


class PaperStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(self.path), check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> PaperStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this program ({SCHEMA_VERSION}); "
                "upgrade papersearch or rebuild with a new --data-dir"
            )
        for target in range(version, SCHEMA_VERSION):
            with self.conn:
                self.conn.executescript(MIGRATIONS[target])
                self.conn.execute(f"PRAGMA user_version = {target + 1}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.conn:
            yield self.conn

    def hashes(self) -> dict[str, tuple[int, str]]:
        """arxiv_id -> (row id, content hash): what the incremental build diffs against."""
        rows = self.conn.execute("SELECT arxiv_id, id, content_hash FROM papers")
        return {a: (i, h) for a, i, h in rows}

    def field_hashes(self) -> dict[int, tuple[str, dict[str, str] | None]]:
        """row id -> (content hash, per-field hashes or None for a row written before schema v3)."""
        rows = self.conn.execute("SELECT id, content_hash, field_hashes FROM papers")
        return {i: (h, json.loads(f) if f else None) for i, h, f in rows}

    def upsert(self, papers: Iterable[Paper]) -> dict[str, int]:
        """Insert or update papers by arxiv_id; returns arxiv_id -> row id. Idempotent."""
        ids: dict[str, int] = {}
        with self.conn:
            for p in papers:
                row = _to_row(p)
                self.conn.execute(
                    """INSERT INTO papers (arxiv_id, title, authors, authors_truncated, votes, dates,
                           first_seen, last_seen, thumbnail_url, sections, summary, source, content_hash,
                           abstract, upvotes, sources, feed_source, field_hashes)
                       VALUES (:arxiv_id, :title, :authors, :authors_truncated, :votes, :dates,
                           :first_seen, :last_seen, :thumbnail_url, :sections, :summary, :source, :content_hash,
                           :abstract, :upvotes, :sources, :feed_source, :field_hashes)
                       ON CONFLICT(arxiv_id) DO UPDATE SET
                           title=excluded.title, authors=excluded.authors,
                           authors_truncated=excluded.authors_truncated, votes=excluded.votes,
                           dates=excluded.dates, first_seen=excluded.first_seen, last_seen=excluded.last_seen,
                           thumbnail_url=excluded.thumbnail_url, sections=excluded.sections,
                           summary=excluded.summary, source=excluded.source, content_hash=excluded.content_hash,
                           abstract=excluded.abstract, upvotes=excluded.upvotes, sources=excluded.sources,
                           feed_source=excluded.feed_source, field_hashes=excluded.field_hashes""",
                    row,
                )
                ids[p.arxiv_id] = self.conn.execute(
                    "SELECT id FROM papers WHERE arxiv_id = ?", (p.arxiv_id,)
                ).fetchone()[0]
        return ids

    def delete(self, arxiv_ids: Iterable[str]) -> int:
        with self.conn:
            n = 0
            for a in arxiv_ids:
                self.conn.execute(
                    "DELETE FROM lexical WHERE paper_id IN (SELECT id FROM papers WHERE arxiv_id = ?)", (a,)
                )
                n += self.conn.execute("DELETE FROM papers WHERE arxiv_id = ?", (a,)).rowcount
        return n

    def lexical_state(self) -> dict[int, tuple[str, str]]:
        """paper id -> (content hash, tokenizer version) of its cached tokens."""
        return {i: (h, t) for i, h, t in self.conn.execute("SELECT paper_id, content_hash, tokenizer FROM lexical")}

    def put_lexical(self, rows: Iterable[tuple[int, str, str, list[str], list[str]]]) -> None:
        """rows of (paper id, content hash, tokenizer version, title tokens, summary tokens)."""
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO lexical VALUES (?, ?, ?, ?, ?)",
                [(i, h, t, json.dumps(a, ensure_ascii=False), json.dumps(b, ensure_ascii=False))
                 for i, h, t, a, b in rows],
            )

    def lexical_tokens(self) -> dict[int, tuple[list[str], list[str]]]:
        rows = self.conn.execute("SELECT paper_id, title, summary FROM lexical")
        return {i: (json.loads(a), json.loads(b)) for i, a, b in rows}

    def count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0])

    def get(self, arxiv_id: str) -> Paper | None:
        row = self.conn.execute("SELECT * FROM papers WHERE arxiv_id = ?", (arxiv_id,)).fetchone()
        return _from_row(row, self._columns()) if row else None

    def all(self) -> list[tuple[int, Paper]]:
        """Every paper with its row id, ordered by row id (the index order)."""
        cols = self._columns()
        rows = self.conn.execute("SELECT * FROM papers ORDER BY id").fetchall()
        return [(r[0], _from_row(r, cols)) for r in rows]

    def _columns(self) -> list[str]:
        return [d[1] for d in self.conn.execute("PRAGMA table_info(papers)")]


def _to_row(p: Paper) -> dict:
    return {
        "arxiv_id": p.arxiv_id,
        "title": p.title,
        "authors": json.dumps(p.authors, ensure_ascii=False),
        "authors_truncated": int(p.authors_truncated),
        "votes": p.votes,
        "dates": json.dumps(p.dates),
        "first_seen": p.first_seen,
        "last_seen": p.last_seen,
        "thumbnail_url": p.thumbnail_url,
        "sections": json.dumps(p.sections, ensure_ascii=False),
        "summary": p.summary,
        "source": p.source,
        "content_hash": p.content_hash(),
        "abstract": p.abstract,
        "upvotes": p.upvotes,
        "sources": json.dumps(p.sources),
        "feed_source": p.feed_source,
        "field_hashes": json.dumps(p.field_hashes()),
    }


def _from_row(row: tuple, cols: list[str]) -> Paper:
    d = dict(zip(cols, row))
    return Paper(
        arxiv_id=d["arxiv_id"],
        title=d["title"],
        authors=json.loads(d["authors"]),
        authors_truncated=bool(d["authors_truncated"]),
        votes=d["votes"],
        dates=json.loads(d["dates"]),
        thumbnail_url=d["thumbnail_url"],
        sections=json.loads(d["sections"]),
        summary=d["summary"],
        source=d["source"],
        abstract=d["abstract"],
        upvotes=d["upvotes"],
        sources=json.loads(d["sources"]),
        feed_source=d["feed_source"],
    )
