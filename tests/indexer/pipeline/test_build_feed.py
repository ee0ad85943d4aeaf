"""Builds with the feed beside the digest, real day files and the real model: the first build after the feed
arrives on an index of the previous release embeds the abstracts and re-encodes no title or summary; a
feed-only paper has no summary vector and still ranks; a revised abstract re-encodes that abstract only."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from indexer.ingest.corpus import load_corpus
from indexer.pipeline.build import build_index
from indexer.reading.reader import open_index
from indexer.reading.verify import verify
from indexer.storage.layout import DataDir
from indexer.storage.manifest import Manifest
from indexer.text.passages import FIELDS, field_text
from papersearch.settings import Settings
from tests.helpers import SLICE_DAYS, copy_days, copy_feed_days

pytestmark = pytest.mark.model

# the first overlaps the digest day 2024/09/02; the second's 3 papers are only in the feed (under a tenth of the
# papers are new, so the corpus-wide fits and English views are carried over, as on a real index)
FEED_DAYS = ["2024-09-02", "2025-01-02"]


class Counting:
    """The real embedder, recording every passage it encodes."""

    def __init__(self, embedder):
        self._e, self.texts = embedder, []

    def __getattr__(self, name):
        return getattr(self._e, name)

    def encode_passages(self, texts, batch_size=32):
        self.texts.extend(texts)
        return self._e.encode_passages(texts, batch_size=batch_size)


def as_previous_release(data_dir: Path) -> None:
    """Make the served generation what the release before the feed wrote: no per-field hashes in the store,
    no presence masks, no abstract vectors, a manifest listing title and summary only."""
    gen = DataDir(data_dir).current()
    with sqlite3.connect(gen.store) as con:
        con.execute("UPDATE papers SET field_hashes = NULL, sources = '{}'")
    con.close()
    for f in FIELDS:
        gen.presence(f).unlink()
    gen.vectors("abstract").unlink()
    m = Manifest.load(gen.manifest)
    m.fields = ["title", "summary"]
    m.extra = {k: v for k, v in m.extra.items() if k not in ("without", "encoded")}
    m.record_files(gen.path)
    m.save(gen.manifest)


@pytest.fixture(scope="module")
def fed(tmp_path_factory, corpus_dir, embedder):
    root = tmp_path_factory.mktemp("fed")
    digest = copy_days(corpus_dir, root / "digest", SLICE_DAYS)
    s1 = Settings(corpus=[digest], data_dir=root / "data")
    first = build_index(s1, progress=False, embedder_factory=lambda _: embedder)
    idx = open_index(s1.data_dir)
    old = {p.arxiv_id: {"title": idx.vectors["title"][i].copy(), "summary": idx.vectors["summary"][i].copy(),
                        "gloss": idx.gloss[i].copy()} for i, (_, p) in enumerate(idx.store.all())}
    idx.close()
    as_previous_release(s1.data_dir)
    feed = copy_feed_days(root / "feed", FEED_DAYS)
    s2 = Settings(corpus=[digest, feed], data_dir=s1.data_dir)
    counting = Counting(embedder)
    second = build_index(s2, progress=False, embedder_factory=lambda _: counting)
    return s2, first, second, old, counting.texts


def test_first_build_with_the_feed_embeds_abstracts_and_feed_only_titles_nothing_else(fed):
    s, first, r, old, texts = fed
    papers, report = load_corpus(s.corpus)
    feed_only = [p for p in papers if not p.summary]
    assert report.feed_only == len(feed_only) == 3 and r.papers == first.papers + 3
    assert r.encoded == {"abstract": report.with_abstract, "title": 3}
    assert r.new == 3 and r.embedded == report.with_abstract  # feed-only papers are among those with abstracts
    again = {p.arxiv_id: p for p in papers}
    old_passages = {field_text(again[a], f) for a in old for f in ("title", "summary")}
    assert not old_passages & set(texts)  # not one title or summary of the existing index was re-encoded
    abstracts = {field_text(p, "abstract") for p in papers if p.abstract}
    glosses = len(texts) - sum(r.encoded.values())
    # gloss_scope without-abstract (the default): the new rows all have an abstract, so no English view is encoded
    assert abstracts <= set(texts) and glosses == 0
    idx = open_index(s.data_dir)
    try:
        gloss_present = np.load(DataDir(s.data_dir).current().presence("gloss"))
        for i, (_, p) in enumerate(idx.store.all()):
            if p.arxiv_id in old:  # carried over bit for bit
                assert all(np.array_equal(idx.vectors[f][i], old[p.arxiv_id][f]) for f in ("title", "summary"))
            # an abstract drops the paper's English view; every other paper keeps its own
            assert gloss_present[i] == (not p.abstract)
            if p.abstract:
                assert not idx.gloss[i].any()
            else:
                assert np.array_equal(idx.gloss[i], old[p.arxiv_id]["gloss"])
        assert idx.manifest.extra["gloss"]["without"] == report.with_abstract > 0
        assert idx.manifest.fields == list(FIELDS) and idx.manifest.extra["encoded"] == r.encoded
    finally:
        idx.close()
    rep = verify(s.data_dir, s.corpus)
    assert rep.ok, rep.problems


def test_feed_only_papers_have_no_summary_vector_and_still_rank(fed, embedder):
    from search.engine import SearchEngine

    s, *_ = fed
    e = SearchEngine.open(s, embedder=embedder)
    try:
        idx = e.idx
        rows = {p.arxiv_id: i for i, p in enumerate(e.papers)}
        feed_only = [p for p in e.papers if not p.summary]
        for p in feed_only:
            i = rows[p.arxiv_id]
            assert not idx.present["summary"][i] and not idx.vectors["summary"][i].any()
            assert idx.present["abstract"][i] and np.isnan(idx.agreement[i])
            assert e.suspect[i] and not e.flagged[i]  # ranked on its title; never shown as a wrong summary
        with_abstract = int(idx.present["abstract"].sum())
        assert with_abstract == sum(1 for p in e.papers if p.abstract) < len(e.papers)
        target = feed_only[0]
        for method in ("dense", "lexical", "hybrid"):
            res = e.search(target.title, k=5, method=method)
            assert res.results[0].arxiv_id == target.arxiv_id, (method, [x.title for x in res.results])
            assert res.results[0].summary_suspect is False and res.results[0].agreement is None
        v = e.summary_check(target.arxiv_id)
        assert (v.flagged, v.agreement, v.reason) == (False, None, None)
        # votes: the feed's upvotes count where the digest gave none
        from search.filters import Filters

        top = max(feed_only, key=lambda p: p.upvotes or 0)
        hits = e.search(top.title, k=5, filters=Filters(min_votes=top.upvotes), method="dense").results
        assert top.arxiv_id in [x.arxiv_id for x in hits] and all(x.votes >= top.upvotes for x in hits)
    finally:
        e.close()


def test_a_refetched_day_with_a_revised_abstract_encodes_that_abstract_only(fed, embedder):
    import json

    s, *_ = fed
    feed = s.corpus[1]
    day = feed / f"{FEED_DAYS[0]}.json"
    items = json.loads(day.read_text(encoding="utf-8"))
    items[0]["paper"]["summary"] += "\nWe also release the code."
    items[0]["paper"]["upvotes"] += 100                          # newer upvotes: a record change, no re-encoding
    items[1]["paper"]["upvotes"] += 1
    day.write_text(json.dumps(items), encoding="utf-8")
    counting = Counting(embedder)
    r = build_index(s, progress=False, embedder_factory=lambda _: counting)
    assert r.encoded == {"abstract": 1} and r.changed == 1 and r.embedded == 1
    assert len(counting.texts) == 1 and counting.texts[0].endswith("We also release the code.")
    idx = open_index(s.data_dir)
    try:
        p = idx.store.get(items[0]["paper"]["id"])
        assert p.upvotes == items[0]["paper"]["upvotes"] and p.abstract.endswith("We also release the code.")
    finally:
        idx.close()
    assert verify(s.data_dir, s.corpus).ok


def test_gloss_scope_all_encodes_the_views_of_papers_with_an_abstract_and_nothing_else(fed, embedder):
    s, *_ = fed
    counting = Counting(embedder)
    r = build_index(s.model_copy(update={"gloss_scope": "all"}), progress=False,
                    embedder_factory=lambda _: counting)
    papers, report = load_corpus(s.corpus)
    assert r.encoded == {} and len(counting.texts) == report.with_abstract  # their views, nothing else
    idx = open_index(s.data_dir)
    try:
        assert idx.gloss.any(axis=1).all() and idx.manifest.extra["gloss"] == {
            "version": idx.manifest.extra["gloss"]["version"], "encoded": report.with_abstract, "scope": "all",
            "without": 0}
    finally:
        idx.close()
    back = build_index(s, progress=False, embedder_factory=lambda _: counting)  # and back: nothing is encoded
    assert back.encoded == {} and len(counting.texts) == report.with_abstract
    assert verify(s.data_dir, s.corpus).ok
