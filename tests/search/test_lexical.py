"""Sparse per-field BM25 (search.lexical): Lucene scores, fields, weighted queries, top terms."""
import bm25s
import numpy as np
import pytest

from search.lexical import LexicalIndex

TITLES = [["kv", "cache", "compression"], ["video", "diffusion"], ["speculative", "decoding"], []]
SUMMARIES = [["캐시", "압축", "메모리", "kv"], ["비디오", "생성", "확산", "확산"], ["추측", "디코딩", "가속"], ["모델"]]


def test_scores_equal_bm25s_lucene_on_the_combined_field():
    lex = LexicalIndex(TITLES, SUMMARIES, title_boost=2)
    ref = bm25s.BM25(k1=1.2, b=0.75)
    ref.index([t * 2 + s for t, s in zip(TITLES, SUMMARIES)], show_progress=False)
    for q in (["kv", "압축"], ["확산"], ["decoding", "가속", "없는말"]):
        np.testing.assert_allclose(lex.scores(q), ref.get_scores(q), rtol=1e-5, atol=1e-6)


def test_fields_are_separate_and_unknown_terms_score_zero():
    lex = LexicalIndex(TITLES, SUMMARIES)
    assert lex.scores(["캐시"], "title").max() == 0 and lex.scores(["캐시"], "summary")[0] > 0
    assert lex.scores(["cache"], "title")[0] > 0 and lex.scores(["cache"], "summary").max() == 0
    assert not lex.scores(["nothing-like-this"]).any()
    assert not lex.scores([]).any()


def test_weighted_query_scales_each_term():
    lex = LexicalIndex(TITLES, SUMMARIES)
    one = lex.scores({"압축": 1.0})
    np.testing.assert_allclose(lex.scores({"압축": 0.25}), 0.25 * one, rtol=1e-6)
    np.testing.assert_allclose(lex.scores(["압축", "압축"]), 2 * one, rtol=1e-6)  # repeated terms count again


def test_top_terms_prefers_rare_terms_of_the_document():
    lex = LexicalIndex(TITLES, SUMMARIES)
    top = lex.top_terms(1, n=2)
    assert list(top)[0] in {"확산", "video", "diffusion"} and len(top) == 2
    with pytest.raises(ValueError, match="unknown BM25 field"):
        lex.scores(["x"], "body")


def test_trusted_scores_ignore_a_suspect_summary():
    lex = LexicalIndex(TITLES, SUMMARIES)
    suspect = np.array([False, True, False, False])
    s = lex.trusted_scores(["확산"], suspect)  # 확산 occurs only in paper 1's (suspect) summary
    assert s[1] == 0 and lex.scores(["확산"])[1] > 0
    s = lex.trusted_scores(["video"], suspect)  # its title still counts
    assert s[1] == lex.scores(["video"], "title")[1] > 0


def test_a_few_documents_taken_alone_keep_the_whole_corpus_scores():
    lex = LexicalIndex(TITLES, SUMMARIES)
    rows = np.array([2, 0])
    part = lex.take(rows)
    assert part.n == 2 and set(part.vocab) == {"speculative", "decoding", "추측", "디코딩", "가속", "kv", "cache",
                                                "compression", "캐시", "압축", "메모리"}  # their own terms
    for field in ("all", "title", "summary"):
        for q in (["kv", "압축"], {"확산": 1.0, "decoding": 0.4}, ["없는말"], ["video"]):
            np.testing.assert_allclose(part.scores(q, field), lex.scores(q, field)[rows], rtol=1e-6)  # corpus idf
    assert part.doc_terms(0) == lex.doc_terms(2) and part.top_terms(1, 3) == lex.top_terms(0, 3)


def test_the_abstract_is_its_own_field_counted_over_the_papers_that_have_one():
    abstracts = [["kv", "cache", "eviction", "memory"], [], ["draft", "model", "speculative", "decoding"], []]
    lex = LexicalIndex(TITLES, SUMMARIES, abstract_tokens=abstracts)
    plain = LexicalIndex(TITLES, SUMMARIES)
    for field in ("all", "title", "summary"):  # the other fields do not move
        np.testing.assert_array_equal(lex.scores(["kv", "cache", "decoding"], field),
                                      plain.scores(["kv", "cache", "decoding"], field))
    got = lex.scores(["eviction", "draft"], "abstract")
    assert got[0] > 0 and got[2] > 0 and got[1] == got[3] == 0
    assert not plain.scores(["eviction"], "abstract").any()
    # idf and average length over the two papers with an abstract: as an index of those two alone
    alone = LexicalIndex([TITLES[0], TITLES[2]], [SUMMARIES[0], SUMMARIES[2]], abstract_tokens=[abstracts[0], abstracts[2]])
    np.testing.assert_allclose(got[[0, 2]], alone.scores(["eviction", "draft"], "abstract"), rtol=1e-6)
    assert lex.top_terms(2, 2, "abstract").keys() <= {"draft", "model", "speculative", "decoding"}
    rows = np.array([2, 1])
    np.testing.assert_allclose(lex.take(rows).scores(["draft", "kv"], "abstract"), lex.scores(["draft", "kv"], "abstract")[rows])
