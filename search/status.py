"""What a server reports about itself: the data dir's CURRENT pointer and the served index's numbers.

/healthz compares the generation an engine serves with the one CURRENT names,
says which rankers are live (a quick first pass serves lexical and title vectors
while the rest is built) and how far a running build is; /api/stats describes the
served index; both read through here so the API never opens the on-disk layout or
the index internals itself.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from indexer.reading.stats import stats_of
from indexer.storage.layout import DataDir
from indexer.storage.progress import BuildStatus, read_progress
from search.engine import SearchEngine
from search.limits import live_rankers
from search.rankers.query import METHODS
from search.rankers.similar import SIMILAR_METHODS


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


@dataclass(frozen=True)
class Rankers:
    """The rankers an engine answers with now and those waiting for the build (named as `method=` takes them;
    find-similar's prefixed "similar-")."""
    live: list[str]
    pending: list[str]


def rankers_of(e: SearchEngine) -> Rankers:
    """All of them on a complete index; on a quick first pass, those it has what they read for (search.limits)."""
    learned = {n for n, kind in (("learned", "query"), ("similar-learned", "similar")) if kind in e.models}
    out = Rankers([], [])
    for prefix, reg in (("", METHODS), ("similar-", SIMILAR_METHODS)):
        live = live_rankers(e.pending, reg.names())
        for m in reg.names():
            name = prefix + m
            if m == "learned" and name not in learned:
                continue
            (out.live if live is None or m in live else out.pending).append(name)
    return out


def build_status(data_dir: Path) -> BuildStatus | None:
    """The build running in `data_dir` (or the last one that failed there), from its progress file."""
    return read_progress(data_dir)
