"""Scoring only the new rows, on a real small index with the real model: every query ranker gives the rows the
scores ranking the whole corpus gives them, with and without filters; profiles are built once per generation
and query vectors survive a reload."""
import copy
from datetime import date

import numpy as np
import pytest

from search.engine import SearchEngine
from search.follow.catchup import EngineSource
from search.follow.matching import corpus_stats
from search.follow.models import QuerySpec, Watch
from search.follow.scoring import BLOCK, WatchScorer
from search.rankers.ranking import HybridParams

HELD_OUT_DAY = "2024-09-02"
QUERIES = ["vector quantization of diffusion transformers", "비디오 생성 모델의 시간 일관성", "LLM agent benchmark"]
FILTERS = [{}, {"min_votes": 10}, {"date_from": date(2024, 6, 1), "author": "Conghui He"}]


def day_rows(engine: SearchEngine) -> list[int]:
    """A day's papers plus a few older ones, out of order: rows are scored wherever they sit in the index."""
    day = [i for i, p in enumerate(engine.papers) if HELD_OUT_DAY in p.dates]
    return sorted(day + list(range(0, engine.size, 37)), reverse=True)


def watch(spec: QuerySpec, wid: str = "w1") -> Watch:
    return Watch(id=wid, name="t", created="2025-01-01T00:00:00+00:00", spec=spec)


@pytest.mark.model
@pytest.mark.parametrize("method", ["learned", "hybrid", "dense", "lexical"])
def test_new_rows_score_as_in_the_whole_corpus(engine, method):
    source = EngineSource(engine)
    rows = day_rows(engine)
    assert 10 < len(rows) < engine.size // 2
    for query in QUERIES:
        for filters in FILTERS:
            spec = QuerySpec(query=query, method=method, **filters)
            used, full = source.query_scores(spec)
            got, stats = source.row_scores(watch(spec, f"{query}{filters}"), rows)
            want = full[rows]
            assert used == method and got.dtype == np.float32
            assert np.array_equal(np.isfinite(got), np.isfinite(want)), (query, filters)
            fin = np.isfinite(want)
            assert np.abs(got[fin] - want[fin]).max(initial=0.0) < 1e-5, (query, filters)
            assert stats == corpus_stats(full, engine.generation, method)
    if method == "learned":  # the filter-less default: a day's papers do not all score alike
        assert np.ptp(source.row_scores(watch(QuerySpec(query=QUERIES[0]), "d"), rows)[0]) > 1.0


@pytest.mark.model
def test_rank_fusion_rows_read_the_whole_ranking(engine):
    rrf = copy.copy(engine)  # the same index, served with reciprocal rank fusion as the hybrid ranker
    rrf.params = HybridParams(method="rrf")
    source, rows = EngineSource(rrf), day_rows(engine)
    spec = QuerySpec(query=QUERIES[0], method="hybrid")
    got, _ = source.row_scores(watch(spec), rows)
    assert np.array_equal(got, source.query_scores(spec)[1][rows])


@pytest.mark.model
def test_profiles_are_built_once_per_generation_and_vectors_survive_a_reload(engine, built_settings, embedder):
    scorer = WatchScorer()
    source = EngineSource(engine, scorer)
    rows = day_rows(engine)
    w = watch(QuerySpec(query=QUERIES[1]))
    first, _ = source.row_scores(w, rows)
    again, _ = source.row_scores(w, rows[:5])
    # the same profile: equal up to float32 rounding (BLAS sums a 5-row block in another order, ~1e-7)
    assert scorer.refreshed == 1 and np.allclose(again, first[:5], atol=1e-5)
    changed = watch(QuerySpec(query=QUERIES[1], min_votes=5))  # an edited spec is profiled again
    source.row_scores(changed, rows)
    assert scorer.refreshed == 2
    vec = scorer.vector(engine, QUERIES[1])
    reloaded = SearchEngine.open(built_settings, embedder=embedder)  # a reload: a new engine, the same model
    try:
        assert scorer.vector(reloaded, QUERIES[1]) is vec
        after, _ = EngineSource(reloaded, scorer).row_scores(w, rows)
        assert scorer.refreshed == 3 and np.allclose(after, first, atol=1e-5)
    finally:
        reloaded.close()


@pytest.mark.model
def test_a_row_view_is_shared_by_the_watches_waiting_for_the_same_papers(engine):
    scorer = WatchScorer()
    rows = day_rows(engine)
    a = scorer.rows(engine, rows)
    assert scorer.rows(engine, list(rows)) is a and scorer.rows(engine, rows[1:]) is not a
    # the rows sit among their neighbours in the aligned blocks the whole matrix has; each is picked back out
    assert np.array_equal(a.padded[a.pick], rows) and a.view.size == a.view.lexical.n == len(a.padded)
    full = len(a.padded) - len(a.padded) % BLOCK if engine.size % BLOCK else len(a.padded)
    assert full % BLOCK == 0 and np.all(a.padded[:full:BLOCK] % BLOCK == 0)


@pytest.mark.model
def test_rows_with_and_without_an_abstract_score_as_in_the_whole_corpus(fed_engine):
    e = fed_engine
    assert e.view.has_abstract is not None and 0 < e.view.has_abstract.sum() < e.size
    assert {"dense_abstract_fb", "bm25_abstract_fb"} & e.models["query"].features  # the shipped model reads them
    source = EngineSource(e)
    rows = sorted(range(0, e.size, 3), reverse=True)
    assert e.view.has_abstract[rows].any() and not e.view.has_abstract[rows].all()
    for query in QUERIES:
        for filters in FILTERS[:2]:
            spec = QuerySpec(query=query, method="learned", **filters)
            _, full = source.query_scores(spec)
            got, _ = source.row_scores(watch(spec, f"{query}{filters}"), rows)
            want = full[rows]
            fin = np.isfinite(want)
            assert np.array_equal(np.isfinite(got), fin)
            assert np.abs(got[fin] - want[fin]).max(initial=0.0) < 1e-5, (query, filters)
