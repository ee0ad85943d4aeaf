"""Every request and response model of the API (search results reuse search.schemas): the OpenAPI contract."""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from search.follow.export import EXPORTS
from search.follow.models import WatchSpec
from search.rankers.similar import SIMILAR_METHODS
from search.schemas import RankMode, SearchResult

SimilarMethod = Literal[SIMILAR_METHODS.names()]  # type: ignore[valid-type]
ExportFormat = Literal[EXPORTS.names()]  # type: ignore[valid-type]  (bibtex, csv, jsonl)
# every result list takes `format=`: the list as a file instead of JSON
Format = Annotated[ExportFormat | None, Query(alias="format", description="a download (BibTeX, CSV, JSON Lines) "
                                                                          "instead of JSON")]


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
    suspect_reason: str | None = Field(
        default=None, description="why summary_suspect is set, with the deciding figure: \"summary disagrees with "
                                  "the abstract, 0.41\" (where the paper has an abstract) or \"... with the title, "
                                  "0.62\"; null when not flagged")
    abstract_agreement: float | None = Field(
        default=None, description="agreement in [0, 1] of the Korean summary with the title + English abstract "
                                  "(indexer.dense.suspicion); null without both texts")
    abstract: str | None = Field(description="the English arXiv abstract from the Hugging Face feed; null when the "
                                             "feed has none")
    sources: list[str] = Field(description='the sources that hold the paper: "digest", "feed" or both')
    field_sources: dict[str, str] = Field(description='field -> the source it came from ("digest", "feed", '
                                                      '"digest+feed" for dates), for the fields that have a value')


class SimilarRequest(BaseModel):
    positive: list[str] = Field(min_length=1, max_length=50, description="arXiv ids to find more papers like")
    negative: list[str] = Field(default_factory=list, max_length=50, description="arXiv ids to steer away from")
    k: int = Field(default=10, ge=1, le=100)
    method: SimilarMethod | None = Field(default=None, description="ranker; default: learned where its weights ship")
    mode: RankMode = Field(default=RankMode.relevance,
                           description="votes / recency: the relevant head re-sorted (as search does); blend")


class BuildInfo(BaseModel):
    phase: Literal["quick", "full"]
    running: bool = Field(description="false: the build failed (error) or its process is gone")
    step: str = Field(description="the build step: parse, sync_store, plan, embed, ... write_manifest")
    encoding: str = Field(description="what the step is encoding (summary, abstract, title, gloss), if anything")
    percent: float | None = Field(description="of the step's encoding work")
    eta_s: float | None = Field(description="the step's remaining seconds at its pace so far")
    elapsed_s: float
    started_at: str
    error: str | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded", "unavailable"] = Field(
        description="degraded: serving an older generation than CURRENT names, or CURRENT is damaged")
    index_loaded: bool
    papers: int
    model: str | None
    generation: str | None = Field(description="the generation being served")
    current: str | None = Field(default=None, description="the generation CURRENT names")
    error: str | None = Field(default=None, description="why the newest generation is not served, naming the file")
    complete: bool = Field(default=True, description="false while a quick first pass is served: lexical search and "
                                                     "title vectors, the rest being built")
    pending: list[str] = Field(default_factory=list, description="what the served index still lacks (summary, "
                                                                 "abstract, gloss, adapters, topics, suspect flags)")
    rankers_live: list[str] = Field(default_factory=list, description="rankers answering now (method= names; "
                                                                      "find-similar's prefixed similar-)")
    rankers_pending: list[str] = Field(default_factory=list, description="rankers live once the build is done")
    build: BuildInfo | None = Field(default=None, description="the build running in the data dir, or the last "
                                                              "one that failed; null when none")


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


class WatchRequest(BaseModel):
    """One of: `query` with the filters and ranker of /api/search; `positive` (and `negative`) seed papers as
    POST /api/similar takes them; or `author`. `name` is optional. The kind is told by the first of query,
    positive/negative, author present; fields of another kind are refused, naming the field."""
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, description="shown as the feed's title (default: from the watch)")
    query: str | None = Field(default=None, description="Korean, English or mixed, up to 500 characters")
    date_from: date | None = None
    date_to: date | None = None
    min_votes: int | None = None
    author: str | None = Field(default=None, description="with a query: the author filter; alone: follow the author")
    cluster: int | None = None
    method: str | None = Field(default=None, description="a query watch's or a seeds watch's ranker")
    positive: list[str] | None = Field(default=None, description="arXiv ids to follow papers like")
    negative: list[str] | None = Field(default=None, description="arXiv ids to steer away from")


class WatchOut(BaseModel):
    id: str = Field(description="unguessable: the only key to the watch and its feed")
    name: str
    kind: Literal["query", "seeds", "author"]
    created: datetime
    spec: WatchSpec
    feed_url: str = Field(description="the Atom feed, absolute (from PAPERSEARCH_PUBLIC_BASE_URL or the request)")
    matches_url: str = Field(description="the same matches as JSON")


class MatchOut(BaseModel):
    """One feed entry as JSON: the paper, where to read it, and why it matched."""
    arxiv_id: str
    title: str
    authors: list[str]
    dates: list[str]
    featured: date | None = Field(description="the first digest the paper was in (the entry's `updated`)")
    votes: int | None
    paper_url: str
    arxiv_url: str
    summary: str = Field(description="the Korean summary")
    abstract: str | None = Field(default=None, description="the English abstract, where the index has one")
    score: float
    z: float | None
    matched_at: datetime
    generation: str


class WatchCreated(WatchOut):
    backfilled: int = Field(description="matches among the papers featured in the 14 days before the newest")


class WatchDetail(WatchOut):
    matches_total: int
    latest: list[MatchOut] = Field(description="the newest matches (the feed's first entries)")


class WatchMatches(BaseModel):
    watch: WatchOut
    updated: datetime = Field(description="the feed's Last-Modified")
    matches: list[MatchOut] = Field(description="newest featured first, as the feed lists them")


class Coauthor(BaseModel):
    name: str
    papers: int = Field(description="papers written together")


class AuthorTopic(BaseModel):
    cluster: int
    label: str | None
    papers: int


class AuthorOut(BaseModel):
    name: str = Field(description="the spelling the digests use most")
    variants: list[str] = Field(description="every spelling seen (case, accents and spacing differ)")
    total: int
    results: list[SearchResult] = Field(description="the author's papers, newest first")
    coauthors: list[Coauthor] = Field(description="by papers together, most first")
    topics: list[AuthorTopic] = Field(description="the author's topics, most papers first")
