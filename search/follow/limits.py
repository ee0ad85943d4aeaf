"""Caps on watch creation: anyone who reaches the server may `POST /api/watches`, so both the number of
watches and the rate one client creates them at are bounded (the API answers 429 with Retry-After).

The rate is a sliding window counted in the watch store itself (WatchStore.create), inside the transaction
that inserts the watch: it holds across server workers and restarts, which an in-process bucket would not.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from papersearch.settings import Settings

HOUR = 3600.0


class TooManyWatches(RuntimeError):
    """Creation refused by a cap; `retry_after` is in seconds (None: not until watches are deleted)."""

    def __init__(self, message: str, retry_after: float | None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class WatchCaps:
    max_watches: int = 10_000
    per_window: int = 60            # creations one client may make within `window` seconds
    window: float = HOUR

    def __post_init__(self) -> None:
        if self.max_watches < 1 or self.per_window < 1 or self.window <= 0:
            raise ValueError(f"watch caps must be positive, got {self}")

    @classmethod
    def from_settings(cls, settings: Settings) -> WatchCaps:
        return cls(settings.watches_max, settings.watch_creates_per_hour, HOUR)

    def check_total(self, watches: int) -> None:
        if watches >= self.max_watches:
            raise TooManyWatches(f"this server holds its maximum of {self.max_watches} watches; "
                                 "delete one or ask the operator to raise PAPERSEARCH_WATCHES_MAX", None)

    def check_rate(self, recent: int, oldest: float | None, now: float) -> None:
        """`recent` creations by this client inside the window, the oldest of them at `oldest`."""
        if recent >= self.per_window:
            wait = max(1.0, (oldest or now) + self.window - now)
            span = "hour" if self.window == HOUR else f"{self.window:g} seconds"
            raise TooManyWatches(f"at most {self.per_window} new watches per {span} from one client; "
                                 f"try again in {wait:.0f} s", wait)


def client_key(client: str | None) -> str:
    """What the rate window stores for a client: a digest, not the address itself."""
    return hashlib.sha256((client or "").encode("utf-8", "replace")).hexdigest()[:16]
