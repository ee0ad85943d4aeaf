"""How per-field vectors become the one vector the FAISS index searches."""
from __future__ import annotations

import numpy as np

from papersearch.settings import Settings


def field_weights(settings: Settings) -> dict[str, float]:
    t = float(settings.title_weight)
    return {"title": t, "summary": 1.0 - t}


# English queries meet English titles at higher cosines than Korean summaries; a
# title-only row scaled by 1.0 floated to the top of English searches (dev set:
# dense nDCG@10 en 0.455 -> 0.348). 0.95 restores it (0.455) and keeps the paper findable.
TITLE_ONLY_SCALE = 0.95
# The same for a summary predicted from the title (indexer.dense.adapter): at 1.0 predicted rows took 236 of
# the 770 dense top-10 slots of the tuning queries (they resemble every summary a little), at 0.97 two;
# hybrid nDCG@10 on the tuning half: 0.9 -> 0.482, 0.94 -> 0.487, 0.97 -> 0.488, 1.0 -> 0.477.
PREDICTED_SCALE = 0.96


def summary_like(titles: np.ndarray, summaries: np.ndarray, suspect: np.ndarray | None,
                 predict=None) -> np.ndarray:
    """Summary vectors where each suspect summary is replaced by the summary its title predicts.

    A wrong summary must not match queries about another paper. Its raw title
    vector would sit higher on English queries than any summary does, so
    `predict` (indexer.dense.adapter.Adapters.predict_summaries: a ridge map fitted on
    this corpus' title/summary pairs) puts it on the summaries' scale; without
    one the title is scaled by TITLE_ONLY_SCALE.
    """
    out = np.array(summaries, dtype=np.float32, copy=True)
    if suspect is None or not suspect.any():
        return out
    rows = np.nonzero(suspect)[0]
    pred = predict(titles[rows]) if predict is not None else None
    out[rows] = TITLE_ONLY_SCALE * titles[rows] if pred is None else PREDICTED_SCALE * pred
    return out


def combine(
    per_field: dict[str, np.ndarray], weights: dict[str, float], title_only: np.ndarray | None = None,
    predict=None,
) -> np.ndarray:
    """Weighted sum, not re-normalised: <q, sum w_f v_f> = sum w_f cos(q, v_f) for unit q and v_f.

    Rows in `title_only` (summaries that describe another paper) never use their
    summary: given `predict`, the summary part is the summary their title predicts
    (`summary_like`); without it the row is the title vector alone. Either way a
    wrong summary cannot hide a paper from a search for it.
    """
    if predict is not None and title_only is not None:
        per_field = {**per_field, "summary": summary_like(per_field["title"], per_field["summary"], title_only,
                                                          predict)}
        title_only = None
    out = None
    for f, w in weights.items():
        part = per_field[f] * np.float32(w)
        out = part if out is None else out + part
    if title_only is not None and title_only.any():
        out[title_only] = TITLE_ONLY_SCALE * per_field["title"][title_only]
    return np.ascontiguousarray(out, dtype=np.float32)
