"""Topics as communities of the nearest-neighbour graph (Louvain), grab-bags dissolved into "other".

k-means cuts the topic space into cells of similar size whether or not a subject
lives there, which made grab-bags (Depth Anything V2 next to "The GAN is dead"
and a time-series model). Communities of the 10-nearest-neighbour graph follow
where papers actually sit together; a community whose members' neighbours are
still mostly elsewhere (quality.MIN_CONSISTENCY) is dissolved: each member
joins the topic most of its neighbours are in, or the explicit "other" group.
"""
from __future__ import annotations

import numpy as np

from indexer.topics.quality import MIN_CONSISTENCY, consistent_rows, knn_rows, per_cluster

OTHER = -1           # the explicit "no coherent topic" group (also HDBSCAN's noise label)
RESOLUTION = 2.5     # Louvain resolution: ~35 topics on the 5k-paper corpus (2.0 -> ~31, 3.0 -> ~41)
SEED = 1234


def louvain(vectors: np.ndarray, neighbours: np.ndarray, resolution: float = RESOLUTION,
            seed: int = SEED) -> np.ndarray:
    """Community per row, numbered largest first."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(len(vectors)))
    sims = np.einsum("id,ikd->ik", vectors, vectors[neighbours])
    for i, (row, w) in enumerate(zip(neighbours.tolist(), np.maximum(sims, 0.0).tolist())):
        g.add_weighted_edges_from((i, j, x) for j, x in zip(row, w))
    communities = nx.community.louvain_communities(g, weight="weight", resolution=resolution, seed=seed)
    out = np.full(len(vectors), OTHER, dtype=np.int64)
    for cid, members in enumerate(sorted(communities, key=lambda c: (-len(c), min(c)))):
        out[sorted(members)] = cid
    return out


def dissolve_grab_bags(assignments: np.ndarray, neighbours: np.ndarray,
                       min_consistency: float = MIN_CONSISTENCY) -> np.ndarray:
    """Dissolve the least consistent topic, one at a time, until every topic meets `min_consistency`."""
    a = assignments.copy()
    half = neighbours.shape[1] / 2
    while True:
        cons = per_cluster(consistent_rows(a, neighbours).astype(float), a)
        bad = {c: x for c, x in cons.items() if c != OTHER and x < min_consistency}
        if not bad:
            return a
        worst = min(bad, key=lambda c: (bad[c], c))
        rows = np.nonzero(a == worst)[0]
        a[rows] = OTHER
        for i in rows:
            votes = a[neighbours[i]]
            votes = votes[votes != OTHER]
            if len(votes):
                ids, counts = np.unique(votes, return_counts=True)
                if counts.max() > half:
                    a[i] = ids[counts.argmax()]


def graph_topics(vectors: np.ndarray, resolution: float = RESOLUTION, seed: int = SEED) -> np.ndarray:
    """Topic id per row (OTHER for papers in no coherent topic); ids numbered largest first."""
    if len(vectors) < 3:
        return np.zeros(len(vectors), dtype=np.int64)
    neighbours = knn_rows(vectors)
    a = dissolve_grab_bags(louvain(vectors, neighbours, resolution, seed), neighbours)
    kept = [c for c in sorted(set(a.tolist()) - {OTHER}, key=lambda c: (-(a == c).sum(), c))]
    renum = {c: i for i, c in enumerate(kept)}
    return np.array([renum.get(int(c), OTHER) for c in a], dtype=np.int64)
