"""The engine over a first build's quick stages (real model): with keywords alone, lexical answers and every
other ranker says it is not live yet; with the title vectors, hybrid and dense answer by default and the
learned ranker is refused with the reason; no summary is flagged, lexical search still reads the summaries,
and the status lists the live and pending rankers."""
from __future__ import annotations

import pytest

from indexer.pipeline.build import build_index
from indexer.pipeline.fields import QUICK_LEAVES
from search.engine import SearchEngine
from search.limits import QueryError
from search.status import rankers_of

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def partial(quick_settings, embedder):
    e = SearchEngine.open(quick_settings, embedder=embedder)
    yield e
    e.close()


@pytest.fixture(scope="module")
def keywords_only(quick_settings, embedder, tmp_path_factory):
    s = quick_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("keywords") / "data"})
    build_index(s, progress=False, quick=True, embedder_factory=lambda _: embedder)
    e = SearchEngine.open(s, embedder=embedder)
    yield e
    e.close()


def test_keywords_alone_answer_lexically_and_refuse_the_rest(keywords_only):
    e = keywords_only
    assert e.pending[0] == "title"
    r = e.search("KV cache 압축", k=3)
    assert r.method == "lexical" and r.results
    assert r.notices == ["the index is still being built: answered by the lexical ranker; "
                         + ", ".join(e.pending) + " to come"]
    s = e.similar(e.papers[0].arxiv_id, k=3)
    assert s.method == "lexical" and "answered by the lexical ranker" in s.notices[0]
    for m in ("dense", "hybrid", "learned"):
        with pytest.raises(QueryError, match=f"the {m} ranker is not live yet.*choose lexical"):
            e.search("diffusion", method=m)
    r = rankers_of(e)
    assert r.live == ["lexical", "similar-lexical"] and "dense" in r.pending and "similar-dense" in r.pending


def test_default_rankers_are_the_live_ones(partial):
    assert partial.pending == ["summary", "abstract", *QUICK_LEAVES]
    r = partial.search("long context KV cache 압축", k=5)
    assert r.method == "hybrid" and len(r.results) == 5
    assert r.notices and r.notices[0].startswith("the index is still being built: answered by the hybrid ranker; summary")
    aid = partial.papers[0].arxiv_id
    assert partial.similar(aid, k=3).method == "dense"


def test_learned_is_refused_with_the_reason(partial):
    with pytest.raises(QueryError, match="the learned ranker is not live yet.*still being built.*summary"):
        partial.search("diffusion", method="learned")
    with pytest.raises(QueryError, match="not live yet"):
        partial.similar(partial.papers[0].arxiv_id, method="learned")


def test_nothing_flagged_and_lexical_search_reads_the_summaries(partial):
    assert not partial.flagged.any() and not partial.suspect.any()
    lex = partial.idx.store.lexical_tokens()
    for i in range(partial.size):
        title, summary = lex.get(int(partial.rids[i]), ([], []))
        only = [t for t in summary if t not in title and len(t) > 3 and sum(t in s for _, s in lex.values()) == 1]
        if only:
            break
    else:
        pytest.skip("no summary-only term in this slice")
    hits = [x.arxiv_id for x in partial.search(only[0], k=10, method="lexical").results]
    assert partial.papers[i].arxiv_id in hits


def test_status_lists_live_and_pending_rankers(partial):
    r = rankers_of(partial)
    assert r.pending == ["learned", "similar-learned"]
    assert {"lexical", "dense", "hybrid", "similar-dense"} <= set(r.live) and "learned" not in r.live
