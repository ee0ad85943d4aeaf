"""The named steps of a build, in order: sync store, plan, embed, tokenize, assemble vectors, English view
(indexer.pipeline.english), write index, cluster, manifest.

Each step reads and fills one `BuildState`, so the suspect mask and the combined
index vectors are computed once and every later step uses the same ones.
`indexer.pipeline.build.build_index` runs them inside a new generation and publishes it.
"""
from __future__ import annotations

import gc
import os
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from indexer.dense.adapter import ADAPTER_VERSION, Adapters
from indexer.dense.agreement import agreement_scores
from indexer.dense.suspicion import judge_summaries
from indexer.dense.vectors import PREDICTED_SCALE, TITLE_ONLY_SCALE, combine, field_weights
from indexer.pipeline.corpus_fits import adapters_for, cluster_topics, lexicon_for
from indexer.pipeline.encoding import encode_jobs
from indexer.pipeline.english import english_view, glosses_missing
from indexer.pipeline.fields import assemble, keeps_old, load_old, plan_fields
from indexer.pipeline.lexical_cache import Background, stale_tokens, warm_up_tokens
from indexer.pipeline.state import BuildState
from indexer.pipeline.timing import stage
from indexer.storage.ann import FaissANN
from indexer.storage.manifest import Manifest, corpus_hash
from indexer.storage.store import PaperStore
from indexer.text.gloss import GLOSS_VERSION
from indexer.text.lexicon import LEXICON_VERSION
from indexer.text.passages import FIELDS
from indexer.text.tokenize import TOKENIZER_VERSION


def sync_store(b: BuildState) -> None:
    """Copy the served store, upsert the corpus, prune if asked (Kiwi tokens come later: `tokenize`)."""
    with stage(b.stages, "store"):
        if b.prev is not None:
            _copy_sqlite(b.prev.store, b.gen.store)
        with PaperStore(b.gen.store) as store:
            before = store.hashes()
            b.hashes_before = store.field_hashes()
            store.upsert(b.papers)
            if b.prune:
                keep = {p.arxiv_id for p in b.papers}
                b.pruned = store.delete([a for a in before if a not in keep])
            b.rows = store.all()
    b.ids = np.array([rid for rid, _ in b.rows], dtype=np.int64)


def plan(b: BuildState) -> None:
    """Which vectors need encoding, field by field (indexer.pipeline.fields): of new papers, of fields whose text
    changed, and of fields without a carried-over vector."""
    if b.prev is not None and not b.rebuild:
        b.old = load_old(b.prev)
    b.plan = plan_fields(b.rows, b.hashes_before, b.old, fields=b.fields)
    with PaperStore(b.gen.store) as store:
        b.lexical_todo = stale_tokens(store, b.rows)
    pm = b.prev_manifest
    b.model_fp, b.dim = (dict(pm.model), pm.dim) if pm else ({}, 0)
    b.precision = (pm.extra.get("precision") if pm else None) or "unknown"
    b.encoder = encoder_of(pm)


def encoder_of(manifest: Manifest | None) -> str:
    """A generation's encoder; generations before the onnx engine recorded only torch's precision."""
    if manifest is None:
        return "unknown"
    return manifest.extra.get("encoder") or f"torch-{manifest.extra.get('precision') or 'unknown'}"


def embed(b: BuildState) -> None:
    """Load the model only when something needs embedding; refuse another model's weights.

    Kiwi (and the topic code's imports) start in a thread once the model is loaded: both
    loads hold the GIL, while encoding releases it (a full build: 15 s of Kiwi hidden)."""
    if not (b.plan.todo or not b.prev_manifest or glosses_missing(b.prev_manifest)):
        if b.lexical_todo:
            b.lexical = Background(warm_up_tokens, b.lexical_todo, not b.pending)
        return
    b.model()
    b.model_fp, b.dim = b.embedder.fingerprint, b.embedder.dim
    b.precision = getattr(b.embedder, "precision", b.precision)
    encoder = getattr(b.embedder, "encoder", f"torch-{b.precision}")
    if b.prev_manifest and not b.rebuild:
        if encoder != b.encoder and keeps_old(b.plan, b.old, b.rows):
            # int8 and fp32/bf16 vectors differ by more than measured harmless within one index
            if b.progress:
                print(f"encoder changed ({b.encoder} -> {encoder}): re-embedding all {len(b.rows)} papers",
                      file=sys.stderr)
            b.plan = plan_fields(b.rows, b.hashes_before, b.old, everything=True, fields=b.fields)
            b.rebuild = True  # all-new vectors: refit the adapters and re-cluster as a rebuild would
    b.encoder = encoder
    b.lexical = Background(warm_up_tokens, b.lexical_todo, not b.pending)
    b.fresh = encode_jobs(b.embedder, b.plan.jobs, b.settings.batch_size, b.progress, b.stages, report=b.work)


