"""`papersearch fetch`'s core (indexer.ingest.fetch) against a real HTTP server on 127.0.0.1 that answers
under the API's own path with recorded days of the bundled snapshot, and with a 429, a 500, a cut-off body
and a non-list body on the way."""
from __future__ import annotations

import json
from datetime import date

import pytest

from indexer.ingest.corpus import load_corpus
from indexer.ingest.feed import parse_feed_file
from indexer.ingest.fetch import FetchError, fetch_day, fetch_feed, held_days, plan_days
from papersearch.settings import Settings
from tests.helpers import FEED, FeedServer, free_port, recorded_days

pytestmark = pytest.mark.skipif(not FEED.is_dir(), reason=f"feed snapshot not found at {FEED}")

WEEK = ["2025-04-14", "2025-04-15", "2025-04-16", "2025-04-17", "2025-04-18"]   # Monday .. Friday


def test_missing_days_are_saved_through_429_500_and_a_cut_body(tmp_path):
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "2025-04-18.json").write_bytes((FEED / "2025-04-18.json").read_bytes())  # held already
    recorded = recorded_days(WEEK)
    faults = {"2025-04-14": [("status", 429, {"Retry-After": "1"})], "2025-04-15": [("status", 500)],
              "2025-04-16": [("truncated",)], "2025-04-17": [("body", b'{"error": "Invalid date"}')]}
    with FeedServer(recorded, faults) as server:
        report = fetch_feed(server.url, feed, [], date(2025, 4, 14), date(2025, 4, 21), backoff=0.05)
    got = {d.day: (d.status, d.attempts) for d in report.days}
    assert got == {"2025-04-14": ("fetched", 2), "2025-04-15": ("fetched", 2), "2025-04-16": ("fetched", 2),
                   "2025-04-17": ("failed", 1), "2025-04-21": ("empty", 1)}
    assert "not a list" in report.days[3].error and report.held == 1
    # weekends and the held Friday are never asked for; each fault costs exactly one more request
    assert server.asked() == ["2025-04-14", "2025-04-14", "2025-04-15", "2025-04-15", "2025-04-16", "2025-04-16",
                              "2025-04-17", "2025-04-21"]
    waited = server.requests[1][1] - server.requests[0][1]
    assert waited >= 0.95  # Retry-After: 1 honoured (the backoff alone would wait 0.05 s)
    assert sorted(p.name for p in feed.iterdir()) == [f"{d}.json" for d in ("2025-04-14", "2025-04-15",
                                                                             "2025-04-16", "2025-04-18")]
    for d in WEEK[:3]:  # saved as the API sent it
        assert (feed / f"{d}.json").read_bytes() == recorded[d]
    summary = report.to_dict()
    assert (summary["fetched"], summary["empty"], summary["failed"]) == (3, 1, 1)
    assert summary["papers"] == sum(len(json.loads(recorded[d])) for d in WEEK[:3]) == 43
    papers, ingest = load_corpus(feed)
    assert ingest.feed_files == 4 and len(papers) == 43 + 15 and ingest.warnings == []


def test_refresh_downloads_a_held_day_again(tmp_path):
    feed = tmp_path / "feed"
    feed.mkdir()
    full = recorded_days(["2025-04-18"])["2025-04-18"]
    (feed / "2025-04-18.json").write_text(json.dumps(json.loads(full)[:3]), encoding="utf-8")  # a morning snapshot
    with FeedServer({"2025-04-18": full}) as server:
        again = fetch_feed(server.url, feed, [], date(2025, 4, 18), date(2025, 4, 18))
        assert again.days == [] and again.held == 1 and server.asked() == []
        fresh = fetch_feed(server.url, feed, [], date(2025, 4, 18), date(2025, 4, 18), refresh=True)
    assert [(d.status, d.papers) for d in fresh.days] == [("fetched", 15)]
    assert (feed / "2025-04-18.json").read_bytes() == full and len(parse_feed_file(feed / "2025-04-18.json").items) == 15


