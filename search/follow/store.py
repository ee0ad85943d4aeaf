"""The watch store: one SQLite file beside the index generations, never inside one.

    data_dir/watches.sqlite   watches, their matches, the paper arrivals log, the creation-rate window

A build only ever writes `generations/<new>/` and `CURRENT`, and `DataDir.prune` and a failed build only
delete directories under `generations/`, so a rebuild, `--prune`, a reload or a killed build cannot touch
this file. WAL mode and `BEGIN IMMEDIATE` writes make concurrent creates, deletes and catch-ups from several
server workers and a cron `watch run` safe; every call opens its own connection, so threads may share a store.

Idempotent catch-up: `sync` gives every paper of a generation that is new, or whose content hash changed,
the next number in one arrivals sequence; each watch keeps the last number it was matched against
(`seen_seq`). `record` stores a watch's matches and moves its `seen_seq` in one transaction, compare-and-set
on the old value, so a run killed anywhere loses nothing (the arrivals wait) and matches nothing twice;
`record_all` does it for every watch of a run in one transaction (one disk flush, not one per watch).
"""
from __future__ import annotations

import os
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from search.follow.limits import WatchCaps, client_key
from search.follow.models import SPEC, CorpusStats, Match, Spec, Watch

WATCHES_FILE = "watches.sqlite"
SCHEMA_VERSION = 1
ID_BYTES = 16   # secrets.token_urlsafe: 22 characters, 128 random bits; the id is the only key to a feed
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS watches (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, created TEXT NOT NULL, spec TEXT NOT NULL,
    seen_seq INTEGER NOT NULL DEFAULT 0, stats TEXT);
CREATE TABLE IF NOT EXISTS matches (
    watch_id TEXT NOT NULL REFERENCES watches(id) ON DELETE CASCADE, arxiv_id TEXT NOT NULL,
    score REAL NOT NULL, z REAL, generation TEXT NOT NULL, matched_at TEXT NOT NULL, content_hash TEXT NOT NULL,
    PRIMARY KEY (watch_id, arxiv_id));
