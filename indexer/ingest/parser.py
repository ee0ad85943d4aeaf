"""Parse one Korean daily digest (markdown) into `Entry` records.

A digest is a `## Daily Papers (YYYY-MM-DD)` header followed by one
`### [English title](https://arxiv.org/abs/ID)` section per paper: optional
thumbnail / video lines, `Vote: N`, `Authors: ...`, then Korean summary bullets.
The format drifted (plain `- ` bullets until 2024-06, then `- **Section**: ...`,
from 2024-10 mostly `- ***Section***: ...`) and the files carry scraping
artefacts, so the parser is tolerant by design: it never raises on content and
reports every oddity as a "source:line: message" warning instead, because one
bad section must not cost the other five thousand papers.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date as _date

from indexer.ingest.ids import normalize_arxiv_id
from indexer.ingest.records import BULLETS_KEY, SECTION_KEYS

Warn = Callable[[int, str], None]  # (line number, message)

_DATE_HEADER = re.compile(r"^##\s*Daily Papers\s*\(\s*(\d{4}-\d{1,2}-\d{1,2})\s*\)\s*$", re.I)
_PATH_DATE = re.compile(r"(\d{4})[/\\](\d{1,2})[/\\](\d{1,2})(?:\.[^/\\]*)?$")
_HEADING = re.compile(r"^(#{1,6})(?:\s+|$|(?=\[))(.*?)\s*$")  # "#tag" is text, "###[t](u)" a heading
_LINK_AT_END = re.compile(r"\]\(\s*<?([^()\s<>]+)>?\s*\)\s*$")
_ANY_LINK = re.compile(r"\]\(\s*<?([^()\s<>]+)>?\s*\)")
_BARE_URL = re.compile(r"(?:https?://)?(?:www\.|export\.)?(?:arxiv\.org|(?:huggingface|hf)\.co/papers)/\S+", re.I)
_IMAGE = re.compile(r"^!\[[^\]]*\]\(\s*<?([^)\s>]+)")
_VIDEO_SRC = re.compile(r"<video\b[^>]*\bsrc=[\"']([^\"']+)", re.I)
_WATCH = re.compile(r"^\[Watch Video\]\(?\s*<?([^)\s>]+)", re.I)
_VOTE = re.compile(r"^Vote\s*:\s*(.*)$", re.I)
_AUTHORS = re.compile(r"^Authors\s*:\s*(.*)$", re.I)
_BULLET = re.compile(r"^[-*+]\s+(.*)$")
_SECTION = re.compile(r"^\*{2,3}\s*(?P<name>[^*:\n]{1,80}?)\s*(?:\*{1,3}\s*:|:\s*\*{1,3})\s*(?P<body>.*)$")
_ALIASES = {"what_is_new": "whats_new", "what_s_new": "whats_new", "technical_detail": "technical_details",
            "performance_highlight": "performance_highlights"}


@dataclass
class Entry:
    """One `###` paper section of one digest, as written (before merging)."""

    source: str
    line: int
    date: str | None
    arxiv_id: str
    title: str
    authors: list[str] = field(default_factory=list)
    authors_truncated: bool = False
    votes: int | None = None
    thumbnail_url: str | None = None
    media_urls: list[str] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)
    summary: str = ""

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}"

    @property
    def structured(self) -> bool:
        return any(k in self.sections for k in SECTION_KEYS)


@dataclass
class ParsedFile:
    """Everything one file yielded; `skipped` = unreadable, empty or not a digest."""

    source: str
    entries: list[Entry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sections_skipped: int = 0
    skipped: bool = False


def section_key(name: str) -> str:
    """Snake-case key for a section name; the three common ones map to canonical keys."""
    s = name.replace("\u2019", "'").replace("'", "").lower()
    s = re.sub(r"[^\w]+", "_", s).strip("_")
    return _ALIASES.get(s, s) or BULLETS_KEY


def split_heading(body: str) -> tuple[str, str | None, str | None]:
    """(title, arxiv_id, problem) for the text after `###`; the link is taken from the END.

    Titles may themselves contain brackets and parentheses, so the title is
    everything between the leading `[` and the final `](url)`.
    """
    m = _LINK_AT_END.search(body)
    if m and (aid := normalize_arxiv_id(m.group(1))):
        return _clean_title(body[: m.start()]), aid, None
    for m in reversed(list(_ANY_LINK.finditer(body))):
        aid = normalize_arxiv_id(m.group(1))
        if aid:
            return _clean_title(body[: m.start()]), aid, "arXiv link is not at the end of the heading"
    bare = _BARE_URL.search(body)
    if bare and (aid := normalize_arxiv_id(bare.group(0).rstrip(").,;"))):
        return _clean_title(body[: bare.start()] + body[bare.end():]), aid, "bare arXiv URL in heading"
    return _clean_title(body), None, None


def _clean_title(raw: str) -> str:
    t = raw.strip()
    if t.startswith("["):
        t = t[1:]
    if t.endswith("]") and t.count("[") < t.count("]"):
        t = t[:-1]
    return " ".join(t.split())


def _parse_authors(raw: str) -> tuple[list[str], bool]:
    """Split on commas; `+` marks a truncated list; exact repeats are scraping artefacts."""
    names: list[str] = []
    truncated = False
    for part in raw.split(","):
        name = " ".join(part.split())
        if re.fullmatch(r"\+\d*|…|\.\.\.", name):
            truncated = True
        elif name and name not in names:
            names.append(name)
    return names, truncated


def _decode_list_literal(text: str) -> str | None:
    """Some 2024 sections hold a Python list repr (`['a', 'b']`): its items, one per line; else None."""
    if len(text) > 3 and text[0] == "[" and text[-1] == "]" and text[1] in "'\"":
        try:
            value = ast.literal_eval(text)
        except Exception:  # noqa: BLE001 - any failure just means "not a list literal"
            return None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return "\n".join(v.strip() for v in value)
    return None


def _valid_date(s: str) -> str | None:
    try:
        y, m, d = (int(x) for x in s.split("-"))
        return _date(y, m, d).isoformat()
    except ValueError:
        return None


def date_from_path(source: str) -> str | None:
    m = _PATH_DATE.search(source)
    return _valid_date("-".join(m.groups())) if m else None


class _EntryBuilder:
    """Accumulates the lines of one `###` section."""

    def __init__(self, entry: Entry) -> None:
        self.e = entry
        self.key: str | None = None
        self.parts: dict[str, list[str]] = {}
        self.summary: list[str] = []

    def add_text(self, line: str, text: str, new_key: str | None) -> None:
        if new_key is not None:
            self.key = new_key
        elif self.key is None:
            self.key = BULLETS_KEY
        self.parts.setdefault(self.key, []).append(text)
        self.summary.append(line)

    def finish(self, warn: Warn) -> Entry:
        for key, items in self.parts.items():
            text = "\n".join(i for i in items if i).strip()
            decoded = _decode_list_literal(text)
            if decoded is not None:
                warn(self.e.line, f"section {key!r} of {self.e.arxiv_id} is a Python list literal; split into lines")
            decoded = text if decoded is None else decoded
            if "\t" in decoded:  # a LaTeX "\textit" whose "\t" became a real tab upstream
                warn(self.e.line, f"tab in section {key!r} of {self.e.arxiv_id} (mangled LaTeX); restored as '\\t'")
                decoded = decoded.replace("\t", "\\t")
            if decoded:
                self.e.sections[key] = decoded
        self.e.summary = "\n".join(self.summary).strip()
        if not self.e.summary:
            warn(self.e.line, f"paper {self.e.arxiv_id} has no summary text")
        return self.e


def parse_digest(text: str, source: str) -> tuple[list[Entry], list[str]]:
    """Parse one digest's text; `source` (the path) names warnings and supplies a fallback date."""
    result = parse_text(text, source)
    return result.entries, result.warnings


