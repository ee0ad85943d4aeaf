"""Reading the Hugging Face Daily Papers feed: one `YYYY-MM-DD.json` file per featured day, as
`GET /api/daily_papers?date=...` answers it, beside the digest parser.

The bundled snapshot carries real faults (see its README), so the reader is as tolerant as the digest
parser and, like it, never raises on content: items stored as Python `repr` strings are read with
`ast.literal_eval` (never `eval`), a day wrapped in an object is unwrapped from its `data` list, any
other non-list file is named and skipped, and each item that parses neither as JSON nor as a Python
literal is skipped with one warning naming the file and the item's position. Titles and abstracts are
hard-wrapped: lines are joined with a space, paragraphs kept; LaTeX stays as written. The file's date is
the day the paper was featured (`publishedAt` is often the evening before, UTC).
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from indexer.ingest.ids import normalize_arxiv_id

DAY_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.json$")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")


@dataclass
class FeedItem:
    """One paper of one feed day, as listed (before merging across days and with the digest)."""

    source: str                        # the file it came from
    position: int                      # 1-based position in the day's list
    date: str | None                   # the featured day (the file's date)
    arxiv_id: str
    title: str
    authors: list[str] = field(default_factory=list)
    abstract: str = ""
    upvotes: int | None = None
    thumbnail_url: str | None = None

    @property
    def location(self) -> str:
        return f"{self.source}#{self.position}"


@dataclass
class ParsedFeed:
    """Everything one feed file yielded; `skipped` = unreadable or not a day's list."""

    source: str
    items: list[FeedItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    items_skipped: int = 0
    skipped: bool = False


def is_feed_path(path: Path) -> bool:
    """A `.json` file, or a folder holding `YYYY-MM-DD.json` day files (at its top), is read as the feed."""
    if path.is_file():
        return path.suffix.lower() == ".json"
    return path.is_dir() and any(DAY_FILE.match(f.name) and f.is_file() for f in path.glob("*.json"))


def feed_files(path: Path) -> list[Path]:
    """The day files to read: a single file as given, or every `YYYY-MM-DD.json` below a folder (sorted,
    hidden folders skipped); the README and LICENSE beside them are not days."""
    if path.is_file():
        return [path]
    files = [f for f in path.rglob("*.json") if DAY_FILE.match(f.name) and f.is_file()
             and not any(part.startswith(".") for part in f.relative_to(path).parts)]
    return sorted(files, key=lambda f: f.relative_to(path).as_posix())


def unwrap(text: str) -> str:
    """Hard-wrapped text -> one line per paragraph (lines joined with a space); LaTeX untouched."""
    paragraphs = _PARAGRAPH.split(text.replace("\r\n", "\n").replace("\r", "\n").strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def parse_feed_file(path: Path | str, source: str | None = None) -> ParsedFeed:
    """Read one feed day. Never raises: an unreadable or foreign file comes back `skipped`."""
    p = Path(path)
    src = source if source is not None else p.as_posix()
    try:
        data = p.read_bytes()
    except OSError as exc:
        return ParsedFeed(src, warnings=[f"{src}: unreadable file skipped: {exc.strerror or exc}"], skipped=True)
    m = DAY_FILE.match(p.name)
    return parse_feed_bytes(data, src, _valid_day(m.group(1)) if m else None)


def parse_feed_bytes(data: bytes, source: str, day: str | None = None) -> ParsedFeed:
    """Parse one day's response body; `day` (from the file name) is the featured date."""
    out = ParsedFeed(source)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        out.warnings.append(f"{source}: not a JSON feed day, skipped ({_short(exc)})")
        out.skipped = True
        return out
    if isinstance(doc, dict) and isinstance(doc.get("data"), list):
        out.warnings.append(f"{source}: a day wrapped in an object; its 'data' list read")
        day = day or _valid_day(doc.get("date"))
        doc = doc["data"]
    if not isinstance(doc, list):
        out.warnings.append(f"{source}: not a list of papers ({type(doc).__name__}), skipped")
        out.skipped = True
        return out
    if day is None and doc:
        out.warnings.append(f"{source}: no YYYY-MM-DD in the file name; its papers have no featured date")
    for position, raw in enumerate(doc, 1):
        item, problem = _item(raw, source, position, day)
        if item is None:
            out.warnings.append(f"{source}: item {position}: skipped ({problem})")
            out.items_skipped += 1
        else:
            out.items.append(item)
    return out


def _item(raw: object, source: str, position: int, day: str | None) -> tuple[FeedItem | None, str]:
    """(item, problem): a dict, or a string holding a JSON object or a Python literal of one."""
    value = raw
    if isinstance(raw, str):
        value = _literal(raw)
        if value is None:
            return None, "neither a JSON object nor a Python literal"
    if not isinstance(value, dict):
        return None, f"a {type(value).__name__}, not an object"
    paper = value.get("paper") if isinstance(value.get("paper"), dict) else value
    aid = normalize_arxiv_id(str(paper.get("id") or ""))
    if aid is None:
        return None, f"no arXiv id ({str(paper.get('id'))[:40]!r})"
    title = _text(value.get("title")) or _text(paper.get("title"))
    if not title:
        return None, f"paper {aid} has no title"
    return FeedItem(
        source=source, position=position, date=day, arxiv_id=aid, title=title,
        authors=_authors(paper.get("authors")), abstract=_text(paper.get("summary")),
        upvotes=_count(paper.get("upvotes")), thumbnail_url=_url(value.get("thumbnail")),
    ), ""


def _literal(text: str) -> object | None:
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _text(v: object) -> str:
    return unwrap(v) if isinstance(v, str) else ""


def _authors(v: object) -> list[str]:
    names: list[str] = []
    for a in v if isinstance(v, list) else []:
        name = " ".join(str(a.get("name") or "").split()) if isinstance(a, dict) else ""
        if name and name not in names:
            names.append(name)
    return names


def _count(v: object) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else None


def _url(v: object) -> str | None:
    return v if isinstance(v, str) and v.startswith(("http://", "https://")) else None


def _valid_day(v: object) -> str | None:
    try:
        return date.fromisoformat(v).isoformat() if isinstance(v, str) and DAY_FILE.match(v + ".json") else None
    except ValueError:
        return None


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:80]
