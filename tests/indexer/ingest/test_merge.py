"""The digest and the feed merged by arXiv id (indexer.ingest.merge, through load_corpus): the decided
rules on synthetic days, and the bundled snapshot against the real digest."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from indexer.ingest.corpus import load_corpus
from tests.helpers import CORPUS, FEED

DIGEST = """## Daily Papers (2024-06-03)

### [Digest Title of One](https://arxiv.org/abs/2406.00001)

![](https://digest/thumb1.png)

Vote: 12

Authors: Zed Last, Ada Lovelace, +

- ***What's New***: 새로운 방법을 제안한다.
- ***Technical Details***: 기술 내용.

### [Only In The Digest](https://arxiv.org/abs/2406.00002)

Vote: 4

Authors: Solo Author

- 요약만 있는 논문.
"""


def feed_item(aid: str, title: str, abstract: str, upvotes: int | None, authors: list[str]) -> dict:
    return {"paper": {"id": aid, "title": title, "summary": abstract, "upvotes": upvotes,
                      "authors": [{"name": a} for a in authors]},
            "title": title, "thumbnail": f"https://feed/{aid}.png"}


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    digest = tmp_path / "digest" / "2024" / "06" / "03.md"
    digest.parent.mkdir(parents=True)
    digest.write_text(DIGEST, encoding="utf-8")
    feed = tmp_path / "feed"
    feed.mkdir()
    day1 = [feed_item("2406.00001", "Feed Title\n  of One", "First line\nsecond line.", 30,
                      ["Ada Lovelace", "Bob Middle", "Zed Last"]),
            feed_item("2406.00003", "Only In\n  The Feed", "Feed-only abstract.", 2, ["Feed Person"])]
    day2 = [repr(feed_item("2406.00003", "Only In The Feed", "Feed-only abstract, revised.", 5, ["Feed Person"]))]
    (feed / "2024-06-03.json").write_text(json.dumps(day1), encoding="utf-8")
    (feed / "2024-06-05.json").write_text(json.dumps(day2), encoding="utf-8")
    return tmp_path / "digest", feed


def test_every_paper_of_either_source_is_one_record(corpus):
    papers, report = load_corpus(list(corpus))
    both, digest_only, feed_only = papers
    assert [p.arxiv_id for p in papers] == ["2406.00001", "2406.00002", "2406.00003"]
    assert (report.papers, report.feed_only, report.with_abstract, report.feed_items) == (3, 1, 2, 3)
    # both: the digest's title and summary, the feed's author order and abstract, both vote counts
    assert both.title == "Digest Title of One" and "새로운 방법" in both.summary
    assert both.authors == ["Ada Lovelace", "Bob Middle", "Zed Last"] and not both.authors_truncated
    assert (both.votes, both.upvotes, both.votes_max) == (12, 30, 30)
    assert both.abstract == "First line second line." and both.dates == ["2024-06-03"]
    assert both.thumbnail_url == "https://digest/thumb1.png" and both.source.endswith("03.md:3")
    assert both.feed_source.endswith("2024-06-03.json#1")
    assert both.sources == {"title": "digest", "authors": "feed", "votes": "digest", "upvotes": "feed",
                            "dates": "digest+feed", "thumbnail_url": "digest", "summary": "digest",
                            "abstract": "feed"}
    # digest only: as before, no abstract
    assert digest_only.abstract == "" and digest_only.upvotes is None and digest_only.votes_max == 4
    assert digest_only.sources["title"] == "digest" and "abstract" not in digest_only.sources
    # feed only: a full record with an empty summary; the latest day's listing wins, upvotes are the maximum
    assert feed_only.summary == "" and feed_only.sections == {} and feed_only.votes is None
    assert feed_only.title == "Only In The Feed" and feed_only.abstract == "Feed-only abstract, revised."
    assert feed_only.dates == ["2024-06-03", "2024-06-05"] and feed_only.upvotes == 5
    assert feed_only.source == feed_only.feed_source and feed_only.source.endswith("2024-06-05.json#1")
    assert "summary" not in feed_only.sources and feed_only.sources["title"] == "feed"
    assert [p.origins for p in papers] == [["digest", "feed"], ["digest"], ["feed"]]


def test_origins_of_a_record_written_before_provenance(corpus):
    """A store of an earlier release holds no per-field sources: the texts and the feed's fields say it."""
    both, digest_only, feed_only = (replace(p, sources={}) for p in load_corpus(list(corpus))[0])
    assert (both.origins, digest_only.origins, feed_only.origins) == (["digest", "feed"], ["digest"], ["feed"])
    assert both.to_dict()["origins"] == ["digest", "feed"]


def test_either_source_alone(corpus):
    digest, feed = corpus
    papers, report = load_corpus(digest)
    assert [p.abstract for p in papers] == ["", ""] and report.feed_files == 0
    assert papers[0].authors == ["Zed Last", "Ada Lovelace"] and papers[0].authors_truncated
    papers, report = load_corpus(feed)
    assert [p.arxiv_id for p in papers] == ["2406.00001", "2406.00003"] and report.feed_only == 2
    assert papers[0].title == "Feed Title of One" and papers[0].summary == ""


@pytest.mark.skipif(not (FEED.is_dir() and CORPUS.is_dir()), reason="shared corpus or feed snapshot missing")
def test_real_digest_and_feed_merge():
    digest, _ = load_corpus(CORPUS)
    papers, report = load_corpus([CORPUS, FEED])
    ids = {p.arxiv_id for p in digest}
    assert len(papers) == len(digest) + report.feed_only and report.feed_only == 141
    assert report.with_abstract == 3169 and sum(1 for p in papers if p.abstract and p.arxiv_id in ids) == 3028
    by_id = {p.arxiv_id: p for p in digest}
    for p in papers:
        d = by_id.get(p.arxiv_id)
        if d is None:
            assert not p.summary and p.abstract and p.sources["title"] == "feed"
            continue
        assert (p.title, p.summary, p.sections, p.votes) == (d.title, d.summary, d.sections, d.votes)
        assert set(d.dates) <= set(p.dates) and p.content_hash() == d.content_hash()
    assert all(p.votes_max >= (p.votes or 0) for p in papers if p.votes_max is not None)
