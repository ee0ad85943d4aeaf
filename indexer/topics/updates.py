"""How topics follow the corpus from build to build, so links to /topics/{id} keep working.

A new day joins the existing topics (`extend`: ids, labels and map positions of
known papers unchanged, ~1 s). A full re-cluster numbers its topics after the
previous ones they overlap most (`carry_ids`); a topic that did not survive
becomes an alias of the topic most of its papers went to.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from indexer.topics.clusters import Clustering, TopicInput, describe
from indexer.topics.graph import OTHER
from indexer.topics.quality import neighbours_for

MIN_JACCARD = 0.2  # below this overlap a new topic is a different topic, with a new id


def extend(prev: Clustering, prev_rids: np.ndarray, rids: np.ndarray, inp: TopicInput) -> Clustering:
    """New papers join the topic most of their 10 nearest known papers are in and sit at their mean position."""
    where = {int(r): i for i, r in enumerate(prev_rids)}
    known = np.array([int(r) in where for r in rids], dtype=bool)
    assign = np.full(len(rids), OTHER, dtype=np.int64)
    coords = np.zeros((len(rids), 2), dtype=np.float32)
    old_rows = np.array([where[int(r)] for r in rids[known]], dtype=np.int64)
    assign[known] = prev.assignments[old_rows]
    coords[known] = prev.map2d[old_rows]
    new = np.nonzero(~known)[0]
    known_rows = np.nonzero(known)[0]
    if len(new) and len(known_rows):
        sims = inp.topic[new] @ inp.topic[known_rows].T
        nearest = known_rows[np.argsort(-sims, axis=1)[:, :neighbours_for(len(rids))]]
        for i, nb in zip(new, nearest):
            assign[i] = Counter(assign[nb].tolist()).most_common(1)[0][0]
            coords[i] = coords[nb[:5]].mean(axis=0)
    labels = {c.id: (c.terms_en, c.terms_ko) for c in prev.clusters}
    return Clustering(prev.method, assign, describe(inp, assign, labels), coords, prev.map_method,
                      dict(prev.params), dict(prev.aliases))


def carry_ids(new: Clustering, rids: np.ndarray, prev: Clustering, prev_rids: np.ndarray) -> Clustering:
    """Renumber `new`'s topics after the previous topics they overlap most (Jaccard >= MIN_JACCARD, one-to-one)."""
    old_of = dict(zip(prev_rids.tolist(), prev.assignments.tolist()))
    old_members = Counter(a for a in prev.assignments.tolist() if a != OTHER)
    new_members = Counter(a for a in new.assignments.tolist() if a != OTHER)
    both = Counter((int(a), old_of[r]) for r, a in zip(rids.tolist(), new.assignments.tolist())
                   if a != OTHER and old_of.get(r, OTHER) != OTHER)
    pairs = sorted(((n / (new_members[a] + old_members[o] - n), a, o) for (a, o), n in both.items()), reverse=True)
    mapping: dict[int, int] = {}
    taken: set[int] = set()
    for jac, a, o in pairs:
        if jac >= MIN_JACCARD and a not in mapping and o not in taken:
            mapping[a] = o
            taken.add(o)
    used = set(old_members) | set(prev.aliases) | {c.id for c in prev.clusters}
    fresh = max(used | {-1}) + 1
    for a in sorted(new_members, key=lambda a: (-new_members[a], a)):
        if a not in mapping:
            mapping[a] = fresh
            fresh += 1
    mapping[OTHER] = OTHER
    assign = np.array([mapping[int(a)] for a in new.assignments], dtype=np.int64)
    for c in new.clusters:
        c.id = mapping[c.id]
    # a retired id points to the topic holding most of its papers now
    went: Counter = Counter()
    for (a, o), n in both.items():
        went[(o, mapping[a])] += n
    aliases = {}
    for o in set(old_members) - taken:
        dest = [(n, d) for (oo, d), n in went.items() if oo == o and d != OTHER]
        if dest:
            aliases[o] = max(dest)[1]
    for old, target in prev.aliases.items():  # older aliases follow their target
        if old not in aliases and old not in set(mapping.values()):
            t = target if target in taken else aliases.get(target)
            if t is not None:
                aliases[old] = t
    return Clustering(new.method, assign, new.clusters, new.map2d, new.map_method, dict(new.params), aliases)
