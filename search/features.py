"""Per-paper ranking features of one query, or of one seed paper ("more like this").

Every feature is a full-length array aligned with the index rows, so the
learned fusion scores the whole corpus in one pass and filters stay exact.
Query features (why each exists):

* dense_title / dense_summary: cosines with the English title and the Korean
  summary vectors. English queries meet titles, Korean queries summaries; the
  fusion learns how much of each per query language. A suspect summary (it
  describes another paper) is replaced by its title mapped into summary space
  (IndexView.summary_like), so it neither misleads nor floats to the top.
* dense_gloss: cosine with the paper's English view (indexer.text.gloss: title +
  summary glossed into English by the corpus lexicon): English queries meet
  English text; zeros for generations without it.
* dense_prf: cosine with a pseudo-relevance-feedback query (the query vector
  moved toward the mean of the first-stage top 10): recall for topic queries.
* adapted_summary / adapted_title: the same cosines after the corpus-fitted linear
  query adapters (indexer.dense.adapter: title->summary and summary->title maps);
  zeros when the index has none.
* bm25_all / bm25_title / bm25_summary: lexical evidence per field (for
  suspect rows only the title counts: their summary is about another paper).
* bm25_expanded: BM25 of the lexicon's other-language terms (cross-lingual).
* title_cover: share of the query's distinct terms found in the title: a
  known-item query that names the paper.
* log_votes: how much attention the paper got (a famous paper is the likelier target).
* The feed's English abstract (issue 22), in two forms, so the options could be compared
  on the dev set (docs/experiments.md): dense_abstract / bm25_abstract are the
  cosine with the abstract's e5 passage vector and BM25 over its English words
  (the query's terms and the lexicon's ko->en expansion: how Korean queries reach
  it), zero where a paper has no abstract; has_abstract is the indicator. The
  coverage-neutral forms dense_abstract_fb / bm25_abstract_fb fall back, for a paper
  without an abstract, to its summary cosine / its title+summary BM25, and are
  split by coverage (FeatureSet.groups): the fusion z-scores each side over its own
  rows, so a paper without an abstract does not sink because others have one.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from search.index_view import SEED_TERMS, IndexView, expand, seed_terms, title_cover
from search.rankers.fusion import zscore

QUERY_FEATURES = ("dense_title", "dense_summary", "dense_gloss", "dense_prf", "adapted_summary", "adapted_title", "bm25_all",
                  "bm25_title", "bm25_summary", "bm25_expanded", "title_cover", "log_votes")
SEED_FEATURES = ("sim_title", "sim_summary", "sim_gloss", "sim_cross", "sim_adapted", "sim_prf", "bm25_seed", "bm25_seed_title",
                 "log_votes")
# the abstract features (computed only when a model names them, so today's models read what they always did)
ABSTRACT_QUERY_FEATURES = ("dense_abstract", "bm25_abstract", "has_abstract", "dense_abstract_fb", "bm25_abstract_fb")
ABSTRACT_SEED_FEATURES = ("sim_abstract", "bm25_seed_abstract", "has_abstract", "sim_abstract_fb",
                          "bm25_seed_abstract_fb")
PRF_DEPTH = 10
PRF_WEIGHT = 0.5


@dataclass
class FeatureSet:
    values: dict[str, np.ndarray]               # feature name -> full-length array
    terms: list[str] = field(default_factory=list)
    expanded: dict[str, float] = field(default_factory=dict)
    english_share: float = 0.0                  # share of the query's terms in Latin script
    prf: np.ndarray | None = None               # the pseudo-relevance-feedback query vector dense_prf used
    groups: dict[str, np.ndarray] = field(default_factory=dict)  # feature -> rows z-scored apart (has an abstract)


def _safe(x: np.ndarray) -> np.ndarray:
    """float32 with every non-finite value 0 (np.nan_to_num's result at a fraction of its overhead, which
    counts when a day's papers are scored for a thousand watches)."""
    out = x.astype(np.float32)
    out[~np.isfinite(out)] = 0.0
    return out


def query_features(view: IndexView, qvec: np.ndarray, terms: list[str], expanded: dict[str, float],
                   needed: frozenset[str] | None = None, prf: np.ndarray | None = None) -> FeatureSet:
    """Features of one query against every paper of the view; only those in `needed` (all when None).

    The PRF vector comes from the view's own first stage unless given: a view of a few rows
    (IndexView.take) needs the whole corpus's, or its dense_prf would differ."""
    want = (lambda f: True) if needed is None else needed.__contains__
    lex = view.lexical
    zeros = np.zeros(view.size, dtype=np.float32)
    uniq = list(dict.fromkeys(terms))
    values: dict[str, np.ndarray] = {}
    dt = view.title_vecs @ qvec
    ds = view.summary_like @ qvec
    values["dense_title"], values["dense_summary"] = dt, ds
    if want("dense_gloss"):
        values["dense_gloss"] = zeros if view.gloss_vecs is None else view.gloss_vecs @ qvec
    if want("dense_prf"):
        if prf is None:
            first = 0.5 * zscore(dt, None) + 0.5 * zscore(ds, None)
            top = np.argpartition(-first, PRF_DEPTH)[:PRF_DEPTH] if view.size > PRF_DEPTH else np.arange(view.size)
            prf = qvec + PRF_WEIGHT * view.paper_vecs[top].mean(axis=0)
            prf = (prf / (np.linalg.norm(prf) or 1.0)).astype(np.float32)
        values["dense_prf"] = view.paper_vecs @ prf
    if want("adapted_summary"):
        to_sum = view.adapters.apply("to_summary", qvec)
        values["adapted_summary"] = zeros if to_sum is None else view.summary_like @ to_sum
    if want("adapted_title"):
        to_title = view.adapters.apply("to_title", qvec)
        values["adapted_title"] = zeros if to_title is None else view.title_vecs @ to_title
    if want("bm25_all"):
        values["bm25_all"] = lex.trusted_scores(terms, view.suspect)
    if want("bm25_title"):
        values["bm25_title"] = lex.scores(terms, "title")
    if want("bm25_summary"):
        values["bm25_summary"] = np.where(view.suspect, 0.0, lex.scores(terms, "summary"))
    if want("bm25_expanded"):
        values["bm25_expanded"] = lex.trusted_scores(expanded, view.suspect) if expanded else zeros
    if want("title_cover"):
        values["title_cover"] = title_cover(view, uniq)
    if want("log_votes"):
        values["log_votes"] = view.log_votes
    groups = _abstract_query(view, qvec, {**Counter(terms), **expanded}, ds, want, values)
    latin = sum(1 for t in uniq if t.isascii())
    return FeatureSet({k: _safe(v) for k, v in values.items()}, terms, expanded,
                      latin / len(uniq) if uniq else 0.0, prf, groups)


def _has(view: IndexView) -> np.ndarray:
    return np.zeros(view.size, dtype=bool) if view.has_abstract is None else view.has_abstract


def _abstract_query(view: IndexView, qvec: np.ndarray, query: dict[str, float], ds: np.ndarray, want,
                    values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The abstract features a model asks for, into `values`; returns the coverage groups."""
    has = _has(view)
    if want("has_abstract"):
        values["has_abstract"] = has.astype(np.float32)
    if want("dense_abstract") or want("dense_abstract_fb"):
        da = np.zeros(view.size, np.float32) if view.abstract_vecs is None else view.abstract_vecs @ qvec
        values["dense_abstract"] = np.where(has, da, 0.0)
        values["dense_abstract_fb"] = np.where(has, da, ds)
    if want("bm25_abstract") or want("bm25_abstract_fb"):
        ba = view.lexical.scores(query, "abstract")
        values["bm25_abstract"] = ba
        if want("bm25_abstract_fb"):
            values["bm25_abstract_fb"] = np.where(has, ba, view.lexical.trusted_scores(query, view.suspect))
    return {f: has for f in ("dense_abstract_fb", "bm25_abstract_fb") if f in values}


def seed_features(view: IndexView, positions: list[int], negatives: list[int] | None = None,
                  needed: frozenset[str] | None = None) -> FeatureSet:
    """Features of "more like these": positives pull, negatives (half weight) push.

    sim_title / sim_summary / sim_cross: cosines of the seeds' title and summary
    vectors with every paper's (a suspect summary is replaced by its title);
    sim_gloss: the same with the English views (indexer.text.gloss);
    sim_adapted: the seeds' titles mapped into summary space by the corpus adapter;
    sim_prf: cosine with the seeds' vector moved toward their 10 nearest papers;
    bm25_seed: BM25 with the seeds' most distinctive terms; bm25_seed_title: with
    their title terms and the lexicon's translations of them (Korean summaries
    that never use the title's English words).
    """
    def mean_unit(m: np.ndarray) -> np.ndarray:
        v = m.mean(axis=0)
        return v / (np.linalg.norm(v) or 1.0)

    like = view.summary_like

    want = (lambda f: True) if needed is None else needed.__contains__

    terms: dict[tuple[int, ...], dict[str, float]] = {}

    def terms_of(pos: list[int]) -> dict[str, float]:
        if tuple(pos) not in terms:
            terms[tuple(pos)] = seed_terms(view, pos)
        return dict(terms[tuple(pos)])

    def sims(pos: list[int]) -> dict[str, np.ndarray]:
        t = mean_unit(view.title_vecs[pos])
        s = mean_unit(like[pos])
        out = {"sim_title": view.title_vecs @ t, "sim_summary": like @ s}
        if want("sim_gloss"):
            g = view.gloss_vecs
            out["sim_gloss"] = np.zeros(view.size, np.float32) if g is None else g @ mean_unit(g[pos])
        if want("sim_cross"):
            out["sim_cross"] = 0.5 * (like @ t + view.title_vecs @ s)
        if want("sim_adapted"):
            adapted_t = view.adapters.apply("to_summary", t)
            out["sim_adapted"] = like @ adapted_t if adapted_t is not None else np.zeros(view.size, np.float32)
        if want("sim_prf"):
            out["sim_prf"] = view.paper_vecs @ mean_unit(view.paper_vecs[pos])
        if want("bm25_seed") or want("sim_prf") or want("bm25_seed_abstract_fb"):
            out["bm25_seed"] = view.lexical.trusted_scores(terms_of(pos), view.suspect)
        if want("bm25_seed_title"):
            title_terms = [w for p in pos for w in view.lexical.doc_terms(p, "title")]
            query = {**{w: 1.0 for w in title_terms}, **expand(view, title_terms)}
            out["bm25_seed_title"] = view.lexical.trusted_scores(query, view.suspect)
        return out

    values = sims(positions)
    values.update(_abstract_seed(view, positions, want, values, terms_of))
    if want("sim_prf"):
        first = sum(zscore(values[k], None) for k in ("sim_title", "sim_summary", "bm25_seed"))
        first[positions] = -np.inf
        if view.size > PRF_DEPTH + len(positions):
            near = np.argpartition(-first, PRF_DEPTH)[:PRF_DEPTH]
            v = view.paper_vecs[positions].mean(axis=0) + PRF_WEIGHT * view.paper_vecs[near].mean(axis=0)
            values["sim_prf"] = view.paper_vecs @ (v / (np.linalg.norm(v) or 1.0)).astype(np.float32)
    if negatives:
        neg = sims(negatives)
        neg.update(_abstract_seed(view, negatives, want, neg, terms_of))
        values = {k: v - 0.5 * neg[k] for k, v in values.items()}
    if want("log_votes"):
        values["log_votes"] = view.log_votes
    has = _has(view)
    if want("has_abstract"):
        values["has_abstract"] = has.astype(np.float32)
    groups = {f: has for f in ("sim_abstract_fb", "bm25_seed_abstract_fb") if f in values}
    return FeatureSet({k: _safe(v) for k, v in values.items()}, groups=groups)


def _abstract_seed(view: IndexView, pos: list[int], want, sims: dict[str, np.ndarray],
                   terms_of: Callable[[list[int]], dict[str, float]]) -> dict[str, np.ndarray]:
    """Seed features from the abstract: the seeds' abstracts (a seed without one: its English title) against
    every abstract, and BM25 with the seeds' most distinctive abstract terms besides their title+summary ones.
    The _fb forms fall back to sim_summary / bm25_seed (`sims`, computed already) for rows without an abstract."""
    out: dict[str, np.ndarray] = {}
    has = _has(view)
    if want("sim_abstract") or want("sim_abstract_fb"):
        if view.abstract_vecs is None:
            sa = np.zeros(view.size, np.float32)
        else:
            seed = np.where(has[pos, None], view.abstract_vecs[pos], view.title_vecs[pos]).mean(axis=0)
            sa = view.abstract_vecs @ (seed / (np.linalg.norm(seed) or 1.0)).astype(np.float32)
        out["sim_abstract"] = np.where(has, sa, 0.0)
        if want("sim_abstract_fb"):
            out["sim_abstract_fb"] = np.where(has, sa, sims["sim_summary"])
    if want("bm25_seed_abstract") or want("bm25_seed_abstract_fb"):
        terms = terms_of(pos)
        for p in pos:
            if has[p]:
                for t, w in view.lexical.top_terms(p, SEED_TERMS, "abstract").items():
                    terms[t] = terms.get(t, 0.0) + w / len(pos)
        ba = view.lexical.scores(terms, "abstract")
        out["bm25_seed_abstract"] = ba
        if want("bm25_seed_abstract_fb"):
            out["bm25_seed_abstract_fb"] = np.where(has, ba, sims["bm25_seed"])
    return out
