import sqlite3

import pytest

from indexer.ingest.records import Paper
from indexer.storage.store import SCHEMA_VERSION, PaperStore, StoreError


def paper(i: str, summary: str = "요약", votes: int | None = 3) -> Paper:
    return Paper(arxiv_id=i, title=f"Title {i}", authors=["A", "B"], votes=votes,
                 dates=["2024-01-02", "2024-01-05"], sections={"bullets": summary}, summary=summary, source="x.md:1")


def test_upsert_is_idempotent_and_ids_are_stable(tmp_path):
    with PaperStore(tmp_path / "s.sqlite") as s:
        ids1 = s.upsert([paper("2401.00001"), paper("2401.00002")])
        ids2 = s.upsert([paper("2401.00002", summary="바뀐 요약"), paper("2401.00001")])
        assert ids1 == ids2
        assert s.count() == 2
        got = s.get("2401.00002")
        assert got.summary == "바뀐 요약" and got.first_seen == "2024-01-02" and got.last_seen == "2024-01-05"
        assert s.hashes()["2401.00002"] == (ids1["2401.00002"], got.content_hash())


def test_roundtrip_preserves_every_field(tmp_path):
    p = Paper(arxiv_id="2401.00003", title="[Bracket] (paren)", authors=["김철수", "Jane"], authors_truncated=True,
              votes=None, dates=["2024-03-01"], thumbnail_url="https://x/y.png",
              sections={"whats_new": "새로움", "technical_details": "기술"}, summary="raw", source="a.md:9")
    with PaperStore(tmp_path / "s.sqlite") as s:
        s.upsert([p])
        assert s.get(p.arxiv_id) == p
        assert s.get("9999.99999") is None


def test_delete(tmp_path):
    with PaperStore(tmp_path / "s.sqlite") as s:
        s.upsert([paper("2401.00001"), paper("2401.00002")])
        assert s.delete(["2401.00001", "missing"]) == 1
        assert [p.arxiv_id for _, p in s.all()] == ["2401.00002"]


def test_schema_version_recorded_and_newer_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    with PaperStore(path) as s:
        assert s.schema_version == SCHEMA_VERSION
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="newer than this program"):
        PaperStore(path)


def old_store(path, version: int, arxiv_id: str = "2401.00009") -> None:
    """A store as release `version` wrote it: its migrations only, and one paper in its columns."""
    from indexer.storage.store import MIGRATIONS

    con = sqlite3.connect(path)
    for script in MIGRATIONS[:version]:
        con.executescript(script)
    p = paper(arxiv_id)
    con.execute("INSERT INTO papers (arxiv_id, title, authors, authors_truncated, votes, dates, first_seen, last_seen,"
                " thumbnail_url, sections, summary, source, content_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (p.arxiv_id, p.title, '["A", "B"]', 0, p.votes, '["2024-01-02", "2024-01-05"]', "2024-01-02",
                 "2024-01-05", None, '{"bullets": "요약"}', p.summary, p.source, p.content_hash()))
    con.execute(f"PRAGMA user_version = {version}")
    con.commit()
    con.close()


def test_migrates_a_v1_store_without_losing_papers(tmp_path):
    path = tmp_path / "old.sqlite"
    old_store(path, 1)
    with PaperStore(path) as s:  # v1 had no lexical table
        assert s.schema_version == SCHEMA_VERSION
        assert s.get("2401.00009") == paper("2401.00009")
        pid = s.hashes()["2401.00009"][0]
        s.put_lexical([(pid, "h", "kiwi-1", ["title"], ["요약"])])
        assert s.lexical_tokens() == {pid: (["title"], ["요약"])}
        s.delete(["2401.00009"])
        assert s.lexical_tokens() == {}


def test_migrates_a_v2_store_to_the_feed_fields_keeping_its_hashes(tmp_path):
    """v3 adds the feed's fields and per-field hashes; a row written before has none (the build derives them)."""
    path = tmp_path / "v2.sqlite"
    old_store(path, 2)
    with PaperStore(path) as s:
        got = s.get("2401.00009")
        assert got == paper("2401.00009") and got.abstract == "" and got.upvotes is None and got.sources == {}
        pid, content = s.hashes()["2401.00009"]
        assert s.field_hashes() == {pid: (content, None)} and content == got.content_hash()
        fed = Paper(**{**vars(paper("2401.00009")), "abstract": "We propose X.", "upvotes": 7,
                       "sources": {"abstract": "feed"}, "feed_source": "f/2024-01-05.json#2"})
        s.upsert([fed])
        assert s.get("2401.00009") == fed
        assert s.field_hashes()[pid] == (fed.content_hash(), fed.field_hashes())


def test_feed_fields_roundtrip_and_votes_max(tmp_path):
    only_feed = Paper(arxiv_id="2406.08316", title="Is PBE solved?", authors=["Wen-Ding Li"], upvotes=6,
                      dates=["2024-06-28"], abstract="Programming-by-Examples ... $\\alpha$.\n\nSecond paragraph.",
                      source="f/2024-06-28.json#9", feed_source="f/2024-06-28.json#9",
                      sources={"title": "feed", "abstract": "feed"})
    with PaperStore(tmp_path / "s.sqlite") as s:
        s.upsert([only_feed, paper("2401.00001", votes=None)])
        assert s.get(only_feed.arxiv_id) == only_feed
        assert only_feed.votes_max == 6 and paper("2401.00001", votes=None).votes_max is None
        assert Paper("x", "t", votes=9, upvotes=4).votes_max == 9 and Paper("x", "t", votes=2, upvotes=4).votes_max == 4


def test_content_hash_is_the_one_stores_before_v3_recorded():
    # the value the previous release computed: an existing index's rows keep matching, so nothing is re-embedded
    assert paper("2401.00001").content_hash() == "7e86b30582f3422be89bb000c968822c"
    assert paper("2401.00001").embedded_hash() == paper("2401.00001").content_hash()  # no abstract: the same
    fed = Paper(**{**vars(paper("2401.00001")), "abstract": "An abstract."})
    assert fed.content_hash() == paper("2401.00001").content_hash() != fed.embedded_hash()
    assert {k for k, v in fed.field_hashes().items() if v != paper("2401.00001").field_hashes()[k]} == {"abstract"}
