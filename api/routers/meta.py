"""GET /api/stats, GET /healthz, POST /api/reload"""
from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException

from api.deps import engine, holder
from api.schemas import Health
from api.state import EngineHolder
from indexer.stats import stats_of
from search.engine import SearchEngine

router = APIRouter(tags=["meta"])


@router.get("/healthz", response_model=Health)
def healthz(h: Annotated[EngineHolder, Depends(holder)]) -> Health:
    e = h.engine
    return Health(
        status="ok" if e else "unavailable", index_loaded=e is not None, papers=e.size if e else 0,
        model=e.idx.manifest.model.get("name") if e else None,
        generation=e.idx.generation.name if e else None, error=h.error,
    )


@router.get("/api/stats")
def stats(e: Annotated[SearchEngine, Depends(engine)]) -> dict:
    st = stats_of(e.idx)
    st["suspect_summaries"] = int(e.suspect.sum())
    return st


@router.post("/api/reload", response_model=Health)
def reload(h: Annotated[EngineHolder, Depends(holder)],
           x_reload_token: Annotated[str | None, Header()] = None) -> Health:
    """Load the newest index generation now (the server also notices a new one by itself)."""
    token = h.settings.reload_token
    if not token or not x_reload_token or not secrets.compare_digest(token.encode(), x_reload_token.encode()):
        raise HTTPException(status_code=403, detail="reload needs the X-Reload-Token header set to the server's reload_token")
    if not h.load():
        raise HTTPException(status_code=409, detail=f"reload failed, still serving the old index: {h.error}")
    return healthz(h)
