import numpy as np
import pytest

from indexer.dense.agreement import agreement_scores, suspect_mask
from indexer.dense.suspicion import (
    ABSTRACT_AGREEMENT_FILE,
    Suspicion,
    abstract_agreement,
    judge_summaries,
    load_abstract,
)
from indexer.ingest.corpus import load_corpus
from indexer.storage.layout import Generation
from indexer.text.passages import field_text
from tests.helpers import CORPUS, copy_days, copy_feed_days


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def papers_60(seed=0):
    """60 papers: title, summary and abstract near a common topic vector."""
    rng = np.random.default_rng(seed)
    topics = unit(rng.normal(size=(60, 32)).astype(np.float32))
    near = lambda s: unit(topics + s * rng.normal(size=topics.shape).astype(np.float32))  # noqa: E731
    return near(0.3), near(0.05), near(0.05)


def test_the_abstract_flags_a_swapped_summary_the_title_lets_through():
    titles, summaries, abstracts = papers_60()
    summaries[[3, 40]] = summaries[[40, 3]]
    # paper 3's title is vague: halfway between its abstract and its wrong summary
    titles[3] = unit(summaries[3:4] + abstracts[3:4])[0]
    ok = np.ones(60, dtype=bool)
    title = agreement_scores(titles, summaries, ok)
    assert not suspect_mask(title)[3]
    s = Suspicion(title, abstract_agreement(titles, summaries, abstracts, ok, ok))
    assert set(np.flatnonzero(s.flagged)) == {3, 40} and s.by_abstract.all()
    v = s.verdict(3)
    assert v.flagged and v.reason == f"summary disagrees with the abstract, {v.abstract_agreement:.2f}"
    assert v.abstract_agreement < 0.98 < v.agreement
    assert s.verdict(5).reason is None and not s.verdict(5).flagged


def test_missing_texts_are_nan_and_the_title_rule_stays_where_there_is_no_abstract():
    titles, summaries, abstracts = papers_60()
    summaries[[3, 40]] = summaries[[40, 3]]
    has_summary, has_abstract = np.ones(60, dtype=bool), np.ones(60, dtype=bool)
    has_summary[7] = False        # only in the feed
    has_abstract[[3, 9]] = False  # only in the digest (3 has the swapped summary)
    summaries[7], abstracts[[3, 9]] = 0.0, 0.0
    title = agreement_scores(titles, summaries, has_summary)
    a = abstract_agreement(titles, summaries, abstracts, has_summary, has_abstract)
    assert np.isnan(a[[3, 7, 9]]).all() and np.isfinite(np.delete(a, [3, 7, 9])).all()
    s = Suspicion(title, a)
    assert set(np.flatnonzero(s.flagged)) == {3, 40}
    assert set(np.flatnonzero(s.suspect)) == {3, 7, 40}  # the missing summary: ranking reads the title only
    assert s.verdict(3).reason == f"summary disagrees with the title, {title[3]:.2f}"
    assert s.verdict(7) == s.verdict(7).__class__(False, None, None, None)
    assert s.manifest_extra()["suspect"] == 2 and s.manifest_extra()["suspect_by_abstract"] == 1


def test_too_few_papers_with_both_texts_leave_the_title_rule():
    titles, summaries, abstracts = papers_60()
    has_abstract = np.zeros(60, dtype=bool)
    has_abstract[:19] = True
    a = abstract_agreement(titles, summaries, abstracts, np.ones(60, dtype=bool), has_abstract)
    assert np.isnan(a).all()


def test_an_old_generation_without_the_file_is_judged_by_the_title_as_before(tmp_path):
    titles, summaries, abstracts = papers_60()
    summaries[[3, 40]] = summaries[[40, 3]]
    title = agreement_scores(titles, summaries)
    gen = Generation(tmp_path)
    np.save(gen.agreement, title)
    old = Suspicion.load(gen, {"suspect_threshold": 0.82})
    assert old.abstract is None and load_abstract(tmp_path) is None
    assert np.array_equal(old.suspect, suspect_mask(title, 0.82)) and not old.by_abstract.any()
    assert old.verdict(3).abstract_agreement is None
    presence = {"summary": np.ones(60, dtype=bool), "abstract": np.ones(60, dtype=bool)}
    s = judge_summaries(tmp_path, {"title": titles, "summary": summaries, "abstract": abstracts}, presence, title)
    assert (tmp_path / ABSTRACT_AGREEMENT_FILE).exists()
    new = Suspicion.load(gen, {})
    assert np.array_equal(new.abstract, s.abstract) and new.abstract_below == s.abstract_below


@pytest.mark.model
def test_real_vectors_flag_a_summary_swapped_between_two_real_papers(tmp_path, embedder):
    """Real digest and feed days, real e5 vectors: swap two papers' Korean summaries, the abstract catches both."""
    days = ["2025/01/02.md", "2025/01/03.md", "2025/01/06.md"]
    corpus = [copy_days(CORPUS, tmp_path / "digest", days),
              copy_feed_days(tmp_path / "feed", ["2025-01-02", "2025-01-03", "2025-01-06"])]
    papers = [p for p in load_corpus(corpus)[0] if p.summary and p.abstract][:30]
    assert len(papers) >= 24
    vec = {f: embedder.encode_passages([field_text(p, f) for p in papers]) for f in ("title", "summary", "abstract")}
    i, j = 2, len(papers) - 3
    vec["summary"][[i, j]] = vec["summary"][[j, i]]
    ok = np.ones(len(papers), dtype=bool)
    a = abstract_agreement(vec["title"], vec["summary"], vec["abstract"], ok, ok)
    assert set(np.argsort(a)[:2]) == {i, j} and a[[i, j]].max() < 0.9
