"""Views more than one router shows: a paper's detail, the topics in a chosen order, a watch and its matches,
an author page, and a result list as a download.

The JSON API and the web page render the same data; building it here once keeps
the two from drifting apart and keeps routers from importing each other.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote

from fastapi import Response

from api.schemas import AuthorOut, AuthorTopic, Coauthor, MatchOut, PaperDetail, TopicOrder, WatchOut
from search.engine import SearchEngine
from search.follow import atom
from search.follow.authors import AuthorPage, fold
from search.follow.bibtex import BibRecord
from search.follow.export import EXPORTS, export
from search.follow.models import Match, Watch
from search.topics import Cluster, TopicView

LATEST = 20   # matches GET /api/watches/{id} shows
# OpenAPI: a result list answers JSON, or with `format=` a file of one of these types
DOWNLOADS = {200: {"description": "JSON, or a file with `format` (bibtex, csv, jsonl)", "content": {
    "application/json": {}, **{EXPORTS.get(n).media_type.split(";")[0]: {} for n in EXPORTS}}}}


def paper_detail(e: SearchEngine, arxiv_id: str) -> PaperDetail:
    p = e.paper(arxiv_id)
    check = e.summary_check(p.arxiv_id)
    return PaperDetail(
        arxiv_id=p.arxiv_id, title=p.title, authors=p.authors, authors_truncated=p.authors_truncated,
        votes=p.votes_max, dates=p.dates, first_seen=p.first_seen, last_seen=p.last_seen, arxiv_url=p.arxiv_url,
        thumbnail_url=p.thumbnail_url, sections=p.sections, summary_suspect=check.flagged, agreement=check.agreement,
        suspect_reason=check.reason, abstract_agreement=check.abstract_agreement,
        abstract=p.abstract or None, sources=p.origins, field_sources=p.sources,
    )


def ordered(topics: TopicView, sort: TopicOrder) -> list[Cluster]:
    """The "other" group always last: it is not a topic."""
    if sort is TopicOrder.size:
        return list(topics.clusters)
    key = (lambda cl: (cl.other, -cl.growth, cl.id)) if sort is TopicOrder.rising else \
        (lambda cl: (cl.other, cl.growth, cl.id))
    return sorted(topics.clusters, key=key)


# ---- downloads -------------------------------------------------------------------------------
def slug(text: str, limit: int = 60) -> str:
    """A file-name-safe ASCII rendering of a query, name or title ("" when nothing ASCII is left)."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")[:limit].strip("-")


def download(records: Sequence[BibRecord], fmt: str, *name_parts: str) -> Response:
    """A result list as a file: the format's media type and an attachment name like
    `papersearch-search-kv-cache.bib` (non-ASCII names also in RFC 6266's filename*)."""
    f = EXPORTS.get(fmt)
    stem = "-".join(p for p in ("papersearch", *(slug(x) for x in name_parts)) if p)
    utf8 = "-".join(p for p in ("papersearch", *(" ".join(x.split())[:60] for x in name_parts)) if p)
    disposition = f'attachment; filename="{f.filename(stem)}"'
    if not utf8.isascii():
        disposition += f"; filename*=UTF-8''{quote(f.filename(utf8), safe='')}"
    return Response(export(records, fmt), media_type=f.media_type, headers={"Content-Disposition": disposition})


# ---- watches ---------------------------------------------------------------------------------
def watch_out(w: Watch, base: str) -> WatchOut:
    return WatchOut(id=w.id, name=w.name, kind=w.kind, created=w.created, spec=w.spec,
                    feed_url=atom.feed_url(base, w.id), matches_url=f"{atom.base_url(base)}/api/watches/{w.id}/matches")


def feed_items(e: SearchEngine, matches: Sequence[Match]) -> list[tuple[atom.FeedPaper, Match]]:
    """Each match with its paper record, as the feed orders them; a paper pruned from the index is left out."""
    return atom.newest_first([(e.papers[e.pos_of[m.arxiv_id]], m) for m in matches if m.arxiv_id in e.pos_of])


def match_out(paper: atom.FeedPaper, m: Match, base: str) -> MatchOut:
    """A feed entry as JSON (`paper` is the engine's record: summary, votes and first date included)."""
    return MatchOut(arxiv_id=paper.arxiv_id, title=paper.title, authors=paper.authors, dates=paper.dates,
                    featured=paper.first_seen, votes=paper.votes_max, arxiv_url=paper.arxiv_url,
                    paper_url=atom.base_url(base) + atom.PAPER_PATH.format(arxiv_id=paper.arxiv_id),
                    summary=paper.summary, abstract=getattr(paper, "abstract", None), score=m.score, z=m.z,
                    matched_at=m.matched_at, generation=m.generation)


# ---- authors ---------------------------------------------------------------------------------
def author_out(e: SearchEngine, page: AuthorPage, k: int) -> AuthorOut:
    return AuthorOut(name=page.name, variants=page.variants, total=len(page.papers),
                     results=e.cards(p.arxiv_id for p in page.papers[:k]),
                     coauthors=[Coauthor(name=c.name, papers=c.papers) for c in page.coauthors],
                     topics=[AuthorTopic(cluster=t.cluster, label=t.label, papers=t.papers) for t in page.topics])
