"""Korean<->English lexicon mined from the corpus (indexer.text.lexicon)."""
import numpy as np

from indexer.text.lexicon import Lexicon, mine, parenthetical_spans
from indexer.text.tokenize import tokens_many

SUMMARIES = [
    "이 논문은 지식 증류(knowledge distillation)를 이용해 작은 모델을 학습합니다.",
    "우리는 지식 증류(knowledge distillation) 기법으로 추론 속도를 높입니다.",
    "직접 선호 최적화(DPO)는 보상 모델 없이 정렬합니다. 또한 지식 증류(distillation)도 씁니다.",
    "직접 선호 최적화(DPO)를 개선한 방법을 제안합니다.",
    "비디오 생성 모델의 품질을 높입니다.",
]
TITLES = ["Knowledge Distillation for Small Models", "Fast Distillation", "Better DPO", "DPO Variants",
          "Video Generation"]


def _mined(trusted=None):
    titles = tokens_many(TITLES)
    bodies = tokens_many(SUMMARIES)
    return mine(SUMMARIES, titles, bodies, np.ones(len(TITLES), bool) if trusted is None else trusted)


def test_parenthetical_spans_pair_korean_words_with_the_english_in_brackets():
    assert ("직접 선호 최적화", "DPO") in parenthetical_spans(SUMMARIES[2])
    assert parenthetical_spans("괄호가 없는 문장") == []


def test_mined_pairs_go_both_ways_with_confidence_and_counts():
    lex = _mined()
    ko = {t for t, _, _ in lex.translations("distillation")}
    assert "증류" in ko
    assert "distillation" in {t for t, _, _ in lex.translations("증류")}
    assert "dpo" in {t for t, _, _ in lex.translations("선호")}
    for term, entries in lex.entries.items():
        assert all(0 < c <= 1 and n >= 2 for _, c, n in entries), term
    assert not lex.translations("비디오") or "distillation" not in {t for t, _, _ in lex.translations("비디오")}


def test_expand_weights_below_the_query_and_skips_terms_already_there():
    lex = _mined()
    out = lex.expand(["knowledge", "distillation", "증류"], weight=0.4)
    assert "증류" not in out and out  # already in the query
    assert all(0 < w <= 0.4 for w in out.values())
    assert lex.expand(["nothing"], weight=0.4) == {}


def test_title_summary_pairs_need_trusted_summaries():
    # title/summary pairs from a paper whose summary is about another paper would teach wrong translations
    titles = tokens_many(["Video Editing", "Long Video Models", "Video Tokenizers", "Speech Codec"])
    bodies = tokens_many(["비디오 편집", "긴 비디오 이해", "비디오 토크나이저", "음성 코덱"])
    summaries = ["비디오 편집", "긴 비디오 이해", "비디오 토크나이저", "음성 코덱"]
    trusted = mine(summaries, titles, bodies, np.ones(4, bool))
    assert "비디오" in {t for t, _, _ in trusted.translations("video")}
    suspect = mine(summaries, titles, bodies, np.array([True, True, False, True]))
    assert "비디오" not in {t for t, _, _ in suspect.translations("video")}  # 2 papers left: below the minimum


def test_save_load_roundtrip_and_missing_file(tmp_path):
    lex = _mined()
    lex.save(tmp_path)
    assert Lexicon.load(tmp_path).entries == lex.entries
    assert len(Lexicon.load(tmp_path / "nowhere")) == 0


def test_parenthetical_spans_take_at_most_four_words_before_the_parenthesis():
    from indexer.text.lexicon import parenthetical_spans

    assert parenthetical_spans("가 나 다 라 마(xyz)") == [("나 다 라 마", "xyz")]
    assert parenthetical_spans("지식 증류 (knowledge distillation) 와 긴-문맥(long context)") == [
        ("지식 증류", "knowledge distillation"), ("와 긴-문맥", "long context")]
    assert parenthetical_spans("abc가나(Def)") == [("가나", "Def")]
    assert parenthetical_spans("가" * 5000 + "(") == []  # no backtracking blow-up on long runs


def test_pair_cache_gives_the_same_lexicon_and_scans_only_new_summaries(monkeypatch, tmp_path):
    import indexer.text.lexicon as lexicon_module

    titles, bodies = tokens_many(TITLES), tokens_many(SUMMARIES)
    trusted = np.ones(len(TITLES), bool)
    cache: dict = {}
    first = mine(SUMMARIES[:4], titles[:4], bodies[:4], trusted[:4], cache)
    assert len(cache) == 4
    Lexicon.save_pairs(tmp_path, cache)
    carried = Lexicon.load_pairs(tmp_path)
    scanned = []
    real = lexicon_module.span_pairs
    monkeypatch.setattr(lexicon_module, "span_pairs", lambda texts: scanned.extend(texts) or real(texts))
    again = mine(SUMMARIES, titles, bodies, trusted, carried)
    assert scanned == [SUMMARIES[4]]                          # the new day's summary only
    assert again.entries == mine(SUMMARIES, titles, bodies, trusted).entries   # same as mining from scratch
    assert mine(SUMMARIES[:4], titles[:4], bodies[:4], trusted[:4], carried).entries == first.entries
    assert len(carried) == 4                                 # trimmed to the summaries mined last


def test_pair_cache_of_another_tokenizer_or_lexicon_version_is_ignored(tmp_path):
    import json

    from indexer.text.lexicon import LEXICON_VERSION
    from indexer.text.tokenize import TOKENIZER_VERSION

    Lexicon.save_pairs(tmp_path, {"x": []})
    assert Lexicon.load_pairs(tmp_path) == {"x": []}
    for stale in ({"tokenizer": "kiwi-0", "lexicon": LEXICON_VERSION}, {"tokenizer": TOKENIZER_VERSION, "lexicon": -1}):
        (tmp_path / "lexicon_pairs.json").write_text(json.dumps({**stale, "pairs": {"x": []}}))
        assert Lexicon.load_pairs(tmp_path) == {}
    assert Lexicon.load_pairs(tmp_path / "missing") == {}
