"""The interface every engine meets: prefixes by model name, unit vectors, the protocol on the loaded models."""
from __future__ import annotations

import numpy as np
import pytest

from models.interface import TextEmbedder, model_prefixes, unit_rows


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


def test_unit_rows_are_float32_contiguous_and_keep_zero_rows_zero():
    out = unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]], dtype=np.float32)[:, ::-1])
    assert out.dtype == np.float32 and out.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(out, [[0.8, 0.6], [0.0, 0.0]], rtol=1e-6)


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
def test_the_loaded_model_meets_the_protocol_with_precision_from_the_constructor(embedder, torch_embedder):
    assert isinstance(embedder, TextEmbedder) and embedder.encoder == "onnx-int8"  # the default, on every CPU
    assert isinstance(torch_embedder, TextEmbedder) and torch_embedder.encoder == "torch-fp32"
