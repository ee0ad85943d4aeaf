"""The abstract features (search.features): what a paper without an abstract gets, and how queries reach it."""
import numpy as np

from indexer.text.lexicon import Lexicon
from search.features import ABSTRACT_QUERY_FEATURES, ABSTRACT_SEED_FEATURES, query_features, seed_features
from tests.helpers import toy_view

TITLES = [["video", "diffusion"], ["math", "reasoning"], ["video", "editing"], ["speech", "audio"]]
SUMMARIES = [["비디오", "생성", "확산"], ["수학", "추론"], ["비디오", "편집"], ["음성"]]
ABSTRACTS = [["video", "generation", "denoising", "temporal"], [], ["instruction", "editing", "temporal"], []]
VECS = np.eye(4, dtype=np.float32)
ABS = np.array([[0.6, 0.8, 0, 0], [0, 0, 0, 0], [0, 0.6, 0.8, 0], [0, 0, 0, 0]], dtype=np.float32)


def _view(**kw):
    return toy_view(TITLES, SUMMARIES, VECS, abstracts=ABSTRACTS, abstract_vecs=ABS, **kw)


def test_query_features_without_an_abstract_are_zero_or_fall_back_to_the_summary_split_apart():
    view = _view()
    q = np.array([0.0, 0.6, 0.0, 0.8], dtype=np.float32)
    fs = query_features(view, q, ["temporal", "math"], {})
    assert set(ABSTRACT_QUERY_FEATURES) <= set(fs.values)
    has = np.array([True, False, True, False])
    np.testing.assert_allclose(fs.values["dense_abstract"], [0.48, 0.0, 0.36, 0.0], atol=1e-6)
    np.testing.assert_allclose(fs.values["dense_abstract_fb"], [0.48, 0.6, 0.36, 0.8], atol=1e-6)  # summary cosine
    np.testing.assert_array_equal(fs.values["has_abstract"], has)
    assert fs.values["bm25_abstract"][[0, 2]].min() > 0 and not fs.values["bm25_abstract"][[1, 3]].any()
    # a paper without an abstract keeps its title+summary BM25 ("math" is paper 1's title word)
    assert fs.values["bm25_abstract_fb"][1] > 0 and fs.values["bm25_abstract_fb"][3] == 0
    assert set(fs.groups) == {"dense_abstract_fb", "bm25_abstract_fb"}
    assert all(np.array_equal(g, has) for g in fs.groups.values())


def test_a_korean_query_reaches_the_abstract_through_the_lexicon():
    lexicon = Lexicon({"시간": [("temporal", 0.9, 5)]})
    view = _view(lexicon=lexicon)
    q = np.zeros(4, dtype=np.float32)
    own = query_features(view, q, ["시간"], {}, frozenset({"bm25_abstract"}))
    assert not own.values["bm25_abstract"].any()
    expanded = {"temporal": 0.4}
    assert lexicon.expand(["시간"], 0.4).keys() == expanded.keys()
    got = query_features(view, q, ["시간"], expanded, frozenset({"bm25_abstract"})).values["bm25_abstract"]
    assert got[0] > 0 and got[2] > 0 and not got[[1, 3]].any()


def test_a_view_without_abstracts_gives_zeros_and_the_plain_fallbacks():
    view = toy_view(TITLES, SUMMARIES, VECS)
    q = np.array([0.0, 0.6, 0.0, 0.8], dtype=np.float32)
    fs = query_features(view, q, ["math"], {})
    assert not fs.values["dense_abstract"].any() and not fs.values["has_abstract"].any()
    np.testing.assert_allclose(fs.values["dense_abstract_fb"], fs.values["dense_summary"])
    np.testing.assert_allclose(fs.values["bm25_abstract_fb"], fs.values["bm25_all"])
    seeds = seed_features(view, [0])
    np.testing.assert_allclose(seeds.values["sim_abstract_fb"], seeds.values["sim_summary"])
    np.testing.assert_allclose(seeds.values["bm25_seed_abstract_fb"], seeds.values["bm25_seed"])


def test_seed_features_read_the_seeds_abstract_or_its_title_and_fall_back_elsewhere():
    view = _view()
    fs = seed_features(view, [0])
    assert set(ABSTRACT_SEED_FEATURES) <= set(fs.values)
    np.testing.assert_allclose(fs.values["sim_abstract"], [1.0, 0.0, 0.48, 0.0], atol=1e-6)
    np.testing.assert_allclose(fs.values["sim_abstract_fb"][[1, 3]], fs.values["sim_summary"][[1, 3]])
    # the seed's abstract terms reach the other abstract ("temporal"), not the papers without one
    assert fs.values["bm25_seed_abstract"][2] > 0 and not fs.values["bm25_seed_abstract"][[1, 3]].any()
    np.testing.assert_allclose(fs.values["bm25_seed_abstract_fb"][[1, 3]], fs.values["bm25_seed"][[1, 3]])
    # a seed without an abstract is represented by its English title in abstract space
    no_abs = seed_features(view, [1])
    np.testing.assert_allclose(no_abs.values["sim_abstract"], ABS @ VECS[1] * [1, 0, 1, 0], atol=1e-6)
    # a negative pushes its abstract neighbours down
    pushed = seed_features(view, [0], [2])
    assert pushed.values["sim_abstract"][2] < fs.values["sim_abstract"][2]
    assert np.array_equal(pushed.values["has_abstract"], fs.values["has_abstract"])