def parse_text(text: str, source: str) -> ParsedFile:
    out = ParsedFile(source=source)

    def warn(line: int, msg: str) -> None:
        out.warnings.append(f"{source}:{line}: {msg}")

    path_date = date_from_path(source)
    cur_date = path_date
    date_warned = False
    cur: _EntryBuilder | None = None
    saw_structure = False
    headers_seen: set[str] = set()

    def close() -> None:
        nonlocal cur
        if cur is not None:
            out.entries.append(cur.finish(warn))
            cur = None

    for lineno, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = raw.rstrip()
        stripped = line.strip()
        if line.startswith("#"):
            hm = _HEADING.match(line)
            level, body = (len(hm.group(1)), hm.group(2)) if hm else (0, "")
            if level == 3:
                close()
                saw_structure = True
                title, aid, problem = split_heading(body)
                if aid is None or not title:
                    why = "no arXiv link" if aid is None else "empty title"
                    warn(lineno, f"paper section skipped ({why}): {line[:80]!r}")
                    out.sections_skipped += 1
                    continue
                if problem:
                    warn(lineno, problem)
                if cur_date is None and not date_warned:
                    warn(lineno, "no date: no '## Daily Papers (YYYY-MM-DD)' header and no YYYY/MM/DD path")
                    date_warned = True
                cur = _EntryBuilder(Entry(source=source, line=lineno, date=cur_date, arxiv_id=aid, title=title))
                continue
            if level in (1, 2):
                close()
                dm = _DATE_HEADER.match(line)
                if dm:
                    saw_structure = True
                    d = _valid_date(dm.group(1))
                    if d is None:
                        warn(lineno, f"invalid date in header: {dm.group(1)!r}")
                    else:
                        if d in headers_seen:
                            warn(lineno, f"repeated '## Daily Papers ({d})' header: another batch appended to the same day")
                        headers_seen.add(d)
                        if path_date and d != path_date:
                            warn(lineno, f"header date {d} differs from path date {path_date}; using the header")
                        cur_date = d
                elif stripped:
                    warn(lineno, f"unexpected heading ignored: {line[:80]!r}")
                continue
        if cur is None or not stripped:
            continue
        _parse_body_line(cur, line, stripped, lineno, warn)
    close()
    if not saw_structure:
        warn(1, "not a digest: no '## Daily Papers' header and no '### ' paper sections")
        out.skipped = True
    return out


