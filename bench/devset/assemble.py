"""Assemble the dev set: first judgments + second independent reads -> queries.jsonl / similar.jsonl.

    python bench/devset/assemble.py SOURCE_DIR

SOURCE_DIR holds the first judge's files (`first_*.jsonl`, `new_*.jsonl`, listed by
round in QUERY_ROUNDS / SIMILAR_ROUNDS), the second judge's reviews (`review_*.jsonl`, one line per case:
`{"id", "verdict", "set": {arxiv_id: grade, 0 = remove}, "query_ok", "query"?, "lang"?, "reason"}`)
and later judging passes over existing cases (`feed_additions.jsonl`, one line per case:
`{"id", "file": "queries"|"similar", "add": {arxiv_id: grade}, "notes"}`, applied after the reviews:
grades only added, the pass's notes appended to the case's).
A review's grade changes and additions are applied, a rewritten query replaces
a query that broke the known-item rules, and the review is kept on the line
(`review`) so every judgment shows its second read. Every case must have a
review, or this refuses to write.

The split into a tuning half and a held-out half is made here, once per judging
round: stratified by (lang, kind) for queries and by whether the seed's summary
is wrong for similar cases, shuffled with a fixed seed, alternating within each
stratum. Each round is split on its own cases, so adding a round never moves a
case of an earlier one.
"""
from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261123
# First judge's files, one tuple per judging round (each round split on its own).
QUERY_ROUNDS = (("first_queries.jsonl", "new_known.jsonl", "new_qt.jsonl"), ("new_feed.jsonl",))
SIMILAR_ROUNDS = (("first_similar.jsonl", "new_similar.jsonl"),)
ADDITIONS = "feed_additions.jsonl"


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


def apply_additions(cases: list[dict], additions: list[dict], file: str) -> None:
    """Add a later pass's grades to existing cases (never changing one) and append its notes."""
    by_id = {c["id"]: c for c in cases}
    for a in additions:
        if a["file"] != file:
            continue
        c = by_id[a["id"]]
        clash = sorted(set(a["add"]) & set(c["relevant"]))
        if clash:
            raise SystemExit(f"{a['id']}: {ADDITIONS} would change existing grades of {', '.join(clash)}")
        c["relevant"] = {**c["relevant"], **{aid: int(g) for aid, g in a["add"].items()}}
        c["notes"] = f"{c.get('notes', '')} {a['notes']}".strip()


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
    additions = read(src / ADDITIONS) if (src / ADDITIONS).exists() else []
    queries: list[dict] = []
    for names in QUERY_ROUNDS:
        part = apply_reviews([c for name in names for c in read(src / name)], reviews)
        split(part, lambda c: (c["lang"], c["kind"]))
        queries += part
    similar: list[dict] = []
    for names in SIMILAR_ROUNDS:
        part = apply_reviews([c for name in names for c in read(src / name)], reviews)
        split(part, lambda c: "wrong summary" in c.get("notes", "").lower())
        similar += part
    apply_additions(queries, additions, "queries")
    apply_additions(similar, additions, "similar")
    for name, cases in (("queries.jsonl", queries), ("similar.jsonl", similar)):
        (HERE / name).write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
        halves = {h: sum(c["split"] == h for c in cases) for h in ("tune", "heldout")}
        print(f"{name}: {len(cases)} cases {halves}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
