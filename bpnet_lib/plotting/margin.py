"""Figures of the margin-softmax chapter: the margin function psi(varphi) against cos(varphi),
and learned 2-D features with the directions of their class weights.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "plot_margin_functions",
    "plot_angular_features",
]


def plot_margin_functions(ms=(1, 2, 3, 4), ax=None):
    r"""The L-Softmax margin function :math:`\psi(\varphi)` on :math:`[0, \pi]` for several m.

    Values come from :func:`bpnet_lib.margin.psi`; :math:`m = 1` is :math:`\cos\varphi`.
    The breakpoints :math:`\varphi = j\pi/m`, where the pieces meet at :math:`-(2j - 1)`,
    are marked with dots.

    Parameters
    ----------
    ms : sequence of int >= 1, default (1, 2, 3, 4)
    ax : matplotlib.axes.Axes, optional
        A new 6 x 3.6 inch figure if omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from ..margin import psi

    ms = list(ms)
    if not ms or any(isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1 for m in ms):
        raise ValueError(f"ms: expected a non-empty sequence of integers >= 1, got {ms!r}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.6))
    else:
        fig = ax.figure
    varphi = np.linspace(0, np.pi, 721)
    for m in ms:
        style = dict(ls="--", color="0.3") if m == 1 else {}
        (line,) = ax.plot(varphi, psi(varphi, m), lw=1.8,
                          label=r"$\cos\varphi$ ($m = 1$)" if m == 1 else f"$m = {m}$", **style)
        if m > 1:
            tb = np.arange(1, m) * np.pi / m
            ax.plot(tb, psi(tb, m), "o", ms=4, color=line.get_color())
    ax.set_xticks(np.linspace(0, np.pi, 5))
    ax.set_xticklabels(["0", r"$\pi/4$", r"$\pi/2$", r"$3\pi/4$", r"$\pi$"])
    ax.set_xlabel(r"angle $\varphi$ between feature and target weight")
    ax.set_ylabel(r"$\psi(\varphi)$")
    ax.axhline(0, color="0.8", lw=0.8, zorder=0)
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def plot_angular_features(panels, y, titles=None, quantile=0.95, axes=None):
    """2-D features coloured by class, with a ray along each class weight's direction.

    Parameters
    ----------
    panels : sequence of (X, W)
        ``X`` of shape (N, 2), the features (rows :math:`\\mathbf{x}_n^\\top`); ``W`` of
        shape (2, K), the class weights.
    y : array_like of int, shape (N,)
        Class labels in 0..K-1 (K <= 10), shared by the panels.
    titles : sequence of str, optional
    quantile : float in (0, 1], default 0.95
        Each panel shows the disc holding this fraction of the features (plus 15%), so a
        few long outliers do not shrink the picture; 1 shows every point.
    axes : sequence of matplotlib.axes.Axes, optional
        One per panel; a new figure of square panels side by side, 6.7 inches wide, if omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    y = np.asarray(y)
    if not (isinstance(quantile, (int, float)) and 0 < quantile <= 1):
        raise ValueError(f"quantile: expected a number in (0, 1], got {quantile!r}")
    panels = list(panels)
    if not panels:
        raise ValueError("panels: expected at least one (X, W) pair, got none")
    for i, (X, W) in enumerate(panels):
        X, W = np.asarray(X), np.asarray(W)
        if X.shape != (len(y), 2):
            raise ValueError(f"panels[{i}]: expected X of shape ({len(y)}, 2), got shape {X.shape}")
        if W.ndim != 2 or W.shape[0] != 2 or W.shape[1] > 10:
            raise ValueError(f"panels[{i}]: expected W of shape (2, K) with K <= 10, got shape {W.shape}")
    if axes is None:
        # Square panels side by side and the class legend right of them, in the book's column.
        side = min(4.2, 6.0 / len(panels))
        fig, axes = plt.subplots(1, len(panels), figsize=(side * len(panels) + 0.7, side + 0.3),
                                 squeeze=False)
        axes = axes[0]
    else:
        fig = axes[0].figure
    colors = plt.get_cmap("tab10").colors
    for i, (X, W) in enumerate(panels):
        X, W = np.asarray(X), np.asarray(W)
        ax = axes[i]
        reach = 1.15 * np.quantile(np.linalg.norm(X, axis=1), quantile)
        for k in range(W.shape[1]):
            sel = y == k
            ax.scatter(X[sel, 0], X[sel, 1], s=5, alpha=0.6, color=colors[k], label=str(k))
            v = W[:, k] / np.linalg.norm(W[:, k])
            ax.plot([0, reach * v[0]], [0, reach * v[1]], color=colors[k], lw=1.6)
            ax.plot([0, reach * v[0]], [0, reach * v[1]], color="k", lw=0.4)
        ax.set_xlim(-reach, reach)
        ax.set_ylim(-reach, reach)
        ax.set_aspect("equal")
        ax.axhline(0, color="0.85", lw=0.6, zorder=0)
        ax.axvline(0, color="0.85", lw=0.6, zorder=0)
        if titles is not None:
            ax.set_title(titles[i])
    axes[-1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, markerscale=3,
                    title="class", fontsize=8, handletextpad=0.2)
    fig.tight_layout()
    return fig
