import numpy as np

from indexer.dense.agreement import agreement_scores, flagged_mask, suspect_mask
from indexer.dense.vectors import combine


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_swapped_summaries_score_low_and_get_flagged():
    rng = np.random.default_rng(0)
    topics = unit(rng.normal(size=(60, 32)).astype(np.float32))
    titles = unit(topics + 0.05 * rng.normal(size=topics.shape).astype(np.float32))
    summaries = unit(topics + 0.05 * rng.normal(size=topics.shape).astype(np.float32))
    summaries[[3, 40]] = summaries[[40, 3]]  # two papers got each other's summary
    a = agreement_scores(titles, summaries)
    assert a.shape == (60,) and a.max() <= 1.0
    flagged = set(np.nonzero(suspect_mask(a))[0].tolist())
    assert flagged == {3, 40}
    assert np.median(a) > 0.95


def test_tiny_index_flags_nothing():
    v = unit(np.eye(3, dtype=np.float32))
    assert not suspect_mask(agreement_scores(v, v[::-1].copy())).any()


def test_suspect_rows_use_the_title_vector_only():
    t = unit(np.array([[1, 0], [0, 1]], dtype=np.float32))
    s = unit(np.array([[0, 1], [1, 0]], dtype=np.float32))
    out = combine({"title": t, "summary": s}, {"title": 0.4, "summary": 0.6}, np.array([False, True]))
    assert np.allclose(out[0], [0.4, 0.6]) and np.allclose(out[1], 0.95 * t[1])


def test_a_missing_summary_has_no_agreement_and_counts_as_suspect_for_ranking_only():
    """A feed-only paper: NaN agreement, ranked on its title (suspect_mask), never flagged to users."""
    rng = np.random.default_rng(0)
    topics = unit(rng.normal(size=(60, 32)).astype(np.float32))
    titles = unit(topics + 0.05 * rng.normal(size=topics.shape).astype(np.float32))
    summaries = unit(topics + 0.05 * rng.normal(size=topics.shape).astype(np.float32))
    summaries[[3, 40]] = summaries[[40, 3]]
    full = agreement_scores(titles, summaries)
    present = np.ones(60, dtype=bool)
    present[[7, 8]] = False
    gappy = summaries.copy()
    gappy[[7, 8]] = 0.0
    a = agreement_scores(titles, gappy, present)
    assert np.isnan(a[[7, 8]]).all() and np.isfinite(np.delete(a, [7, 8])).all()
    # the others are ranked among the papers that have a summary: as if the two were not in the corpus
    keep = np.flatnonzero(present)
    assert np.array_equal(a[keep], agreement_scores(titles[keep], summaries[keep]))
    assert np.array_equal(agreement_scores(titles, summaries, np.ones(60, dtype=bool)), full)
    assert set(np.flatnonzero(suspect_mask(a))) == {3, 7, 8, 40}
    assert set(np.flatnonzero(flagged_mask(a))) == {3, 40}
    assert suspect_mask(a[:5]).tolist() == [False] * 5 and suspect_mask(np.array([np.nan, 1.0])).tolist() == [True, False]
    # the index vector of a row without a summary is its title's, never the zero vector
    out = combine({"title": titles, "summary": gappy}, {"title": 0.2, "summary": 0.8}, suspect_mask(a))
    assert np.allclose(out[7], 0.95 * titles[7])
