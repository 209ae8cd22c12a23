"""Figures of part I (foundations): Taylor models, finite-difference errors, computational
graphs, loss curves, regression fits and gradient-descent paths.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import patheffects

from ._common import grid_2d

__all__ = [
    "plot_quadratic_model",
    "plot_error_vs_step",
    "plot_computational_graph",
    "plot_loss_curves",
    "plot_regression_fits",
    "plot_in_out_error",
    "plot_descent_paths",
]


def plot_quadratic_model(f, grad, hess, point, xlim=(-3.0, 3.0), ylim=(-3.0, 3.0),
                         radius=1.0, levels=20, ax=None):
    r"""Draw ``f``, its gradient field and its second-order model at ``point``.

    The quadratic model is the second-order Taylor expansion

    .. math::
        f(\mathbf{x}_0 + \mathbf{d}) \approx f(\mathbf{x}_0) + \nabla f(\mathbf{x}_0)\,\mathbf{d}
        + \tfrac12\,\mathbf{d}^\top \nabla^2 f(\mathbf{x}_0)\,\mathbf{d},

    drawn with dashed contours at the same levels as ``f`` inside a disc of the
    given ``radius`` around the point, so the reader sees where it is faithful. The
    gradient at the point is drawn to scale as a labelled arrow.

    Parameters
    ----------
    f : callable
        ``f(x, y)``, elementwise on arrays.
    grad : callable
        ``grad(x, y)`` returning the gradient as a length-2 sequence ``(f_x, f_y)``.
    hess : callable
        ``hess(x, y)`` returning the Hessian, shape (2, 2), at one point.
    point : tuple of float
        The expansion point :math:`\mathbf{x}_0` = ``(x0, y0)``.
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
    ax.plot([x0], [y0], "o", color="crimson", mec="white", ms=7, zorder=4)
    # The gradient at the point, drawn to scale (one unit of f per unit of x, y), with a white
    # outline so that it stands out against the dashed contours of the model.
    outline = [patheffects.withStroke(linewidth=5, foreground="white")]
    tip = (x0 + g0[0], y0 + g0[1])
    ax.annotate("", xy=tip, xytext=(x0, y0), zorder=5,
                arrowprops=dict(arrowstyle="-|>", color="crimson", lw=2.5, mutation_scale=18,
                                path_effects=outline))
    ax.text(*tip, r" $\nabla f$", color="crimson", fontsize=12, ha="left", va="center",
            zorder=5, path_effects=[patheffects.withStroke(linewidth=3, foreground="white")])
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    ax.set_title(f"quadratic model at ({x0:.2f}, {y0:.2f})")
    return fig


def plot_error_vs_step(steps, errors, reference_slopes=(), ax=None):
    """Log-log plot of finite-difference errors against the step :math:`\\epsilon`.

    Parameters
    ----------
    steps : ndarray, shape (S,)
        Steps :math:`\\epsilon` (the ``eps`` of :mod:`bpnet_lib.gradcheck`).
    errors : dict of str to ndarray, shape (S,)
        One curve per scheme, e.g. ``{"forward": ..., "central": ...}``.
    reference_slopes : sequence of (int, str) or (int, str, str)
        Guide lines proportional to ``eps**p``, each labelled at its middle: the order of
        each scheme is read off the plot. A guide runs parallel to the curve named by the
        optional third entry (the first curve when omitted), a factor 4 above it if that curve
        starts highest and a factor 4 below it otherwise, from the largest step down to that
        curve's smallest error.
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
    curves = {name: np.asarray(e, dtype=float) for name, e in errors.items()}
    first = next(iter(curves), None)
    for p, label, *anchor in reference_slopes:
        name = anchor[0] if anchor else first
        if name not in curves:
            raise ValueError(f"reference_slopes: expected a curve among {list(curves)}, got {name!r}")
        # A guide parallel to the named curve's truncation side, drawn only down to that
        # curve's smallest error, so it never stretches the axes. It runs above the topmost
        # curve and below the others, with its label on the outer side, so that neither the
        # line nor the label covers the data.
        curve = curves[name]
        above = curve[0] >= max(c[0] for c in curves.values())
        guide = (4.0 if above else 0.25) * curve[0] * (steps / steps[0]) ** p
        guide = np.where(guide >= np.min(curve[curve > 0]), guide, np.nan)
        ax.loglog(steps, guide, ":", color="gray", lw=1.5)
        mid = int(np.flatnonzero(np.isfinite(guide))[-1]) // 2
        ax.annotate(f"slope {label}", (steps[mid], guide[mid]),
                    xytext=(6, 6) if above else (-6, -6), textcoords="offset points",
                    color="0.3", fontsize=10, va="bottom" if above else "top",
                    ha="left" if above else "right")
    ax.invert_xaxis()
    ax.set_xlabel(r"step $\epsilon$ (smaller to the right)")
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


def plot_loss_curves(t, curves, xlabel, ylabel="loss", styles=None, ylim=None, title=None,
                     legend_outside=False, ax=None):
    """Draw several losses as functions of one variable (a margin, a residual, a score).

    Parameters
    ----------
    t : ndarray, shape (T,)
        The variable on the horizontal axis.
    curves : dict of str to ndarray, shape (T,)
        One loss per label, evaluated at ``t``.
    xlabel, ylabel : str
        Axis labels (LaTeX allowed).
    styles : dict of str to dict, optional
        Extra keyword arguments for ``Axes.plot`` per label, e.g. ``{"hinge": {"ls": "--"}}``;
        useful to show that two curves coincide.
    ylim : tuple of float, optional
    title : str, optional
    legend_outside : bool, default False
        Put the legend to the right of the axes, so that it hides no curve.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 6.5 x 4 inch figure (6.7 x 3.6 with the legend outside) when
        omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.7, 3.6) if legend_outside else (6.5, 4),
                               layout="constrained")
    else:
        fig = ax.figure
    t = np.asarray(t, dtype=float)
    styles = styles or {}
    for label, values in curves.items():
        kw = dict(lw=2)
        kw.update(styles.get(label, {}))
        ax.plot(t, np.asarray(values, dtype=float), label=label, **kw)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.axvline(0, color="0.6", lw=0.8)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlim(t.min(), t.max())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if legend_outside:
        ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
    else:
        ax.legend()
    return fig


