"""Views more than one router shows: a paper's detail and the topics in a chosen order.

The JSON API and the web page render the same data; building it here once keeps
the two from drifting apart and keeps routers from importing each other.
"""
from __future__ import annotations

from api.schemas import PaperDetail, TopicOrder
from search.engine import SearchEngine
from search.topics import Cluster, TopicView


def paper_detail(e: SearchEngine, arxiv_id: str) -> PaperDetail:
    p = e.paper(arxiv_id)
    suspect, agreement = e.is_suspect(p.arxiv_id)
    return PaperDetail(
        arxiv_id=p.arxiv_id, title=p.title, authors=p.authors, authors_truncated=p.authors_truncated,
        votes=p.votes, dates=p.dates, first_seen=p.first_seen, last_seen=p.last_seen, arxiv_url=p.arxiv_url,
        thumbnail_url=p.thumbnail_url, sections=p.sections, summary_suspect=suspect, agreement=round(agreement, 4),
    )


def ordered(topics: TopicView, sort: TopicOrder) -> list[Cluster]:
    """The "other" group always last: it is not a topic."""
    if sort is TopicOrder.size:
        return list(topics.clusters)
    key = (lambda cl: (cl.other, -cl.growth, cl.id)) if sort is TopicOrder.rising else \
        (lambda cl: (cl.other, cl.growth, cl.id))
    return sorted(topics.clusters, key=key)
