"""Per-field incremental embedding: which (paper, field) vectors a build encodes, and the per-field matrices
with their presence masks that the generation stores.

A field is encoded when the paper has it and either its text changed (its hash in `Paper.field_hashes`
differs from the one the store recorded) or the served generation holds no vector of it for that row.
So a paper whose abstract arrives on a later day gets its abstract embedded and nothing else.

Stores written before per-field hashes recorded one hash over (title, summary) per paper
(`Paper.content_hash`); for those rows the old per-field hashes are derived: when that hash still matches,
the served title and summary vectors are the current texts' and are reused, so the first build after the
change embeds the new abstracts and re-encodes no title or summary.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from indexer.ingest.records import Paper, text_hash
from indexer.storage.layout import Generation
from indexer.text.passages import FIELDS, field_text

# encoding order: the long texts first, so the progress bar's ETA settles early
ENCODE_ORDER = ("summary", "abstract", "title")
# the stages of a first build that `papersearch index --quick` publishes one at a time, by the fields they
# encode: keyword search alone (Kiwi tokens and the lexicon, no vector: under a minute on a slow 2-core CPU),
# then the title vectors; an ordinary build adds the rest (the other fields, the English view, the adapters,
# the topics and the suspect flags)
QUICK_STAGES: tuple[tuple[str, ...], ...] = ((), ("title",))
# what every quick stage leaves to the ordinary build besides the fields it does not encode
QUICK_LEAVES = ("gloss", "adapters", "topics", "suspect flags")


def quick_stage(pending: list[str] | None) -> tuple[str, ...] | None:
    """The fields the next quick stage encodes after a generation lacking `pending` (None: no index yet); None
    when no quick stage is left (an ordinary build comes next)."""
    if pending is None:
        return QUICK_STAGES[0]
    return next((st for st in QUICK_STAGES if set(st) & set(pending)), None)


def quick_pending(stage: tuple[str, ...]) -> list[str]:
    """What a generation built by a quick stage lacks (its manifest's `partial.pending`, shown by /healthz)."""
    return [f for f in FIELDS if f not in stage] + list(QUICK_LEAVES)


@dataclass
class OldVectors:
    """The served generation's vectors, per field it stored."""

    rows: dict[int, int] = field(default_factory=dict)             # row id -> row
    mats: dict[str, np.ndarray] = field(default_factory=dict)      # field -> (n, dim)
    present: dict[str, np.ndarray] = field(default_factory=dict)   # field -> (n,) bool

    def has(self, rid: int, f: str) -> bool:
        j = self.rows.get(rid)
        return j is not None and f in self.mats and bool(self.present[f][j])


def keeps_old(plan: FieldPlan, old: OldVectors, rows: list[tuple[int, Paper]]) -> bool:
    """Whether the plan carries over any vector of the served generation (vectors of two encoders must not mix)."""
    encoded = {(rid, f) for f, jobs in plan.jobs.items() for rid, _ in jobs}
    return any(old.has(rid, f) and (rid, f) not in encoded for rid, _ in rows for f in old.mats)


@dataclass
class FieldPlan:
    jobs: dict[str, list[tuple[int, str]]]     # field -> (row id, passage) to encode
    todo: list[tuple[int, Paper]]              # papers with at least one field to encode
    new: int = 0                               # papers not in the served store
    changed: int = 0                           # papers in it whose embedded text changed

    @property
    def texts(self) -> dict[str, int]:
        return {f: len(js) for f, js in self.jobs.items() if js}


def load_old(gen: Generation | None) -> OldVectors:
    """Row map and per-field matrices of `gen` (a field it lacks is simply absent: encoded afresh)."""
    if gen is None:
        return OldVectors()
    try:
        ids = np.load(gen.ids)
    except (OSError, ValueError):
        return OldVectors()
    out = OldVectors(rows={int(rid): i for i, rid in enumerate(ids)})
    for f in FIELDS:
        try:
            out.mats[f] = np.load(gen.vectors(f))
        except (OSError, ValueError):
            continue
        try:
            out.present[f] = np.load(gen.presence(f)).astype(bool)
        except FileNotFoundError:  # generations before presence masks held a vector for every row
            out.present[f] = np.ones(len(ids), dtype=bool)
    return out


def previous_hashes(paper: Paper, stored: tuple[str, dict[str, str] | None] | None) -> dict[str, str]:
    """The per-field hashes a row had before this build; derived for rows written before they were stored."""
    if stored is None:
        return {}
    content_hash, hashes = stored
    if hashes is not None:
        return hashes
    if content_hash != paper.content_hash():
        return {}  # title or summary changed, and the old hash cannot say which: both are encoded
    now = paper.field_hashes()
    return {"title": now["title"], "summary": now["summary"], "abstract": text_hash("")}  # they had no abstract


def plan_fields(rows: list[tuple[int, Paper]], before: dict[int, tuple[str, dict[str, str] | None]],
                old: OldVectors, everything: bool = False, fields: tuple[str, ...] = ENCODE_ORDER) -> FieldPlan:
    """What to encode; `everything` (a rebuild, another encoder) encodes every field every paper has; only
    `fields` are looked at (a quick stage: none, or the titles)."""
    jobs: dict[str, list[tuple[int, str]]] = {f: [] for f in ENCODE_ORDER if f in fields}
    plan = FieldPlan(jobs, [])
    for rid, paper in rows:
        was = previous_hashes(paper, before.get(rid))
        now = paper.field_hashes()
        if rid not in before:
            plan.new += 1
        elif was != now:
            plan.changed += 1
        todo = False
        for f in jobs:
            text = field_text(paper, f)
            if text and (everything or was.get(f) != now[f] or not old.has(rid, f)):
                jobs[f].append((rid, text))
                todo = True
        if todo:
            plan.todo.append((rid, paper))
    return plan


def assemble(gen: Generation, rows: list[tuple[int, Paper]], fresh: dict[int, dict[str, np.ndarray]],
             old: OldVectors, dim: int, deferred: tuple[str, ...] = ()) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every field's (n, dim) matrix — fresh vectors, else carried over, zeros where the paper lacks the field
    or the field is `deferred` (by a quick stage) — and its presence mask, both saved into `gen`."""
    per_field, presence = {}, {}
    for f in FIELDS:
        mat = np.zeros((len(rows), dim), dtype=np.float32)
        present = np.zeros(len(rows), dtype=bool)
        carried_at, carried_from = [], []
        for i, (rid, paper) in enumerate(rows):
            if f in deferred or not field_text(paper, f):
                continue
            present[i] = True
            vec = fresh.get(rid, {}).get(f)
            if vec is not None:
                mat[i] = vec
            else:
                carried_at.append(i)
                carried_from.append(old.rows[rid])
        if carried_at:
            mat[carried_at] = old.mats[f][carried_from]
        np.save(gen.vectors(f), mat)
        np.save(gen.presence(f), present)
        per_field[f], presence[f] = mat, present
    return per_field, presence
