import numpy as np

from indexer.topics.graph import OTHER, dissolve_grab_bags, graph_topics
from indexer.topics.quality import MIN_CONSISTENCY, consistent_rows, knn_rows, per_cluster


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_graph_topics_find_blobs_and_meet_the_consistency_goal():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 24)) * 3
    x = unit(np.vstack([c + rng.normal(size=(40, 24)) * 0.6 for c in centres]))
    a = graph_topics(x, resolution=1.0)
    truth = np.repeat(np.arange(4), 40)
    assert all(np.bincount(a[truth == t][a[truth == t] >= 0]).max() >= 36 for t in range(4))
    cons = per_cluster(consistent_rows(a, knn_rows(x)).astype(float), a)
    assert all(v >= MIN_CONSISTENCY for c, v in cons.items() if c != OTHER)
    assert np.array_equal(a, graph_topics(x, resolution=1.0))  # seeded
    sizes = [int((a == c).sum()) for c in sorted(set(a.tolist()) - {OTHER})]
    assert sizes == sorted(sizes, reverse=True)  # ids numbered largest first


def test_a_grab_bag_is_dissolved_into_its_members_real_topics_or_other():
    # rows 0-9 and 10-19 are tight groups; a "topic" 2 made of rows whose neighbours are all elsewhere
    nb = np.array([[(i + j) % 10 for j in range(1, 4)] for i in range(10)]
                  + [[10 + (i + j) % 10 for j in range(1, 4)] for i in range(10)]
                  + [[0, 1, 2], [10, 11, 12], [0, 10, 23]]
                  + [[23 + (i + j) % 10 for j in range(1, 4)] for i in range(10)])
    a = np.array([0] * 10 + [1] * 10 + [2, 2, 2] + [3] * 10)
    out = dissolve_grab_bags(a, nb)
    assert 2 not in out.tolist()
    assert out[20] == 0 and out[21] == 1          # joined the topic most of their neighbours are in
    assert out[22] == OTHER                       # no majority: the explicit "other" group
    assert out[:20].tolist() == a[:20].tolist()
