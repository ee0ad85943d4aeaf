"""Faults, load and bad input, measured: kills, a damaged generation, a full disk, load across reloads, hostile input.

    python bench/chaos.py [--kills 20] [--seconds 60] [--only kills,term,lock,damage,disk,load,input,access,watches]
                          [--json]

Works on a small copy of the real corpus (a few digest day files and feed days with
their real faults, plus a truncated and a non-list feed day, from ../shared) in a
temporary data dir, with the real model, real builds (`papersearch index` in a
subprocess) and a real server (`papersearch serve`, uvicorn on 127.0.0.1).

- kills: builds (`index --rebuild`) SIGKILLed at a random moment (half of them in
  the last tenth of a build, where FAISS writes, clustering and the generation
  swap happen); after each, `verify` on the served generation, a search compared
  with the one before the kill, and whether the next build is blocked by a lock.
- term: SIGTERM mid-build: exit code, the one-line message, the index unchanged.
- lock: a second build while one runs: refused with a clear message.
- damage: each file of the newest generation truncated or deleted (and CURRENT
  itself) while the server runs: it keeps serving the last good generation,
  /healthz names the file, `verify` names it.
- disk: a build on a tmpfs too small for a new generation (needs root to mount).
- load: 32 clients for --seconds while 3 incremental builds land; failed or 5xx
  requests, responses whose results are not all from the generation that
  answered (header X-Index-Generation), p99 overall and within 2 s of a swap.
- input: the parser fuzz and the OpenAPI fuzz (hypothesis, schemathesis) with
  the number of cases they tried, and hostile requests (100k characters, control
  characters, lone surrogates, <script>, k and filters at their edges, unknown
  topics, malformed JSONL lines in batch mode).
- access: /api/reload without, with a wrong and with the right token; off
  without a token; the server listens on 127.0.0.1 only.
- watches: a query watch and an author watch created (and backfilled) before a
  new day, a full rebuild, a `--prune` and a SIGKILLed build: after each, both
  are still there with every match, the watch file passes SQLite's integrity
  check, and catching up matches the new day's papers once and nothing twice.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import free_port  # noqa: E402
from indexer.reading.verify import verify  # noqa: E402
from indexer.storage.layout import DataDir, write_atomic  # noqa: E402
from papersearch.settings import Settings  # noqa: E402

BASE_DAYS = ["2023/11/20.md", "2024/04/05.md", "2024/09/02.md"]
# the feed beside the digest (issue 22): a day shared with a digest day, days whose papers arrive as digest days
# later (EXTRA_DAYS), the wrapped day (an object, 9 repr strings) and a day of repr strings
FEED_DAYS = ["2024-09-02", "2024-06-03", "2025-01-02", "2025-01-10", "2024-12-11"]  # not WATCH_DAY: it must bring new papers
FEED_JUNK = {"2024-12-12.json": '[{"paper": {"id": "2412.0"}}, "not a dict", 17, {"paper": {"id":',
             "2024-12-13.json": '{"error": "rate limited"}'}
EXTRA_DAYS = ["2024/06/03.md", "2025/01/02.md", "2024/12/04.md"]
QUERY = "video generation"
PHASES = ("reading", "tokenising", "embedding", "clustering")
SECTIONS = ("kills", "term", "lock", "damage", "disk", "load", "input", "access", "watches")
WATCH_DAY = "2024/06/04.md"        # arrives after the watches are created; Wenhu Chen is on it (MMLU-Pro)
WATCH_AUTHOR = "Wenhu Chen"


def corpus_root() -> Path:
    return Path(os.environ.get("PAPERSEARCH_CORPUS", ROOT.parent / "shared" / "corpus" / "daily_papers_ko" / "paper_logs"))


def feed_root() -> Path:
    return Path(os.environ.get("PAPERSEARCH_FEED", ROOT.parent / "shared" / "corpus" / "hf_daily_papers"))


def copy_days(dest: Path, days: list[str]) -> None:
    for rel in days:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus_root() / rel, dest / rel)


def copy_feed(dest: Path) -> None:
    """Real feed days with their real faults, plus a truncated day and a non-list one: every build reads both
    sources (`env_for` lists `<corpus>/../feed` beside the digest days)."""
    dest.mkdir(parents=True, exist_ok=True)
    for day in FEED_DAYS:
        shutil.copyfile(feed_root() / f"{day}.json", dest / f"{day}.json")
    for name, body in FEED_JUNK.items():
        (dest / name).write_text(body, encoding="utf-8")


def _served_papers(data: Path) -> list:
    from indexer.storage.store import PaperStore

    with PaperStore(DataDir(data).current().store) as store:
        return store.all()


def cli(*args: str, env: dict | None = None) -> list[str]:
    return [sys.executable, "-m", "papersearch.cli", *args]


def env_for(data: Path, corpus: Path, **extra) -> dict:
    feed = corpus.parent / "feed"
    paths = [corpus, *([feed] if feed.is_dir() else [])]
    return {**os.environ, "PAPERSEARCH_DATA_DIR": str(data), "PAPERSEARCH_CORPUS": os.pathsep.join(map(str, paths)),
            "HF_HUB_OFFLINE": "1", **{f"PAPERSEARCH_{k.upper()}": str(v) for k, v in extra.items()}}


def build(data: Path, corpus: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(cli("index", *flags), env=env_for(data, corpus), capture_output=True, text=True, timeout=900)


_model: list = []


def open_engine(data: Path):
    """The served generation with the one model this process loads."""
    from models.loading import embedder_for
    from search.engine import SearchEngine

    if not _model:
        _model.append(embedder_for(Settings()))
    return SearchEngine.open(Settings(data_dir=data), embedder=_model[0])


def search_ids(data: Path) -> list[str]:
    e = open_engine(data)
    try:
        return [r.arxiv_id for r in e.search(QUERY, k=10).results]
    finally:
        e.close()


class Server:
    def __init__(self, data: Path, corpus: Path, **settings):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(cli("serve"), env=env_for(data, corpus, port=self.port, **settings),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                if httpx.get(self.base + "/healthz", timeout=1).json()["index_loaded"]:
                    return
            except (httpx.HTTPError, ValueError):
                time.sleep(0.2)
        raise RuntimeError("server did not come up")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def phase_of(stderr: str) -> str:
    seen = [(stderr.rfind(p), p) for p in PHASES if p in stderr]
    return max(seen)[1] if seen else "start-up"


def kills(work: Path, trials: int) -> list[dict]:
    corpus, data = work / "corpus", work / "data"
    t = time.perf_counter()
    assert build(data, corpus, "--rebuild").returncode == 0
    full = time.perf_counter() - t
    baseline = search_ids(data)
    rng = random.Random(20261123)
    rows, corrupt, blocked, changed, published = [], 0, 0, 0, 0
    phases: dict[str, int] = {}
    for i in range(trials):
        served = DataDir(data).current().name
        delay = rng.uniform(0.5, full) if i % 2 == 0 else rng.uniform(0.9 * full, 1.05 * full)
        proc = subprocess.Popen(cli("index", "--rebuild"), env=env_for(data, corpus), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate()
        now = DataDir(data).current().name if DataDir(data).current() else None
        phase = "after publish" if now != served else phase_of(err or "")
        phases[phase] = phases.get(phase, 0) + 1
        published += now != served
        rep = verify(data, [])
        corrupt += not rep.ok
        changed += search_ids(data) != baseline
        probe = build(data, corpus)  # must not be blocked by a stale lock (and embeds nothing)
        blocked += probe.returncode != 0
    rows.append({"check": f"SIGKILL during a build ({trials} builds, {full:.0f} s each)",
                 "result": f"corrupt {corrupt}, search changed {changed}, stale lock blocked {blocked}",
                 "goal": "0 / 0 / 0", "ok": corrupt == changed == blocked == 0,
                 "detail": {"phases": phases, "published_before_kill": published}})
    return rows


def term(work: Path) -> list[dict]:
    corpus, data = work / "corpus", work / "data"
    runs = []  # the signal must land mid-build whatever a warm build takes on this machine (the first is slower)
    for _ in range(2):
        t = time.perf_counter()
        subprocess.run(cli("index", "--rebuild"), env=env_for(data, corpus), capture_output=True, check=True)
        runs.append(time.perf_counter() - t)
    full = min(runs)
    served = DataDir(data).current().name
    out = []
    for delay in (0.15 * full, 0.4 * full, 0.7 * full):
        proc = subprocess.Popen(cli("index", "--rebuild"), env=env_for(data, corpus), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
        lines = [x for x in err.strip().splitlines() if x.strip() and "%" not in x and "it/s" not in x]
        out.append((proc.returncode, lines[-1] if lines else "", "Traceback" in err))
    unchanged = DataDir(data).current().name == served and verify(data, []).ok
    ok = all(rc == 130 and "interrupted" in last and not tb for rc, last, tb in out) and unchanged
    return [{"check": "SIGTERM mid-build (3 builds)", "result": f"exit codes {[o[0] for o in out]}; “{out[0][1]}”",
             "goal": "130, one line, index unchanged", "ok": ok}]


def lock(work: Path) -> list[dict]:
    corpus, data = work / "corpus", work / "data"
    first = subprocess.Popen(cli("index", "--rebuild"), env=env_for(data, corpus), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    time.sleep(3)
    second = build(data, corpus)
    first.wait(timeout=900)
    msg = " ".join(second.stderr.split())
    return [{"check": "a second build while one runs", "result": f"exit {second.returncode}: {msg[:90]}",
             "goal": "refused, clear message", "ok": second.returncode == 2 and "another build" in msg}]


def damage(work: Path) -> list[dict]:
    corpus, data = work / "corpus", work / "data"
    d = DataDir(data)
    srv = Server(data, corpus, reload_interval=0.5)
    rows = []
    try:
        good = d.current().name
        before = [r["arxiv_id"] for r in httpx.get(srv.base + "/api/search", params={"q": QUERY}).json()["results"]]
        cases = [(f, how) for f in ("index.faiss", "title.npy", "summary.npy", "ids.npy", "papers.sqlite",
                                    "manifest.json", "clusters.json", "adapter.npz") for how in ("truncate", "delete")]
        cases += [("CURRENT", "delete"), ("CURRENT", "empty"), ("CURRENT", "dangling")]
        passed, failures = 0, []
        for n, (name, how) in enumerate(cases):
            bad = d.generations / f"{good}-bad{n}"
            shutil.rmtree(bad, ignore_errors=True)
            if name == "CURRENT":
                if how == "delete":
                    d.pointer.unlink()
                else:
                    d.pointer.write_text("" if how == "empty" else "no-such-generation\n")
            else:
                shutil.copytree(d.generations / good, bad)
                if how == "delete":
                    (bad / name).unlink()
                else:
                    with open(bad / name, "r+b") as fh:
                        fh.truncate((bad / name).stat().st_size // 3)
                write_atomic(d.pointer, bad.name + "\n")
            time.sleep(1.5)
            h = httpx.get(srv.base + "/healthz").json()
            r = httpx.get(srv.base + "/api/search", params={"q": QUERY})
            same = r.status_code == 200 and [x["arxiv_id"] for x in r.json()["results"]] == before
            named = name in (h.get("error") or "")
            v = verify(data, [])
            v_named = name in " ".join(v.problems)
            ok = h["generation"] == good and h["status"] == "degraded" and same and named and v_named and not v.ok
            passed += ok
            if not ok:
                failures.append(f"{name}/{how}: healthz={h.get('error')!r} verify={v.problems[:1]}")
            write_atomic(d.pointer, good + "\n")
            shutil.rmtree(bad, ignore_errors=True)
            time.sleep(0.8)
        rows.append({"check": f"damaged newest generation ({len(cases)} cases: 8 files x truncate/delete, CURRENT x3)",
                     "result": f"{passed}/{len(cases)} served the last good generation with the same results, "
                               "/healthz and verify naming the file", "goal": "all", "ok": passed == len(cases),
                     "detail": failures})
    finally:
        srv.stop()
    return rows


def disk(work: Path) -> list[dict]:
    corpus, data = work / "corpus", work / "data"
    mnt = Path(tempfile.mkdtemp(prefix="chaos-tmpfs-"))
    size = sum(f.stat().st_size for f in DataDir(data).current().path.iterdir())
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={int(size * 1.5)}", "tmpfs", str(mnt)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        return [{"check": "disk full during a build", "result": f"skipped: cannot mount a tmpfs ({mounted.stderr.strip()})",
                 "goal": "old index serving, clear message", "ok": None}]
    try:
        small = mnt / "data"
        served = DataDir(data).current().name
        shutil.copytree(DataDir(data).generations / served, small / "generations" / served)
        shutil.copyfile(DataDir(data).pointer, small / "CURRENT")
        r = build(small, corpus, "--rebuild")
        msg = " ".join(r.stderr.split())
        leftovers = [p.name for p in DataDir(small).generations.iterdir() if p.name.startswith(".tmp")]
        ok = (r.returncode == 2 and "disk full" in msg and DataDir(small).current().name == served
              and verify(small, []).ok and not leftovers and "Traceback" not in r.stderr)
        return [{"check": f"disk full during a build (tmpfs of {size * 1.5 / 2**20:.0f} MB)",
                 "result": f"exit {r.returncode}: {msg[-120:]}", "goal": "old index serving, clear message, no leftovers",
                 "ok": ok}]
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)
        shutil.rmtree(mnt, ignore_errors=True)


async def _clients(base: str, seconds: float, n: int, log: list, busy=lambda: False,
                   errors: list | None = None) -> None:
    """n clients for `seconds`, and on while `busy()` (the builds have not all landed)."""
    queries = ["video generation", "비디오 생성", "long context KV cache 압축", "reasoning reinforcement learning",
               "diffusion", "에이전트 벤치마크", "speech", "3D gaussian splatting"]
    stop = time.perf_counter() + seconds
    errors = [] if errors is None else errors
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=n)) as client:
        async def one(i: int):
            k = i
            while time.perf_counter() < stop or busy():
                q = queries[k % len(queries)]
                k += n
                t = time.perf_counter()
                try:
                    r = await client.get("/api/search", params={"q": q, "k": 10})
                    body = r.json() if r.status_code == 200 else {}
                    if r.status_code != 200:
                        errors.append(f"{r.status_code}: {r.text[:200]}")
                    log.append((t, time.perf_counter() - t, r.status_code, r.headers.get("x-index-generation"),
                                body.get("total"), [x["arxiv_id"] for x in body.get("results", [])]))
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    log.append((t, time.perf_counter() - t, 0, None, None, []))
        await asyncio.gather(*(one(i) for i in range(n)))


def load(work: Path, seconds: float, clients: int = 32) -> list[dict]:
    corpus, data = work / "corpus", work / "data"
    srv = Server(data, corpus, reload_interval=0.5)
    log: list = []
    errors: list[str] = []
    builds: list[tuple[float, int]] = []
    members: dict[str, set[str]] = {}

    def snapshot() -> None:  # each generation's papers, read before an older one is pruned
        import sqlite3

        gen = DataDir(data).current()
        with sqlite3.connect(gen.store) as c:
            members[gen.name] = {r[0] for r in c.execute("SELECT arxiv_id FROM papers")}

    def builder():
        for day in EXTRA_DAYS:
            time.sleep(seconds / 5)
            copy_days(corpus, [day])
            builds.append((time.perf_counter(), build(data, corpus).returncode))
            snapshot()

    snapshot()

    import threading

    th = threading.Thread(target=builder)
    try:
        th.start()
        asyncio.run(_clients(srv.base, seconds, clients, log, th.is_alive, errors))
        th.join()
    finally:
        srv.stop()
    failed = sum(1 for x in log if x[2] == 0 or x[2] >= 500 or x[2] != 200)
    mixed = sum(1 for x in log if x[2] == 200 and (x[3] not in members or x[4] != len(members[x[3]])
                                                  or not set(x[5]) <= members[x[3]]))
    gens = sorted({x[3] for x in log if x[3]})
    swaps = [min(x[0] for x in log if x[3] == g) for g in gens[1:]]
    near = [x[1] for x in log if any(abs(x[0] - s) < 2 for s in swaps)]
    lat = sorted(x[1] for x in log)
    p = lambda xs, q: 1000 * sorted(xs)[min(len(xs) - 1, int(q * (len(xs) - 1)))] if xs else float("nan")  # noqa: E731
    span = max(x[0] for x in log) - min(x[0] for x in log) if log else 0.0
    return [{"check": f"{clients} clients x {span:.0f} s while {len(EXTRA_DAYS)} incremental builds land",
             "result": f"{len(log)} requests, failed/5xx {failed}, mixed generation {mixed}, generations seen "
                       f"{len(gens)}; p50 {p(lat, .5):.0f} ms, p99 {p(lat, .99):.0f} ms, p99 within 2 s of a swap "
                       f"{p(near, .99):.0f} ms", "goal": "0 failed, 0 mixed",
             "ok": failed == 0 and mixed == 0 and all(rc == 0 for _, rc in builds) and len(gens) == len(EXTRA_DAYS) + 1,
             "detail": {"errors": sorted(set(errors))[:5]}}]


def fuzz_counts() -> list[dict]:
    """Run the suite's property-based tests verbosely and count the cases hypothesis tried."""
    def run(*targets: str) -> tuple[int, int]:
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                            "--hypothesis-verbosity=verbose", *targets], cwd=ROOT, capture_output=True, text=True,
                           timeout=1800, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        return r.stdout.count("Test case:") + r.stdout.count("Trying example:"), r.returncode

    parser, prc = run("tests/indexer/ingest/test_corpus.py", "-k", "random or mutated")
    api, arc = run("tests/api/test_openapi_fuzz.py")
    return [{"check": "parser fuzz (hypothesis: random text, random bytes, mutated real day files)",
             "result": f"{parser} cases", "goal": "no exception", "ok": prc == 0 and parser > 0},
            {"check": "OpenAPI fuzz (schemathesis over every endpoint)", "result": f"{api} cases",
             "goal": "no 5xx", "ok": arc == 0 and api > 0}]


