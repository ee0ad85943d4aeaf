"""How well the "summary suspect" flag works, estimated from hand-judged random samples (no label list exists).

    python bench/suspect_sample.py draw  [--data-dir DIR] [--seed 22] [--sizes 70,40,150,60] [--out FILE]
    python bench/suspect_sample.py band  [--data-dir DIR] [--below 0.998] [--out FILE]
    python bench/suspect_sample.py print [--sample FILE] [--start 0] [--count 40]
    python bench/suspect_sample.py score [--sample FILE] [--band FILE] [--judged FILE] [--json]

`draw` takes seeded random samples from four strata of an index's papers that have a Korean summary:
flagged / not flagged x with / without an English abstract (sizes in that order: flagged with, flagged
without, unflagged with, unflagged without), and writes them in one shuffled order, so a judge reading them
with `print` does not see which stratum a paper came from. `print` shows each paper's id, title, abstract and
summary. A judge writes one line per paper to the judged file: {"arxiv_id", "verdict": "wrong" | "right" |
"unsure", "reason"}; "wrong" = the summary describes a different paper (or none: generic filler).

A random sample of ~150 unflagged papers bounds their share of wrong summaries only loosely (0 of 150 still
allows 2.5%), while the misses a threshold makes sit just above it. `band` lists every unflagged paper with
an abstract whose summary–abstract agreement is below `--below` (just above the flag's threshold): judged in
full, they are counted exactly, and the random sample then estimates only the papers above the band.

`score` computes, per abstract group: the flag's precision (wrong among flagged), the share of wrong summaries
among unflagged papers, and from those and the stratum sizes the estimated recall (share of all wrong
summaries that are flagged) and false-positive rate (share of the other papers that are flagged), with 95%
Wilson intervals for the two sampled shares and the estimates' intervals from their bounds (conservative).
"unsure" verdicts are left out and counted.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.checkout import pin_defaults_to_checkout  # noqa: E402

pin_defaults_to_checkout()

from indexer.reading.reader import open_index  # noqa: E402
from indexer.text.passages import summary_text  # noqa: E402
from papersearch.settings import Settings  # noqa: E402

JUDGING = ROOT / "bench" / "devset" / "judging"
SAMPLE = JUDGING / "suspect_sample.jsonl"
JUDGED = JUDGING / "suspect_judged.jsonl"
BAND = JUDGING / "suspect_band.jsonl"
STRATA = ("flagged/abstract", "flagged/no abstract", "unflagged/abstract", "unflagged/no abstract")


def strata(data_dir: Path) -> tuple[dict[str, list[str]], dict[str, dict]]:
    """Stratum -> arXiv ids (papers with a Korean summary), and per id what the sample prints."""
    idx = open_index(data_dir)
    try:
        papers = dict(idx.store.all())
        sus = idx.suspicion()
        flagged = sus.flagged
        out: dict[str, list[str]] = {s: [] for s in STRATA}
        info: dict[str, dict] = {}
        for i, rid in enumerate(idx.ids):
            p = papers[int(rid)]
            if not p.summary and not p.sections:
                continue
            key = f"{'flagged' if flagged[i] else 'unflagged'}/{'abstract' if p.abstract else 'no abstract'}"
            out[key].append(p.arxiv_id)
            v = sus.verdict(i)
            info[p.arxiv_id] = {"arxiv_id": p.arxiv_id, "stratum": key, "title": p.title,
                                "abstract": " ".join(p.abstract.split()), "summary": summary_text(p),
                                "agreement": v.agreement, "abstract_agreement": v.abstract_agreement}
        return out, info
    finally:
        idx.close()


def draw(data_dir: Path, seed: int, sizes: list[int], out: Path) -> None:
    groups, info = strata(data_dir)
    rng = np.random.default_rng(seed)
    picked = []
    for s, k in zip(STRATA, sizes):
        ids = sorted(groups[s])
        picked += [ids[j] for j in rng.choice(len(ids), size=min(k, len(ids)), replace=False)]
    picked = [picked[j] for j in rng.permutation(len(picked))]
    counts = {s: len(v) for s, v in groups.items()}
    with out.open("w", encoding="utf-8") as f:
        f.write(json.dumps({"seed": seed, "sizes": sizes, "population": counts}) + "\n")
        for a in picked:
            f.write(json.dumps(info[a], ensure_ascii=False) + "\n")
    print(f"{len(picked)} papers -> {out}; population {counts}")


def band(data_dir: Path, below: float, out: Path) -> None:
    """Every unflagged paper with an abstract whose agreement is under `below`: a census near the threshold."""
    groups, info = strata(data_dir)
    ids = sorted(a for a in groups["unflagged/abstract"] if info[a]["abstract_agreement"] < below)
    with out.open("w", encoding="utf-8") as f:
        f.write(json.dumps({"below": below, "population": {"band": len(ids)}}) + "\n")
        for a in ids:
            f.write(json.dumps(info[a], ensure_ascii=False) + "\n")
    print(f"{len(ids)} papers -> {out}")


def read_sample(path: Path) -> tuple[dict, list[dict]]:
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return lines[0], lines[1:]


def show(sample: Path, start: int, count: int, width: int) -> None:
    """Papers without their stratum or scores: the judge reads title, abstract and summary only."""
    _, rows = read_sample(sample)
    for n, r in enumerate(rows[start:start + count], start):
        print(f"#{n} {r['arxiv_id']}\nT: {r['title']}\nA: {r['abstract'][:width] or '(no abstract)'}\n"
              f"S: {r['summary'][:width]}\n")


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def estimate(n_flag: int, n_unflag: int, prec: float, miss: float) -> tuple[float, float]:
    """(recall, false-positive rate) of the flag over a group, from its sampled shares."""
    wrong_flagged, wrong_missed = n_flag * prec, n_unflag * miss
    right_flagged, right_kept = n_flag * (1 - prec), n_unflag * (1 - miss)
    recall = wrong_flagged / (wrong_flagged + wrong_missed) if wrong_flagged + wrong_missed else 1.0
    fpr = right_flagged / (right_flagged + right_kept) if right_flagged + right_kept else 0.0
    return recall, fpr


def score(sample: Path, judged: Path, band_file: Path | None = None) -> dict:
    head, rows = read_sample(sample)
    verdicts = {}
    for line in judged.read_text(encoding="utf-8").splitlines():
        if line.strip():
            j = json.loads(line)
            verdicts[j["arxiv_id"]] = j["verdict"]
    by = {s: [verdicts.get(r["arxiv_id"]) for r in rows if r["stratum"] == s] for s in STRATA}
    report = {"seed": head["seed"], "population": head["population"]}
    if band_file is not None:
        bhead, brows = read_sample(band_file)
        edge = bhead["below"]
        census = [verdicts.get(r["arxiv_id"]) for r in brows]
        # the random sample now stands for the unflagged papers above the band only
        by["unflagged/abstract"] = [verdicts.get(r["arxiv_id"]) for r in rows if r["stratum"] == "unflagged/abstract"
                                    and r["abstract_agreement"] >= edge]
        report["band"] = {"below": edge, "papers": len(brows), "wrong": census.count("wrong"),
                          "unsure": census.count("unsure"), "missing": census.count(None)}
    for group in ("abstract", "no abstract"):
        f, u = by[f"flagged/{group}"], by[f"unflagged/{group}"]
        fw, fn = f.count("wrong"), f.count("wrong") + f.count("right")
        uw, un = u.count("wrong"), u.count("wrong") + u.count("right")
        nf, nu = head["population"][f"flagged/{group}"], head["population"][f"unflagged/{group}"]
        prec, miss = (fw / fn if fn else 0.0), (uw / un if un else 0.0)
        (p_lo, p_hi), (m_lo, m_hi) = wilson(fw, fn), wilson(uw, un)
        b = report.get("band") if group == "abstract" else None
        if b:  # the band's papers counted exactly, the rest estimated: one overall share of wrong among unflagged
            far = nu - b["papers"]
            miss, m_lo, m_hi = ((b["wrong"] + far * x) / nu for x in (miss, m_lo, m_hi))
        recall, fpr = estimate(nf, nu, prec, miss)
        # the estimates' bounds: worst and best combinations of the two shares' bounds
        r_lo, f_hi = estimate(nf, nu, p_lo, m_hi)[0], estimate(nf, nu, p_lo, m_lo)[1]
        r_hi, f_lo = estimate(nf, nu, p_hi, m_lo)[0], estimate(nf, nu, p_hi, m_hi)[1]
        report[group] = {
            "papers": {"flagged": nf, "unflagged": nu},
            "judged": {"flagged": fn, "unflagged": un, "unsure": f.count("unsure") + u.count("unsure"),
                       "missing": f.count(None) + u.count(None)},
            "precision": [round(prec, 3), round(p_lo, 3), round(p_hi, 3)],
            "wrong_among_unflagged": [round(miss, 4), round(m_lo, 4), round(m_hi, 4)],
            "base_rate": round((nf * prec + nu * miss) / (nf + nu), 4),
            "recall": [round(recall, 3), round(r_lo, 3), round(r_hi, 3)],
            "false_positive_rate": [round(fpr, 4), round(f_lo, 4), round(f_hi, 4)],
        }
    if band_file is not None:
        report["title_rule_on_abstract_papers"] = title_rule(head, rows, brows, verdicts)
    return report


def title_rule(head: dict, rows: list[dict], brows: list[dict], verdicts: dict, below: float = 0.82) -> dict:
    """Today's title rule (agreement < 0.82) on the same judged papers with an abstract, each judged paper
    weighted by how many papers of its stratum it stands for: point estimates, for comparison."""
    pop = head["population"]
    band_ids = {r["arxiv_id"] for r in brows}
    flagged = [r for r in rows if r["stratum"] == "flagged/abstract"]
    far = [r for r in rows if r["stratum"] == "unflagged/abstract" and r["arxiv_id"] not in band_ids]
    weighted = [(r, pop["flagged/abstract"] / len(flagged)) for r in flagged]
    weighted += [(r, 1.0) for r in brows]
    weighted += [(r, (pop["unflagged/abstract"] - len(brows)) / len(far)) for r in far]
    wrong = sum(w for r, w in weighted if verdicts.get(r["arxiv_id"]) == "wrong")
    right = sum(w for r, w in weighted if verdicts.get(r["arxiv_id"]) == "right")
    caught = sum(w for r, w in weighted if verdicts.get(r["arxiv_id"]) == "wrong" and r["agreement"] < below)
    false = sum(w for r, w in weighted if verdicts.get(r["arxiv_id"]) == "right" and r["agreement"] < below)
    return {"recall": round(caught / wrong, 3), "false_positive_rate": round(false / right, 4),
            "flagged": round(caught + false)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=("draw", "band", "print", "score"))
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--sizes", default="70,40,150,60")
    ap.add_argument("--sample", type=Path, default=SAMPLE)
    ap.add_argument("--judged", type=Path, default=JUDGED)
    ap.add_argument("--band", type=Path, default=None, help="score: the census file `band` wrote")
    ap.add_argument("--below", type=float, default=0.998)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--width", type=int, default=420)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    data_dir = a.data_dir or Settings().data_dir
    if a.command == "draw":
        draw(data_dir, a.seed, [int(x) for x in a.sizes.split(",")], a.out or a.sample)
    elif a.command == "band":
        band(data_dir, a.below, a.out or BAND)
    elif a.command == "print":
        show(a.sample, a.start, a.count, a.width)
    else:
        r = score(a.sample, a.judged, a.band)
        if a.json:
            print(json.dumps(r, indent=1))
            return
        print(f"seed {r['seed']}; [estimate, 95% low, 95% high]" + (f"; band {r['band']}" if "band" in r else ""))
        for group in ("abstract", "no abstract"):
            g = r[group]
            print(f"{group}: papers {g['papers']}, judged {g['judged']}\n  precision {g['precision']}  "
                  f"wrong among unflagged {g['wrong_among_unflagged']}  base rate {g['base_rate']}\n"
                  f"  recall {g['recall']}  false-positive rate {g['false_positive_rate']}")
        if "title_rule_on_abstract_papers" in r:
            print(f"today's title rule on the papers with an abstract (weighted point estimates): "
                  f"{r['title_rule_on_abstract_papers']}")


if __name__ == "__main__":
    main()
