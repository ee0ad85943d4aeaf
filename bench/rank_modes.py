"""How relevant the votes-sorted first page stays, per head rule, ranker and filter.

    python bench/rank_modes.py [--data-dir DIR] [--split tune|heldout] [--method learned|hybrid|...] [--json]

`--mode votes` (and `recency`) re-order only the "clearly relevant head" of the
100 most relevant candidates. Too loose a head lets famous off-topic papers open
the page; too tight a one leaves the page in relevance order. For the dev set's
topic and question queries (known items have one target: votes say nothing
there) this prints, per head rule and filter, the share of the first page that
is judged relevant (P@10) and the page's median votes, beside relevance order.
The rule's ratio was chosen on the tuning half; the held-out half reports it.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.checkout import pin_defaults_to_checkout  # noqa: E402

pin_defaults_to_checkout()

from bench.quality import DEVSET, load_split  # noqa: E402
from papersearch.settings import Settings  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.filters import Filters  # noqa: E402
from search.rankers.fusion import top  # noqa: E402
from search.rankers.query import METHODS  # noqa: E402
from search.rankers.ranking import rerank  # noqa: E402
from search.schemas import RankMode  # noqa: E402

FILTERS = {"none": Filters(), "votes>=20": Filters(min_votes=20),
           "votes>=20, since 2024-06": Filters(min_votes=20, date_from=date(2024, 6, 1))}
RATIOS = (0.4, 0.5, 0.55, 0.6, 0.7)


def half_of_best(pos: np.ndarray, scores: np.ndarray, engine: SearchEngine) -> np.ndarray:
    """The previous rule, for comparison: the head is every candidate scoring at least half the best."""
    strong = scores >= 0.5 * scores[0] if scores[0] > 0 else np.ones(len(scores), dtype=bool)
    head = np.nonzero(strong)[0]
    votes = np.maximum(engine.columns.votes[pos], 0)
    head = head[np.lexsort((-scores[head], -votes[head]))]
    return pos[np.concatenate([head, np.nonzero(~strong)[0]])[:10]]


def page_stats(engine: SearchEngine, pages: list[tuple[dict[str, int], np.ndarray]]) -> dict[str, float]:
    prec = [float(np.mean([rel.get(engine.papers[p].arxiv_id, 0) > 0 for p in page])) for rel, page in pages if len(page)]
    votes = [float(np.median(engine.columns.votes[page])) for _, page in pages if len(page)]
    return {"p_at_10": round(float(np.mean(prec)), 3), "median_votes": round(float(np.mean(votes)), 1)}


def measure(engine: SearchEngine, split: str, method: str) -> list[dict]:
    judged = [j for j in load_split(DEVSET / "queries.jsonl", "query", split) if j.kind != "known_item"]
    rows = []
    for fname, flt in FILTERS.items():
        mask = engine.columns.mask(flt)
        pools = [(j.relevant, *top(engine.rank(j.text, mask, method).scores, engine.params.pool)) for j in judged]
        rules = {"relevance order": lambda pos, sc: pos[:10],
                 "half of the best (previous)": lambda pos, sc: half_of_best(pos, sc, engine)}
        for r in RATIOS:
            params = dataclasses.replace(engine.params, head_ratio=r)
            mark = " (default)" if r == engine.params.head_ratio else ""
            rules[f"from the floor, {r}{mark}"] = (
                lambda pos, sc, params=params: rerank(pos, sc, RankMode.votes, engine.columns, 10, params)[0])
        for name, rule in rules.items():
            stats = page_stats(engine, [(rel, rule(pos, sc)) for rel, pos, sc in pools])
            rows.append({"split": split, "method": method, "filter": fname, "rule": name, "queries": len(pools), **stats})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path)
    ap.add_argument("--split", choices=("tune", "heldout"), default="heldout")
    ap.add_argument("--method", choices=METHODS, default="learned")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    engine = SearchEngine.open(settings)
    try:
        rows = measure(engine, args.split, args.method)
    finally:
        engine.close()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"votes-sorted first page, {args.split} half, {args.method} ranker, {rows[0]['queries']} topic + question queries")
    print("| filter | head rule | P@10 | median votes |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['filter']} | {r['rule']} | {r['p_at_10']:.3f} | {r['median_votes']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
