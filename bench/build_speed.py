"""Index build speed, per encoder path and per stage, beside a plain SentenceTransformer.encode baseline.

    python bench/build_speed.py [--sample 200] [--full int8,fp32] [--skip-full] [--json]

Sample rows (each in its own subprocess, so peak RSS is per row; seconds are
extrapolated to the whole corpus):
  baseline        SentenceTransformer.encode (torch fp32) of the summary texts, batch 32
  <encoder>       our embedding path (title + summary vectors) with that encoder:
                  onnx-int8 (the default on every CPU), onnx-fp32, torch-fp32, and
                  torch-bf16 where the CPU has native bf16; cosine of its summary
                  vectors to the baseline's, same texts
Whole-corpus rows, each a `papersearch index --json` subprocess timed from
outside (process start and imports included), for each path in --full:
  full build      into an empty data dir, with where the time went per stage
  no-op rerun     the same build again (nothing changed)
  new day         the newest typical day file added to the built index
The CPU's name and whether it has AVX512-BF16 / VNNI head the table.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.checkout import pin_defaults_to_checkout  # noqa: E402

pin_defaults_to_checkout()

PATHS = {  # encoder -> settings that force it
    "onnx-int8": {"PAPERSEARCH_ENGINE": "onnx", "PAPERSEARCH_PRECISION": "int8"},
    "onnx-fp32": {"PAPERSEARCH_ENGINE": "onnx", "PAPERSEARCH_PRECISION": "fp32"},
    "torch-fp32": {"PAPERSEARCH_ENGINE": "torch", "PAPERSEARCH_PRECISION": "fp32"},
    "torch-bf16": {"PAPERSEARCH_ENGINE": "torch", "PAPERSEARCH_PRECISION": "bf16"},
}


def cpu_description() -> str:
    name, flags = "unknown CPU", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and name == "unknown CPU":
                name = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    has = [f for f in ("avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16") if f in flags]
    return f"{name}, {os.cpu_count()} cores; {' '.join(has) or 'no AVX-512'}"


def has_bf16() -> bool:
    return "avx512_bf16" in cpu_description()


def _sample_papers(n: int):
    from indexer.ingest.corpus import load_corpus
    from papersearch.settings import Settings

    papers, _ = load_corpus(Settings().corpus)
    step = max(1, len(papers) // n)
    return papers[::step][:n], len(papers)


def child_baseline(n: int, out: str) -> dict:
    import torch
    from sentence_transformers import SentenceTransformer

    from indexer.text.passages import field_text
    from models.convert import ensure_checkpoint
    from papersearch.settings import Settings

    torch.set_num_threads(os.cpu_count() or 2)
    papers, total = _sample_papers(n)
    model = SentenceTransformer(str(ensure_checkpoint(Settings().model_cache)), device="cpu")
    model.max_seq_length = 512
    texts = ["passage: " + field_text(p, "summary") for p in papers]
    t = time.perf_counter()
    vecs = model.encode(texts, batch_size=32, normalize_embeddings=True)
    seconds = time.perf_counter() - t
    np.save(out, vecs.astype(np.float32))
    return {"papers": len(papers), "seconds": seconds, "corpus": total}


def child_ours(n: int, out: str) -> dict:
    from indexer.pipeline.encoding import embed_papers
    from models.loading import embedder_for
    from papersearch.settings import Settings

    papers, total = _sample_papers(n)
    emb = embedder_for(Settings())
    stages: dict = {}
    t = time.perf_counter()
    vecs = embed_papers(emb, list(enumerate(papers)), Settings().batch_size, False, stages)
    seconds = time.perf_counter() - t
    np.save(out, np.stack([vecs[i]["summary"] for i in range(len(papers))]))
    return {"papers": len(papers), "seconds": seconds, "corpus": total, "encoder": emb.encoder}


def run_child(*args: str, env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                         check=False, env={**os.environ, **(env or {})})
    if out.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_index(data_dir: Path, corpus: Path, env: dict) -> dict:
    """`papersearch index --json` in a fresh process: wall time from outside, peak RSS of the child."""
    cli = Path(sys.executable).parent / "papersearch"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    out = subprocess.run([str(cli), "index", "--json"], capture_output=True, text=True, check=False,
                         env={**os.environ, **env, "PAPERSEARCH_DATA_DIR": str(data_dir),
                              "PAPERSEARCH_CORPUS": str(corpus)})
    wall = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"papersearch index failed:\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    res["wall"] = wall
    res["peak_rss_mb"] = peak / 1024 if peak > before else float("nan")  # max over children so far
    return res


def whole_corpus_rows(encoder: str) -> list[dict]:
    from papersearch.settings import Settings

    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="papersearch-bench-"))
    try:
        corpus = tmp / "corpus"
        days: list[Path] = []
        for src in Settings().corpus:
            if src.is_dir():
                shutil.copytree(src, corpus, dirs_exist_ok=True)
                days = sorted(corpus.rglob("*.md"))
        # the newest day with a typical number of papers arrives later, as an increment
        day = next(d for d in reversed(days) if d.read_text(encoding="utf-8").count("\n### [") >= 10)
        held = tmp / "held.md"
        shutil.move(day, held)
        env = PATHS[encoder]
        for label, prepare in (("full build", None), ("no-op rerun", None), ("new day", lambda: shutil.move(held, day))):
            if prepare:
                prepare()
            r = run_index(tmp / "data", corpus, env)
            rows.append({"row": f"{label} ({encoder}, {r['embedded']} embedded)", "encoder": encoder,
                         "papers_per_s": r["embedded"] / r["wall"] if r["embedded"] else float("nan"),
                         "seconds": r["wall"], "peak_rss_mb": r["peak_rss_mb"], "stages": r.get("stages", {})})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--full", default="onnx-int8", help="encoders to run whole-corpus rows for, comma-separated")
    ap.add_argument("--skip-full", action="store_true", help="only the sampled rows")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        kind, n, out = a.child
        res = {"baseline": child_baseline, "ours": child_ours}[kind](int(n), out)
        res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(res))
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="papersearch-bench-vecs-"))
    rows: list[dict] = []
    try:
        base = run_child("baseline", str(a.sample), str(tmp / "base.npy"))
        base_vecs = np.load(tmp / "base.npy")
        base_rate = base["papers"] / base["seconds"]
        rows.append({"row": "baseline (ST.encode fp32, summaries)", "papers_per_s": base_rate,
                     "seconds": base["corpus"] / base_rate, "peak_rss_mb": base["peak_rss_mb"], "cos": (1.0, 1.0)})
        for encoder, env in PATHS.items():
            if encoder == "torch-bf16" and not has_bf16():
                continue
            r = run_child("ours", str(a.sample), str(tmp / f"{encoder}.npy"), env=env)
            cos = (np.load(tmp / f"{encoder}.npy") * base_vecs).sum(axis=1)
            rate = r["papers"] / r["seconds"]
            rows.append({"row": f"{encoder}, same sample (titles too)", "papers_per_s": rate,
                         "seconds": r["corpus"] / rate, "peak_rss_mb": r["peak_rss_mb"],
                         "cos": (float(cos.min()), float(cos.mean()))})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not a.skip_full:
        for encoder in a.full.split(","):
            rows.extend(whole_corpus_rows(encoder.strip()))

    if a.json:
        print(json.dumps({"cpu": cpu_description(), "rows": rows}, indent=2))
        return 0
    print(f"CPU: {cpu_description()}")
    print(f"{'row':<44}{'papers/s':>9}{'seconds':>9}{'x base':>8}{'peak MB':>9}{'cos min/mean':>16}")
    for r in rows:
        cos = f"{r['cos'][0]:.4f}/{r['cos'][1]:.4f}" if "cos" in r else ""
        print(f"{r['row']:<44}{r['papers_per_s']:>9.2f}{r['seconds']:>9.1f}"
              f"{r['papers_per_s'] / base_rate:>8.2f}{r['peak_rss_mb']:>9.0f}{cos:>16}")
    print("(sample rows: seconds extrapolated to the whole corpus; whole-corpus rows: wall time of "
          "`papersearch index` including process start)")
    for r in rows:
        if r.get("stages"):
            print(f"  {r['row']}: " + " · ".join(f"{k} {v['seconds']:.1f}s ({v['peak_mb']:.0f} MB)"
                                                for k, v in r["stages"].items() if v["seconds"] >= 0.05))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
