"""Retrieval quality on the judged dev set: BM25 / dense / hybrid / final, per half, language and kind.

    python bench/quality.py [--data-dir DIR] [--split tune|heldout|all] [--json]
                            [--fusion rrf|zscore] [--dense-weight W] [--title-weight W] [--expansion W]
                            [--baseline WEIGHTS] [--models WEIGHTS] [--views V,..] [--gloss keep|zero|abstract]
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

Coverage views (issue 22: the feed's English abstracts cover part of the corpus),
every ranker in each, "today" being the learned fusion with the weights frozen
before the abstract features (bench/baseline_fusion_weights.json) over the same index:
  corpus    the index as it is;
  covered   only the cases whose relevant papers all have an abstract;
  full      "full coverage": the corpus restricted to the papers with an abstract (a
            row mask) and the judgments likewise; cases left with nothing relevant,
            and similar cases whose seed has no abstract, are dropped.
Each slice's case count is printed beside its figures; slice "feed-only" holds the
cases with a grade-2 paper that only the feed has (no Korean summary).

--gloss measures whether the English gloss view (indexer.text.gloss, ~61 s of a
build) is redundant where an abstract exists: "zero" drops the gloss vector of every
paper with an abstract (as if only the others were glossed), "abstract" puts the
abstract vector in its place; in memory only, for every ranker (today's too).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from contextlib import contextmanager
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
from search.rankers.learned import LinearFusion, load_models  # noqa: E402
from search.rankers.query import METHODS  # noqa: E402
from search.rankers.ranking import HybridParams  # noqa: E402
from search.rankers.similar import SIMILAR_METHODS, Seeds  # noqa: E402

DEVSET = ROOT / "bench" / "devset"
BASELINE = ROOT / "bench" / "baseline_fusion_weights.json"
DEPTH = 50
SPLITS = ("tune", "heldout")
VIEWS = ("corpus", "covered", "full")


def load_split(path: Path, text_key: str, split: str) -> list[Judged]:
    judged = load_judged(path, text_key)
    return judged if split == "all" else [j for j in judged if j.split == split]


@contextmanager
def using(engine: SearchEngine, models: dict[str, LinearFusion]):
    """The engine's learned rankers with other weights for a while (today's, side by side in one run)."""
    old, engine.models = engine.models, models
    try:
        yield
    finally:
        engine.models = old


GLOSS_MODES = ("keep", "zero", "abstract")


def gloss_where_abstract(engine: SearchEngine, mode: str) -> None:
    """In memory: the gloss vectors of papers with an abstract kept, zeroed or replaced by the abstract's."""
    view = engine.view
    if mode == "keep" or view.gloss_vecs is None or view.has_abstract is None:
        return
    g = view.gloss_vecs.copy()
    g[view.has_abstract] = 0.0 if mode == "zero" else view.abstract_vecs[view.has_abstract]
    engine.view = dataclasses.replace(view, gloss_vecs=g)


def run_queries(engine: SearchEngine, judged: list[Judged], methods=METHODS, dump: list[dict] | None = None,
                mask: np.ndarray | None = None, baseline: dict[str, LinearFusion] | None = None,
                ) -> dict[str, dict[str, list[str]]]:
    runs: dict[str, dict[str, list[str]]] = {m: {} for m in methods}
    if baseline:
        runs["today"] = {}
    for j in judged:
        per, _ = engine.rankings(j.text, mask, methods)
        if baseline:
            with using(engine, baseline):
                per["today"] = engine.rankings(j.text, mask, ("learned",))[0]["learned"]
        for m in runs:
            pos, scores = top(per[m], DEPTH)
            runs[m][j.id] = [engine.papers[int(p)].arxiv_id for p in pos]
            if dump is not None:
                dump.append(dumped(j.id, m, runs[m][j.id], scores))
        if dump is not None and mask is None:  # the served path end to end: default ranker, rank mode, results
            r = engine.search(j.text, k=10)
            dump.append(dumped(j.id, f"search-{r.method}", [x.arxiv_id for x in r.results], [x.score for x in r.results]))
    return runs


def dumped(case: str, method: str, ids: list[str], scores) -> dict:
    """One case's top 10 of one ranker, for --dump-rankings."""
    return {"case": case, "method": method, "ids": ids[:10], "scores": [float(s) for s in scores[:10]]}


def bm25_seed_text(engine: SearchEngine, arxiv_id: str, mask: np.ndarray | None = None) -> list[str]:
    """Baseline: plain BM25 with the seed's whole title + summary as the query."""
    p = engine.paper(arxiv_id)
    s = engine.view.lexical.scores(tokens(field_text(p, "title") + " " + field_text(p, "summary")))
    s[engine.pos_of[p.arxiv_id]] = -np.inf
    live = s > 0 if mask is None else (s > 0) & mask
    pos, _ = top(np.where(live, s, -np.inf), DEPTH)
    return [engine.papers[int(i)].arxiv_id for i in pos]


def similar_ids(engine: SearchEngine, seed: str, method: str, mask: np.ndarray | None) -> tuple[list[str], np.ndarray]:
    """The top DEPTH of one find-similar ranker, the seed and the rows outside `mask` excluded."""
    live = np.ones(engine.size, dtype=bool) if mask is None else mask.copy()
    at = engine.pos_of[seed]
    live[at] = False
    scores = SIMILAR_METHODS.get(method)(Seeds([at], [], live, engine.view, engine.dense, engine.models))
    pos, s = top(scores, DEPTH)
    return [engine.papers[int(i)].arxiv_id for i in pos], s


