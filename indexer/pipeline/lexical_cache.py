"""The Kiwi tokens a build caches in the store: which papers' tokens are stale, and computing them in a
background thread while the model encodes (loading Kiwi holds the GIL; encoding releases it).

A search process must never tokenise the corpus (about a minute with Kiwi), so every build leaves each
paper's title and summary tokens in the store, keyed by content hash and tokenizer version.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from indexer.ingest.records import Paper
from indexer.storage.store import PaperStore
from indexer.text.passages import field_text
from indexer.text.tokenize import TOKENIZER_VERSION, tokens_many, warm


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


def warm_up_tokens(todo: list[tuple[int, Paper]], topics: bool = True) -> list[tuple]:
    """Kiwi tokens of `todo`, then the topic code's imports unless the build clusters no topics (a quick stage):
    ~3 s off a new day, ~18 s off a full build."""
    warm()
    rows = tokenize_papers(todo)
    if topics:
        import sklearn.decomposition  # noqa: F401
        import sklearn.feature_extraction.text  # noqa: F401

    return rows


def stale_tokens(store: PaperStore, rows: list[tuple[int, Paper]]) -> list[tuple[int, Paper]]:
    """Papers whose cached Kiwi tokens are missing or stale (content or tokenizer version changed)."""
    state = store.lexical_state()
    return [(rid, p) for rid, p in rows if state.get(rid) != (p.content_hash(), TOKENIZER_VERSION)]


def tokenize_papers(todo: list[tuple[int, Paper]]) -> list[tuple]:
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
