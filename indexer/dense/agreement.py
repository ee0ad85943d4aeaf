"""Title–summary agreement: does a paper's Korean summary describe the paper its title names?

About 3% of the digest summaries belong to another paper (mostly Jun–Oct 2024,
generic "new deep learning model" filler). Raw title/summary cosines of e5 are
compressed (0.78–0.90 for nearly everything), so the score is rank based: how
many other summaries match this title better than its own, and how many other
titles match this summary better than its own (geometric mean, as a fraction of
the corpus). agreement = 1 - that fraction: ~1.0 for a matching summary.

A paper without a Korean summary (only in the feed) has no agreement: NaN, and the
ranks are computed among the papers that have one, so its title never competes as a
stand-in. For ranking, a missing summary is treated like a wrong one (`suspect_mask`
holds both: the title, mapped into summary space, stands in for it; BM25 reads the
title only); the "summary suspect" flag a user sees is `flagged_mask` (wrong, not missing).
"""
from __future__ import annotations

import numpy as np

# Below this, a summary is flagged. Calibrated on the full corpus: flags ~4% of
# papers, including every wrong summary the dev-set judges spotted by hand.
SUSPECT_BELOW = 0.82
_CHUNK = 1024


def agreement_scores(titles: np.ndarray, summaries: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    """Per row; `present` marks the rows that have a summary (the others get NaN)."""
    if present is not None and not present.all():
        out = np.full(len(titles), np.nan, dtype=np.float32)
        out[present] = agreement_scores(titles[present], summaries[present])
        return out
    n = len(titles)
    if n < 2:
        return np.ones(n, dtype=np.float32)
    own = np.einsum("ij,ij->i", titles, summaries)
    worse_summaries = np.zeros(n, dtype=np.int64)   # per title: summaries beating its own
    worse_titles = np.zeros(n, dtype=np.int64)      # per summary: titles beating its own
    for s in range(0, n, _CHUNK):
        block = titles[s : s + _CHUNK] @ summaries.T            # (chunk, n): title i vs summary j
        worse_summaries[s : s + _CHUNK] = (block > own[s : s + _CHUNK, None]).sum(axis=1)
        worse_titles += (block > own[None, :]).sum(axis=0)
    geo = np.sqrt((worse_summaries + 1.0) * (worse_titles + 1.0)) - 1.0
    return (1.0 - geo / (n - 1)).astype(np.float32)


def suspect_mask(agreement: np.ndarray, threshold: float = SUSPECT_BELOW) -> np.ndarray:
    """Rows whose summary ranking must not use: flagged as wrong, or missing (NaN)."""
    missing = np.isnan(agreement)
    # tiny indexes have too few competitors for ranks to mean anything
    return missing | (agreement < threshold) if len(agreement) >= 20 else missing


def flagged_mask(agreement: np.ndarray, threshold: float = SUSPECT_BELOW) -> np.ndarray:
    """Rows whose summary exists and seems to describe another paper: the "summary suspect" flag users see."""
    return suspect_mask(agreement, threshold) & ~np.isnan(agreement)
