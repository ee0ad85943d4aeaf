"""The named steps of a build, in order: sync store, plan, embed, tokenize, assemble vectors, English view,
write index, cluster, manifest.

Each step reads and fills one `BuildState`, so the suspect mask and the combined
index vectors are computed once and every later step uses the same ones.
`indexer.build.build_index` runs them inside a new generation and publishes it.
"""
from __future__ import annotations

import gc
import os
import sqlite3
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from indexer import gloss
from indexer.adapter import ADAPTER_VERSION, Adapters, fit_adapters
from indexer.agreement import SUSPECT_BELOW, agreement_scores, suspect_mask
from indexer.ann import FaissANN
from indexer.clusters import CLUSTERS_VERSION, Clustering, cluster_papers
from indexer.encoding import embed_papers, encode_jobs
from indexer.gloss import GLOSS_VERSION, gloss_text
from indexer.layout import Generation
from indexer.lexicon import LEXICON_FILE, LEXICON_VERSION, Lexicon, mine
from indexer.manifest import Manifest, corpus_hash
from indexer.passages import FIELDS, field_text
from indexer.records import Paper
from indexer.store import PaperStore
from indexer.timing import stage
from indexer.tokenize import TOKENIZER_VERSION, tokens_many, warm
from indexer.topic_input import topic_input
from indexer.topic_updates import carry_ids, extend
from indexer.vectors import PREDICTED_SCALE, TITLE_ONLY_SCALE, combine, field_weights
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
    # filled by the steps
    rows: list[tuple[int, Paper]] = field(default_factory=list)
    hashes_before: dict[int, str] = field(default_factory=dict)
    old_rows: dict[int, int] = field(default_factory=dict)          # served generation: row id -> row
    old_mats: dict[str, np.ndarray] = field(default_factory=dict)   # served generation: field -> vectors
    pruned: int = 0
    ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    todo: list[tuple[int, Paper]] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    embedder: object | None = None
    model_fp: dict = field(default_factory=dict)
    dim: int = 0
    precision: str = "unknown"
    encoder: str = "unknown"           # engine-precision of every vector in the generation (never mixed)
    fresh: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    per_field: dict[str, np.ndarray] = field(default_factory=dict)
    agreement: np.ndarray | None = None
    suspect: np.ndarray | None = None
    content_hash: str = ""
    lexicon: Lexicon | None = None
    adapters: Adapters | None = None
    stages: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> seconds, peak MB so far
    lexical_todo: list[tuple[int, Paper]] = field(default_factory=list)  # papers whose Kiwi tokens are stale
    lexical: Background | None = None      # Kiwi tokens of new/changed papers, computed beside the encoding
    weights: dict[str, float] = field(default_factory=dict)
    index_vectors: np.ndarray | None = None
    gloss_encoded: int = 0
    _lexical_tokens: dict[int, tuple[list[str], list[str]]] | None = None

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


class Background:
    """One function in a daemon thread: an interrupted build exits at once instead of waiting for it."""

    def __init__(self, fn: Callable, *args: object) -> None:
        self._result: object = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn, args), name="build-warm-up", daemon=True)
        self._thread.start()

    def _run(self, fn: Callable, args: tuple) -> None:
        try:
            self._result = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the build's thread by result()
            self._error = exc

    def result(self) -> object:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


def sync_store(b: BuildState) -> None:
    """Copy the served store, upsert the corpus, prune if asked (Kiwi tokens come later: `tokenize`)."""
    with stage(b.stages, "store"):
        if b.prev is not None:
            _copy_sqlite(b.prev.store, b.gen.store)
        with PaperStore(b.gen.store) as store:
            before = store.hashes()
            store.upsert(b.papers)
            if b.prune:
                keep = {p.arxiv_id for p in b.papers}
                b.pruned = store.delete([a for a in before if a not in keep])
            b.rows = store.all()
    b.hashes_before = {rid: h for rid, h in before.values()}
    b.ids = np.array([rid for rid, _ in b.rows], dtype=np.int64)


def plan(b: BuildState) -> None:
    """Which papers need embedding: new, changed, or without a carried-over vector."""
    if b.prev is not None and not b.rebuild:
        b.old_rows, b.old_mats = _load_vectors(b.prev)
    for rid, paper in b.rows:
        old_hash = b.hashes_before.get(rid)
        if old_hash is None:
            b.new += 1
        elif old_hash != paper.content_hash():
            b.changed += 1
        if old_hash != paper.content_hash() or rid not in b.old_rows:
            b.todo.append((rid, paper))
    with PaperStore(b.gen.store) as store:
        b.lexical_todo = _lexical_todo(store, b.rows)
    pm = b.prev_manifest
    b.model_fp, b.dim = (dict(pm.model), pm.dim) if pm else ({}, 0)
    b.precision = (pm.extra.get("precision") if pm else None) or "unknown"
    b.encoder = encoder_of(pm)