def test_retries_are_bounded_and_a_failed_day_writes_nothing(tmp_path):
    faults = {"2025-04-14": [("status", 503)] * 10, "2025-04-15": [("truncated",)] * 10,
              "2025-04-16": [("status", 404)], "2025-04-17": [("body", b'[{"paper": {"id": "2504.1')] * 10}
    with FeedServer(recorded_days(WEEK[:4]), faults) as server:
        results = [fetch_day(server.url, date.fromisoformat(d), tmp_path, retries=2, backoff=0.01)
                   for d in WEEK[:4]]
    assert [(r.status, r.attempts) for r in results] == [("failed", 3), ("failed", 3), ("failed", 1), ("failed", 3)]
    assert results[0].error == "gave up after 3 attempts: HTTP 503"
    assert "connection cut mid-answer (IncompleteRead)" in results[1].error and results[2].error.startswith("HTTP 404")
    assert "truncated or invalid JSON (25 bytes)" in results[3].error  # complete HTTP answer, cut-off JSON
    assert list(tmp_path.iterdir()) == []  # no day, no temporary file


def test_an_unreachable_host_is_one_error_and_keeps_what_was_saved(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(FetchError, match=r"cannot reach 127\.0\.0\.1:\d+ \(Connection refused\)") as err:
        fetch_feed(url, tmp_path / "feed", [], date(2025, 4, 14), date(2025, 4, 15))
    assert "\n" not in str(err.value) and "0 of 2 day(s) saved" in str(err.value)


def test_day_plan_defaults_weekdays_and_held_days():
    held = {"2025-04-17", "2025-04-18"}
    since, until, days, skipped = plan_days(None, date(2025, 4, 23), held, today=date(2025, 4, 30))
    assert (since, until, skipped) == (date(2025, 4, 19), date(2025, 4, 23), 0)
    assert [d.isoformat() for d in days] == ["2025-04-21", "2025-04-22", "2025-04-23"]  # no Saturday, Sunday
    _, _, days, skipped = plan_days(date(2025, 4, 17), date(2025, 4, 20), held, weekends=True)
    assert [d.isoformat() for d in days] == ["2025-04-19", "2025-04-20"] and skipped == 2
    _, _, days, _ = plan_days(date(2025, 4, 17), date(2025, 4, 18), held, refresh=True)
    assert len(days) == 2
    since, _, days, _ = plan_days(None, date(2025, 4, 21), held, refresh=True)
    assert since == date(2025, 4, 18) and len(days) == 2  # the newest held day (a morning snapshot) again
    _, until, days, _ = plan_days(date(2025, 4, 28), date(2030, 1, 1), set(), today=date(2025, 4, 29))
    assert until == date(2025, 4, 29) and len(days) == 2  # never past today
    since, _, _, _ = plan_days(None, None, set(), today=date(2025, 4, 29))
    assert since == date(2025, 4, 22)  # nothing held: a week back
    assert held_days([FEED]) >= set(WEEK) and len(held_days([FEED])) == 233


def test_index_reads_the_fetched_days_beside_the_bundled_snapshot(tmp_path):
    data = tmp_path / "data"
    assert data / "feed" not in Settings(data_dir=data).corpus  # nothing fetched yet: not read
    with FeedServer({"2025-04-21": recorded_days(["2025-04-18"])["2025-04-18"]}) as server:
        fetch_feed(server.url, Settings(data_dir=data).feed_dir, [FEED], date(2025, 4, 21), date(2025, 4, 21))
    s = Settings(data_dir=data)
    assert s.feed_dir == data / "feed" and s.corpus[-2:] == [FEED, data / "feed"]
    assert Settings(data_dir=data, corpus=[FEED]).corpus == [FEED]  # a corpus given is taken as given
    papers, report = load_corpus(s.corpus)
    again = [p for p in papers if "2025-04-21" in p.dates]
    assert len(again) == 15 and all("2025-04-18" in p.dates for p in again)  # merged with the bundled listing
    assert report.feed_files == 234
