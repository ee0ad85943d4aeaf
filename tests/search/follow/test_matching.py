"""The matcher core as pure functions: corpus statistics, z-scores, the threshold rule, seeds and authors."""
import numpy as np
import pytest

from indexer.ingest.records import Paper
from search.follow.matching import (
    ThresholdRule,
    author_decisions,
    corpus_stats,
    decide,
    match_hash,
    seed_candidates,
    zscores,
)
from search.follow.models import AuthorSpec, CorpusStats, SeedsSpec


def test_corpus_stats_ignore_rows_outside_the_filter():
    s = corpus_stats(np.array([1.0, 2.0, 3.0, -np.inf, -np.inf], dtype=np.float32), "g1", "learned")
    assert (s.generation, s.method, s.n) == ("g1", "learned", 3)
    assert s.mean == pytest.approx(2.0) and s.std == pytest.approx(np.std([1, 2, 3]))
    empty = corpus_stats(np.full(4, -np.inf), "g1", "lexical")
    assert empty.n == 0 and np.all(zscores(np.array([5.0]), empty) == -np.inf)


def test_z_scores_against_the_corpus_not_the_new_rows():
    stats = CorpusStats(generation="g", method="m", mean=0.5, std=0.25, n=1000)
    z = zscores(np.array([1.0, 0.5, -np.inf]), stats)
    assert z.tolist() == [2.0, 0.0, -np.inf]
    # the same scores on a day of two papers: both kept or dropped on their corpus standing, not their rank
    ids = ["2405.00001", "2405.00002"]
    assert decide(ids, np.array([0.6, 0.55]), stats, ThresholdRule(z_min=1.0)) == []
    kept = decide(ids, np.array([1.25, 1.5]), stats, ThresholdRule(z_min=2.5))
    assert [(d.arxiv_id, d.z) for d in kept] == [("2405.00002", 4.0), ("2405.00001", 3.0)]  # highest z first


def test_a_ranker_without_spread_matches_nothing():
    flat = CorpusStats(generation="g", method="m", mean=1.0, std=0.0, n=10)
    assert decide(["a"], np.array([1e9]), flat, ThresholdRule(z_min=-100)) == []


def test_the_rule_is_parameterised():
    stats = CorpusStats(generation="g", method="m", mean=0.0, std=1.0, n=10)
    scores = np.array([3.0, 2.0, 1.0, -np.inf])
    ids = ["a", "b", "c", "d"]
    assert [d.arxiv_id for d in decide(ids, scores, stats, ThresholdRule(z_min=1.5))] == ["a", "b"]
    assert [d.arxiv_id for d in decide(ids, scores, stats, ThresholdRule(z_min=0.5, score_min=2.5))] == ["a"]
    assert decide(ids, scores, stats, ThresholdRule(z_min=-np.inf))[-1].arxiv_id == "c"  # -inf never kept
    with pytest.raises(ValueError):
        decide(ids, scores[:2], stats, ThresholdRule())


def test_seeds_never_match_themselves():
    spec = SeedsSpec(positive=["2404.12253"], negative=["2404.03592"])
    assert seed_candidates(["2404.12253", "2405.00001", "2404.03592", "2405.00002"], spec) == [1, 3]


def test_an_author_watch_matches_every_spelling():
    papers = [Paper("2405.00001", "A", authors=["Zi-Wei Liu", "X Y"]), Paper("2405.00002", "B", authors=["Wei Liu"]),
              Paper("2405.00003", "C", authors=["ZIWEI LIU"]), Paper("2405.00004", "D")]
    got = author_decisions(papers, AuthorSpec(author="ziwei liu"))
    assert [(d.arxiv_id, d.score, d.z) for d in got] == [("2405.00001", 1.0, None), ("2405.00003", 1.0, None)]


def test_the_match_hash_changes_with_what_a_watch_can_see():
    p = Paper("2405.00001", "Title", authors=["A B"], summary="요약")
    h = match_hash(p)
    assert match_hash(Paper("2405.00001", "Title", authors=["A B"], summary="요약", votes=99, dates=["2024-05-01"])) == h
    assert match_hash(Paper("2405.00001", "Title", authors=["A B"], summary="새 요약")) != h   # a Korean summary
    assert match_hash(Paper("2405.00001", "Title", authors=["A B", "C D"], summary="요약")) != h  # an author
    p.abstract = "An English abstract."  # records may gain one (another worker adds the field)
    assert match_hash(p) != h