def hostile(work: Path) -> list[dict]:
    corpus, data = work / "corpus", work / "data"
    srv = Server(data, corpus)
    cases = [("GET", "/api/search", {"q": "a" * 100_000}), ("GET", "/api/search", {"q": "video\x00\x01\x1b[31m"}),
             ("GET", "/api/search", {"q": "<script>alert(1)</script>"}), ("GET", "/", {"q": "<script>alert(1)</script>"}),
             ("GET", "/api/search", {"q": "x", "k": 0}), ("GET", "/api/search", {"q": "x", "k": 101}),
             ("GET", "/api/search", {"q": "x", "k": 10**30}), ("GET", "/api/search", {"q": "x", "min_votes": -1}),
             ("GET", "/api/search", {"q": "x", "date_from": "2025-01-01", "date_to": "2024-01-01"}),
             ("GET", "/api/search", {"q": "x", "date_from": "9999-12-31"}), ("GET", "/api/search", {"q": "x", "cluster": 99999}),
             ("GET", "/api/clusters/99999", {}), ("GET", "/topics/-99", {}), ("GET", "/api/papers/%00/similar", {}),
             ("POST", "/api/similar", b'{"positive": ["\\ud800"]}'), ("POST", "/api/similar", b'{"positive": []}'),
             ("POST", "/api/similar", b"not json"), ("POST", "/api/similar", b'{"positive": ["x"], "k": 1e9}')]
    bad = []
    try:
        for method, path, arg in cases:
            if method == "GET" and sum(len(str(v)) for v in arg.values()) > 50_000:  # beyond httpx's URL cap
                status, text = _raw_get(srv.base + path, arg)
                r = httpx.Response(status, text=text)
            elif method == "GET":
                r = httpx.get(srv.base + path, params=arg, timeout=30)
            else:
                r = httpx.post(srv.base + path, content=arg, headers={"content-type": "application/json"}, timeout=30)
            leaked = "<script>alert(1)</script>" in r.text and path == "/"
            if r.status_code >= 500 or leaked or "Traceback" in r.text:
                bad.append(f"{method} {path} {str(arg)[:40]} -> {r.status_code}")
    finally:
        srv.stop()
    jsonl = work / "hostile.jsonl"
    jsonl.write_text('not json\n{"query": 5}\n{"id": "ok", "query": "video generation"}\n'
                     '{"id": "s", "query": "\\ud800 <script>"}\n', encoding="utf-8")
    r = subprocess.run(cli("search", "--queries-file", str(jsonl), "--json"), env=env_for(data, corpus),
                       capture_output=True, text=True, timeout=300)
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    batch_ok = r.returncode == 0 and len(lines) == 4 and "error" in lines[0] and "error" in lines[1] \
        and lines[2]["results"] and "error" not in lines[3]
    return [{"check": f"hostile requests ({len(cases)}: 100k chars, control chars, lone surrogates, <script>, "
                      "k/dates/votes at the edges, unknown topics/papers, malformed bodies)",
             "result": f"{len(cases) - len(bad)}/{len(cases)} clear 4xx/200 answers, page escapes <script>",
             "goal": "no 5xx, no stack trace", "ok": not bad, "detail": bad},
            {"check": "batch JSONL with malformed lines", "result": f"{len(lines)} lines answered, "
                      f"{sum('error' in x for x in lines)} per-line errors", "goal": "per-line errors, rest answered",
             "ok": batch_ok}]


