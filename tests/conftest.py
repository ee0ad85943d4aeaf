import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("PAPERSEARCH_CORPUS", REPO.parent / "shared" / "corpus" / "daily_papers_ko" / "paper_logs"))
SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"corpus not found at {CORPUS}; put ../shared beside the repo or set PAPERSEARCH_CORPUS")
    return CORPUS


def copy_days(corpus: Path, dest: Path, files: list[str]) -> Path:
    """Copy some real day files (relative paths like '2024/04/19.md') into a fresh corpus tree."""
    import shutil

    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / rel, target)
    return dest


SLICE_DAYS = ["2023/11/20.md", "2024/04/05.md", "2024/09/02.md"]


@pytest.fixture(scope="session")
def embedder():
    """The real default model, loaded once per test session."""
    from indexer.build import embedder_for
    from indexer.settings import Settings

    return embedder_for(Settings())


SEARCH_DAYS = ["2023/11/20.md", "2024/04/05.md", "2024/06/03.md", "2024/09/02.md", "2025/01/02.md"]


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory, corpus_dir, embedder):
    """A small real index (a few real day files, real model) shared by search/API tests."""
    from indexer.build import build_index
    from indexer.settings import Settings

    root = tmp_path_factory.mktemp("built")
    corpus = copy_days(corpus_dir, root / "corpus", SEARCH_DAYS)
    s = Settings(corpus=corpus, data_dir=root / "data")
    build_index(s, progress=False, embedder_factory=lambda _: embedder)
    return s


@pytest.fixture(scope="session")
def engine(built_settings, embedder):
    from search.engine import SearchEngine

    e = SearchEngine.open(built_settings, embedder=embedder)
    yield e
    e.close()


def assert_relevant_head_sorted(scores: list[float], keys: list) -> None:
    """votes/recency modes sort the clearly relevant head (score >= half the best) by the key, and it comes first."""
    best = max(scores)
    head = [i for i, s in enumerate(scores) if s >= 0.5 * best]
    assert head == list(range(len(head))), (scores, keys)
    assert [keys[i] for i in head] == sorted((keys[i] for i in head), reverse=True), (scores, keys)
