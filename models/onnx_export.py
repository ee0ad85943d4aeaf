"""Export a local sentence-transformers checkpoint to ONNX Runtime graphs, once.

Why: on a 2-core CPU without native bf16, torch encodes whole summaries at
~11 papers/s (fp32), so a full build takes 8-28 minutes. The same weights as a
fused ONNX Runtime graph run at ~19 papers/s in fp32 and ~33 papers/s with
int8 weights (dynamic int8 activations), on any x86-64 CPU, and a process that
only encodes never imports torch or transformers (7 s of a new day's 16 s).

Two graphs per checkpoint, written atomically into one cache directory named by
the weights' sha256, this exporter's version and the onnxruntime version:
  fp32.onnx  the model with BERT fusions (attention, skip layer norm, bias GELU)
             and mean/CLS pooling inside the graph -> (batch, dim) embeddings
  int8.onnx  the same, MatMul/attention weights int8 per output channel with
             `reduce_range` (7-bit), so CPUs without VNNI cannot saturate the
             u8*s8 pair sums and every x86-64 CPU computes the same integers;
             activations int8 per batch (dynamic). The FFN output projections
             stay fp32: their inputs (after GELU) carry outlier activations
             (layer 4 of multilingual-e5-small: |x| up to 65, <= 33 elsewhere)
             that one int8 scale per batch cannot hold. Measured on 120 corpus
             summaries against fp32: all int8 cosine mean 0.9961 (dev set
             -0.012 nDCG@10 on the tuning half), layer 4 kept 0.9981 (-0.012),
             all kept 0.9991 at 0.85x the all-int8 speed
Exporting needs torch and transformers (installed anyway, for the torch engine
and for fine-tuning); it runs at `make install` for the bundled model and on
first use for any other local checkpoint (~30 s).
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from importlib import metadata
from pathlib import Path

from models.convert import file_sha256, publish_dir, read_source
from models.torch_engine import load_sentence_transformer, state_dict_sha256

EXPORT_VERSION = 3
MARKER = "onnx_export.json"  # written last: its presence means "complete"
GRAPHS = {"fp32": "fp32.onnx", "int8": "int8.onnx"}


class ExportError(RuntimeError):
    """The checkpoint cannot run on ONNX Runtime; the torch engine still can."""


CONFIG_FILES = ("config.json", "modules.json", "sentence_bert_config.json", "1_Pooling/config.json")


def checkpoint_key(checkpoint: Path, cache_dir: Path | None = None) -> str:
    """What the exported graphs depend on: the weight files and the configs (a copied, then fine-tuned
    checkpoint that kept the converter's marker still gets a new export). File hashes are remembered in
    `cache_dir` by path, size and mtime: hashing 470 MB of weights cost 0.3 s of every process start."""
    files = sorted(checkpoint.glob("*.safetensors")) or sorted(checkpoint.glob("pytorch_model*.bin"))
    if not files:
        raise ExportError(f"{checkpoint} holds no model.safetensors or pytorch_model.bin")
    memo_path = Path(cache_dir) / "onnx" / "file_hashes.json" if cache_dir is not None else None
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8")) if memo_path else {}
    except (OSError, ValueError):
        memo = {}
    h, changed = hashlib.sha256(), False
    for f in [*files, *(checkpoint / c for c in CONFIG_FILES if (checkpoint / c).is_file())]:
        st = f.stat()
        stamp = f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}"
        if stamp not in memo:
            memo[stamp], changed = file_sha256(f), True
        h.update(f.name.encode())
        h.update(memo[stamp].encode())
    if memo_path is not None and changed:
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo_path.with_name(f".{memo_path.name}.{os.getpid()}.tmp")  # a memo, but never a torn one
        tmp.write_text(json.dumps(memo), encoding="utf-8")
        os.replace(tmp, memo_path)
    return h.hexdigest()


def pooling_mode(checkpoint: Path) -> str:
    """'mean' or 'cls'; any sentence-transformers module the graph would not reproduce is an ExportError."""
    modules = checkpoint / "modules.json"
    if not modules.is_file():
        return "mean"
    pooling = "mean"
    for module in json.loads(modules.read_text(encoding="utf-8")):
        kind = module.get("type", "").rsplit(".", 1)[-1]
        if kind in ("Transformer", "Normalize"):
            continue
        if kind != "Pooling":
            raise ExportError(f"{checkpoint}: module {kind!r} has no ONNX export here")
        cfg = json.loads((checkpoint / module["path"] / "config.json").read_text(encoding="utf-8"))
        modes = [k for k, v in cfg.items() if k.startswith("pooling_mode_") and v]
        if modes == ["pooling_mode_mean_tokens"]:
            pooling = "mean"
        elif modes == ["pooling_mode_cls_token"]:
            pooling = "cls"
        else:
            raise ExportError(f"{checkpoint}: pooling {modes} is not plain mean or CLS")
        if cfg.get("include_prompt") is False:
            raise ExportError(f"{checkpoint}: pooling that excludes the prompt has no ONNX export here")
    return pooling


def export_dir(cache_dir: Path, checkpoint: Path) -> Path:
    ort_version = metadata.version("onnxruntime")
    return Path(cache_dir) / "onnx" / f"{checkpoint_key(checkpoint, cache_dir)[:16]}-x{EXPORT_VERSION}-ort{ort_version}"


def read_export(path: Path) -> dict | None:
    marker = path / MARKER
    return json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else None


def ensure_onnx(checkpoint: Path, cache_dir: Path) -> Path:
    """The directory holding fp32.onnx and int8.onnx for `checkpoint`, exporting if needed."""
    checkpoint = Path(checkpoint)
    final = export_dir(cache_dir, checkpoint)
    if read_export(final) is not None:
        return final

    def fill(tmp: Path) -> None:
        info = _export(checkpoint, tmp)
        (tmp / MARKER).write_text(json.dumps(info, indent=1), encoding="utf-8")

    return publish_dir(final, MARKER, fill)


def _export(checkpoint: Path, out: Path) -> dict:
    # heavy third-party imports, only when exporting: a process that only encodes never loads torch
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    from transformers import AutoConfig, AutoModel

    pooling = pooling_mode(checkpoint)
    config = AutoConfig.from_pretrained(checkpoint, local_files_only=True)
    if config.model_type not in ("bert", "xlm-roberta", "roberta"):
        raise ExportError(f"{checkpoint}: architecture {config.model_type!r} has no ONNX export here")
    model = AutoModel.from_pretrained(checkpoint, local_files_only=True, attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, encoder) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            if pooling == "cls":
                return hidden[:, 0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    raw = out / "raw.onnx"
    example = (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long))
    # the tracer warns about shape checks it freezes; the graph is checked against torch in the tests
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(model), example, str(raw), input_names=["input_ids", "attention_mask"],
            output_names=["embedding"], opset_version=17, dynamo=False,
            dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                          "embedding": {0: "batch"}},
        )
    fused = optimizer.optimize_model(str(raw), model_type="bert", num_heads=config.num_attention_heads,
                                     hidden_size=config.hidden_size)
    fusions = {k: v for k, v in fused.get_fused_operator_statistics().items() if v}
    fused.save_model_to_file(str(out / GRAPHS["fp32"]))
    raw.unlink()
    keep_fp32 = ffn_outputs(out / GRAPHS["fp32"])
    quantize_dynamic(out / GRAPHS["fp32"], out / GRAPHS["int8"], weight_type=QuantType.QInt8,
                     per_channel=True, reduce_range=True, nodes_to_exclude=keep_fp32,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return {
        "checkpoint": str(checkpoint), "weights_sha256": _fingerprint_sha(checkpoint), "pooling": pooling,
        "dim": int(config.hidden_size), "max_positions": int(config.max_position_embeddings)
        - (2 if config.model_type in ("roberta", "xlm-roberta") else 0),  # RoBERTa positions start after padding
        "export_version": EXPORT_VERSION, "onnxruntime": metadata.version("onnxruntime"),
        "fusions": fusions, "int8": "dynamic, per-channel QInt8 weights, reduce_range",
        "fp32_nodes": keep_fp32,
    }


def _fingerprint_sha(checkpoint: Path) -> str:
    """The weights hash the torch engine reports for this checkpoint, so an index built by either engine
    accepts the other (the converter's recorded hash, else the loaded model's state dict)."""
    recorded = (read_source(checkpoint) or {}).get("weights_sha256")
    if recorded:
        return recorded
    return state_dict_sha256(load_sentence_transformer(str(checkpoint)))


def ffn_outputs(graph: Path) -> list[str]:
    """The FFN output projections (MatMul after the GELU) of an exported BERT graph."""
    import onnx  # third-party, only when exporting

    model = onnx.load(str(graph), load_external_data=False)
    return [n.name for n in model.graph.node if n.op_type == "MatMul"
            and n.name.endswith("output/dense/MatMul") and "attention" not in n.name]