def run_similar(engine: SearchEngine, judged: list[Judged], dump: list[dict] | None = None,
                mask: np.ndarray | None = None, baseline: dict[str, LinearFusion] | None = None,
                ) -> dict[str, dict[str, list[str]]]:
    methods = [(f"sim-{m}", m, engine.models) for m in ("dense", "lexical")]
    if "similar" in engine.models:
        methods.append(("sim-learned", "learned", engine.models))
    if baseline and "similar" in baseline:
        methods.append(("sim-today", "learned", baseline))
    runs: dict[str, dict[str, list[str]]] = {name: {} for name, _, _ in methods}
    for name, m, models in methods:
        with using(engine, models):
            for j in judged:
                runs[name][j.id], scores = similar_ids(engine, j.text, m, mask)
                if dump is not None:
                    dump.append(dumped(j.id, name, runs[name][j.id], scores))
    runs["bm25-seed-text"] = {j.id: bm25_seed_text(engine, j.text, mask) for j in judged}
    return runs


def feed_only(engine: SearchEngine) -> set[str]:
    """Papers only the feed has: no Korean summary."""
    return {p.arxiv_id for p in engine.papers if not p.summary}


def groups(judged: list[Judged], feed: set[str] | None = None) -> list[tuple[str, list[Judged]]]:
    out = [("all", judged)]
    for attr in ("lang", "kind"):
        for v in sorted({getattr(j, attr) for j in judged}):
            out.append((f"{attr}={v}", [j for j in judged if getattr(j, attr) == v]))
    if feed is not None:
        out.append(("feed-only", [j for j in judged if any(g == 2 and a in feed for a, g in j.relevant.items())]))
    return out


def covered(judged: list[Judged], with_abstract: set[str]) -> list[Judged]:
    """View "covered": the cases whose relevant papers all have an abstract."""
    return [j for j in judged if all(a in with_abstract for a, g in j.relevant.items() if g > 0)]


def restricted(judged: list[Judged], with_abstract: set[str], seeds: bool = False) -> list[Judged]:
    """View "full": judgments restricted to papers with an abstract; a case left with nothing relevant (or,
    for similar cases, whose seed has none) is dropped."""
    out = []
    for j in judged:
        rel = {a: g for a, g in j.relevant.items() if a in with_abstract and g > 0}
        if rel and (not seeds or j.text in with_abstract):
            out.append(dataclasses.replace(j, relevant=rel))
    return out


def table(rows: list[tuple[str, str, str, Scores]]) -> str:
    lines = [f"{'half':<17}{'slice':<18}{'method':<15}{'n':>4}{'nDCG@10':>9}{'MRR@10':>8}{'R@10':>7}{'R@50':>7}"]
    for half, name, method, s in rows:
        lines.append(f"{half:<17}{name:<18}{method:<15}{s.n:>4}{s.ndcg10:>9.3f}{s.mrr10:>8.3f}"
                     f"{s.recall10:>7.3f}{s.recall50:>7.3f}")
    return "\n".join(lines)


def evaluate(engine: SearchEngine, splits: tuple[str, ...], devset: Path = DEVSET,
             dump: list[dict] | None = None, baseline: dict[str, LinearFusion] | None = None,
             views: tuple[str, ...] = ("corpus",)) -> list[tuple[str, str, str, Scores]]:
    """Score rows per half (and coverage view: "half/view" beyond the corpus), slice and ranker; with `dump`,
    each case's top 10 per ranker is appended to it."""
    methods = tuple(m for m in METHODS if m != "learned" or "query" in engine.models)
    has = engine.view.has_abstract if engine.view.has_abstract is not None else np.zeros(engine.size, dtype=bool)
    with_abstract = {p.arxiv_id for p, h in zip(engine.papers, has) if h}
    feed = feed_only(engine)
    rows = []
    for half in splits:
        queries = load_split(devset / "queries.jsonl", "query", half)
        similar = load_split(devset / "similar.jsonl", "arxiv_id", half)
        for view in views:
            label = half if view == "corpus" else f"{half}/{view}"
            mask = has if view == "full" else None
            q = restricted(queries, with_abstract) if view == "full" else queries
            sim = restricted(similar, with_abstract, seeds=True) if view == "full" else similar
            runs = run_queries(engine, q, methods, dump if view == "corpus" else None, mask, baseline)
            if view == "covered":
                q, sim = covered(queries, with_abstract), covered(similar, with_abstract)
            rows += [(label, name, m, score_all(runs[m], subset)) for name, subset in groups(q, feed) for m in runs]
            for m, run in run_similar(engine, sim, dump if view == "corpus" else None, mask, baseline).items():
                rows.append((label, "similar", m, score_all(run, sim)))
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
    ap.add_argument("--baseline", type=Path, default=BASELINE,
                    help="weights of the ranker to compare with side by side ('today'); a missing file: none")
    ap.add_argument("--models", type=Path, help="weights of the learned rankers (default: the shipped ones)")
    ap.add_argument("--views", default="corpus,covered,full",
                    help=f"coverage views to report, comma-separated from {','.join(VIEWS)}")
    ap.add_argument("--gloss", choices=GLOSS_MODES, default="keep",
                    help="gloss vectors of papers with an abstract: keep, zero, or the abstract's (experiment)")
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
    engine = SearchEngine.open(settings, params=params, models=load_models(a.models) if a.models else None)
    gloss_where_abstract(engine, a.gloss)
    if a.title_weight is not None:
        engine.set_weights({"title": a.title_weight, "summary": 1 - a.title_weight})
    dump: list[dict] | None = [] if a.dump_rankings else None
    views = tuple(v for v in a.views.split(",") if v)
    if set(views) - set(VIEWS):
        ap.error(f"--views: expected some of {', '.join(VIEWS)}")
    rows = evaluate(engine, SPLITS if a.split == "both" else (a.split,), a.devset, dump, load_models(a.baseline), views)
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
