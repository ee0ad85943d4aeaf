"""The build's progress file: what a running build reports, read back by the server (a real file, real locks).
A build is alive while it holds the build lock; a file left by a build that died reads as dead even when its
pid now belongs to another process; a failed build keeps its error; a finished one leaves nothing."""
from __future__ import annotations

import json
import os

from indexer.storage.layout import DataDir
from indexer.storage.progress import PROGRESS_FILE, BuildProgress, read_progress


def test_a_running_build_reports_its_step_and_share(tmp_path):
    data = DataDir(tmp_path)
    with data.build_lock():
        p = BuildProgress(tmp_path, "full")
        p.step("embed")
        p.work("summary", 50, 200)
        p._write()
        s = read_progress(tmp_path)
        assert s.alive and s.pid == os.getpid() and s.phase == "full" and s.step == "embed"
        assert s.encoding == "summary" and s.percent == 25.0 and s.eta_s is not None
        assert data.build_running() is True
    assert data.build_running() is False


def test_progress_writes_are_throttled_but_the_last_one_lands(tmp_path):
    p = BuildProgress(tmp_path, "quick")
    p.step("embed")
    p.work("title", 1, 100)   # right after the step's own write: throttled
    assert json.loads((tmp_path / PROGRESS_FILE).read_text())["done"] == 0
    p.work("title", 100, 100)   # the step's end is always written
    assert json.loads((tmp_path / PROGRESS_FILE).read_text())["done"] == 100


def test_a_file_left_by_a_dead_build_is_not_alive_even_if_its_pid_is_reused(tmp_path):
    p = BuildProgress(tmp_path, "full")   # written by this (live) process, but no build holds the lock
    p.step("embed")
    s = read_progress(tmp_path)
    assert s is not None and s.pid == os.getpid() and s.alive is False


def test_a_failed_build_keeps_its_error_and_a_finished_one_leaves_nothing(tmp_path):
    with DataDir(tmp_path).build_lock():
        p = BuildProgress(tmp_path, "full")
        p.step("embed")
        p.fail("disk full")
        s = read_progress(tmp_path)
        assert s.error == "disk full" and s.alive is False
        p.finish()
    assert read_progress(tmp_path) is None and not (tmp_path / PROGRESS_FILE).exists()


def test_a_damaged_progress_file_reads_as_no_report(tmp_path):
    (tmp_path / PROGRESS_FILE).write_text("{not json")
    assert read_progress(tmp_path) is None