def _warm_up(todo: list[tuple[int, Paper]]) -> list[tuple]:
    """Kiwi tokens of `todo`, then the topic code's imports: ~3 s off a new day, ~18 s off a full build."""
    warm()
    rows = _tokenize_papers(todo)
    import sklearn.decomposition  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401

    return rows


def encoder_of(manifest: Manifest | None) -> str:
    """A generation's encoder; generations before the onnx engine recorded only torch's precision."""
    if manifest is None:
        return "unknown"
    return manifest.extra.get("encoder") or f"torch-{manifest.extra.get('precision') or 'unknown'}"


def embed(b: BuildState) -> None:
    """Load the model only when something needs embedding; refuse another model's weights.

    Kiwi (and the topic code's imports) start in a thread once the model is loaded: both
    loads hold the GIL, while encoding releases it (a full build: 15 s of Kiwi hidden)."""
    if not (b.todo or not b.prev_manifest or _glosses_missing(b.prev_manifest)):
        if b.lexical_todo:
            b.lexical = Background(_warm_up, b.lexical_todo)
        return
    b.model()
    b.model_fp, b.dim = b.embedder.fingerprint, b.embedder.dim
    b.precision = getattr(b.embedder, "precision", b.precision)
    encoder = getattr(b.embedder, "encoder", f"torch-{b.precision}")
    if b.prev_manifest and not b.rebuild:
        if encoder != b.encoder and len(b.todo) < len(b.rows):
            # int8 and fp32/bf16 vectors differ by more than measured harmless within one index
            if b.progress:
                print(f"encoder changed ({b.encoder} -> {encoder}): re-embedding all {len(b.rows)} papers",
                      file=sys.stderr)
            b.todo = list(b.rows)
            b.rebuild = True  # all-new vectors: refit the adapters and re-cluster as a rebuild would
    b.encoder = encoder
    b.lexical = Background(_warm_up, b.lexical_todo)
    b.fresh = embed_papers(b.embedder, b.todo, b.settings.batch_size, b.progress, b.stages)


def tokenize(b: BuildState) -> None:
    """Store the Kiwi tokens of new and changed papers, computed in the warm-up thread `embed` started."""
    if b.lexical is None:
        return
    with stage(b.stages, "Kiwi (wait)"), PaperStore(b.gen.store) as store:
        store.put_lexical(b.lexical.result())


def assemble_vectors(b: BuildState) -> None:
    """Per-field matrices (fresh + carried over), agreement and suspect mask, lexicon, adapters, index vectors."""
    ids = b.ids.tolist()
    for f in FIELDS:
        mat = np.empty((len(b.rows), b.dim), dtype=np.float32)
        carried = [i for i, rid in enumerate(ids) if rid not in b.fresh]
        if carried:
            mat[carried] = b.old_mats[f][[b.old_rows[ids[i]] for i in carried]]
        for i, rid in enumerate(ids):
            if rid in b.fresh:
                mat[i] = b.fresh[rid][f]
        np.save(b.gen.vectors(f), mat)
        b.per_field[f] = mat
    np.save(b.gen.ids, b.ids)
    with stage(b.stages, "agreement"):
        b.agreement = agreement_scores(b.per_field["title"], b.per_field["summary"])
    np.save(b.gen.agreement, b.agreement)
    b.suspect = suspect_mask(b.agreement)
    b.content_hash = corpus_hash([(p.arxiv_id, p.content_hash()) for _, p in b.rows])
    # same papers, tokens and lexicon code: the same lexicon (a tokenizer bump re-mines once)
    same_corpus = (b.prev is not None and not b.rebuild and b.prev_manifest is not None
                   and b.prev_manifest.corpus_hash == b.content_hash
                   and (b.prev_manifest.extra.get("lexicon") or {}).get("tokenizer") == TOKENIZER_VERSION
                   and (b.prev_manifest.extra.get("lexicon") or {}).get("version") == LEXICON_VERSION)
    b.lexicon = Lexicon.load(b.prev.path) if same_corpus and (b.prev.path / LEXICON_FILE).exists() else None
    if b.lexicon is None:
        with stage(b.stages, "lexicon"):
            b.lexicon = _mine_lexicon(b.gen, b.prev, b.rows, b.lexical_tokens(), ~b.suspect)
    else:  # nothing changed: the same corpus mines the same lexicon (and the next build needs its pairs)
        b.lexicon.save(b.gen.path)
        Lexicon.save_pairs(b.gen.path, Lexicon.load_pairs(b.prev.path))
    with stage(b.stages, "adapters"):
        b.adapters = _adapters(b.prev, b.ids, b.per_field, ~b.suspect, b.rebuild)
    b.adapters.save(b.gen.path)
    b.weights = field_weights(b.settings)
    b.index_vectors = combine(b.per_field, b.weights, b.suspect,
                              b.adapters.summary_predictor)


