"""The suspect flag's reason as users meet it: two real papers' Korean summaries swapped in a copy of real digest
days, their English abstracts from the real feed days; the API record, the paper page and `show` name the abstract
as the reason, a paper without an abstract keeps the title rule, and an index built before the abstract check
still serves (title rule, no abstract figure)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from indexer.dense.suspicion import ABSTRACT_AGREEMENT_FILE
from indexer.pipeline.build import build_index
from indexer.reading.reader import open_index
from indexer.storage.layout import DataDir
from indexer.storage.manifest import Manifest
from papersearch.settings import Settings
from tests.helpers import CORPUS, copy_days, copy_feed_days

pytestmark = pytest.mark.model

DAYS = ["2025/01/02.md", "2025/01/03.md", "2025/01/06.md", "2025/01/07.md"]
SWAP = ("2412.19723", "2412.20735")   # OS-Genesis (GUI agents) and HunyuanProver (theorem proving), 2025-01-02
NO_ABSTRACT_DAY = "2023/11/20.md"     # before the feed snapshot: title rule


def swap_summaries(day: Path, a: str, b: str) -> None:
    """Exchange two papers' summary bullets in a digest file."""
    text = day.read_text(encoding="utf-8")
    blocks = {}
    for aid in (a, b):
        m = re.search(rf"abs/{re.escape(aid)}\).*?\nAuthors:[^\n]*\n\n(.*?)(?=\n##|\Z)", text, re.S)
        blocks[aid] = m.group(1)
    text = text.replace(blocks[a], "\0A\0").replace(blocks[b], blocks[a]).replace("\0A\0", blocks[b])
    day.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def swapped(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("swapped")
    digest = copy_days(CORPUS, root / "digest", [*DAYS, NO_ABSTRACT_DAY])
    swap_summaries(digest / DAYS[0], *SWAP)
    feed = copy_feed_days(root / "feed", [d.replace("/", "-").removesuffix(".md") for d in DAYS])
    s = Settings(corpus=[digest, feed], data_dir=root / "data")
    build_index(s, progress=False, embedder_factory=lambda _: embedder)
    with TestClient(create_app(s, embedder=embedder), raise_server_exceptions=False) as c:
        yield s, c


def test_the_api_record_and_the_page_give_the_abstract_as_the_reason(swapped):
    _, client = swapped
    for aid in SWAP:
        d = client.get(f"/api/papers/{aid}").json()
        assert d["summary_suspect"] is True and d["abstract_agreement"] < 0.98
        assert d["suspect_reason"] == f"summary disagrees with the abstract, {d['abstract_agreement']:.2f}"
        page = client.get(f"/paper/{aid}").text
        assert d["suspect_reason"] in page and "요약 불일치 의심" in page
    idx = open_index(swapped[0].data_dir)
    try:
        sus = idx.suspicion()
        ok = [p.arxiv_id for (_, p), f, by in zip(sorted(idx.store.all()), sus.flagged, sus.by_abstract) if by and not f]
    finally:
        idx.close()
    d = client.get(f"/api/papers/{ok[0]}").json()
    assert d["summary_suspect"] is False and d["suspect_reason"] is None and d["abstract_agreement"] >= 0.98


def test_a_paper_without_an_abstract_is_judged_by_its_title(swapped):
    _, client = swapped
    d = client.get("/api/papers/2311.10122").json()  # Video-LLaVA: digest only
    assert d["abstract_agreement"] is None and d["agreement"] is not None
    assert d["suspect_reason"] is None or d["suspect_reason"].startswith("summary disagrees with the title, ")


def show(data_dir: Path, aid: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "papersearch.cli", "show", aid, "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "400"}, timeout=600)


def test_show_gives_the_reason(swapped):
    s, _ = swapped
    d = json.loads(show(s.data_dir, SWAP[0], "--json").stdout)
    assert d["summary_suspect"] is True and d["suspect_reason"].startswith("summary disagrees with the abstract, ")
    text = show(s.data_dir, SWAP[0]).stdout
    assert "summary suspect" in text and d["suspect_reason"] in text


def test_an_index_built_before_the_check_still_serves_by_the_title_rule(swapped, tmp_path, embedder):
    s, _ = swapped
    import shutil

    shutil.copytree(s.data_dir, tmp_path / "data")
    gen = DataDir(tmp_path / "data").current()
    (gen.path / ABSTRACT_AGREEMENT_FILE).unlink()
    m = Manifest.load(gen.manifest)
    m.extra = {k: v for k, v in m.extra.items() if k not in ("abstract_suspect_threshold", "suspect_by_abstract")}
    m.record_files(gen.path)
    m.save(gen.manifest)
    old = s.model_copy(update={"data_dir": tmp_path / "data"})
    with TestClient(create_app(old, embedder=embedder), raise_server_exceptions=False) as c:
        d = c.get(f"/api/papers/{SWAP[0]}").json()
    assert d["abstract_agreement"] is None
    assert d["suspect_reason"] is None or d["suspect_reason"].startswith("summary disagrees with the title, ")
    assert json.loads(show(tmp_path / "data", SWAP[0], "--json").stdout)["abstract_agreement"] is None
