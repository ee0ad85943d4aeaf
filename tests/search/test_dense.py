"""Dense scores from FAISS (search.dense): row ids become positions, the filter applies inside FAISS."""
import numpy as np

from search.dense import DenseSearch
from tests.helpers import toy_ann


def _unit(rows):
    x = np.asarray(rows, dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_scores_are_aligned_with_positions_not_row_ids():
    vecs = _unit([[1, 0, 0], [0.6, 0.8, 0], [0, 0, 1], [0.8, 0, 0.6]])
    rids = np.array([10, 3, 7, 4], dtype=np.int64)  # the store's row ids: neither dense nor ordered
    dense = DenseSearch(toy_ann(vecs, rids), rids)
    q = _unit([[1, 0, 0]])[0]
    np.testing.assert_allclose(dense.scores(q, None), vecs @ q, atol=1e-6)


def test_the_mask_applies_inside_faiss_and_an_empty_one_ranks_nothing():
    vecs = _unit([[1, 0, 0], [0.6, 0.8, 0], [0, 0, 1], [0.8, 0, 0.6]])
    rids = np.array([10, 3, 7, 4], dtype=np.int64)
    dense = DenseSearch(toy_ann(vecs, rids), rids)
    q = _unit([[1, 0, 0]])[0]
    mask = np.array([False, True, True, False])
    s = dense.scores(q, mask)
    assert np.isneginf(s[~mask]).all()
    np.testing.assert_allclose(s[mask], (vecs @ q)[mask], atol=1e-6)
    assert np.isneginf(dense.scores(q, np.zeros(4, dtype=bool))).all()
