"""The search engine on a small real index (real day files, real model)."""
from datetime import date

import numpy as np
import pytest

from search.filters import FilterError, Filters
from search.limits import MAX_K, MAX_QUERY_CHARS, NotFoundError, QueryError
from search.rankers.ranking import relevant_head
from search.schemas import RankMode

pytestmark = pytest.mark.model


def ids(resp):
    return [r.arxiv_id for r in resp.results]


def test_korean_english_and_mixed_queries_find_the_paper(engine):
    # 2404.03592 is ReFT (representation finetuning) in the 2024-04-05 digest
    for q in ("표현을 수정하는 파라미터 효율적 파인튜닝", "representation finetuning instead of weight updates",
              "ReFT 저랭크 representation 개입"):
        assert "2404.03592" in ids(engine.search(q, k=3)), q


def test_every_method_returns_ranked_results(engine):
    for method in ("dense", "lexical", "hybrid"):
        r = engine.search("video generation 비디오 생성", k=5, method=method)
        assert 0 < len(r.results) <= 5
        scores = [x.score for x in r.results]
        assert scores == sorted(scores, reverse=True)


def test_filters_return_exactly_k_when_k_match(engine):
    n = engine.size
    votes = engine.columns.votes
    threshold = int(np.sort(votes)[-7])  # at least 7 papers pass
    passing = int((votes >= threshold).sum())
    r = engine.search("language model", k=5, filters=Filters(min_votes=threshold))
    assert len(r.results) == 5 and r.total == passing
    assert all(x.votes >= threshold for x in r.results)
    r = engine.search("language model", k=MAX_K, filters=Filters(min_votes=threshold))
    assert len(r.results) == passing  # fewer match than k: all of them, and no padding rows
    assert n > passing


def test_date_and_author_filters(engine):
    d = date(2024, 4, 5)
    r = engine.search("모델", k=50, filters=Filters(date_from=d, date_to=d))
    day = [p for p in engine.papers if "2024-04-05" in p.dates]
    assert len(r.results) == len(day) and all("2024-04-05" in x.dates for x in r.results)
    r = engine.search("finetuning", k=10, filters=Filters(author="christopher potts"))
    assert ids(r) == ["2404.03592"]
    r = engine.search("finetuning", k=10, filters=Filters(author="nobody-has-this-name"))
    assert r.results == [] and r.total == 0
    with pytest.raises(FilterError):
        Filters(date_from=date(2025, 1, 1), date_to=date(2024, 1, 1))


def test_similar_by_id_and_url_excludes_itself(engine):
    r = engine.similar("2404.03592", k=5)
    assert len(r.results) == 5 and "2404.03592" not in ids(r)
    via_query = engine.search("https://arxiv.org/abs/2404.03592v2", k=5)
    assert ids(via_query) == ids(r) and via_query.similar_to == ["2404.03592"]
    with pytest.raises(NotFoundError):
        engine.similar("2101.00001")


def test_more_like_these_with_negatives(engine):
    pos = ["2404.03592"]
    a = engine.more_like(pos, [], k=10)
    b = engine.more_like(pos, [ids(a)[0]], k=10)
    assert ids(a)[0] not in ids(b) and "2404.03592" not in ids(b)
    with pytest.raises(QueryError):
        engine.more_like([], [])


def test_find_similar_by_votes_recency_and_blend_keeps_the_relevant_head_rule(engine):
    from tests.helpers import assert_relevant_head_sorted

    pool = engine.more_like(["2404.03592"], [], k=engine.params.pool)
    strong = relevant_head(np.array([x.score for x in pool.results], dtype=np.float32), engine.params)
    head = sorted((x for x, s in zip(pool.results, strong) if s), key=lambda x: (-(x.votes or 0), -x.score))
    rest = [x for x, s in zip(pool.results, strong) if not s]
    by_votes = engine.similar("2404.03592", k=10, mode=RankMode.votes)
    assert by_votes.mode is RankMode.votes and 0 < len(head) < len(pool.results)
    assert ids(by_votes) == [x.arxiv_id for x in head + rest][:10]
    assert_relevant_head_sorted([x.score for x in by_votes.results], [x.votes or 0 for x in by_votes.results])
    recent = engine.more_like(["2404.03592"], [], k=10, mode=RankMode.recency)
    assert_relevant_head_sorted([x.score for x in recent.results], [x.dates[-1] for x in recent.results])
    blend = engine.similar("2404.03592", k=10, mode=RankMode.blend)
    assert len(blend.results) == 10 and "2404.03592" not in ids(blend)
    assert set(ids(blend)) <= {x.arxiv_id for x in pool.results}
    # relevance is the order it always was, and the arXiv-id search ranks by the same rule
    assert ids(engine.similar("2404.03592", k=10)) == ids(pool)[:10]
    assert ids(engine.search("2404.03592", k=10, mode=RankMode.votes)) == ids(by_votes)


