"""Learned fusion: a linear ranker over standardised features (search.features).

Trained offline on the tuning half of the judged dev set (`bench/train_fusion.py`:
logistic regression, query-grouped cross-validation) and shipped as a small
JSON of weights beside this module, with the split and scores it was trained
on. A weight name "f*en" multiplies feature f by the query's share of Latin
(English) terms, so English and Korean queries can weigh titles and summaries
differently. Every feature is z-scored over the rows that pass the filters, so
the ranker composes with filters like the other rankers. A feature the FeatureSet
splits by coverage (`FeatureSet.groups`: the abstract features, whose rows without
an abstract hold a title/summary stand-in) is z-scored apart on each side of the
split, so neither side outranks the other for having an abstract at all.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from search.features import FeatureSet
from search.rankers.fusion import Moments, moments, standardise

WEIGHTS_FILE = Path(__file__).with_name("fusion_weights.json")


class FusionModelError(ValueError):
    pass


@dataclass(frozen=True)
class SplitMoments:
    """Moments of a feature split by coverage: over the live rows inside the group and over the rest."""
    inside: Moments
    outside: Moments


FeatureMoments = Moments | SplitMoments


def feature_moments(fs: FeatureSet, base: str, live: np.ndarray | None) -> FeatureMoments:
    v, group = fs.values[base], fs.groups.get(base)
    if group is None:
        return moments(v, live)
    return SplitMoments(moments(v, group if live is None else live & group),
                        moments(v, ~group if live is None else live & ~group))


def standardise_feature(fs: FeatureSet, base: str, m: FeatureMoments) -> np.ndarray:
    v = fs.values[base]
    if not isinstance(m, SplitMoments):
        return standardise(v, m)
    return np.where(fs.groups[base], standardise(v, m.inside), standardise(v, m.outside))


@dataclass(frozen=True)
class LinearFusion:
    weights: dict[str, float]
    info: dict = field(default_factory=dict, compare=False)

    @property
    def features(self) -> frozenset[str]:
        """The base features this model reads (what the rankers need to compute)."""
        return frozenset(n.partition("*")[0] for n in self.weights)

    def design(self, fs: FeatureSet, live: np.ndarray | None,
               given: dict[str, FeatureMoments] | None = None) -> np.ndarray:
        """(rows, weights) matrix of the model's inputs, in the order of `self.weights`."""
        return design_matrix(list(self.weights), fs, live, given)

    def moments(self, fs: FeatureSet, live: np.ndarray | None) -> dict[str, FeatureMoments]:
        """Each base feature's moments over the live rows: what `score` standardises with."""
        return {base: feature_moments(fs, base, live) for base in self.features if base in fs.values}

    def score(self, fs: FeatureSet, live: np.ndarray | None,
              given: dict[str, FeatureMoments] | None = None) -> np.ndarray:
        """Scores of the rows of `fs`; with `given` moments (a whole corpus's), a few rows score as they would
        among all of them."""
        w = np.fromiter(self.weights.values(), dtype=np.float32, count=len(self.weights))
        out = self.design(fs, live, given) @ w
        return out if live is None else np.where(live, out, -np.inf).astype(np.float32)


def design_matrix(names: list[str], fs: FeatureSet, live: np.ndarray | None,
                  given: dict[str, FeatureMoments] | None = None) -> np.ndarray:
    cache: dict[str, np.ndarray] = {}
    cols = []
    for name in names:
        base, _, inter = name.partition("*")
        if base not in fs.values:
            raise FusionModelError(f"the fusion model needs feature {base!r}, which this ranker does not compute")
        if base not in cache:
            cache[base] = standardise_feature(fs, base, feature_moments(fs, base, live) if given is None else given[base])
        z = cache[base]
        if inter == "en":
            z = z * np.float32(fs.english_share)
        elif inter:
            raise FusionModelError(f"unknown feature interaction {inter!r} in {name!r}")
        cols.append(z)
    return np.stack(cols, axis=1).astype(np.float32)


def load_models(path: Path = WEIGHTS_FILE) -> dict[str, LinearFusion]:
    """{"query": ..., "similar": ...} as trained; a missing file means no learned ranker."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: LinearFusion({n: float(w) for n, w in v["weights"].items()}, v.get("info", {}))
            for k, v in data.items()}


def save_models(models: dict[str, LinearFusion], path: Path = WEIGHTS_FILE) -> None:
    data = {k: {"weights": m.weights, "info": m.info} for k, m in models.items()}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