def _raw_get(url: str, params: dict) -> tuple[int, str]:
    import urllib.error
    import urllib.parse
    import urllib.request

    try:
        with urllib.request.urlopen(url + "?" + urllib.parse.urlencode(params), timeout=30) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def access(work: Path) -> list[dict]:
    corpus, data = work / "corpus", work / "data"
    srv = Server(data, corpus, reload_token="s3cret")
    try:
        codes = [httpx.post(srv.base + "/api/reload", headers=h).status_code
                 for h in ({}, {"X-Reload-Token": "wrong"}, {"X-Reload-Token": "s3cret"})]
        outside = None
        ip = socket.gethostbyname(socket.gethostname())
        if not ip.startswith("127."):
            try:
                httpx.get(f"http://{ip}:{srv.port}/healthz", timeout=2)
                outside = "reachable"
            except httpx.HTTPError:
                outside = "refused"
    finally:
        srv.stop()
    srv = Server(data, corpus)
    try:
        off = httpx.post(srv.base + "/api/reload", headers={"X-Reload-Token": "x"}).status_code
    finally:
        srv.stop()
    return [{"check": "/api/reload: no token, wrong token, right token; server without a token",
             "result": f"{codes[0]}, {codes[1]}, {codes[2]}; {off}", "goal": "403, 403, 200; 404",
             "ok": codes == [403, 403, 200] and off == 404},
            {"check": f"default bind 127.0.0.1: from {ip}", "result": outside or "no other interface",
             "goal": "refused", "ok": outside in (None, "refused")}]


