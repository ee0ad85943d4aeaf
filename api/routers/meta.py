"""GET /api/stats, GET /healthz, POST /api/reload"""
from __future__ import annotations

import secrets
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException

from api.deps import engine, holder
from api.schemas import Health
from api.state import EngineHolder
from indexer.storage.layout import DataDir
from indexer.reading.stats import stats_of
from search.engine import SearchEngine

router = APIRouter(tags=["meta"])


@router.get("/healthz", response_model=Health)
def healthz(h: Annotated[EngineHolder, Depends(holder)]) -> Health:
    e = h.engine
    served = e.idx.generation.name if e else None
    current = h.current_generation()
    error = DataDir(h.settings.data_dir).pointer_problem() if current is None and e else h.error
    if current is not None and current != served and error is None:
        error = f"generation {current} is not loaded yet"
    status = "unavailable" if e is None else "degraded" if error else "ok"
    return Health(status=status, index_loaded=e is not None, papers=e.size if e else 0,
                  model=e.idx.manifest.model.get("name") if e else None, generation=served, current=current,
                  error=error)


@router.get("/api/stats")
def stats(e: Annotated[SearchEngine, Depends(engine)]) -> dict:
    st = stats_of(e.idx)
    st["suspect_summaries"] = int(e.flagged.sum())
    st["ranking"] = {"hybrid": asdict(e.params), "learned": {k: sorted(m.features) for k, m in e.models.items()}}
    return st


@router.post("/api/reload", response_model=Health)
def reload(h: Annotated[EngineHolder, Depends(holder)],
           x_reload_token: Annotated[str | None, Header()] = None) -> Health:
    """Load the newest index generation now (the server also notices a new one by itself)."""
    token = h.settings.reload_token
    if not token:
        raise HTTPException(status_code=404, detail="reload is off: start the server with PAPERSEARCH_RELOAD_TOKEN set")
    if not x_reload_token or not secrets.compare_digest(token.encode(), x_reload_token.encode("utf-8", "replace")):
        raise HTTPException(status_code=403, detail="reload needs the X-Reload-Token header set to the server's reload_token")
    if not h.load():
        raise HTTPException(status_code=409, detail=f"reload failed, still serving the old index: {h.error}")
    return healthz(h)
