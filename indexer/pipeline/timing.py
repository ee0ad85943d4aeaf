"""Per-stage wall time and peak memory of a build (what `index --json` and bench/build_speed.py report)."""
from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def stage(stages: dict[str, dict[str, float]], name: str) -> Iterator[None]:
    """Time one stage of a build (summed if entered again) and note the peak RSS when it ends."""
    t = time.perf_counter()
    try:
        yield
    finally:
        row = stages.setdefault(name, {"seconds": 0.0, "peak_mb": 0.0})
        row["seconds"] = round(row["seconds"] + time.perf_counter() - t, 3)
        row["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
