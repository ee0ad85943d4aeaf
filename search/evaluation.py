"""Retrieval metrics over graded judgements (dev set in bench/devset)."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Judged:
    id: str
    text: str                          # the query, or the seed arXiv id for similar-paper cases
    relevant: dict[str, int]           # arxiv id -> grade (2 = exactly, 1 = partly)
    lang: str = ""
    kind: str = ""
    split: str = ""                    # "tune" (rankers may be tuned on it) or "heldout" (reported only)


@dataclass
class Scores:
    ndcg10: float = 0.0
    mrr10: float = 0.0
    recall10: float = 0.0
    recall50: float = 0.0
    n: int = 0
    per_query: dict[str, float] = field(default_factory=dict)


def ndcg(ranked: list[str], rel: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** rel.get(a, 0) - 1) / math.log2(i + 2) for i, a in enumerate(ranked[:k]))
    ideal = sorted(rel.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def mrr(ranked: list[str], rel: dict[str, int], k: int = 10) -> float:
    for i, a in enumerate(ranked[:k]):
        if rel.get(a, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def recall(ranked: list[str], rel: dict[str, int], k: int) -> float:
    want = {a for a, g in rel.items() if g > 0}
    return len(want & set(ranked[:k])) / len(want) if want else 0.0


def score_all(runs: dict[str, list[str]], judged: list[Judged]) -> Scores:
    s = Scores(n=len(judged))
    if not judged:
        return s
    for j in judged:
        r = runs.get(j.id, [])
        s.per_query[j.id] = ndcg(r, j.relevant)
        s.ndcg10 += s.per_query[j.id]
        s.mrr10 += mrr(r, j.relevant)
        s.recall10 += recall(r, j.relevant, 10)
        s.recall50 += recall(r, j.relevant, 50)
    for f in ("ndcg10", "mrr10", "recall10", "recall50"):
        setattr(s, f, getattr(s, f) / len(judged))
    return s


def load_judged(path: Path, text_key: str) -> list[Judged]:
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            o = json.loads(line)
            out.append(Judged(o["id"], o[text_key], {k: int(v) for k, v in o["relevant"].items()},
                              o.get("lang", ""), o.get("kind", ""), o.get("split", "")))
    return out
