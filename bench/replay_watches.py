"""Replay the corpus's last days as watches would have lived them, to choose and check the matcher's rule.

    python bench/replay_watches.py [--days 60] [--data-dir DIR] [--json]

Every topic and question query of the dev set (bench/devset/queries.jsonl) becomes a query watch with the
default ranker. The last --days digest days arrive one at a time: on each, the papers first featured that day
are new, and the corpus the watch's scores are standardised over (and its corpus statistics taken from) is
every paper featured up to that day, as the generation built that evening would hold. (BM25 weights, the
lexicon and the query adapters stay the full index's: a replay cannot rebuild 60 indexes.) A new paper is
kept when its score, z-scored against those statistics, clears the rule. Precision: kept papers judged
relevant (grade >= 1) over kept papers; recall: over the judged relevant papers first featured in the window.
Both pooled over the queries of a half (micro) and averaged per query (macro: precision over queries that
kept anything, recall over queries with a relevant paper in the window). The rule (a z threshold, optionally
with a cap of papers per watch and day) is chosen on the tuning half by F1 and reported on the held-out half.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.checkout import pin_defaults_to_checkout  # noqa: E402

pin_defaults_to_checkout()

from papersearch.settings import Settings  # noqa: E402
from search.engine import SearchEngine  # noqa: E402
from search.evaluation import Judged, load_judged  # noqa: E402
from search.follow.catchup import EngineSource  # noqa: E402
from search.follow.matching import ThresholdRule, corpus_stats, zscores  # noqa: E402
from search.follow.models import QuerySpec  # noqa: E402

DEVSET = ROOT / "bench" / "devset" / "queries.jsonl"
KINDS = ("topic", "question")
Z_GRID = [round(x, 2) for x in np.arange(1.0, 6.01, 0.25)]
CAPS = (None, 1, 2, 3, 5)


@dataclass
class Seen:
    """One watch's replay: per day, the new papers' z-scores (the rule is applied afterwards)."""
    query: str
    split: str
    relevant: set[str]                          # judged relevant and first featured in the window
    days: list[list[tuple[str, float]]]         # per day: (arxiv id, z), highest z first


@dataclass
class Figures:
    z_min: float
    cap: int | None
    kept: int
    hits: int
    relevant: int
    precision: float
    recall: float
    f1: float
    macro_precision: float
    macro_recall: float
    per_watch_day: float                        # papers kept per watch and day


def window(engine: SearchEngine, days: int) -> list[str]:
    """The last `days` digest days (days on which some paper was first featured)."""
    return sorted({p.first_seen for p in engine.papers if p.first_seen})[-days:]


def replay(engine: SearchEngine, judged: list[Judged], days: list[str]) -> list[Seen]:
    source = EngineSource(engine)
    first = np.array([p.first_seen or "" for p in engine.papers])
    ids = [p.arxiv_id for p in engine.papers]
    in_window = {ids[i] for i in np.nonzero(first >= days[0])[0]}
    out = []
    for n, j in enumerate(judged, 1):
        print(f"[replay] {n}/{len(judged)} {j.id}", file=sys.stderr, flush=True)
        method, _ = source.query_plan(QuerySpec(query=j.text))
        seen = Seen(j.text, j.split, {a for a, g in j.relevant.items() if g >= 1} & in_window, [])
        for day in days:
            known = first <= day                       # the corpus as that evening's generation holds it
            new = np.nonzero(first == day)[0]
            scores = engine.rank(j.text, known, method).scores
            z = zscores(scores[new], corpus_stats(scores, engine.generation, method))
            seen.days.append(sorted(((ids[i], float(x)) for i, x in zip(new, z)), key=lambda t: -t[1]))
        out.append(seen)
    return out


def figures(seen: list[Seen], z_min: float, cap: int | None) -> Figures:
    kept = hits = relevant = 0
    precisions, recalls = [], []
    for s in seen:
        mine = [a for day in s.days for a in [a for a, z in day if z >= z_min][:cap]]
        good = len(set(mine) & s.relevant)
        kept, hits, relevant = kept + len(mine), hits + good, relevant + len(s.relevant)
        if mine:
            precisions.append(good / len(mine))
        if s.relevant:
            recalls.append(good / len(s.relevant))
    p = hits / kept if kept else 0.0
    r = hits / relevant if relevant else 0.0
    watch_days = sum(len(s.days) for s in seen) or 1
    return Figures(z_min, cap, kept, hits, relevant, p, r, 2 * p * r / (p + r) if p + r else 0.0,
                   float(np.mean(precisions)) if precisions else 0.0, float(np.mean(recalls)) if recalls else 0.0,
                   kept / watch_days)


def choose(seen: list[Seen]) -> Figures:
    """The rule with the best micro F1 on these watches; ties go to the higher threshold (fewer alerts)."""
    return max((figures(seen, z, cap) for z in Z_GRID for cap in CAPS), key=lambda f: (round(f.f1, 4), f.z_min))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    engine = SearchEngine.open(Settings(**({"data_dir": a.data_dir} if a.data_dir else {})))
    judged = [j for j in load_judged(DEVSET, "query") if j.kind in KINDS]
    days = window(engine, a.days)
    seen = replay(engine, judged, days)
    halves = {h: [s for s in seen if s.split == h] for h in ("tune", "heldout")}
    best = choose(halves["tune"])
    current = ThresholdRule()
    rows = {"chosen on tune": (best.z_min, best.cap), f"current rule (z >= {current.z_min})": (current.z_min, None)}
    for z in (1.5, 2.0, 2.5, 3.0, 3.5, 4.0):
        if (z, None) not in rows.values():
            rows[f"z >= {z}"] = (z, None)
    table = [{"rule": name, "half": h, **asdict(figures(halves[h], z, cap))}
             for name, (z, cap) in rows.items() for h in halves]
    head = {"generation": engine.generation, "papers": engine.size, "days": [days[0], days[-1], len(days)],
            "new_papers": sum(len(d) for d in seen[0].days) if seen else 0,
            "watches": {h: len(v) for h, v in halves.items()},
            "relevant_in_window": {h: sum(len(s.relevant) for s in v) for h, v in halves.items()},
            "method": EngineSource(engine).query_plan(QuerySpec(query="x"))[0]}
    engine.close()
    if a.json:
        print(json.dumps({**head, "chosen": asdict(best), "rows": table}, indent=2))
        return 0
    print(f"generation {head['generation']} ({head['papers']} papers); days {days[0]} .. {days[-1]} ({len(days)}, "
          f"{head['new_papers']} new papers); watches (topic + question queries, {head['method']} ranker): "
          f"tune {head['watches']['tune']}, held-out {head['watches']['heldout']}; judged relevant papers first "
          f"featured in the window: tune {head['relevant_in_window']['tune']}, "
          f"held-out {head['relevant_in_window']['heldout']}")
    print(f"\n{'rule':<26}{'half':<9}{'kept':>6}{'hits':>6}{'P':>7}{'R':>7}{'F1':>7}{'macro P':>9}{'macro R':>9}"
          f"{'per watch-day':>15}")
    for r in table:
        cap = "" if r["cap"] is None else f", cap {r['cap']}/day"
        name = r["rule"] if r["rule"] != "chosen on tune" else f"chosen: z >= {r['z_min']}{cap}"
        print(f"{name:<26}{r['half']:<9}{r['kept']:>6}{r['hits']:>6}{r['precision']:>7.3f}{r['recall']:>7.3f}"
              f"{r['f1']:>7.3f}{r['macro_precision']:>9.3f}{r['macro_recall']:>9.3f}{r['per_watch_day']:>15.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
