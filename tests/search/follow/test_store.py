"""The watch store on a real SQLite file: outside every generation, WAL, safe under concurrent writers,
capped, and an arrivals log that makes catch-up idempotent."""
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from indexer.storage.layout import DataDir
from search.follow.limits import TooManyWatches, WatchCaps
from search.follow.models import AuthorSpec, CorpusStats, Match, QuerySpec, SeedsSpec
from search.follow.store import WATCHES_FILE, Progress, WatchStore
from tests.helpers import REPO

Q = QuerySpec(query="KV 캐시 압축", min_votes=5)
G1, G2 = "20240101T000000-11-ffffff", "20240102T000000-10-000000"  # names as DataDir.new_generation makes them


def match(aid: str, gen: str = "g1", h: str = "h1", score: float = 1.0) -> Match:
    return Match(arxiv_id=aid, score=score, z=2.0, generation=gen, matched_at=datetime.now(UTC), content_hash=h)


def test_a_watch_round_trips_and_its_id_is_an_unguessable_token(tmp_path):
    store = WatchStore(tmp_path / WATCHES_FILE)
    w = store.create(Q, name="kv")
    assert len(w.id) >= 22 and w.id.replace("-", "").replace("_", "").isalnum()
    assert store.get(w.id) == w and w.kind == "query" and w.name == "kv"
    assert store.create(AuthorSpec(author="Ziwei Liu")).name == "papers by Ziwei Liu"  # a default name
    ids = {store.create(SeedsSpec(positive=["2404.12253"])).id for _ in range(50)}
    assert len(ids) == 50
    assert store.get("nope") is None and store.get("../../etc/passwd") is None and store.get("") is None
    assert [x.id for x in store.watches()][0] == w.id and store.count() == 52


def test_delete_removes_the_watch_and_its_matches(tmp_path):
    store = WatchStore(tmp_path / WATCHES_FILE)
    w, other = store.create(Q), store.create(Q)
    store.add_matches(w.id, [match("2404.12253"), match("2404.03592")])
    store.add_matches(other.id, [match("2404.12253")])
    assert store.delete(w.id) and not store.delete(w.id) and store.get(w.id) is None
    assert store.matches(w.id) == [] and len(store.matches(other.id)) == 1
    assert store.add_matches(w.id, [match("2404.00001")]) == 0  # a deleted watch gains nothing


def test_the_file_is_wal_private_and_outside_every_generation(tmp_path):
    data = DataDir(tmp_path / "data")
    store = WatchStore.in_data_dir(data.root)
    w = store.create(Q)
    assert store.path == data.root / WATCHES_FILE and not store.path.is_relative_to(data.generations)
    with sqlite3.connect(store.path) as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600  # the ids are the keys to the feeds
    # what a build and `--prune` delete: unfinished builds and all but the newest generations
    for _ in range(4):
        gen = data.new_generation()
        (gen.path / "manifest.json").write_text("{}")
        data.publish(gen)
    killed = data.new_generation()  # a build killed before publishing
    data.prune(keep=1)
    assert not killed.path.exists() and len(list(data.generations.iterdir())) <= 2  # newest + served
    assert WatchStore.in_data_dir(data.root).get(w.id) == w


def test_concurrent_creates_and_deletes_from_threads(tmp_path):
    path = tmp_path / WATCHES_FILE
    caps = WatchCaps(per_window=1000)
    WatchStore(path, caps)
    errors, kept = [], []

    def worker(n: int) -> None:
        try:
            store = WatchStore(path, caps)
            mine = [store.create(QuerySpec(query=f"q{n}-{i}")).id for i in range(12)]
            for wid in mine[::2]:
                assert store.delete(wid)
            kept.extend(mine[1::2])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(w.id for w in WatchStore(path).watches()) == sorted(kept) and len(kept) == 48


CREATE_UNTIL_FULL = """
import pathlib, sys, time
from search.follow.limits import TooManyWatches, WatchCaps
from search.follow.models import QuerySpec
from search.follow.store import WatchStore
store = WatchStore(sys.argv[1], WatchCaps(max_watches=25, per_window=1000))
print("ready", flush=True)
while not pathlib.Path(sys.argv[3]).exists():  # start together: the imports take seconds
    time.sleep(0.005)
made = 0
for i in range(20):
    try:
        store.create(QuerySpec(query=f"{sys.argv[2]} {i}"), client=sys.argv[2])
        made += 1
    except TooManyWatches:
        pass
print(made)
"""


def test_processes_racing_past_the_cap_create_exactly_the_cap(tmp_path):
    path, go = tmp_path / WATCHES_FILE, tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", CREATE_UNTIL_FULL, str(path), f"p{n}", str(go)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(3)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
    go.touch()
    made = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        made.append(int(out))
    assert sum(made) == 25 == WatchStore(path).count()


def test_the_creation_rate_is_limited_per_client_and_recovers(tmp_path):
    now = [1000.0]
    store = WatchStore(tmp_path / WATCHES_FILE, WatchCaps(max_watches=100, per_window=3, window=60), lambda: now[0])
    for _ in range(3):
        store.create(Q, client="10.0.0.1")
    with pytest.raises(TooManyWatches) as err:
        store.create(Q, client="10.0.0.1")
    assert err.value.retry_after == pytest.approx(60) and "at most 3 new watches per 60 seconds" in str(err.value)
    store.create(Q, client="10.0.0.2")  # another client has its own window
    now[0] += 30
    with pytest.raises(TooManyWatches) as err:
        store.create(Q, client="10.0.0.1")
    assert err.value.retry_after == pytest.approx(30)
    now[0] += 31
    store.create(Q, client="10.0.0.1")
    assert store.count() == 5
    with sqlite3.connect(store.path) as c:  # the window keeps digests, not addresses
        assert "10.0.0.1" not in {r[0] for r in c.execute("SELECT client FROM creations")}