def watches(work: Path) -> list[dict]:
    import sqlite3

    from search.follow.catchup import EngineSource, catch_up, create_watch
    from search.follow.models import AuthorSpec, QuerySpec
    from search.follow.store import WatchStore

    corpus, data = work / "corpus", work / "data"
    store = WatchStore.in_data_dir(data)

    def with_engine(fn):
        e = open_engine(data)
        try:
            return fn(EngineSource(e))
        finally:
            e.close()

    def state() -> dict[str, list[tuple[str, float, str]]]:
        return {w.id: [(m.arxiv_id, m.score, m.generation) for m in store.matches(w.id)] for w in store.watches()}

    def intact() -> bool:
        with sqlite3.connect(store.path) as c:
            return c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    with_engine(lambda src: catch_up(src, store))  # the store's baseline: the corpus as it stands is not news
    made = with_engine(lambda src: [create_watch(src, store, spec)[0] for spec in
                                    (QuerySpec(query=QUERY), AuthorSpec(author=WATCH_AUTHOR))])
    backfilled = sum(len(store.matches(w.id)) for w in made)
    before = {w.id: {m.arxiv_id for m in store.matches(w.id)} for w in made}
    copy_days(corpus, [WATCH_DAY])
    assert build(data, corpus).returncode == 0   # `index` catches the watches up itself after it publishes
    with_engine(lambda src: catch_up(src, store))  # nothing left to match, unless that step failed
    new = {w.id: [m.arxiv_id for m in store.matches(w.id) if m.arxiv_id not in before[w.id]] for w in made}
    expected = state()
    steps: dict[str, tuple[bool, bool, int]] = {}   # step -> (same watches and matches, file intact, re-matched)

    def after(step: str) -> None:
        again = with_engine(lambda src: catch_up(src, store))
        steps[step] = (state() == expected, intact(), sum(len(ms) for ms in again.matched.values()))

    t = time.perf_counter()
    assert build(data, corpus, "--rebuild").returncode == 0
    full = time.perf_counter() - t
    after("full rebuild")
    (corpus / WATCH_DAY).unlink()
    pruned = build(data, corpus, "--prune")
    after("--prune")
    copy_days(corpus, [WATCH_DAY])  # back as it was for the sections after this one, and a build to kill
    served = DataDir(data).current().name
    proc = subprocess.Popen(cli("index", "--rebuild"), env=env_for(data, corpus), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(0.5 * full)
    killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after("SIGKILLed build")
    same_gen = DataDir(data).current().name == served
    ok = (pruned.returncode == 0 and killed and len(store.watches()) == 2
          and all(a and b and c == 0 for a, b, c in steps.values()) and any(new.values()))
    return [{"check": f"2 watches ({backfilled} backfilled matches) created before a new day, a full rebuild, "
                      "a --prune and a SIGKILLed build",
             "result": f"new day matched {sum(len(v) for v in new.values())}; then "
                       + "; ".join(f"{k}: watches and matches {'kept' if a else 'CHANGED'}, file "
                                   f"{'intact' if b else 'DAMAGED'}, matched twice {c}"
                                   for k, (a, b, c) in steps.items()),
             "goal": "all kept, intact, 0 twice", "ok": ok,
             "detail": {"killed_mid_build": killed, "served_unchanged": same_gen, "new_matches": new}}]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--only", default=",".join(SECTIONS))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    only = a.only.split(",")
    unknown = set(only) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    work = Path(tempfile.mkdtemp(prefix="chaos-"))
    rows: list[dict] = []
    try:
        copy_days(work / "corpus", BASE_DAYS)
        copy_feed(work / "feed")
        r = build(work / "data", work / "corpus")
        if r.returncode != 0:
            sys.exit(f"first build failed: {r.stderr[-500:]}")
        with_abstract = sum(1 for _, p in _served_papers(work / "data") if p.abstract)
        print(f"[chaos] index of both sources: {with_abstract} papers with an abstract", file=sys.stderr, flush=True)
        if not with_abstract:
            sys.exit("the first build read no feed: nothing here tests an index of both sources")
        steps = {"kills": lambda: kills(work, a.kills), "term": lambda: term(work), "lock": lambda: lock(work),
                 "damage": lambda: damage(work), "disk": lambda: disk(work), "input": lambda: fuzz_counts() + hostile(work),
                 "access": lambda: access(work), "load": lambda: load(work, a.seconds),
                 "watches": lambda: watches(work)}
        for name in SECTIONS:
            if name in only:
                print(f"[chaos] {name} ...", file=sys.stderr, flush=True)
                t = time.perf_counter()
                for row in steps[name]():
                    row["section"], row["seconds"] = name, round(time.perf_counter() - t, 1)
                    rows.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if a.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    print("| section | check | result | goal | ok |\n|---|---|---|---|---|")
    for r in rows:
        mark = "yes" if r["ok"] else "skipped" if r["ok"] is None else "**NO**"
        print(f"| {r['section']} | {r['check']} | {r['result']} | {r['goal']} | {mark} |")
    for r in rows:
        if r.get("detail"):
            print(f"\n{r['section']}: {json.dumps(r['detail'], ensure_ascii=False)}")


if __name__ == "__main__":
    main()
