"""The author index: every author of the corpus under one spelling-proof key, with their papers (newest first),
co-authors (by papers together) and topics.

Digests spell one person several ways ("Zi-Wei Liu", "Ziwei Liu", "ziwei  liu", "Jörg"/"Jorg"), so names are
compared by a key that ignores case, accents and spacing/punctuation. Built from a list of Paper records in
one pass, so it is cheap to rebuild for every index generation.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from indexer.ingest.records import Paper

# letters NFKD does not decompose into base + accent, folded by hand
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
                       "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D"})
_NOT_ALNUM = re.compile(r"[\W_]+")
CLOSEST = 5


def fold(text: str) -> str:
    """Accents off ("Jörg Müller" -> "Jorg Muller"); other scripts kept as they are (Hangul recomposed)."""
    if text.isascii():
        return text
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.translate(_FOLD))


def name_key(name: str) -> str:
    """What two spellings of one name share: folded, case-free, letters and digits only."""
    return _NOT_ALNUM.sub("", fold(name).casefold())


def tidy(name: str) -> str:
    """A spelling as shown: single spaces, without the quotes and brackets of a digest that printed the author
    list as a Python list ("['Sai Bi'", "'Hao Tan']")."""
    return " ".join(name.split()).strip("[]'\" ")


class UnknownAuthor(LookupError):
    """No author under that name; `closest` holds the likeliest names that do exist."""

    def __init__(self, name: str, closest: list[str]):
        hint = f"; closest: {', '.join(closest)}" if closest else ""
        super().__init__(f"no author {name[:100]!r} in the index{hint}")
        self.name, self.closest = name, closest


@dataclass(frozen=True)
class Coauthor:
    name: str
    papers: int         # papers written together


@dataclass(frozen=True)
class AuthorTopic:
    cluster: int
    label: str | None
    papers: int


@dataclass
class AuthorPage:
    name: str                                   # the spelling the digests use most
    key: str
    variants: list[str]                         # every spelling seen, most used first
    papers: list[Paper]                         # newest first (first featured date, then arXiv id)
    coauthors: list[Coauthor] = field(default_factory=list)
    topics: list[AuthorTopic] = field(default_factory=list)


def _newest_first(p: Paper) -> tuple[str, str]:
    return (p.first_seen or "", p.arxiv_id)


class AuthorIndex:
    def __init__(self, papers: Sequence[Paper], clusters: Sequence[int] | None = None,
                 labels: Mapping[int, str] | None = None):
        """`clusters` (topic id per paper, aligned with `papers`) and `labels` (topic id -> label) are optional:
        without them author pages list no topics."""
        if clusters is not None and len(clusters) != len(papers):
            raise ValueError(f"{len(clusters)} topic assignments for {len(papers)} papers")
        self.papers, self.clusters, self.labels = list(papers), clusters, dict(labels or {})
        self._rows: dict[str, list[int]] = {}
        self._spellings: dict[str, Counter[str]] = {}
        self._paper_keys: list[list[str]] = []
        key_of: dict[str, str] = {}  # most names recur: normalise each spelling once
        for i, p in enumerate(self.papers):
            keys: dict[str, None] = {}
            for a in p.authors:
                k = key_of.get(a)
                if k is None:
                    k = key_of[a] = name_key(a)
                if k:
                    keys[k] = None
                    spelled = self._spellings.setdefault(k, Counter())
                    spelled[a] += 1
            for k in keys:
                self._rows.setdefault(k, []).append(i)
            self._paper_keys.append(list(keys))
        for spelled in self._spellings.values():
            if any(s != tidy(s) for s in spelled):
                tidied: Counter[str] = Counter()
                for s, n in spelled.items():
                    tidied[tidy(s)] += n
                spelled.clear()
                spelled.update(tidied)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name_key(name) in self._rows

    def display(self, key: str) -> str:
        """The most used spelling; among equally used ones the richest (accents kept), then alphabetical."""
        spellings = self._spellings[key]
        return min(spellings, key=lambda s: (-spellings[s], -sum(not c.isascii() for c in s), s))

    def papers_of(self, name: str) -> list[Paper]:
        """The author's papers, newest first; [] for an unknown name."""
        rows = self._rows.get(name_key(name), [])
        return sorted((self.papers[i] for i in rows), key=_newest_first, reverse=True)

    def lookup(self, name: str) -> AuthorPage:
        """Everything an author page shows; UnknownAuthor (with the closest names) when nobody is called that."""
        key = name_key(name)
        rows = self._rows.get(key)
        if not rows:
            raise UnknownAuthor(name, self.closest(name))
        co: Counter[str] = Counter(k for i in rows for k in self._paper_keys[i] if k != key)
        coauthors = [Coauthor(self.display(k), n) for k, n in co.items()]
        coauthors.sort(key=lambda c: (-c.papers, c.name))
        topics: list[AuthorTopic] = []
        if self.clusters is not None:
            counts = Counter(int(self.clusters[i]) for i in rows if int(self.clusters[i]) >= 0)
            ranked = sorted(counts.items(), key=lambda t: (-t[1], t[0]))
            topics = [AuthorTopic(c, self.labels.get(c), n) for c, n in ranked]
        spellings = self._spellings[key]
        return AuthorPage(self.display(key), key, sorted(spellings, key=lambda s: (-spellings[s], s)),
                          self.papers_of(name), coauthors, topics)

    def closest(self, name: str, n: int = CLOSEST) -> list[str]:
        """The existing names nearest to a miss, by similarity of their keys (typos, a dropped initial)."""
        key = name_key(name)
        if not key:
            return []
        return [self.display(k) for k in difflib.get_close_matches(key, self._rows, n=n, cutoff=0.6)]

