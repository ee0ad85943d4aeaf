"""`papersearch watch add | list | rm | run`, `index` catching the watches up after it publishes, and
`--format` / `--mode` on search and similar: real subprocesses on a private copy of the small real index."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from search.follow.store import WATCHES_FILE
from tests.helpers import CORPUS, HOSTILE_ID, exported_ids

pytestmark = pytest.mark.model

NEW_DAY = "2024/09/03.md"          # two papers the small index does not hold yet
VISIONTS = "2408.17253"            # "VisionTS: Visual Masked Autoencoders Are Free-Lunch Zero-Shot Time Series ..."


def run(data_dir, *args, corpus=None):
    cmd = [sys.executable, "-m", "papersearch.cli", *args, "--data-dir", str(data_dir)]
    if corpus is not None:
        cmd += ["--corpus", str(corpus)]
    return subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ), timeout=900)


@pytest.fixture(scope="module")
def private(built_settings, tmp_path_factory):
    """A copy of the small index and of its corpus, without any watch store."""
    root = tmp_path_factory.mktemp("watch-cli")
    shutil.copytree(built_settings.data_dir, root / "data", ignore=shutil.ignore_patterns(WATCHES_FILE + "*"))
    shutil.copytree(built_settings.corpus[0], root / "corpus")
    return root / "data", root / "corpus"


def test_add_list_rm_and_their_errors(private):
    data, _ = private
    assert "no watches yet" in run(data, "watch", "list").stdout
    r = run(data, "watch", "run")
    assert r.returncode == 2 and "no watches yet" in r.stderr
    assert not (data / WATCHES_FILE).exists()  # looking does not create a store
    added = run(data, "watch", "add", "KV 캐시 압축", "--min-votes", "5", "--name", "kv", "--json")
    assert added.returncode == 0, added.stderr
    kv = json.loads(added.stdout)
    assert kv["kind"] == "query" and kv["spec"]["min_votes"] == 5 and kv["name"] == "kv"
    assert kv["feed_url"] == f"http://127.0.0.1:8000/feeds/{kv['id']}.atom" and "backfilled" in kv
    like = json.loads(run(data, "watch", "add", "--like", "2404.03592", "--unlike", "2404.03653", "--json").stdout)
    assert like["kind"] == "seeds" and like["spec"]["negative"] == ["2404.03653"]
    author = run(data, "watch", "add", "--author", "mallory  EXAMPLE")
    assert author.returncode == 0 and "watching papers by Mallory Example (author)" in author.stdout  # the index's spelling
    assert "1 match among" in author.stdout and HOSTILE_ID in author.stdout  # backfilled from the newest days
    for args, words in [(["--like", "2101.00001"], "--like: paper 2101.00001 is not in the index"),
                        (["x", "--like", "2404.03592"], "--like does not go with this kind of watch"),
                        (["x", "--date-from", "yesterday"], "--date-from:"),
                        (["--author", "Dahua Lni"], "closest: Dahua Lin"), ([], "give one of")]:
        r = run(data, "watch", "add", *args)
        assert r.returncode == 2 and words in " ".join(r.stderr.split()) and "Traceback" not in r.stderr, (args, r.stderr)
    listed = json.loads(run(data, "watch", "list", "--json").stdout)
    assert [w["id"] for w in listed][:2] == [kv["id"], like["id"]] and len(listed) == 3
    table = run(data, "watch", "list").stdout
    assert all(w["id"] in table for w in listed)  # ids are never folded: they are copied into `watch rm`
    assert "deleted" in run(data, "watch", "rm", like["id"]).stdout
    r = run(data, "watch", "rm", like["id"])
    assert r.returncode == 2 and "no watch" in r.stderr
    assert len(json.loads(run(data, "watch", "list", "--json").stdout)) == 2


def test_index_catches_watches_up_and_watch_run_prints_the_new_matches(private, tmp_path):
    data, corpus = private
    (corpus / NEW_DAY).parent.mkdir(parents=True, exist_ok=True)
    follow = run(data, "watch", "add", "visual masked autoencoders as zero-shot time series forecasters", "--json")
    assert follow.returncode == 0, follow.stderr
    wid = json.loads(follow.stdout)["id"]
    shutil.copyfile(CORPUS / NEW_DAY, corpus / NEW_DAY)  # the day arrives
    built = run(data, "index", "--json", corpus=corpus)
    assert built.returncode == 0, built.stderr
    report = json.loads(built.stdout)
    assert report["new"] == 2 and report["watches"]["new_matches"][wid] >= 1
    out = json.loads(run(data, "watch", "run", "--json").stdout)
    new = {w["id"]: [m["arxiv_id"] for m in w["new"]] for w in out["watches"]}
    assert VISIONTS in new[wid] and out["generation"] == report["generation"]
    assert out["arrived"] == 0  # `index` had synced and matched them: nothing is matched twice
    text = run(data, "watch", "run").stdout
    assert f"({wid}): " in text and VISIONTS in text and "VisionTS" in text


def test_search_and_similar_export_with_format_and_similar_takes_mode(built_settings):
    data = built_settings.data_dir
    want = [r["arxiv_id"] for r in json.loads(run(data, "search", "video generation", "--k", "4", "--json").stdout)["results"]]
    for fmt in ("bibtex", "csv", "jsonl"):
        r = run(data, "search", "video generation", "--k", "4", "--format", fmt)
        assert r.returncode == 0 and exported_ids(r.stdout, fmt) == want, (fmt, r.stderr)
    votes = json.loads(run(data, "similar", "2404.03592", "--mode", "votes", "--k", "5", "--json").stdout)
    assert votes["mode"] == "votes" and len(votes["results"]) == 5
    bib = run(data, "similar", "2404.03592", "--mode", "votes", "--k", "5", "--format", "bibtex")
    assert exported_ids(bib.stdout, "bibtex") == [x["arxiv_id"] for x in votes["results"]]
    for args, words in [(["search", "x", "--format", "pdf"], "--format must be one of bibtex, csv, jsonl"),
                        (["similar", "--ids-file", "x.jsonl", "--format", "csv"], "--format exports one result list"),
                        (["similar", "2404.03592", "--mode", "random"], "random")]:
        r = run(data, *args)
        assert r.returncode == 2 and words in r.stderr, (args, r.stderr)
