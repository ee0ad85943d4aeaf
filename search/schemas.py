"""Result shapes shared by the CLI's --json, the API and the notebooks (one set of field names)."""
from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, Field


class RankMode(str, Enum):
    relevance = "relevance"
    votes = "votes"
    recency = "recency"
    blend = "blend"


class SearchResult(BaseModel):
    arxiv_id: str
    title: str
    authors: list[str]
    votes: int | None = Field(description="the larger of the digest's votes and the feed's upvotes (what filters "
                                          "and sorting use)")
    dates: list[str] = Field(description="every date the paper was featured on (digest or feed), ascending")
    score: float
    snippet: str = Field(description="excerpt of the English abstract for an English query, of the Korean summary "
                                     "otherwise (whichever the paper has when it has one); matched query terms "
                                     "wrapped in <mark>…</mark> (HTML-escaped)")
    snippet_from: Literal["summary", "abstract"] | None = Field(
        default=None, description="the text the snippet was cut from; null when the paper has neither")
    arxiv_url: str
    thumbnail_url: str | None
    summary_suspect: bool = Field(description="the Korean summary seems to describe a different paper than the title")
    cluster: int | None = Field(default=None, description="topic cluster id (see /api/clusters)")
    agreement: float | None = Field(
        description="title-summary agreement in [0, 1] from the embeddings (indexer.dense.agreement); "
                    "summary_suspect when below the index's threshold; null when the paper has no Korean summary yet")
    has_abstract: bool = Field(default=False, description="the paper has an English abstract (full text: "
                                                          "GET /api/papers/{arxiv_id})")
    sources: list[str] = Field(default_factory=list, description='the sources that hold the paper: "digest" '
                                                                 '(Korean summary), "feed" (Hugging Face feed)')


class SearchResponse(BaseModel):
    query: str
    mode: RankMode = RankMode.relevance
    total: int = Field(description="papers that pass the filters (the candidate pool)")
    results: list[SearchResult]
    notices: list[str] = Field(default_factory=list)
    similar_to: list[str] = Field(default_factory=list, description="set when the query was an arXiv id or URL")
    method: str = Field(default="", description="the ranker that produced the results (lexical, dense, hybrid, learned)")
    expanded_terms: dict[str, float] = Field(
        default_factory=dict,
        description="other-language terms the corpus lexicon added to the lexical query, with their weights")
    facets: dict[str, int] = Field(default_factory=dict,
                                   description="topic cluster id -> papers among the 100 most relevant candidates")