def plot_regression_fits(x, y, grid, fits, target=None, x_test=None, y_test=None, ylim=None,
                         ax=None):
    """Scatter a one-dimensional data set and draw fitted curves over it.

    Parameters
    ----------
    x, y : ndarray, shape (N,)
        Training inputs and targets, drawn as filled dots.
    grid : ndarray, shape (G,)
        Inputs at which the fitted curves are evaluated.
    fits : dict of str to ndarray, shape (G,)
        One fitted curve per label, evaluated at ``grid``.
    target : ndarray, shape (G,), optional
        The noise-free function that generated the data, drawn dashed.
    x_test, y_test : ndarray, shape (M,), optional
        Held-out data, drawn as small hollow dots.
    ylim : tuple of float, optional
        Vertical range; a wild fit is clipped to it rather than squashing the others.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 6.5 x 4 inch figure when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 4))
    else:
        fig = ax.figure
    if x_test is not None and y_test is not None:
        ax.plot(x_test, y_test, "o", mfc="none", mec="0.6", ms=3, label="held-out data")
    if target is not None:
        ax.plot(grid, target, "k--", lw=1.2, label="target")
    for label, values in fits.items():
        ax.plot(grid, values, lw=2, label=label)
    ax.plot(x, y, "o", color="black", ms=5, label="training data")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9, loc="best")
    return fig


def plot_in_out_error(complexity, e_in, e_out, xlabel="model complexity", floor=None,
                      ax=None):
    """Plot the training error :math:`E_{\\mathrm{in}}` and the held-out error
    :math:`E_{\\mathrm{out}}` against the complexity of the model, on a log scale.

    Parameters
    ----------
    complexity : ndarray, shape (C,)
        E.g. the degree of a polynomial.
    e_in, e_out : ndarray, shape (C,)
        The average loss on the training data and on held-out data.
    xlabel : str
    floor : float, optional
        A horizontal reference, e.g. the noise variance: the error of the true function.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 6.5 x 4 inch figure when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 4))
    else:
        fig = ax.figure
    complexity = np.asarray(complexity)
    e_out = np.asarray(e_out, dtype=float)
    ax.semilogy(complexity, e_in, "o-", label=r"$E_{\mathrm{in}}$ (training data)")
    ax.semilogy(complexity, e_out, "s-", label=r"$E_{\mathrm{out}}$ (held-out data)")
    best = int(np.argmin(e_out))
    ax.plot(complexity[best], e_out[best], "o", ms=14, mfc="none", mec="crimson", mew=2,
            label=r"smallest $E_{\mathrm{out}}$")
    if floor is not None:
        ax.axhline(floor, color="0.4", ls=":", label="noise variance")
    ax.set_xticks(complexity)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean loss")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    return fig


def plot_descent_paths(f, paths, xlim, ylim, minimum=None, grid=None, levels=20,
                       axis_labels=(r"$\theta_1$", r"$\theta_2$"), ax=None):
    """Contours of a function of two parameters with gradient-descent paths over them.

    Parameters
    ----------
    f : callable
        ``f(a, b)`` evaluated elementwise on arrays of equal shape (see :func:`grid_2d`).
        Not called when ``grid`` is given.
    paths : dict of str to ndarray, shape (T, 2)
        The iterates of each run, e.g. from :func:`bpnet_lib.descent.gradient_descent`.
    xlim, ylim : tuple of float
        The plotting window.
    minimum : array_like, shape (2,), optional
        The minimiser, marked with a star.
    grid : tuple of ndarray, optional
        ``(X, Y, F)`` as returned by :func:`grid_2d`, to avoid recomputing the
        function on every redraw of an explorer.
    levels : int
        Number of contour levels, spaced more densely near the minimum value.
    axis_labels : tuple of str
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
    X, Y, F = grid if grid is not None else grid_2d(f, xlim, ylim, n=121)
    lo, hi = float(np.min(F)), float(np.max(F))
    lv = lo + (hi - lo) * np.linspace(0, 1, levels) ** 2
    cs = ax.contour(X, Y, F, levels=lv, cmap="viridis", linewidths=1)
    fig.colorbar(cs, ax=ax, label="loss", format="%.2f")
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, path) in enumerate(paths.items()):
        path = np.asarray(path, dtype=float)
        c = colours[(i + 1) % len(colours)]
        ax.plot(path[:, 0], path[:, 1], "o-", color=c, ms=3, lw=1.2,
                label=f"{label} ({len(path) - 1} steps)")
        ax.plot(path[0, 0], path[0, 1], "s", color=c, ms=7)
    if minimum is not None:
        ax.plot(*np.asarray(minimum, dtype=float).reshape(2), "*", color="crimson", ms=15,
                label="minimum")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.legend(loc="upper right", fontsize=9)
    return fig

