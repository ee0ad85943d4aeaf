"""The FastAPI app: JSON API under /api, the web page at /, OpenAPI docs at /docs.

One process loads the index once (lifespan) and serves it concurrently; a
background task polls the data dir's CURRENT pointer (every `reload_interval`
seconds) and swaps in a rebuilt index atomically, so `papersearch index` in
another shell is picked up live, and the saved searches (watches) catch up on it.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors
from api.routers import authors, clusters, feeds, meta, papers, search, watches, web
from api.state import EngineHolder
from papersearch.settings import Settings, get_settings

log = logging.getLogger("papersearch.api")


async def _poll_reload(holder: EngineHolder, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(holder.maybe_reload)
        except Exception:  # noqa: BLE001 - the poller must survive anything
            log.exception("index reload poll failed")


def create_app(settings: Settings | None = None, embedder=None) -> FastAPI:
    settings = settings or get_settings()
    holder = EngineHolder(settings, embedder=embedder)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await asyncio.to_thread(holder.load)
        interval = settings.reload_interval
        task = asyncio.create_task(_poll_reload(holder, interval)) if interval > 0 else None
        yield
        if task:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        title="papersearch",
        description="Cross-lingual (Korean / English) search over Hugging Face Daily Papers digests.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.holder = holder
    errors.install(app)
    for r in (search.router, papers.router, clusters.router, authors.router, watches.router, feeds.router,
              meta.router, web.router):
        app.include_router(r)
    web.mount_static(app)
    return app
