import numpy as np
import pytest
from pydantic import ValidationError

from papersearch.settings import Settings
from search.rankers.fusion import FUSIONS
from search.rankers.ranking import HybridParams, fuse


def test_fusions_are_chosen_by_a_validated_name():
    with pytest.raises(ValueError, match="unknown fusion 'magic'; choose one of rrf, zscore"):
        HybridParams(method="magic")
    with pytest.raises(ValueError, match="dense_weight"):
        HybridParams(dense_weight=1.5)
    with pytest.raises(ValidationError):
        Settings(fusion="magic")
    assert HybridParams.from_settings(Settings(fusion="rrf", dense_weight=0.5)) == HybridParams(method="rrf",
                                                                                                  dense_weight=0.5)


@pytest.mark.parametrize("name", sorted(FUSIONS))
def test_every_fusion_respects_the_mask_and_both_signals(name):
    dense = np.array([0.9, 0.8, 0.1, 0.5], dtype=np.float32)
    lexical = np.array([0.0, 9.0, 5.0, 0.0], dtype=np.float32)
    mask = np.array([True, True, True, False])
    out = fuse(dense, lexical, mask, HybridParams(method=name, dense_weight=0.5))
    assert np.isneginf(out[3]) and np.isfinite(out[:3]).all()
    assert out[1] == out[:3].max()  # strong on both sides beats strong on one


def test_rank_mode_knobs_come_from_the_params():
    from indexer.ingest.records import Paper
    from search.filters import FilterColumns
    from search.rankers.ranking import rerank
    from search.schemas import RankMode

    papers = [Paper(arxiv_id=f"2401.0000{i}", title=f"t{i}", votes=v, dates=["2024-01-01"])
              for i, v in enumerate([1, 50, 5])]
    cols = FilterColumns(papers)
    pos, scores = np.array([0, 2, 1]), np.array([3.0, 2.0, 1.0], dtype=np.float32)  # by relevance
    by_relevance, _ = rerank(pos, scores, RankMode.blend, cols, 3, HybridParams(blend=(1.0, 0.0, 0.0)))
    by_votes, _ = rerank(pos, scores, RankMode.blend, cols, 3, HybridParams(blend=(0.0, 1.0, 0.0)))
    assert by_relevance.tolist() == [0, 2, 1] and by_votes.tolist() == [1, 2, 0]
    # votes mode sorts only the head within head_ratio of the top score
    head_only, _ = rerank(pos, scores, RankMode.votes, cols, 3, HybridParams(head_ratio=0.9))
    everything, _ = rerank(pos, scores, RankMode.votes, cols, 3, HybridParams(head_ratio=0.0))
    assert head_only.tolist() == [0, 2, 1] and everything.tolist() == [1, 2, 0]


def test_relevant_head_is_free_of_the_rankers_scale_and_offset():
    from search.rankers.ranking import relevant_head

    # a learned ranker's pool (sums of z-scores): three on-topic papers near 17, a famous near-miss at 8.9,
    # and a floor around 6-7. "Half the best" (8.55) would let the near-miss into the votes-sorted head.
    pool = np.array([17.1, 16.4, 15.8, 8.9, 8.0, *np.linspace(7.5, 6.0, 95)], dtype=np.float32)
    assert relevant_head(pool).tolist() == [True] * 3 + [False] * 97
    # the same pool shifted and scaled (another ranker's units) gives the same head
    assert relevant_head(pool * 0.03 - 5.0).tolist() == relevant_head(pool).tolist()
    # a pool shorter than HybridParams.pool (a narrow filter) measures from its own last score
    assert relevant_head(pool[:5]).tolist() == [True, True, True, False, False]
    # one candidate, or all tied: all of it is the head
    assert relevant_head(np.array([2.0, 2.0], dtype=np.float32)).all()


def test_zscore_fusion_of_a_few_rows_with_the_whole_moments():
    from search.rankers.fusion import zscore_fuse, zscore_moments

    rng = np.random.default_rng(1)
    dense, lexical = rng.normal(size=9).astype(np.float32), np.maximum(rng.normal(size=9), 0).astype(np.float32)
    live = np.ones(9, dtype=bool)
    live[4] = False
    whole = FUSIONS.get("zscore")(dense, lexical, live, 0.7, 200)
    rows = np.array([8, 4, 1])
    alone = zscore_fuse(dense[rows], lexical[rows], live[rows], 0.7, zscore_moments(dense, lexical, live))
    assert np.array_equal(alone, whole[rows]) and alone[1] == -np.inf
