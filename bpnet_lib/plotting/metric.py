"""Figures of the metric-loss chapter: the contrastive loss of one pair against its distance,
where a triplet's negative falls (hard, semi-hard, easy), and 2-D feature clouds with their
class centers.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "plot_contrastive_pair_loss",
    "plot_triplet_regions",
    "plot_feature_clouds",
]


def plot_contrastive_pair_loss(margin=1.0, d_max=None, ax=None):
    r"""The contrastive loss of one pair, and its derivative, against the distance :math:`d`.

    Similar pair: :math:`d^2` (derivative :math:`2d`); dissimilar pair:
    :math:`\max(0, \Delta - d)^2` (derivative :math:`-2\max(0, \Delta - d)`). Values come from
    :func:`bpnet_lib.metric.contrastive_loss` on two points at distance :math:`d`.

    Parameters
    ----------
    margin : float, default 1.0
        :math:`\Delta > 0`.
    d_max : float, optional
        Right end of the axis; ``2 * margin`` if omitted.
    ax : sequence of 2 matplotlib.axes.Axes, optional
        Where to draw the loss and the derivative; a new 6.7 x 2.8 inch figure if omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from ..metric import contrastive_loss

    if not (np.isfinite(margin) and margin > 0):
        raise ValueError(f"margin: expected a positive finite number, got {margin!r}")
    d_max = 2.0 * margin if d_max is None else float(d_max)
    if ax is None:
        fig, ax = plt.subplots(1, 2, figsize=(6.7, 2.8))
    else:
        fig = ax[0].figure
    d = np.linspace(0, d_max, 201)[1:]
    for same, colour, label in ((True, "#c44e52", "similar pair"),
                                (False, "#4c72b0", "dissimilar pair")):
        y = [0, 0] if same else [0, 1]
        out = [contrastive_loss([[0.0], [t]], y, margin, reduction="sum") for t in d]
        ax[0].plot(d, [o[0] for o in out], color=colour, label=label)
        ax[1].plot(d, [o[1][1, 0] for o in out], color=colour, label=label)
    for a, title in zip(ax, ("loss of the pair", r"$\partial L / \partial d$")):
        a.axvline(margin, color="0.5", ls=":", lw=1)
        a.axhline(0, color="0.7", lw=0.8)
        a.set_xlabel("distance $d$")
        a.set_title(title)
    ax[0].text(margin, ax[0].get_ylim()[1] * 0.9, r" $\Delta$", color="0.4")
    ax[0].legend(frameon=False)
    fig.tight_layout()
    return fig


