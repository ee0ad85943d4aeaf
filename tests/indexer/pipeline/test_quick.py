"""A first build in stages, then the rest (real day files of both sources, real model): the first quick stage
encodes nothing (keyword search), the second the titles only; each publishes a generation that verifies and
says what it lacks; the ordinary build then encodes what the stages left out and nothing else, and ends where a
single full build ends. The build's progress file is there while it runs and gone after; a failed build leaves
its error in it."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from indexer.pipeline.build import EmptyCorpusError, build_index
from indexer.pipeline.fields import QUICK_LEAVES
from indexer.reading.reader import open_index
from indexer.reading.verify import verify
from indexer.storage.layout import DataDir
from indexer.storage.manifest import Manifest
from indexer.storage.progress import PROGRESS_FILE, read_progress
from indexer.text.passages import field_text
from papersearch.settings import Settings
from tests.helpers import FED_FEED_DAYS, SLICE_DAYS, copy_days, copy_feed_days

pytestmark = pytest.mark.model


class Watching:
    """The real embedder, recording what it encodes and the progress file as each batch starts."""

    def __init__(self, embedder, data_dir):
        self._e, self.data_dir, self.texts, self.seen = embedder, data_dir, [], []

    def __getattr__(self, name):
        return getattr(self._e, name)

    def encode_passages(self, texts, batch_size=32):
        self.texts.extend(texts)
        p = self.data_dir / PROGRESS_FILE
        if p.exists():
            self.seen.append(json.loads(p.read_text()))
        return self._e.encode_passages(texts, batch_size=batch_size)


@pytest.fixture(scope="module")
def two_ways(tmp_path_factory, corpus_dir, embedder):
    root = tmp_path_factory.mktemp("quick")
    corpus = [copy_days(corpus_dir, root / "digest", SLICE_DAYS), copy_feed_days(root / "feed", FED_FEED_DAYS)]
    staged = Settings(corpus=corpus, data_dir=root / "staged")
    lexical = build_index(staged, progress=False, quick=True, embedder_factory=lambda _: embedder)
    lexical_gen = DataDir(staged.data_dir).current()
    idx = open_index(staged.data_dir)   # read now: the third build prunes this generation
    lexical_seen = {"pending": idx.manifest.pending, "present": {f: m.any() for f, m in idx.present.items()},
                    "gloss": bool(np.load(lexical_gen.presence("gloss")).any()),
                    "tokens": len(idx.store.lexical_tokens()), "lexicon": len(idx.lexicon)}
    idx.close()
    lexical_verify = verify(staged.data_dir)
    quick_enc = Watching(embedder, staged.data_dir)
    quick = build_index(staged, progress=False, quick=True, embedder_factory=lambda _: quick_enc)
    quick_gen = DataDir(staged.data_dir).current()
    quick_verify = verify(staged.data_dir)
    rest_enc = Watching(embedder, staged.data_dir)
    rest = build_index(staged, progress=False, embedder_factory=lambda _: rest_enc)
    direct = Settings(corpus=corpus, data_dir=root / "direct")
    build_index(direct, progress=False, embedder_factory=lambda _: embedder)
    return staged, direct, quick, quick_gen, quick_verify, quick_enc, rest, rest_enc, (lexical, lexical_seen,
                                                                                      lexical_verify)


def test_first_stage_is_keywords_alone(two_ways):
    lexical, seen, report = two_ways[-1]
    assert lexical.encoded == {} and lexical.pending == ["title", "summary", "abstract", *QUICK_LEAVES]
    assert report.ok, report.problems
    assert seen["pending"] == lexical.pending
    assert not any(seen["present"].values()) and not seen["gloss"]
    assert seen["tokens"] == lexical.papers and seen["lexicon"] > 0


def test_second_stage_encodes_titles_only_and_says_what_it_lacks(two_ways):
    staged, _, quick, gen, report, enc, *_ = two_ways
    assert set(quick.encoded) == {"title"} and quick.encoded["title"] == quick.papers
    assert len(enc.texts) == quick.papers
    m = Manifest.load(gen.manifest)
    assert m.pending == ["summary", "abstract", *QUICK_LEAVES] == quick.pending
    assert report.ok, report.problems   # a partial generation is a consistent one
    for f in ("summary", "abstract", "gloss"):
        assert not np.load(gen.presence(f)).any(), f
    assert not (gen.path / "clusters.json").exists()
    assert enc.seen and {s["phase"] for s in enc.seen} == {"quick"} and enc.seen[0]["encoding"] in ("", "title")


def test_the_next_build_encodes_what_the_pass_left_out_and_nothing_else(two_ways):
    staged, _, quick, _, _, _, rest, enc, _ = two_ways
    assert "title" not in rest.encoded
    idx = open_index(staged.data_dir)
    try:
        rows = idx.store.all()
        with_summary = sum(1 for _, p in rows if field_text(p, "summary"))
        with_abstract = sum(1 for _, p in rows if field_text(p, "abstract"))
        assert rest.encoded["summary"] == with_summary and rest.encoded["abstract"] == with_abstract
        assert idx.manifest.pending == [] and idx.clustering is not None
        assert idx.gloss is not None and np.abs(idx.gloss).sum(axis=1).any()
    finally:
        idx.close()
    assert {s["phase"] for s in enc.seen} == {"full"}
    assert "summary" in {s["encoding"] for s in enc.seen[1:]}
    assert not (staged.data_dir / PROGRESS_FILE).exists() and read_progress(staged.data_dir) is None
    assert verify(staged.data_dir).ok


def test_staged_build_ends_where_a_single_full_build_ends(two_ways):
    staged, direct, *_ = two_ways
    a, b = open_index(staged.data_dir), open_index(direct.data_dir)
    try:
        assert np.array_equal(a.ids, b.ids)
        for f in a.vectors:
            assert np.array_equal(a.present[f], b.present[f]), f
            assert np.allclose(a.vectors[f], b.vectors[f], atol=1e-5), f
        assert np.array_equal(a.suspicion().suspect, b.suspicion().suspect)
        assert np.allclose(a.gloss, b.gloss, atol=1e-5)
        assert a.lexicon.entries == b.lexicon.entries
        assert a.adapters.maps.keys() == b.adapters.maps.keys()   # this slice is below the adapters' minimum
        assert np.array_equal(a.clustering.assignments, b.clustering.assignments)
        assert np.allclose(a.ann.reconstruct(int(a.ids[0])), b.ann.reconstruct(int(b.ids[0])), atol=1e-5)
    finally:
        a.close()
        b.close()


def test_quick_with_an_index_served_builds_as_usual(two_ways):
    staged, *_ = two_ways
    r = build_index(staged, progress=False, quick=True)   # nothing new: no model load, nothing pending after
    assert r.encoded == {} and Manifest.load(DataDir(staged.data_dir).current().manifest).pending == []


def test_a_failed_build_leaves_its_error_in_the_progress_file(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    s = Settings(corpus=[empty], data_dir=tmp_path / "data")
    with pytest.raises(EmptyCorpusError):
        build_index(s, progress=False)
    status = read_progress(s.data_dir)
    assert status is not None and not status.alive and "no papers found" in status.error


def _copy_at(staged: Settings, gen_name: str, dest) -> Settings:
    """A copy of the staged data dir whose CURRENT names `gen_name`."""
    shutil.copytree(staged.data_dir, dest, ignore=shutil.ignore_patterns("build.lock"))
    (dest / "CURRENT").write_text(gen_name + "\n")
    return staged.model_copy(update={"data_dir": dest})


def test_an_encoder_change_after_the_title_stage_re_embeds_the_titles(two_ways, embedder, tmp_path):
    staged, _, _, quick_gen, *_ = two_ways
    s = _copy_at(staged, quick_gen.name, tmp_path / "data")
    other = Watching(embedder, s.data_dir)
    other.encoder = "onnx-other"   # what the title stage's vectors did not come from
    r = build_index(s, progress=False, embedder_factory=lambda _: other)
    assert r.encoded.get("title") == r.papers   # no int8 titles beside other summaries


def test_a_damaged_current_beside_published_generations_is_no_first_build(two_ways, embedder, tmp_path):
    staged, *_ = two_ways
    kept = sorted(p.name for p in (staged.data_dir / "generations").iterdir())
    s = _copy_at(staged, "no-such-generation", tmp_path / "data")
    r = build_index(s, progress=False, quick=True, embedder_factory=lambda _: embedder)
    assert r.pending == [] and r.encoded.get("summary")   # an ordinary build, not a keywords-only stage
    assert kept[-1] in {p.name for p in (s.data_dir / "generations").iterdir()}   # the last complete one stays
