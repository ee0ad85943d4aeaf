"""A Korean<->English term lexicon mined from the corpus itself, stored with each generation.

Why: an English query ("spline activation on edges") and a Korean summary
("스플라인 ... 활성화 함수 ... 엣지") share no BM25 term, so the lexical ranker
is blind across languages. The summaries write English terms beside Korean
ones about ten thousand times ("지식 증류(knowledge distillation)",
"직접 선호 최적화(DPO)"), and every English title pairs with its Korean
summary. Two sources, one association measure (Dice over co-occurrence counts):

* parenthetical pairs: English tokens inside "(...)" vs the Korean morphemes of
  the few words right before it; strong evidence, so full weight;
* title/summary pairs: English title words vs Korean summary morphemes of the
  same paper (papers whose summary is suspect are left out); weaker, so halved.

Only pairs seen at least `MIN_COUNT` times are kept, at most `PER_TERM`
translations per term, in both directions.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from indexer.storage.layout import write_json_atomic
from indexer.text.tokenize import TOKENIZER_VERSION, latin_tokens, tokens_many

LEXICON_VERSION = 1
LEXICON_FILE = "lexicon.json"
PAIRS_FILE = "lexicon_pairs.json"  # summary hash -> its span pairs, carried to the next generation
MIN_COUNT = 2
PER_TERM = 4
MIN_CONFIDENCE = 0.12
TITLE_PAIR_DISCOUNT = 0.5
TITLE_PAIR_MIN_PAPERS = 3

# up to 4 Korean words right before "(English)". Written so words split only at whitespace: the earlier
# `(?:word\s*){1,4}` let the engine split each word every way it could (3.0 s -> 0.9 s on the corpus, the same
# 10,747 matches at the same offsets)
_PAREN = re.compile(r"((?:[가-힣0-9][가-힣0-9\-]*\s+){0,3}[가-힣0-9][가-힣0-9\-]*\s*)\(([A-Za-z][A-Za-z0-9 \-\.\+/']{0,60})\)")
_HANGUL = re.compile(r"[가-힣]")


def is_korean(term: str) -> bool:
    return bool(_HANGUL.search(term))


@dataclass
class Lexicon:
    # term -> [(translation, confidence in (0, 1], co-occurrence count)], best first
    entries: dict[str, list[tuple[str, float, int]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.entries)

    def translations(self, term: str) -> list[tuple[str, float, int]]:
        """Translations of a term; an English plural falls back to its singular ("edges" -> "edge")."""
        found = self.entries.get(term)
        if found is None and len(term) > 3 and term.endswith("s") and term.isascii():
            found = self.entries.get(term[:-1])
        return found or []

    def expand(self, terms: list[str], weight: float) -> dict[str, float]:
        """Other-language terms for a query, each weighted `weight` x confidence (below the originals).

        Terms the query already has are not added again.
        """
        have = set(terms)
        out: dict[str, float] = {}
        for t in dict.fromkeys(terms):
            for tr, conf, _ in self.translations(t):
                if tr not in have:
                    out[tr] = max(out.get(tr, 0.0), weight * conf)
        return out

    def save(self, gen_path: Path) -> None:
        write_json_atomic(Path(gen_path) / LEXICON_FILE,
                          {"version": LEXICON_VERSION, "entries": {k: [list(e) for e in v] for k, v in self.entries.items()}})

    @staticmethod
    def save_pairs(gen_path: Path, pair_cache: dict[str, list]) -> None:
        write_json_atomic(Path(gen_path) / PAIRS_FILE,
                          {"tokenizer": TOKENIZER_VERSION, "lexicon": LEXICON_VERSION, "pairs": pair_cache})

    @staticmethod
    def load_pairs(gen_path: Path) -> dict[str, list]:
        """Each summary's span pairs as a generation's lexicon saw them ({} when absent, or when the tokenizer
        or the extraction (LEXICON_VERSION: bump it when spans, latin tokens or is_korean change) differ)."""
        try:
            data = json.loads((Path(gen_path) / PAIRS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        fresh = data.get("tokenizer") == TOKENIZER_VERSION and data.get("lexicon") == LEXICON_VERSION
        return data.get("pairs", {}) if fresh else {}

    @classmethod
    def load(cls, gen_path: Path) -> Lexicon:
        p = Path(gen_path) / LEXICON_FILE
        if not p.exists():  # generations built before the lexicon existed
            return cls()
        data = json.loads(p.read_text(encoding="utf-8"))
        return cls({k: [(str(a), float(c), int(n)) for a, c, n in v] for k, v in data["entries"].items()})


def parenthetical_spans(summary: str) -> list[tuple[str, str]]:
    """(Korean words, English text) for each "한국어(English)" in a summary."""
    return [(m.group(1).strip(), m.group(2).strip()) for m in _PAREN.finditer(summary)]


def span_pairs(summaries: list[str]) -> list[list[tuple[list[str], list[str]]]]:
    """Per summary, (English terms, Korean terms) of each "한국어(English)" in it (one Kiwi batch for all)."""
    spans = [parenthetical_spans(text) for text in summaries]
    flat = [k for per in spans for k, _ in per]
    ko_toks = iter(tokens_many(flat) if flat else [])
    return [[([t for t in latin_tokens(e) if not is_korean(t)], [t for t in next(ko_toks) if is_korean(t)])
             for _, e in per] for per in spans]


def _text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def mine(summaries: list[str], title_tokens: list[list[str]], summary_tokens: list[list[str]],
         trusted: np.ndarray, pair_cache: dict[str, list] | None = None) -> Lexicon:
    """Mine the lexicon from summary texts and the cached lexical tokens of titles and summaries.

    `pair_cache` (summary hash -> its span pairs, from the previous generation) is
    updated in place to exactly these summaries: only new summaries are scanned and
    tokenised (a new day: lexicon 2.9 s -> under 1 s).
    """
    cache = {} if pair_cache is None else pair_cache
    keys = [_text_key(t) for t in summaries]
    missing = {k: t for k, t in zip(keys, summaries) if k not in cache}
    cache.update(zip(missing, span_pairs(list(missing.values()))))
    for k in set(cache) - set(keys):
        del cache[k]
    pairs = [p for k in keys for p in cache[k]]
    paren = _dice([set(e) for e, _ in pairs], [set(k) for _, k in pairs], min_count=MIN_COUNT)

    rows = [i for i in range(len(title_tokens)) if trusted[i]]
    titles = [{t for t in title_tokens[i] if not is_korean(t)} for i in rows]
    bodies = [{t for t in summary_tokens[i] if is_korean(t)} for i in rows]
    cooc = _dice(titles, bodies, min_count=TITLE_PAIR_MIN_PAPERS)

    best: dict[tuple[str, str], tuple[float, int]] = {}
    for (en, ko), (conf, n) in paren.items():
        best[(en, ko)] = (conf, n)
    for (en, ko), (conf, n) in cooc.items():
        c = conf * TITLE_PAIR_DISCOUNT
        if c > best.get((en, ko), (0.0, 0))[0]:
            best[(en, ko)] = (c, n)
    table: dict[str, list[tuple[str, float, int]]] = {}
    for (en, ko), (conf, n) in best.items():
        if conf < MIN_CONFIDENCE:
            continue
        table.setdefault(en, []).append((ko, round(conf, 4), n))
        table.setdefault(ko, []).append((en, round(conf, 4), n))
    for t in table:
        table[t] = sorted(table[t], key=lambda e: (-e[1], -e[2], e[0]))[:PER_TERM]
    return Lexicon(dict(sorted(table.items())))


def _dice(left: list[set[str]], right: list[set[str]], min_count: int) -> dict[tuple[str, str], tuple[float, int]]:
    """Dice association 2·c(a,b) / (c(a) + c(b)) between terms of aligned left/right sets."""
    lv = {t: i for i, t in enumerate(sorted({t for s in left for t in s}))}
    rv = {t: i for i, t in enumerate(sorted({t for s in right for t in s}))}
    if not lv or not rv:
        return {}
    L = _binary(left, lv)
    R = _binary(right, rv)
    co = (L.T @ R).tocoo()
    lc = np.asarray(L.sum(axis=0)).ravel()
    rc = np.asarray(R.sum(axis=0)).ravel()
    li, ri = list(lv), list(rv)
    out = {}
    keep = co.data >= min_count
    for a, b, c in zip(co.row[keep], co.col[keep], co.data[keep]):
        out[(li[a], ri[b])] = (float(2 * c / (lc[a] + rc[b])), int(c))
    return out


def _binary(sets: list[set[str]], vocab: dict[str, int]) -> sparse.csr_matrix:
    rows = [i for i, s in enumerate(sets) for _ in s]
    cols = [vocab[t] for s in sets for t in s]
    return sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(sets), len(vocab)))
