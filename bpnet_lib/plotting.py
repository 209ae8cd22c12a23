"""Figures for the book: every plot a chapter shows is drawn by a function here.

This is the only module that imports matplotlib. The functions take plain NumPy
callables and arrays (often lambdified from a SymPy derivation), draw on a given
``Axes`` or a new figure, and return the figure so a chapter can caption it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_quadratic_model", "plot_error_vs_step", "plot_computational_graph", "grid_2d"]


def grid_2d(f, xlim, ylim, n=201):
    """Evaluate a function of two variables on a regular grid.

    Parameters
    ----------
    f : callable
        ``f(x, y)`` evaluated elementwise on arrays of equal shape.
    xlim, ylim : tuple of float
        The ranges ``(min, max)`` of the two axes.
    n : int
        Points per axis.

    Returns
    -------
    X, Y, F : ndarray, shape (n, n)
        The grid (``np.meshgrid`` order, ``X`` varies along columns) and the values.
    """
    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    X, Y = np.meshgrid(xs, ys)
    F = np.broadcast_to(np.asarray(f(X, Y), dtype=float), X.shape)
    return X, Y, F


def plot_quadratic_model(f, grad, hess, point, xlim=(-3.0, 3.0), ylim=(-3.0, 3.0),
                         radius=1.0, levels=20, ax=None):
    r"""Draw ``f``, its gradient field and its second-order model at ``point``.

    The quadratic model is the second-order Taylor expansion

    .. math::
        q(\mathbf{p} + \mathbf{d}) = f(\mathbf{p}) + \nabla f(\mathbf{p})\,\mathbf{d}
        + \tfrac12\,\mathbf{d}^\top H(\mathbf{p})\,\mathbf{d},

    drawn with dashed contours at the same levels as ``f`` inside a disc of the
    given ``radius`` around the point, so the reader sees where it is faithful.

    Parameters
    ----------
    f : callable
        ``f(x, y)``, elementwise on arrays.
    grad : callable
        ``grad(x, y)`` returning the gradient as a length-2 sequence ``(f_x, f_y)``.
    hess : callable
        ``hess(x, y)`` returning the Hessian, shape (2, 2), at one point.
    point : tuple of float
        The expansion point ``(x0, y0)``.
    xlim, ylim : tuple of float
        The plotting window.
    radius : float
        Radius of the disc in which the model is drawn.
    levels : int
        Number of contour levels.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 6 x 5 inch figure when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 5))
    else:
        fig = ax.figure
    x0, y0 = (float(v) for v in point)
    X, Y, F = grid_2d(f, xlim, ylim)
    lv = np.linspace(F.min(), F.max(), levels)
    cs = ax.contourf(X, Y, F, levels=lv, cmap="viridis", alpha=0.85)
    fig.colorbar(cs, ax=ax, label="$f(x, y)$")

    # Gradient field on a coarse grid: the arrows point uphill.
    Xq, Yq, _ = grid_2d(f, xlim, ylim, n=15)
    G = [np.broadcast_to(np.asarray(g, dtype=float), Xq.shape) for g in grad(Xq, Yq)]
    ax.quiver(Xq, Yq, G[0], G[1], color="white", alpha=0.6, angles="xy")

    # The quadratic model, only inside the disc around the point.
    f0 = float(f(x0, y0))
    g0 = np.asarray(grad(x0, y0), dtype=float).reshape(2)
    H0 = np.asarray(hess(x0, y0), dtype=float).reshape(2, 2)
    D1, D2 = X - x0, Y - y0
    Q = f0 + g0[0] * D1 + g0[1] * D2 + 0.5 * (
        H0[0, 0] * D1**2 + (H0[0, 1] + H0[1, 0]) * D1 * D2 + H0[1, 1] * D2**2)
    Q = np.where(D1**2 + D2**2 <= radius**2, Q, np.nan)
    ax.contour(X, Y, Q, levels=lv, colors="crimson", linestyles="dashed", linewidths=1.2)
    ax.add_patch(plt.Circle((x0, y0), radius, fill=False, color="crimson", lw=0.8, ls=":"))
    ax.plot([x0], [y0], "o", color="crimson")
    ax.annotate("", xy=(x0 + 0.3 * g0[0], y0 + 0.3 * g0[1]), xytext=(x0, y0),
                arrowprops=dict(arrowstyle="->", color="crimson", lw=2))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    ax.set_title(f"quadratic model at ({x0:.2f}, {y0:.2f})")
    return fig


