"""Build on real day files with the real model: counts, incremental, atomicity, model mismatch."""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from indexer.pipeline.build import EmptyCorpusError, build_index
from indexer.reading.reader import open_index
from indexer.reading.verify import verify
from indexer.storage.layout import DataDir
from indexer.storage.manifest import ModelMismatchError
from papersearch.settings import Settings
from tests.helpers import SLICE_DAYS, copy_days

pytestmark = pytest.mark.model

ID_RE = re.compile(r"arxiv\.org/abs/(\d{4}\.\d{4,5})")


def unique_ids(root: Path) -> set[str]:
    return {m for f in root.rglob("*.md") for m in ID_RE.findall(f.read_text(encoding="utf-8"))}


class CountingFactory:
    def __init__(self, embedder):
        self.embedder, self.calls = embedder, 0

    def __call__(self, settings):
        self.calls += 1
        return self.embedder


@pytest.fixture
def built(tmp_path, corpus_dir, embedder):
    corpus = copy_days(corpus_dir, tmp_path / "corpus", SLICE_DAYS[:2])
    s = Settings(corpus=corpus, data_dir=tmp_path / "data")
    r = build_index(s, progress=False, embedder_factory=CountingFactory(embedder))
    return s, r


def test_build_indexes_every_unique_id_and_verifies(built):
    s, r = built
    assert r.papers == len(unique_ids(s.corpus[0])) == r.embedded == r.new
    rep = verify(s.data_dir, s.corpus)
    assert rep.ok, rep.problems
    assert rep.papers == rep.corpus_papers == r.papers
    idx = open_index(s.data_dir)
    try:
        assert idx.manifest.model["name"] == s.model and idx.manifest.dim == 384
        assert idx.manifest.model["weights_sha256"]
        assert {p.arxiv_id for _, p in idx.store.all()} == unique_ids(s.corpus[0])
    finally:
        idx.close()


def test_rerun_embeds_nothing_and_loads_no_model(built, embedder):
    s, first = built
    factory = CountingFactory(embedder)
    r = build_index(s, progress=False, embedder_factory=factory)
    assert r.embedded == 0 and r.papers == first.papers and factory.calls == 0
    assert verify(s.data_dir, s.corpus).ok


def test_new_day_embeds_only_its_new_papers(built, corpus_dir, embedder):
    s, first = built
    before = unique_ids(s.corpus[0])
    copy_days(corpus_dir, s.corpus[0], SLICE_DAYS[2:])
    added = unique_ids(s.corpus[0]) - before
    old = open_index(s.data_dir)
    old_vecs = {int(i): old.vectors["summary"][k].copy() for k, i in enumerate(old.ids)}
    old.close()
    r = build_index(s, progress=False, embedder_factory=CountingFactory(embedder))
    assert r.embedded == r.new == len(added) > 0
    assert r.papers == first.papers + len(added)
    idx = open_index(s.data_dir)
    try:  # reused vectors are carried over bit for bit, under the same ids
        for k, i in enumerate(idx.ids):
            if int(i) in old_vecs:
                assert np.array_equal(idx.vectors["summary"][k], old_vecs[int(i)])
    finally:
        idx.close()
    assert verify(s.data_dir, s.corpus).ok


def test_english_view_is_the_encoded_gloss_and_kept_while_a_paper_is_unchanged(built, embedder):
    from indexer.text.gloss import gloss_text
    from indexer.text.passages import field_text

    s, first = built
    idx = open_index(s.data_dir)
    try:
        assert idx.gloss.shape == (first.papers, 384)
        assert idx.manifest.extra["gloss"]["encoded"] == first.papers
        lex = idx.store.lexical_tokens()
        rows = idx.store.all()
        suspect = idx.agreement < idx.manifest.extra["suspect_threshold"]
        k = next(i for i in range(len(rows)) if not suspect[i])
        rid, paper = rows[k]
        text = gloss_text(field_text(paper, "title"), lex[rid][1], idx.lexicon, False)
        assert len(text) > len(paper.title) + 20  # the summary's words made it in
        sims = idx.gloss @ embedder.encode_passages([text])[0]
        # int8 activations are quantised per batch: the same text in another batch moves a little
        assert int(np.argmax(sims)) == k and sims[k] > 0.995
        old = {int(i): idx.gloss[j].copy() for j, i in enumerate(idx.ids)}
    finally:
        idx.close()
    day = next(s.corpus[0].rglob("*.md"))
    day.write_text(day.read_text(encoding="utf-8").replace("- ", "- 수정됨: ", 1), encoding="utf-8")
    r = build_index(s, progress=False, embedder_factory=CountingFactory(embedder))
    idx = open_index(s.data_dir)
    try:  # a new lexicon does not re-gloss the papers that did not change
        assert r.changed == 1 and idx.manifest.extra["gloss"]["encoded"] == 1
        same = [j for j, i in enumerate(idx.ids) if np.array_equal(idx.gloss[j], old[int(i)])]
        assert len(same) == len(idx.ids) - 1
    finally:
        idx.close()


