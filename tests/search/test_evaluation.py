import math

import pytest

from search.evaluation import Judged, mrr, ndcg, recall, score_all


def test_ndcg_perfect_and_partial():
    rel = {"a": 2, "b": 1}
    assert ndcg(["a", "b", "x"], rel) == pytest.approx(1.0)
    worse = ndcg(["x", "b", "a"], rel)
    expected = (1 / math.log2(3) + 3 / math.log2(4)) / (3 + 1 / math.log2(3))
    assert worse == pytest.approx(expected)


def test_mrr_recall():
    rel = {"a": 1, "b": 2, "c": 1}
    assert mrr(["x", "y", "b"], rel) == pytest.approx(1 / 3)
    assert mrr(["x"] * 10 + ["a"], rel) == 0.0
    assert recall(["a", "x", "c"], rel, 10) == pytest.approx(2 / 3)


def test_score_all_averages_and_missing_runs_score_zero():
    judged = [Judged("q1", "t", {"a": 2}), Judged("q2", "t", {"b": 2})]
    s = score_all({"q1": ["a"]}, judged)
    assert s.ndcg10 == pytest.approx(0.5) and s.mrr10 == pytest.approx(0.5) and s.n == 2