CREATE INDEX IF NOT EXISTS matches_newest ON matches (watch_id, matched_at);
CREATE TABLE IF NOT EXISTS arrivals (
    arxiv_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, seq INTEGER NOT NULL UNIQUE, generation TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS creations (client TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS creations_by_client ON creations (client, at);
"""
_MATCH_COLS = "arxiv_id, score, z, generation, matched_at, content_hash"
_UPSERT = (f"INSERT INTO matches (watch_id, {_MATCH_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
           "ON CONFLICT (watch_id, arxiv_id) DO UPDATE SET score = excluded.score, z = excluded.z, "
           "generation = excluded.generation, matched_at = excluded.matched_at, content_hash = excluded.content_hash")


@dataclass(frozen=True)
class Arrival:
    arxiv_id: str
    content_hash: str
    seq: int


@dataclass(frozen=True)
class Progress:
    """One watch's catch-up result: its matches, and the arrival it has now been matched up to."""
    watch: Watch
    seen_to: int
    matches: Sequence[Match]
    stats: CorpusStats | None = None


@dataclass(frozen=True)
class SyncResult:
    generation: str
    current: bool       # the store follows this generation; False: it follows a newer one (this caller is behind)
    arrived: int        # papers new to the store or changed since it last saw them


def built_at(generation: str) -> str:
    """The sortable build time a generation name starts with (DataDir.new_generation: `YYYYmmddTHHMMSS-pid-hex`;
    the random rest does not order two builds of one second)."""
    return generation.split("-", 1)[0]


def utcnow() -> datetime:
    return datetime.now(UTC)


class WatchStore:
    def __init__(self, path: Path, caps: WatchCaps = WatchCaps(), clock: Callable[[], float] = time.time):
        self.path, self.caps, self.clock = Path(path), caps, clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():  # watch ids are feed keys: readable by the owner only (-wal/-shm inherit it)
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        with self._connect() as c:
            if c.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                raise RuntimeError(f"{self.path}: SQLite refused WAL mode")
        with self._write() as c:
            for stmt in filter(str.strip, SCHEMA.split(";")):
                c.execute(stmt)
            c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @classmethod
    def in_data_dir(cls, data_dir: Path, caps: WatchCaps = WatchCaps()) -> WatchStore:
        return cls(Path(data_dir) / WATCHES_FILE, caps)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        c = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            c.execute("PRAGMA foreign_keys = ON")
            c.execute("PRAGMA synchronous = FULL")  # a created watch survives a power cut, not just a kill
            yield c
        finally:
            c.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front (IMMEDIATE) so concurrent writers queue instead of deadlocking."""
        with self._connect() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")

    # ---- watches -------------------------------------------------------------------------------
    def create(self, spec: Spec, name: str | None = None, client: str | None = None) -> Watch:
        """Save a watch; it is matched against papers that arrive after the store's last sync (the caller
        backfills recent ones). Raises TooManyWatches past the caps."""
        now, key = self.clock(), client_key(client)
        watch = Watch(id=secrets.token_urlsafe(ID_BYTES), name=name or spec.title(), created=utcnow(), spec=spec)
        with self._write() as c:
            self.caps.check_total(c.execute("SELECT COUNT(*) FROM watches").fetchone()[0])
            c.execute("DELETE FROM creations WHERE at <= ?", (now - self.caps.window,))
            recent, oldest = c.execute("SELECT COUNT(*), MIN(at) FROM creations WHERE client = ?", (key,)).fetchone()
            self.caps.check_rate(recent, oldest, now)
            watch.seen_seq = c.execute("SELECT COALESCE(MAX(seq), 0) FROM arrivals").fetchone()[0]
            c.execute("INSERT INTO watches (id, name, created, spec, seen_seq) VALUES (?, ?, ?, ?, ?)",
                      (watch.id, watch.name, watch.created.isoformat(), spec.model_dump_json(), watch.seen_seq))
            c.execute("INSERT INTO creations (client, at) VALUES (?, ?)", (key, now))
        return watch

    def get(self, watch_id: str) -> Watch | None:
        if not isinstance(watch_id, str) or not _ID.match(watch_id):
            return None
        with self._connect() as c:
            row = c.execute("SELECT id, name, created, spec, seen_seq, stats FROM watches WHERE id = ?",
                            (watch_id,)).fetchone()
        return _watch(row) if row else None

    def watches(self) -> list[Watch]:
        """Every watch, oldest first (catch-up and `watch list`; the API never lists them)."""
        with self._connect() as c:
            rows = c.execute("SELECT id, name, created, spec, seen_seq, stats FROM watches ORDER BY created, id")
            return [_watch(r) for r in rows]

    def count(self) -> int:
        with self._connect() as c:
            return c.execute("SELECT COUNT(*) FROM watches").fetchone()[0]

    def delete(self, watch_id: str) -> bool:
        """Remove a watch and its matches; False when there was no such watch."""
        if not isinstance(watch_id, str) or not _ID.match(watch_id):
            return False
        with self._write() as c:
            return c.execute("DELETE FROM watches WHERE id = ?", (watch_id,)).rowcount == 1

    # ---- arrivals and catch-up -----------------------------------------------------------------
    def generation(self) -> str | None:
        """The newest generation synced into the arrivals log."""
        with self._connect() as c:
            row = c.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return row[0] if row else None

    def sync(self, generation: str, papers: Iterable[tuple[str, str]]) -> SyncResult:
        """Log the (arxiv id, content hash) pairs of a generation: new and changed papers get the next arrival
        numbers. Idempotent per generation. An older generation than the last synced one changes nothing (a
        server worker still on it must not log its old texts as changes). The very first sync is the baseline
        every existing watch has already seen: it is the corpus as it stood, not news."""
        pairs = list(papers)
        with self._write() as c:
            row = c.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
            if row and (generation == row[0] or built_at(generation) < built_at(row[0])):
                return SyncResult(generation, generation == row[0], 0)
            known = dict(c.execute("SELECT arxiv_id, content_hash FROM arrivals"))
            seq = c.execute("SELECT COALESCE(MAX(seq), 0) FROM arrivals").fetchone()[0]
            fresh = [(aid, h) for aid, h in pairs if known.get(aid) != h]
            c.executemany("INSERT INTO arrivals (arxiv_id, content_hash, seq, generation) VALUES (?, ?, ?, ?) "
                          "ON CONFLICT (arxiv_id) DO UPDATE SET content_hash = excluded.content_hash, "
                          "seq = excluded.seq, generation = excluded.generation",
                          [(aid, h, seq + i + 1, generation) for i, (aid, h) in enumerate(fresh)])
            if row is None:
                c.execute("UPDATE watches SET seen_seq = ?", (seq + len(fresh),))
            c.execute("INSERT INTO meta (key, value) VALUES ('generation', ?) "
                      "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (generation,))
        return SyncResult(generation, True, len(fresh))

    def pending(self, watch: Watch) -> list[Arrival]:
        """Arrivals this watch has not been matched against yet, in arrival order."""
        return self.arrivals(watch.seen_seq)

    def arrivals(self, after: int = 0) -> list[Arrival]:
        """The arrivals log past position `after`, in order (one read for every watch of a catch-up)."""
        with self._connect() as c:
            rows = c.execute("SELECT arxiv_id, content_hash, seq FROM arrivals WHERE seq > ? ORDER BY seq", (after,))
            return [Arrival(*r) for r in rows]

    def record(self, watch: Watch, seen_to: int, matches: Sequence[Match], stats: CorpusStats | None = None) -> bool:
        """Store matches and advance the watch to `seen_to` atomically; False (and nothing written) when the
        watch was deleted or another run advanced it first."""
        return watch.id in self.record_all([Progress(watch, seen_to, matches, stats)])

    def record_all(self, progress: Sequence[Progress]) -> set[str]:
        """`record` for many watches in one transaction; the ids of those recorded (each one compare-and-set
        on its own: a watch deleted or advanced by another run meanwhile is left out, the others proceed)."""
        done: set[str] = set()
        if not progress:
            return done
        with self._write() as c:
            for p in progress:
                moved = c.execute(
                    "UPDATE watches SET seen_seq = ?, stats = COALESCE(?, stats) WHERE id = ? AND seen_seq = ?",
                    (p.seen_to, p.stats.model_dump_json() if p.stats else None, p.watch.id, p.watch.seen_seq),
                ).rowcount
                if moved == 1:
                    c.executemany(_UPSERT, [_match_row(p.watch.id, m) for m in p.matches])
                    done.add(p.watch.id)
        return done

    def add_matches(self, watch_id: str, matches: Sequence[Match]) -> int:
        """Matches outside the arrivals flow (the backfill of a new watch); a paper matched before is updated."""
        with self._write() as c:
            if c.execute("SELECT 1 FROM watches WHERE id = ?", (watch_id,)).fetchone() is None:
                return 0
            c.executemany(_UPSERT, [_match_row(watch_id, m) for m in matches])
        return len(matches)

    def matches(self, watch_id: str, limit: int | None = None) -> list[Match]:
        """A watch's matches, most recently matched first."""
        with self._connect() as c:
            rows = c.execute(f"SELECT {_MATCH_COLS} FROM matches WHERE watch_id = ? "
                             "ORDER BY matched_at DESC, score DESC, arxiv_id LIMIT ?",
                             (watch_id, -1 if limit is None else limit))
            return [Match(arxiv_id=r[0], score=r[1], z=r[2], generation=r[3], matched_at=r[4], content_hash=r[5])
                    for r in rows]


def _match_row(watch_id: str, m: Match) -> tuple:
    return (watch_id, m.arxiv_id, float(m.score), m.z, m.generation, m.matched_at.isoformat(), m.content_hash)


def _watch(row: tuple) -> Watch:
    wid, name, created, spec, seen, stats = row
    return Watch(id=wid, name=name, created=created, spec=SPEC.validate_json(spec), seen_seq=seen,
                 stats=CorpusStats.model_validate_json(stats) if stats else None)
