import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from tests.helpers import CORPUS, FED_FEED_DAYS, HOSTILE_DAY, HOSTILE_DIGEST, SEARCH_DAYS, SLICE_DAYS, copy_days, copy_feed_days


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"corpus not found at {CORPUS}; put ../shared beside the repo or set PAPERSEARCH_CORPUS")
    return CORPUS


@pytest.fixture(scope="session")
def embedder():
    """The real default model, loaded once per test session."""
    from models.loading import embedder_for
    from papersearch.settings import Settings

    return embedder_for(Settings())


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory, corpus_dir, embedder):
    """A small real index (a few real day files, real model) shared by search/API tests."""
    from indexer.pipeline.build import build_index
    from papersearch.settings import Settings

    root = tmp_path_factory.mktemp("built")
    corpus = copy_days(corpus_dir, root / "corpus", SEARCH_DAYS)
    (corpus / HOSTILE_DAY).parent.mkdir(parents=True, exist_ok=True)
    (corpus / HOSTILE_DAY).write_text(HOSTILE_DIGEST, encoding="utf-8")
    s = Settings(corpus=corpus, data_dir=root / "data")
    build_index(s, progress=False, embedder_factory=lambda _: embedder)
    return s


@pytest.fixture(scope="session")
def fed_settings(tmp_path_factory, corpus_dir, embedder):
    """A small real index of both sources (real model): papers with a summary and an abstract, digest-only
    papers and three feed-only papers (tests.helpers.FED_FEED_DAYS)."""
    from indexer.pipeline.build import build_index
    from papersearch.settings import Settings

    root = tmp_path_factory.mktemp("fed")
    s = Settings(corpus=[copy_days(corpus_dir, root / "digest", SLICE_DAYS), copy_feed_days(root / "feed", FED_FEED_DAYS)],
                 data_dir=root / "data")
    build_index(s, progress=False, embedder_factory=lambda _: embedder)
    return s


@pytest.fixture(scope="session")
def engine(built_settings, embedder):
    from search.engine import SearchEngine

    e = SearchEngine.open(built_settings, embedder=embedder)
    yield e
    e.close()


@pytest.fixture(scope="session")
def fed_engine(tmp_path_factory, corpus_dir, embedder):
    """A small real index of both sources (three digest days, two feed days): some papers with an English
    abstract, some without, a few only in the feed."""
    from indexer.pipeline.build import build_index
    from papersearch.settings import Settings
    from search.engine import SearchEngine
    from tests.helpers import SLICE_DAYS, copy_feed_days

    root = tmp_path_factory.mktemp("fed-engine")
    s = Settings(corpus=[copy_days(corpus_dir, root / "digest", SLICE_DAYS),
                         copy_feed_days(root / "feed", ["2024-09-02", "2025-01-02"])], data_dir=root / "data")
    build_index(s, progress=False, embedder_factory=lambda _: embedder)
    e = SearchEngine.open(s, embedder=embedder)
    yield e
    e.close()


@pytest.fixture(scope="session")
def quick_settings(tmp_path_factory, corpus_dir, embedder):
    """A first build's two quick stages (`index --quick` twice: keywords, then title vectors) over both sources,
    real model: what a server serves while the rest is built."""
    from indexer.pipeline.build import build_index
    from papersearch.settings import Settings

    root = tmp_path_factory.mktemp("quick-pass")
    s = Settings(corpus=[copy_days(corpus_dir, root / "digest", SLICE_DAYS), copy_feed_days(root / "feed", FED_FEED_DAYS)],
                 data_dir=root / "data")
    for _ in range(2):
        build_index(s, progress=False, quick=True, embedder_factory=lambda _: embedder)
    return s
