from indexer.text.tokenize import latin_share, tokens
from search.snippet import make_snippet, snippet_text


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


SUMMARY = "이 논문은 긴 비디오를 생성하는 확산 모델을 제안합니다."
ABSTRACT = "We propose a diffusion model that generates long videos. Our models beat every baseline."


def test_the_snippet_text_follows_the_query_language():
    en, ko, mixed = latin_share(tokens("long video diffusion")), latin_share(tokens("긴 비디오 생성")), \
        latin_share(tokens("LoRA 비디오 생성 모델"))
    assert en == 1.0 and ko == 0.0 and 0 < mixed < 0.5
    assert snippet_text(SUMMARY, ABSTRACT, en) == ("abstract", ABSTRACT)
    assert snippet_text(SUMMARY, ABSTRACT, ko) == ("summary", SUMMARY)
    assert snippet_text(SUMMARY, ABSTRACT, mixed) == ("summary", SUMMARY)  # mostly Korean
    assert snippet_text(SUMMARY, ABSTRACT, latin_share(tokens("video 생성 diffusion")))[0] == "abstract"
    assert snippet_text(SUMMARY, ABSTRACT, 0.5)[0] == "summary"  # a tie reads the Korean summary
    assert snippet_text(SUMMARY, ABSTRACT, None)[0] == "summary"  # no query text: a topic list, papers like one


def test_a_paper_with_one_text_gives_that_text_whatever_the_query_language():
    assert snippet_text("", ABSTRACT, 0.0) == ("abstract", ABSTRACT)    # only in the feed: no Korean summary
    assert snippet_text(SUMMARY, "", 1.0) == ("summary", SUMMARY)      # digest only: no abstract
    assert snippet_text(" ", "", 1.0) == (None, "") and make_snippet("", ["video"]) == ""


def test_english_terms_are_highlighted_case_insensitively_at_word_starts_only():
    s = make_snippet("LoRA adapters and Model explorations: models that Explore LORA ranks.", tokens("lora model"))
    assert s.count("<mark>") == 4
    assert "<mark>LoRA</mark>" in s and "<mark>LORA</mark>" in s and "<mark>Model</mark>" in s
    assert "<mark>model</mark>s" in s and "exp<mark>" not in s  # a plural is lit, "lora" inside a word is not
    assert "<mark>KV</mark>캐시" in make_snippet("KV캐시를 줄입니다", ["kv"])  # Korean glued after it is fine


def test_an_abstract_snippet_picks_the_sentence_with_most_terms_and_stays_escaped():
    text = "Large models are slow. We cache keys & values to speed up long-context decoding. Results follow."
    s = make_snippet(text, tokens("long context cache"), limit=80)
    assert s.startswith("… We <mark>cache</mark> keys &amp; values") and "<mark>long</mark>-<mark>context</mark>" in s
