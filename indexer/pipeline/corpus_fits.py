"""What a build fits to the whole corpus — topics, query adapters, the term lexicon — and when it carries
the served generation's fit over instead.

One rule decides for the corpus-wide fits (`refit_needed`): redo them on `--rebuild`, without a served
generation, or when more than a tenth of the papers are new; a few new papers barely move a fit, and
refitting would move every paper's topic id and every query's scores with each new day. The lexicon is the
exception: it is mined again on every build that changes the corpus (under a second with the previous
generation's span pairs), so a new day's terms count at once.
"""
from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

from indexer.dense.adapter import Adapters, fit_adapters
from indexer.ingest.records import Paper
from indexer.pipeline.topic_input import topic_input
from indexer.storage.layout import Generation
from indexer.storage.manifest import Manifest
from indexer.text.lexicon import LEXICON_FILE, LEXICON_VERSION, Lexicon, mine
from indexer.text.passages import field_text
from indexer.text.tokenize import TOKENIZER_VERSION
from indexer.topics.clusters import CLUSTERS_VERSION, Clustering, cluster_papers
from indexer.topics.updates import carry_ids, extend
from papersearch.settings import Settings


def cluster_topics(gen: Generation, prev: Generation | None, settings: Settings, rows: list[tuple[int, Paper]],
                   vectors: np.ndarray, titles: np.ndarray, suspect: np.ndarray, encode,
                   lexical_tokens: Callable[[], dict[int, tuple[list[str], list[str]]]], rebuild: bool,
                   progress: bool) -> None:
    """Topics + 2-D map.

    New papers join the existing topics (`indexer.topics.updates.extend`: stable ids
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
    if old is not None and old.params == params and len(old.clusters) and not refit_needed(prev, rids, rebuild):
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


def adapters_for(prev: Generation | None, ids: np.ndarray, per_field: dict[str, np.ndarray], trusted: np.ndarray,
                 rebuild: bool) -> Adapters:
    """The corpus adapters: refitted (~8 s) on a rebuild or when more than a tenth of the papers are new
    (the clustering rule); otherwise the served generation's, which a few new papers barely move."""
    if not refit_needed(prev, ids, rebuild):
        old = Adapters.load(prev.path)
        if old.maps:
            return old
    return fit_adapters(per_field["title"], per_field["summary"], trusted)


def refit_needed(prev: Generation | None, ids: np.ndarray, rebuild: bool) -> bool:
    """Whether corpus-wide fits (adapters, glosses) are redone: no served generation, a rebuild, or more
    than a tenth of the papers new."""
    if prev is None or rebuild:
        return True
    try:
        prev_ids = np.load(prev.ids)
    except (OSError, ValueError):
        return True
    return bool(np.isin(ids, prev_ids, invert=True).sum() > 0.1 * len(ids))


def lexicon_for(gen: Generation, prev: Generation | None, prev_manifest: Manifest | None, rebuild: bool,
                content_hash: str, rows: list[tuple[int, Paper]],
                lexical_tokens: Callable[[], dict[int, tuple[list[str], list[str]]]], trusted: np.ndarray) -> Lexicon:
    """The generation's lexicon: the served one when the papers, their tokens and the lexicon code are the
    same (a tokenizer bump re-mines once), otherwise mined again."""
    lex = (prev_manifest.extra.get("lexicon") or {}) if prev_manifest is not None else {}
    if (prev is not None and prev_manifest is not None and not rebuild and prev_manifest.corpus_hash == content_hash
            and lex.get("tokenizer") == TOKENIZER_VERSION and lex.get("version") == LEXICON_VERSION
            and (prev.path / LEXICON_FILE).exists()):
        lexicon = Lexicon.load(prev.path)
        lexicon.save(gen.path)  # the next build needs its pairs too
        Lexicon.save_pairs(gen.path, Lexicon.load_pairs(prev.path))
        return lexicon
    return mine_lexicon(gen, prev, rows, lexical_tokens(), trusted)


def mine_lexicon(gen: Generation, prev: Generation | None, rows: list[tuple[int, Paper]],
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
