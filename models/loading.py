"""Settings -> a loaded `TextEmbedder`: the one factory the build, the search engine, the API and the benches use.

It chooses the engine (ONNX Runtime for a local BERT/XLM-R checkpoint, torch for the rest and for bf16),
checks that engine and precision go together, and never downloads: the product runs offline. Serving
imports this, never the build, to get its model. `python -m models.loading` (run by `make install`) prepares
the default model once, so first use is instant.
"""
from __future__ import annotations

import warnings
from pathlib import Path

from models.convert import ensure_checkpoint
from models.interface import ModelError, TextEmbedder, model_prefixes
from models.loaders import checkpoint_prompts, load_torch, local_checkpoint
from models.onnx_embedder import OnnxEmbedder
from models.onnx_export import ensure_onnx
from papersearch.settings import Settings

ENGINES = ("auto", "onnx", "torch")
PRECISIONS = ("auto", "int8", "fp32", "bf16")


def _load_onnx(name: str, checkpoint: Path, cache_dir: Path, precision: str, max_seq_length: int,
               threads: int, spin: bool) -> OnnxEmbedder:
    export = ensure_onnx(checkpoint, cache_dir)
    query_prefix, passage_prefix = model_prefixes(name, checkpoint_prompts(checkpoint))
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
    return load_torch(name, Path(cache_dir), max_seq_length, threads, precision)


def embedder_for(settings: Settings, serving: bool = False) -> TextEmbedder:
    """The one place settings become a loaded model (build, search, API, benches); `serving`: a search
    engine's, which encodes one short query per call (its threads do not spin between calls)."""
    return load_embedder(settings.model, settings.model_cache, max_seq_length=settings.max_seq_length,
                         threads=settings.threads, precision=settings.precision, engine=settings.engine,
                         spin=not serving)


def main() -> None:
    """Prepare the default model: the converted checkpoint, then its ONNX Runtime graphs (fp32 and int8, ~35 s)."""
    cache = Settings().model_cache
    path = ensure_checkpoint(cache)
    print(f"model checkpoint ready: {path}")
    print(f"onnx graphs ready: {ensure_onnx(path, cache)}")


if __name__ == "__main__":
    main()
