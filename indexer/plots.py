"""Plots of the topic clusters, shared by the web page's Topics view and the notebooks."""
from __future__ import annotations

import io

import numpy as np

from indexer.clusters import Clustering


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_map(c: Clustering, ax=None, labels: int = 20):
    """All papers on the 2-D map, coloured by cluster; the largest clusters labelled at their centre."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 8))
    ax.scatter(c.map2d[:, 0], c.map2d[:, 1], c=np.where(c.assignments >= 0, c.assignments, -1), cmap="tab20",
               s=4, alpha=0.7, linewidths=0)
    for cl in c.clusters[:labels]:
        pts = c.map2d[c.assignments == cl.id]
        if len(pts):
            x, y = np.median(pts, axis=0)
            ax.annotate(f"{cl.id}: {' '.join(cl.terms_en[:2])}", (x, y), fontsize=7, ha="center",
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.7, "lw": 0})
    ax.set_title(f"{len(c.assignments)} papers, {len(c.clusters)} clusters ({c.method}, {c.map_method} map)")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_trends(c: Clustering, top: int = 8, ax=None):
    """Papers per month for the `top` largest clusters."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 4))
    months = sorted({m for cl in c.clusters for m in cl.monthly if m})
    for cl in c.clusters[:top]:
        ax.plot(months, [cl.monthly.get(m, 0) for m in months], label=f"{cl.id}: {' '.join(cl.terms_en[:2])}")
    ax.set_ylabel("papers / month")
    ax.tick_params(axis="x", rotation=60, labelsize=7)
    ax.legend(fontsize=7, ncol=2)
    return ax


def map_png(c: Clustering) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 8), dpi=100)
    plot_map(c, ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
