"""Result assembly (search.results): paper fields, highlighted snippet, trust flags, topic facets."""
import numpy as np

from indexer.ingest.records import Paper
from search.results import ResultBuilder

PAPERS = [
    Paper(arxiv_id="2401.00001", title="Video Diffusion", authors=["A. Kim"], votes=12, dates=["2024-01-02"],
          summary="긴 비디오를 생성하는 확산 모델을 제안합니다."),
    Paper(arxiv_id="2401.00002", title="Math Reasoning", votes=None, dates=["2024-01-03"],
          summary="수학 추론을 개선합니다."),
    Paper(arxiv_id="2401.00003", title="Video Editing", votes=3, dates=["2024-01-03"], summary="비디오 편집."),
]


def test_a_result_carries_the_paper_the_snippet_and_the_trust_flags():
    b = ResultBuilder(PAPERS, np.array([False, True, False]), np.array([0.93456789, 0.4, 0.9]), np.array([1, 2, 1]))
    r = b.result(0, 0.123456789, ["비디오"])
    assert (r.arxiv_id, r.title, r.votes, r.dates, r.authors) == ("2401.00001", "Video Diffusion", 12, ["2024-01-02"],
                                                                   ["A. Kim"])
    assert r.score == 0.12346 and r.agreement == 0.9346 and r.cluster == 1 and not r.summary_suspect
    assert "<mark>비디오</mark>" in r.snippet and r.arxiv_url == "https://arxiv.org/abs/2401.00001"
    assert b.result(1, 1.0, []).summary_suspect
    assert [x.arxiv_id for x in b.results(np.array([2, 0]), np.array([2.0, 1.0]), [])] == ["2401.00003", "2401.00001"]


def test_facets_count_topics_largest_first_without_the_unassigned():
    b = ResultBuilder(PAPERS, np.zeros(3, dtype=bool), np.ones(3), np.array([2, -1, 2]))
    assert b.facets(np.array([0, 1, 2])) == {"2": 2}
    b = ResultBuilder(PAPERS, np.zeros(3, dtype=bool), np.ones(3), np.array([1, 2, 2]))
    assert list(b.facets(np.array([0, 1, 2]))) == ["2", "1"] and b.facets(np.array([], dtype=np.int64)) == {}
    unclustered = ResultBuilder(PAPERS, np.zeros(3, dtype=bool), np.ones(3), None)
    assert unclustered.facets(np.array([0])) == {} and unclustered.result(0, 1.0, []).cluster is None


BOTH = Paper(arxiv_id="2409.00001", title="Long Video Diffusion", dates=["2024-09-02"],
             summary="긴 비디오를 생성하는 확산 모델을 제안합니다.", abstract="We propose a diffusion model for long video.",
             sources={"title": "digest", "summary": "digest", "abstract": "feed", "dates": "digest+feed"})
FEED_ONLY = Paper(arxiv_id="2501.00002", title="Video Tokenizers", dates=["2025-01-02"],
                  abstract="A video tokenizer that compresses clips.", sources={"title": "feed", "abstract": "feed"})


def test_the_snippet_is_cut_from_the_text_of_the_query_language_with_the_sources():
    b = ResultBuilder([BOTH, FEED_ONLY, PAPERS[0]], np.zeros(3, dtype=bool), np.array([0.9, np.nan, 0.9]), None)
    en = b.results(np.array([0, 1, 2]), np.ones(3), ["video"], english_share=1.0)
    assert [r.snippet_from for r in en] == ["abstract", "abstract", "summary"]  # the last has no abstract
    assert en[0].snippet == "We propose a diffusion model for long <mark>video</mark>."
    ko = b.results(np.array([0, 1]), np.ones(2), ["비디오"], english_share=0.0)
    assert [r.snippet_from for r in ko] == ["summary", "abstract"]  # the feed-only paper has no Korean summary
    assert "<mark>비디오</mark>" in ko[0].snippet
    assert [r.has_abstract for r in en] == [True, True, False] and en[1].agreement is None
    assert [r.sources for r in en] == [["digest", "feed"], ["feed"], ["digest"]]  # the last: no provenance kept
    assert b.result(0, 1.0, []).snippet_from == "summary"  # a card without a query reads the Korean summary
