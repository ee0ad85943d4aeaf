"""Index build speed, per encoder path and per stage, beside a plain SentenceTransformer.encode baseline.

    python bench/build_speed.py [--sample 200] [--full onnx-int8,onnx-fp32] [--skip-full | --skip-sample]
        [--gloss-scope all,without-abstract] [--from-index DATA_DIR] [--tokens] [--json]

Sample rows (each in its own subprocess, so peak RSS is per row; seconds are
extrapolated to the whole corpus):
  baseline        SentenceTransformer.encode (torch fp32) of the summary texts, batch 32
  <encoder>       our embedding path (title + summary vectors) with that encoder:
                  onnx-int8 (the default on every CPU), onnx-fp32, torch-fp32, and
                  torch-bf16 where the CPU has native bf16; cosine of its summary
                  vectors to the baseline's, same texts
Whole-corpus rows (digest, seeds and feed folder as the settings list them), each a
`papersearch index --json` subprocess timed from outside (process start and imports
included, peak RSS its own), for each path in --full (and each --gloss-scope):
  full build      into an empty data dir, without the held-back days, stage by stage
  no-op rerun     the same build again (nothing changed)
  new day         the newest typical digest day (>= 10 papers, with a feed file of its date)
  feed day        then that date's feed file: its abstracts arrive after the digest day
--from-index starts from a copy of a full index of the same corpus instead of the full build
(which takes ~50 min on a Zen 1 EPYC): a first run without the held-back days drops their
papers (`index --prune`: "drop held days"), then the same new-day and feed-day rows.
--tokens prints each embedded field's token lengths and what a shorter limit would cut.
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


def run_index(data_dir: Path, corpus: list[Path], env: dict, *args: str) -> dict:
    """`papersearch index --json` in a fresh process: wall time from outside, the child's own peak RSS."""
    cli = Path(sys.executable).parent / "papersearch"
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen([str(cli), "index", "--json", *args], stdout=out, stderr=err,
                                env={**os.environ, **env, "PAPERSEARCH_DATA_DIR": str(data_dir),
                                     "PAPERSEARCH_CORPUS": os.pathsep.join(map(str, corpus))})
        _, status, usage = os.wait4(proc.pid, 0)  # this child's rusage, not the max over all children so far
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"papersearch index failed:\n{err.read().decode()[-3000:]}")
        res = json.loads(out.read())
    res["wall"] = wall
    res["peak_rss_mb"] = usage.ru_maxrss / 1024
    return res


def held_days(digest: Path, feed: Path | None) -> tuple[Path, Path | None]:
    """The newest digest day with a typical number of papers (>= 10) and, when a feed is there, a feed file of
    the same date: the digest day arrives as one increment, that day's abstracts as the next."""
    feed_days = {f.stem: f for f in feed.glob("*.json")} if feed else {}
    for day in sorted(digest.rglob("*.md"), reverse=True):
        date = "-".join(day.relative_to(digest).with_suffix("").parts[-3:])
        if day.read_text(encoding="utf-8").count("\n### [") >= 10 and (not feed_days or date in feed_days):
            return day, feed_days.get(date)
    raise SystemExit(f"no digest day with 10 papers under {digest}")


def whole_corpus_rows(encoder: str, gloss_scope: str | None = None, from_index: Path | None = None) -> list[dict]:
    """Full build, no-op rerun, a new digest day, then that day's feed file (its abstracts arrive later)."""
    from papersearch.settings import Settings

    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="papersearch-bench-"))
    try:
        corpus: list[Path] = []
        digest = feed = None
        for i, src in enumerate(Settings().corpus):
            dest = tmp / "corpus" / f"{i}-{src.name}"
            if src.is_dir():
                shutil.copytree(src, dest)
                if any(dest.glob("*.json")):
                    feed = dest
                else:
                    digest = dest
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest)
            corpus.append(dest)
        day, feed_day = held_days(digest, feed)
        held = {day: tmp / "held.md", **({feed_day: tmp / "held.json"} if feed_day else {})}
        for src, dst in held.items():
            shutil.move(src, dst)
        env = {**PATHS[encoder], **({"PAPERSEARCH_GLOSS_SCOPE": gloss_scope} if gloss_scope else {})}
        first = "full build"
        if from_index is not None:
            shutil.copytree(from_index, tmp / "data", ignore=shutil.ignore_patterns("build.lock", "*.log"))
            first = "drop held days"
        steps = [(first, None), ("no-op rerun", None), (f"new day {day.stem}", day)]
        if feed_day:
            steps.append((f"feed day {feed_day.stem}", feed_day))
        tag = f"{encoder}{', gloss ' + gloss_scope if gloss_scope else ''}"
        for label, back in steps:
            if back is not None:
                shutil.move(held[back], back)
            r = run_index(tmp / "data", corpus, env, *(["--prune"] if label == "drop held days" else []))
            rows.append({"row": f"{label} ({tag}, {r['embedded']} embedded)", "encoder": encoder,
                         "papers_per_s": r["embedded"] / r["wall"] if r["embedded"] else float("nan"),
                         "seconds": r["wall"], "peak_rss_mb": r["peak_rss_mb"], "stages": r.get("stages", {}),
                         "encoded": r.get("encoded", {})})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def token_lengths(caps: tuple[int, ...] = (256, 320, 384, 448)) -> list[dict]:
    """Per embedded field: passage length in tokens (the encoder's own tokenizer, prefix included), how many
    texts the model's limit cuts, and what each shorter limit would cut and save."""
    from indexer.ingest.corpus import load_corpus
    from indexer.text.passages import FIELDS, field_text
    from models.loading import embedder_for
    from papersearch.settings import Settings

    settings = Settings(max_seq_length=512)
    papers, _ = load_corpus(settings.corpus)
    emb = embedder_for(settings)
    out = []
    for f in FIELDS:
        texts = [emb.passage_prefix + t for p in papers if (t := field_text(p, f))]
        n = np.array([len(e) for e in emb._tokenizer.encode_batch(texts)])  # truncated at the model's 512
        out.append({"field": f, "texts": len(texts), "tokens": int(n.sum()), "mean": float(n.mean()),
                    "p50_p90_p99_max": [float(x) for x in np.percentile(n, [50, 90, 99, 100])],
                    "at_512": int((n >= emb.max_seq_length).sum()),
                    "caps": {c: {"cut": int((n > c).sum()), "tokens_saved": int(np.maximum(n - c, 0).sum())}
                             for c in caps}})
    return out


