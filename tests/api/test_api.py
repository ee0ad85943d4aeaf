"""Every endpoint and error path, against a small real index (real model, real FAISS)."""
import pytest

from tests.helpers import BOTH_ID, DIGEST_ONLY_ID, FEED_ONLY_ID

pytestmark = pytest.mark.model

RESULT_FIELDS = {"arxiv_id", "title", "authors", "votes", "dates", "score", "snippet", "arxiv_url",
                 "thumbnail_url", "summary_suspect"}


def test_search_korean_english_mixed(client):
    for q in ("표현을 수정하는 파인튜닝", "representation finetuning", "ReFT 저랭크 representation"):
        r = client.get("/api/search", params={"q": q, "k": 5})
        assert r.status_code == 200
        body = r.json()
        assert body["query"] == q and body["total"] > 0
        assert RESULT_FIELDS <= set(body["results"][0])
        assert "2404.03592" in [x["arxiv_id"] for x in body["results"]]


def test_search_filters_and_modes(client):
    r = client.get("/api/search", params={"q": "model", "k": 50, "date_from": "2024-04-05", "date_to": "2024-04-05"})
    assert r.status_code == 200
    assert all("2024-04-05" in x["dates"] for x in r.json()["results"])
    from tests.helpers import assert_relevant_head_sorted

    r = client.get("/api/search", params={"q": "model", "k": 5, "min_votes": 10, "mode": "votes"})
    res = r.json()["results"]
    assert res and all(x["votes"] >= 10 for x in res)
    assert_relevant_head_sorted([x["score"] for x in res], [x["votes"] for x in res])
    r = client.get("/api/search", params={"q": "finetuning", "author": "Christopher Potts"})
    assert [x["arxiv_id"] for x in r.json()["results"]] == ["2404.03592"]


def test_search_errors(client):
    assert client.get("/api/search", params={"q": "   "}).status_code == 400
    assert client.get("/api/search").status_code == 400
    r = client.get("/api/search", params={"q": "x", "k": 0})
    assert r.status_code == 422 and "k" in r.json()["detail"]
    r = client.get("/api/search", params={"q": "x", "date_from": "yesterday"})
    assert r.status_code == 422 and "date_from" in r.json()["detail"]
    r = client.get("/api/search", params={"q": "x", "mode": "random"})
    assert r.status_code == 422 and "mode" in r.json()["detail"]
    r = client.get("/api/search", params={"q": "x", "date_from": "2025-01-01", "date_to": "2024-01-01"})
    assert r.status_code == 422 and "date_from" in r.json()["detail"]
    assert client.get("/api/search", params={"q": "x" * 2001}).status_code == 422
    long = client.get("/api/search", params={"q": "diffusion " * 100})
    assert long.status_code == 200 and long.json()["notices"]


def test_paper_and_similar(client):
    r = client.get("/api/papers/2404.03592")
    assert r.status_code == 200
    p = r.json()
    assert p["title"].startswith("ReFT") and p["sections"] and p["dates"] == ["2024-04-05"]
    r = client.get("/api/papers/2404.03592/similar", params={"k": 4})
    assert r.status_code == 200 and len(r.json()["results"]) == 4
    assert "2404.03592" not in [x["arxiv_id"] for x in r.json()["results"]]
    assert client.get("/api/papers/2404.03592v2").json()["arxiv_id"] == "2404.03592"
    assert client.get("/api/papers/1999.99999").status_code == 404
    assert "not in the index" in client.get("/api/papers/1999.99999/similar").json()["detail"]
    assert client.get("/api/papers/2404.03592/similar", params={"k": 1000}).status_code == 422


def test_post_similar(client):
    r = client.post("/api/similar", json={"positive": ["2404.03592"], "negative": [], "k": 3})
    assert r.status_code == 200 and len(r.json()["results"]) == 3
    assert client.post("/api/similar", json={"positive": [], "k": 3}).status_code == 422
    assert client.post("/api/similar", json={"positive": ["1999.99999"]}).status_code == 404
    assert client.post("/api/similar", content=b"not json", headers={"content-type": "application/json"}).status_code == 422


def test_stats_health_docs(client):
    h = client.get("/healthz").json()
    assert h["index_loaded"] and h["papers"] > 0 and h["model"]
    s = client.get("/api/stats").json()
    assert s["papers"] == h["papers"] and "suspect_summaries" in s
    assert s["ranking"]["hybrid"]["method"] == "zscore" and s["ranking"]["learned"]["query"]
    assert h["status"] == "ok" and h["current"] == h["generation"] and h["error"] is None
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    for path in ("/api/search", "/api/papers/{arxiv_id}", "/api/papers/{arxiv_id}/similar", "/api/similar",
                 "/api/stats", "/healthz"):
        assert path in spec["paths"], path


