import numpy as np

from indexer.dense.agreement import agreement_scores, suspect_mask
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
