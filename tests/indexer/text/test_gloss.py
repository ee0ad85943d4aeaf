"""The English view's text: what is glossed, kept and dropped."""
from indexer.text.gloss import gloss_text, gloss_words
from indexer.text.lexicon import Lexicon

LEX = Lexicon({"증류": [("distillation", 0.9, 40)], "지식": [("knowledge", 0.8, 30)],
               "모델": [("model", 0.2, 500)], "효율": [("efficiency", 0.6, 12), ("efficient", 0.4, 5)]})


def test_korean_is_glossed_in_order_english_kept_weak_translations_dropped():
    words = gloss_words(["지식", "증류", "knowledge", "distillation", "모델", "효율", "lora"], LEX)
    # "지식 증류(knowledge distillation)" reads once; "모델" (confidence 0.2) and unknown words drop out
    assert words == ["knowledge", "distillation", "knowledge", "distillation", "efficiency", "lora"]
    assert gloss_words(["증류", "distillation", "증류"], LEX) == ["distillation"]


def test_gloss_is_capped():
    assert len(gloss_words(["lora", "증류"] * 100, LEX, max_words=64)) == 64


def test_suspect_summary_is_not_glossed():
    assert gloss_text("Title", ["증류"], LEX, suspect=True) == "Title"
    assert gloss_text("Title", ["증류"], LEX, suspect=False) == "Title. distillation"
    assert gloss_text("Title", ["모델"], LEX, suspect=False) == "Title"


def test_scope_decides_who_gets_a_view():
    import pytest

    from indexer.text.gloss import in_scope

    assert in_scope(True, "all") and in_scope(False, "all")
    assert in_scope(False, "without-abstract") and not in_scope(True, "without-abstract")
    with pytest.raises(ValueError, match="gloss scope"):
        in_scope(True, "some")
