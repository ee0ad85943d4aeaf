"""The ONNX export: complete, cached, named by the weights; what it refuses; the weights both engines report."""
from __future__ import annotations

import json

import pytest

from models.convert import MARKER as CONVERTER_MARKER
from models.loading import load_embedder
from models.onnx_export import GRAPHS, MARKER, ExportError, ensure_onnx, export_dir, pooling_mode, read_export


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


def test_modules_the_graph_cannot_reproduce_are_export_errors(tmp_path):
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


@pytest.mark.model
def test_both_engines_report_the_same_weights_for_a_checkpoint_of_your_own(checkpoint, tmp_path):
    """An index built by one engine from a local checkpoint (no converter marker) opens with the other."""
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
