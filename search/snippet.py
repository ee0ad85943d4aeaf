"""Korean summary snippets with the query's terms highlighted.

Highlights use the query's lexical tokens (Kiwi morphemes, so "압축" lights up
inside "압축하는"); output is HTML-escaped with <mark> around matches, safe to
render in the web page and easy to turn into terminal bold.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache

SNIPPET_CHARS = 240
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
    alts = sorted((re.escape(f) for f in forms), key=len, reverse=True)
    return re.compile("|".join(alts), re.IGNORECASE)


def make_snippet(text: str, terms: list[str], limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    pat = _pattern(tuple(terms))
    sentences = [s for s in _SENT.split(text) if s.strip()] or [text]
    start = 0
    if pat is not None:
        hits = [len({m.group(0).lower() for m in pat.finditer(s)}) for s in sentences]
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
