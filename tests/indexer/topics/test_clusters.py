import numpy as np
import pytest

from indexer.topics.clusters import NOISE, OTHER, Clustering, cluster_papers, default_k, map_2d
from tests.helpers import blobs, topic_input


@pytest.mark.parametrize("method", ["graph", "kmeans"])
def test_methods_recover_blobs_reproducibly_with_phrase_labels(tmp_path, method):
    x, truth = blobs()
    a = cluster_papers(topic_input(x, truth), method, k=3, resolution=1.0, map_method="pca")
    b = cluster_papers(topic_input(x, truth), method, k=3, resolution=1.0, map_method="pca")
    assert np.array_equal(a.assignments, b.assignments)
    assert all(len(set(a.assignments[truth == t].tolist())) == 1 for t in range(3))
    assert {cl.terms_en[0] for cl in a.clusters} == {"Video Diffusion", "Math Reasoning", "Speech Audio"}
    assert {cl.terms_ko[0] for cl in a.clusters} == {"비디오", "추론", "음성"}
    assert sum(c.size for c in a.clusters) == len(x) and all(len(c.central) > 0 for c in a.clusters)
    assert sum(sum(c.monthly.values()) for c in a.clusters) == len(x)
    a.aliases = {7: a.clusters[0].id}
    a.save(tmp_path)
    again = Clustering.load(tmp_path)
    assert np.array_equal(again.assignments, a.assignments) and again.clusters[0].label == a.clusters[0].label
    assert again.resolve(7) == a.clusters[0].id and again.resolve(a.clusters[1].id) == a.clusters[1].id
    assert again.resolve(12345) is None
    assert a.map2d.shape == (len(x), 2) and a.map_method == "pca"


def test_hdbscan_option_marks_noise_and_unknown_method_is_an_error():
    x, truth = blobs(per=30)
    c = cluster_papers(topic_input(x, truth), "hdbscan", map_method="pca")
    assert len([cl for cl in c.clusters if not cl.other]) >= 2
    assert set(c.assignments.tolist()) <= {NOISE, *[cl.id for cl in c.clusters]}
    with pytest.raises(ValueError, match="unknown clustering method 'spectral'"):
        cluster_papers(topic_input(x, truth), "spectral")


def test_other_group_is_explicit_and_last():
    x, truth = blobs()
    rng = np.random.default_rng(3)
    noise = rng.normal(size=(12, x.shape[1])).astype(np.float32)
    x2 = np.vstack([x, noise / np.linalg.norm(noise, axis=1, keepdims=True)])
    c = cluster_papers(topic_input(x2, np.concatenate([truth, np.zeros(12, dtype=int)])), "graph", map_method="pca")
    if (c.assignments == OTHER).any():
        assert c.clusters[-1].other and c.clusters[-1].id == OTHER and "other" in c.clusters[-1].label


def test_default_k_and_umap_map():
    assert default_k(5235) == 51 and default_k(40) >= 2
    x, _ = blobs()
    coords, used = map_2d(x, "umap")
    assert coords.shape == (len(x), 2) and used == "umap"


def test_umap_map_keeps_blobs_apart_on_an_exact_neighbour_graph():
    from indexer.topics.clusters import _exact_knn

    x, truth = blobs(seed=3, per=30)
    indices, dists, _ = _exact_knn(x, 15)
    brute = np.argsort(-(x @ x.T), axis=1)[:, :15]
    assert (indices[:, 0] == np.arange(len(x))).all() and dists[:, 0].max() == 0
    assert (np.diff(dists, axis=1) >= -1e-6).all()
    assert all(set(a) == set(b) for a, b in zip(indices.tolist(), brute.tolist()))
    coords, _ = map_2d(x, "umap")
    centres = np.stack([coords[truth == c].mean(axis=0) for c in range(3)])
    nearest = np.argmin(((coords[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    assert (nearest == truth).mean() > 0.95
