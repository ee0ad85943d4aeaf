"""Incremental, atomic index build: corpus -> store -> vectors -> FAISS -> manifest.

Only the fields whose text is new or changed are embedded (indexer.pipeline.fields);
every other vector is carried over from the served generation. Nothing is written to the
served generation: the build fills a new one and publishes it at the end.
"""
from __future__ import annotations

import errno
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from indexer.ingest.corpus import load_corpus
from indexer.ingest.records import IngestReport
from indexer.pipeline.fields import quick_stage
from indexer.pipeline.state import BuildState, EmbedderFactory
from indexer.pipeline.steps import STEPS
from indexer.pipeline.timing import stage
from indexer.storage.layout import DataDir
from indexer.storage.manifest import Manifest, ModelMismatchError
from indexer.storage.progress import BuildProgress
from models.loading import embedder_for
from papersearch.settings import Settings


@dataclass
class BuildResult:
    papers: int                 # total papers indexed after this build
    embedded: int               # papers with at least one field embedded in this run
    new: int
    changed: int
    unchanged: int
    pruned: int
    generation: str
    seconds: float
    model: dict
    ingest: IngestReport = field(default_factory=IngestReport)
    encoder: str = ""           # engine-precision that made the generation's vectors
    stages: dict[str, dict[str, float]] = field(default_factory=dict)  # seconds and peak MB per stage
    encoded: dict[str, int] = field(default_factory=dict)  # field -> texts encoded in this run (title, summary, ...)
    pending: list[str] = field(default_factory=list)       # what a quick stage left out (empty: complete)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ingest"] = {k: v for k, v in d["ingest"].items() if k != "warnings"}
        d["ingest"]["warnings"] = len(self.ingest.warnings)
        return d


class EmptyCorpusError(RuntimeError):
    pass


class DiskFullError(RuntimeError):
    """The data dir's disk filled up during a build; the previous generation stays served."""


def _disk_full(exc: BaseException, root: Path) -> bool:
    """ENOSPC from Python, SQLite ("database or disk is full") or FAISS (a failed write), or almost no space left."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    text = str(exc).lower()
    if "disk is full" in text or "no space left" in text:
        return True
    try:
        return isinstance(exc, Exception) and shutil.disk_usage(root).free < 1 << 20
    except OSError:
        return False


def _pending(data: DataDir) -> list[str] | None:
    """What the served generation lacks; None for a first build. A data dir with generations but a damaged
    CURRENT is not a first build: an ordinary one runs, and never prunes what was served with a quick stage."""
    gen = data.current()
    if gen is None:
        return None if not data.finished() else []
    return Manifest.load(gen.manifest).pending


def build_index(
    settings: Settings,
    *,
    rebuild: bool = False,
    prune: bool = False,
    progress: bool = True,
    embedder_factory: EmbedderFactory | None = None,
    quick: bool = False,
) -> BuildResult:
    """`quick`: publish the next stage of a first build (indexer.pipeline.fields.QUICK_STAGES): with no index,
    keyword search alone (under a minute); after it, the title vectors; after them (or on a complete index), an
    ordinary build."""
    start = time.perf_counter()
    data = DataDir(settings.data_dir)
    with data.build_lock():
        stage_fields = quick_stage(_pending(data)) if quick else None
        tracker = BuildProgress(data.root, "full" if stage_fields is None else "quick")
        try:
            return _build_locked(settings, data, tracker, start, rebuild, prune, progress, embedder_factory,
                                 stage_fields)
        except Exception as exc:
            tracker.fail(str(exc))
            raise
        except BaseException:
            tracker.finish()  # interrupted: nothing is running any more
            raise


def _build_locked(settings: Settings, data: DataDir, tracker: BuildProgress, start: float, rebuild: bool,
                  prune: bool, progress: bool, embedder_factory: EmbedderFactory | None,
                  quick: tuple[str, ...] | None) -> BuildResult:
    data.prune()
    stages: dict[str, dict[str, float]] = {}
    tracker.step("parse")
    with stage(stages, "parse"):
        papers, report = load_corpus(settings.corpus, progress=progress)
    if not papers:
        raise EmptyCorpusError(
            f"no papers found in {settings.corpus} ({report.files_read} files read, "
            f"{report.files_skipped} skipped); nothing was changed"
        )
    prev = data.current()
    prev_manifest = Manifest.load(prev.manifest) if prev else None
    if prev_manifest and not rebuild:
        prev_manifest.check_model(settings.model)
        if prev_manifest.max_seq_length != settings.max_seq_length:
            raise ModelMismatchError(
                f"the index was embedded with max_seq_length {prev_manifest.max_seq_length} but settings say "
                f"{settings.max_seq_length}; re-embed everything with `papersearch index --rebuild` "
                "(mixing the two would rank papers inconsistently)"
            )

    gen = data.new_generation()
    try:
        state = BuildState(gen, prev, prev_manifest, papers, settings, rebuild, prune, progress,
                           embedder_factory or embedder_for, quick=quick, report=tracker, stages=stages)
        for step in STEPS:
            tracker.step(step.__name__)
            step(state)
        result = BuildResult(
            papers=len(state.rows), embedded=len(state.plan.todo), new=state.plan.new, changed=state.plan.changed,
            unchanged=len(state.rows) - len(state.plan.todo), pruned=state.pruned, generation=gen.name,
            seconds=0.0, model=state.model_fp, encoder=state.encoder, stages=state.stages,
            encoded=state.plan.texts, pending=state.pending,
        )
        final = data.publish(gen)
    except BaseException as exc:
        # leave nothing half-written behind; the served generation is untouched
        shutil.rmtree(gen.path, ignore_errors=True)
        if _disk_full(exc, data.root):
            raise DiskFullError(
                f"disk full in {data.root} while building ({exc}); nothing was published, "
                f"{'generation ' + prev.name if prev else 'no index'} is still served"
            ) from exc
        raise
    data.prune()
    tracker.finish()
    result.generation = final.name
    result.ingest = report
    result.seconds = round(time.perf_counter() - start, 2)
    return result
