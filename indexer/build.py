"""Incremental, atomic index build: corpus -> store -> vectors -> FAISS -> manifest.

Only papers whose content hash is new or changed are embedded; every other
vector is carried over from the served generation. Nothing is written to the
served generation: the build fills a new one and publishes it at the end.
"""
from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from tqdm import tqdm

from indexer.adapter import ADAPTER_VERSION, Adapters, fit_adapters
from indexer.agreement import SUSPECT_BELOW, agreement_scores, suspect_mask
from indexer.ann import FaissANN
from indexer.clusters import CLUSTERS_VERSION, Clustering, cluster_papers
from indexer.corpus import load_corpus
from indexer.layout import DataDir, Generation
from indexer.lexicon import LEXICON_FILE, LEXICON_VERSION, Lexicon, mine
from indexer.manifest import Manifest, ModelMismatchError, corpus_hash
from indexer.passages import FIELDS, field_text
from indexer.records import IngestReport, Paper
from indexer.settings import Settings
from indexer.store import PaperStore
from indexer.topic_input import topic_input
from indexer.topic_updates import carry_ids, extend
from indexer.vectors import combine, field_weights
from search.tokenize import TOKENIZER_VERSION, tokens_many

EmbedderFactory = Callable[[Settings], "object"]


@dataclass
class BuildResult:
    papers: int                 # total papers indexed after this build
    embedded: int               # papers embedded in this run
    new: int
    changed: int
    unchanged: int
    pruned: int
    generation: str
    seconds: float
    model: dict
    ingest: IngestReport = field(default_factory=IngestReport)

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


