"""BibTeX for a result list: one `@misc` arXiv entry per paper, as reference managers import them.

Text is written as LaTeX that BibTeX and LaTeX both accept, changing as little as possible:
* math (`$...$`) and LaTeX commands already in a title (`\\textsc{...}`) are kept as written; non-ASCII
  (accents, Greek) is kept as UTF-8, which biber and every modern BibTeX read;
* `%`, `&`, `#` are escaped everywhere (comment, alignment, parameter); `_`, `^`, `~` and a `$` without a
  partner outside math (subscript, superscript and tie are math/spacing commands in text);
* braces must balance for BibTeX itself: an unmatched one becomes `{\\textbraceleft}` / `{\\textbraceright}`;
* in titles a word with a capital after its first letter (`LLaMA`, `GPT-4o`, `3D`) is braced, so styles
  that lower-case titles keep it.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from search.follow.authors import fold

STOP_WORDS = frozenset(
    "a an the on of in for to and or with at by from via into onto over under is are be do does can how what why "
    "when where which who towards toward your you we our its it as not no vs versus".split())
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_LB, _RB = "\ue000", "\ue001"   # stand-ins for unmatched braces while the rest is escaped
# a LaTeX command or escaped character (kept), a lone backslash, or a character text mode cannot hold
_TEXT_TOKEN = re.compile(r"\\[A-Za-z]+|\\[^A-Za-z\s]|\\|[%&#_^~$]")
_MATH_TOKEN = re.compile(r"\\[A-Za-z]+|\\[^A-Za-z\s]|\\|[%&#]")
_TEXT_ESCAPES = {"%": r"\%", "&": r"\&", "#": r"\#", "_": r"\_", "$": r"\$", "^": r"\textasciicircum{}",
                 "~": r"\textasciitilde{}", "\\": r"\textbackslash{}"}
_LEAD, _TRAIL = re.compile(r"^[(\[\"'“‘]+"), re.compile(r"[)\]\"'”’:;,.!?]+$")


class BibRecord(Protocol):
    """What an entry is made from: search.schemas.SearchResult and indexer.ingest.records.Paper both fit."""

    @property
    def arxiv_id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def authors(self) -> list[str]: ...

    @property
    def dates(self) -> list[str]: ...

    @property
    def arxiv_url(self) -> str: ...


def _balance(s: str) -> str:
    """Unmatched braces replaced by stand-ins (BibTeX counts every brace, escaped or not)."""
    out, open_at = list(s), []
    for i, c in enumerate(s):
        if c == "{":
            open_at.append(i)
        elif c == "}":
            if open_at:
                open_at.pop()
            else:
                out[i] = _RB
    for i in open_at:
        out[i] = _LB
    return "".join(out)


def _segments(s: str) -> list[tuple[bool, str]]:
    """(is_math, text) pieces: `$` signs pair up in order; an odd one out is text."""
    dollars = [m.start() for m in re.finditer(r"(?<!\\)\$", s)]
    if len(dollars) % 2:
        dollars.pop()
    out, at = [], 0
    for a, b in zip(dollars[::2], dollars[1::2]):
        out += [(False, s[at:a]), (True, s[a + 1:b])]
        at = b + 1
    return [p for p in [*out, (False, s[at:])] if p[1] or p[0]]


def _escape(seg: str, math: bool) -> str:
    def sub(m: re.Match) -> str:
        t = m.group()
        return t if len(t) > 1 else _TEXT_ESCAPES.get(t, "\\" + t)
    return (_MATH_TOKEN if math else _TEXT_TOKEN).sub(sub, seg)


def _words(s: str) -> list[str | list[tuple[bool, str]]]:
    """Whitespace runs (str) and words (lists of math/text pieces; math never splits a word)."""
    out: list = [[]]
    for math, seg in _segments(s):
        if math:
            out[-1].append((True, seg))
            continue
        for part in re.split(r"(\s+)", seg):
            if part and part.isspace():
                out += [part, []]
            elif part:
                out[-1].append((False, part))
    return [w for w in out if w]


def _render(pieces: list[tuple[bool, str]]) -> str:
    return "".join(f"${_escape(t, True)}$" if math else _escape(t, False) for math, t in pieces)


def _word(pieces: list[tuple[bool, str]], protect: bool) -> str:
    text = "".join(t for math, t in pieces if not math)
    if not protect or any(c in text for c in "\\{}") or not any(c.isupper() for c in text[1:]):
        return _render(pieces)
    lead = _LEAD.match(pieces[0][1]) if not pieces[0][0] else None
    trail = _TRAIL.search(pieces[-1][1]) if not pieces[-1][0] else None
    body = list(pieces)
    if lead:
        body[0] = (False, body[0][1][lead.end():])
    if trail and body[-1][1]:
        body[-1] = (False, body[-1][1][:len(body[-1][1]) - len(trail.group())])
    return (lead.group() if lead else "") + "{" + _render([p for p in body if p[1] or p[0]]) + "}" \
        + (trail.group() if trail else "")


def latex(text: str, protect_caps: bool = False) -> str:
    """A field value as LaTeX (see the module docstring); `protect_caps` for titles."""
    words = _words(_balance(text))
    out = "".join(w if isinstance(w, str) else _word(w, protect_caps) for w in words)
    return out.replace(_LB, r"{\textbraceleft}").replace(_RB, r"{\textbraceright}")


def _ascii(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", fold(text).lower())


def year_month(r: BibRecord) -> tuple[str, str | None]:
    """From the first featured date; without one, the year from the arXiv id (YYMM.NNNNN or .../YYMMNNN)."""
    if r.dates:
        y, m = min(r.dates).split("-")[:2]
        return y, MONTHS[int(m) - 1]
    digits = re.search(r"(\d{2})(\d{2})[.\d]", r.arxiv_id.split("/")[-1])
    if not digits:
        return "", None
    yy = int(digits.group(1))
    return str(2000 + yy if yy < 91 else 1900 + yy), None


def key_base(r: BibRecord) -> str:
    """`firstauthorYEARfirstword`: family name of the first author, year, first title word not a stop word."""
    family = _ascii(r.authors[0].split()[-1]) if r.authors and r.authors[0].split() else ""
    title = re.sub(r"\\[A-Za-z]+", " ", re.sub(r"(?<!\\)\$[^$]*\$", "", r.title))  # no math, no command names
    word = next((w for w in re.findall(r"[a-z0-9]+", fold(title).lower()) if w not in STOP_WORDS), "")
    return f"{family or 'anon'}{year_month(r)[0]}{word}"


def unique_keys(bases: Sequence[str]) -> list[str]:
    """The first use of a key keeps it; later ones get a, b, c, ... (then aa, ab, ...)."""
    used: set[str] = set()
    out = []
    for base in bases:
        key, n = base, 0
        while key in used:
            n += 1
            key = base + _letters(n)
        used.add(key)
        out.append(key)
    return out


def _letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(97 + r) + s
    return s


def _author(name: str) -> str:
    """A name BibTeX parses as one person; one with a comma or an ' and ' is braced whole."""
    name = " ".join(name.split())
    tex = latex(name)
    return "{" + tex + "}" if "," in name or re.search(r"\sand\s", name, re.I) else tex


def entry(r: BibRecord, key: str) -> str:
    year, month = year_month(r)
    authors = [_author(a) for a in r.authors if a.strip()]
    if getattr(r, "authors_truncated", False):
        authors.append("others")
    fields = [("title", "{" + latex(" ".join(r.title.split()), protect_caps=True) + "}"),
              ("author", "{" + " and ".join(authors) + "}" if authors else None),
              ("year", "{" + year + "}" if year else None), ("month", month),
              ("eprint", "{" + r.arxiv_id + "}"), ("archivePrefix", "{arXiv}"),
              ("primaryClass", "{" + latex(pc) + "}" if (pc := getattr(r, "primary_class", None)) else None),
              ("doi", "{10.48550/arXiv." + r.arxiv_id + "}"), ("url", "{" + r.arxiv_url + "}"),
              ("abstract", "{" + latex(ab.strip()) + "}" if (ab := getattr(r, "abstract", None)) else None)]
    body = ",\n".join(f"  {k} = {v}" for k, v in fields if v)
    return f"@misc{{{key},\n{body},\n}}\n"


def to_bibtex(records: Sequence[BibRecord]) -> str:
    keys = unique_keys([key_base(r) for r in records])
    return "\n".join(entry(r, k) for r, k in zip(records, keys))
