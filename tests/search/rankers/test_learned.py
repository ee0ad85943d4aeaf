"""Learned fusion, lexicon expansion and find-similar rankers on a small real index."""
import numpy as np
import pytest

from indexer.text.tokenize import tokens
from search.features import (
    ABSTRACT_QUERY_FEATURES,
    ABSTRACT_SEED_FEATURES,
    QUERY_FEATURES,
    SEED_FEATURES,
    FeatureSet,
    query_features,
)
from search.limits import QueryError
from search.rankers.learned import (
    WEIGHTS_FILE,
    FusionModelError,
    LinearFusion,
    SplitMoments,
    design_matrix,
    load_models,
)
from search.rankers.query import METHODS
from search.rankers.similar import SIMILAR_METHODS


def _fs(n=6, en=0.5):
    rng = np.random.default_rng(0)
    return FeatureSet({"a": rng.normal(size=n).astype(np.float32), "b": rng.normal(size=n).astype(np.float32)},
                      english_share=en)


def test_design_matrix_standardises_and_interacts_with_language():
    fs = _fs()
    X = design_matrix(["a", "a*en", "b"], fs, None)
    assert X.shape == (6, 3)
    np.testing.assert_allclose(X[:, 0].mean(), 0, atol=1e-6)
    np.testing.assert_allclose(X[:, 1], 0.5 * X[:, 0], rtol=1e-6)
    live = np.array([True, True, True, False, True, True])
    s = LinearFusion({"a": 1.0, "b": -0.5}).score(fs, live)
    assert s[3] == -np.inf and np.isfinite(s[live]).all()
    with pytest.raises(FusionModelError, match="needs feature 'c'"):
        design_matrix(["c"], fs, None)
    with pytest.raises(FusionModelError, match="interaction"):
        design_matrix(["a*ko"], fs, None)


def test_shipped_weights_use_only_features_the_rankers_compute():
    models = load_models(WEIGHTS_FILE)
    assert set(models) == {"query", "similar"}
    assert {n.partition("*")[0] for n in models["query"].weights} <= {*QUERY_FEATURES, *ABSTRACT_QUERY_FEATURES}
    assert {n.partition("*")[0] for n in models["similar"].weights} <= {*SEED_FEATURES, *ABSTRACT_SEED_FEATURES}
    assert "tuning half" in models["query"].info["trained_on"]



@pytest.mark.model
def test_learned_is_the_default_and_every_method_ranks(engine):
    r = engine.search("video generation 비디오 생성", k=5)
    assert r.method == "learned" and len(r.results) == 5
    assert [x.score for x in r.results] == sorted((x.score for x in r.results), reverse=True)
    for m in METHODS:
        assert engine.search("diffusion", k=3, method=m).method == m
    with pytest.raises(QueryError, match="method must be"):
        engine.search("diffusion", method="magic")


@pytest.mark.model
def test_query_features_are_full_length_and_finite(engine):
    q = "representation finetuning 표현 미세조정"
    fs = query_features(engine.view, engine.encode_query(q), tokens(q), engine.expand(tokens(q)))
    assert set(fs.values) == {*QUERY_FEATURES, *ABSTRACT_QUERY_FEATURES}
    for name, v in fs.values.items():
        assert v.shape == (engine.size,) and np.isfinite(v).all(), name
    assert 0 < fs.english_share < 1


@pytest.mark.model
def test_expanded_terms_come_from_the_lexicon_and_weigh_less(engine):
    assert len(engine.view.lexicon) > 0, "the build mines a lexicon"
    term = next(t for t, v in engine.view.lexicon.entries.items() if v and t.isascii())
    r = engine.search(term, k=3, method="lexical")
    assert r.expanded_terms and set(r.expanded_terms) == set(engine.expand(tokens(term)))
    assert all(0 < w < 1 for w in r.expanded_terms.values())


@pytest.mark.model
def test_adapters_follow_the_corpus_size_rule_and_keep_unit_length(engine):
    from indexer.dense.adapter import MIN_PAIRS

    if (~engine.suspect).sum() >= MIN_PAIRS:
        assert set(engine.view.adapters.maps) >= {"to_summary", "to_title"}
        v = engine.view.adapters.apply("to_summary", engine.encode_query("video generation"))
        assert abs(float(np.linalg.norm(v)) - 1) < 1e-5
    else:  # too few papers to fit a map: none, and the adapted features are zero
        assert engine.view.adapters.maps == {}
        fs = engine.features("video generation")
        assert not fs.values["adapted_summary"].any() and not fs.values["adapted_title"].any()
    assert engine.idx.manifest.extra["adapter"]["maps"] == sorted(engine.view.adapters.maps)


@pytest.mark.model
def test_similar_methods_exclude_the_seed_and_differ(engine):
    seed = "2404.03592"
    got = {}
    for m in SIMILAR_METHODS:
        r = engine.similar(seed, k=5, method=m)
        assert r.method == m and seed not in [x.arxiv_id for x in r.results] and len(r.results) == 5
        got[m] = [x.arxiv_id for x in r.results]
    assert engine.similar(seed, k=5).method == "learned"
    assert got["lexical"] != got["dense"]
    with pytest.raises(QueryError):
        engine.similar(seed, method="hybrid")


def test_rows_scored_with_the_whole_sets_moments_score_as_among_all():
    fs = _fs(n=8)
    model = LinearFusion({"a": 1.0, "a*en": 0.3, "b": -0.5})
    live = np.array([True, True, False, True, True, True, False, True])
    whole = model.score(fs, live)
    given = model.moments(fs, live)
    rows = np.array([5, 2, 0])
    alone = FeatureSet({k: v[rows] for k, v in fs.values.items()}, english_share=fs.english_share)
    assert np.array_equal(model.score(alone, live[rows], given), whole[rows])
    assert not np.allclose(model.score(alone, live[rows])[[0, 2]], whole[rows][[0, 2]])  # their own moments differ


def test_a_coverage_split_feature_is_standardised_apart_on_each_side():
    # an abstract cosine (high) on rows 0-2, a summary stand-in (lower) on rows 3-5
    v = np.array([0.80, 0.85, 0.90, 0.40, 0.45, 0.50], dtype=np.float32)
    has = np.array([True, True, True, False, False, False])
    split = FeatureSet({"f": v}, groups={"f": has})
    z = design_matrix(["f"], split, None)[:, 0]
    np.testing.assert_allclose(z[:3], z[3:], atol=1e-5)  # the best of each side ties: no side sinks
    pooled = design_matrix(["f"], FeatureSet({"f": v}), None)[:, 0]
    assert pooled[:3].min() > pooled[3:].max()            # pooled, every row with an abstract outranks the rest
    model = LinearFusion({"f": 1.0})
    live = np.array([True, True, False, True, True, True])
    m = model.moments(split, live)["f"]
    assert isinstance(m, SplitMoments) and m.inside[0] == pytest.approx(0.825) and m.outside[0] == pytest.approx(0.45)
    rows = np.array([4, 1])
    alone = FeatureSet({"f": v[rows]}, groups={"f": has[rows]})
    np.testing.assert_array_equal(model.score(alone, live[rows], model.moments(split, live)),
                                  model.score(split, live)[rows])
