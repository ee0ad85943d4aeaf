"""A damaged newest generation: the server keeps serving the last good one, /healthz and verify name the file."""
import shutil

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from indexer.reading.verify import verify
from indexer.storage.layout import DataDir, write_atomic

pytestmark = pytest.mark.model

DAMAGES = [("index.faiss", "truncate"), ("summary.npy", "truncate"), ("papers.sqlite", "truncate"),
           ("manifest.json", "delete"), ("ids.npy", "delete"), ("adapter.npz", "truncate")]


@pytest.fixture
def served(built_settings, embedder, tmp_path):
    """A private copy of the small index, served in-process (no watcher: reloads are driven by the test)."""
    data = tmp_path / "data"
    shutil.copytree(built_settings.data_dir, data)
    s = built_settings.model_copy(update={"data_dir": data, "reload_interval": 0, "reload_token": None})
    with TestClient(create_app(s, embedder=embedder), raise_server_exceptions=False) as client:
        yield client, DataDir(data)


def damaged_copy(d: DataDir, name: str, how: str) -> str:
    good = d.current()
    bad = d.generations / (good.name + "-damaged")
    shutil.copytree(good.path, bad)
    if how == "delete":
        (bad / name).unlink()
    else:
        with open(bad / name, "r+b") as fh:
            fh.truncate(max(1, (bad / name).stat().st_size // 3))
    write_atomic(d.pointer, bad.name + "\n")
    return bad.name


@pytest.mark.parametrize("name,how", DAMAGES)
def test_server_keeps_serving_and_names_the_damaged_file(served, name, how):
    client, d = served
    good = client.get("/healthz").json()
    before = client.get("/api/search", params={"q": "video generation", "k": 5}).json()["results"]
    bad = damaged_copy(d, name, how)
    assert client.app.state.holder.maybe_reload() is False
    h = client.get("/healthz").json()
    assert h["status"] == "degraded" and h["generation"] == good["generation"] and h["current"] == bad
    assert name in h["error"] and bad in h["error"]
    after = client.get("/api/search", params={"q": "video generation", "k": 5}).json()["results"]
    assert [r["arxiv_id"] for r in after] == [r["arxiv_id"] for r in before]
    assert client.app.state.holder.maybe_reload() is False  # the same broken generation is not retried
    rep = verify(d.root, [])
    assert not rep.ok and any(name in p for p in rep.problems)


@pytest.mark.parametrize("how", ["delete", "empty"])
def test_a_damaged_current_pointer_keeps_the_served_index(served, how):
    client, d = served
    if how == "delete":
        d.pointer.unlink()
    else:
        d.pointer.write_text("")
    assert client.app.state.holder.maybe_reload() is False
    h = client.get("/healthz").json()
    assert h["status"] == "degraded" and h["index_loaded"] and "CURRENT" in h["error"]
    assert client.get("/api/search", params={"q": "video", "k": 3}).status_code == 200
    assert "CURRENT" in " ".join(verify(d.root, []).problems)


def test_reload_is_off_without_a_token(served):
    client, _ = served
    r = client.post("/api/reload", headers={"X-Reload-Token": "anything"})
    assert r.status_code == 404 and "PAPERSEARCH_RELOAD_TOKEN" in r.json()["detail"]


def test_lone_surrogates_and_hostile_text_get_clear_answers(served):
    client, _ = served
    r = client.post("/api/similar", content=b'{"positive": ["\\ud800"]}', headers={"content-type": "application/json"})
    assert r.status_code == 404 and "not in the index" in r.json()["detail"]
    r = client.get("/api/search", params={"q": "video\x00\x1b[31m <script>alert(1)</script>", "k": 3})
    assert r.status_code == 200
    page = client.get("/", params={"q": "<script>alert(1)</script>"})
    assert page.status_code == 200 and "<script>alert(1)</script>" not in page.text
    assert client.get("/api/search", params={"q": "a" * 60_000}).status_code == 422  # httpx caps URLs near 64k
