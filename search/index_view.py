"""The index arrays the rankers read, as one typed, frozen view.

Features and rankers take this view, never the engine: what they depend on is
spelled out here, and they cannot call back into the engine. The engine builds
the view once when it opens and replaces it (dataclasses.replace) when it
changes an array: a rebuilt BM25 index or re-weighted paper vectors.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from indexer.dense.adapter import Adapters
from indexer.dense.vectors import combine, summary_like
from indexer.reading.reader import LoadedIndex
from indexer.text.lexicon import Lexicon
from search.lexical import LexicalIndex

SEED_TERMS = 40  # distinctive BM25 terms taken from each seed paper


@dataclass(frozen=True, eq=False)
class IndexView:
    title_vecs: np.ndarray          # English title vectors, one row per paper
    summary_like: np.ndarray        # Korean summary vectors; a suspect summary replaced by its title mapped there
    paper_vecs: np.ndarray          # the combined vectors FAISS holds
    gloss_vecs: np.ndarray | None   # English view (indexer.text.gloss); None for generations built before it
    adapters: Adapters              # corpus-fitted query maps (indexer.dense.adapter); may hold none
    lexical: LexicalIndex
    lexicon: Lexicon                # ko<->en terms for cross-lingual expansion
    expansion_weight: float         # lexicon terms weigh this x confidence, below the query's own 1.0
    log_votes: np.ndarray
    suspect: np.ndarray             # the summary describes another paper: only the title counts
    # the feed's English abstract (e5 passage vectors; zero rows where has_abstract is False); None: no abstracts
    abstract_vecs: np.ndarray | None = None
    has_abstract: np.ndarray | None = None  # which rows have an abstract (None: none do)

    @property
    def size(self) -> int:
        return len(self.suspect)

    def take(self, rows: np.ndarray) -> IndexView:
        """The view of some rows only (a day's new papers), every corpus-level input (BM25 idf, adapters,
        lexicon) still the whole index's: per-row features come out as the whole view gives them."""
        rows = np.asarray(rows, dtype=np.int64)
        return replace(self, title_vecs=self.title_vecs[rows], summary_like=self.summary_like[rows],
                       paper_vecs=self.paper_vecs[rows],
                       gloss_vecs=None if self.gloss_vecs is None else self.gloss_vecs[rows],
                       lexical=self.lexical.take(rows), log_votes=self.log_votes[rows], suspect=self.suspect[rows],
                       abstract_vecs=None if self.abstract_vecs is None else self.abstract_vecs[rows],
                       has_abstract=None if self.has_abstract is None else self.has_abstract[rows])

    @classmethod
    def of(cls, idx: LoadedIndex, suspect: np.ndarray, lexical: LexicalIndex, votes: np.ndarray,
           expansion_weight: float) -> IndexView:
        """The view of a loaded generation, its vectors combined with the weights its manifest records."""
        predict = idx.adapters.summary_predictor
        has = idx.present.get("abstract")
        has = has if has is not None and "abstract" in idx.vectors and has.any() else None
        return cls(
            title_vecs=idx.vectors["title"],
            summary_like=summary_like(idx.vectors["title"], idx.vectors["summary"], suspect, predict),
            paper_vecs=combine(idx.vectors, idx.manifest.weights, suspect, predict),
            gloss_vecs=idx.gloss, adapters=idx.adapters, lexical=lexical, lexicon=idx.lexicon,
            expansion_weight=expansion_weight, log_votes=np.log1p(np.maximum(votes, 0)).astype(np.float32),
            suspect=suspect, abstract_vecs=None if has is None else idx.vectors["abstract"], has_abstract=has,
        )


def expand(view: IndexView, terms: list[str]) -> dict[str, float]:
    """Other-language lexicon terms for the lexical ranker, weighted below the query's own."""
    return view.lexicon.expand(terms, view.expansion_weight)


def title_cover(view: IndexView, terms: list[str]) -> np.ndarray:
    """Per paper: share of these distinct terms that occur in its title."""
    lex = view.lexical
    cols = [lex.vocab[t] for t in terms if t in lex.vocab]
    if not terms or not cols:
        return np.zeros(view.size, dtype=np.float32)
    hit = lex.fields["title"].matrix[:, cols] > 0
    return (np.asarray(hit.sum(axis=1)).ravel() / len(terms)).astype(np.float32)


def seed_terms(view: IndexView, positions: list[int]) -> dict[str, float]:
    """The seed papers' most distinctive BM25 terms (title only when a summary is suspect), averaged."""
    out: dict[str, float] = {}
    for p in positions:
        field = "title" if view.suspect[p] else "all"
        for t, w in view.lexical.top_terms(p, SEED_TERMS, field).items():
            out[t] = out.get(t, 0.0) + w / len(positions)
    return out
