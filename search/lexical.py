"""BM25 over Korean-summary morphemes and English-title words (bm25s).

Documents are the tokens cached in the store at build time (tokenising the
whole corpus with Kiwi takes about a minute; a search process must not).
Title tokens are repeated `title_boost` times so a title hit counts more than
one passing mention in a long summary.
"""
from __future__ import annotations

import bm25s
import numpy as np

from search.tokenize import tokens


class LexicalIndex:
    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.n = len(docs)
        self.bm25 = bm25s.BM25(k1=k1, b=b)
        # bm25s cannot index an empty document list or all-empty docs; keep a placeholder token
        self.bm25.index([d if d else ["\u2400"] for d in docs] or [["\u2400"]], show_progress=False)

    @classmethod
    def from_fields(cls, title_tokens: list[list[str]], summary_tokens: list[list[str]], title_boost: int = 2):
        return cls([t * title_boost + s for t, s in zip(title_tokens, summary_tokens)])

    def scores(self, query: str | list[str]) -> np.ndarray:
        """BM25 score of every document (position-aligned with the index's ids); zeros if no term matches."""
        q = tokens(query) if isinstance(query, str) else query
        if not q or self.n == 0:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(q), dtype=np.float32)[: self.n]
