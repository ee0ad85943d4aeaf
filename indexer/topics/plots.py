"""The topic map's geometry and plots, shared by the web page, the API and the notebooks.

The frame is robust: a few far-off points (UMAP islands) must not squeeze the
other 5,000 into a corner, so the axes span the 1st-99th percentile of each
coordinate plus a margin, and points beyond it are drawn on its edge.
"""
from __future__ import annotations

import io

import numpy as np

from indexer.topics.clusters import Clustering

FRAME_QUANTILES = (1.0, 99.0)
FRAME_MARGIN = 0.05
MASS_QUANTILES = (5.0, 95.0)   # "the main mass": the central 90% of the points on each axis


def frame_limits(xy: np.ndarray) -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax) of the plotted frame."""
    if len(xy) == 0:
        return (0.0, 1.0, 0.0, 1.0)
    lo = np.percentile(xy, FRAME_QUANTILES[0], axis=0)
    hi = np.percentile(xy, FRAME_QUANTILES[1], axis=0)
    pad = np.maximum((hi - lo) * FRAME_MARGIN, 1e-6)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def main_mass_fill(xy: np.ndarray, frame: tuple[float, float, float, float] | None = None) -> float:
    """Share of the frame's area covered by the box holding the central 90% of points on each axis."""
    x0, x1, y0, y1 = frame or frame_limits(xy)
    lo = np.percentile(xy, MASS_QUANTILES[0], axis=0)
    hi = np.percentile(xy, MASS_QUANTILES[1], axis=0)
    return float((hi[0] - lo[0]) * (hi[1] - lo[1]) / max((x1 - x0) * (y1 - y0), 1e-12))


def clamp_to_frame(xy: np.ndarray, frame: tuple[float, float, float, float]) -> np.ndarray:
    x0, x1, y0, y1 = frame
    return np.column_stack([np.clip(xy[:, 0], x0, x1), np.clip(xy[:, 1], y0, y1)])


def label_anchors(c: Clustering) -> list[tuple[int, float, float]]:
    """(topic id, x, y): each topic's label at its members' median position, largest topics first."""
    out = []
    for cl in c.clusters:
        if cl.other:
            continue
        pts = c.map2d[c.assignments == cl.id]
        if len(pts):
            x, y = np.median(pts, axis=0)
            out.append((cl.id, float(x), float(y)))
    return out


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_map(c: Clustering, ax=None, labels: int = 25):
    """All papers on the 2-D map, coloured by topic ("other" in grey); labels that would overlap are skipped."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 8))
    frame = frame_limits(c.map2d)
    xy = clamp_to_frame(c.map2d, frame)
    other = c.assignments < 0
    ax.scatter(xy[other, 0], xy[other, 1], c="#c8c8c8", s=3, linewidths=0)
    ax.scatter(xy[~other, 0], xy[~other, 1], c=c.assignments[~other] % 20, cmap="tab20", s=4, alpha=0.75,
               linewidths=0)
    ax.set_xlim(frame[0], frame[1])
    ax.set_ylim(frame[2], frame[3])
    ax.figure.canvas.draw()
    placed = []
    renderer = ax.figure.canvas.get_renderer()
    for cid, x, y in label_anchors(c)[:labels]:
        cl = c.get(cid)
        text = ax.annotate(f"{cid}: {' · '.join(cl.terms_en[:2])}", (x, y), fontsize=7, ha="center",
                           bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.8, "lw": 0})
        box = text.get_window_extent(renderer)
        if any(box.overlaps(b) for b in placed):
            text.remove()
        else:
            placed.append(box)
    topics = sum(not cl.other for cl in c.clusters)
    ax.set_title(f"{len(c.assignments)} papers, {topics} topics + other ({c.method}, {c.map_method} map)")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_trends(c: Clustering, top: int = 8, ax=None):
    """Papers per month for the `top` largest topics."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 4))
    months = sorted({m for cl in c.clusters for m in cl.monthly if m})
    for cl in [cl for cl in c.clusters if not cl.other][:top]:
        ax.plot(months, [cl.monthly.get(m, 0) for m in months], label=f"{cl.id}: {' '.join(cl.terms_en[:2])}")
    ax.set_ylabel("papers / month")
    ax.tick_params(axis="x", rotation=60, labelsize=7)
    ax.legend(fontsize=7, ncol=2)
    return ax


def rising(c: Clustering, top: int = 10, fading: bool = False) -> list:
    """Topics by growth (topics.trends), fastest rising first, or fastest fading first."""
    topics = [cl for cl in c.clusters if not cl.other]
    return sorted(topics, key=lambda cl: (cl.growth if fading else -cl.growth, cl.id))[:top]


def plot_rising(c: Clustering, top: int = 10, axes=None):
    """Share of each month's papers for the `top` rising (left) and fading (right) topics."""
    plt = _plt()
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(13, 4), sharey=True)
    months = sorted({m for cl in c.clusters for m in cl.monthly if m})
    totals = np.array([sum(cl.monthly.get(m, 0) for cl in c.clusters) for m in months], dtype=float)
    for ax, fading in zip(axes, (False, True)):
        for cl in rising(c, top, fading):
            share = np.array([cl.monthly.get(m, 0) for m in months]) / np.maximum(totals, 1)
            ax.plot(months, 100 * share, label=f"{cl.id}: {' · '.join(cl.terms_en[:2])} ({cl.growth:+.2f})")
        ax.set_title(f"top {top} {'fading' if fading else 'rising'} topics (log2 share, last 3 vs 6 months)")
        ax.tick_params(axis="x", rotation=60, labelsize=7)
        ax.legend(fontsize=6)
    axes[0].set_ylabel("% of the month's papers")
    return axes


def map_png(c: Clustering) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 8), dpi=100)
    plot_map(c, ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
