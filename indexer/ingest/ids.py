"""arXiv id recognition: bare ids, versioned ids, arxiv.org and hf.co/papers URLs map to one canonical id.

One function for the parser (digest links), the CLI (`show`, `similar`) and the
search box (an id typed as a query means "similar to that paper").
"""
from __future__ import annotations

import re

_ARXIV_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/(?:arxiv:)?"
    r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.\-]*/\d{7})(?:v\d+)?(?:\.pdf)?/?(?:[?#].*)?$",
    re.I,
)
_HF_URL = re.compile(r"^(?:https?://)?(?:huggingface|hf)\.co/papers/(?P<id>\d{4}\.\d{4,5})(?:v\d+)?/?(?:[?#].*)?$", re.I)
_NEW_ID = re.compile(r"^\d{2}(0[1-9]|1[0-2])\.\d{4,5}$")
_OLD_ID = re.compile(r"^[a-z][a-z\-]*(?:\.[a-z]{2})?/\d{7}$", re.I)


def normalize_arxiv_id(url_or_id: str) -> str | None:
    """Canonical arXiv id (version and `.pdf` stripped) from an abs/pdf/hf-papers URL or bare id."""
    s = url_or_id.strip().strip("<>")
    m = _ARXIV_URL.match(s) or _HF_URL.match(s)
    cand = m.group("id") if m else re.sub(r"^arxiv:", "", re.sub(r"v\d+$", "", s), flags=re.I)
    if _NEW_ID.match(cand):
        return cand
    return cand if _OLD_ID.match(cand) else None