def plot_triplet_regions(anchor, positive, margin, negatives=None, lim=2.5, ax=None):
    r"""Where a negative makes a triplet hard, semi-hard or easy, for a fixed anchor and positive.

    With the distance :math:`d_{a+} = \lVert \mathbf{x}_a - \mathbf{x}_+\rVert` from the
    anchor to the positive, a negative :math:`\mathbf{x}_-` is *hard* inside the circle of
    radius :math:`d_{a+}` around the anchor, *semi-hard* in the ring between the radii
    :math:`d_{a+}` and :math:`\sqrt{d_{a+}^2 + \Delta}`, and *easy* (zero loss) outside. The
    regions are coloured by :func:`bpnet_lib.metric.triplet_kinds` on a grid.

    Parameters
    ----------
    anchor, positive : array_like, shape (2,)
        :math:`\mathbf{x}_a` and :math:`\mathbf{x}_+`.
    margin : float
        :math:`\Delta \ge 0`.
    negatives : array_like, shape (N, 2), optional
        Points to mark, e.g. the negatives of a batch.
    lim : float, default 2.5
        Half-width of the square drawn around the anchor.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from matplotlib.colors import ListedColormap

    from ..metric import triplet_kinds

    a = np.asarray(anchor, dtype=float)
    p = np.asarray(positive, dtype=float)
    if a.shape != (2,) or p.shape != (2,):
        raise ValueError(f"anchor, positive: expected shape (2,), got {a.shape} and {p.shape}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.6, 4.2))
    else:
        fig = ax.figure
    g = np.linspace(-lim, lim, 241)
    GX, GY = np.meshgrid(a[0] + g, a[1] + g)
    pts = np.column_stack([GX.ravel(), GY.ravel()])
    kinds = triplet_kinds(np.tile(a, (len(pts), 1)), np.tile(p, (len(pts), 1)), pts, margin)
    code = np.select([kinds == "hard", kinds == "semi-hard"], [0, 1], 2).reshape(GX.shape)
    colours = ["#e6a0a0", "#f2d48f", "#dde8f0"]
    ax.pcolormesh(GX, GY, code, cmap=ListedColormap(colours), vmin=-0.5, vmax=2.5,
                  shading="auto")
    ax.plot(*a, "ko", ms=7)
    ax.annotate("anchor", a, xytext=(5, -12), textcoords="offset points")
    ax.plot(*p, "s", color="#2a7f3f", ms=7)
    ax.annotate("positive", p, xytext=(5, 5), textcoords="offset points")
    if negatives is not None:
        neg = np.asarray(negatives, dtype=float).reshape(-1, 2)
        ax.plot(neg[:, 0], neg[:, 1], "x", color="#333333", ms=7, mew=1.5)
    for colour, name in zip(colours, ("hard", "semi-hard", "easy")):
        ax.plot([], [], "s", color=colour, ms=10, label=name)
    ax.legend(loc="upper left", frameon=True, fontsize=8)
    ax.set_aspect("equal")
    ax.set_title(rf"negatives by kind, $\Delta = {margin:g}$")
    return fig


def plot_feature_clouds(panels, y, centers=None, titles=None, normalize=False, axes=None):
    """Scatter 2-D features coloured by class, one panel per feature set.

    Parameters
    ----------
    panels : sequence of array_like, each shape (N, 2)
        Feature sets :math:`X` to compare (e.g. trained with and without center loss).
    y : array_like, shape (N,)
        Integer class labels, shared by the panels.
    centers : sequence of (array_like of shape (K, 2) or None), optional
        Class centers to mark in each panel.
    titles : sequence of str, optional
    normalize : bool, default False
        Divide each panel's features (and its centers) by the root-mean-square norm of its
        features, :math:`\\sqrt{\\tfrac1N\\sum_n\\lVert\\mathbf{x}_n\\rVert^2}`, and give all
        panels the same square, reaching 1.1 times the largest norm below which 99% of a
        panel's features lie (a few outliers may be cut off), so that feature sets of different
        sizes are compared at one scale (the origin stays where it is).
    axes : sequence of matplotlib.axes.Axes, optional

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    y = np.asarray(y)
    panels = [np.asarray(P, dtype=float) for P in panels]
    for i, P in enumerate(panels):
        if P.ndim != 2 or P.shape != (y.shape[0], 2):
            raise ValueError(
                f"panels[{i}]: expected shape ({y.shape[0]}, 2) to match y, got shape {P.shape}"
            )
    centers = [None] * len(panels) if centers is None else list(centers)
    if normalize:
        rms = [np.sqrt(np.mean(np.sum(P * P, axis=1))) for P in panels]
        if not all(r > 0 for r in rms):
            raise ValueError("panels: expected nonzero features to normalize, got a zero panel")
        panels = [P / r for P, r in zip(panels, rms)]
        centers = [None if C is None else np.asarray(C, dtype=float) / r
                   for C, r in zip(centers, rms)]
    if axes is None:
        # Square panels side by side and the class legend right of them, in the book's column.
        side = min(4.2, 6.2 / len(panels))
        fig, axes = plt.subplots(1, len(panels), figsize=(side * len(panels) + 0.5, side + 0.3))
        axes = np.atleast_1d(axes)
    else:
        fig = axes[0].figure
    cmap = plt.get_cmap("tab10")
    for i, (ax, P) in enumerate(zip(axes, panels)):
        for k in np.unique(y):
            sel = y == k
            ax.scatter(P[sel, 0], P[sel, 1], s=7, color=cmap(int(k) % 10), alpha=0.7,
                       label=str(k), linewidths=0)
        if centers[i] is not None:
            C = np.asarray(centers[i], dtype=float)
            ax.scatter(C[:, 0], C[:, 1], marker="X", s=60, c="k", linewidths=0.5,
                       edgecolors="w")
        if titles is not None:
            ax.set_title(titles[i])
        if normalize:
            ax.axhline(0, color="0.85", lw=0.6, zorder=0)
            ax.axvline(0, color="0.85", lw=0.6, zorder=0)
    if normalize:
        reach = 1.1 * max(np.quantile(np.linalg.norm(P, axis=1), 0.99) for P in panels)
        for ax in axes:
            ax.set_xlim(-reach, reach)
            ax.set_ylim(-reach, reach)
            ax.set_aspect("equal")
    else:
        for ax in axes:
            ax.set_aspect("equal", adjustable="datalim")
    axes[-1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False,
                    markerscale=2, fontsize=8, handletextpad=0.2)
    fig.tight_layout()
    return fig
