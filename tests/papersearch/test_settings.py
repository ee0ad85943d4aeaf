"""The defaults follow the working directory, not the installed file, so a wheel install finds ./data and ../shared."""
import os
from pathlib import Path

import pytest

from papersearch.settings import Settings


@pytest.fixture
def clean_env(monkeypatch):
    for var in ("PAPERSEARCH_DATA_DIR", "PAPERSEARCH_SHARED", "PAPERSEARCH_CORPUS"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_defaults_are_relative_to_the_working_directory(clean_env, tmp_path):
    run_dir = tmp_path / "checkout"
    seeds = tmp_path / "shared" / "seeds"
    seeds.mkdir(parents=True)
    (seeds / "001_b.txt").write_text("x")
    (seeds / "000_a.txt").write_text("x")
    run_dir.mkdir()
    clean_env.chdir(run_dir)
    s = Settings()
    assert s.data_dir == run_dir / "data" and s.data_dir.is_absolute()
    assert s.shared == tmp_path / "shared"
    assert s.corpus == [tmp_path / "shared" / "corpus" / "daily_papers_ko" / "paper_logs",
                        seeds / "000_a.txt", seeds / "001_b.txt"]


def test_shared_root_from_the_environment_and_corpus_over_it(clean_env, tmp_path):
    clean_env.setenv("PAPERSEARCH_SHARED", str(tmp_path / "elsewhere"))
    assert Settings().corpus == [tmp_path / "elsewhere" / "corpus" / "daily_papers_ko" / "paper_logs"]
    flag = tmp_path / "flag"
    assert Settings(shared=flag).corpus == [flag / "corpus" / "daily_papers_ko" / "paper_logs"]
    clean_env.setenv("PAPERSEARCH_CORPUS", f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}")
    assert Settings().corpus == [tmp_path / "a", tmp_path / "b"]


def test_checkout_defaults_are_unchanged_from_the_repo_root(clean_env):
    repo = Path(__file__).resolve().parents[2]
    clean_env.chdir(repo)
    s = Settings()
    assert s.data_dir == repo / "data"
    assert s.corpus[0] == repo.parent / "shared" / "corpus" / "daily_papers_ko" / "paper_logs"
