"""Inner-product ANN over stable int64 ids, behind a small swappable interface.

Modelled on txtai's ANN base: `ANN` names index/append/delete/search/save/load and
backends register by name in `ANN_BACKENDS`. The one backend today, "faiss-flat",
is an `IndexIDMap2(IndexFlatIP)`: exact search (5k x 384 is a few ms), ids are the
store's row ids, and filters are applied *inside* the search with an
`IDSelectorBatch`, so k matches come back whenever k papers pass the filter.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

from papersearch.registry import Registry


class ANN(ABC):
    """What the build writes and the reader searches; a backend implements every method."""

    dim: int

    @property
    @abstractmethod
    def count(self) -> int: ...

    def index_vectors(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Replace the whole index."""
        self.delete(self.ids())
        self.append(ids, vectors)

    @abstractmethod
    def append(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    @abstractmethod
    def delete(self, ids: np.ndarray) -> int: ...

    @abstractmethod
    def ids(self) -> np.ndarray: ...

    @abstractmethod
    def search(self, queries: np.ndarray, k: int,
               allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]: ...

    @abstractmethod
    def save(self, path: Path) -> None: ...

    @classmethod
    @abstractmethod
    def load(cls, path: Path) -> ANN: ...


ANN_BACKENDS: Registry[Callable[[int], ANN]] = Registry("ANN backend")
DEFAULT_BACKEND = "faiss-flat"


def ann_backend(name: str = DEFAULT_BACKEND) -> type[ANN]:
    """The backend class registered under `name` (its constructor takes the dimension, `load` a path)."""
    return ANN_BACKENDS.get(name)  # type: ignore[return-value]


@ANN_BACKENDS.register(DEFAULT_BACKEND)
class FaissANN(ANN):
    def __init__(self, dim: int):
        self.dim = dim
        self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    @property
    def count(self) -> int:
        return int(self.index.ntotal)

    def index_vectors(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Replace the whole index."""
        self.index.reset()
        self.append(ids, vectors)

    def append(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"expected vectors of shape (n, {self.dim}), got {vectors.shape}")
        self.index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))

    def delete(self, ids: np.ndarray) -> int:
        return int(self.index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64)))

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def reconstruct(self, id_: int) -> np.ndarray:
        return self.index.reconstruct(int(id_))

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query; `allowed` restricts to those ids exactly.

        Rows are padded with id -1 when fewer than k vectors are allowed; callers
        must drop them (see `drop_padding`).
        """
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(int(k), max(self.count, 1)))
        params = None
        if allowed is not None:
            allowed = np.ascontiguousarray(allowed, dtype=np.int64)
            if len(allowed) == 0:
                n = queries.shape[0]
                return np.full((n, k), -np.inf, dtype=np.float32), np.full((n, k), -1, dtype=np.int64)
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        scores, ids = self.index.search(queries, k, params=params)
        return scores, ids

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> FaissANN:
        index = faiss.read_index(str(path))
        ann = cls(index.d)
        ann.index = index
        return ann


def drop_padding(scores: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """FAISS pads short result rows with id -1: never let one map to a paper."""
    keep = ids >= 0
    return scores[keep], ids[keep]
