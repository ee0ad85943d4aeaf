"""Every request and response model of the API (search results reuse search.schemas): the OpenAPI contract."""
from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, Field

from search.schemas import SearchResult

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
    agreement: float


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


class TopicOrder(str, Enum):
    size = "size"        # largest first
    rising = "rising"    # growth (share of the last 3 months vs the 6 before), highest first
    fading = "fading"    # lowest growth first


class ClusterInfo(BaseModel):
    id: int
    size: int
    label: str
    terms_en: list[str] = Field(description="key phrases of the members' titles")
    terms_ko: list[str] = Field(description="key phrases of their Korean summaries")
    central: list[str]
    monthly: dict[str, int]
    growth: float = Field(description="log2(share of the last 3 months / share of the 6 before); +1 = doubled")
    recent: int = Field(description="papers in the last 3 months")
    before: int = Field(description="papers in the 6 months before those")
    other: bool = Field(description="the group of papers in no coherent topic")


class ClusterList(BaseModel):
    method: str
    map_method: str
    sort: TopicOrder
    clusters: list[ClusterInfo]


class ClusterPapers(BaseModel):
    cluster: ClusterInfo
    total: int
    results: list[SearchResult]


class MapLabel(BaseModel):
    id: int
    label: str
    x: float
    y: float


class TopicMap(BaseModel):
    frame: tuple[float, float, float, float] = Field(description="xmin, xmax, ymin, ymax: the robust plot frame")
    columns: list[str]
    points: list[tuple[float, float, int, str, str]] = Field(description="x, y, topic id, arXiv id, title")
    labels: list[MapLabel]
