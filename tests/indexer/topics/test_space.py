import numpy as np

from indexer.topics.space import lsa, topic_vectors, unit_rows


def test_suspect_rows_take_their_title_neighbours_place():
    rng = np.random.default_rng(0)
    centres = unit_rows(rng.normal(size=(2, 16)))
    rows = unit_rows(np.repeat(centres, 20, axis=0) + rng.normal(size=(40, 16)) * 0.1)
    titles = rows.copy()
    index = rows.copy()
    index[:3] = centres[1]               # three wrong summaries: they read like the other group
    suspect = np.zeros(40, dtype=bool)
    suspect[:3] = True
    toks = [["video", "diffusion"]] * 20 + [["speech", "audio"]] * 20
    out = topic_vectors(index, titles, toks, [[]] * 40, suspect)
    assert out.shape[0] == 40 and np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5)
    group0 = out[3:20].mean(axis=0)
    group1 = out[20:].mean(axis=0)
    assert all(out[i] @ group0 > out[i] @ group1 for i in range(3))  # back with the papers their titles match


def test_lsa_needs_shared_terms():
    assert lsa([["a"], ["b"], ["c"]]) is None
    v = lsa([["video", "diffusion"], ["video", "motion"], ["speech", "audio"], ["speech", "music"]] * 3)
    assert v is not None and v.shape[0] == 12
