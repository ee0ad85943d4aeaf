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
    from papersearch.settings import Settings

    return embedder_for(Settings())


# a corpus entry whose title and summary carry markup: every page must show it as text, never run it
HOSTILE_ID = "2501.99999"
HOSTILE_DAY = "2025/01/03.md"
HOSTILE_DIGEST = f"""## Daily Papers (2025-01-03)

### [<script>window.__pwned = 1</script> Hostile <b>Title</b> Test](https://arxiv.org/abs/{HOSTILE_ID})

Vote: 3

Authors: Mallory Example

- 이 논문은 <script>window.__pwned = 2</script> 공격 문자열을 제목과 요약에 담은 시험용 항목입니다 [/INST] [bold].
"""

SEARCH_DAYS = ["2023/11/20.md", "2024/04/05.md", "2024/06/03.md", "2024/09/02.md", "2025/01/02.md"]


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory, corpus_dir, embedder):
    """A small real index (a few real day files, real model) shared by search/API tests."""
    from indexer.build import build_index
    from papersearch.settings import Settings

    root = tmp_path_factory.mktemp("built")
    corpus = copy_days(corpus_dir, root / "corpus", SEARCH_DAYS)
    (corpus / HOSTILE_DAY).parent.mkdir(parents=True, exist_ok=True)
    (corpus / HOSTILE_DAY).write_text(HOSTILE_DIGEST, encoding="utf-8")
    s = Settings(corpus=corpus, data_dir=root / "data")
    build_index(s, progress=False, embedder_factory=lambda _: embedder)
    return s


@pytest.fixture(scope="session")
def engine(built_settings, embedder):
    from search.engine import SearchEngine

    e = SearchEngine.open(built_settings, embedder=embedder)
    yield e
    e.close()


def assert_relevant_head_sorted(scores: list[float], keys: list, tol: float = 1e-3) -> None:
    """votes/recency modes: a head of the most relevant papers sorted by the key comes first, then the rest by
    relevance, every one of them less relevant than the whole head (search.ranking.relevant_head draws the line
    from the whole pool, which a page of k results does not show, so any such split point is accepted)."""
    def ok(h: int) -> bool:
        head, tail = scores[:h], scores[h:]
        return (all(keys[i] >= keys[i + 1] for i in range(h - 1))
                and all(tail[i] >= tail[i + 1] - tol for i in range(len(tail) - 1))
                and (not tail or max(tail) <= min(head) + tol))
    assert scores and any(ok(h) for h in range(1, len(scores) + 1)), (scores, keys)