def _parse_body_line(cur: _EntryBuilder, line: str, stripped: str, lineno: int, warn: Warn) -> None:
    e = cur.e
    if not cur.summary:
        if (m := _IMAGE.match(stripped)) is not None:
            if e.thumbnail_url is None:
                e.thumbnail_url = m.group(1)
            else:
                e.media_urls.append(m.group(1))
            return
        if (m := _VOTE.match(stripped)) is not None:
            value = m.group(1).strip().replace(",", "")
            if re.fullmatch(r"[0-9]{1,9}", value):
                e.votes = int(value)
            elif value not in ("", "-"):
                warn(lineno, f"unparseable vote {value[:20]!r}")
            return
        if (m := _AUTHORS.match(stripped)) is not None:
            if e.authors:
                warn(lineno, "second Authors line ignored")
            else:
                e.authors, e.authors_truncated = _parse_authors(m.group(1))
            return
    if (m := _VIDEO_SRC.search(stripped) or _WATCH.match(stripped)) is not None:
        e.media_urls.append(m.group(1))
        return
    bm = _BULLET.match(line)  # only column-0 bullets start items; indented ones continue
    item = bm.group(1).strip() if bm else line
    sm = _SECTION.match(item)
    if sm is not None:
        cur.add_text(line, sm.group("body").strip(), section_key(sm.group("name")))
    else:  # plain bullet or continuation: "bullets", or more of the open named section
        cur.add_text(line, item.strip(), None)
