"""How per-field vectors become the one vector the FAISS index searches."""
from __future__ import annotations

import numpy as np

from indexer.settings import Settings


def field_weights(settings: Settings) -> dict[str, float]:
    t = float(settings.title_weight)
    return {"title": t, "summary": 1.0 - t}


def combine(per_field: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Weighted sum, not re-normalised: <q, sum w_f v_f> = sum w_f cos(q, v_f) for unit q and v_f."""
    out = None
    for f, w in weights.items():
        part = per_field[f] * np.float32(w)
        out = part if out is None else out + part
    return np.ascontiguousarray(out, dtype=np.float32)
