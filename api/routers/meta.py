"""GET /api/stats, GET /healthz, POST /api/reload"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from api.building import build_info
from api.deps import Holder, engine, operator
from api.schemas import Health
from search.engine import SearchEngine
from search.status import index_stats, model_name, rankers_of

router = APIRouter(tags=["meta"])


@router.get("/healthz", response_model=Health)
def healthz(h: Holder) -> Health:
    e = h.engine
    served = e.generation if e else None
    pointer = h.pointer()
    current = pointer.current
    error = pointer.problem if current is None and e else h.error
    if current is not None and current != served and error is None:
        error = f"generation {current} is not loaded yet"
    status = "unavailable" if e is None else "degraded" if error else "ok"
    rankers = rankers_of(e) if e else None
    return Health(status=status, index_loaded=e is not None, papers=e.size if e else 0,
                  model=model_name(e) if e else None, generation=served, current=current,
                  error=error, complete=e is not None and not e.pending, pending=e.pending if e else [],
                  rankers_live=rankers.live if rankers else [], rankers_pending=rankers.pending if rankers else [],
                  build=build_info(h))


@router.get("/api/stats")
def stats(e: Annotated[SearchEngine, Depends(engine)]) -> dict:
    return index_stats(e)


@router.post("/api/reload", response_model=Health, dependencies=[operator("reload")])
def reload(h: Holder) -> Health:
    """Load the newest index generation now (the server also notices a new one by itself)."""
    if not h.load():
        raise HTTPException(status_code=409, detail=f"reload failed, still serving the old index: {h.error}")
    return healthz(h)
