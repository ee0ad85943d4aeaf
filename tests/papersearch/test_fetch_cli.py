"""`papersearch fetch` as a user runs it (subprocess) against a real HTTP server on 127.0.0.1 serving recorded
feed days; then `index`, `show`, `stats` and `verify` on the fetched days (real model)."""
import json
import os
import subprocess
import sys

import pytest

from tests.helpers import FEED, SLICE_DAYS, FeedServer, copy_days, free_port, recorded_days

needs_feed = pytest.mark.skipif(not FEED.is_dir(), reason=f"feed snapshot not found at {FEED}")


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "papersearch.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


def test_offline_is_one_clear_line(tmp_path):
    r = run("fetch", "--since", "2025-04-21", "--until", "2025-04-22", "--data-dir", str(tmp_path),
            env={"PAPERSEARCH_FEED_URL": f"http://127.0.0.1:{free_port()}"})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.replace("\r", "\n").splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach 127.0.0.1:"), r.stderr
    r = run("fetch", "--since", "April 21", "--data-dir", str(tmp_path))
    assert r.returncode == 2 and r.stderr.strip() == "error: --since must be a date like 2025-04-18, got 'April 21'"


@needs_feed
def test_json_summary_and_exit_code(tmp_path):
    days = {"2025-04-21": recorded_days(["2025-04-17"])["2025-04-17"]}
    with FeedServer(days, {"2025-04-22": [("body", b'{"error": "Invalid date"}')]}) as server:
        r = run("fetch", "--since", "2025-04-18", "--until", "2025-04-22", "--json", "--data-dir", str(tmp_path),
                env={"PAPERSEARCH_FEED_URL": server.url})
    out = json.loads(r.stdout)
    assert r.returncode == 1, r.stderr  # a day failed: a cron job should hear of it
    assert (out["fetched"], out["failed"], out["held"], out["papers"]) == (1, 1, 1, 6)  # 04-18: the bundled snapshot
    assert out["feed_dir"] == str(tmp_path / "feed") and (tmp_path / "feed" / "2025-04-21.json").exists()
    assert server.asked() == ["2025-04-21", "2025-04-22"]


@needs_feed
@pytest.mark.model
def test_index_show_stats_verify_cover_the_fetched_feed(tmp_path, corpus_dir):
    digest = copy_days(corpus_dir, tmp_path / "digest", SLICE_DAYS[:1])
    data = tmp_path / "data"
    env = {"PAPERSEARCH_DATA_DIR": str(data)}
    with FeedServer({"2025-04-21": recorded_days(["2025-04-17"])["2025-04-17"]}) as server:
        r = run("fetch", "--since", "2025-04-21", "--until", "2025-04-21", env={**env, "PAPERSEARCH_FEED_URL": server.url})
    assert r.returncode == 0 and "fetched" in r.stdout, r.stderr
    env["PAPERSEARCH_CORPUS"] = os.pathsep.join([str(digest), str(data / "feed")])
    r = run("index", "--json", env=env)
    assert r.returncode == 0, r.stderr
    built = json.loads(r.stdout)
    assert built["ingest"]["feed_only"] == 6 and built["encoded"]["abstract"] == 6 and "summary" in built["encoded"]
    feed_only = json.loads(recorded_days(["2025-04-17"])["2025-04-17"])[0]["paper"]["id"]
    shown = run("show", feed_only, env=env)
    assert shown.returncode == 0 and "no Korean summary yet" in shown.stdout and "abstract" in shown.stdout
    d = json.loads(run("show", feed_only, "--json", env=env).stdout)
    assert d["summary"] == "" and d["abstract"] and d["agreement"] is None and d["summary_suspect"] is False
    assert d["sources"]["abstract"] == "feed" and d["dates"] == ["2025-04-21"]
    stats = json.loads(run("stats", "--json", env=env).stdout)
    assert (stats["papers_only_in_feed"], stats["papers_with_abstract"]) == (6, 6)
    assert stats["papers"] == built["papers"] == stats["papers_with_korean_summary"] + 6
    r = run("verify", "--json", env=env)
    assert r.returncode == 0 and json.loads(r.stdout)["corpus_papers"] == built["papers"], r.stdout