def test_reload_is_guarded(client):
    assert client.post("/api/reload").status_code == 403
    assert client.post("/api/reload", headers={"X-Reload-Token": "wrong"}).status_code == 403
    r = client.post("/api/reload", headers={"X-Reload-Token": "sekret"})
    assert r.status_code == 200 and r.json()["index_loaded"]


def test_web_pages(client):
    r = client.get("/", params={"q": "비디오 생성"})
    assert r.status_code == 200 and 'class="card"' in r.text and "<mark>" in r.text
    assert client.get("/", params={"q": "x", "date_from": "bad"}).status_code == 200
    r = client.get("/paper/2404.03592")
    assert r.status_code == 200 and "ReFT" in r.text and 'id="neighbours"' in r.text
    assert client.get("/paper/1999.99999").status_code == 404


def test_clusters_endpoint_filter_and_facets(client):
    body = client.get("/api/clusters").json()
    assert body["method"] == "graph" and body["clusters"] and body["sort"] == "size"
    sizes = {c["id"]: c["size"] for c in body["clusters"]}
    assert sum(sizes.values()) == client.get("/healthz").json()["papers"]
    first = body["clusters"][0]
    assert not first["other"] and all(c["other"] == (c["id"] == -1) for c in body["clusters"])
    assert first["label"] and first["terms_en"] and first["central"] and sum(first["monthly"].values()) == first["size"]
    r = client.get("/api/search", params={"q": "model", "k": 100, "cluster": first["id"]}).json()
    assert len(r["results"]) == r["total"] == first["size"]
    assert all(x["cluster"] == first["id"] for x in r["results"])
    facets = client.get("/api/search", params={"q": "video generation"}).json()["facets"]
    assert facets and all(str(k) in map(str, sizes) for k in facets)
    one = client.get(f"/api/clusters/{first['id']}", params={"k": 5}).json()
    assert one["total"] == first["size"] and len(one["results"]) == min(5, first["size"])
    r = client.get("/api/clusters/99999")
    assert r.status_code == 404 and "no topic 99999" in r.json()["detail"]


def test_clusters_sorted_by_growth_and_the_map_points(client):
    size = client.get("/api/clusters").json()["clusters"]
    rising = client.get("/api/clusters", params={"sort": "rising"}).json()["clusters"]
    fading = client.get("/api/clusters", params={"sort": "fading"}).json()["clusters"]
    topics = [c for c in rising if not c["other"]]
    assert {c["id"] for c in rising} == {c["id"] for c in size} == {c["id"] for c in fading}
    assert [c["growth"] for c in topics] == sorted((c["growth"] for c in topics), reverse=True)
    assert [c["growth"] for c in fading if not c["other"]] == sorted(c["growth"] for c in topics)
    assert all(c["recent"] + c["before"] <= c["size"] for c in size)
    if any(c["other"] for c in rising):
        assert rising[-1]["other"] and fading[-1]["other"]  # "other" is not a topic: never ranked among them
    bad = client.get("/api/clusters", params={"sort": "popular"})
    assert bad.status_code == 422 and "sort" in bad.text
    m = client.get("/api/clusters/map").json()
    assert len(m["points"]) == client.get("/healthz").json()["papers"]
    assert m["columns"] == ["x", "y", "topic", "arxiv_id", "title"]
    ids = {c["id"] for c in size}
    assert {p[2] for p in m["points"]} == ids
    x0, x1, y0, y1 = m["frame"]
    assert x0 < x1 and y0 < y1 and {lab["id"] for lab in m["labels"]} == ids - {-1}


