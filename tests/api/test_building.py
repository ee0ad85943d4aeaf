"""A server over a quick first pass (real app, real model, real progress file): /healthz and every page say the
index is partial, which rankers answer and how far the build is; once the full build is published and
reloaded, the banner is gone and the learned ranker answers."""
from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from indexer.pipeline.build import build_index
from indexer.storage.layout import DataDir
from indexer.storage.progress import BuildProgress

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def client(quick_settings, embedder, tmp_path_factory):
    data = tmp_path_factory.mktemp("building") / "data"
    shutil.copytree(quick_settings.data_dir, data)   # the session's quick pass stays partial for other tests
    s = quick_settings.model_copy(update={"data_dir": data, "reload_token": "sekret", "reload_interval": 0})
    with TestClient(create_app(s, embedder=embedder), raise_server_exceptions=False) as c:
        c.settings = s
        yield c


def test_health_says_partial_and_which_rankers_answer(client):
    h = client.get("/healthz").json()
    assert h["status"] == "ok" and h["complete"] is False
    assert "summary" in h["pending"] and "topics" in h["pending"]
    assert h["rankers_pending"] == ["learned", "similar-learned"] and "hybrid" in h["rankers_live"]
    assert h["build"] is None
    page = client.get("/", params={"q": "diffusion"}).text
    assert "Index still being built" in page and "no build is running" in page
    assert "answered by the" not in page   # the banner says it once, not again as a notice
    r = client.get("/api/search", params={"q": "diffusion"}).json()
    assert r["method"] == "hybrid" and r["notices"][0].startswith("the index is still being built: answered by the hybrid")
    r = client.get("/api/search", params={"q": "diffusion", "method": "learned"})
    assert r.status_code == 400 and "not live yet" in r.text


def test_build_progress_shows_on_health_and_every_page(client):
    lock = DataDir(client.settings.data_dir).build_lock()
    lock.__enter__()   # a build holds the lock while it runs
    p = BuildProgress(client.settings.data_dir, "full")
    p.step("embed")
    p.work("summary", 50, 200)
    p.work("summary", 50, 200)  # a second report: the first may be throttled
    p._write()
    b = client.get("/healthz").json()["build"]
    assert b["running"] is True and b["phase"] == "full" and b["encoding"] == "summary" and b["percent"] == 25.0
    for path in ("/", "/topics", f"/paper/{client.get('/api/search', params={'q': 'model'}).json()['results'][0]['arxiv_id']}"):
        page = client.get(path).text
        assert "Index still being built" in page and "summary 25%" in page, path
    lock.__exit__(None, None, None)
    assert client.get("/healthz").json()["build"]["running"] is False   # its process died: not running
    p.fail("disk full")
    b = client.get("/healthz").json()["build"]
    assert b["running"] is False and b["error"] == "disk full"
    assert "the build failed: disk full" in client.get("/").text
    p.finish()


def test_the_full_build_swaps_in_and_the_banner_goes(client, embedder):
    build_index(client.settings, progress=False, embedder_factory=lambda _: embedder)
    assert client.post("/api/reload", headers={"X-Reload-Token": "sekret"}).status_code == 200
    h = client.get("/healthz").json()
    assert h["complete"] is True and h["pending"] == [] and h["rankers_pending"] == [] and h["build"] is None
    assert "learned" in h["rankers_live"]
    assert "Index still being built" not in client.get("/").text
    r = client.get("/api/search", params={"q": "diffusion"}).json()
    assert r["method"] == "learned" and r["notices"] == []


def test_topics_say_they_are_not_built_yet(quick_settings, embedder):
    s = quick_settings.model_copy(update={"reload_interval": 0})
    with TestClient(create_app(s, embedder=embedder)) as c:
        r = c.get("/api/clusters")
        assert r.status_code == 503 and "not built yet" in r.text and r.headers["Retry-After"] == "60"


def test_no_index_is_not_complete(quick_settings, embedder, tmp_path):
    s = quick_settings.model_copy(update={"data_dir": tmp_path / "empty", "reload_interval": 0})
    with TestClient(create_app(s, embedder=embedder), raise_server_exceptions=False) as c:
        h = c.get("/healthz").json()
    assert h["status"] == "unavailable" and h["index_loaded"] is False and h["complete"] is False
    assert h["rankers_live"] == [] and h["build"] is None
