"""Typed records shared by the parser, the store and the search layer.

A `Paper` is one arXiv id merged across every digest it appeared in; the
parser produces them, the store persists them, the indexer embeds them.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

# Canonical section keys. Plain-bullet summaries (pre mid-2024) use "bullets".
SECTION_KEYS = ("whats_new", "technical_details", "performance_highlights")
BULLETS_KEY = "bullets"


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
    source: str = ""                   # "path:line" of the appearance whose summary won

    @property
    def first_seen(self) -> str | None:
        return self.dates[0] if self.dates else None

    @property
    def last_seen(self) -> str | None:
        return self.dates[-1] if self.dates else None

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    def content_hash(self) -> str:
        """Hash of exactly what gets embedded: a change here means re-embedding."""
        payload = json.dumps([self.title, self.summary], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["first_seen"] = self.first_seen
        d["last_seen"] = self.last_seen
        d["arxiv_url"] = self.arxiv_url
        return d


@dataclass
class IngestReport:
    files_read: int = 0
    files_skipped: int = 0
    entries: int = 0                   # paper sections seen across all files
    papers: int = 0                    # unique arXiv ids
    duplicates_merged: int = 0         # entries folded into an id already seen
    sections_skipped: int = 0          # "### " sections without a usable arXiv link
    warnings: list[str] = field(default_factory=list)  # "path:line: message"

    def to_dict(self) -> dict:
        return asdict(self)
