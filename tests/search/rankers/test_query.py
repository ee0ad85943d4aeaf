"""The query rankers by name (search.rankers.query) on a toy view: shared first stages, lazy encoding, the mask."""
import numpy as np

from search.dense import DenseSearch
from search.rankers.learned import LinearFusion
from search.rankers.query import METHODS, RankQuery
from search.rankers.ranking import HybridParams, fuse
from tests.helpers import toy_ann, toy_view

TITLES = [["video", "diffusion"], ["math", "reasoning"], ["video", "editing"], ["speech", "audio"]]
SUMMARIES = [["비디오", "확산"], ["수학", "추론"], ["비디오", "편집"], ["음성"]]
VECS = np.array([[1, 0, 0], [0, 1, 0], [0.6, 0, 0.8], [0, 0.6, 0.8]], dtype=np.float32)


def _query(terms, mask=None, models=None):
    view = toy_view(TITLES, SUMMARIES, VECS)
    rids = np.arange(1, 5, dtype=np.int64)
    calls = []

    def encode():
        calls.append(1)
        return np.array([1, 0, 0], dtype=np.float32)
    return RankQuery(terms, {}, mask, view, DenseSearch(toy_ann(VECS, rids), rids), HybridParams(),
                     models or {}, encode), calls


def test_methods_are_registered_in_a_fixed_order():
    assert METHODS.names() == ("lexical", "dense", "hybrid", "learned")


def test_lexical_needs_no_query_vector_and_a_paper_sharing_no_term_is_no_hit():
    q, calls = _query(["video"])
    s = METHODS.get("lexical")(q)
    assert calls == [] and np.isfinite(s[[0, 2]]).all() and np.isneginf(s[[1, 3]]).all()


def test_dense_and_hybrid_share_one_encoding_and_respect_the_mask():
    mask = np.array([True, True, False, True])
    q, calls = _query(["video"], mask)
    dense, hybrid = METHODS.get("dense")(q), METHODS.get("hybrid")(q)
    assert calls == [1]
    np.testing.assert_allclose(dense[mask], (VECS @ [1, 0, 0])[mask], atol=1e-6)
    assert np.isneginf(dense[2]) and np.isneginf(hybrid[2])
    np.testing.assert_array_equal(hybrid, fuse(q.dense, q.lexical, mask, q.params))
    assert int(np.argmax(hybrid)) == 0  # the only paper strong on both sides


def test_learned_scores_the_features_its_model_reads():
    model = LinearFusion({"bm25_title": 1.0})
    q, calls = _query(["speech"], models={"query": model})
    s = METHODS.get("learned")(q)
    assert int(np.argmax(s)) == 3 and calls == [1]  # the query vector is an input of every query feature set
