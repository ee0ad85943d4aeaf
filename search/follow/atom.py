"""An Atom 1.0 feed (RFC 4287) of a watch's matches, and the validators for conditional GETs.

Built with xml.etree, so every title, name and summary is escaped by the serializer; characters XML 1.0
cannot hold (control characters in a scraped digest) are dropped first. Entry ids are `urn:uuid:` names
derived from the watch id and the arXiv id: stable across rebuilds, hosts and reverse proxies, and distinct
per watch, so a reader following two watches sees each paper in both. Links are absolute, from a base URL.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Protocol
from urllib.parse import quote, urlencode, urlsplit

from search.follow.models import AuthorSpec, Match, QuerySpec, Watch

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
FEED_PATH = "/feeds/{watch_id}.atom"
PAPER_PATH = "/paper/{arxiv_id}"
AUTHOR_PATH = "/author/{name}"
_NS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:papersearch:watch")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class FeedPaper(Protocol):
    """A paper as the feed shows it (indexer Paper fits; `summary`, `abstract` optional)."""

    @property
    def arxiv_id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def authors(self) -> list[str]: ...

    @property
    def dates(self) -> list[str]: ...

    @property
    def arxiv_url(self) -> str: ...


def base_url(url: str) -> str:
    """The public root the feed links from (scheme and host, optional path prefix), without a trailing slash."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"base URL must be an absolute http(s) URL without query or fragment, got {url!r}")
    return url.strip().rstrip("/")


def feed_url(base: str, watch_id: str) -> str:
    return base_url(base) + FEED_PATH.format(watch_id=watch_id)


def entry_id(watch_id: str, arxiv_id: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NS, f'{watch_id}/{arxiv_id}')}"


def feed_id(watch_id: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NS, watch_id)}"


def _text(s: str) -> str:
    return _NOT_XML.sub("", s)


def _rfc3339(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def featured(paper: FeedPaper, match: Match) -> datetime:
    """The day the paper was first featured in a digest (the match time for a record without dates)."""
    return (datetime.fromisoformat(min(paper.dates)).replace(tzinfo=UTC) if paper.dates
            else match.matched_at)


def last_modified(watch: Watch, matches: Sequence[Match]) -> datetime:
    """When the feed last changed: its newest match, or the watch's creation; whole seconds (HTTP dates)."""
    newest = max((m.matched_at for m in matches), default=watch.created)
    return newest.astimezone(UTC).replace(microsecond=0)


def etag(watch: Watch, matches: Sequence[Match], base: str) -> str:
    """A strong validator of everything the feed shows: computed from the stored matches, so a conditional GET
    is answered without rendering (a paper whose text changed has a new content hash, hence a new tag)."""
    state = [watch.id, watch.name, base_url(base),
             sorted((m.arxiv_id, m.content_hash, m.matched_at.isoformat(), round(m.score, 6)) for m in matches)]
    return '"' + hashlib.sha256(json.dumps(state, ensure_ascii=False).encode()).hexdigest()[:32] + '"'


def http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def not_modified(if_none_match: str | None, if_modified_since: str | None, tag: str, modified: datetime) -> bool:
    """Whether a conditional GET gets 304 (RFC 9110 13.1: If-None-Match, compared weakly, wins over
    If-Modified-Since, which an unparseable date disables)."""
    if if_none_match is not None:
        wanted = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in wanted or tag.removeprefix("W/") in wanted
    if not if_modified_since:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return modified.replace(microsecond=0) <= since


def newest_first(items: Sequence[tuple[FeedPaper, Match]]) -> list[tuple[FeedPaper, Match]]:
    """The feed's order (and the JSON matches'): newest featured first, then most recently matched."""
    return sorted(items, key=lambda it: (featured(*it), it[1].matched_at, it[0].arxiv_id), reverse=True)


def _content(paper: FeedPaper) -> str:
    """The Korean summary, one paragraph per line, then the English abstract where the record has one."""
    lines = _text(getattr(paper, "summary", "") or "").split("\n")  # not splitlines: it breaks at \x1c too
    parts = [f"<p>{html.escape(line.strip())}</p>" for line in lines if line.strip()]
    abstract = _text(getattr(paper, "abstract", None) or "").strip()
    if abstract:
        parts.append(f"<h4>Abstract</h4><p>{html.escape(abstract)}</p>")
    return "\n".join(parts)


def _alternate(base: str, watch: Watch) -> str:
    """The page a watch was made from: the search, the author page, or the first seed paper."""
    spec = watch.spec
    if isinstance(spec, QuerySpec):
        query = {k: v for k, v in spec.model_dump(mode="json", exclude={"kind", "method"}).items() if v is not None}
        return f"{base}/?{urlencode({'q': query.pop('query'), **query})}"
    if isinstance(spec, AuthorSpec):
        return base + AUTHOR_PATH.format(name=quote(spec.author, safe=""))
    return base + PAPER_PATH.format(arxiv_id=spec.positive[0])


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = _text(text)
    return el


def render_feed(watch: Watch, items: Sequence[tuple[FeedPaper, Match]], base: str) -> bytes:
    """The feed document, entries newest featured first; `items` pairs each match with its paper record."""
    base = base_url(base)
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(feed, "id", feed_id(watch.id))
    _sub(feed, "title", f"papersearch: {watch.name}")
    _sub(feed, "subtitle", f"new papers matching this {watch.kind} watch")
    _sub(feed, "updated", _rfc3339(last_modified(watch, [m for _, m in items])))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=feed_url(base, watch.id))
    _sub(feed, "link", rel="alternate", type="text/html", href=_alternate(base, watch))
    _sub(_sub(feed, "author"), "name", "papersearch")
    _sub(feed, "generator", "papersearch")
    for paper, match in newest_first(items):
        e = _sub(feed, "entry")
        _sub(e, "id", entry_id(watch.id, paper.arxiv_id))
        _sub(e, "title", " ".join(paper.title.split()), type="text")
        when = _rfc3339(featured(paper, match))
        _sub(e, "published", when)
        _sub(e, "updated", when)
        _sub(e, "link", rel="alternate", type="text/html",
             href=base + PAPER_PATH.format(arxiv_id=quote(paper.arxiv_id, safe="/")))
        _sub(e, "link", rel="related", type="text/html", title="arXiv", href=paper.arxiv_url)
        for name in paper.authors:
            if name.strip():
                _sub(_sub(e, "author"), "name", " ".join(name.split()))
        content = _content(paper)
        if content:
            _sub(e, "content", content, type="html")
        else:
            _sub(e, "summary", f"arXiv {paper.arxiv_id}", type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