def test_an_index_from_before_the_english_view_gets_it_on_the_next_build(built, embedder):
    from indexer.storage.manifest import Manifest

    s, first = built
    gen = DataDir(s.data_dir).current()
    m = Manifest.load(gen.manifest)
    del m.extra["gloss"]  # what a generation of the previous release records
    m.save(gen.manifest)
    factory = CountingFactory(embedder)
    r = build_index(s, progress=False, embedder_factory=factory)
    idx = open_index(s.data_dir)
    try:
        assert r.embedded == 0 and factory.calls == 1
        assert idx.manifest.extra["gloss"]["encoded"] == first.papers and idx.gloss.any(axis=1).all()
    finally:
        idx.close()


def test_another_encoder_reembeds_everything_instead_of_mixing(built, corpus_dir, embedder):
    """int8 and fp32 vectors never share a generation: a new day under another encoder re-embeds all."""
    from models.loading import load_embedder

    s, first = built
    first_idx = open_index(s.data_dir)
    assert first_idx.manifest.extra["encoder"] == embedder.encoder == "onnx-int8"
    first_idx.close()
    fp32 = load_embedder(s.model, s.model_cache, precision="fp32", engine="onnx")
    copy_days(corpus_dir, s.corpus[0], SLICE_DAYS[2:])
    r = build_index(s, progress=False, embedder_factory=CountingFactory(fp32))
    assert r.embedded == r.papers > first.papers
    idx = open_index(s.data_dir)
    try:
        assert idx.manifest.extra["encoder"] == "onnx-fp32"
    finally:
        idx.close()
    assert verify(s.data_dir, s.corpus).ok


def test_changed_summary_is_reembedded(built, embedder):
    s, first = built
    day = next(s.corpus[0].rglob("*.md"))
    text = day.read_text(encoding="utf-8")
    day.write_text(text.replace("- ", "- 수정됨: ", 1), encoding="utf-8")
    r = build_index(s, progress=False, embedder_factory=CountingFactory(embedder))
    assert r.changed == 1 and r.embedded == 1 and r.papers == first.papers


def test_model_mismatch_is_refused_with_rebuild_hint(built):
    s, _ = built
    other = Settings(corpus=s.corpus, data_dir=s.data_dir, model="some/other-model")
    with pytest.raises(ModelMismatchError, match="--rebuild"):
        build_index(other, progress=False)


def test_empty_corpus_changes_nothing(built, tmp_path):
    s, first = built
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "junk.md").write_text("not a digest\n", encoding="utf-8")
    gen = DataDir(s.data_dir).current()
    with pytest.raises(EmptyCorpusError):
        build_index(Settings(corpus=empty, data_dir=s.data_dir), progress=False)
    assert DataDir(s.data_dir).current() == gen


def test_interrupted_build_leaves_previous_index_serving(built, corpus_dir, embedder):
    s, first = built
    gen = DataDir(s.data_dir).current()

    class Boom(Exception):
        pass

    class FailingEmbedder:
        dim, fingerprint = embedder.dim, embedder.fingerprint

        def encode_passages(self, texts, batch_size=32):
            raise Boom()

    copy_days(corpus_dir, s.corpus[0], SLICE_DAYS[2:])
    with pytest.raises(Boom):
        build_index(s, progress=False, embedder_factory=lambda _: FailingEmbedder())
    assert DataDir(s.data_dir).current() == gen
    assert not any(p.name.startswith(".tmp-") for p in (s.data_dir / "generations").iterdir())
    rep = verify(s.data_dir, [])  # the served generation itself (its corpus has the new, unindexed days)
    assert rep.ok and rep.papers == first.papers


