"""When a build refits its corpus-wide fits and when it carries the served generation's over."""
from __future__ import annotations

import numpy as np

from indexer.pipeline.corpus_fits import refit_needed
from indexer.storage.layout import Generation


def _served(tmp_path, ids: list[int]) -> Generation:
    gen = Generation(tmp_path / "served")
    gen.path.mkdir()
    np.save(gen.ids, np.array(ids, dtype=np.int64))
    return gen


def test_refit_when_more_than_a_tenth_of_the_papers_are_new(tmp_path):
    prev = _served(tmp_path, list(range(100)))
    assert refit_needed(None, np.arange(100), rebuild=False)          # nothing served yet
    assert refit_needed(prev, np.arange(100), rebuild=True)           # --rebuild
    assert not refit_needed(prev, np.arange(100), rebuild=False)      # the same papers
    assert not refit_needed(prev, np.arange(111), rebuild=False)      # 11 new of 111: under a tenth
    assert refit_needed(prev, np.arange(112), rebuild=False)          # 12 new of 112: over a tenth
    assert not refit_needed(prev, np.arange(50), rebuild=False)       # pruned papers are not new ones


def test_an_unreadable_served_id_list_means_refit(tmp_path):
    prev = _served(tmp_path, [1, 2, 3])
    prev.ids.write_bytes(b"not a numpy file")
    assert refit_needed(prev, np.arange(3), rebuild=False)
