"""Typed records shared by the parser, the store and the search layer.

A `Paper` is one arXiv id merged across every digest and feed day it appeared in
(indexer.ingest.merge); the parsers produce them, the store persists them, the
indexer embeds them.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

# Canonical section keys. Plain-bullet summaries (pre mid-2024) use "bullets".
SECTION_KEYS = ("whats_new", "technical_details", "performance_highlights")
BULLETS_KEY = "bullets"
# the texts a paper is embedded from, one vector kind each (indexer.text.passages)
EMBEDDED_FIELDS = ("title", "summary", "abstract")


def text_hash(obj: object) -> str:
    """The hash records use for text (and lists of texts): sha256 of its JSON, 32 hex digits."""
    return hashlib.sha256(json.dumps(obj, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


@dataclass
class Paper:
    arxiv_id: str                      # canonical id, version suffix stripped (e.g. "2404.12253")
    title: str
    authors: list[str] = field(default_factory=list)
    authors_truncated: bool = False    # the digest cut the list with a "+" entry
    votes: int | None = None           # max over every appearance; None when never given
    dates: list[str] = field(default_factory=list)   # sorted unique ISO dates it appeared on
    thumbnail_url: str | None = None
    sections: dict[str, str] = field(default_factory=dict)  # section key -> text (bullets joined by "\n")
    summary: str = ""                  # raw Korean summary text as written in the winning digest
    source: str = ""                   # "path:line" of the digest appearance that won; "path#item" if feed-only
    abstract: str = ""                 # English arXiv abstract from the feed, unwrapped; "" when not in it
    upvotes: int | None = None         # the feed's upvotes (max over its days); None when not in it
    sources: dict[str, str] = field(default_factory=dict)  # field -> "digest" | "feed" | "digest+feed"
    feed_source: str = ""              # "path#item" of the feed appearance that won

    @property
    def first_seen(self) -> str | None:
        return self.dates[0] if self.dates else None

    @property
    def last_seen(self) -> str | None:
        return self.dates[-1] if self.dates else None

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def votes_max(self) -> int | None:
        """The larger of the digest's votes and the feed's upvotes: what filters, sorting and ranking use (the
        feed's count is a morning snapshot, the digest's is often later, and either may be missing)."""
        known = [v for v in (self.votes, self.upvotes) if v is not None]
        return max(known) if known else None

    @property
    def origins(self) -> list[str]:
        """The sources that hold the paper, in ("digest", "feed") order, from the per-field provenance (a
        record written before provenance: the digest when it has a summary, the feed when it has feed fields)."""
        named = {s for v in self.sources.values() for s in v.split("+")}
        if not named:
            named = {"digest"} if self.summary else set()
            if self.feed_source or self.abstract or self.upvotes is not None:
                named.add("feed")
        return [s for s in ("digest", "feed") if s in named]

    def content_hash(self) -> str:
        """Hash of the digest's text (title, summary): the key of the cached lexical tokens, and the one
        per-paper hash generations recorded before per-field hashes (`field_hashes`)."""
        return text_hash([self.title, self.summary])

    def field_hashes(self) -> dict[str, str]:
        """One hash per embedded field, so a build re-embeds only the fields whose text changed."""
        return {f: text_hash(getattr(self, f)) for f in EMBEDDED_FIELDS}

    def embedded_hash(self) -> str:
        """Everything embedded, in one hash (the manifest's corpus hash); equal to `content_hash` for a
        paper without an abstract, so a digest-only corpus hashes as it did before the feed."""
        return text_hash([self.title, self.summary, self.abstract]) if self.abstract else self.content_hash()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["first_seen"] = self.first_seen
        d["last_seen"] = self.last_seen
        d["arxiv_url"] = self.arxiv_url
        d["votes_max"] = self.votes_max
        d["origins"] = self.origins
        return d


@dataclass
class IngestReport:
    files_read: int = 0
    files_skipped: int = 0
    entries: int = 0                   # paper sections seen across all files
    papers: int = 0                    # unique arXiv ids
    duplicates_merged: int = 0         # entries folded into an id already seen
    sections_skipped: int = 0          # "### " sections without a usable arXiv link
    feed_files: int = 0                # feed day files read (indexer.ingest.feed)
    feed_items: int = 0                # feed items read across those days
    feed_items_skipped: int = 0        # items that parsed neither as JSON nor as a Python literal, or had no id
    feed_only: int = 0                 # papers only in the feed (no Korean summary yet)
    with_abstract: int = 0             # papers with an English abstract
    warnings: list[str] = field(default_factory=list)  # "path:line: message" / "path: item N: message"

    def to_dict(self) -> dict:
        return asdict(self)