def tokenize(b: BuildState) -> None:
    """Store the Kiwi tokens of new and changed papers, computed in the warm-up thread `embed` started."""
    if b.lexical is None:
        return
    with stage(b.stages, "Kiwi (wait)"), PaperStore(b.gen.store) as store:
        store.put_lexical(b.lexical.result())


def assemble_vectors(b: BuildState) -> None:
    """Per-field matrices (fresh + carried over) and presence masks, agreement and suspect mask (a missing
    summary counts as suspect: indexer.dense.agreement), lexicon, adapters, index vectors.

    A quick stage has no summary vectors: its index vectors are the titles' (zeros before them), its lexicon is
    mined from every summary (none judged yet) and it fits no adapters; the next build refits all three."""
    b.per_field, b.presence = assemble(b.gen, b.rows, b.fresh, b.old, b.dim,
                                       deferred=b.deferred)
    np.save(b.gen.ids, b.ids)
    with stage(b.stages, "agreement"):
        b.agreement = agreement_scores(b.per_field["title"], b.per_field["summary"], b.presence["summary"])
        b.suspicion = judge_summaries(b.gen.path, b.per_field, b.presence, b.agreement)
    np.save(b.gen.agreement, b.agreement)
    b.suspect = b.suspicion.suspect
    b.content_hash = corpus_hash([(p.arxiv_id, p.embedded_hash()) for _, p in b.rows])
    with stage(b.stages, "lexicon"):
        trusted = ~b.suspect if b.quick is None else np.ones(len(b.rows), dtype=bool)
        b.lexicon = lexicon_for(b.gen, b.prev, b.prev_manifest, b.refit, b.content_hash, b.rows,
                                b.lexical_tokens, trusted)
    with stage(b.stages, "adapters"):
        b.adapters = Adapters({}) if b.pending else adapters_for(b.prev, b.ids, b.per_field, ~b.suspect, b.refit)
    b.adapters.save(b.gen.path)
    b.weights = field_weights(b.settings)
    b.index_vectors = combine(b.per_field, b.weights, b.suspect,
                              b.adapters.summary_predictor)


def write_index(b: BuildState) -> None:
    with stage(b.stages, "writes"):
        ann = FaissANN(b.dim)
        ann.index_vectors(b.ids, b.index_vectors)
        ann.save(b.gen.index)


def cluster(b: BuildState) -> None:
    """Topics last, without the encoder: its session and arena (~0.6 GB) would sit under the topic step's peak.
    A full re-cluster that needs topic labels loads it again (~1 s)."""
    b.embedder = None
    gc.collect()
    if b.pending:
        return  # the ordinary build clusters, with the summaries
    with stage(b.stages, "topics"):
        cluster_topics(b.gen, b.prev, b.settings, b.rows, b.index_vectors, b.per_field["title"], b.suspect,
                       b.encode_queries, b.lexical_tokens, b.refit, b.progress)


def write_manifest(b: BuildState) -> None:
    """Last: the manifest records every file's size, so it is written when they are final."""
    manifest = Manifest(
        model=b.model_fp, dim=b.dim, count=len(b.rows), corpus_hash=b.content_hash,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"), fields=list(FIELDS),
        weights=b.weights, max_seq_length=b.settings.max_seq_length,
        corpus=os.pathsep.join(str(c) for c in b.settings.corpus),
        extra={**b.suspicion.manifest_extra(),
               "without": {f: int((~p).sum()) for f, p in b.presence.items()},
               "encoded": b.plan.texts,
               "title_only_scale": TITLE_ONLY_SCALE, "predicted_scale": PREDICTED_SCALE,
               "precision": b.precision, "encoder": b.encoder,
               "lexicon": {"version": LEXICON_VERSION, "tokenizer": TOKENIZER_VERSION, "terms": len(b.lexicon)},
               **({"partial": {"pending": b.pending}} if b.pending else {}),
               "gloss": {"version": None if b.pending else GLOSS_VERSION, "encoded": b.gloss_encoded,
                         "scope": b.settings.gloss_scope,
                         "without": int((~b.gloss_present).sum())},
               "adapter": {"version": ADAPTER_VERSION, "maps": sorted(b.adapters.maps),
                           "sha": b.adapters.fingerprint() if b.adapters.maps else None}},
    )
    with PaperStore(b.gen.store) as store:
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the store's size is final before it is recorded
    manifest.record_files(b.gen.path)
    manifest.save(b.gen.manifest)


STEPS = (sync_store, plan, embed, tokenize, assemble_vectors, english_view, write_index, cluster, write_manifest)


def _copy_sqlite(src: Path, dst: Path) -> None:
    """Consistent copy of the served store via SQLite's backup API."""
    with sqlite3.connect(str(src)) as s, sqlite3.connect(str(dst)) as d:
        s.backup(d)
    d.close()
    s.close()
