"""Watches, feeds, authors and exports over HTTP, as a client uses them: a private copy of the small real index
(real model, real SQLite watch store), 201/204/304/404/422/429 included, feeds read by feedparser and every
download read back by its format's reader."""
import shutil
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from search.follow.matching import match_hash
from search.follow.models import AuthorSpec, Match
from search.follow.store import WATCHES_FILE
from tests.helpers import HOSTILE_ID, assert_relevant_head_sorted, exported_ids, parsed_feed

pytestmark = pytest.mark.model

EARLIER = "00000000T000000-0-000000"   # a generation name older than any real build
NEWEST_DAY = "2025-01-02"              # with the hostile 2025-01-03 entry: the days a new watch backfills


@contextmanager
def serving(built_settings, embedder, tmp_path, **update):
    """A private copy of the index (no watch store yet) served in-process, with these settings changed."""
    data = tmp_path / "data"
    shutil.copytree(built_settings.data_dir, data, ignore=shutil.ignore_patterns(WATCHES_FILE + "*"))
    s = built_settings.model_copy(update={"data_dir": data, "reload_interval": 0, "reload_token": "sekret", **update})
    with TestClient(create_app(s, embedder=embedder), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def api(built_settings, embedder, tmp_path_factory):
    with serving(built_settings, embedder, tmp_path_factory.mktemp("watch-api")) as client:
        yield client


def newest_title(engine) -> tuple[str, str]:
    p = next(p for p in engine.papers if p.first_seen == NEWEST_DAY)
    return p.arxiv_id, p.title


def test_follow_a_search_read_its_feed_and_matches_then_stop(api, engine):
    aid, title = newest_title(engine)
    r = api.post("/api/watches", json={"query": title, "name": "my feed"})
    assert r.status_code == 201, r.text
    w = r.json()
    assert len(w["id"]) >= 22 and w["name"] == "my feed" and w["kind"] == "query" and w["spec"]["query"] == title
    assert w["feed_url"] == f"http://testserver/feeds/{w['id']}.atom" and r.headers["location"] == f"/api/watches/{w['id']}"
    assert w["backfilled"] >= 1
    detail = api.get(f"/api/watches/{w['id']}").json()
    assert aid in [m["arxiv_id"] for m in detail["latest"]] and detail["matches_total"] == w["backfilled"]
    feed = api.get(f"/feeds/{w['id']}.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    f = parsed_feed(feed.content)
    assert f.feed.title == "papersearch: my feed" and f.feed.links[0].href == w["feed_url"]
    as_json = api.get(w["matches_url"].removeprefix("http://testserver")).json()
    # the JSON holds what the feed shows, in the feed's order
    assert [m["paper_url"] for m in as_json["matches"]] == [e.link for e in f.entries]
    assert [m["title"] for m in as_json["matches"]] == [e.title for e in f.entries]
    m = next(m for m in as_json["matches"] if m["arxiv_id"] == aid)
    assert m["featured"] == NEWEST_DAY and m["summary"] and m["z"] >= 0 and m["arxiv_url"].endswith(aid)
    assert api.delete(f"/api/watches/{w['id']}").status_code == 204
    for path in (f"/api/watches/{w['id']}", f"/api/watches/{w['id']}/matches", f"/feeds/{w['id']}.atom"):
        assert api.get(path).status_code == 404, path
    assert api.delete(f"/api/watches/{w['id']}").status_code == 404
    assert api.get("/api/watches/not-a-watch").status_code == 404
    assert api.get("/feeds/" + "x" * 65 + ".atom").status_code == 422


def test_follow_papers_like_some_and_an_author_whatever_the_spelling(api):
    seeds = api.post("/api/watches", json={"positive": ["arxiv.org/abs/2404.03592v2"], "negative": ["2404.03653"]})
    assert seeds.status_code == 201 and seeds.json()["spec"]["positive"] == ["2404.03592"]
    assert seeds.json()["name"].startswith("papers like 2404.03592")
    author = api.post("/api/watches", json={"author": "  mallory   EXAMPLE "})
    assert author.status_code == 201 and author.json()["kind"] == "author"
    # followed, and its feed named, under the index's spelling, not the typed one
    assert author.json()["spec"]["author"] == "Mallory Example" and author.json()["name"] == "papers by Mallory Example"
    detail = api.get(f"/api/watches/{author.json()['id']}").json()
    assert [m["arxiv_id"] for m in detail["latest"]] == [HOSTILE_ID]
    (entry,) = parsed_feed(api.get(f"/feeds/{author.json()['id']}.atom").content).entries
    assert "<script>" in entry.title and entry.author == "Mallory Example"  # markup stays text


@pytest.mark.parametrize("body,field", [
    ({}, "query"), ({"query": "   "}, "query"), ({"query": "x" * 501}, "query"),
    ({"query": "x", "date_from": "yesterday"}, "date_from"), ({"query": "x", "min_votes": -1}, "min_votes"),
    ({"query": "x", "date_from": "2025-01-02", "date_to": "2024-01-01"}, "date_to"),
    ({"query": "x", "cluster": 99_999}, "cluster"), ({"query": "x", "method": "magic"}, "method"),
    ({"positive": ["2101.00001"]}, "positive"), ({"positive": ["not an id"]}, "positive"),
    ({"positive": ["2404.03592"], "negative": ["2404.03592"]}, "negative"),
    ({"positive": ["2404.03592"], "negative": ["2101.00001"]}, "negative"),
    ({"positive": []}, "positive"), ({"author": "Qqqq Zzzzzz Xxxxx"}, "author"), ({"author": ""}, "author"),
    ({"query": "x", "bogus": 1}, "bogus"), ({"query": "x", "positive": ["2404.03592"]}, "positive"),
    ({"query": "x", "name": "n" * 201}, "name"), ({"query": 5}, "query"),
])
def test_a_bad_watch_is_422_naming_the_field(api, body, field):
    r = api.post("/api/watches", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field and field in r.json()["detail"]


def test_an_unknown_author_watch_names_the_closest_authors(api):
    r = api.post("/api/watches", json={"author": "Dahua Lni"})
    assert r.status_code == 422 and "closest: Dahua Lin" in r.json()["detail"]


def test_listing_every_watch_needs_the_reload_token(api):
    created = api.post("/api/watches", json={"author": "Dahua Lin"}).json()["id"]
    assert api.get("/api/watches").status_code == 403
    assert api.get("/api/watches", headers={"X-Reload-Token": "wrong"}).status_code == 403
    listed = api.get("/api/watches", headers={"X-Reload-Token": "sekret"})
    assert listed.status_code == 200 and created in [w["id"] for w in listed.json()]


def test_the_feed_answers_conditional_gets_with_304(api):
    wid = api.post("/api/watches", json={"author": "Mallory Example"}).json()["id"]
    first = api.get(f"/feeds/{wid}.atom")
    tag, modified = first.headers["etag"], first.headers["last-modified"]
    assert tag.startswith('"') and modified.endswith("GMT")
    not_changed = api.get(f"/feeds/{wid}.atom", headers={"If-None-Match": tag})
    assert not_changed.status_code == 304 and not_changed.content == b"" and not_changed.headers["etag"] == tag
    assert api.get(f"/feeds/{wid}.atom", headers={"If-Modified-Since": modified}).status_code == 304
    earlier = format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)
    assert api.get(f"/feeds/{wid}.atom", headers={"If-Modified-Since": earlier}).status_code == 200
    assert api.get(f"/feeds/{wid}.atom", headers={"If-None-Match": '"other"'}).status_code == 200
    # a new match changes the validators: the reader gets the new feed
    holder = api.app.state.holder
    paper = holder.engine.paper("2404.03592")
    holder.watches().add_matches(wid, [Match(arxiv_id=paper.arxiv_id, score=1.0, generation=holder.engine.generation,
                                             matched_at=datetime.now(UTC) + timedelta(seconds=2),
                                             content_hash=match_hash(paper))])
    again = api.get(f"/feeds/{wid}.atom", headers={"If-None-Match": tag})
    assert again.status_code == 200 and again.headers["etag"] != tag and len(parsed_feed(again.content).entries) == 2


def test_caps_answer_429_and_links_follow_the_public_base_url(built_settings, embedder, tmp_path):
    base = "https://papers.example.org/ps"
    with serving(built_settings, embedder, tmp_path, watch_creates_per_hour=2, watches_max=3, reload_token=None,
                 public_base_url=base + "/") as client:
        made = [client.post("/api/watches", json={"author": "Mallory Example"}) for _ in range(2)]
        assert [r.status_code for r in made] == [201, 201]
        assert made[0].json()["feed_url"] == f"{base}/feeds/{made[0].json()['id']}.atom"
        f = parsed_feed(client.get(f"/feeds/{made[0].json()['id']}.atom").content)
        assert f.feed.links[0].href.startswith(base) and f.entries[0].link == f"{base}/paper/{HOSTILE_ID}"
        rate = client.post("/api/watches", json={"query": "video generation"})
        assert rate.status_code == 429 and "per hour" in rate.json()["detail"]
        assert 0 < int(rate.headers["retry-after"]) <= 3600
        client.app.state.holder.watches().create(AuthorSpec(author="Dahua Lin"), client="someone else")
        full = client.post("/api/watches", json={"query": "video generation"})
        assert full.status_code == 429 and "maximum of 3" in full.json()["detail"] and "retry-after" not in full.headers
        assert client.get("/api/watches").status_code == 404  # no reload token: no listing at all


def test_the_server_catches_watches_up_when_it_loads_a_generation(built_settings, embedder, tmp_path):
    with serving(built_settings, embedder, tmp_path) as client:
        holder = client.app.state.holder
        store, papers = holder.watches(), holder.engine.papers
        # the store last saw a generation without the newest day; a watch made then has not seen that day
        store.sync(EARLIER, [(p.arxiv_id, match_hash(p)) for p in papers if NEWEST_DAY not in p.dates])
        w = store.create(AuthorSpec(author="Yu Qiao"))
        assert client.get(f"/api/watches/{w.id}").json()["latest"] == []
        assert holder.load()
        got = client.get(f"/api/watches/{w.id}").json()["latest"]
        on_day = {p.arxiv_id for p in papers if NEWEST_DAY in p.dates and "Yu Qiao" in p.authors}
        assert on_day and {m["arxiv_id"] for m in got} == on_day
        assert all(m["generation"] == holder.engine.generation for m in got)
        assert holder.load() and client.get(f"/api/watches/{w.id}").json()["latest"] == got  # nothing twice


@pytest.mark.parametrize("fmt,media,ext", [("bibtex", "application/x-bibtex", "bib"), ("csv", "text/csv", "csv"),
                                           ("jsonl", "application/x-ndjson", "jsonl")])
def test_every_result_list_downloads_in_every_format(api, fmt, media, ext):
    wid = api.post("/api/watches", json={"author": "Mallory Example"}).json()["id"]
    lists = [("GET", "/api/search", {"q": "video generation 비디오", "k": 5}, None),
             ("GET", "/api/papers/2404.03592/similar", {"k": 4, "mode": "votes"}, None),
             ("POST", "/api/similar", {}, {"positive": ["2404.03592"], "k": 3}),
             ("GET", "/api/clusters/0", {"k": 5}, None),
             ("GET", "/api/authors/dahua lin", {}, None),
             ("GET", f"/api/watches/{wid}/matches", {}, None)]
    for method, path, params, body in lists:
        as_json = api.request(method, path, params=params, json=body).json()
        want = [r["arxiv_id"] for r in as_json.get("results", as_json.get("matches", []))]
        got = api.request(method, path, params={**params, "format": fmt}, json=body)
        assert got.status_code == 200 and got.headers["content-type"].startswith(media), (path, got.text[:200])
        assert got.headers["content-disposition"].startswith("attachment; filename=\"papersearch-")
        assert f'.{ext}"' in got.headers["content-disposition"]
        assert want and exported_ids(got.text, fmt) == want, path
    assert api.get("/api/search", params={"q": "x", "format": "pdf"}).status_code == 422
    korean = api.get("/api/search", params={"q": "비디오 생성", "format": "csv"}).headers["content-disposition"]
    assert 'filename="papersearch-search.csv"' in korean and "filename*=UTF-8''papersearch-search-%EB%B9%84" in korean


def test_an_author_by_any_spelling_and_the_closest_names_for_a_miss(api):
    page = api.get("/api/authors/Dahua Lin").json()
    assert page["name"] == "Dahua Lin" and page["total"] == len(page["results"]) >= 2
    firsts = [r["dates"][0] for r in page["results"]]
    assert firsts == sorted(firsts, reverse=True)  # newest first
    counts = [c["papers"] for c in page["coauthors"]]
    assert counts and counts == sorted(counts, reverse=True) and "Dahua Lin" not in [c["name"] for c in page["coauthors"]]
    assert page["topics"] and sum(t["papers"] for t in page["topics"]) <= page["total"]
    for spelling in ("dahua LIN", "Dahua  Lin", "Da-hua Lin", "Dàhuá Lin"):
        assert api.get(f"/api/authors/{spelling}").json()["results"] == page["results"], spelling
    miss = api.get("/api/authors/Dahua Lni")
    assert miss.status_code == 404 and "Dahua Lin" in miss.json()["closest"] and "Dahua Lin" in miss.json()["detail"]
    assert api.get("/api/authors/" + "x" * 201).status_code == 422


def test_find_similar_by_votes_recency_and_blend(api):
    by_votes = api.get("/api/papers/2404.03592/similar", params={"k": 10, "mode": "votes"}).json()
    assert by_votes["mode"] == "votes"
    assert_relevant_head_sorted([r["score"] for r in by_votes["results"]], [r["votes"] or 0 for r in by_votes["results"]])
    recent = api.post("/api/similar", json={"positive": ["2404.03592"], "k": 10, "mode": "recency"}).json()
    assert recent["mode"] == "recency"
    assert_relevant_head_sorted([r["score"] for r in recent["results"]], [r["dates"][-1] for r in recent["results"]])
    assert api.get("/api/papers/2404.03592/similar", params={"mode": "blend"}).json()["mode"] == "blend"
    assert api.get("/api/papers/2404.03592/similar", params={"mode": "random"}).status_code == 422
    assert api.post("/api/similar", json={"positive": ["2404.03592"], "mode": "random"}).status_code == 422
