"""HTTP load on loopback: QPS and p50/p99 for /api/search and /api/papers/{id}/similar.

    python bench/load.py [--requests 120] [--seconds 30] [--json]

Starts `papersearch serve` on a free 127.0.0.1 port, then for concurrency 1, 8
and 32 sends a bounded number of requests (stopping early at --seconds). Search
rows are cold: every request is a query the server has not seen (the dev-set
queries, then corpus titles, never repeated across rows), so the query-vector
cache never helps them; a last "search, repeated" row re-sends the c=8 row's
queries to show what the cache does. Beside it: the in-process time of the same
calls (the floor), measured first in this run, and the server's RSS.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.checkout import pin_defaults_to_checkout  # noqa: E402

pin_defaults_to_checkout()

from search.evaluation import load_judged  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def corpus_titles() -> list[str]:
    """More distinct, realistic queries: known-item searches by title, newest papers first."""
    from indexer.ingest.corpus import load_corpus
    from papersearch.settings import Settings

    papers, _ = load_corpus(Settings().corpus)
    return [p.title for p in reversed(papers)]


def server_rss_mb(pid: int) -> float:
    """Resident memory of the server and its worker processes."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        kids = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


def in_process(queries: list[str], ids: list[str]) -> dict[str, float]:
    from papersearch.settings import Settings
    from search.engine import SearchEngine

    e = SearchEngine.open(Settings())
    e.search(queries[0])
    out = {}
    for name, fn, items in (("search", lambda q: e.search(q, k=10), queries[:300]),  # what the first rows send
                            ("similar", lambda i: e.similar(i, k=10), ids)):
        ts = []
        for it in items:
            t = time.perf_counter()
            fn(it)
            ts.append((time.perf_counter() - t) * 1000)
        out[name] = statistics.median(ts)
    e.close()
    return out


async def load(base: str, urls: list[str], concurrency: int, n: int, seconds: float) -> dict:
    lat: list[float] = []
    errors = 0
    nxt = 0
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal nxt, errors
        while nxt < n and time.perf_counter() < deadline:
            url = urls[nxt % len(urls)]
            nxt += 1
            t = time.perf_counter()
            r = await client.get(url)
            lat.append((time.perf_counter() - t) * 1000)
            errors += r.status_code != 200

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return {"requests": len(lat), "errors": errors, "qps": len(lat) / wall, "p50_ms": statistics.median(lat),
            "p99_ms": pct(lat, 99)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=120, help="per endpoint and concurrency level")
    ap.add_argument("--seconds", type=float, default=30.0, help="time cap per endpoint and concurrency level")
    ap.add_argument("--workers", default="1", help="server worker counts to compare, e.g. 1,2")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    queries = [j.text for j in load_judged(ROOT / "bench" / "devset" / "queries.jsonl", "query")]
    queries += corpus_titles()
    ids = [j.text for j in load_judged(ROOT / "bench" / "devset" / "similar.jsonl", "arxiv_id")]
    floor = in_process(queries, ids)

    search_urls = [f"/api/search?{httpx.QueryParams({'q': q, 'k': 10})}" for q in queries]
    similar_urls = [f"/api/papers/{i}/similar?k=10" for i in ids]
    fresh = iter(range(0, len(search_urls), a.requests))  # each search row gets queries never sent before
    runs = []
    for workers in [int(w) for w in a.workers.split(",")]:
        rows, rss = serve_and_load(workers, search_urls, similar_urls, fresh, floor, a)
        runs.append({"workers": workers, "server_rss_mb": rss, "rows": rows})
    if a.json:
        print(json.dumps(runs, indent=2))
        return 0
    for run in runs:
        print(f"server: {run['workers']} worker(s), RSS after the run {run['server_rss_mb']:.0f} MB")
        print(f"{'endpoint':<17}{'conc':>5}{'reqs':>6}{'err':>5}{'QPS':>8}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'in-proc ms':>12}{'p50/in-proc':>12}")
        for r in run["rows"]:
            print(f"{r['endpoint']:<17}{r['concurrency']:>5}{r['requests']:>6}{r['errors']:>5}{r['qps']:>8.1f}"
                  f"{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['in_process_ms']:>12.1f}"
                  f"{r['p50_ms'] / r['in_process_ms']:>12.1f}")
    return 0


def serve_and_load(workers: int, search_urls: list[str], similar_urls: list[str], fresh, floor: dict,
                   a: argparse.Namespace) -> tuple[list[dict], float]:
    port = free_port()
    env = {**os.environ, "PAPERSEARCH_PORT": str(port), "PAPERSEARCH_HOST": "127.0.0.1",
           "PAPERSEARCH_WORKERS": str(workers)}
    server = subprocess.Popen([sys.executable, "-m", "papersearch.cli", "serve"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        ready = 0
        for _ in range(600):  # every worker answers /healthz with its index loaded
            try:
                ready = ready + 1 if httpx.get(base + "/healthz", timeout=1).json().get("index_loaded") else 0
            except (httpx.HTTPError, ValueError):
                ready = 0
            if ready >= 4 * workers:
                break
            time.sleep(0.2)
        else:
            raise SystemExit("server did not come up")
        rows = []
        for name, urls in (("search", search_urls), ("similar", similar_urls)):
            for c in (1, 8, 32):
                part = urls[next(fresh):][:a.requests] if name == "search" else urls
                r = asyncio.run(load(base, part, c, a.requests, a.seconds))
                rows.append({"endpoint": name, "concurrency": c, **r, "in_process_ms": floor[name]})
                if name == "search" and c == 8:
                    r = asyncio.run(load(base, part, c, a.requests, a.seconds))
                    rows.append({"endpoint": "search, repeated", "concurrency": c, **r,
                                 "in_process_ms": floor[name]})
        return rows, server_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
