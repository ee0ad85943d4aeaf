"""Atomic file replacement: a reader sees the old file or the new one, never half of one. Used for the index's
pointer and manifests (indexer.storage.layout re-exports it) and for the feed days `papersearch fetch` writes."""
from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write beside `path` (same file system), fsync, then `os.replace` over it."""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
