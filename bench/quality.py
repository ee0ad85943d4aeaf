"""Retrieval quality on the judged dev set: BM25 / dense / hybrid / final, per half, language and kind.

    python bench/quality.py [--data-dir DIR] [--split tune|heldout|all] [--json]
                            [--fusion rrf|zscore] [--dense-weight W] [--title-weight W] [--expansion W]
                            [--dump-rankings FILE]

The dev set (bench/devset) is split once, stratified by language and kind with
a fixed seed, into a tuning half (the only one the rankers were tuned or trained
on) and a held-out half that reports the truth. Prints nDCG@10, MRR@10,
Recall@10 and Recall@50 for every ranker side by side in one run, per half,
overall and per slice, and for the find-similar cases: dense Rocchio, BM25 with
the seed's own title + summary as the query (the baseline to beat), BM25 with the
seed's top terms, and the final (learned) ranker. --dump-rankings writes every
case's top 10 per ranker (ids and scores) as JSON lines: a refactor that must not
change rankings leaves that file byte-identical.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.checkout import pin_defaults_to_checkout  # noqa: E402

pin_defaults_to_checkout()

from indexer.text.passages import field_text  # noqa: E402
from indexer.text.tokenize import tokens  # noqa: E402
from papersearch.settings import Settings  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.evaluation import Judged, Scores, load_judged, score_all  # noqa: E402
from search.rankers.fusion import top  # noqa: E402
from search.rankers.query import METHODS  # noqa: E402
from search.rankers.ranking import HybridParams  # noqa: E402

DEVSET = ROOT / "bench" / "devset"
DEPTH = 50
SPLITS = ("tune", "heldout")


def load_split(path: Path, text_key: str, split: str) -> list[Judged]:
    judged = load_judged(path, text_key)
    return judged if split == "all" else [j for j in judged if j.split == split]


def run_queries(engine: SearchEngine, judged: list[Judged], methods=METHODS,
                dump: list[dict] | None = None) -> dict[str, dict[str, list[str]]]:
    runs: dict[str, dict[str, list[str]]] = {m: {} for m in methods}
    for j in judged:
        per, _ = engine.rankings(j.text, None, methods)
        for m in methods:
            pos, scores = top(per[m], DEPTH)
            runs[m][j.id] = [engine.papers[int(p)].arxiv_id for p in pos]
            if dump is not None:
                dump.append(dumped(j.id, m, runs[m][j.id], scores))
        if dump is not None:  # the served path end to end: default ranker, rank mode, results
            r = engine.search(j.text, k=10)
            dump.append(dumped(j.id, f"search-{r.method}", [x.arxiv_id for x in r.results], [x.score for x in r.results]))
    return runs


def dumped(case: str, method: str, ids: list[str], scores) -> dict:
    """One case's top 10 of one ranker, for --dump-rankings."""
    return {"case": case, "method": method, "ids": ids[:10], "scores": [float(s) for s in scores[:10]]}


def bm25_seed_text(engine: SearchEngine, arxiv_id: str) -> list[str]:
    """Baseline: plain BM25 with the seed's whole title + summary as the query."""
    p = engine.paper(arxiv_id)
    s = engine.view.lexical.scores(tokens(field_text(p, "title") + " " + field_text(p, "summary")))
    s[engine.pos_of[p.arxiv_id]] = -np.inf
    pos, _ = top(np.where(s > 0, s, -np.inf), DEPTH)
    return [engine.papers[int(i)].arxiv_id for i in pos]


def run_similar(engine: SearchEngine, judged: list[Judged],
                dump: list[dict] | None = None) -> dict[str, dict[str, list[str]]]:
    methods = ["dense", "lexical", *(["learned"] if "similar" in engine.models else [])]
    runs: dict[str, dict[str, list[str]]] = {f"sim-{m}": {} for m in methods}
    for m in methods:
        for j in judged:
            results = engine.similar(j.text, k=DEPTH, method=m).results
            runs[f"sim-{m}"][j.id] = [r.arxiv_id for r in results]
            if dump is not None:
                dump.append(dumped(j.id, f"sim-{m}", runs[f"sim-{m}"][j.id], [r.score for r in results]))
    runs["bm25-seed-text"] = {j.id: bm25_seed_text(engine, j.text) for j in judged}
    return runs


