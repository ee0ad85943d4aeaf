"""A `TextEmbedder` on ONNX Runtime: the default engine for build and search.

Why not sentence-transformers at run time: importing it (and transformers,
torch) costs ~7 s per process and ~0.5 GB, and its fp32 path encodes a third
as fast as the fused int8 graph on a 2-core CPU. This class needs only
`onnxruntime`, numpy and a tokenizer (sentencepiece for an XLM-R unigram,
`models.spm_tokenizer`; `tokenizers` for others). Batches are formed from texts sorted by
token length, so padding is minimal, and results come back in input order.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from models.interface import PrefixedEncoding, unit_rows
from models.onnx_export import GRAPHS, read_export
from models.spm_tokenizer import SpmTokenizer
from models.spm_tokenizer import load as load_spm

ENGINE = "onnx"


def _session(path: Path, threads: int, spin: bool = True):
    """`spin=False` for a server: its threads would spin after every one-query run, on the cores the
    other requests' Python and the clients need (`bench/load.py --requests 250`, 8 concurrent searches:
    39-47 -> 105-108 requests/s, one client: p50 27-30 -> 13.5-13.9 ms)."""
    import onnxruntime as ort  # third-party, imported when a session is made: importing this module stays cheap

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # 0 = one per physical core
    options.inter_op_num_threads = 1
    if not spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # warnings about unused initialisers are noise
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class _HFTokenizer:
    """`tokenizers` for checkpoints whose tokenizer sentencepiece cannot stand in for (e.g. WordPiece)."""

    def __init__(self, checkpoint: Path, max_length: int) -> None:
        # third-party, imported only for the tokenizers sentencepiece cannot replace
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(checkpoint / "tokenizer.json"))
        self._tok.no_padding()
        self._tok.enable_truncation(max_length)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self._tok.encode_batch(texts)]


def _tokenizer(checkpoint: Path, max_length: int, cache: Path) -> SpmTokenizer | _HFTokenizer:
    """sentencepiece where the tokenizer is an XLM-R unigram (models.spm_tokenizer: 282 -> ~77 MB), else tokenizers."""
    spm = load_spm(checkpoint / "tokenizer.json", cache, max_length)
    return spm if spm is not None else _HFTokenizer(checkpoint, max_length)


def checkpoint_max_length(checkpoint: Path) -> int | None:
    cfg = checkpoint / "sentence_bert_config.json"
    if cfg.is_file():
        value = json.loads(cfg.read_text(encoding="utf-8")).get("max_seq_length")
        return int(value) if value else None
    return None


class OnnxEmbedder(PrefixedEncoding):
    """L2-normalised float32 embeddings from an exported graph, with the model's prefixes."""

    engine = ENGINE

    def __init__(self, name: str, checkpoint: Path, export: Path, precision: str,
                 query_prefix: str, passage_prefix: str, max_seq_length: int = 512, threads: int = 0,
                 spin: bool = True) -> None:
        if precision not in GRAPHS:
            raise ValueError(f"the onnx engine runs {sorted(GRAPHS)}, not {precision!r}")
        info = read_export(export) or {}
        self.name = name
        self.precision = precision
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self._dim = int(info["dim"])
        self._weights_sha256 = info["weights_sha256"]
        limit = checkpoint_max_length(checkpoint) or int(info.get("max_positions", 512))
        self._max_seq_length = min(int(max_seq_length), limit)
        self._tokenizer = _tokenizer(checkpoint, self._max_seq_length, export)
        self._session = _session(export / GRAPHS[precision], threads, spin)

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def max_seq_length(self) -> int:
        return self._max_seq_length

    @property
    def fingerprint(self) -> dict:
        return {"name": self.name, "weights_sha256": self._weights_sha256, "dim": self.dim}

    def _encode(self, texts: Sequence[str], prefix: str, batch_size: int, show_progress: bool) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("pass a list of texts, not a single string")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch([prefix + t for t in texts])
        lengths = np.array([len(e) for e in encodings])
        order = np.argsort(-lengths, kind="stable")
        bar = None
        if show_progress:
            from tqdm import tqdm  # third-party, only for a build's progress bar

            bar = tqdm(total=len(texts), desc="encoding", unit="text")
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)  # pad id never attended: any id works
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = lengths[i]
                ids[r, :n] = encodings[i]
                mask[r, :n] = 1
            out[rows] = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            if bar is not None:
                bar.update(len(rows))
        if bar is not None:
            bar.close()
        return unit_rows(out)
