"""Korean-aware lexical tokens for BM25.

A whitespace tokeniser leaves Korean words glued to their particles
("데이터로", "모델은"), so a Korean query would share almost no tokens with
the summaries and hybrid search would silently become dense-only. Kiwi splits
morphemes; we keep content morphemes (nouns, verb/adjective stems, roots) and
foreign-script tokens lower-cased, so "LLM", "KV cache" and "llm" all match.
The same function tokenises Korean summaries, English titles and queries.
"""
from __future__ import annotations

import re
import threading

from kiwipiepy import Kiwi

TOKENIZER_VERSION = "kiwi-2"  # kiwi-2: without the multi-word dictionary

# content tags: general/proper nouns, verb & adjective stems, roots, foreign words, hanja, numbers
_KEEP = {"NNG", "NNP", "NR", "VV", "VA", "XR", "SL", "SH", "SN", "W_HASHTAG"}
_STEM_TAGS = {"VV", "VA"}
EN_STOPWORDS = frozenset(
    "a an and are as at be by for from has have in into is it its of on or our that the their this to via "
    "we with without using use towards toward through based can do does how what which who why when where "
    "vs versus new".split()
)
_SPLIT_FOREIGN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")

_lock = threading.Lock()
_shared: Kiwi | None = None


def _kiwi() -> Kiwi:
    """One Kiwi per process, used under `_lock`.

    A Kiwi per thread cost 0.7 s and ~100 MB for every new server worker thread:
    32 concurrent first requests stalled for tens of seconds. A query tokenises in
    well under a millisecond, so serialising it costs nothing measurable.
    Without Kiwi's multi-word dictionary (12 MB on disk) it holds 304 MB instead
    of 487 MB in every server and build process; it changed the content tokens
    of 31 of 3,000 corpus texts, each a multi-word noun now split into its words
    ("자연어 처리" -> "자연어", "처리"), which BM25 matches either way.
    """
    global _shared
    if _shared is None:
        _shared = Kiwi(load_multi_dict=False)
    return _shared


def warm() -> None:
    """Load Kiwi now (~1.3 s), e.g. in a thread while the build encodes, so nobody waits for it later."""
    with _lock:
        _kiwi()


def latin_tokens(text: str) -> list[str]:
    """Tokens of Latin-script text without Kiwi: what `tokens` yields for its foreign words."""
    return [p for p in _SPLIT_FOREIGN.findall(text.lower()) if p not in EN_STOPWORDS and (len(p) > 1 or p.isdigit())]


def latin_share(terms: list[str]) -> float:
    """Share of a query's distinct tokens in Latin script: how English the query is (0 for no tokens)."""
    uniq = set(terms)
    return sum(1 for t in uniq if t.isascii()) / len(uniq) if uniq else 0.0


def _emit(form: str, tag: str, out: list[str]) -> None:
    if tag == "SL" or tag == "SN":
        out.extend(latin_tokens(form))
    elif tag in _STEM_TAGS:
        out.append(form + "다")
    elif len(form) > 1 or tag in ("NNG", "NNP"):
        out.append(form.lower())


def tokens(text: str) -> list[str]:
    """Content tokens of one text (Korean, English or mixed)."""
    out: list[str] = []
    with _lock:
        toks = _kiwi().tokenize(text)
    for t in toks:
        if t.tag in _KEEP:
            _emit(t.form, t.tag, out)
    return out


def tokens_many(texts: list[str]) -> list[list[str]]:
    """Batch form: Kiwi tokenises a list faster than one call per text."""
    result = []
    with _lock:
        batches = list(_kiwi().tokenize(texts))
    for toks in batches:
        out: list[str] = []
        for t in toks:
            if t.tag in _KEEP:
                _emit(t.form, t.tag, out)
        result.append(out)
    return result