def test_cards_keep_the_order_given_and_refuse_unknown_ids(engine):
    cards = engine.cards(["2404.03592", engine.papers[0].arxiv_id])
    assert [c.arxiv_id for c in cards] == ["2404.03592", engine.papers[0].arxiv_id]
    assert cards[0].score == float(cards[0].votes or 0) and cards[0].snippet
    with pytest.raises(NotFoundError):
        engine.cards(["2101.00001"])


def test_rank_modes(engine):
    from tests.helpers import assert_relevant_head_sorted

    v = engine.search("model", k=10, mode=RankMode.votes)
    assert_relevant_head_sorted([x.score for x in v.results], [x.votes or 0 for x in v.results])
    # the head is exactly what relevant_head picks from the relevance pool, re-sorted by votes
    pool = engine.search("model", k=engine.params.pool).results
    strong = relevant_head(np.array([x.score for x in pool], dtype=np.float32), engine.params)
    head = sorted((x for x, s in zip(pool, strong) if s), key=lambda x: (-(x.votes or 0), -x.score))
    rest = [x for x, s in zip(pool, strong) if not s]
    assert 0 < len(head) < len(pool)
    assert [x.arxiv_id for x in v.results] == [x.arxiv_id for x in head + rest][:10]
    r = engine.search("model", k=10, mode=RankMode.recency)
    assert_relevant_head_sorted([x.score for x in r.results], [x.dates[-1] for x in r.results])
    b = engine.search("model", k=10, mode=RankMode.blend)
    assert len(b.results) == 10


def test_bad_queries(engine):
    for q in ("", "   \n\t"):
        with pytest.raises(QueryError, match="empty"):
            engine.search(q)
    for k in (0, MAX_K + 1):
        with pytest.raises(QueryError, match="k must be"):
            engine.search("model", k=k)
    r = engine.search("diffusion " * 200, k=3)
    assert any(str(MAX_QUERY_CHARS) in n for n in r.notices) and len(r.query) == MAX_QUERY_CHARS


def test_results_carry_every_field_and_highlight(engine):
    r = engine.search("비디오 생성 video", k=3).results[0]
    assert r.arxiv_url == f"https://arxiv.org/abs/{r.arxiv_id}" and r.title and r.dates
    assert "<mark>" in r.snippet
    assert isinstance(r.summary_suspect, bool) and -1 <= r.agreement <= 1


@pytest.fixture(scope="module")
def swapped_engine(tmp_path_factory, corpus_dir, embedder):
    """A real slice where two papers carry each other's summary, as ~3% do in the corpus."""
    from indexer.pipeline.build import build_index
    from papersearch.settings import Settings
    from search.engine import SearchEngine
    from tests.helpers import copy_days

    root = tmp_path_factory.mktemp("swapped")
    corpus = copy_days(corpus_dir, root / "corpus", ["2024/04/05.md", "2024/09/02.md"])
    day = corpus / "2024/04/05.md"
    head, *sections = day.read_text(encoding="utf-8").split("\n### ")
    split = [s.split("\n- ", 1) for s in sections]
    a, b = 0, 4  # ReFT and another paper of the day
    split[a][1], split[b][1] = split[b][1], split[a][1]
    day.write_text("\n### ".join([head, *("\n- ".join(p) for p in split)]), encoding="utf-8")
    titles = [s.split("](", 1)[0].lstrip("[") for s in sections]
    s = Settings(corpus=corpus, data_dir=root / "data")
    build_index(s, progress=False, embedder_factory=lambda _: embedder)
    e = SearchEngine.open(s, embedder=embedder)
    yield e, titles[a], titles[b]
    e.close()


def test_swapped_summaries_are_flagged_and_still_found_by_title(swapped_engine):
    e, title_a, title_b = swapped_engine
    by_title = {p.title: i for i, p in enumerate(e.papers)}
    for t in (title_a, title_b):
        assert e.suspect[by_title[t]], t
        top = e.search(t, k=3).results
        assert top[0].title == t and top[0].summary_suspect
    assert e.suspect.sum() <= 4  # the others are not dragged along


