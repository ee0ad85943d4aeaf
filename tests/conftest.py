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
