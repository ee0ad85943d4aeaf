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
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from search.index_view import IndexView, expand, seed_terms, title_cover
from search.rankers.fusion import zscore

QUERY_FEATURES = ("dense_title", "dense_summary", "dense_gloss", "dense_prf", "adapted_summary", "adapted_title", "bm25_all",
                  "bm25_title", "bm25_summary", "bm25_expanded", "title_cover", "log_votes")
SEED_FEATURES = ("sim_title", "sim_summary", "sim_gloss", "sim_cross", "sim_adapted", "sim_prf", "bm25_seed", "bm25_seed_title",
                 "log_votes")
PRF_DEPTH = 10
PRF_WEIGHT = 0.5


@dataclass
class FeatureSet:
    values: dict[str, np.ndarray]               # feature name -> full-length array
    terms: list[str] = field(default_factory=list)
    expanded: dict[str, float] = field(default_factory=dict)
    english_share: float = 0.0                  # share of the query's terms in Latin script
    prf: np.ndarray | None = None               # the pseudo-relevance-feedback query vector dense_prf used


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
    latin = sum(1 for t in uniq if t.isascii())
    return FeatureSet({k: _safe(v) for k, v in values.items()}, terms, expanded,
                      latin / len(uniq) if uniq else 0.0, prf)


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
        if want("bm25_seed") or want("sim_prf"):
            out["bm25_seed"] = view.lexical.trusted_scores(seed_terms(view, pos), view.suspect)
        if want("bm25_seed_title"):
            title_terms = [w for p in pos for w in view.lexical.doc_terms(p, "title")]
            query = {**{w: 1.0 for w in title_terms}, **expand(view, title_terms)}
            out["bm25_seed_title"] = view.lexical.trusted_scores(query, view.suspect)
        return out

    values = sims(positions)
    if want("sim_prf"):
        first = sum(zscore(values[k], None) for k in ("sim_title", "sim_summary", "bm25_seed"))
        first[positions] = -np.inf
        if view.size > PRF_DEPTH + len(positions):
            near = np.argpartition(-first, PRF_DEPTH)[:PRF_DEPTH]
            v = view.paper_vecs[positions].mean(axis=0) + PRF_WEIGHT * view.paper_vecs[near].mean(axis=0)
            values["sim_prf"] = view.paper_vecs @ (v / (np.linalg.norm(v) or 1.0)).astype(np.float32)
    if negatives:
        neg = sims(negatives)
        values = {k: v - 0.5 * neg[k] for k, v in values.items()}
    if want("log_votes"):
        values["log_votes"] = view.log_votes
    return FeatureSet({k: _safe(v) for k, v in values.items()})
