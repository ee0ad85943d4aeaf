"""Snippets of a paper's Korean summary or English abstract with the query's terms highlighted.

The text follows the query's language (`snippet_text`): the abstract for an English query, the Korean summary
for a Korean one, whichever exists when the paper has one text only. Highlights use the query's lexical
tokens (Kiwi morphemes, so "압축" lights up inside "압축하는"), case-insensitively; a Latin-script term matches
only at the start of a word, so "model" lights up "models" but "lora" never lights up "exploration". Output
is HTML-escaped with <mark> around matches, safe to render in the web page and easy to turn into terminal bold.
"""
from __future__ import annotations

import html
import re
from bisect import bisect_right
from functools import lru_cache
from typing import Literal

SNIPPET_CHARS = 240
ENGLISH_ABOVE = 0.5   # a query whose Latin-script share of tokens is above this reads the abstract first
SnippetField = Literal["summary", "abstract"]
_SENT = re.compile(r"(?<=[.!?다요])\s+|\n+")


@lru_cache(maxsize=256)
def _pattern(terms: tuple[str, ...]) -> re.Pattern | None:
    """One pattern per query (its ten snippets share it): building it was a quarter of a search's Python time."""
    forms = set()
    for t in terms:
        t = t[:-1] if t.endswith("다") and len(t) > 2 else t  # verb stems were stored as "<stem>다"
        if len(t) >= 2 or (t.isascii() and t.isalnum() and len(t) >= 2):
            forms.add(t)
    if not forms:
        return None
    alts = [(r"(?<![a-z0-9])" if f.isascii() and f[0].isalnum() else "") + re.escape(f)
            for f in sorted(forms, key=len, reverse=True)]
    return re.compile("|".join(alts), re.IGNORECASE)


def snippet_text(summary: str, abstract: str, english_share: float | None) -> tuple[SnippetField | None, str]:
    """(field, text) a result's snippet is cut from. `english_share`: the query's Latin-script share of tokens
    (indexer.text.tokenize.latin_share); None when there is no query text (a topic or author list, papers like
    a paper), which reads the Korean summary first as the page always did."""
    order: tuple[SnippetField, ...] = ("abstract", "summary") if english_share is not None and \
        english_share > ENGLISH_ABOVE else ("summary", "abstract")
    texts = {"summary": summary, "abstract": abstract}
    for f in order:
        if texts[f].strip():
            return f, texts[f]
    return None, ""


@lru_cache(maxsize=8192)
def _sentences(text: str) -> tuple[tuple[str, ...], str, tuple[int, ...]]:
    """(sentences, the sentences joined by one space, each one's offset there), once per summary."""
    text = " ".join(text.split())
    sentences = tuple(s for s in _SENT.split(text) if s.strip()) or (text,)
    starts, at = [], 0
    for s in sentences:
        starts.append(at)
        at += len(s) + 1
    return sentences, " ".join(sentences), tuple(starts)


def make_snippet(text: str, terms: list[str], limit: int = SNIPPET_CHARS) -> str:
    pat = _pattern(tuple(terms))
    sentences, joined, starts = _sentences(text)
    start = 0
    if pat is not None:  # the sentence with the most distinct query terms, the first of equals
        found = {(bisect_right(starts, m.start()) - 1, m.group(0).lower()) for m in pat.finditer(joined)}
        hits = [0] * len(sentences)
        for i, _ in found:
            hits[i] += 1
        start = max(range(len(sentences)), key=lambda i: (hits[i], -i))
    chosen, end = "", start
    for s in sentences[start:]:
        if chosen and len(chosen) + len(s) + 1 > limit:
            break
        chosen, end = f"{chosen} {s}".strip(), end + 1
    if len(chosen) > limit:
        chosen = chosen[: limit - 1].rstrip() + "…"
    elif end < len(sentences):
        chosen += " …"
    if start > 0:
        chosen = "… " + chosen
    if pat is None:
        return html.escape(chosen)
    # match on the raw text, then escape each piece: highlighting must never cut an entity like &amp;
    out, last = [], 0
    for m in pat.finditer(chosen):
        out.append(html.escape(chosen[last : m.start()]))
        out.append(f"<mark>{html.escape(m.group(0))}</mark>")
        last = m.end()
    out.append(html.escape(chosen[last:]))
    return "".join(out)