def _glosses_missing(manifest: Manifest) -> bool:
    """A served generation without this version's glosses: the next build encodes them all, so it loads
    the model in `embed`, where an encoder change is caught (int8 glosses never sit beside fp32 vectors)."""
    return (manifest.extra.get("gloss") or {}).get("version") != GLOSS_VERSION


def english_view(b: BuildState) -> None:
    """Each paper's English gloss vector (indexer.gloss): kept while the paper and its suspect flag (a
    suspect summary is not glossed) are unchanged; all redone on a rebuild, when more than a tenth of the
    papers are new, or for another gloss version."""
    lex = b.lexical_tokens()
    old, old_suspect = None, None
    if b.prev_manifest is not None and not _glosses_missing(b.prev_manifest) and not _refit(b.prev, b.ids, b.rebuild):
        try:
            old = gloss.load(b.prev.path)
            old_suspect = suspect_mask(np.load(b.prev.agreement),
                                       b.prev_manifest.extra.get("suspect_threshold", SUSPECT_BELOW))
        except (OSError, ValueError):  # unreadable: encode them all
            old = None
    vectors = np.zeros((len(b.rows), b.dim), dtype=np.float32)
    todo = []
    for i, ((rid, p), sus) in enumerate(zip(b.rows, b.suspect)):
        j = b.old_rows.get(rid) if old is not None and rid not in b.fresh else None
        if j is not None and j < len(old) and j < len(old_suspect) and old_suspect[j] == sus:
            vectors[i] = old[j]
        else:
            todo.append((i, gloss_text(field_text(p, "title"), lex.get(rid, ([], []))[1], b.lexicon, bool(sus))))
    if todo:
        fresh = encode_jobs(b.model(), {"gloss": todo}, b.settings.batch_size, b.progress, b.stages,
                            desc="English glosses")
        for i, _ in todo:
            vectors[i] = fresh[i]["gloss"]
    b.gloss_encoded = len(todo)
    gloss.save(b.gen.path, vectors)


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
    with stage(b.stages, "topics"):
        _cluster(b.gen, b.prev, b.settings, b.rows, b.index_vectors, b.per_field["title"], b.suspect,
                 b.encode_queries, b.lexical_tokens, b.rebuild, b.progress)


def write_manifest(b: BuildState) -> None:
    """Last: the manifest records every file's size, so it is written when they are final."""
    manifest = Manifest(
        model=b.model_fp, dim=b.dim, count=len(b.rows), corpus_hash=b.content_hash,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), fields=list(FIELDS),
        weights=b.weights, max_seq_length=b.settings.max_seq_length,
        corpus=os.pathsep.join(str(c) for c in b.settings.corpus),
        extra={"suspect_threshold": SUSPECT_BELOW, "suspect": int(b.suspect.sum()),
               "title_only_scale": TITLE_ONLY_SCALE, "predicted_scale": PREDICTED_SCALE,
               "precision": b.precision, "encoder": b.encoder, "lexicon": {"version": LEXICON_VERSION, "tokenizer": TOKENIZER_VERSION, "terms": len(b.lexicon)},
               "gloss": {"version": GLOSS_VERSION, "encoded": b.gloss_encoded},
               "adapter": {"version": ADAPTER_VERSION, "maps": sorted(b.adapters.maps),
                           "sha": b.adapters.fingerprint() if b.adapters.maps else None}},
    )
    with PaperStore(b.gen.store) as store:
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the store's size is final before it is recorded
    manifest.record_files(b.gen.path)
    manifest.save(b.gen.manifest)


STEPS = (sync_store, plan, embed, tokenize, assemble_vectors, english_view, write_index, cluster, write_manifest)


