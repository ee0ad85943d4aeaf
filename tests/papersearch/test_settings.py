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


def test_reload_interval_is_its_own_name_and_the_old_one_still_works_with_a_warning(monkeypatch):
    for var in ("PAPERSEARCH_RELOAD_INTERVAL", "PAPERSEARCH_WATCH_INTERVAL"):
        monkeypatch.delenv(var, raising=False)
    assert Settings().reload_interval == 2.0 and Settings(reload_interval=0).reload_interval == 0
    monkeypatch.setenv("PAPERSEARCH_WATCH_INTERVAL", "5")
    with pytest.warns(DeprecationWarning, match="PAPERSEARCH_RELOAD_INTERVAL"):
        assert Settings().reload_interval == 5.0
    monkeypatch.setenv("PAPERSEARCH_RELOAD_INTERVAL", "0.5")  # the new name wins
    with pytest.warns(DeprecationWarning):
        assert Settings().reload_interval == 0.5
    monkeypatch.delenv("PAPERSEARCH_WATCH_INTERVAL")
    with pytest.raises(ValueError, match="reload_interval"):
        Settings(reload_interval=-1)
    assert not hasattr(Settings(), "watch_interval")


def test_public_base_url_is_an_absolute_http_root(monkeypatch):
    monkeypatch.setenv("PAPERSEARCH_PUBLIC_BASE_URL", "https://papers.example.org/search/")
    assert Settings().public_base_url == "https://papers.example.org/search"
    monkeypatch.delenv("PAPERSEARCH_PUBLIC_BASE_URL")
    assert Settings().public_base_url is None and Settings(public_base_url=" ").public_base_url is None
    for bad in ("papers.example.org", "ftp://x.org", "https://x.org/?a=1", "https://x.org/#top"):
        with pytest.raises(ValueError, match="public_base_url"):
            Settings(public_base_url=bad)
