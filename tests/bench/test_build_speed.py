"""bench/build_speed.py's held-back days: the new-day row and the feed-day row that follows it."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest


@pytest.fixture
def build_speed(monkeypatch, tmp_path):
    # the bench pins its checkout's data dir and shared root into the environment: keep them out of this process
    monkeypatch.setenv("PAPERSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAPERSEARCH_SHARED", str(tmp_path / "shared"))
    return importlib.import_module("bench.build_speed")


def day(root: Path, rel: str, papers: int) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("## Daily Papers\n" + "".join(f"\n### [Paper {i}](https://arxiv.org/abs/2401.{i:05d})\n"
                                               for i in range(papers)), encoding="utf-8")
    return p


def test_the_newest_typical_digest_day_with_a_feed_file_of_its_date_is_held(build_speed, tmp_path):
    digest, feed = tmp_path / "digest", tmp_path / "feed"
    held = day(digest, "2025/01/02.md", 12)
    day(digest, "2025/01/03.md", 4)            # too small to be typical
    day(digest, "2025/01/06.md", 15)           # no feed file of its date
    day(digest, "2024/12/30.md", 20)           # older
    feed.mkdir()
    for d in ("2025-01-02", "2025-01-03", "2024-12-30"):
        (feed / f"{d}.json").write_text("[]", encoding="utf-8")
    assert build_speed.held_days(digest, feed) == (held, feed / "2025-01-02.json")
    assert build_speed.held_days(digest, None) == (digest / "2025/01/06.md", None)  # digest only: the newest typical
    with pytest.raises(SystemExit, match="no digest day"):
        build_speed.held_days(tmp_path / "empty", None)
