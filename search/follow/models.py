"""What a watch is: its three kinds of spec, the stored watch and its matches, and request validation.

A spec mirrors what the search endpoints take (`/api/search` for a query, `POST /api/similar` for seeds), so
a watch can be made from any result list. Every validation error names the field it is about, so the API can
answer 422 with that field and the CLI can say which flag is wrong.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, ValidationInfo, field_validator

from indexer.ingest.ids import normalize_arxiv_id
from search.engine import SearchEngine
from search.limits import MAX_K, QueryError, valid_text
from search.rankers.query import METHODS
from search.rankers.similar import SIMILAR_METHODS
from search.filters import Filters

MAX_NAME_CHARS = 200
MAX_AUTHOR_CHARS = 200   # as long as the search author filter takes
MAX_VOTES = 1_000_000
CLUSTER_RANGE = (-1, 100_000)


class InvalidWatch(ValueError):
    """A watch request that cannot be saved; `field` names the offending input (a 422 for the API)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def _text(v: Any) -> Any:
    return " ".join(valid_text(v).split()) if isinstance(v, str) else v


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuerySpec(_Spec):
    """A saved search: the query and the filters and ranker of `/api/search` (paging and sort order aside)."""
    kind: Literal["query"] = "query"
    query: str
    date_from: date | None = None
    date_to: date | None = None
    min_votes: Annotated[int | None, Field(ge=0, le=MAX_VOTES)] = None
    author: Annotated[str | None, Field(max_length=MAX_AUTHOR_CHARS)] = None
    cluster: Annotated[int | None, Field(ge=CLUSTER_RANGE[0], le=CLUSTER_RANGE[1])] = None
    method: Literal[METHODS.names()] | None = None  # type: ignore[valid-type]  (None: the engine's default ranker)

    @field_validator("query", mode="before")
    @classmethod
    def _query(cls, v: Any) -> Any:
        if not isinstance(v, str):
            return v
        try:
            q, notices = SearchEngine.check(v, 1)
        except QueryError as exc:
            raise ValueError(str(exc)) from None
        if notices:  # a saved search must run as typed, never silently cut
            raise ValueError(notices[0].replace("query cut to its first", "longer than"))
        return q

    @field_validator("author", mode="before")
    @classmethod
    def _author(cls, v: Any) -> Any:
        return _text(v) or None

    @field_validator("date_to")
    @classmethod
    def _dates(cls, v: date | None, info: ValidationInfo) -> date | None:
        lo = info.data.get("date_from")
        if v is not None and lo is not None and lo > v:
            raise ValueError(f"date_to {v} is before date_from {lo}")
        return v

    def filters(self) -> Filters:
        return Filters(self.date_from, self.date_to, self.min_votes, self.author, self.cluster)

    def title(self) -> str:
        return self.query


class SeedsSpec(_Spec):
    """Papers like the positives and unlike the negatives (what `POST /api/similar` takes)."""
    kind: Literal["seeds"] = "seeds"
    positive: Annotated[list[str], Field(min_length=1, max_length=MAX_K)]
    negative: Annotated[list[str], Field(max_length=MAX_K)] = []
    method: Literal[SIMILAR_METHODS.names()] | None = None  # type: ignore[valid-type]

    @field_validator("positive", "negative", mode="before")
    @classmethod
    def _ids(cls, v: Any) -> Any:
        if not isinstance(v, list):
            return v
        out: list[str] = []
        for raw in v:
            aid = normalize_arxiv_id(valid_text(raw)) if isinstance(raw, str) else None
            if aid is None:
                raise ValueError(f"{str(raw)[:100]!r} is not an arXiv id or URL")
            if aid not in out:
                out.append(aid)
        return out

    @field_validator("negative")
    @classmethod
    def _disjoint(cls, v: list[str], info: ValidationInfo) -> list[str]:
        both = sorted(set(v) & set(info.data.get("positive") or []))
        if both:
            raise ValueError(f"{', '.join(both)} is both positive and negative")
        return v

    def title(self) -> str:
        return "papers like " + ", ".join(self.positive[:3]) + (" …" if len(self.positive) > 3 else "")


class AuthorSpec(_Spec):
    kind: Literal["author"] = "author"
    author: Annotated[str, Field(min_length=1, max_length=MAX_AUTHOR_CHARS)]

    @field_validator("author", mode="before")
    @classmethod
    def _author(cls, v: Any) -> Any:
        return _text(v)

    def title(self) -> str:
        return f"papers by {self.author}"


WatchSpec = Annotated[QuerySpec | SeedsSpec | AuthorSpec, Field(discriminator="kind")]
SPEC = TypeAdapter(WatchSpec)
Spec = QuerySpec | SeedsSpec | AuthorSpec
KIND_KEYS = {"query": "query", "positive": "seeds", "negative": "seeds", "author": "author"}  # in precedence order


class CorpusStats(BaseModel):
    """Mean and spread of one watch's ranker scores over the whole (filtered) corpus of one generation: what
    a new paper's score is z-scored against, since rankers that standardise over the rows they rank make the
    raw score of a few new rows meaningless on its own."""
    generation: str
    method: str
    mean: float
    std: float
    n: int


class Watch(BaseModel):
    id: str
    name: str
    created: datetime
    spec: WatchSpec
    seen_seq: int = Field(default=0, description="the last arrival (WatchStore.sync) the watch was matched against")
    stats: CorpusStats | None = None

    @property
    def kind(self) -> str:
        return self.spec.kind


class Match(BaseModel):
    arxiv_id: str
    score: float = Field(description="the ranker's score (1.0 for an author watch)")
    z: float | None = Field(default=None, description="the score z-scored against the watch's corpus statistics")
    generation: str = Field(description="the index generation the paper was matched in")
    matched_at: datetime
    content_hash: str = Field(description="what the paper looked like when matched; a change is matched again")


def parse_request(body: Mapping[str, Any]) -> tuple[Spec, str | None]:
    """(spec, name) from a `POST /api/watches` body or CLI options: `query` + filters, `positive`/`negative`,
    or `author`, each with an optional `name`; the kind is told by the first of those keys present (other
    kinds' keys are then unknown fields)."""
    if not isinstance(body, Mapping):
        raise InvalidWatch("body", "expected an object")
    fields = dict(body)
    name = parse_name(fields.pop("name", None))
    # `author` is a filter of a query watch and the whole of an author watch
    kind = next((kind for key, kind in KIND_KEYS.items() if key in fields), None)
    if kind is None:
        raise InvalidWatch("query", "give one of: query (with filters), positive (and negative) seed papers, "
                                    "or author")
    if fields.setdefault("kind", kind) != kind:
        raise InvalidWatch("kind", f"this body describes a {kind} watch")
    try:
        return SPEC.validate_python(fields), name
    except ValidationError as exc:
        loc = exc.errors()[0]["loc"]  # (kind, field, index...) under the discriminated union
        field = str(loc[1]) if len(loc) > 1 else "kind"
        raise InvalidWatch(field, exc.errors()[0]["msg"].removeprefix("Value error, ")) from None


def parse_name(name: Any) -> str | None:
    if name is None:
        return None
    if not isinstance(name, str):
        raise InvalidWatch("name", "expected a string")
    name = _text(name)
    if len(name) > MAX_NAME_CHARS:
        raise InvalidWatch("name", f"longer than {MAX_NAME_CHARS} characters")
    return name or None