def test_killed_build_process_leaves_previous_index_serving(built, corpus_dir):
    """SIGKILL a real `papersearch index` mid-embedding: the old generation still verifies."""
    s, first = built
    gen = DataDir(s.data_dir).current()
    copy_days(corpus_dir, s.corpus[0], ["2024/06/03.md", "2024/06/04.md", "2024/06/05.md"])
    env = {**os.environ, "PAPERSEARCH_CORPUS": str(s.corpus[0]), "PAPERSEARCH_DATA_DIR": str(s.data_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "papersearch.cli", "index"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    try:
        while time.time() < deadline:
            tmp = [p for p in (s.data_dir / "generations").iterdir() if p.name.startswith(".tmp-")]
            if tmp and (tmp[0] / "papers.sqlite").exists():
                break
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.1)
        time.sleep(1.0)
        assert proc.poll() is None, "build finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert DataDir(s.data_dir).current() == gen
    rep = verify(s.data_dir, [])  # the served generation itself (its corpus has the new, unindexed days)
    assert rep.ok and rep.papers == first.papers


def test_back_to_back_builds_and_seq_length_change(built, embedder):
    s, first = built
    for _ in range(3):  # several builds within one second of one process: distinct generations
        assert build_index(s, progress=False, embedder_factory=CountingFactory(embedder)).embedded == 0
    assert verify(s.data_dir).ok
    shorter = Settings(corpus=s.corpus, data_dir=s.data_dir, max_seq_length=256)
    with pytest.raises(ModelMismatchError, match="--rebuild"):
        build_index(shorter, progress=False, embedder_factory=CountingFactory(embedder))


def test_engine_refuses_an_index_built_with_another_model(built, embedder):
    from search.engine import SearchEngine

    s, _ = built

    class Other:
        name, dim = s.model, embedder.dim
        fingerprint = {**embedder.fingerprint, "weights_sha256": "different"}

    with pytest.raises(ModelMismatchError):
        SearchEngine.open(s, embedder=Other())


def test_each_generation_carries_its_own_lexicon_and_adapters(built, corpus_dir, embedder):
    from indexer.dense.adapter import MIN_PAIRS, Adapters
    from indexer.dense.agreement import suspect_mask
    from indexer.text.lexicon import Lexicon

    s, _ = built
    gen1 = DataDir(s.data_dir).current()
    lex1 = Lexicon.load(gen1.path)
    assert (gen1.path / "lexicon.json").exists() and len(lex1) > 0
    copy_days(corpus_dir, s.corpus[0], SLICE_DAYS[2:])
    build_index(s, progress=False, embedder_factory=CountingFactory(embedder))
    gen2 = DataDir(s.data_dir).current()
    lex2 = Lexicon.load(gen2.path)
    assert gen2 != gen1 and lex2.entries != lex1.entries  # the new day's term pairs are mined in
    idx = open_index(s.data_dir)
    try:
        trusted = int((~suspect_mask(idx.agreement)).sum())
        maps = Adapters.load(gen2.path).maps
        assert bool(maps) == (trusted >= MIN_PAIRS)
        assert idx.manifest.extra["lexicon"]["terms"] == len(lex2)
        assert idx.manifest.extra["adapter"]["maps"] == sorted(maps)
    finally:
        idx.close()
    assert verify(s.data_dir, s.corpus).ok


def test_unchanged_corpus_carries_lexicon_and_adapters_over(built, embedder):
    from indexer.dense.adapter import Adapters

    s, _ = built
    gen1 = DataDir(s.data_dir).current()
    build_index(s, progress=False, embedder_factory=CountingFactory(embedder))
    gen2 = DataDir(s.data_dir).current()
    assert gen2 != gen1
    assert (gen2.path / "lexicon.json").read_bytes() == (gen1.path / "lexicon.json").read_bytes()
    assert Adapters.load(gen2.path).maps.keys() == Adapters.load(gen1.path).maps.keys()
    if Adapters.load(gen1.path).maps:
        assert Adapters.load(gen2.path).fingerprint() == Adapters.load(gen1.path).fingerprint()
    assert verify(s.data_dir, s.corpus).ok
