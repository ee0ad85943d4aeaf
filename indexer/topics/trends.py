"""Rising and fading topics: a topic's share of the last 3 months against its share of the 6 before.

Shares, not counts: the digest covers more papers some months than others (and
the newest month may be partial), so a topic only "rises" when it takes a larger
part of what was published. The score is a smoothed log2 ratio: +1 means the
topic's share doubled.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

RECENT_MONTHS = 3
BEFORE_MONTHS = 6


@dataclass
class Growth:
    score: float       # log2(recent share / earlier share), smoothed
    recent: int        # papers in the last RECENT_MONTHS months
    before: int        # papers in the BEFORE_MONTHS months before those


def month_index(month: str) -> int:
    y, m = month.split("-")
    return int(y) * 12 + int(m) - 1


def windows(months: list[str]) -> tuple[set[str], set[str]]:
    """The recent and the earlier window, ending at the newest month with papers."""
    known = [m for m in months if m]
    if not known:
        return set(), set()
    last = max(month_index(m) for m in known)
    label = lambda i: f"{i // 12:04d}-{i % 12 + 1:02d}"  # noqa: E731
    recent = {label(last - i) for i in range(RECENT_MONTHS)}
    before = {label(last - RECENT_MONTHS - i) for i in range(BEFORE_MONTHS)}
    return recent, before


def growth(monthly: dict[str, int], totals: Counter, recent: set[str], before: set[str], topics: int) -> Growth:
    """`monthly`: the topic's papers per month; `totals`: all papers per month; `topics`: how many topics share them."""
    r = sum(monthly.get(m, 0) for m in recent)
    b = sum(monthly.get(m, 0) for m in before)
    nr = sum(totals.get(m, 0) for m in recent)
    nb = sum(totals.get(m, 0) for m in before)
    prior = max(topics, 1)  # add-one smoothing over topics: a 1-paper topic does not "rise" 10x
    score = math.log2(((r + 1) / (nr + prior)) / ((b + 1) / (nb + prior))) if (nr or nb) else 0.0
    return Growth(round(score, 4), r, b)
