"""Consistency check of the served generation: index <-> store <-> manifest (<-> corpus)."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from indexer.dense.vectors import combine
from indexer.ingest.corpus import load_corpus
from indexer.reading.reader import IndexMissingError, open_index
from indexer.storage.layout import DataDir
from indexer.storage.manifest import corpus_hash
from indexer.text.passages import FIELDS, field_text


@dataclass
class VerifyReport:
    ok: bool
    generation: str | None
    papers: int = 0
    corpus_papers: int | None = None
    problems: list[str] = field(default_factory=list)
    corpus: list[str] = field(default_factory=list)   # the corpus paths checked against

    def to_dict(self) -> dict:
        return asdict(self)


def verify(data_dir: Path, corpus: list[Path] | Path | None = None) -> VerifyReport:
    """`corpus=None` checks against the corpus the served generation was built from (its manifest);
    `[]` checks the generation alone."""
    try:
        idx = open_index(data_dir)
    except IndexMissingError as exc:
        gen = DataDir(data_dir).current()
        return VerifyReport(ok=False, generation=gen.name if gen else None, problems=[str(exc)])
    problems: list[str] = []
    try:
        m = idx.manifest
        rows = idx.store.all()
        store_ids = np.array(sorted(r for r, _ in rows), dtype=np.int64)
        counts = {
            "manifest": m.count, "store": len(rows), "faiss": idx.ann.count, "ids.npy": len(idx.ids),
            **{f"{f}.npy": len(v) for f, v in idx.vectors.items()},
        }
        counts["agreement.npy"] = len(idx.agreement)
        if len(set(counts.values())) != 1:
            problems.append(f"counts disagree: {counts}")
        if not np.array_equal(np.sort(idx.ids), store_ids):
            problems.append("ids.npy and the store hold different paper ids")
        if not np.array_equal(np.sort(idx.ann.ids()), store_ids):
            problems.append("the FAISS index and the store hold different paper ids")
        if idx.ann.dim != m.dim or any(v.shape[1] != m.dim for v in idx.vectors.values()):
            problems.append(f"dimension mismatch: manifest {m.dim}, faiss {idx.ann.dim}")
        if m.model.get("dim") not in (None, m.dim):
            problems.append(f"model fingerprint dim {m.model.get('dim')} != index dim {m.dim}")
        for f, v in idx.vectors.items():
            present = idx.present.get(f, np.ones(len(v), dtype=bool))
            norms = np.linalg.norm(v, axis=1)
            if len(present) != len(v):
                problems.append(f"{f}.present.npy has {len(present)} rows for {len(v)} vectors")
            elif not np.all(np.isfinite(v)) or (present.any() and np.abs(norms[present] - 1).max() > 1e-3):
                problems.append(f"{f}.npy holds vectors that are not finite unit vectors")
            elif np.any(norms[~present] != 0):
                problems.append(f"{f}.npy holds vectors for rows its presence mask says have none")
        by_row = dict(rows)
        for f, present in idx.present.items():
            if len(present) == len(idx.ids) and f in FIELDS:
                # a quick first pass has no vector of its pending fields, whatever the record holds
                lacking = [by_row[int(r)].arxiv_id for r, has in zip(idx.ids, present)
                           if int(r) in by_row and has != (f not in m.pending and bool(field_text(by_row[int(r)], f)))]
                if lacking:
                    problems.append(f"{len(lacking)} papers' {f} vector disagrees with their record "
                                    f"(e.g. {', '.join(lacking[:3])})")
        stored_hash = corpus_hash([(p.arxiv_id, p.embedded_hash()) for _, p in rows])
        if stored_hash != m.corpus_hash:
            problems.append("the store's content differs from the manifest's corpus hash")
        if len(idx.ids) and not problems:
            sample = np.linspace(0, len(idx.ids) - 1, num=min(50, len(idx.ids))).astype(int)
            want = combine({f: v[sample] for f, v in idx.vectors.items()}, m.weights,
                           idx.suspicion().suspect[sample],
                           idx.adapters.summary_predictor)
            got = np.stack([idx.ann.reconstruct(int(idx.ids[i])) for i in sample])
            if not np.allclose(want, got, atol=1e-4):
                problems.append("FAISS vectors do not match the saved per-field embeddings")
        corpus_papers = None
        if corpus is None:
            corpus = built_from(m)
        paths = [Path(p) for p in ([corpus] if isinstance(corpus, (str, Path)) else (corpus or []))]
        missing_paths = [p for p in paths if not p.exists()]
        problems += [f"corpus path {p} does not exist (set --corpus or PAPERSEARCH_CORPUS)" for p in missing_paths]
        paths = [p for p in paths if p.exists()]
        if paths:
            papers, _ = load_corpus(paths)
            corpus_papers = len(papers)
            indexed = {p.arxiv_id for _, p in rows}
            missing = [p.arxiv_id for p in papers if p.arxiv_id not in indexed]
            if missing:
                problems.append(f"{len(missing)} corpus papers are not indexed (e.g. {', '.join(missing[:5])}); "
                                "run `papersearch index`")
        return VerifyReport(not problems, idx.generation.name, len(rows), corpus_papers, problems,
                            [str(p) for p in paths])
    finally:
        idx.close()


def built_from(manifest) -> list[Path]:
    """The corpus paths a generation was built from, as its manifest records them."""
    return [Path(p) for p in manifest.corpus.split(os.pathsep) if p]

