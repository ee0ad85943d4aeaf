"""The build's English-view step (indexer.text.gloss): which papers get a gloss vector, which keep theirs.

Split from `indexer.pipeline.steps` so each module keeps one job. A paper gets the view when `gloss_scope`
puts it in scope (every paper, or only those without an English abstract); out of scope it has a zero row
and `False` in the presence mask, so a new abstract drops a paper's view without encoding anything.
"""
from __future__ import annotations

import numpy as np

from indexer.dense.suspicion import Suspicion
from indexer.pipeline.corpus_fits import refit_needed
from indexer.pipeline.encoding import encode_jobs
from indexer.pipeline.state import BuildState
from indexer.storage.layout import Generation
from indexer.storage.manifest import Manifest
from indexer.text import gloss
from indexer.text.gloss import GLOSS_VERSION, gloss_text, in_scope
from indexer.text.passages import field_text


def glosses_missing(manifest: Manifest) -> bool:
    """A served generation without this version's glosses: the next build encodes them all, so it loads
    the model in `embed`, where an encoder change is caught (int8 glosses never sit beside fp32 vectors)."""
    return (manifest.extra.get("gloss") or {}).get("version") != GLOSS_VERSION


def _old_glosses(b: BuildState) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The served generation's gloss vectors, their presence mask and suspect flags, when they may be kept."""
    if b.prev_manifest is None or glosses_missing(b.prev_manifest) or refit_needed(b.prev, b.ids, b.refit):
        return None
    try:
        old = gloss.load(b.prev.path)
        old_suspect = Suspicion.load(b.prev, b.prev_manifest.extra).suspect
        present = _presence(b.prev, len(old))
    except (OSError, ValueError):  # unreadable: encode them all
        return None
    return old, present, old_suspect


def _presence(gen: Generation, rows: int) -> np.ndarray:
    """Which rows of `gen` have a gloss vector; generations before `gloss_scope` glossed every row."""
    try:
        mask = np.load(gen.presence("gloss")).astype(bool)
    except FileNotFoundError:
        return np.ones(rows, dtype=bool)
    if mask.shape != (rows,):
        raise ValueError(f"gloss presence has {mask.shape[0]} rows for {rows} vectors")
    return mask


def english_view(b: BuildState) -> None:
    """Each in-scope paper's English gloss vector: kept while its title, its summary and its suspect flag (a
    suspect summary is not glossed) are unchanged and it had one (a new abstract does not touch it); all redone
    on a rebuild, when more than a tenth of the papers are new, or for another gloss version."""
    if b.pending:  # a quick stage has no summaries to gloss: the next build encodes every view in scope
        b.gloss_present = np.zeros(len(b.rows), dtype=bool)
        gloss.save(b.gen.path, np.zeros((len(b.rows), b.dim), dtype=np.float32))
        np.save(b.gen.presence("gloss"), b.gloss_present)
        return
    lex = b.lexical_tokens()
    old = _old_glosses(b)
    scope = b.settings.gloss_scope
    vectors = np.zeros((len(b.rows), b.dim), dtype=np.float32)
    present = np.zeros(len(b.rows), dtype=bool)
    todo = []
    for i, ((rid, p), sus) in enumerate(zip(b.rows, b.suspect)):
        if not in_scope(bool(field_text(p, "abstract")), scope):
            continue
        present[i] = True
        glossed = not ({"title", "summary"} & b.fresh.get(rid, {}).keys())
        j = b.old.rows.get(rid) if old is not None and glossed else None
        if j is not None and j < len(old[0]) and old[1][j] and j < len(old[2]) and old[2][j] == sus:
            vectors[i] = old[0][j]
        else:
            todo.append((i, gloss_text(field_text(p, "title"), lex.get(rid, ([], []))[1], b.lexicon, bool(sus))))
    if todo:
        fresh = encode_jobs(b.model(), {"gloss": todo}, b.settings.batch_size, b.progress, b.stages,
                            desc="English glosses", report=b.work)
        for i, _ in todo:
            vectors[i] = fresh[i]["gloss"]
    b.gloss_encoded = len(todo)
    b.gloss_present = present
    gloss.save(b.gen.path, vectors)
    np.save(b.gen.presence("gloss"), present)
