"""On-disk layout of a data dir and the atomic switch between index generations.

    data_dir/
      CURRENT                 name of the generation being served (replaced atomically)
      build.lock              held by a running build
      generations/<name>/     papers.sqlite, ids.npy, <field>.npy, <field>.present.npy, index.faiss,
                              manifest.json

A build writes a fresh generation next to the served one and only then
replaces CURRENT with `os.replace`, so a build that is killed at any point
leaves the previous generation serving and `verify` passing.
"""
from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from indexer.ingest.atomic import write_atomic  # the pointer and manifests; importable from here as before

STORE_FILE = "papers.sqlite"
IDS_FILE = "ids.npy"
INDEX_FILE = "index.faiss"
MANIFEST_FILE = "manifest.json"
TMP_PREFIX = ".tmp-"


class BuildLockedError(RuntimeError):
    pass


@dataclass(frozen=True)
class Generation:
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def store(self) -> Path:
        return self.path / STORE_FILE

    @property
    def ids(self) -> Path:
        return self.path / IDS_FILE

    @property
    def index(self) -> Path:
        return self.path / INDEX_FILE

    @property
    def manifest(self) -> Path:
        return self.path / MANIFEST_FILE

    @property
    def agreement(self) -> Path:
        return self.path / "agreement.npy"

    def vectors(self, field: str) -> Path:
        return self.path / f"{field}.npy"

    def presence(self, field: str) -> Path:
        """Which rows have a `field` vector (the others are zeros); generations before it had every row."""
        return self.path / f"{field}.present.npy"


class DataDir:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.generations = self.root / "generations"

    @property
    def pointer(self) -> Path:
        return self.root / "CURRENT"

    def current(self) -> Generation | None:
        name, problem = self._pointer()
        return None if problem else Generation(self.generations / name)

    def pointer_problem(self) -> str | None:
        """What is wrong with CURRENT, in words (None when it names an existing generation)."""
        return self._pointer()[1]

    def _pointer(self) -> tuple[str, str | None]:
        """(generation name CURRENT holds, problem or None)."""
        try:
            name = self.pointer.read_text().strip()
        except FileNotFoundError:
            return "", f"{self.pointer} is missing"
        except (OSError, UnicodeDecodeError) as exc:
            return "", f"{self.pointer} is unreadable ({exc})"
        if not name:
            return "", f"{self.pointer} is empty"
        if not (self.generations / name).is_dir():
            return name, f"{self.pointer} names generation {name}, which does not exist"
        return name, None

    def new_generation(self) -> Generation:
        self.generations.mkdir(parents=True, exist_ok=True)
        # the random suffix keeps two builds in the same second of one process apart
        name = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{os.getpid()}-{secrets.token_hex(3)}"
        path = self.generations / (TMP_PREFIX + name)
        path.mkdir()
        return Generation(path)

    def publish(self, tmp: Generation) -> Generation:
        """Rename the finished generation into place, then atomically point CURRENT at it."""
        final = Generation(self.generations / tmp.name.removeprefix(TMP_PREFIX))
        _fsync_dir_files(tmp.path)
        os.replace(tmp.path, final.path)
        write_atomic(self.pointer, final.name + "\n")
        return final

    def finished(self) -> list[Path]:
        """The published generation directories, oldest first (whatever CURRENT says)."""
        if not self.generations.is_dir():
            return []
        return sorted(p for p in self.generations.iterdir() if p.is_dir() and not p.name.startswith(TMP_PREFIX))

    def prune(self, keep: int = 2) -> None:
        """Drop unfinished builds and all but the newest `keep` finished generations."""
        if not self.generations.is_dir():
            return
        current = self.current()
        finished = self.finished()
        for p in self.generations.iterdir():
            if p.name.startswith(TMP_PREFIX):
                shutil.rmtree(p, ignore_errors=True)
        for p in finished[:-keep]:
            if current is None or p != current.path:
                shutil.rmtree(p, ignore_errors=True)

    def build_running(self) -> bool | None:
        """Whether a build holds the build lock (any process, any PID namespace); None when it cannot be told."""
        try:
            with open(self.root / "build.lock", "a") as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                fcntl.flock(fh, fcntl.LOCK_UN)
                return False
        except OSError:
            return None

    @contextmanager
    def build_lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "build.lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise BuildLockedError(f"another build is running on {self.root}") from exc
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def write_json_atomic(path: Path, obj: object) -> None:
    write_atomic(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _fsync_dir_files(path: Path) -> None:
    for f in path.iterdir():
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
