"""In-process search latency on the full index: p50/p99 per method, beside the raw FAISS floor.

    python bench/latency.py [--rounds 3] [--today-data-dir DIR] [--json]

Queries are the dev-set queries (Korean, English, mixed). Rows: raw FAISS search
of a precomputed query vector (the floor), query encoding alone, dense, lexical,
hybrid (the hand-tuned fusion), learned (the default ranker where its weights
ship), and similar-by-id with the dense Rocchio and with the learned ranker.
"hybrid, previous release" is the old default path as it ran before this
release: the torch engine (bf16 where the CPU has it, else fp32; force fp32 with
--previous-precision fp32 to see a CPU without BF16), BLAS threads at the library
default (see Settings.query_blas_threads), hybrid ranker; "query encoding,
previous release" is its query encoding alone. "x old default" compares each row
with it (similar rows with the dense Rocchio, the old similar default). Every
query is timed cold (the query-vector cache is off). Ratios are within this run.
"today" rows: the learned rankers as they were before the English abstracts (their
frozen weights, bench/baseline_fusion_weights.json, reading only the features they
knew), over --today-data-dir (an index built before; default: the same index);
"x today" compares the current learned rows with them, interleaved query by query
so both see the same machine.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.checkout import pin_defaults_to_checkout  # noqa: E402

pin_defaults_to_checkout()

import search.engine  # noqa: E402
from bench.build_speed import cpu_description  # noqa: E402
from bench.quality import BASELINE, using  # noqa: E402
from papersearch.settings import Settings  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.evaluation import load_judged  # noqa: E402
from search.rankers.learned import load_models  # noqa: E402


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def timed(fn, items, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for it in items:
            t = time.perf_counter()
            fn(it)
            out.append((time.perf_counter() - t) * 1000)
    return out


def paired(new, old, items, rounds: int) -> tuple[list[float], list[float]]:
    """Two callables timed item by item in turn, so machine noise falls on both alike."""
    a, b = [], []
    for _ in range(rounds):
        for it in items:
            for fn, out in ((new, a), (old, b)):
                t = time.perf_counter()
                fn(it)
                out.append((time.perf_counter() - t) * 1000)
    return a, b


def main(argv: list[str] | None = None) -> int:
    # every query is timed cold: the query-vector cache would turn rounds 2 and 3 into lookups
    search.engine.QUERY_CACHE_SIZE = 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--data-dir", type=Path)
    ap.add_argument("--previous-precision", default="auto", choices=("auto", "fp32", "bf16"))
    ap.add_argument("--today-data-dir", type=Path, help="index of today's release (default: --data-dir)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    settings = Settings(**({"data_dir": a.data_dir} if a.data_dir else {}))
    queries = [j.text for j in load_judged(ROOT / "bench" / "devset" / "queries.jsonl", "query")]
    # first, the previous release's default path: hybrid with BLAS threads at the library default (an engine
    # limits them process-wide when it opens, so this row is measured before the current engine exists)
    before = SearchEngine.open(settings.model_copy(update={"query_blas_threads": 0, "engine": "torch",
                                                           "precision": a.previous_precision}))
    before.search(queries[0], k=10)
    previous = timed(lambda q: before.search(q, k=10, method="hybrid"), queries, a.rounds)
    previous_encoding = timed(before.encode_query, queries, a.rounds)
    before.close()
    engine = SearchEngine.open(settings)
    ids = [p.arxiv_id for p in engine.papers[:: max(1, engine.size // 60)]]
    engine.search(queries[0], k=10)  # warm up model, kiwi, caches
    vecs = [engine.encode_query(q) for q in queries]
    rows = {
        "faiss search (floor)": timed(lambda v: engine.idx.ann.search(v, 10), vecs, a.rounds),
        "hybrid, previous release": previous,
        "query encoding, previous": previous_encoding,
        "query encoding": timed(engine.encode_query, queries, a.rounds),
        "dense": timed(lambda q: engine.search(q, k=10, method="dense"), queries, a.rounds),
        "lexical": timed(lambda q: engine.search(q, k=10, method="lexical"), queries, a.rounds),
        "hybrid": timed(lambda q: engine.search(q, k=10, method="hybrid"), queries, a.rounds),
    }
    today_models = load_models(BASELINE)
    today = engine if a.today_data_dir is None else SearchEngine.open(settings.model_copy(
        update={"data_dir": a.today_data_dir}), embedder=engine.embedder)
    ids = [i for i in ids if i in today.pos_of]

    def with_today(fn):
        def run(x):
            with using(today, today_models):
                return fn(today, x)
        return run

    if "query" in engine.models:
        rows["learned"], rows["learned, today"] = paired(
            lambda q: engine.search(q, k=10, method="learned"),
            with_today(lambda e, q: e.search(q, k=10, method="learned")), queries, a.rounds)
    rows["similar (dense)"] = timed(lambda i: engine.similar(i, k=10, method="dense"), ids, a.rounds)
    if "similar" in engine.models:
        rows["similar (learned)"], rows["similar (learned), today"] = paired(
            lambda i: engine.similar(i, k=10, method="learned"),
            with_today(lambda e, i: e.similar(i, k=10, method="learned")), ids, a.rounds)
    floor = statistics.median(rows["faiss search (floor)"])
    old = statistics.median(rows["hybrid, previous release"])
    base = {"learned": old, "hybrid": old, "similar (learned)": statistics.median(rows["similar (dense)"]),
            "query encoding": statistics.median(rows["query encoding, previous"])}
    res = [{"row": k, "n": len(v), "p50_ms": statistics.median(v), "p99_ms": pct(v, 99),
            "x_floor": statistics.median(v) / floor,
            "x_previous_default": statistics.median(v) / base[k] if k in base else None,
            "x_today": statistics.median(v) / statistics.median(rows[k + ", today"]) if k + ", today" in rows else None}
           for k, v in rows.items()]
    if a.json:
        print(json.dumps({"cpu": cpu_description(), "papers": engine.size, "encoder": engine.embedder.encoder,
                          "previous_encoder": before.embedder.encoder, "rows": res}, indent=2))
        return 0
    print(f"CPU: {cpu_description()}")
    print(f"{engine.size} papers, {len(queries)} queries x {a.rounds} rounds; encoder "
          f"{engine.embedder.encoder}, previous release {before.embedder.encoder}")
    print(f"{'row':<28}{'n':>5}{'p50 ms':>10}{'p99 ms':>10}{'x floor':>10}{'x old default':>15}{'x today':>9}")
    for r in res:
        old = f"{r['x_previous_default']:.2f}" if r["x_previous_default"] else ""
        tod = f"{r['x_today']:.2f}" if r["x_today"] else ""
        print(f"{r['row']:<28}{r['n']:>5}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}{r['x_floor']:>10.1f}{old:>15}{tod:>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
