import numpy as np

from indexer.topics.quality import (
    cluster_quality,
    consistent_rows,
    knn_rows,
    label_flags,
    norm_term,
    per_cluster,
    title_cohesion,
)


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_knn_rows_matches_brute_force_and_excludes_self():
    x = unit(np.random.default_rng(0).normal(size=(300, 8)))
    got = knn_rows(x, k=5, block=64)
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    want = np.argsort(-sims, axis=1)[:, :5]
    assert all(set(g) == set(w) for g, w in zip(got.tolist(), want.tolist()))


def test_consistency_counts_majorities_only():
    nb = np.array([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])
    a = np.array([0, 0, 1, 1])
    # row 0: neighbours 1,2,3 -> one of three in cluster 0: not consistent
    assert consistent_rows(a, nb).tolist() == [False, False, False, False]
    a = np.array([0, 0, 0, 1])
    assert consistent_rows(a, nb).tolist() == [True, True, True, False]
    assert per_cluster(consistent_rows(a, nb).astype(float), a) == {0: 1.0, 1: 0.0}


def test_title_cohesion_is_mean_pairwise_cosine():
    x = unit(np.random.default_rng(1).normal(size=(6, 4)))
    a = np.array([0, 0, 0, 1, 1, 1])
    got = title_cohesion(x, a)
    m = x[:3] @ x[:3].T
    assert abs(got[0] - (m.sum() - 3) / 6) < 1e-6


def test_norm_term_and_label_flags():
    assert norm_term("LLMs") == "llm" and norm_term("Text-to-Videos") == "text to video"
    assert norm_term("Gaussians") == "gaussian" and norm_term("focus") == "focus"
    flags = label_flags([["language", "llm", "llms"], ["KV cache", "Compression"], ["Video", "Video Generation"]])
    assert flags[0] == (True, True)       # llm/llms repeat; "language" is generic
    assert flags[1] == (False, False)
    assert flags[2][0]                    # "video" twice


def test_cluster_quality_reports_worst_first():
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(2, 8)) * 4
    x = unit(np.vstack([centres[0] + rng.normal(size=(30, 8)), centres[1] + rng.normal(size=(30, 8))]))
    good = np.repeat([0, 1], 30)
    scrambled = rng.permutation(good)
    q = cluster_quality(x, x, np.where(np.arange(60) < 30, good, scrambled + 2), np.zeros(60, dtype=bool))
    assert q[0].consistency <= q[-1].consistency and q[-1].consistency > 0.9
    assert all(item.suspect_share == 0 for item in q)
