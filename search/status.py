"""What a server reports about itself: the data dir's CURRENT pointer and the served index's numbers.

/healthz compares the generation an engine serves with the one CURRENT names,
and /api/stats describes the served index; both read through here so the API
never opens the on-disk layout or the index internals itself.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from indexer.reading.stats import stats_of
from indexer.storage.layout import DataDir
from search.engine import SearchEngine


@dataclass(frozen=True)
class PointerState:
    """CURRENT as read once: the generation it names, or why it names none that can be served."""
    current: str | None
    problem: str | None


def pointer_state(data_dir: Path) -> PointerState:
    d = DataDir(data_dir)
    gen = d.current()
    return PointerState(gen.name, None) if gen else PointerState(None, d.pointer_problem())


def model_name(e: SearchEngine) -> str | None:
    """The embedding model the served index was built with."""
    return e.idx.manifest.model.get("name")


def index_stats(e: SearchEngine) -> dict:
    """The index's summary numbers plus how this engine ranks (hybrid weights, learned features)."""
    st = stats_of(e.idx)
    st["suspect_summaries"] = int(e.flagged.sum())
    st["ranking"] = {"hybrid": asdict(e.params), "learned": {k: sorted(m.features) for k, m in e.models.items()}}
    return st
