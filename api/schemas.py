"""API-only response models (search results reuse search.schemas)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SimilarMethod = Literal["learned", "dense", "lexical"]


class PaperDetail(BaseModel):
    arxiv_id: str
    title: str
    authors: list[str]
    authors_truncated: bool
    votes: int | None
    dates: list[str]
    first_seen: str | None
    last_seen: str | None
    arxiv_url: str
    thumbnail_url: str | None
    sections: dict[str, str] = Field(description="Korean summary by section (whats_new, technical_details, "
                                                 "performance_highlights, or bullets)")
    summary_suspect: bool
    agreement: float | None = Field(description="null when the paper has no Korean summary yet (only in the feed)")


class SimilarRequest(BaseModel):
    positive: list[str] = Field(min_length=1, max_length=50, description="arXiv ids to find more papers like")
    negative: list[str] = Field(default_factory=list, max_length=50, description="arXiv ids to steer away from")
    k: int = Field(default=10, ge=1, le=100)
    method: SimilarMethod | None = Field(default=None, description="ranker; default: learned where its weights ship")


class Health(BaseModel):
    status: Literal["ok", "degraded", "unavailable"] = Field(
        description="degraded: serving an older generation than CURRENT names, or CURRENT is damaged")
    index_loaded: bool
    papers: int
    model: str | None
    generation: str | None = Field(description="the generation being served")
    current: str | None = Field(default=None, description="the generation CURRENT names")
    error: str | None = Field(default=None, description="why the newest generation is not served, naming the file")