def test_topics_pages(client):
    r = client.get("/topics")
    assert r.status_code == 200 and 'id="topic-map"' in r.text and "/static/topicmap.js" in r.text
    assert client.get("/static/topicmap.js").status_code == 200
    rising = client.get("/topics", params={"view": "rising"})
    assert rising.status_code == 200 and "<strong>rising</strong>" in rising.text
    assert "view: expected one of" in client.get("/topics", params={"view": "nope"}).text
    png = client.get("/topics/map.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    cid = client.get("/api/clusters").json()["clusters"][0]["id"]
    page = client.get(f"/topics/{cid}")
    assert page.status_code == 200 and 'class="card"' in page.text
    assert client.get("/topics/99999").status_code == 404
    r = client.get("/", params={"q": "video generation"})
    assert 'class="facet"' in r.text


def test_search_reports_ranker_and_lexicon_expansion(client):
    body = client.get("/api/search", params={"q": "video generation", "k": 3}).json()
    assert body["method"] == "learned"
    assert body["expanded_terms"] and all(0 < w < 1 for w in body["expanded_terms"].values())
    assert client.get("/api/search", params={"q": "video", "method": "lexical"}).json()["method"] == "lexical"
    r = client.get("/api/search", params={"q": "video", "method": "magic"})
    assert r.status_code == 422 and "method" in r.json()["detail"]
    sim = client.get("/api/papers/2404.03592/similar", params={"k": 3, "method": "dense"}).json()
    assert sim["method"] == "dense" and len(sim["results"]) == 3
    more = client.post("/api/similar", json={"positive": ["2404.03592"], "k": 3, "method": "lexical"}).json()
    assert more["method"] == "lexical"
    assert client.post("/api/similar", json={"positive": ["2404.03592"], "method": "hybrid"}).status_code == 422
    page = client.get("/", params={"q": "video generation"}).text
    assert 'id="expanded-terms"' in page and next(iter(body["expanded_terms"])) in page


def test_the_paper_record_carries_the_abstract_and_where_each_field_came_from(fed_client):
    both = fed_client.get(f"/api/papers/{BOTH_ID}").json()
    assert both["abstract"].startswith("This paper introduces CURLoRA") and both["sections"]
    assert both["sources"] == ["digest", "feed"]
    assert {k: both["field_sources"][k] for k in ("title", "authors", "summary", "abstract", "dates")} == {
        "title": "digest", "authors": "feed", "summary": "digest", "abstract": "feed", "dates": "digest+feed"}
    feed_only = fed_client.get(f"/api/papers/{FEED_ONLY_ID}").json()
    assert feed_only["sections"] == {} and feed_only["abstract"] and feed_only["sources"] == ["feed"]
    assert feed_only["agreement"] is None and not feed_only["summary_suspect"]
    assert feed_only["field_sources"]["title"] == "feed" and "summary" not in feed_only["field_sources"]
    digest_only = fed_client.get(f"/api/papers/{DIGEST_ONLY_ID}").json()
    assert digest_only["abstract"] is None and digest_only["sources"] == ["digest"] and digest_only["sections"]
    assert "abstract" not in digest_only["field_sources"]


def test_results_say_which_text_the_snippet_came_from_and_stay_lean(fed_client):
    en = fed_client.get("/api/search", params={"q": "continual fine-tuning of language models", "k": 40,
                                               "method": "dense"}).json()["results"]
    ko = fed_client.get("/api/search", params={"q": "언어 모델의 지속적인 파인튜닝", "k": 40,
                                               "method": "dense"}).json()["results"]
    assert len(en) == len(ko) == 40  # every paper of the index, so every kind of paper is among them
    for results, preferred in ((en, "abstract"), (ko, "summary")):
        by_id = {r["arxiv_id"]: r for r in results}
        assert by_id[BOTH_ID]["snippet_from"] == preferred
        assert by_id[FEED_ONLY_ID]["snippet_from"] == "abstract" and by_id[FEED_ONLY_ID]["sources"] == ["feed"]
        assert by_id[DIGEST_ONLY_ID]["snippet_from"] == "summary" and not by_id[DIGEST_ONLY_ID]["has_abstract"]
        assert by_id[BOTH_ID]["has_abstract"] and by_id[BOTH_ID]["sources"] == ["digest", "feed"]
        assert all("abstract" not in r and "summary" not in r for r in results)  # full texts: the paper record
    assert "<mark>" in {r["arxiv_id"]: r for r in en}[BOTH_ID]["snippet"]
    sim = fed_client.get(f"/api/papers/{BOTH_ID}/similar", params={"k": 39}).json()["results"]
    assert {r["arxiv_id"]: r["snippet_from"] for r in sim}[FEED_ONLY_ID] == "abstract"  # its only text
    assert {r["snippet_from"] for r in sim if "digest" in r["sources"]} == {"summary"}  # no query language


def test_the_paper_page_shows_both_texts_or_says_which_is_missing(fed_client):
    both = fed_client.get(f"/paper/{BOTH_ID}").text
    assert 'id="summary"' in both and 'id="abstract"' in both and "This paper introduces CURLoRA" in both
    assert "from the Korean digest" in both and "from the Hugging Face Daily Papers feed" in both
    assert "no Korean summary yet" not in both and "no abstract in the feed" not in both
    feed_only = fed_client.get(f"/paper/{FEED_ONLY_ID}").text
    assert "no Korean summary yet" in feed_only and "no abstract in the feed" not in feed_only
    assert "no abstract in the feed" in fed_client.get(f"/paper/{DIGEST_ONLY_ID}").text
