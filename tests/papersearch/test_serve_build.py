"""`papersearch serve --build` (what `make serve` runs) as a user runs it: real processes, real uvicorn, real
model, real day files of both sources. With no index, it answers from a quick pass (keyword search), says so on
/healthz, builds the title vectors and the rest beside itself and swaps each in; stopped mid-build, it stops
the build cleanly (what was published stays served and verifies) and the next start completes it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from indexer.reading.verify import verify
from indexer.storage.layout import DataDir
from indexer.storage.manifest import Manifest
from indexer.storage.progress import read_progress
from tests.helpers import FED_FEED_DAYS, SLICE_DAYS, copy_days, copy_feed_days, free_port

pytestmark = pytest.mark.model


def start(data: Path, corpus: list[Path]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PAPERSEARCH_DATA_DIR": str(data), "PAPERSEARCH_PORT": str(port),
           "PAPERSEARCH_CORPUS": os.pathsep.join(map(str, corpus)), "PAPERSEARCH_RELOAD_INTERVAL": "0.5"}
    proc = subprocess.Popen([sys.executable, "-m", "papersearch.cli", "serve", "--build"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, f"http://127.0.0.1:{port}"


def health(proc: subprocess.Popen, base: str, until, timeout: float = 300) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        try:
            h = httpx.get(base + "/healthz", timeout=2).json()
            if until(h):
                return h
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"not reached in {timeout} s")


def last_result(log: Path) -> dict:
    """The last `papersearch index --json` result in the build log (pretty-printed JSON among other lines)."""
    text = log.read_text()
    return json.JSONDecoder().raw_decode(text, text.rindex("\n{") + 1 if "\n{" in text else text.index("{"))[0]


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (from /proc: no pgrep needed)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def wait_for_children(proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while children(proc.pid):
        assert time.time() < deadline, "the build beside the server did not exit"
        time.sleep(0.2)
    time.sleep(0.5)   # the reporter thread prints after the child's exit


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)   # Ctrl-C
    out, _ = proc.communicate(timeout=60)
    return out


@pytest.fixture
def corpus(tmp_path, corpus_dir) -> list[Path]:
    return [copy_days(corpus_dir, tmp_path / "digest", SLICE_DAYS), copy_feed_days(tmp_path / "feed", FED_FEED_DAYS)]


def test_first_serve_answers_from_the_quick_pass_then_swaps_in_the_full_index(tmp_path, corpus):
    data = tmp_path / "data"
    proc, base = start(data, corpus)
    try:
        first = health(proc, base, lambda h: h["index_loaded"])
        assert first["complete"] is False and "learned" in first["rankers_pending"]
        assert first["pending"][0] == "title" and first["rankers_live"] == ["lexical", "similar-lexical"]
        r = httpx.get(base + "/api/search", params={"q": "긴 문맥 KV cache 압축"}, timeout=30).json()
        assert r["method"] in ("lexical", "hybrid") and r["results"]   # hybrid once the title vectors are in
        done = health(proc, base, lambda h: h["complete"])
        assert done["generation"] != first["generation"] and done["rankers_pending"] == [] and done["build"] is None
        assert httpx.get(base + "/api/search", params={"q": "diffusion"}, timeout=30).json()["method"] == "learned"
        assert last_result(data / "build.log")["encoded"].get("summary")
        wait_for_children(proc)   # the build publishes, then exits; the server reports its end
    finally:
        out = stop(proc)
    assert "quick pass published" in out and "the full index is built" in out, out
    assert verify(data).ok


def test_stopped_mid_build_keeps_the_quick_pass_and_the_next_start_resumes(tmp_path, corpus):
    data = tmp_path / "data"
    proc, base = start(data, corpus)
    try:
        health(proc, base, lambda h: h["index_loaded"] and h["build"] and h["build"]["step"] in ("embed", "tokenize"))
        child = read_progress(data).pid
    finally:
        stop(proc)
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)   # the build stopped with the server
    gen = DataDir(data).current()
    assert Manifest.load(gen.manifest).pending and verify(data).ok
    assert not any(p.name.startswith(".tmp-") for p in (data / "generations").iterdir())
    assert read_progress(data) is None
    proc, base = start(data, corpus)
    try:
        done = health(proc, base, lambda h: h["complete"])
        assert done["papers"] > 0
    finally:
        stop(proc)
    assert "title" not in last_result(data / "build.log")["encoded"]   # the resumed build kept the quick pass's titles
