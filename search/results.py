"""Ranked positions become the response's results: paper fields, highlighted snippet, trust flags, topic facets.

A result stays a card: the snippet, which text it was cut from, whether the paper has an abstract and which
sources hold it; the full texts (Korean summary by section, English abstract) are on the paper record
(GET /api/papers/{id}), so a page of 100 results does not carry 100 abstracts.
"""
from __future__ import annotations

import numpy as np

from indexer.ingest.records import Paper
from indexer.text.passages import summary_text
from search.schemas import SearchResult
from search.snippet import make_snippet, snippet_text


class ResultBuilder:
    """Per-row display data of one loaded index, built once (summary texts are not rebuilt per request)."""

    def __init__(self, papers: list[Paper], suspect: np.ndarray, agreement: np.ndarray,
                 clusters: np.ndarray | None):
        """`suspect`: the user-facing flag (a summary that exists and seems to describe another paper)."""
        self.papers, self.suspect, self.agreement, self.clusters = papers, suspect, agreement, clusters
        self._summaries = [summary_text(p) for p in papers]

    def result(self, i: int, score: float, terms: list[str], english_share: float | None = None) -> SearchResult:
        """Row i as a result, its snippet highlighting `terms`, cut from the text of the query's language
        (`english_share`, search.snippet.snippet_text; None: no query text, the Korean summary first)."""
        p = self.papers[i]
        field, text = snippet_text(self._summaries[i], p.abstract, english_share)
        return SearchResult(
            arxiv_id=p.arxiv_id, title=p.title, authors=p.authors, votes=p.votes_max, dates=p.dates,
            score=round(score, 5), snippet=make_snippet(text, terms), snippet_from=field, arxiv_url=p.arxiv_url,
            thumbnail_url=p.thumbnail_url, summary_suspect=bool(self.suspect[i]),
            cluster=int(self.clusters[i]) if self.clusters is not None else None,
            agreement=self.agreement_of(i), has_abstract=bool(p.abstract), sources=p.origins,
        )

    def agreement_of(self, i: int) -> float | None:
        """Title-summary agreement of row i; None for a paper without a Korean summary (only in the feed)."""
        a = float(self.agreement[i])
        return None if np.isnan(a) else round(a, 4)

    def results(self, pos: np.ndarray, scores: np.ndarray, terms: list[str],
                english_share: float | None = None) -> list[SearchResult]:
        return [self.result(int(p), float(s), terms, english_share) for p, s in zip(pos, scores)]

    def facets(self, pos: np.ndarray) -> dict[str, int]:
        """Topic cluster id -> how many of these candidates it holds, largest first."""
        if self.clusters is None or len(pos) == 0:
            return {}
        ids, counts = np.unique(self.clusters[pos], return_counts=True)
        return {str(int(i)): int(c) for i, c in sorted(zip(ids, counts), key=lambda t: -t[1]) if i >= 0}