def test_review_regressions(engine):
    # min_votes=0 keeps papers without a vote count
    assert engine.search("model", k=5, filters=Filters(min_votes=0)).total == engine.size
    # an arXiv id query honours the rank mode and carries facets
    from tests.helpers import assert_relevant_head_sorted

    r = engine.search("2404.03592", k=5, mode=RankMode.votes)
    assert_relevant_head_sorted([x.score for x in r.results], [x.votes or 0 for x in r.results])
    assert r.similar_to == ["2404.03592"] and r.facets
    # an unknown cluster is a clear filter error, not an empty page
    with pytest.raises(FilterError, match="cluster"):
        engine.search("model", filters=Filters(cluster=99999))
    # numpy integers are fine for k (notebooks)
    assert len(engine.search("model", k=np.int64(3)).results) == 3


def test_a_retired_topic_id_filters_by_the_topic_it_became(engine):
    c = engine.clustering
    live = next(cl.id for cl in c.clusters if not cl.other)
    retired = max(cl.id for cl in c.clusters) + 100
    c.aliases[retired] = live
    try:
        r = engine.search("model", k=100, filters=Filters(cluster=retired))
        assert f"topic {retired} is now topic {live}" in r.notices
        assert r.total == c.get(live).size and all(x.cluster == live for x in r.results)
    finally:
        del c.aliases[retired]
    with pytest.raises(FilterError, match="cluster"):
        engine.search("model", filters=Filters(cluster=retired))


def test_query_vectors_are_cached_read_only_and_bounded(engine, monkeypatch):
    import search.engine as eng

    calls = []
    real = engine.embedder.encode_queries
    monkeypatch.setattr(engine.embedder, "encode_queries", lambda texts, **kw: calls.append(texts) or real(texts))
    monkeypatch.setattr(eng, "QUERY_CACHE_SIZE", 2)
    engine._qcache.clear()
    first = engine.search("speculative decoding 가속", k=5)
    again = engine.search("speculative decoding 가속", k=5)
    assert [r.arxiv_id for r in first.results] == [r.arxiv_id for r in again.results]
    assert calls == [["speculative decoding 가속"]]          # the second search encoded nothing
    vec = engine.encode_query("speculative decoding 가속")
    with pytest.raises(ValueError):
        vec[0] = 1.0                                           # shared between requests: read-only
    engine.encode_query("a")
    engine.encode_query("b")
    assert list(engine._qcache) == ["a", "b"]                  # least recently used dropped first


def test_english_view_feeds_query_and_seed_features(engine, monkeypatch):
    """dense_gloss is the query's cosine with each paper's English gloss vector; a seed is its own best match."""
    import dataclasses

    from search.features import seed_features

    assert engine.view.gloss_vecs is not None and engine.view.gloss_vecs.shape == (engine.size, 384)
    q = "knowledge distillation into a smaller student model"
    qvec = engine.encode_query(q)
    fs = engine.features(q)
    assert np.allclose(fs.values["dense_gloss"], engine.view.gloss_vecs @ qvec, atol=1e-5)
    seed = seed_features(engine.view, [3], needed=frozenset({"sim_gloss"}))
    assert int(np.argmax(seed.values["sim_gloss"])) == 3
    # an index built before the English view: the feature is silent
    monkeypatch.setattr(engine, "view", dataclasses.replace(engine.view, gloss_vecs=None))
    assert not engine.features(q).values["dense_gloss"].any()
    assert len(engine.search(q).results) == 10


@pytest.mark.model
def test_the_engine_reads_the_abstracts_as_vectors_and_a_bm25_field(fed_engine):
    e = fed_engine
    has = e.view.has_abstract
    assert has is not None and np.array_equal(has, [bool(p.abstract) for p in e.papers])
    i = int(np.nonzero(has)[0][0])
    word = max(set(e.view.lexical.doc_terms(i, "abstract")) - set(e.view.lexical.doc_terms(i, "all")), key=len)
    got = e.view.lexical.scores([word], "abstract")
    assert got[i] > 0 and not got[~has].any()
    fs = e.features(e.papers[i].abstract[:200])
    assert int(np.argmax(fs.values["dense_abstract"])) == i  # its own abstract's opening finds it
    r = e.similar(e.papers[i].arxiv_id, k=5)
    assert r.method == "learned" and e.papers[i].arxiv_id not in [x.arxiv_id for x in r.results]