def test_the_total_cap_refuses_without_a_retry_time(tmp_path):
    store = WatchStore(tmp_path / WATCHES_FILE, WatchCaps(max_watches=2))
    a = store.create(Q, client="a")
    store.create(Q, client="b")
    with pytest.raises(TooManyWatches) as err:
        store.create(Q, client="c")
    assert err.value.retry_after is None and "maximum of 2 watches" in str(err.value)
    store.delete(a.id)
    store.create(Q, client="c")


def test_caps_come_from_settings():
    from papersearch.settings import Settings

    caps = WatchCaps.from_settings(Settings(watches_max=7, watch_creates_per_hour=2))
    assert (caps.max_watches, caps.per_window, caps.window) == (7, 2, 3600)
    with pytest.raises(ValueError):
        WatchCaps(max_watches=0)


def test_sync_logs_new_and_changed_papers_once_per_generation(tmp_path):
    store = WatchStore(tmp_path / WATCHES_FILE)
    early = store.create(Q)
    first = store.sync(G1, [("a", "h1"), ("b", "h1")])
    assert (first.current, first.arrived) == (True, 2)
    assert store.pending(store.get(early.id)) == []  # the first sync is the baseline, not news
    assert store.sync(G1, [("a", "h1"), ("b", "h1"), ("c", "h1")]).arrived == 0  # already synced
    w = store.create(Q)
    second = store.sync(G2, [("a", "h1"), ("b", "h2"), ("c", "h1")])  # b changed, c is new
    assert second.arrived == 2 and store.generation() == G2
    assert [(a.arxiv_id, a.content_hash) for a in store.pending(store.get(w.id))] == [("b", "h2"), ("c", "h1")]
    behind = store.sync(G1, [("a", "h0")])  # a server still on the old generation
    assert not behind.current and store.generation() == G2
    assert [a.arxiv_id for a in store.pending(store.get(w.id))] == ["b", "c"]


def test_record_is_atomic_and_happens_once(tmp_path):
    store = WatchStore(tmp_path / WATCHES_FILE)
    store.sync("g1", [("a", "h1")])
    w = store.create(Q)
    store.sync("g2", [("a", "h1"), ("b", "h1"), ("c", "h1")])
    todo = store.pending(w)
    stats = CorpusStats(generation="g2", method="learned", mean=0.1, std=0.5, n=3)
    assert store.record(w, todo[-1].seq, [match("b", "g2")], stats)
    assert not store.record(w, todo[-1].seq, [match("c", "g2")], stats)  # a second runner with the same view
    fresh = store.get(w.id)
    assert store.pending(fresh) == [] and fresh.stats == stats
    assert [m.arxiv_id for m in store.matches(w.id)] == ["b"]
    store.sync("g3", [("a", "h1"), ("b", "h2"), ("c", "h1")])  # b's text changed: it is matched again
    again = store.pending(fresh)
    assert [a.arxiv_id for a in again] == ["b"]
    assert store.record(fresh, again[-1].seq, [match("b", "g3", "h2", score=2.0)])
    (b,) = store.matches(w.id)
    assert (b.generation, b.content_hash, b.score) == ("g3", "h2", 2.0)  # one row per paper, updated
    assert store.get(w.id).stats == stats  # kept when a run brings none
    store.delete(w.id)
    assert not store.record(fresh, again[-1].seq + 1, [match("a")])


def test_matches_newest_first_with_a_limit(tmp_path):
    store = WatchStore(tmp_path / WATCHES_FILE)
    w = store.create(Q)
    for i, aid in enumerate(["x", "y", "z"]):
        m = match(aid)
        store.add_matches(w.id, [m.model_copy(update={"matched_at": datetime(2024, 1, 1 + i, tzinfo=UTC)})])
    assert [m.arxiv_id for m in store.matches(w.id)] == ["z", "y", "x"]
    assert [m.arxiv_id for m in store.matches(w.id, limit=2)] == ["z", "y"]
    assert store.matches(w.id)[0].matched_at == datetime(2024, 1, 3, tzinfo=UTC)


def test_a_second_store_on_the_same_file_sees_everything(tmp_path):
    a = WatchStore(tmp_path / WATCHES_FILE)
    w = a.create(Q)
    b = WatchStore(Path(str(tmp_path / WATCHES_FILE)))
    assert b.get(w.id) == w


def test_record_all_moves_every_watch_in_one_transaction_each_compare_and_set(tmp_path):
    store = WatchStore(tmp_path / WATCHES_FILE)
    store.sync("20260101T000000-1-a", [("a", "h1")])
    one, two, gone = (store.create(QuerySpec(query=q)) for q in ("one", "two", "gone"))
    store.sync("20260102T000000-1-a", [("a", "h1"), ("b", "h1"), ("c", "h1")])
    log = store.arrivals(one.seen_seq)
    assert [a.arxiv_id for a in store.arrivals()] == ["a", "b", "c"] and [a.arxiv_id for a in log] == ["b", "c"]
    assert store.record(two, log[0].seq, [])  # another run moved this one first
    store.delete(gone.id)
    done = store.record_all([Progress(w, log[-1].seq, [match("b", "g2")]) for w in (one, two, gone)])
    assert done == {one.id}
    assert [m.arxiv_id for m in store.matches(one.id)] == ["b"] and store.matches(two.id) == []
    assert store.pending(store.get(one.id)) == [] and store.record_all([]) == set()
