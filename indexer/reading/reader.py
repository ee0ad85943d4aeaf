"""Open the served index generation read-only: store, FAISS index, vectors, manifest."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.dense.adapter import ADAPTER_FILE, Adapters
from indexer.dense.suspicion import ABSTRACT_AGREEMENT_FILE, Suspicion, load_abstract
from indexer.storage.ann import FaissANN
from indexer.storage.layout import (
    IDS_FILE,
    INDEX_FILE,
    MANIFEST_FILE,
    STORE_FILE,
    DataDir,
    Generation,
)
from indexer.storage.manifest import Manifest
from indexer.storage.store import PaperStore
from indexer.text import gloss
from indexer.text.gloss import GLOSS_FILE
from indexer.text.lexicon import LEXICON_FILE, Lexicon
from indexer.topics.clusters import Clustering


class IndexMissingError(RuntimeError):
    pass


@dataclass
class LoadedIndex:
    generation: Generation
    manifest: Manifest
    store: PaperStore
    ann: FaissANN
    ids: np.ndarray                   # row ids, aligned with every vectors[field]
    vectors: dict[str, np.ndarray]    # field -> (n, dim) unit vectors; zero rows where present[field] is False
    agreement: np.ndarray             # title-summary agreement per row (indexer.dense.agreement)
    clustering: Clustering | None = None   # topic clusters and 2-D map (indexer.topics.clusters)
    adapters: Adapters = field(default_factory=lambda: Adapters({}))  # corpus adapters (indexer.dense.adapter)
    lexicon: Lexicon = field(default_factory=Lexicon)                 # ko<->en lexicon (indexer.text.lexicon)
    gloss: np.ndarray | None = None   # English view per row (indexer.text.gloss); None in older generations
    # field -> which rows have that vector (a feed-only paper has no summary, many papers no abstract)
    present: dict[str, np.ndarray] = field(default_factory=dict)
    # summary vs title + abstract per row (indexer.dense.suspicion); None in generations built before it
    abstract_agreement: np.ndarray | None = None

    def close(self) -> None:
        self.store.close()

    def suspicion(self) -> Suspicion:
        """Which summaries are suspect (for ranking) and flagged (for users), and why."""
        return Suspicion.of(self.agreement, self.abstract_agreement, self.manifest.extra)

    def row_of(self) -> dict[int, int]:
        """Row id -> position in `ids` / `vectors`."""
        return {int(r): i for i, r in enumerate(self.ids)}


def open_index(data_dir: Path) -> LoadedIndex:
    """Open the served generation; an unreadable part is named (`<generation>/<file>: problem`)."""
    data = DataDir(data_dir)
    gen = data.current()
    if gen is None:
        built = data.generations.is_dir() and any(not p.name.startswith(".") for p in data.generations.iterdir())
        problem = data.pointer_problem() if data.pointer.exists() or built else None
        raise IndexMissingError(f"no index in {data_dir} ({problem}); build one with `papersearch index`"
                                if problem else f"no index in {data_dir}; build one with `papersearch index`")

    def part(name: str, load):
        try:
            return load()
        except Exception as exc:  # noqa: BLE001 - whatever a damaged file raises, name the file
            what = "missing" if isinstance(exc, FileNotFoundError) else f"unreadable ({exc})"
            raise IndexMissingError(f"index generation {gen.name} in {data_dir}: {name} is {what}; "
                                    "rebuild with `papersearch index`") from exc

    manifest = part(MANIFEST_FILE, lambda: Manifest.load(gen.manifest))
    problems = manifest.file_problems(gen.path)
    if problems:
        raise IndexMissingError(f"index generation {gen.name} in {data_dir}: {'; '.join(problems)}; "
                                "rebuild with `papersearch index`")
    ann = part(INDEX_FILE, lambda: FaissANN.load(gen.index))
    ids = part(IDS_FILE, lambda: np.load(gen.ids))
    vectors = {f: part(gen.vectors(f).name, lambda f=f: np.load(gen.vectors(f))) for f in manifest.fields}
    present = {f: part(gen.presence(f).name, lambda f=f: _presence(gen, f, len(ids))) for f in manifest.fields}
    agreement = part(gen.agreement.name, lambda: np.load(gen.agreement))
    abstract_agreement = part(ABSTRACT_AGREEMENT_FILE, lambda: _rows(load_abstract(gen.path), len(ids)))
    clustering = part("clusters.json / clusters.npy / map2d.npy", lambda: Clustering.load(gen.path))
    adapters = part(ADAPTER_FILE, lambda: Adapters.load(gen.path))
    lexicon = part(LEXICON_FILE, lambda: Lexicon.load(gen.path))
    english = part(GLOSS_FILE, lambda: _gloss_vectors(gen, manifest, len(ids)))
    store = part(STORE_FILE, lambda: _open_store(gen))
    return LoadedIndex(gen, manifest, store, ann, ids, vectors, agreement, clustering, adapters, lexicon, english,
                       present, abstract_agreement)


def _rows(values: np.ndarray | None, rows: int) -> np.ndarray | None:
    if values is not None and values.shape != (rows,):
        raise ValueError(f"{values.shape[0]} rows for {rows} papers")
    return values


def _presence(gen: Generation, f: str, rows: int) -> np.ndarray:
    if not gen.presence(f).exists():  # built before presence masks: every row had a vector
        return np.ones(rows, dtype=bool)
    mask = np.load(gen.presence(f)).astype(bool)
    if mask.shape != (rows,):
        raise ValueError(f"{mask.shape[0]} rows for {rows} papers")
    return mask


def _gloss_vectors(gen: Generation, manifest: Manifest, rows: int) -> np.ndarray | None:
    if "gloss" not in manifest.extra:  # built before the English view
        return None
    vecs = gloss.load(gen.path)
    if vecs.shape != (rows, manifest.dim):
        raise ValueError(f"{vecs.shape[0]} rows of {vecs.shape[1:]} for {rows} papers of dim {manifest.dim}")
    return vecs


def _open_store(gen: Generation) -> PaperStore:
    if not gen.store.is_file():
        raise FileNotFoundError(gen.store)
    store = PaperStore(gen.store)
    try:
        store.count()  # a truncated or foreign file fails here, not in the first request
    except BaseException:
        store.close()
        raise
    return store
