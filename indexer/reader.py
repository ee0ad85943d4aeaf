"""Open the served index generation read-only: store, FAISS index, vectors, manifest."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.ann import FaissANN
from indexer.clusters import Clustering
from indexer.layout import DataDir, Generation
from indexer.manifest import Manifest
from indexer.store import PaperStore


class IndexMissingError(RuntimeError):
    pass


@dataclass
class LoadedIndex:
    generation: Generation
    manifest: Manifest
    store: PaperStore
    ann: FaissANN
    ids: np.ndarray                   # row ids, aligned with every vectors[field]
    vectors: dict[str, np.ndarray]    # field -> (n, dim) unit vectors
    agreement: np.ndarray             # title-summary agreement per row (indexer.agreement)
    clustering: Clustering | None = None   # topic clusters and 2-D map (indexer.clusters)

    def close(self) -> None:
        self.store.close()

    def row_of(self) -> dict[int, int]:
        """Row id -> position in `ids` / `vectors`."""
        return {int(r): i for i, r in enumerate(self.ids)}


def open_index(data_dir: Path) -> LoadedIndex:
    data = DataDir(data_dir)
    gen = data.current()
    if gen is None:
        raise IndexMissingError(f"no index in {data_dir}; build one with `papersearch index`")
    try:
        manifest = Manifest.load(gen.manifest)
        ann = FaissANN.load(gen.index)
        ids = np.load(gen.ids)
        vectors = {f: np.load(gen.vectors(f)) for f in manifest.fields}
        agreement = np.load(gen.agreement)
        clustering = Clustering.load(gen.path)
    except (OSError, ValueError, RuntimeError, TypeError) as exc:
        raise IndexMissingError(
            f"index generation {gen.name} in {data_dir} is unreadable ({exc}); rebuild with `papersearch index`"
        ) from exc
    return LoadedIndex(gen, manifest, PaperStore(gen.store), ann, ids, vectors, agreement, clustering)
