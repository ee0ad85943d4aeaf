"""The vectors topics are made of: what a paper is about, from its embedding and its words.

The e5 vectors alone make poor topic neighbourhoods (their nearest neighbours
often share a title word, not a subject: "Dolphins: ... for Driving" sits next to
"Dolphin: Long Context ..."), and k-means on them gave clusters whose members'
neighbours mostly lived elsewhere. Joining the centred embedding with an LSA
projection of the paper's terms (title twice, Korean summary terms) gives
neighbourhoods that follow subjects. A paper whose summary describes another
paper (agreement.suspect_mask) takes the mean topic vector of the papers its
title is closest to, so wrong summaries neither cluster together nor mislead.
"""
from __future__ import annotations

import numpy as np

LSA_DIMS = 128
TITLE_NEIGHBOURS = 10
SEED = 1234


def unit_rows(v: np.ndarray) -> np.ndarray:
    return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def lsa(docs: list[list[str]], dims: int = LSA_DIMS, seed: int = SEED) -> np.ndarray | None:
    """Unit LSA vectors of token lists (TF-IDF, sublinear tf, truncated SVD); None when too few terms."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(docs)
    try:
        tfidf = TfidfVectorizer(analyzer=lambda d: d, min_df=2, max_df=0.3 if n >= 50 else 1.0,
                                sublinear_tf=True).fit_transform(docs)
    except ValueError:  # no term in two documents
        return None
    k = min(dims, tfidf.shape[1] - 1, n - 1)
    if k < 2:
        return None
    return unit_rows(TruncatedSVD(k, random_state=seed).fit_transform(tfidf))


def topic_vectors(index_vectors: np.ndarray, title_vectors: np.ndarray, title_tokens: list[list[str]],
                  summary_tokens: list[list[str]], suspect: np.ndarray | None = None) -> np.ndarray:
    """(n, d) unit vectors: [centred embedding | LSA of terms], equal weight, suspect rows imputed by title."""
    n = len(index_vectors)
    suspect = np.zeros(n, dtype=bool) if suspect is None else np.asarray(suspect, dtype=bool)
    emb = unit_rows(index_vectors - index_vectors.mean(axis=0)) if n > 1 else unit_rows(index_vectors)
    docs = [t * 2 + ([] if s else m) for t, m, s in zip(title_tokens, summary_tokens, suspect)]
    terms = lsa(docs)
    out = unit_rows(np.hstack([emb, terms])) if terms is not None else emb
    trusted = np.nonzero(~suspect)[0]
    rows = np.nonzero(suspect)[0]
    if len(rows) and len(trusted):
        titles = unit_rows(title_vectors)
        sims = titles[rows] @ titles[trusted].T
        k = min(TITLE_NEIGHBOURS, len(trusted))
        nearest = trusted[np.argsort(-sims, axis=1)[:, :k]]
        out[rows] = unit_rows(out[nearest].mean(axis=1))
    return out
