"""Which Korean summaries describe another paper: judged against the English abstract where there is one,
against the title elsewhere.

The title rule (indexer.dense.agreement) has only a dozen English words to go on, so it misses generic
filler summaries whose title is vague and flags right summaries of oddly named papers. Where a paper has
both a summary and an abstract, the abstract decides: the same rank-based agreement, with the summary
matched against the paper's title + abstract (the sum of the two unit vectors, renormalised) instead of the
title alone, ranked among the papers that have both. Raw cross-lingual cosines of e5 are compressed
(0.80–0.94) and overlap between right and wrong summaries; the ranks separate them: 94% of such papers
score above 0.99, the wrong ones mostly far below (docs/reliability.md has the judged figures).

Stored per generation as `abstract_agreement.npy` (NaN where the paper lacks either text). A generation
built before it has no such file and is judged by the title rule alone, as it was.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.dense.agreement import SUSPECT_BELOW, agreement_scores, suspect_mask
from indexer.storage.layout import Generation

ABSTRACT_AGREEMENT_FILE = "abstract_agreement.npy"
# Below this, a summary that has an abstract beside it is flagged. Chosen on the full corpus's distribution
# (a plateau: 155 of 3,028 papers below 0.9, 168 below 0.98, then the bulk), before any sample was judged.
ABSTRACT_SUSPECT_BELOW = 0.98
MIN_ROWS = 20   # fewer papers with both texts: too few competitors for ranks to mean anything


def abstract_agreement(titles: np.ndarray, summaries: np.ndarray, abstracts: np.ndarray,
                       has_summary: np.ndarray, has_abstract: np.ndarray) -> np.ndarray:
    """Per row: how well the summary matches its own title + abstract against the others (1.0: best);
    NaN where the summary or the abstract is missing, or fewer than MIN_ROWS papers have both."""
    both = np.asarray(has_summary, dtype=bool) & np.asarray(has_abstract, dtype=bool)
    out = np.full(len(titles), np.nan, dtype=np.float32)
    if both.sum() < MIN_ROWS:
        return out
    anchor = titles[both] + abstracts[both]
    anchor /= np.maximum(np.linalg.norm(anchor, axis=1, keepdims=True), 1e-12)
    out[both] = agreement_scores(anchor.astype(np.float32), summaries[both])
    return out


@dataclass(frozen=True)
class Verdict:
    """One paper's summary check, as `show`, the paper page and the API give it."""

    flagged: bool             # the summary exists and seems to describe another paper
    reason: str | None        # e.g. "summary disagrees with the abstract, 0.41"; None when not flagged
    agreement: float | None   # title–summary agreement; None without a summary
    abstract_agreement: float | None  # summary vs title + abstract; None without both texts (or an old index)


@dataclass
class Suspicion:
    """The suspect and flagged masks of one generation, from its two agreement arrays."""

    agreement: np.ndarray                  # title–summary, per row (NaN: no summary)
    abstract: np.ndarray | None = None     # summary vs title + abstract (NaN: not both); None: older generation
    title_below: float = SUSPECT_BELOW
    abstract_below: float = ABSTRACT_SUSPECT_BELOW

    @classmethod
    def of(cls, agreement: np.ndarray, abstract: np.ndarray | None, extra: dict) -> Suspicion:
        """With the thresholds a generation's manifest recorded (today's defaults where it recorded none)."""
        return cls(agreement, abstract, extra.get("suspect_threshold", SUSPECT_BELOW),
                   extra.get("abstract_suspect_threshold", ABSTRACT_SUSPECT_BELOW))

    @classmethod
    def load(cls, gen: Generation, extra: dict) -> Suspicion:
        """A generation's arrays as its manifest `extra` describes them."""
        return cls.of(np.load(gen.agreement), load_abstract(gen.path), extra)

    @property
    def by_abstract(self) -> np.ndarray:
        """Rows the abstract decides (both texts present)."""
        if self.abstract is None:
            return np.zeros(len(self.agreement), dtype=bool)
        return ~np.isnan(self.abstract)

    @property
    def suspect(self) -> np.ndarray:
        """Rows whose summary ranking must not use: flagged, or missing (indexer.dense.agreement)."""
        mask = suspect_mask(self.agreement, self.title_below)
        if self.abstract is not None:
            by = self.by_abstract
            mask = np.where(by, self.abstract < self.abstract_below, mask)
        return mask

    @property
    def flagged(self) -> np.ndarray:
        """The "summary suspect" flag users see: a summary that exists and seems to describe another paper."""
        return self.suspect & ~np.isnan(self.agreement)

    def manifest_extra(self) -> dict:
        flagged = self.flagged
        return {"suspect_threshold": self.title_below, "abstract_suspect_threshold": self.abstract_below,
                "suspect": int(flagged.sum()), "suspect_by_abstract": int((flagged & self.by_abstract).sum())}

    def verdict(self, i: int) -> Verdict:
        a = _value(self.agreement[i])
        b = _value(self.abstract[i]) if self.abstract is not None else None
        flagged = bool(self.flagged[i])
        reason = None
        if flagged:
            reason = (f"summary disagrees with the abstract, {b:.2f}" if b is not None
                      else f"summary disagrees with the title, {a:.2f}")
        return Verdict(flagged, reason, a, b)


def _value(x: float) -> float | None:
    return None if np.isnan(x) else round(float(x), 4)


def save_abstract(gen_path: Path, values: np.ndarray) -> None:
    np.save(Path(gen_path) / ABSTRACT_AGREEMENT_FILE, values.astype(np.float32))


def load_abstract(gen_path: Path) -> np.ndarray | None:
    """The generation's summary–abstract agreement; None for one built before it."""
    p = Path(gen_path) / ABSTRACT_AGREEMENT_FILE
    return np.load(p) if p.exists() else None


def judge_summaries(gen_path: Path, per_field: dict[str, np.ndarray], presence: dict[str, np.ndarray],
                    agreement: np.ndarray) -> Suspicion:
    """The build's step: summary–abstract agreement computed and stored beside agreement.npy."""
    abstract = abstract_agreement(per_field["title"], per_field["summary"], per_field["abstract"],
                                  presence["summary"], presence["abstract"])
    save_abstract(gen_path, abstract)
    return Suspicion(agreement, abstract)
