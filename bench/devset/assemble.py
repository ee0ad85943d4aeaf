"""Assemble the dev set: first judgments + second independent reads -> queries.jsonl / similar.jsonl.

    python bench/devset/assemble.py SOURCE_DIR

SOURCE_DIR holds the first judge's files (`queries*.jsonl`, `new_*.jsonl`) and the
second judge's reviews (`review_*.jsonl`, one line per case:
`{"id", "verdict", "set": {arxiv_id: grade, 0 = remove}, "query_ok", "query"?, "lang"?, "reason"}`).
A review's grade changes and additions are applied, a rewritten query replaces
a query that broke the known-item rules, and the review is kept on the line
(`review`) so every judgment shows its second read. Every case must have a
review, or this refuses to write.

The split into a tuning half and a held-out half is made here, once: stratified
by (lang, kind) for queries and by whether the seed's summary is wrong for
similar cases, shuffled with a fixed seed, alternating within each stratum.
A case that already has a split keeps it, so re-running never moves a case.
"""
from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261123


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def apply_reviews(cases: list[dict], reviews: dict[str, dict]) -> list[dict]:
    missing = [c["id"] for c in cases if c["id"] not in reviews]
    if missing:
        raise SystemExit(f"no second read for {len(missing)} cases: {', '.join(missing[:10])} ...")
    out = []
    for c in cases:
        r = reviews[c["id"]]
        rel = dict(c["relevant"])
        for aid, g in (r.get("set") or {}).items():
            if int(g) == 0:
                rel.pop(aid, None)
            else:
                rel[aid] = int(g)
        c = {**c, "relevant": rel}
        if r.get("query_ok") is False and r.get("query"):
            c["query"] = r["query"]
        if r.get("lang"):
            c["lang"] = r["lang"]
        c["review"] = {"verdict": r.get("verdict", ""), "changes": len(r.get("set") or {}),
                       "query_rewritten": r.get("query_ok") is False, "reason": r.get("reason", "")}
        out.append(c)
    return out


def split(cases: list[dict], key) -> None:
    strata: dict[tuple, list[dict]] = defaultdict(list)
    for c in cases:
        if "split" not in c:
            strata[key(c)].append(c)
    rng = random.Random(SEED)
    for k in sorted(strata):
        group = sorted(strata[k], key=lambda c: c["id"])
        rng.shuffle(group)
        start = rng.randrange(2)
        for i, c in enumerate(group):
            c["split"] = ("tune", "heldout")[(i + start) % 2]


def main(src: Path) -> int:
    reviews = {r["id"]: r for f in sorted(src.glob("review_*.jsonl")) for r in read(f)}
    queries = [c for name in ("queries.jsonl", "new_known.jsonl", "new_qt.jsonl") for c in read(src / name)]
    similar = [c for name in ("similar.jsonl", "new_similar.jsonl") for c in read(src / name)]
    queries, similar = apply_reviews(queries, reviews), apply_reviews(similar, reviews)
    split(queries, lambda c: (c["lang"], c["kind"]))
    split(similar, lambda c: "wrong summary" in c.get("notes", "").lower())
    for name, cases in (("queries.jsonl", queries), ("similar.jsonl", similar)):
        (HERE / name).write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
        halves = {h: sum(c["split"] == h for c in cases) for h in ("tune", "heldout")}
        print(f"{name}: {len(cases)} cases {halves}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
