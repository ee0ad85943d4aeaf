"""Corpus-fitted query adapters and summary prediction (indexer.dense.adapter)."""
import numpy as np

from indexer.dense.adapter import MIN_PAIRS, Adapters, fit_adapters
from indexer.dense.vectors import PREDICTED_SCALE, TITLE_ONLY_SCALE, combine, summary_like


def unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def pairs(n=480, d=24, seed=0):
    """Titles and summaries of the same papers live in two rotated, noisy views of one space."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, d))
    rot, _ = np.linalg.qr(rng.normal(size=(d, d)))
    titles = unit(z + 0.3 * rng.normal(size=(n, d)) + 2.0)        # a shared offset, like e5's anisotropy
    summaries = unit(z + z @ rot + 0.3 * rng.normal(size=(n, d)) + 2.0)  # partly aligned, as e5 is
    return titles, summaries


def mrr(q, docs):
    sims = q @ docs.T
    own = np.einsum("ij,ij->i", q, docs)
    return float(np.mean(1 / (1 + (sims > own[:, None]).sum(axis=1))))


def test_adapter_brings_titles_to_their_own_summaries_on_unseen_papers():
    t, s = pairs()
    train, test = slice(0, 400), slice(400, None)
    ad = fit_adapters(t[train], s[train], np.ones(400, bool))
    mapped = np.stack([ad.apply("to_summary", q) for q in t[test]])
    assert mrr(mapped, s[test]) > mrr(t[test], s[test]) + 0.05
    back = np.stack([ad.apply("to_title", q) for q in s[test]])
    assert mrr(back, t[test]) > mrr(s[test], t[test])
    assert np.allclose(np.linalg.norm(mapped, axis=1), 1, atol=1e-5)


def test_predicted_summaries_sit_on_the_summaries_scale():
    t, s = pairs()
    ad = fit_adapters(t, s, np.ones(len(t), bool))
    pred = ad.predict_summaries(t[:50])
    assert np.allclose(np.linalg.norm(pred, axis=1), 1, atol=1e-5)
    centroid = s.mean(axis=0)
    # not shrunk onto the mean summary (which would match every query a little)
    assert abs(float((pred @ centroid).mean() - (s[:50] @ centroid).mean())) < 0.05
    assert float(np.einsum("ij,ij->i", pred, s[:50]).mean()) > float((pred @ s[50:100].T).mean())


def test_suspect_rows_use_the_predicted_summary_in_the_index_vector():
    t, s = pairs()
    ad = fit_adapters(t, s, np.ones(len(t), bool))
    suspect = np.zeros(len(t), bool)
    suspect[[3, 7]] = True
    like = summary_like(t, s, suspect, ad.predict_summaries)
    assert np.allclose(like[~suspect], s[~suspect])
    assert np.allclose(like[3], PREDICTED_SCALE * ad.predict_summaries(t[[3]])[0], atol=1e-6)
    out = combine({"title": t, "summary": s}, {"title": 0.2, "summary": 0.8}, suspect, ad.predict_summaries)
    assert np.allclose(out[3], 0.2 * t[3] + 0.8 * like[3], atol=1e-6)
    # without an adapter, the old title-only row
    plain = combine({"title": t, "summary": s}, {"title": 0.2, "summary": 0.8}, suspect)
    assert np.allclose(plain[7], TITLE_ONLY_SCALE * t[7])


def test_too_few_pairs_means_no_adapter_and_roundtrip(tmp_path):
    t, s = pairs(n=MIN_PAIRS + 10)
    none = fit_adapters(t, s, np.arange(len(t)) < MIN_PAIRS - 1)
    assert none.maps == {} and none.apply("to_summary", t[0]) is None and none.predict_summaries(t) is None
    ad = fit_adapters(t, s, np.ones(len(t), bool))
    ad.save(tmp_path)
    back = Adapters.load(tmp_path)
    assert set(back.maps) == set(ad.maps) and back.fingerprint() == ad.fingerprint()
    assert Adapters.load(tmp_path / "missing").maps == {}
