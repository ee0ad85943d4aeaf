"""What one build knows as its steps run (indexer.pipeline.steps): filled step by step, read by the later ones."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from indexer.dense.adapter import Adapters
from indexer.dense.suspicion import Suspicion
from indexer.ingest.records import Paper
from indexer.pipeline.fields import ENCODE_ORDER, FieldPlan, OldVectors, quick_pending
from indexer.pipeline.lexical_cache import Background
from indexer.pipeline.timing import stage
from indexer.storage.layout import Generation
from indexer.storage.manifest import Manifest
from indexer.storage.progress import BuildProgress
from indexer.storage.store import PaperStore
from indexer.text.lexicon import Lexicon
from papersearch.settings import Settings

EmbedderFactory = Callable[[Settings], "object"]


@dataclass
class BuildState:
    gen: Generation
    prev: Generation | None
    prev_manifest: Manifest | None
    papers: list[Paper]
    settings: Settings
    rebuild: bool
    prune: bool
    progress: bool
    factory: EmbedderFactory
    quick: tuple[str, ...] | None = None  # a quick stage: the only fields it encodes (indexer.pipeline.fields)
    report: BuildProgress | None = None  # how far the build is, for a server showing a partial generation
    # filled by the steps
    rows: list[tuple[int, Paper]] = field(default_factory=list)
    hashes_before: dict[int, tuple[str, dict[str, str] | None]] = field(default_factory=dict)  # row id -> hashes
    old: OldVectors = field(default_factory=OldVectors)             # served generation's vectors per field
    pruned: int = 0
    ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    plan: FieldPlan = field(default_factory=lambda: FieldPlan({}, []))  # what to encode, per field
    embedder: object | None = None
    model_fp: dict = field(default_factory=dict)
    dim: int = 0
    precision: str = "unknown"
    encoder: str = "unknown"           # engine-precision of every vector in the generation (never mixed)
    fresh: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    per_field: dict[str, np.ndarray] = field(default_factory=dict)
    presence: dict[str, np.ndarray] = field(default_factory=dict)   # field -> which rows have that vector
    agreement: np.ndarray | None = None
    suspect: np.ndarray | None = None
    suspicion: Suspicion | None = None   # the abstract decides where a paper has one (indexer.dense.suspicion)
    content_hash: str = ""
    lexicon: Lexicon | None = None
    adapters: Adapters | None = None
    stages: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> seconds, peak MB so far
    lexical_todo: list[tuple[int, Paper]] = field(default_factory=list)  # papers whose Kiwi tokens are stale
    lexical: Background | None = None      # Kiwi tokens of new/changed papers, computed beside the encoding
    weights: dict[str, float] = field(default_factory=dict)
    index_vectors: np.ndarray | None = None
    gloss_encoded: int = 0
    gloss_present: np.ndarray | None = None   # which rows have an English view (gloss_scope)
    _lexical_tokens: dict[int, tuple[list[str], list[str]]] | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        """The vector fields this build encodes."""
        return ENCODE_ORDER if self.quick is None else self.quick

    @property
    def deferred(self) -> tuple[str, ...]:
        """Fields a quick stage leaves without vectors, even where the paper has the text."""
        return () if self.quick is None else tuple(f for f in ENCODE_ORDER if f not in self.quick)

    @property
    def pending(self) -> list[str]:
        """What the generation being built will lack (empty: complete)."""
        return [] if self.quick is None else quick_pending(self.quick)

    @property
    def refit(self) -> bool:
        """Whether the corpus-wide fits (lexicon, adapters, English view, topics) are redone: on a rebuild, and
        after a quick first pass, whose fits were made without the summaries; its title vectors are kept."""
        return self.rebuild or bool(self.prev_manifest and self.prev_manifest.pending)

    def work(self, encoding: str, done: int, total: int) -> None:
        """Encoding progress, for the progress file (`report`)."""
        if self.report is not None:
            self.report.work(encoding, done, total)

    def model(self):
        """The embedder, loaded on first need: a build with nothing new may still need it (topic labels on a
        re-cluster, the glosses of an index built before them). Whoever loads it first, another model's
        weights are refused against the served generation (the `--rebuild` hint)."""
        if self.embedder is None:
            with stage(self.stages, "model load"):
                self.embedder = self.factory(self.settings)
            if self.prev_manifest is not None and not self.rebuild:
                self.prev_manifest.check_model(self.settings.model, self.embedder.fingerprint)
        return self.embedder

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.model().encode_queries(texts)

    def lexical_tokens(self) -> dict[int, tuple[list[str], list[str]]]:
        """Row id -> (title, summary) Kiwi tokens from the new store, read once (after `tokenize`)."""
        if self._lexical_tokens is None:
            with PaperStore(self.gen.store) as store:
                self._lexical_tokens = store.lexical_tokens()
        return self._lexical_tokens
