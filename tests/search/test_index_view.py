"""The frozen view of the index arrays the rankers read (search.index_view) and the functions over it."""
import dataclasses

import numpy as np
import pytest

from indexer.text.lexicon import Lexicon
from search.index_view import expand, seed_terms, title_cover
from tests.helpers import toy_view

TITLES = [["video", "diffusion"], ["math", "reasoning"], ["video", "editing"]]
SUMMARIES = [["비디오", "생성", "확산"], ["수학", "추론"], ["비디오", "편집", "수학"]]
VECS = np.eye(3, dtype=np.float32)


def test_title_cover_is_the_share_of_distinct_query_terms_in_each_title():
    view = toy_view(TITLES, SUMMARIES, VECS)
    assert view.size == 3
    np.testing.assert_allclose(title_cover(view, ["video", "diffusion"]), [1.0, 0.0, 0.5])
    np.testing.assert_allclose(title_cover(view, ["video", "unknownword"]), [0.5, 0.0, 0.5])
    assert not title_cover(view, ["unknownword"]).any() and not title_cover(view, []).any()


def test_seed_terms_of_a_suspect_summary_come_from_its_title_alone():
    trusted = seed_terms(toy_view(TITLES, SUMMARIES, VECS), [2])
    assert {"video", "editing", "편집", "수학"} <= set(trusted)
    suspect = seed_terms(toy_view(TITLES, SUMMARIES, VECS, suspect=[False, False, True]), [2])
    assert set(suspect) == {"video", "editing"}
    # several seeds: their terms averaged
    both = seed_terms(toy_view(TITLES, SUMMARIES, VECS), [0, 2])
    assert both["video"] == pytest.approx((trusted["video"] + seed_terms(toy_view(TITLES, SUMMARIES, VECS), [0])["video"]) / 2)


def test_expansion_weighs_lexicon_terms_below_the_query_and_never_repeats_one():
    lex = Lexicon({"video": [("비디오", 0.5, 3)], "math": [("수학", 1.0, 9)]})
    view = toy_view(TITLES, SUMMARIES, VECS, lexicon=lex)
    assert expand(view, ["video", "math"]) == {"비디오": pytest.approx(0.2), "수학": pytest.approx(0.4)}
    assert expand(view, ["video", "비디오"]) == {}


def test_the_view_is_frozen():
    view = toy_view(TITLES, SUMMARIES, VECS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.paper_vecs = VECS  # type: ignore[misc]


@pytest.mark.model
def test_the_engine_replaces_its_view_when_the_arrays_change(built_settings, embedder):
    """set_weights and rebuild_lexical: the rankers read the new arrays, FAISS and the view agree."""
    from search.engine import SearchEngine

    e = SearchEngine.open(built_settings, embedder=embedder)  # its own engine: this one is re-weighted
    try:
        before = e.view
        assert before.size == e.size and before.suspect is e.suspect
        q = e.encode_query("video generation")
        np.testing.assert_allclose(e.dense.scores(q, None), before.paper_vecs @ q, atol=1e-5)
        e.set_weights({"title": 1.0, "summary": 0.0})
        assert e.view is not before and not np.allclose(e.view.paper_vecs, before.paper_vecs)
        np.testing.assert_allclose(e.dense.scores(q, None), e.view.paper_vecs @ q, atol=1e-5)
        assert e.features("video generation").values["dense_prf"].shape == (e.size,)
        e.params = dataclasses.replace(e.params, title_boost=5)
        reweighted = e.view
        e.rebuild_lexical()
        assert e.view.lexical is not reweighted.lexical and e.view.paper_vecs is reweighted.paper_vecs
        assert not np.allclose(e.view.lexical.scores("video"), reweighted.lexical.scores("video"))
    finally:
        e.close()


def test_a_view_of_some_rows_gives_their_features_as_the_whole_view_does():
    from search.features import query_features

    view = toy_view(TITLES, SUMMARIES, VECS, suspect=[False, False, True], votes=[3, 0, 40])
    rows = np.array([2, 1])
    part = view.take(rows)
    assert part.size == 2 and part.lexicon is view.lexicon and part.adapters is view.adapters
    assert np.array_equal(part.suspect, [True, False]) and np.array_equal(part.log_votes, view.log_votes[rows])
    qvec = np.array([0.6, 0.0, 0.8], dtype=np.float32)
    whole = query_features(view, qvec, ["video", "수학"], {"editing": 0.4})
    alone = query_features(part, qvec, ["video", "수학"], {"editing": 0.4}, prf=whole.prf)
    assert whole.prf is not None and alone.prf is whole.prf
    for name, values in whole.values.items():
        np.testing.assert_allclose(alone.values[name], values[rows], rtol=0, atol=1e-7, err_msg=name)


def test_a_view_of_some_rows_keeps_their_abstracts_and_abstract_features():
    from search.features import query_features

    abstracts = [["video", "denoising"], [], ["editing", "instruction"]]
    avecs = np.array([[0.6, 0.8, 0], [0, 0, 0], [0, 0.6, 0.8]], dtype=np.float32)
    view = toy_view(TITLES, SUMMARIES, VECS, abstracts=abstracts, abstract_vecs=avecs)
    rows = np.array([2, 1])
    part = view.take(rows)
    assert np.array_equal(part.has_abstract, [True, False]) and np.array_equal(part.abstract_vecs, avecs[rows])
    qvec = np.array([0.0, 0.6, 0.8], dtype=np.float32)
    whole = query_features(view, qvec, ["editing", "video"], {"denoising": 0.4})
    alone = query_features(part, qvec, ["editing", "video"], {"denoising": 0.4}, prf=whole.prf)
    for name in ("dense_abstract", "dense_abstract_fb", "bm25_abstract", "bm25_abstract_fb", "has_abstract"):
        np.testing.assert_allclose(alone.values[name], whole.values[name][rows], rtol=0, atol=1e-7, err_msg=name)
    assert np.array_equal(alone.groups["dense_abstract_fb"], whole.groups["dense_abstract_fb"][rows])
