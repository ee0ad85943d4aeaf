from indexer.text.tokenize import tokens
from search.snippet import make_snippet


def test_highlights_query_morphemes_inside_korean_words():
    s = make_snippet("대규모 언어 모델은 긴 문맥에서 KV 캐시가 커집니다. 본 연구는 KV cache를 압축하는 방법을 제안합니다.",
                     tokens("long context KV cache 압축"))
    assert "<mark>압축</mark>하는" in s and "<mark>cache</mark>" in s


def test_escapes_html_and_never_cuts_entities():
    s = make_snippet("R&D <b>Q&A</b> 데이터", ["amp", "lt", "데이터"])
    assert s == "R&amp;D &lt;b&gt;Q&amp;A&lt;/b&gt; <mark>데이터</mark>"


def test_long_text_is_cut_with_ellipsis():
    s = make_snippet("가나다 " * 200, [])
    assert len(s) <= 245 and s.endswith("…")
