"""Dense scores for every index row from one FAISS search, the filter applied inside FAISS.

FAISS answers in row ids; the rankers speak positions (full-length arrays aligned
with the index rows), so this is where one becomes the other.
"""
from __future__ import annotations

import numpy as np

from indexer.storage.ann import FaissANN


class DenseSearch:
    def __init__(self, ann: FaissANN, rids: np.ndarray):
        self.ann, self.rids = ann, rids
        # row id -> position, as a dense lookup array (row ids are small positive ints)
        self._pos_of_rid = np.full(int(rids.max(initial=0)) + 1, -1, dtype=np.int64)
        self._pos_of_rid[rids] = np.arange(len(rids))

    def scores(self, qvec: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        """Exact inner product against the FAISS index, -inf outside `mask` (restricted inside FAISS)."""
        out = np.full(len(self.rids), -np.inf, dtype=np.float32)
        allowed = self.rids if mask is None else self.rids[mask]
        if len(allowed) == 0:
            return out
        scores, ids = self.ann.search(qvec, len(allowed), allowed=allowed if mask is not None else None)
        keep = ids[0] >= 0
        out[self._pos_of_rid[ids[0][keep]]] = scores[0][keep]
        return out
