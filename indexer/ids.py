"""arXiv id recognition: bare ids, versioned ids and arxiv.org URLs map to one canonical id."""
from __future__ import annotations

import re

# new-style 2404.12253(v2) and old-style cs/0601001(v1)
_ID = r"(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"
ARXIV_URL_RE = re.compile(r"arxiv\.org/(?:abs|pdf|html)/" + _ID, re.IGNORECASE)
BARE_ID_RE = re.compile(r"^\s*(?:arxiv:\s*)?" + _ID + r"(?:\.pdf)?\s*$", re.IGNORECASE)


def normalize_arxiv_id(text: str) -> str | None:
    """Canonical id (version stripped) if `text` is an arXiv id or arxiv.org URL, else None."""
    m = BARE_ID_RE.match(text) or ARXIV_URL_RE.search(text)
    return m.group("id") if m else None