def sample_rows(sample: int) -> tuple[list[dict], float]:
    """The baseline and each encoder path on the same sample (papers/s, cosine to the baseline)."""
    tmp = Path(tempfile.mkdtemp(prefix="papersearch-bench-vecs-"))
    rows: list[dict] = []
    try:
        base = run_child("baseline", str(sample), str(tmp / "base.npy"))
        base_vecs = np.load(tmp / "base.npy")
        base_rate = base["papers"] / base["seconds"]
        rows.append({"row": "baseline (ST.encode fp32, summaries)", "papers_per_s": base_rate,
                     "seconds": base["corpus"] / base_rate, "peak_rss_mb": base["peak_rss_mb"], "cos": (1.0, 1.0)})
        for encoder, env in PATHS.items():
            if encoder == "torch-bf16" and not has_bf16():
                continue
            r = run_child("ours", str(sample), str(tmp / f"{encoder}.npy"), env=env)
            cos = (np.load(tmp / f"{encoder}.npy") * base_vecs).sum(axis=1)
            rate = r["papers"] / r["seconds"]
            rows.append({"row": f"{encoder}, same sample (titles too)", "papers_per_s": rate,
                         "seconds": r["corpus"] / rate, "peak_rss_mb": r["peak_rss_mb"],
                         "cos": (float(cos.min()), float(cos.mean()))})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows, base_rate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--full", default="onnx-int8", help="encoders to run whole-corpus rows for, comma-separated")
    ap.add_argument("--skip-full", action="store_true", help="only the sampled rows")
    ap.add_argument("--skip-sample", action="store_true", help="only the whole-corpus rows")
    ap.add_argument("--gloss-scope", default="", help="whole-corpus rows once per scope, comma-separated "
                    "(all,without-abstract); default: the settings' scope only")
    ap.add_argument("--from-index", type=Path, help="start the whole-corpus rows from a copy of this data dir "
                    "(a full index of the same corpus) instead of a full build")
    ap.add_argument("--tokens", action="store_true", help="only the token lengths of every embedded field")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        kind, n, out = a.child
        res = {"baseline": child_baseline, "ours": child_ours}[kind](int(n), out)
        res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(res))
        return 0

    if a.tokens:
        rows = token_lengths()
        if a.json:
            print(json.dumps(rows, indent=2))
            return 0
        for r in rows:
            caps = " · ".join(f"{c}: {v['cut']} cut, {v['tokens_saved']} tokens saved" for c, v in r["caps"].items())
            print(f"{r['field']:<9} {r['texts']:>5} texts {r['tokens']:>8} tokens, mean {r['mean']:.0f}, "
                  f"p50/p90/p99/max {'/'.join(f'{x:.0f}' for x in r['p50_p90_p99_max'])}, {r['at_512']} at 512 | {caps}")
        return 0
    rows, base_rate = ([], float("nan")) if a.skip_sample else sample_rows(a.sample)
    if not a.skip_full:
        for encoder in a.full.split(","):
            for scope in a.gloss_scope.split(",") if a.gloss_scope else [None]:
                rows.extend(whole_corpus_rows(encoder.strip(), scope, a.from_index))

    if a.json:
        print(json.dumps({"cpu": cpu_description(), "rows": rows}, indent=2))
        return 0
    print(f"CPU: {cpu_description()}")
    print(f"{'row':<58}{'papers/s':>9}{'seconds':>9}{'x base':>8}{'peak MB':>9}{'cos min/mean':>16}")
    for r in rows:
        cos = f"{r['cos'][0]:.4f}/{r['cos'][1]:.4f}" if "cos" in r else ""
        print(f"{r['row']:<58}{r['papers_per_s']:>9.2f}{r['seconds']:>9.1f}"
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
