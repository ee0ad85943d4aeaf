"""Title–summary agreement: does a paper's Korean summary describe the paper its title names?

About 3% of the digest summaries belong to another paper (mostly Jun–Oct 2024,
generic "new deep learning model" filler). Raw title/summary cosines of e5 are
compressed (0.78–0.90 for nearly everything), so the score is rank based: how
many other summaries match this title better than its own, and how many other
titles match this summary better than its own (geometric mean, as a fraction of
the corpus). agreement = 1 - that fraction: ~1.0 for a matching summary.
"""
from __future__ import annotations

import numpy as np

# Below this, a summary is flagged. Calibrated on the full corpus: flags ~4% of
# papers, including every wrong summary the dev-set judges spotted by hand.
SUSPECT_BELOW = 0.82
_CHUNK = 1024


def agreement_scores(titles: np.ndarray, summaries: np.ndarray) -> np.ndarray:
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
    # tiny indexes have too few competitors for ranks to mean anything
    return agreement < threshold if len(agreement) >= 20 else np.zeros(len(agreement), dtype=bool)
