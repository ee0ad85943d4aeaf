"""The one engine a server process serves, and its atomic replacement on a new index.

Requests take a reference to the current engine once and use only it, so a
reload that swaps `holder.engine` never fails an in-flight request: the old
engine keeps its in-memory index until the last request using it is done.
The model is loaded once per process and shared by every engine. After a new
generation is served, the saved searches (watches) catch up on the papers it
added: idempotently, so every worker of a multi-process server may do it.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from papersearch.settings import Settings
from search.engine import SearchEngine
from search.follow.catchup import CatchUp, EngineSource, catch_up
from search.follow.limits import WatchCaps
from search.follow.store import WATCHES_FILE, WatchStore
from search.status import PointerState, pointer_state

log = logging.getLogger("papersearch.api")
T = TypeVar("T")


class GenerationCache:
    """Things rendered from a generation (the static topic map), kept for one generation at a time.

    Keyed by generation rather than cleared on reload: a request still on the old engine stores its
    rendering under the old name, so it can never be served for the new index.
    """

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()

    def get(self, generation: str, key: str, make: Callable[[], T]) -> T:
        with self._lock:
            hit = self._items.get((generation, key))
        if hit is not None:
            return hit  # type: ignore[return-value]
        value = make()  # outside the lock: rendering takes a while and other requests keep flowing
        with self._lock:
            self._items = {k: v for k, v in self._items.items() if k[0] == generation}
            self._items[(generation, key)] = value
        return value


class EngineHolder:
    def __init__(self, settings: Settings, embedder=None):
        self.settings = settings
        self.embedder = embedder
        self.engine: SearchEngine | None = None
        self.error: str | None = None
        self.failed: str | None = None   # the generation that last failed to load: not retried until CURRENT moves
        self.cache = GenerationCache()
        self._lock = threading.Lock()
        self._store: WatchStore | None = None
        self._store_lock = threading.Lock()

    def pointer(self) -> PointerState:
        return pointer_state(self.settings.data_dir)

    def current_generation(self) -> str | None:
        return self.pointer().current

    def load(self) -> bool:
        """(Re)load the served generation; keep serving the old engine if the new one fails."""
        with self._lock:
            target = self.current_generation()
            try:
                if self.embedder is None:
                    from models.loading import embedder_for

                    self.embedder = embedder_for(self.settings, serving=True)
                new = SearchEngine.open(self.settings, embedder=self.embedder)
            except Exception as exc:  # noqa: BLE001 - any failure must leave the old engine serving
                self.error, self.failed = str(exc), target
                log.error("index load failed, still serving %s: %s",
                          self.engine.generation if self.engine else "nothing", exc)
                return False
            self.engine, self.error, self.failed = new, None, None
            log.info("serving generation %s (%d papers)", new.generation, new.size)
        self.catch_up(new)
        return True

    def watches(self) -> WatchStore:
        """The watch store beside the generations, opened (and created) on first use."""
        with self._store_lock:
            if self._store is None:
                caps = WatchCaps.from_settings(self.settings)
                self._store = WatchStore.in_data_dir(self.settings.data_dir, caps)
            return self._store

    def source(self, engine: SearchEngine) -> EngineSource:
        """What matching reads from one engine (its author index is built once per generation)."""
        return self.cache.get(engine.generation, "follow", lambda: EngineSource(engine))

    def catch_up(self, engine: SearchEngine) -> CatchUp | None:
        """Match every watch against the papers new to this generation; a failure is logged, never stops serving
        (the next load, or `papersearch watch run`, picks the arrivals up). Nothing to do before the first watch."""
        if self._store is None and not (self.settings.data_dir / WATCHES_FILE).exists():
            return None
        try:
            report = catch_up(self.source(engine), self.watches())
        except Exception:  # noqa: BLE001 - watches must never take the index down
            log.exception("watch catch-up on generation %s failed", engine.generation)
            return None
        if report.matched or report.problems:
            log.info("watches caught up on %s: %d new matches for %d watches, %d problems", report.generation,
                     sum(map(len, report.matched.values())), len(report.matched), len(report.problems))
        return report

    def maybe_reload(self) -> bool:
        """Reload when CURRENT names another generation than the one served."""
        gen = self.current_generation()
        served = self.engine.generation if self.engine else None
        if gen == served and self.failed is not None:  # CURRENT is back on the served generation: all good
            self.error = self.failed = None
        if gen is not None and gen != served and gen != self.failed:
            return self.load()
        return False
