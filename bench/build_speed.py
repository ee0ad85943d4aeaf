"""Index build speed and peak memory, beside a plain SentenceTransformer.encode baseline.

    python bench/build_speed.py [--sample 300] [--skip-full] [--json]

Rows (each measured in its own subprocess, so peak RSS is per row):
  baseline      SentenceTransformer.encode of whole Korean summaries, batch 32, 2 threads,
                max_seq_length 512, on a sample of papers (extrapolated to the corpus)
  ours-sample   our embedding path (title + summary vectors) on the same sample
  full build    `build_index` of the whole corpus into an empty data dir
  no-op rerun   the same build again (nothing changed)
  new day       one day file added to a built index
Reported: papers/s, wall seconds (extrapolated for samples), peak RSS, and the
ratio to the baseline measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _sample_papers(n: int):
    from indexer.corpus import load_corpus
    from papersearch.settings import Settings

    papers, _ = load_corpus(Settings().corpus)
    step = max(1, len(papers) // n)
    return papers[::step][:n], len(papers)


def child_baseline(n: int) -> dict:
    import torch
    from sentence_transformers import SentenceTransformer

    from papersearch.settings import Settings
    from models.convert import ensure_checkpoint

    torch.set_num_threads(2)
    papers, total = _sample_papers(n)
    model = SentenceTransformer(str(ensure_checkpoint(Settings().model_cache)), device="cpu")
    model.max_seq_length = 512
    texts = ["passage: " + p.summary for p in papers]
    t = time.perf_counter()
    model.encode(texts, batch_size=32, normalize_embeddings=True)
    return {"papers": len(papers), "seconds": time.perf_counter() - t, "corpus": total}


def child_ours(n: int) -> dict:
    from indexer.build import embedder_for
    from indexer.build_steps import _embed
    from papersearch.settings import Settings

    papers, total = _sample_papers(n)
    emb = embedder_for(Settings())
    t = time.perf_counter()
    _embed(emb, list(enumerate(papers)), Settings().batch_size, progress=False)
    return {"papers": len(papers), "seconds": time.perf_counter() - t, "corpus": total}


def child_build(data_dir: str, corpus: str) -> dict:
    from indexer.build import build_index
    from papersearch.settings import Settings

    s = Settings(data_dir=Path(data_dir), corpus=corpus)
    t = time.perf_counter()
    r = build_index(s, progress=False)
    return {"papers": r.embedded, "indexed": r.papers, "seconds": time.perf_counter() - t}


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--skip-full", action="store_true", help="only the sampled rows")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        kind, *rest = a.child
        res = {"baseline": child_baseline, "ours": child_ours, "build": child_build}[kind](
            *([int(rest[0])] if kind in ("baseline", "ours") else rest))
        res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(res))
        return 0

    rows = []
    base = run_child("baseline", str(a.sample))
    base_rate = base["papers"] / base["seconds"]
    rows.append(("baseline (ST.encode, whole summary)", base_rate, base["corpus"] / base_rate, base["peak_rss_mb"]))
    ours = run_child("ours", str(a.sample))
    rows.append(("ours, same sample", ours["papers"] / ours["seconds"], ours["corpus"] / (ours["papers"] / ours["seconds"]),
                 ours["peak_rss_mb"]))
    if not a.skip_full:
        from papersearch.settings import Settings

        tmp = Path(tempfile.mkdtemp(prefix="papersearch-bench-"))
        try:
            corpus = tmp / "corpus"
            days = []
            for src in Settings().corpus:
                if src.is_dir():
                    shutil.copytree(src, corpus, dirs_exist_ok=True)
                    days = sorted(corpus.rglob("*.md"))
            # the newest day with a typical number of papers arrives later, as an increment
            day = next(d for d in reversed(days) if d.read_text(encoding="utf-8").count("\n### [") >= 10)
            held = tmp / "held.md"
            shutil.move(day, held)
            full = run_child("build", str(tmp / "data"), str(corpus))
            rows.append(("full build (all papers)", full["papers"] / full["seconds"], full["seconds"], full["peak_rss_mb"]))
            noop = run_child("build", str(tmp / "data"), str(corpus))
            rows.append((f"no-op rerun (embedded {noop['papers']})", float("nan"), noop["seconds"], noop["peak_rss_mb"]))
            shutil.move(held, day)
            inc = run_child("build", str(tmp / "data"), str(corpus))
            rows.append((f"new day ({inc['papers']} papers embedded)", inc["papers"] / inc["seconds"], inc["seconds"],
                         inc["peak_rss_mb"]))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    if a.json:
        print(json.dumps([{"row": r, "papers_per_s": p, "seconds": s, "peak_rss_mb": m, "vs_baseline": p / base_rate}
                          for r, p, s, m in rows], indent=2))
        return 0
    print(f"{'row':<40}{'papers/s':>10}{'seconds':>10}{'x base':>8}{'peak MB':>9}")
    for r, p, s, m in rows:
        print(f"{r:<40}{p:>10.2f}{s:>10.1f}{p / base_rate:>8.2f}{m:>9.0f}")
    print("(sample rows: seconds = extrapolated to the whole corpus)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
