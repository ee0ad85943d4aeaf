"""Bulk passage encoding with one progress bar whose ETA counts text size, not texts."""
from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np
from tqdm import tqdm

from indexer.ingest.records import Paper
from indexer.pipeline.timing import stage
from indexer.text.passages import FIELDS, field_text

WORK_CAP_CHARS = 1200   # past ~512 tokens the text is truncated: no more work
WORK_PER_TEXT = 10      # fixed cost of a text, in characters' worth


def _work(text: str) -> int:
    """Encoding cost of a text in characters' worth, so the bar's ETA holds from the first batch (counted in
    texts, the long summaries come first and the ETA said 8 minutes for a 3.5-minute job)."""
    return min(len(text), WORK_CAP_CHARS) + WORK_PER_TEXT


def encode_jobs(embedder, jobs: dict[str, list[tuple[Hashable, str]]], batch_size: int, progress: bool,
                stages: dict[str, dict[str, float]] | None = None,
                desc: str = "embedding",
                report: Callable[[str, int, int], None] | None = None) -> dict[Hashable, dict[str, np.ndarray]]:
    """Encode `{name: [(key, text)]}` as passages, name by name, each batch of similar length to cut padding;
    returns key -> name -> vector. `report(name, work done, total work)` follows every chunk (progress file)."""
    stages = {} if stages is None else stages
    ordered = {n: sorted(js, key=lambda j: len(j[1]), reverse=True) for n, js in jobs.items() if js}
    out: dict[Hashable, dict[str, np.ndarray]] = {k: {} for js in jobs.values() for k, _ in js}
    total = sum(_work(t) for js in ordered.values() for _, t in js)
    done_texts, n_texts, done = 0, sum(len(js) for js in jobs.values()), 0
    with tqdm(total=total, desc=desc, disable=not progress,
              bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix} [{elapsed}<{remaining}]") as bar:
        for name, js in ordered.items():
            chunk = max(batch_size * 8, 64)
            with stage(stages, f"encode {name}"):
                for s in range(0, len(js), chunk):
                    part = js[s : s + chunk]
                    # short texts (titles) are cheap per item: bigger batches, fewer Python round trips
                    bs = batch_size if len(part[0][1]) > 300 else batch_size * 8
                    vecs = embedder.encode_passages([t for _, t in part], batch_size=bs)
                    for (key, _), v in zip(part, vecs):
                        out[key][name] = v
                    done_texts += len(part)
                    bar.set_postfix_str(f"{done_texts}/{n_texts} texts", refresh=False)
                    work = sum(_work(t) for _, t in part)
                    bar.update(work)
                    done += work
                    if report is not None:
                        report(name, done, total)
    return out


def embed_papers(embedder, todo: list[tuple[int, Paper]], batch_size: int, progress: bool,
                 stages: dict[str, dict[str, float]] | None = None) -> dict[int, dict[str, np.ndarray]]:
    """Every field each paper has (the long summaries first); a field it lacks gets no vector."""
    jobs = {f: [(rid, t) for rid, p in todo if (t := field_text(p, f))]
            for f in sorted(FIELDS, key=lambda f: f != "summary")}
    out = encode_jobs(embedder, jobs, batch_size, progress, stages)
    return {rid: out.get(rid, {}) for rid, _ in todo}
