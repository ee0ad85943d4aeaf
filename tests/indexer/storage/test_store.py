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


def test_migrates_a_v1_store_without_losing_papers(tmp_path):
    from indexer.storage.store import MIGRATIONS

    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path)
    con.executescript(MIGRATIONS[0])
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with PaperStore(path) as s:  # v1 had no lexical table
        s.upsert([paper("2401.00009")])
    con = sqlite3.connect(path)
    con.execute("DROP TABLE lexical")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with PaperStore(path) as s:
        assert s.schema_version == SCHEMA_VERSION
        assert s.get("2401.00009") is not None
        pid = s.hashes()["2401.00009"][0]
        s.put_lexical([(pid, "h", "kiwi-1", ["title"], ["요약"])])
        assert s.lexical_tokens() == {pid: (["title"], ["요약"])}
        s.delete(["2401.00009"])
        assert s.lexical_tokens() == {}
