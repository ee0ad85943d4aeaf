"""What text of a paper gets embedded, per vector field.

Each paper gets one vector per field it has; the search index holds the weighted
sum of the title and summary vectors (see `indexer.dense.vectors.combine`), so inner
product with a query equals the weighted sum of the per-field cosines and weights can
change without re-embedding. The choice of fields and weights was measured on the dev set
(bench/quality.py); see README "Representation".

A missing field is missing, not filled in: a paper only in the feed has no Korean summary,
so no summary vector (a title standing in would agree perfectly with the title and skew the
suspect ranks), and a paper without an abstract has no abstract vector. The generation stores
a presence mask per field beside the vectors.
"""
from __future__ import annotations

import re

from indexer.ingest.records import BULLETS_KEY, SECTION_KEYS, Paper

FIELDS = ("title", "summary", "abstract")   # every vector kind a generation stores (records.EMBEDDED_FIELDS)

_MARKUP = re.compile(r"[*_`#>]+")
_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    return _SPACE.sub(" ", _MARKUP.sub(" ", text)).strip()


def summary_text(paper: Paper) -> str:
    """Korean summary without section labels, most informative sections first."""
    parts = [paper.sections[k] for k in (*SECTION_KEYS, BULLETS_KEY) if paper.sections.get(k)]
    parts += [v for k, v in paper.sections.items() if k not in SECTION_KEYS and k != BULLETS_KEY and v]
    text = " ".join(parts) if parts else paper.summary
    return clean(text)


def field_text(paper: Paper, field: str) -> str:
    """The passage embedded for `field`; "" when the paper lacks it (then it has no vector of that kind)."""
    if field == "title":
        return clean(paper.title)
    if field == "summary":
        return summary_text(paper)
    if field == "abstract":  # already unwrapped; LaTeX and underscores are content here, not markup
        return " ".join(paper.abstract.split())
    raise ValueError(f"unknown field {field!r}; expected one of {FIELDS}")


def has_field(paper: Paper, field: str) -> bool:
    return bool(field_text(paper, field))
