"""What text of a paper gets embedded, per vector field.

Each paper gets one vector per field; the search index holds their weighted
sum (see `indexer.dense.vectors.combine`), so inner product with a query equals the
weighted sum of the per-field cosines and weights can change without
re-embedding. The choice of fields and weights was measured on the dev set
(bench/quality.py); see README "Representation".
"""
from __future__ import annotations

import re

from indexer.ingest.records import BULLETS_KEY, SECTION_KEYS, Paper

FIELDS = ("title", "summary")

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
    if field == "title":
        return clean(paper.title)
    if field == "summary":
        return summary_text(paper) or clean(paper.title)
    raise ValueError(f"unknown field {field!r}; expected one of {FIELDS}")
