import numpy as np

from indexer.clusters import NOISE, Clustering, cluster_papers, ctfidf_terms, default_k, map_2d
from indexer.records import Paper


def blobs(seed=0, per=20, centres=3, dim=16):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centres, dim)).astype(np.float32) * 3
    x = np.concatenate([c[i] + rng.normal(size=(per, dim)).astype(np.float32) * 0.3 for i in range(centres)])
    return x / np.linalg.norm(x, axis=1, keepdims=True), np.repeat(np.arange(centres), per)


def papers(n):
    return [Paper(arxiv_id=f"2401.{i:05d}", title=f"t{i}", dates=[f"2024-0{1 + i % 3}-01"]) for i in range(n)]


def test_kmeans_recovers_blobs_and_is_reproducible(tmp_path):
    x, truth = blobs()
    docs = [["video", "diffusion"] if t == 0 else ["reasoning", "math"] if t == 1 else ["speech", "audio"] for t in truth]
    ko = [["비디오"] if t == 0 else ["추론"] if t == 1 else ["음성"] for t in truth]
    a = cluster_papers(x, papers(len(x)), docs, ko, k=3, map_method="pca")
    b = cluster_papers(x, papers(len(x)), docs, ko, k=3, map_method="pca")
    assert np.array_equal(a.assignments, b.assignments)
    # each true blob lands in exactly one cluster
    assert all(len(set(a.assignments[truth == t].tolist())) == 1 for t in range(3))
    labels = {frozenset(c.terms_en[:2]) for c in a.clusters}
    assert labels == {frozenset({"video", "diffusion"}), frozenset({"reasoning", "math"}), frozenset({"speech", "audio"})}
    assert sum(c.size for c in a.clusters) == len(x) and all(len(c.central) > 0 for c in a.clusters)
    assert sum(sum(c.monthly.values()) for c in a.clusters) == len(x)
    a.save(tmp_path)
    again = Clustering.load(tmp_path)
    assert np.array_equal(again.assignments, a.assignments) and again.clusters[0].label == a.clusters[0].label
    assert a.map2d.shape == (len(x), 2) and a.map_method == "pca"


def test_hdbscan_option_marks_noise():
    x, _ = blobs(per=30)
    c = cluster_papers(x, papers(len(x)), [[]] * len(x), [[]] * len(x), method="hdbscan", map_method="pca")
    assert len(c.clusters) >= 2 and set(c.assignments.tolist()) <= {NOISE, *[cl.id for cl in c.clusters]}


def test_ctfidf_prefers_distinctive_terms():
    docs = [["model", "video"], ["model", "video"], ["model", "math"], ["model", "math"]]
    terms = ctfidf_terms(docs, np.array([0, 0, 1, 1]))
    assert terms[0][0] == "video" and terms[1][0] == "math"  # "model" is generic and everywhere


def test_default_k_and_umap_map():
    assert default_k(5235) == 51 and default_k(40) >= 2
    x, _ = blobs()
    coords, used = map_2d(x, "umap")
    assert coords.shape == (len(x), 2) and used == "umap"


def test_extend_keeps_ids_and_places_new_papers():
    from indexer.clusters import extend

    x, truth = blobs(per=20)
    docs = [["a"]] * len(x)
    base = cluster_papers(x[:50], papers(50), docs[:50], docs[:50], k=3, map_method="pca")
    rids = np.arange(100, 100 + len(x))
    grown = extend(base, rids[:50], rids, x, papers(len(x)), docs, docs)
    assert np.array_equal(grown.assignments[:50], base.assignments)
    # the 10 new papers all come from the third blob: they join the cluster holding that blob
    third = base.assignments[truth[:50] == 2][0]
    assert set(grown.assignments[50:].tolist()) == {third}
    assert sum(c.size for c in grown.clusters) == len(x)
    spread = np.ptp(base.map2d, axis=0)
    centre = base.map2d[base.assignments == third].mean(axis=0)
    assert np.all(np.abs(grown.map2d[50:] - centre) < spread)
