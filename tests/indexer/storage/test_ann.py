import numpy as np
import pytest

from indexer.storage.ann import FaissANN, drop_padding


def unit(n, d, seed=0):
    v = np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_exact_search_matches_numpy(tmp_path):
    v = unit(200, 16)
    ids = np.arange(1000, 1200)
    ann = FaissANN(16)
    ann.index_vectors(ids, v)
    q = unit(3, 16, seed=1)
    scores, got = ann.search(q, 10)
    want = ids[np.argsort(-(q @ v.T), axis=1)[:, :10]]
    assert np.array_equal(got, want)
    ann.save(tmp_path / "i.faiss")
    again = FaissANN.load(tmp_path / "i.faiss")
    assert np.array_equal(again.search(q, 10)[1], got)


def test_filter_returns_exactly_the_allowed_and_pads_with_minus_one():
    v = unit(50, 8)
    ids = np.arange(50) + 7
    ann = FaissANN(8)
    ann.index_vectors(ids, v)
    allowed = np.array([9, 20, 33])
    scores, got = ann.search(v[0], 5, allowed=allowed)
    s, i = drop_padding(scores[0], got[0])
    assert sorted(i.tolist()) == [9, 20, 33]
    assert (got[0][3:] == -1).all()
    # k allowed -> k back, whatever their rank in the unfiltered list
    many = ids[::2]
    _, got = ann.search(v[1], 10, allowed=many)
    assert len(set(got[0].tolist()) & set(many.tolist())) == 10


def test_delete_and_append():
    ann = FaissANN(4)
    ann.index_vectors(np.array([1, 2, 3]), unit(3, 4))
    assert ann.delete(np.array([2])) == 1
    ann.append(np.array([9]), unit(1, 4, seed=5))
    assert sorted(ann.ids().tolist()) == [1, 3, 9]
    _, got = ann.search(unit(1, 4, seed=5), 1)
    assert got[0][0] == 9


def test_backends_register_by_name_and_share_the_base():
    from indexer.storage.ann import ANN, ANN_BACKENDS, DEFAULT_BACKEND, ann_backend
    from papersearch.registry import UnknownStrategy

    assert DEFAULT_BACKEND in ANN_BACKENDS and ann_backend() is FaissANN and issubclass(FaissANN, ANN)
    ann = ann_backend()(4)
    ann.append(np.array([5, 6]), np.eye(4, dtype=np.float32)[:2])
    ann.index_vectors(np.array([7]), np.eye(4, dtype=np.float32)[2:3])   # replaces, through the base's contract
    assert ann.ids().tolist() == [7]
    with pytest.raises(UnknownStrategy, match="faiss-flat"):
        ann_backend("hnsw")
