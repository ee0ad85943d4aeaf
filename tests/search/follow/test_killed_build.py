"""A real `papersearch index` SIGKILLed mid-build leaves every watch and match as it was: the watch file lives
beside the generations, never in one, and the next build's catch-up matches the new papers once."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from indexer.storage.layout import DataDir
from search.engine import SearchEngine
from search.follow.catchup import EngineSource, catch_up, create_watch
from search.follow.models import AuthorSpec, QuerySpec
from search.follow.store import WatchStore
from tests.helpers import copy_days

OS_GENESIS = "2412.19723"   # OS-Genesis (Yu Qiao et al.), on 2025-01-02


@pytest.mark.model
def test_watches_and_matches_survive_a_sigkilled_build(tmp_path, corpus_dir, embedder):
    from indexer.pipeline.build import build_index
    from papersearch.settings import Settings

    corpus = copy_days(corpus_dir, tmp_path / "corpus", ["2024/06/03.md"])
    s = Settings(corpus=corpus, data_dir=tmp_path / "data")
    build_index(s, progress=False, embedder_factory=lambda _: embedder)
    store = WatchStore.in_data_dir(s.data_dir)
    e = SearchEngine.open(s, embedder=embedder)
    catch_up(EngineSource(e), store)
    follow, backfilled = create_watch(EngineSource(e), store, AuthorSpec(author="Yu Qiao"))
    agent, _ = create_watch(EngineSource(e), store, QuerySpec(query="GUI agent trajectories by reverse task synthesis"))
    e.close()
    assert [m.arxiv_id for m in backfilled] == ["2405.20674"]
    before = {w.id: store.matches(w.id) for w in store.watches()}
    served = DataDir(s.data_dir).current()

    copy_days(corpus_dir, corpus, ["2025/01/02.md", "2024/06/04.md", "2024/06/05.md"])
    env = {**os.environ, "PAPERSEARCH_CORPUS": str(corpus), "PAPERSEARCH_DATA_DIR": str(s.data_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "papersearch.cli", "index"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 600
    try:  # kill it while it embeds the new days into a generation not yet published
        while time.time() < deadline:
            tmp = [p for p in (s.data_dir / "generations").iterdir() if p.name.startswith(".tmp-")]
            if tmp and (tmp[0] / "papers.sqlite").exists():
                break
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.1)
        time.sleep(1.0)
        assert proc.poll() is None, "build finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL and DataDir(s.data_dir).current() == served

    store = WatchStore.in_data_dir(s.data_dir)  # as the next process opens it
    with sqlite3.connect(store.path) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert {w.id: store.matches(w.id) for w in store.watches()} == before
    e = SearchEngine.open(s, embedder=embedder)
    try:  # still on the old generation: nothing new, nothing matched twice
        assert catch_up(EngineSource(e), store).matched == {}
    finally:
        e.close()

    build_index(s, progress=False, embedder_factory=lambda _: embedder)  # the next build publishes
    e = SearchEngine.open(s, embedder=embedder)
    try:
        report = catch_up(EngineSource(e), store)
        again = catch_up(EngineSource(e), store)
    finally:
        e.close()
    assert OS_GENESIS in [m.arxiv_id for m in report.matched[follow.id]]
    assert OS_GENESIS in [m.arxiv_id for m in report.matched[agent.id]]
    assert again.matched == {}
    after = {w.id: store.matches(w.id) for w in store.watches()}
    assert all(m in after[w] for w, ms in before.items() for m in ms)  # every earlier match kept