def build_index(
    settings: Settings,
    *,
    rebuild: bool = False,
    prune: bool = False,
    progress: bool = True,
    embedder_factory: EmbedderFactory | None = None,
) -> BuildResult:
    start = time.perf_counter()
    data = DataDir(settings.data_dir)
    with data.build_lock():
        data.prune()
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
            result = _fill_generation(
                gen, prev, prev_manifest, papers, settings, rebuild, prune, progress,
                embedder_factory or embedder_for,
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
    result.generation = final.name
    result.ingest = report
    result.seconds = round(time.perf_counter() - start, 2)
    return result


def embedder_for(settings: Settings):
    """The one place settings become a loaded model (build, search, API, benches)."""
    from models.embedder import load_embedder

    return load_embedder(settings.model, settings.model_cache, max_seq_length=settings.max_seq_length,
                         threads=settings.threads, precision=settings.precision)


def _fill_generation(
    gen: Generation,
    prev: Generation | None,
    prev_manifest: Manifest | None,
    papers: list[Paper],
    settings: Settings,
    rebuild: bool,
    prune: bool,
    progress: bool,
    factory: EmbedderFactory,
) -> BuildResult:
    if prev is not None:
        _copy_sqlite(prev.store, gen.store)
    with PaperStore(gen.store) as store:
        before = store.hashes()
        store.upsert(papers)
        pruned = 0
        if prune:
            keep = {p.arxiv_id for p in papers}
            pruned = store.delete([a for a in before if a not in keep])
        rows = store.all()
        _refresh_lexical(store, rows, progress)

    old_row, old_mats = _load_vectors(prev) if (prev is not None and not rebuild) else ({}, {})
    hashes_before = {rid: h for rid, h in before.values()}
    todo: list[tuple[int, Paper]] = []
    new = changed = 0
    for rid, paper in rows:
        old_hash = hashes_before.get(rid)
        if old_hash is None:
            new += 1
        elif old_hash != paper.content_hash():
            changed += 1
        if old_hash != paper.content_hash() or rid not in old_row:
            todo.append((rid, paper))

    ids = np.array([rid for rid, _ in rows], dtype=np.int64)
    model_fp = dict(prev_manifest.model) if prev_manifest else {}
    dim = prev_manifest.dim if prev_manifest else 0
    fresh: dict[int, dict[str, np.ndarray]] = {}
    precision = (prev_manifest.extra.get("precision") if prev_manifest else None) or "unknown"
    embedder = None
    if todo or not prev_manifest:
        embedder = factory(settings)
        model_fp, dim = embedder.fingerprint, embedder.dim
        precision = getattr(embedder, "precision", precision)
        if prev_manifest and not rebuild:
            prev_manifest.check_model(settings.model, model_fp)
        fresh = _embed(embedder, todo, settings.batch_size, progress)

    per_field = {}
    for f in FIELDS:
        mat = np.empty((len(rows), dim), dtype=np.float32)
        carried = [i for i, rid in enumerate(ids.tolist()) if rid not in fresh]
        if carried:
            mat[carried] = old_mats[f][[old_row[int(ids[i])] for i in carried]]
        for i, rid in enumerate(ids.tolist()):
            if rid in fresh:
                mat[i] = fresh[rid][f]
        np.save(gen.vectors(f), mat)
        per_field[f] = mat
    np.save(gen.ids, ids)

    agreement = agreement_scores(per_field["title"], per_field["summary"])
    np.save(gen.agreement, agreement)
    suspect = suspect_mask(agreement)
    content = corpus_hash([(p.arxiv_id, p.content_hash()) for _, p in rows])
    same_corpus = prev is not None and not rebuild and prev_manifest is not None and prev_manifest.corpus_hash == content
    lexicon = Lexicon.load(prev.path) if same_corpus and (prev.path / LEXICON_FILE).exists() else None
    if lexicon is None:
        lexicon = _mine_lexicon(gen, rows, ~suspect)
    else:  # nothing changed: the same corpus mines the same lexicon
        lexicon.save(gen.path)
    adapters = _adapters(prev, ids, per_field, ~suspect, rebuild)
    adapters.save(gen.path)
    weights = field_weights(settings)
    index_vectors = combine(per_field, weights, suspect, adapters.predict_summaries if adapters.maps else None)
    ann = FaissANN(dim)
    ann.index_vectors(ids, index_vectors)
    ann.save(gen.index)
    loaded = {"embedder": embedder}

    def encode(texts: list[str]) -> np.ndarray:  # topic labels need the model only on a full re-cluster
        if loaded["embedder"] is None:
            loaded["embedder"] = factory(settings)
        return loaded["embedder"].encode_queries(texts)

    _cluster(gen, prev, settings, rows, index_vectors, per_field["title"], suspect, encode, rebuild, progress)

    manifest = Manifest(
        model=model_fp,
        dim=dim,
        count=len(rows),
        corpus_hash=content,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        fields=list(FIELDS),
        weights=weights,
        max_seq_length=settings.max_seq_length,
        corpus=os.pathsep.join(str(c) for c in settings.corpus),
        extra={"suspect_threshold": SUSPECT_BELOW, "suspect": int(suspect_mask(agreement).sum()),
               "precision": precision, "lexicon": {"version": LEXICON_VERSION, "terms": len(lexicon)},
               "adapter": {"version": ADAPTER_VERSION, "maps": sorted(adapters.maps),
                           "sha": adapters.fingerprint() if adapters.maps else None}},
    )
    with PaperStore(gen.store) as store:
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the store's size is final before it is recorded
    manifest.record_files(gen.path)
    manifest.save(gen.manifest)
    return BuildResult(
        papers=len(rows), embedded=len(todo), new=new, changed=changed,
        unchanged=len(rows) - len(todo), pruned=pruned, generation=gen.name, seconds=0.0, model=model_fp,
    )


def _embed(embedder, todo: list[tuple[int, Paper]], batch_size: int, progress: bool) -> dict[int, dict[str, np.ndarray]]:
    """Embed every field of every paper, longest texts batched together to cut padding."""
    jobs = [(rid, f, field_text(p, f)) for rid, p in todo for f in FIELDS]
    jobs.sort(key=lambda j: len(j[2]), reverse=True)
    out: dict[int, dict[str, np.ndarray]] = {}
    chunk = max(batch_size * 4, 64)
    with tqdm(total=len(jobs), desc="embedding", unit="text", disable=not progress) as bar:
        for s in range(0, len(jobs), chunk):
            part = jobs[s : s + chunk]
            # short texts (titles) are cheap per item: bigger batches, fewer Python round trips
            bs = batch_size if len(part[0][2]) > 300 else batch_size * 8
            vecs = embedder.encode_passages([t for _, _, t in part], batch_size=bs)
            for (rid, f, _), v in zip(part, vecs):
                out.setdefault(rid, {})[f] = v
            bar.update(len(part))
    return out


def _cluster(gen: Generation, prev: Generation | None, settings: Settings, rows: list[tuple[int, Paper]],
             vectors: np.ndarray, titles: np.ndarray, suspect: np.ndarray, encode, rebuild: bool,
             progress: bool) -> None:
    """Topics + 2-D map.

    New papers join the existing topics (`indexer.topic_updates.extend`: stable ids
    and labels, ~2 s) unless the settings changed, `--rebuild` was given, or more
    than a tenth of the papers are new, when everything is re-clustered (~40 s) and
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
    with PaperStore(gen.store) as store:
        lex = store.lexical_tokens()
    empty: tuple[list[str], list[str]] = ([], [])
    inp = topic_input([p for _, p in rows], vectors, titles, [lex.get(r, empty)[0] for r, _ in rows],
                      [lex.get(r, empty)[1] for r, _ in rows], suspect)
    if old is not None and old.params == params and not rebuild and len(old.clusters) \
            and np.isin(rids, prev_rids, invert=True).sum() <= 0.1 * len(rids):
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
    if prev is not None and not rebuild:
        old = Adapters.load(prev.path)
        try:
            prev_ids = np.load(prev.ids)
        except (OSError, ValueError):
            prev_ids = np.empty(0, dtype=np.int64)
        if old.maps and np.isin(ids, prev_ids, invert=True).sum() <= 0.1 * len(ids):
            return old
    return fit_adapters(per_field["title"], per_field["summary"], trusted)


def _mine_lexicon(gen: Generation, rows: list[tuple[int, Paper]], trusted: np.ndarray):
    """Korean<->English term pairs of the whole corpus (a few seconds; redone every build so new days count)."""
    with PaperStore(gen.store) as store:
        lex = store.lexical_tokens()
    empty: tuple[list[str], list[str]] = ([], [])
    lexicon = mine([field_text(p, "summary") for _, p in rows], [lex.get(r, empty)[0] for r, _ in rows],
                   [lex.get(r, empty)[1] for r, _ in rows], trusted)
    lexicon.save(gen.path)
    return lexicon


def _refresh_lexical(store: PaperStore, rows: list[tuple[int, Paper]], progress: bool) -> None:
    """Tokenise (Kiwi) only papers whose content or tokenizer version changed."""
    state = store.lexical_state()
    todo = [(rid, p) for rid, p in rows if state.get(rid) != (p.content_hash(), TOKENIZER_VERSION)]
    step = 200
    with tqdm(total=len(todo), desc="tokenising", unit="paper", disable=not progress or not todo) as bar:
        for s in range(0, len(todo), step):
            part = todo[s : s + step]
            titles = tokens_many([field_text(p, "title") for _, p in part])
            sums = tokens_many([field_text(p, "summary") for _, p in part])
            store.put_lexical(
                (rid, p.content_hash(), TOKENIZER_VERSION, t, sm) for (rid, p), t, sm in zip(part, titles, sums)
            )
            bar.update(len(part))


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