def plot_error_vs_step(steps, errors, reference_slopes=(), ax=None):
    """Log-log plot of finite-difference errors against the step size ``h``.

    Parameters
    ----------
    steps : ndarray, shape (S,)
        Step sizes ``h``.
    errors : dict of str to ndarray, shape (S,)
        One curve per scheme, e.g. ``{"forward": ..., "central": ...}``.
    reference_slopes : sequence of (int, str)
        Guide lines proportional to ``h**p``, each with a label, starting from the first
        curve's error at the largest step: the order of each scheme is read off the plot.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 4))
    else:
        fig = ax.figure
    steps = np.asarray(steps, dtype=float)
    for label, err in errors.items():
        err = np.maximum(np.asarray(err, dtype=float), np.finfo(float).tiny)
        ax.loglog(steps, err, "o-", ms=3, label=label)
    curves = [np.asarray(e, dtype=float) for e in errors.values()]
    floor = min(float(np.min(c[c > 0])) for c in curves) if curves else 0.0
    for p, label in reference_slopes:
        # A guide line through the first curve's value at the largest step, drawn only
        # down to the smallest error measured, so it never stretches the axes.
        start = curves[0][0] if curves else 1.0
        guide = start * (steps / steps[0]) ** p
        guide = np.where(guide >= floor, guide, np.nan)
        ax.loglog(steps, guide, ":", color="gray")
        ax.text(steps[0], start, label, color="gray", va="bottom", ha="left")
    ax.invert_xaxis()
    ax.set_xlabel("step size $h$ (smaller to the right)")
    ax.set_ylabel("relative error")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    return fig


def plot_computational_graph(nodes, edges, highlight=(), ax=None, node_radius=0.28):
    """Draw a small computational graph with a local derivative on every edge.

    Parameters
    ----------
    nodes : dict of str to (float, float)
        Node label (LaTeX allowed) and its position.
    edges : sequence of (str, str, str)
        ``(source, target, label)``; the label is usually the local partial derivative
        ``d target / d source``.
    highlight : sequence of sequence of str
        Paths (lists of node labels) to draw in colour, one colour per path, e.g. to show
        the terms of the multivariate chain rule as a sum over paths.
    ax : matplotlib.axes.Axes, optional
    node_radius : float
        Radius of the node circles, in data units.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3.2))
    else:
        fig = ax.figure
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    on_path = {}
    for i, path in enumerate(highlight):
        for u, v in zip(path[:-1], path[1:]):
            on_path.setdefault((u, v), []).append(colours[i % len(colours)])
    for u, v, label in edges:
        (x0, y0), (x1, y1) = np.asarray(nodes[u], float), np.asarray(nodes[v], float)
        d = np.array([x1 - x0, y1 - y0])
        d = d / np.linalg.norm(d)
        start, end = (x0, y0) + node_radius * d, (x1, y1) - node_radius * d
        cols = on_path.get((u, v), ["0.55"])
        for j, c in enumerate(cols):
            off = (j - (len(cols) - 1) / 2) * 0.05 * np.array([-d[1], d[0]])
            ax.annotate("", xy=end + off, xytext=start + off,
                        arrowprops=dict(arrowstyle="-|>", color=c, lw=2 if c != "0.55" else 1.2))
        mid = (start + end) / 2 + 0.12 * np.array([-d[1], d[0]])
        ax.text(*mid, label, ha="center", va="center", fontsize=11,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9))
    for name, (x, y) in nodes.items():
        ax.add_patch(plt.Circle((x, y), node_radius, fc="#eef3fb", ec="#2b4c7e", lw=1.5))
        ax.text(x, y, name, ha="center", va="center", fontsize=13)
    xs = [p[0] for p in nodes.values()]
    ys = [p[1] for p in nodes.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig
