"""How far a running build is, as a small JSON file beside the generations (`data_dir/build-progress.json`).

A server serving a first, partial generation (lexical and title vectors, `papersearch index --quick`) says
on its page and /healthz how far the rest of the build is; the build runs in another process, so it tells
the server through this file: rewritten atomically at each step and at most twice a second while encoding,
removed when the build ends. A file while no build holds the build lock is a build that died (`alive` False); a build that
failed leaves the file with its error until the next build starts.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from indexer.storage.layout import DataDir, write_json_atomic

PROGRESS_FILE = "build-progress.json"
WRITE_EVERY_S = 0.5


@dataclass
class BuildStatus:
    """One build as its progress file describes it."""
    pid: int
    phase: str                 # "quick" (lexical + titles first) or "full"
    started_at: str
    step: str = ""             # the build step running (indexer.pipeline.steps)
    encoding: str = ""         # what is being encoded: "summary", "abstract", "title", "gloss"
    done: int = 0              # encoding work done in this step, in characters' worth (indexer.pipeline.encoding)
    total: int = 0
    elapsed_s: float = 0.0
    eta_s: float | None = None  # this step's remaining seconds, from its pace so far
    error: str | None = None
    alive: bool = True         # False: the process that wrote it is gone without finishing

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.done / self.total, 1) if self.total else None

    def to_dict(self) -> dict:
        return {**asdict(self), "percent": self.percent}


@dataclass
class BuildProgress:
    """The writer a build holds: `step`, `work` (throttled), then `finish` or `fail`."""
    data_dir: Path
    phase: str
    status: BuildStatus = field(init=False)
    _t0: float = field(default_factory=time.monotonic)
    _step_t0: float = field(default_factory=time.monotonic)
    _written: float = 0.0

    def __post_init__(self) -> None:
        self.status = BuildStatus(os.getpid(), self.phase, datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def path(self) -> Path:
        return Path(self.data_dir) / PROGRESS_FILE

    def step(self, name: str) -> None:
        self.status.step, self.status.encoding, self.status.done, self.status.total = name, "", 0, 0
        self.status.eta_s = None
        self._step_t0 = time.monotonic()
        self._write()

    def work(self, encoding: str, done: int, total: int) -> None:
        """Encoding progress of the current step; the ETA assumes the pace so far holds."""
        s = self.status
        s.encoding, s.done, s.total = encoding, done, total
        spent = time.monotonic() - self._step_t0
        s.eta_s = round(spent * (total - done) / done, 1) if done else None
        if done >= total or time.monotonic() - self._written >= WRITE_EVERY_S:
            self._write()

    def finish(self) -> None:
        self.path.unlink(missing_ok=True)

    def fail(self, error: str) -> None:
        self.status.error = error[:500]
        self._write()

    def _write(self) -> None:
        self.status.elapsed_s = round(time.monotonic() - self._t0, 1)
        try:
            write_json_atomic(self.path, asdict(self.status))
        except OSError:
            pass  # a full disk or a read-only data dir must not stop the build over its progress report
        self._written = time.monotonic()


def read_progress(data_dir: Path) -> BuildStatus | None:
    """The build running (or last failed) in `data_dir`, or None when no build left a report."""
    try:
        raw = json.loads((Path(data_dir) / PROGRESS_FILE).read_text(encoding="utf-8"))
        status = BuildStatus(**{k: v for k, v in raw.items() if k in BuildStatus.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return None
    running = DataDir(data_dir).build_running()   # the lock, not the pid: a pid is reused after a kill
    status.alive = status.error is None and (running if running is not None else _alive(status.pid))
    return status


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
