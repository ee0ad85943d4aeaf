"""`papersearch search` / `similar`, single and batch JSONL forms, against a small real index."""
import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.model


def run(data_dir, *args):
    return subprocess.run([sys.executable, "-m", "papersearch.cli", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, env=dict(os.environ), timeout=600)


def test_search_json_uses_the_api_field_names(built_settings):
    r = run(built_settings.data_dir, "search", "표현 파인튜닝 representation", "--k", "3", "--json")
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert {"query", "total", "results"} <= set(body)
    assert {"arxiv_id", "title", "score", "snippet", "summary_suspect"} <= set(body["results"][0])


def test_batch_queries_keep_order_and_report_bad_lines(built_settings, tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text('{"id": "b", "query": "video generation"}\n{"id": "a", "query": "   "}\n'
                 '{"id": 7, "query": "representation finetuning"}\n', encoding="utf-8")
    r = run(built_settings.data_dir, "search", "--queries-file", str(f), "--k", "2", "--json")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["b", "a", 7]
    assert len(lines[0]["results"]) == 2 and "empty" in lines[1]["error"]
    assert lines[2]["results"][0]["arxiv_id"] == "2404.03592"


def test_similar_single_and_batch(built_settings, tmp_path):
    r = run(built_settings.data_dir, "similar", "arxiv.org/abs/2404.03592", "--k", "3", "--json")
    body = json.loads(r.stdout)
    assert body["similar_to"] == ["2404.03592"] and len(body["results"]) == 3
    f = tmp_path / "ids.jsonl"
    f.write_text('{"id": 1, "arxiv_id": "2404.03592"}\n{"id": 2, "arxiv_id": "2101.00001"}\n', encoding="utf-8")
    lines = [json.loads(x) for x in run(built_settings.data_dir, "similar", "--ids-file", str(f), "--json").stdout.splitlines()]
    assert len(lines[0]["results"]) == 10 and "not in the index" in lines[1]["error"]


def test_errors_are_clear(built_settings, tmp_path):
    r = run(built_settings.data_dir, "search", "x", "--date-from", "yesterday")
    assert r.returncode == 2 and "--date-from" in r.stderr and "Traceback" not in r.stderr
    r = run(built_settings.data_dir, "similar", "2101.00001")
    assert r.returncode == 2 and "not in the index" in r.stderr
    r = run(built_settings.data_dir, "search", "--queries-file", str(tmp_path / "missing.jsonl"), "--json")
    assert r.returncode == 2 and "missing.jsonl does not exist" in " ".join(r.stderr.split())


def test_malformed_batch_lines_get_their_own_errors_and_the_rest_is_answered(built_settings, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('not json\n{"query": 5}\n["a list"]\n{"id": "ok", "query": "video generation"}\n'
                   '{"id": "x", "query": "\\ud800 <script>alert(1)</script>"}\n{"id": "long", "query": "' + "a" * 100_000
                   + '"}\n', encoding="utf-8")
    r = run(built_settings.data_dir, "search", "--queries-file", str(bad), "--k", "2", "--json")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["id"] for x in lines] == [1, 2, 3, "ok", "x", "long"]
    assert all("line" in x["error"] and not x["results"] for x in lines[:3])
    assert len(lines[3]["results"]) == 2 and "error" not in lines[3]
    assert "error" not in lines[4] and "error" not in lines[5]  # hostile but valid text is searched


def test_method_flag_and_expansion_line(built_settings):
    r = run(built_settings.data_dir, "search", "video generation", "--k", "2", "--json")
    body = json.loads(r.stdout)
    assert body["method"] == "learned" and body["expanded_terms"]
    table = run(built_settings.data_dir, "search", "video generation", "--k", "2")
    assert "corpus lexicon" in table.stdout and next(iter(body["expanded_terms"])) in table.stdout
    r = run(built_settings.data_dir, "similar", "2404.03592", "--k", "3", "--method", "lexical", "--json")
    assert json.loads(r.stdout)["method"] == "lexical"
    r = run(built_settings.data_dir, "search", "video", "--method", "magic")
    assert r.returncode == 2 and "--method" in r.stderr and "Traceback" not in r.stderr