def groups(judged: list[Judged]) -> list[tuple[str, list[Judged]]]:
    out = [("all", judged)]
    for attr in ("lang", "kind"):
        for v in sorted({getattr(j, attr) for j in judged}):
            out.append((f"{attr}={v}", [j for j in judged if getattr(j, attr) == v]))
    return out


def table(rows: list[tuple[str, str, str, Scores]]) -> str:
    lines = [f"{'half':<8}{'slice':<18}{'method':<15}{'n':>4}{'nDCG@10':>9}{'MRR@10':>8}{'R@10':>7}{'R@50':>7}"]
    for half, name, method, s in rows:
        lines.append(f"{half:<8}{name:<18}{method:<15}{s.n:>4}{s.ndcg10:>9.3f}{s.mrr10:>8.3f}"
                     f"{s.recall10:>7.3f}{s.recall50:>7.3f}")
    return "\n".join(lines)


def evaluate(engine: SearchEngine, splits: tuple[str, ...], devset: Path = DEVSET,
             dump: list[dict] | None = None) -> list[tuple[str, str, str, Scores]]:
    """Score rows per half, slice and ranker; with `dump`, each case's top 10 per ranker is appended to it."""
    methods = tuple(m for m in METHODS if m != "learned" or "query" in engine.models)
    rows = []
    for half in splits:
        queries = load_split(devset / "queries.jsonl", "query", half)
        similar = load_split(devset / "similar.jsonl", "arxiv_id", half)
        runs = run_queries(engine, queries, methods, dump)
        rows += [(half, name, m, score_all(runs[m], subset)) for name, subset in groups(queries) for m in methods]
        for m, run in run_similar(engine, similar, dump).items():
            rows.append((half, "similar", m, score_all(run, similar)))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path)
    ap.add_argument("--devset", type=Path, default=DEVSET, help="directory with queries.jsonl and similar.jsonl")
    ap.add_argument("--split", choices=[*SPLITS, "all", "both"], default="both")
    ap.add_argument("--fusion", choices=["rrf", "zscore"])
    ap.add_argument("--dense-weight", type=float)
    ap.add_argument("--title-weight", type=float, help="re-weight title vs summary in the in-memory index")
    ap.add_argument("--title-boost", type=int)
    ap.add_argument("--expansion", type=float, help="weight of lexicon-expanded terms (0 = off)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--dump-rankings", type=Path, metavar="FILE",
                    help="write each case's top 10 per ranker (ids, scores) as JSON lines")
    a = ap.parse_args(argv)
    settings = Settings(**({"data_dir": a.data_dir} if a.data_dir else {}))
    p = HybridParams()
    params = HybridParams(
        method=a.fusion or p.method,
        dense_weight=p.dense_weight if a.dense_weight is None else a.dense_weight,
        depth=p.depth,
        title_boost=p.title_boost if a.title_boost is None else a.title_boost,
        expansion_weight=p.expansion_weight if a.expansion is None else a.expansion,
    )
    engine = SearchEngine.open(settings, params=params)
    if a.title_weight is not None:
        engine.set_weights({"title": a.title_weight, "summary": 1 - a.title_weight})
    dump: list[dict] | None = [] if a.dump_rankings else None
    rows = evaluate(engine, SPLITS if a.split == "both" else (a.split,), a.devset, dump)
    if a.dump_rankings:
        a.dump_rankings.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in dump), encoding="utf-8")
    if a.json:
        print(json.dumps({"params": dataclasses.asdict(engine.params), "weights": engine.idx.manifest.weights,
                          "rows": [{"half": h, "slice": n, "method": m, **{k: v for k, v in dataclasses.asdict(s).items()
                                                                           if k != "per_query"}}
                                   for h, n, m, s in rows]}, indent=2))
    else:
        print(f"params: {engine.params}  index weights: {engine.idx.manifest.weights}")
        print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
