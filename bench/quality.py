"""Retrieval quality on the judged dev set: BM25 vs dense vs hybrid, per language and kind.

    python bench/quality.py [--data-dir DIR] [--json] [--fusion rrf|zscore] [--dense-weight W] [--title-weight W]

Prints nDCG@10, MRR@10, Recall@10 and Recall@50 for every method side by side
in one run, per language (ko / en / mixed), per kind (topic / known_item /
question), overall, and for the similar-paper cases.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.settings import Settings  # noqa: E402
from search.engine import METHODS, SearchEngine  # noqa: E402
from search.evaluation import Judged, Scores, load_judged, score_all  # noqa: E402
from search.fusion import top  # noqa: E402
from search.ranking import HybridParams  # noqa: E402

DEVSET = ROOT / "bench" / "devset"
DEPTH = 50


def run_queries(engine: SearchEngine, judged: list[Judged], methods=METHODS) -> dict[str, dict[str, list[str]]]:
    runs: dict[str, dict[str, list[str]]] = {m: {} for m in methods}
    for j in judged:
        per, _ = engine.rankings(j.text, None, methods)
        for m in methods:
            pos, _ = top(per[m], DEPTH)
            runs[m][j.id] = [engine.papers[int(p)].arxiv_id for p in pos]
    return runs


def run_similar(engine: SearchEngine, judged: list[Judged]) -> dict[str, list[str]]:
    return {j.id: [r.arxiv_id for r in engine.similar(j.text, k=DEPTH).results] for j in judged}


def groups(judged: list[Judged]) -> list[tuple[str, list[Judged]]]:
    out = [("all", judged)]
    for attr in ("lang", "kind"):
        for v in sorted({getattr(j, attr) for j in judged}):
            out.append((f"{attr}={v}", [j for j in judged if getattr(j, attr) == v]))
    return out


def table(rows: list[tuple[str, str, Scores]]) -> str:
    lines = [f"{'slice':<18}{'method':<9}{'n':>4}{'nDCG@10':>9}{'MRR@10':>8}{'R@10':>7}{'R@50':>7}"]
    for name, method, s in rows:
        lines.append(f"{name:<18}{method:<9}{s.n:>4}{s.ndcg10:>9.3f}{s.mrr10:>8.3f}{s.recall10:>7.3f}{s.recall50:>7.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path)
    ap.add_argument("--fusion", choices=["rrf", "zscore"])
    ap.add_argument("--dense-weight", type=float)
    ap.add_argument("--title-weight", type=float, help="re-weight title vs summary in the in-memory index")
    ap.add_argument("--title-boost", type=int)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    settings = Settings(**({"data_dir": a.data_dir} if a.data_dir else {}))
    engine = SearchEngine.open(settings)
    p = engine.params
    engine.params = HybridParams(
        method=a.fusion or p.method,
        dense_weight=p.dense_weight if a.dense_weight is None else a.dense_weight,
        depth=p.depth,
        title_boost=p.title_boost if a.title_boost is None else a.title_boost,
    )
    if a.title_boost is not None:
        engine.rebuild_lexical()
    if a.title_weight is not None:
        engine.set_weights({"title": a.title_weight, "summary": 1 - a.title_weight})

    queries = load_judged(DEVSET / "queries.jsonl", "query")
    similar = load_judged(DEVSET / "similar.jsonl", "arxiv_id")
    runs = run_queries(engine, queries)
    rows = [(name, m, score_all(runs[m], subset)) for name, subset in groups(queries) for m in METHODS]
    sim = score_all(run_similar(engine, similar), similar)
    rows.append(("similar", "dense", sim))
    if a.json:
        print(json.dumps({"params": dataclasses.asdict(engine.params), "weights": engine.idx.manifest.weights,
                          "rows": [{"slice": n, "method": m, **{k: v for k, v in dataclasses.asdict(s).items()
                                                                  if k != "per_query"}} for n, m, s in rows]},
                         indent=2))
    else:
        print(f"params: {engine.params}  index weights: {engine.idx.manifest.weights}")
        print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
