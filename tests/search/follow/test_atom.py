"""Atom feeds of a watch's matches, read back by a real feed parser; validators for conditional GETs."""
import html
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import feedparser
import pytest

from indexer.ingest.corpus import load_corpus
from search.follow.atom import (
    base_url,
    entry_id,
    etag,
    feed_url,
    http_date,
    last_modified,
    not_modified,
    render_feed,
)
from search.follow.models import AuthorSpec, Match, QuerySpec, SeedsSpec, Watch
from tests.helpers import HOSTILE_DAY, HOSTILE_DIGEST, HOSTILE_ID, copy_days

BASE = "https://papers.example.org/ps/"
T0 = datetime(2025, 1, 5, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def papers(tmp_path_factory, corpus_dir):
    root = copy_days(corpus_dir, tmp_path_factory.mktemp("atom"), ["2024/06/03.md", "2024/09/02.md", "2025/01/02.md"])
    (root / HOSTILE_DAY).parent.mkdir(parents=True, exist_ok=True)
    (root / HOSTILE_DAY).write_text(HOSTILE_DIGEST.replace("공격", "공격\x0b\x1b"), encoding="utf-8")  # + control chars
    out, _ = load_corpus(root)
    return out


def watch(spec=QuerySpec(query="diffusion <models> & \"video\"", min_votes=3), wid="AbCdEfGhIjKlMnOpQrStUv"):
    return Watch(id=wid, name=spec.title(), created=T0 - timedelta(days=30), spec=spec)


def items(papers, minutes: int = 0):
    return [(p, Match(arxiv_id=p.arxiv_id, score=1.0 + i, z=3.0, generation="g1",
                      matched_at=T0 + timedelta(minutes=minutes + i), content_hash=f"h{i}"))
            for i, p in enumerate(papers)]


def test_the_feed_parses_without_bozo_and_every_entry_is_complete(papers):
    w = watch()
    doc = render_feed(w, items(papers), BASE)
    f = feedparser.parse(doc)
    assert not f.bozo, f.bozo_exception
    assert f.version == "atom10" and f.feed.title == f"papersearch: {w.name}"
    newest_match = T0 + timedelta(minutes=len(papers) - 1)
    assert f.feed.id.startswith("urn:uuid:") and f.feed.updated == newest_match.strftime("%Y-%m-%dT%H:%M:%SZ")
    links = {link.rel: link.href for link in f.feed.links}
    assert links["self"] == "https://papers.example.org/ps/feeds/AbCdEfGhIjKlMnOpQrStUv.atom"
    assert links["alternate"].startswith("https://papers.example.org/ps/?q=diffusion+%3Cmodels%3E") and \
        "min_votes=3" in links["alternate"]
    by_id = {p.arxiv_id: p for p in papers}
    assert len(f.entries) == len(papers)
    for e in f.entries:
        aid = e.link.rsplit("/", 1)[-1]
        p = by_id[aid]
        assert e.id == entry_id(w.id, aid) and e.title == " ".join(p.title.split())
        assert e.link == f"https://papers.example.org/ps/paper/{aid}"
        assert [x.href for x in e.links if x.rel == "related"] == [f"https://arxiv.org/abs/{aid}"]
        assert e.updated == f"{p.first_seen}T00:00:00Z" and e.published == e.updated
        assert [a.name for a in e.authors] == [" ".join(a.split()) for a in p.authors]
        first = p.summary.split("\n")[0].replace("\x0b", "").replace("\x1b", "").strip()
        assert e.content[0].type == "text/html" and f"<p>{html.escape(first)}</p>" in e.content[0].value
    dates = [e.updated for e in f.entries]
    assert dates == sorted(dates, reverse=True)  # newest featured first


def test_markup_in_the_corpus_stays_text(papers):
    hostile = next(p for p in papers if p.arxiv_id == HOSTILE_ID)
    f = feedparser.parse(render_feed(watch(), items([hostile]), BASE))
    assert not f.bozo
    (e,) = f.entries
    assert "<script>" in e.title and "Title</b>" in e.title  # shown as the text it is
    assert "&lt;script&gt;" in e.content[0].value and "\x0b" not in e.content[0].value


def test_the_english_abstract_follows_the_summary_where_a_record_has_one(papers):
    p = papers[0]
    p.abstract = "We <propose> a model & more."  # records may gain an abstract (another worker adds it)
    try:
        (e,) = feedparser.parse(render_feed(watch(), items([p]), BASE)).entries
    finally:
        del p.abstract
    value = e.content[0].value
    assert value.index("<h4>Abstract</h4>") > value.index("<p>") and "We &lt;propose&gt; a model &amp; more." in value


def test_entry_ids_are_stable_and_distinct_per_watch(papers):
    a, b = watch(wid="a" * 22), watch(wid="b" * 22)
    ids = [e.id for e in feedparser.parse(render_feed(a, items(papers), BASE)).entries]
    again = [e.id for e in feedparser.parse(render_feed(a, items(papers, minutes=99), "http://other-host:8000")).entries]
    other = {e.id for e in feedparser.parse(render_feed(b, items(papers), BASE)).entries}
    assert sorted(ids) == sorted(again) and not set(ids) & other and len(set(ids)) == len(papers)


def test_an_empty_feed_is_still_valid():
    for spec in (AuthorSpec(author="Jörg Müller"), SeedsSpec(positive=["2404.12253"])):
        w = watch(spec)
        f = feedparser.parse(render_feed(w, [], BASE))
        assert not f.bozo and f.entries == [] and f.feed.updated == "2024-12-06T09:30:00Z"  # its creation
    alternate = {link.rel: link.href for link in f.feed.links}["alternate"]
    assert alternate == "https://papers.example.org/ps/paper/2404.12253"
    author = {link.rel: link.href for link in feedparser.parse(render_feed(watch(AuthorSpec(author="Jörg Müller")),
                                                                              [], BASE)).feed.links}
    assert author["alternate"] == "https://papers.example.org/ps/author/J%C3%B6rg%20M%C3%BCller"


@pytest.mark.parametrize("bad", ["papers.example.org", "ftp://x.org", "https://x.org/?a=1", "https://x.org/#top", "/ps"])
def test_links_need_an_absolute_base_url(bad):
    with pytest.raises(ValueError, match="absolute http"):
        base_url(bad)
    assert feed_url("http://127.0.0.1:8000", "id") == "http://127.0.0.1:8000/feeds/id.atom"


def test_etag_and_last_modified_follow_the_matches(papers):
    w = watch()
    its = items(papers[:3])
    ms = [m for _, m in its]
    tag = etag(w, ms, BASE)
    assert tag.startswith('"') and tag == etag(w, list(reversed(ms)), BASE)  # order does not matter
    changed = [ms[0].model_copy(update={"content_hash": "new"}), *ms[1:]]
    assert etag(w, changed, BASE) != tag and etag(w, ms[:2], BASE) != tag and etag(w, ms, "https://x.org") != tag
    modified = last_modified(w, ms)
    assert modified == T0 + timedelta(minutes=2) and last_modified(w, []) == w.created.replace(microsecond=0)
    assert parsedate_to_datetime(http_date(modified)) == modified and http_date(modified).endswith(" GMT")


def test_conditional_get_rules():
    tag, when = '"abc"', datetime(2025, 1, 5, 9, 30, 15, tzinfo=UTC)
    stamp = http_date(when)
    assert not_modified('"abc"', None, tag, when) and not_modified('W/"abc"', None, tag, when)
    assert not_modified('"x", "abc"', None, tag, when) and not_modified("*", None, tag, when)
    assert not not_modified('"x"', stamp, tag, when)  # If-None-Match wins over If-Modified-Since
    assert not_modified(None, stamp, tag, when.replace(microsecond=500))  # HTTP dates have whole seconds
    assert not not_modified(None, http_date(when - timedelta(seconds=1)), tag, when)
    assert not not_modified(None, "not a date", tag, when) and not not_modified(None, None, tag, when)
