"""What the server says about an index still being built: /healthz's `build` and the page's banner.

A first `make serve` publishes keyword search within about a minute, then the title vectors, and builds the
rest beside the server (papersearch.build_beside); until it is swapped in, every page says which rankers answer
and how far the build is, and /healthz says the same as data.
"""
from __future__ import annotations

from fastapi import Request

from api.schemas import BuildInfo
from api.state import EngineHolder
from search.status import build_status, rankers_of


def build_info(h: EngineHolder) -> BuildInfo | None:
    """The data dir's build (running, or the last one that failed), from its progress file."""
    b = build_status(h.settings.data_dir)
    if b is None:
        return None
    return BuildInfo(phase=b.phase if b.phase in ("quick", "full") else "full", running=b.alive, step=b.step,
                     encoding=b.encoding, percent=b.percent, eta_s=b.eta_s, elapsed_s=b.elapsed_s,
                     started_at=b.started_at, error=b.error)


def banner(request: Request) -> str | None:
    """One line for the top of every page while the served index is partial, or a build failed; else None."""
    h: EngineHolder = request.app.state.holder
    e = h.engine
    b = build_info(h)
    if e is None or not e.pending:
        return f"The last index build failed: {b.error}" if b is not None and b.error else None
    r = rankers_of(e)
    over = "keywords" if "title" in e.pending else "keywords and title vectors"
    line = f"Index still being built: answering with {', '.join(r.live)} over {over}; {', '.join(e.pending)} to come"
    if b is None or not b.running:
        return line + (f" (the build failed: {b.error})" if b is not None and b.error else
                       " (no build is running: run `papersearch index`)") + "."
    where = f"{b.encoding or b.step}" + (f" {b.percent:.0f}%" if b.percent is not None else "")
    eta = f", about {_minutes(b.eta_s)} left in this step" if b.eta_s else ""
    return f"{line} — now {where}{eta}. Results improve by themselves when it is done."


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