def _cluster(gen: Generation, prev: Generation | None, settings: Settings, rows: list[tuple[int, Paper]],
             vectors: np.ndarray, titles: np.ndarray, suspect: np.ndarray, encode,
             lexical_tokens: Callable[[], dict[int, tuple[list[str], list[str]]]], rebuild: bool,
             progress: bool) -> None:
    """Topics + 2-D map.

    New papers join the existing topics (`indexer.topic_updates.extend`: stable ids
    and labels, ~2 s) unless the settings changed, `--rebuild` was given, or more
    than a tenth of the papers are new, when everything is re-clustered (~13 s) and
    the new topics take the ids of the old ones they overlap (`carry_ids`).
    """
    params = {"k": settings.clusters, "method": settings.cluster_method, "resolution": settings.cluster_resolution,
              "map": settings.map_method, "version": CLUSTERS_VERSION}
    rids = np.array([r for r, _ in rows], dtype=np.int64)
    old = Clustering.load(prev.path) if prev is not None else None
    prev_rids = np.load(prev.ids) if old is not None else None
    if old is not None and old.params == params and not rebuild:
        if np.array_equal(prev_rids, rids):
            old.save(gen.path)  # nothing new: carry over as is
            return
    lex = lexical_tokens()
    empty: tuple[list[str], list[str]] = ([], [])
    inp = topic_input([p for _, p in rows], vectors, titles, [lex.get(r, empty)[0] for r, _ in rows],
                      [lex.get(r, empty)[1] for r, _ in rows], suspect)
    if old is not None and old.params == params and len(old.clusters) and not _refit(prev, rids, rebuild):
        extend(old, prev_rids, rids, inp).save(gen.path)
        return
    if progress:
        print(f"clustering {len(rows)} papers into topics ({settings.cluster_method}, map: {settings.map_method}) ...",
              file=sys.stderr)
    c = cluster_papers(inp, settings.cluster_method, settings.clusters or None, settings.cluster_resolution,
                       settings.map_method, encode)
    c.params = params
    if old is not None:
        c = carry_ids(c, rids, old, prev_rids)
    c.save(gen.path)


def _adapters(prev: Generation | None, ids: np.ndarray, per_field: dict[str, np.ndarray], trusted: np.ndarray,
              rebuild: bool) -> Adapters:
    """The corpus adapters: refitted (~8 s) on a rebuild or when more than a tenth of the papers are new
    (the clustering rule); otherwise the served generation's, which a few new papers barely move."""
    if not _refit(prev, ids, rebuild):
        old = Adapters.load(prev.path)
        if old.maps:
            return old
    return fit_adapters(per_field["title"], per_field["summary"], trusted)


def _refit(prev: Generation | None, ids: np.ndarray, rebuild: bool) -> bool:
    """Whether corpus-wide fits (adapters, glosses) are redone: no served generation, a rebuild, or more
    than a tenth of the papers new."""
    if prev is None or rebuild:
        return True
    try:
        prev_ids = np.load(prev.ids)
    except (OSError, ValueError):
        return True
    return bool(np.isin(ids, prev_ids, invert=True).sum() > 0.1 * len(ids))


def _mine_lexicon(gen: Generation, prev: Generation | None, rows: list[tuple[int, Paper]],
                  lex: dict[int, tuple[list[str], list[str]]], trusted: np.ndarray):
    """Korean<->English term pairs of the whole corpus, redone every build so new days count
    (under 1 s with the previous generation's span pairs; ~3 s without)."""
    empty: tuple[list[str], list[str]] = ([], [])
    pairs = Lexicon.load_pairs(prev.path) if prev is not None else {}
    lexicon = mine([field_text(p, "summary") for _, p in rows], [lex.get(r, empty)[0] for r, _ in rows],
                   [lex.get(r, empty)[1] for r, _ in rows], trusted, pairs)
    lexicon.save(gen.path)
    Lexicon.save_pairs(gen.path, pairs)
    return lexicon


def _lexical_todo(store: PaperStore, rows: list[tuple[int, Paper]]) -> list[tuple[int, Paper]]:
    """Papers whose cached Kiwi tokens are missing or stale (content or tokenizer version changed)."""
    state = store.lexical_state()
    return [(rid, p) for rid, p in rows if state.get(rid) != (p.content_hash(), TOKENIZER_VERSION)]


def _tokenize_papers(todo: list[tuple[int, Paper]]) -> list[tuple]:
    """Store rows (paper id, content hash, tokenizer version, title tokens, summary tokens); no store access,
    so it can run in the warm-up thread while the model encodes."""
    out = []
    step = 200
    for s in range(0, len(todo), step):
        part = todo[s : s + step]
        titles = tokens_many([field_text(p, "title") for _, p in part])
        sums = tokens_many([field_text(p, "summary") for _, p in part])
        out.extend((rid, p.content_hash(), TOKENIZER_VERSION, t, sm) for (rid, p), t, sm in zip(part, titles, sums))
    return out


def _load_vectors(gen: Generation) -> tuple[dict[int, int], dict[str, np.ndarray]]:
    """The served generation's vectors: row id -> row, and field -> matrix."""
    try:
        ids = np.load(gen.ids)
        mats = {f: np.load(gen.vectors(f)) for f in FIELDS}
    except FileNotFoundError:
        return {}, {}
    return {int(rid): i for i, rid in enumerate(ids)}, mats


def _copy_sqlite(src: Path, dst: Path) -> None:
    """Consistent copy of the served store via SQLite's backup API."""
    with sqlite3.connect(str(src)) as s, sqlite3.connect(str(dst)) as d:
        s.backup(d)
    d.close()
    s.close()
