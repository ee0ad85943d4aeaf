"""The "more like these" rankers (search.rankers.similar) on a toy view: seeds pull, negatives push, seeds stay out."""
import numpy as np

from search.dense import DenseSearch
from search.rankers.learned import LinearFusion
from search.rankers.similar import SIMILAR_METHODS, Seeds
from tests.helpers import toy_ann, toy_view

TITLES = [["video", "diffusion"], ["video", "diffusion", "editing"], ["math", "reasoning"], ["speech", "audio"],
          ["video", "speech"]]
SUMMARIES = [["비디오", "확산"], ["비디오", "확산", "편집"], ["수학", "추론"], ["음성"], ["비디오", "음성"]]
VECS = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0], [0, 0, 1], [0.6, 0, 0.8]], dtype=np.float32)


def _seeds(positive, negative=(), models=None):
    view = toy_view(TITLES, SUMMARIES, VECS)
    rids = np.arange(len(VECS), dtype=np.int64)
    mask = np.ones(len(VECS), dtype=bool)
    mask[[*positive, *negative]] = False
    return Seeds(list(positive), list(negative), mask, view, DenseSearch(toy_ann(VECS, rids), rids), models or {})


def test_similar_methods_are_registered_in_a_fixed_order():
    assert SIMILAR_METHODS.names() == ("dense", "lexical", "learned")


def test_rocchio_moves_toward_the_positives_and_away_from_the_negatives():
    s = SIMILAR_METHODS.get("dense")(_seeds([0]))
    assert np.isneginf(s[0]) and int(np.argmax(s)) == 1
    pushed = SIMILAR_METHODS.get("dense")(_seeds([0], [1]))
    assert np.isneginf(pushed[[0, 1]]).all() and int(np.argmax(pushed)) == 4


def test_seed_terms_rank_the_papers_sharing_them_and_nothing_else():
    s = SIMILAR_METHODS.get("lexical")(_seeds([0]))
    assert int(np.argmax(s)) == 1 and np.isneginf(s[[0, 2, 3]]).all()


def test_learned_reads_the_seed_features_its_model_names():
    s = SIMILAR_METHODS.get("learned")(_seeds([3], models={"similar": LinearFusion({"sim_title": 1.0})}))
    assert np.isneginf(s[3]) and int(np.argmax(s)) == 4
