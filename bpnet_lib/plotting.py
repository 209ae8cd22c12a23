"""Figures for the book: every plot a chapter shows is drawn by a function here.

This is the only module that imports matplotlib. The functions take plain NumPy
callables and arrays (often lambdified from a SymPy derivation), draw on a given
``Axes`` or a new figure, and return the figure so a chapter can caption it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "plot_quadratic_model",
    "plot_error_vs_step",
    "plot_computational_graph",
    "grid_2d",
    "plot_loss_curves",
    "plot_regression_fits",
    "plot_in_out_error",
    "plot_descent_paths",
    "plot_softmax_cross_entropy",
    "plot_functions_and_derivatives",
    "activation_depth_profile",
    "plot_depth_profile",
    "plot_mlp",
    "plot_forward_pass",
    "plot_decision_regions",
    "plot_decision_region_grid",
    "init_depth_statistics",
    "plot_init_statistics",
    "plot_gd_comparison",
    "plot_learning_curves",
    "plot_confusion_matrix",
    "plot_image_grid",
    "plot_backprop_graph",
    "plot_backward_pass",
    "conv_geometry",
    "plot_conv_geometry",
    "plot_conv_matrix",
    "plot_conv_geometry_grid",
    "plot_pool_gradients",
    "plot_kernels",
    "plot_feature_maps",
]


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
        Where to draw; a new 6.5 x 4 inch figure (8.5 x 4 with the legend outside) when
        omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(8.5 if legend_outside else 6.5, 4),
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


def plot_softmax_cross_entropy(z, label, axes=None):
    r"""Logits, softmax probabilities and the cross-entropy gradient of one sample.

    Three bar charts side by side: the logits :math:`z`; the probabilities
    :math:`p = \operatorname{softmax}(z)` with the one-hot target :math:`e_y`
    outlined; and the gradient :math:`\partial L / \partial z = p - e_y` of the
    cross-entropy :math:`L = -\log p_y`, whose value is in the title. The numbers
    come from :func:`bpnet_lib.losses.softmax_cross_entropy`.

    Parameters
    ----------
    z : array_like, shape (K,)
        Logits of one sample.
    label : int
        The true class, in ``0..K-1``.
    axes : sequence of 3 matplotlib.axes.Axes, optional
        Where to draw; a new 11 x 3.4 inch figure with three panels when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from .activations import softmax
    from .losses import softmax_cross_entropy

    z = np.asarray(z, dtype=float)
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    else:
        fig = axes[0].figure
    K = z.shape[0]
    p = softmax(z)
    loss, dz = softmax_cross_entropy(z[None, :], [label], reduction="sum")
    classes = np.arange(K)
    target = np.eye(K)[label]
    colours = ["#c44e52" if k == label else "#4c72b0" for k in classes]

    ax = axes[0]
    ax.bar(classes, z, color=colours)
    ax.axhline(0.0, color="gray", lw=0.8)
    ax.set_title("logits $z$")

    ax = axes[1]
    ax.bar(classes, p, color=colours)
    ax.bar(classes, target, fill=False, edgecolor="black", ls="--", lw=1.2, label="target $e_y$")
    ax.set_ylim(0, 1.05)
    ax.set_title(r"$p = \mathrm{softmax}(z)$")
    ax.legend(loc="best", fontsize=9)

    ax = axes[2]
    ax.bar(classes, dz[0], color=colours)
    ax.axhline(0.0, color="gray", lw=0.8)
    ax.set_ylim(-1.05, 1.05)
    ax.set_title(rf"$\partial L/\partial z = p - e_y$,  $L = {float(loss):.3f}$")

    for ax in axes:
        ax.set_xticks(classes)
        ax.set_xticklabels([f"{k}" for k in classes])
        ax.set_xlabel("class")
    fig.tight_layout()
    return fig



def plot_functions_and_derivatives(z, functions, derivatives, titles=("$g(z)$", "$g'(z)$"),
                                   ylims=(None, None), axes=None):
    """Functions in the left panel and their derivatives in the right one, colour-matched.

    Parameters
    ----------
    z : ndarray, shape (P,)
        The points on the horizontal axis.
    functions : dict of str to ndarray, shape (P,)
        One curve per label (LaTeX allowed), e.g. ``{"sigmoid": sigmoid(z)}``.
    derivatives : dict of str to ndarray, shape (P,)
        The derivatives, under the same labels; a label missing here is skipped on the right.
    titles : tuple of 2 str
        Titles of the two panels.
    ylims : tuple of 2 (tuple of float or None)
        Vertical ranges of the two panels; ``None`` lets matplotlib choose.
    axes : sequence of 2 matplotlib.axes.Axes, optional
        Where to draw; a new 10 x 3.6 inch figure with two panels when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    else:
        fig = axes[0].figure
    z = np.asarray(z, dtype=float)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, values) in enumerate(functions.items()):
        colour = colours[i % len(colours)]
        axes[0].plot(z, np.asarray(values, dtype=float), color=colour, lw=2, label=label)
        if label in derivatives:
            axes[1].plot(z, np.asarray(derivatives[label], dtype=float), color=colour, lw=2,
                         label=label)
    for ax, title, ylim in zip(axes, titles, ylims):
        ax.axhline(0.0, color="gray", lw=0.8)
        ax.axvline(0.0, color="gray", lw=0.8)
        ax.set_title(title)
        ax.set_xlabel("$z$")
        ax.grid(True, alpha=0.3)
        if ylim is not None:
            ax.set_ylim(*ylim)
    axes[0].legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig


# Activation layers of the depth experiment, with the gain of their initialisation.
_DEPTH_GAINS = {"sigmoid": 1.0, "tanh": 1.0, "relu": float(np.sqrt(2.0)), "elu": float(np.sqrt(2.0))}


def activation_depth_profile(activation, depth=20, width=128, n_samples=256, scale=1.0, seed=0):
    r"""Push a random batch through a deep stack of affine + activation layers and back.

    Layer :math:`k = 1, \dots, l` computes :math:`Z^{(k)} = Y^{(k-1)} W^{(k)}` (zero
    biases) and :math:`Y^{(k)} = g(Z^{(k)})` with the library's
    :func:`bpnet_lib.layers.affine_forward` and the activation's forward; the
    backward pass starts from a standard-normal upstream gradient
    :math:`\mathrm{d}Y^{(l)}` (the loss :math:`L = \sum \mathrm{d}Y^{(l)} \odot Y^{(l)}`) and
    runs the matching backwards. The input has i.i.d. standard-normal entries and
    the weights are drawn as

    .. math::
        W^{(k)}_{ij} \sim \mathcal{N}\!\Big(0,\ \frac{(s\,\gamma)^2}{n}\Big),

    with ``n = width``, ``s = scale`` and the gain :math:`\gamma` = 1 for sigmoid and
    tanh (LeCun's variance :math:`1/n`, Glorot's for a square layer) and :math:`\sqrt 2`
    for ReLU and ELU (He's :math:`2/n`). Everything comes from one generator seeded by
    ``seed``, so two activations with the same seed get the same weights up to the gain.

    Parameters
    ----------
    activation : {"sigmoid", "tanh", "relu", "elu"}
        The activation of every layer (ELU with :math:`\alpha = 1`).
    depth : int
        Number of layers :math:`l`.
    width : int
        Units per layer ``n`` (every layer is ``n x n``; the input has ``n`` features).
    n_samples : int
        Batch size ``N``.
    scale : float
        Multiplies the standard deviation of every weight; 1 is the recommended one.
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    dict
        ``"quantiles"``: ndarray, shape (depth, 3), the 5th, 50th and 95th percentiles of
        the entries of :math:`Y^{(k)}`; ``"grad_W"``: ndarray, shape (depth,), the root mean
        square of :math:`\partial L / \partial W^{(k)}`; ``"grad_Z"``: ndarray, shape
        (depth,), the Frobenius norm of :math:`\partial L / \partial Z^{(k)}`; ``"W_norm"``:
        ndarray, shape (depth,), the spectral norm :math:`\lVert W^{(k)} \rVert_2`;
        ``"max_slope"``: float, :math:`\sup_z |g'(z)|`.
    """
    from . import layers

    if activation not in _DEPTH_GAINS:
        raise ValueError(
            f"activation: expected one of {sorted(_DEPTH_GAINS)}, got {activation!r}"
        )
    for name, value in (("depth", depth), ("width", width), ("n_samples", n_samples)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    forward, backward, max_slope = {
        "sigmoid": (layers.sigmoid_forward, layers.sigmoid_backward, 0.25),
        "tanh": (layers.tanh_forward, layers.tanh_backward, 1.0),
        "relu": (layers.relu_forward, layers.relu_backward, 1.0),
        "elu": (layers.elu_forward, layers.elu_backward, 1.0),
    }[activation]
    rng = np.random.default_rng(seed)
    std = scale * _DEPTH_GAINS[activation] / np.sqrt(width)
    Y = rng.standard_normal((n_samples, width))
    b = np.zeros(width)
    caches, quantiles, W_norm = [], [], []
    for _ in range(depth):
        W = std * rng.standard_normal((width, width))
        Z, affine_cache = layers.affine_forward(Y, W, b)
        Y, act_cache = forward(Z)
        caches.append((affine_cache, act_cache))
        quantiles.append(np.percentile(Y, [5, 50, 95]))
        W_norm.append(np.linalg.norm(W, 2))
    dY = rng.standard_normal(Y.shape)
    grad_W, grad_Z = np.empty(depth), np.empty(depth)
    for k in reversed(range(depth)):
        affine_cache, act_cache = caches[k]
        dZ = backward(dY, act_cache)
        dY, dW, _ = layers.affine_backward(dZ, affine_cache)
        grad_W[k] = np.sqrt(np.mean(dW**2))
        grad_Z[k] = np.linalg.norm(dZ)
    return {"quantiles": np.array(quantiles), "grad_W": grad_W, "grad_Z": grad_Z,
            "W_norm": np.array(W_norm), "max_slope": max_slope}


def plot_depth_profile(profiles, axes=None):
    """Forward activations and backward weight-gradient sizes, layer by layer.

    Left: the median of each layer's activations with a band from the 5th to the 95th
    percentile. Right, on a log scale: the root mean square of each layer's weight
    gradient. One colour per profile.

    Parameters
    ----------
    profiles : dict of str to dict
        Label to the result of :func:`activation_depth_profile`.
    axes : sequence of 2 matplotlib.axes.Axes, optional
        Where to draw; a new 11 x 4 inch figure with two panels when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    else:
        fig = axes[0].figure
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, profile) in enumerate(profiles.items()):
        colour = colours[i % len(colours)]
        q = np.asarray(profile["quantiles"], dtype=float)
        layer = np.arange(1, q.shape[0] + 1)
        axes[0].fill_between(layer, q[:, 0], q[:, 2], color=colour, alpha=0.2)
        axes[0].plot(layer, q[:, 1], "o-", ms=3, color=colour, label=label)
        axes[1].semilogy(layer, profile["grad_W"], "o-", ms=3, color=colour, label=label)
    axes[0].axhline(0.0, color="gray", lw=0.8)
    axes[0].set_title("forward: activations $Y^{(k)}$ (median, 5–95%)")
    axes[0].set_ylabel("activation value")
    axes[1].set_title(r"backward: RMS of $\partial L/\partial W^{(k)}$")
    axes[1].set_ylabel("gradient size (log scale)")
    for ax in axes:
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.set_xlabel("layer $k$ (input side on the left)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def _shown_units(n, max_nodes):
    """Indices (0-based) of the units drawn for a layer of width ``n``; None marks a gap."""
    if n <= max_nodes:
        return list(range(n))
    return list(range(max_nodes - 2)) + [None, n - 1]


def plot_mlp(widths, bias=True, ax=None, activations=None, max_nodes=7, shapes=True):
    r"""Draw a fully connected network as columns of nodes, with the bias nodes of note 000.

    Column :math:`k` holds the :math:`n_k` units of :math:`Y^{(k)}` (column 0 is the input
    :math:`X`). With ``bias=True`` every column but the last gets an extra node "1" on
    top: the column of ones of :math:`[\mathbf{1}, Y^{(k-1)}]`, whose weights are the
    first (bias) row of :math:`B^{(k)}`. Every drawn node of column :math:`k-1` is joined
    to every unit of column :math:`k`; one arrow per entry of :math:`B^{(k)}`.

    Parameters
    ----------
    widths : sequence of int
        :math:`n_0, n_1, \dots, n_l`, input width first.
    bias : bool, default True
        Draw the bias nodes and label :math:`B^{(k)}` with shape
        :math:`(n_{k-1}+1)\times n_k`; otherwise :math:`W^{(k)}`,
        :math:`n_{k-1}\times n_k`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized to the network when omitted.
    activations : sequence of str, optional
        :math:`g^{(1)}, \dots, g^{(l)}`, written above columns 1 to :math:`l`.
    max_nodes : int, default 7
        A wider layer is drawn with its first ``max_nodes - 2`` units, a gap and its
        last unit.
    shapes : bool, default True
        Write each layer's matrix and its shape between the columns.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    widths = [int(n) for n in widths]
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(
            f"widths: expected at least two positive integers n_0, ..., n_l, got {widths!r}"
        )
    if activations is not None and len(activations) != len(widths) - 1:
        raise ValueError(
            f"activations: expected {len(widths) - 1} names (one per layer), "
            f"got {len(activations)}"
        )
    if max_nodes < 3:
        raise ValueError(f"max_nodes: expected an integer >= 3, got {max_nodes!r}")
    l = len(widths) - 1
    dx, dy, r = 2.6, 0.8, 0.22
    if ax is None:
        tallest = min(max(widths), max_nodes) + (1 if bias else 0)
        fig, ax = plt.subplots(figsize=(2.0 + 2.1 * l, 1.6 + 0.55 * tallest))
    else:
        fig = ax.figure
    unit_colour, bias_colour, edge_colour = "#eef3fb", "#fdf1dc", "0.6"

    # positions: units centred on y = 0, the bias node one step above the top unit
    columns = []
    for k, n in enumerate(widths):
        shown = _shown_units(n, max_nodes)
        ys = (np.arange(len(shown))[::-1] - (len(shown) - 1) / 2) * dy
        units = [(k * dx, y, i) for y, i in zip(ys, shown)]
        top = ys[0] if len(ys) else 0.0
        has_bias = bias and k < l
        columns.append({"units": units, "bias": (k * dx, top + dy) if has_bias else None})

    def arrow(p, q, colour, style="-", lw=0.7):
        (x0, y0), (x1, y1) = np.asarray(p, float), np.asarray(q, float)
        d = np.array([x1 - x0, y1 - y0])
        d = d / np.linalg.norm(d)
        ax.annotate("", xy=(x1, y1) - r * d, xytext=(x0, y0) + r * d,
                    arrowprops=dict(arrowstyle="-|>", color=colour, lw=lw, ls=style,
                                    shrinkA=0, shrinkB=0, mutation_scale=7))

    for k in range(1, l + 1):
        prev, cur = columns[k - 1], columns[k]
        targets = [(x, y) for x, y, i in cur["units"] if i is not None]
        for x0, y0, i in prev["units"]:
            if i is None:
                continue
            for q in targets:
                arrow((x0, y0), q, edge_colour)
        if prev["bias"] is not None:
            for q in targets:
                arrow(prev["bias"], q, "#c98a1b", style="--", lw=0.8)

    ymin = min(y for c in columns for _, y, _ in c["units"])
    ymax = max(max(y for _, y, _ in c["units"]) for c in columns)
    if bias:
        ymax = max(ymax, max(c["bias"][1] for c in columns if c["bias"] is not None))
    for k, c in enumerate(columns):
        for x, y, i in c["units"]:
            if i is None:
                ax.text(x, y, r"$\vdots$", ha="center", va="center", fontsize=14)
            else:
                ax.add_patch(plt.Circle((x, y), r, fc=unit_colour, ec="#2b4c7e", lw=1.2,
                                        zorder=3))
        if c["bias"] is not None:
            bx, by = c["bias"]
            ax.add_patch(plt.Rectangle((bx - r, by - r), 2 * r, 2 * r, fc=bias_colour,
                                       ec="#c98a1b", lw=1.2, zorder=3))
            ax.text(bx, by, "1", ha="center", va="center", fontsize=10, zorder=4)
        name = "$X = Y^{(0)}$" if k == 0 else f"$Y^{{({k})}}$"
        ax.text(c["units"][0][0], ymin - 0.75, f"{name}\n$n_{{{k}}} = {widths[k]}$",
                ha="center", va="top", fontsize=10)
        if activations is not None and k > 0:
            ax.text(c["units"][0][0], ymax + 0.55, f"$g^{{({k})}}$: {activations[k - 1]}",
                    ha="center", va="bottom", fontsize=9, color="#2b4c7e")
    if shapes:
        for k in range(1, l + 1):
            rows = widths[k - 1] + (1 if bias else 0)
            name = "B" if bias else "W"
            ax.text((k - 0.5) * dx, ymin - 0.75,
                    f"${name}^{{({k})}}$\n${rows}\\times{widths[k]}$",
                    ha="center", va="top", fontsize=9, color="0.3")
    ax.set_xlim(-0.7, l * dx + 0.7)
    ax.set_ylim(ymin - 1.7, ymax + (1.1 if activations is not None else 0.6))
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


_SCALE_KEEPING = ("relu", "elu", "identity")


def plot_forward_pass(Z, Y, activations=None, axes=None, cmap="RdBu_r"):
    r"""Heatmaps of a forward pass: :math:`Z^{(k)}` above :math:`Y^{(k)}` for every layer.

    Each panel shows one batch matrix, one sample per row and one unit per column, on a
    colour scale symmetric about 0 (white is 0), so the zeros a ReLU makes and the rows
    of probabilities a softmax makes are visible at a glance. The two panels of a layer
    share their scale when its activation keeps the scale of its input (``"relu"``,
    ``"elu"``, ``"identity"``); otherwise, and when ``activations`` is not given, every
    panel has its own.

    Parameters
    ----------
    Z, Y : sequence of ndarray
        ``Z[k]`` of shape (N, :math:`n_k`) is :math:`Z^{(k)}` and ``Y[k]`` is
        :math:`Y^{(k)}`, for :math:`k = 1, \dots, l`. Lists with ``Z[0] = None`` and
        ``Y[0] = X``, as kept by :class:`bpnet_lib.bpnet.BPNet`, are accepted: entry 0
        is then skipped.
    activations : sequence of str, optional
        :math:`g^{(1)}, \dots, g^{(l)}`, added to the titles of the :math:`Y^{(k)}` panels.
    axes : array of matplotlib.axes.Axes, shape (2, l), optional
        Where to draw; a new figure when omitted.
    cmap : str, default "RdBu_r"
        A diverging colour map.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    Z, Y = list(Z), list(Y)
    if len(Z) != len(Y):
        raise ValueError(f"Y: expected {len(Z)} matrices (as many as Z), got {len(Y)}")
    if Z and Z[0] is None:
        Z, Y = Z[1:], Y[1:]
    if not Z:
        raise ValueError("Z: expected at least one layer's matrix, got none")
    Z = [np.asarray(z, dtype=float) for z in Z]
    Y = [np.asarray(y, dtype=float) for y in Y]
    for k, (z, y) in enumerate(zip(Z, Y), start=1):
        if z.ndim != 2 or z.shape != y.shape:
            raise ValueError(
                f"Z[{k}], Y[{k}]: expected two matrices of one shape (N, n_{k}), got "
                f"shapes {z.shape} and {y.shape}"
            )
    if activations is not None and len(activations) != len(Z):
        raise ValueError(
            f"activations: expected {len(Z)} names (one per layer), got {len(activations)}"
        )
    l = len(Z)
    if axes is None:
        ratios = [max(z.shape[1], 4) for z in Z]
        fig, axes = plt.subplots(2, l, figsize=(2.2 + 0.11 * sum(ratios) + 1.0 * l, 5.2),
                                 gridspec_kw={"width_ratios": ratios}, squeeze=False)
    else:
        axes = np.asarray(axes).reshape(2, l)
        fig = axes[0, 0].figure
    for k in range(1, l + 1):
        # Activations that pass values through unchanged where they act (ReLU, ELU for
        # z > 0, identity) share the layer's colour scale, so Y^(k) reads against Z^(k);
        # squashing ones (sigmoid, tanh, softmax) get their own, or they would look blank.
        shared = activations is not None and activations[k - 1] in _SCALE_KEEPING
        vmax_layer = float(max(np.max(np.abs(Z[k - 1])), np.max(np.abs(Y[k - 1])))) or 1.0
        for row, (M, letter) in enumerate(((Z[k - 1], "Z"), (Y[k - 1], "Y"))):
            ax = axes[row, k - 1]
            vmax = vmax_layer if shared else (float(np.max(np.abs(M))) or 1.0)
            im = ax.imshow(M, cmap=cmap, vmin=-vmax, vmax=vmax, aspect="auto",
                           interpolation="nearest")
            title = f"${letter}^{{({k})}}$  ({M.shape[0]}$\\times${M.shape[1]})"
            if letter == "Y" and activations is not None:
                title += f"\n{activations[k - 1]}"
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("unit")
            if k == 1:
                ax.set_ylabel("sample")
            ax.set_xticks([])
            ax.set_yticks([])
            fig.colorbar(im, ax=ax, fraction=0.08, pad=0.03)
    fig.tight_layout()
    return fig


def plot_decision_regions(predict, X, y, ax=None, title=None, n=200, margin=0.25,
                          colors=("#4C72B0", "#DD8452", "#55A868", "#C44E52")):
    """Colour the plane by a classifier's prediction and draw the labelled points on top.

    Parameters
    ----------
    predict : callable
        ``predict(P)`` maps points ``P`` of shape (n_points, 2) to integer labels of
        shape (n_points,), e.g. the ``predict`` method of a trained ``Sequential``.
    X : array_like, shape (N, 2)
        The data points.
    y : array_like of int, shape (N,)
        Their labels, ``0..K-1`` with ``K <= len(colors)``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 4 x 4 inch figure when omitted.
    title : str, optional
    n : int, default 200
        Grid points per axis.
    margin : float, default 0.25
        Space around the data, as a fraction of its range along each axis.
    colors : sequence of colours
        One per class: the regions are drawn light, the points dark.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X: expected points in the plane, shape (N, 2), got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y: expected labels of shape ({X.shape[0]},), got shape {y.shape}")
    K = int(y.max()) + 1 if y.size else 1
    if y.size and (y.min() < 0 or K > len(colors)):
        raise ValueError(
            f"y: expected integer labels in 0..{len(colors) - 1} (one colour each), "
            f"got labels from {y.min()} to {y.max()}"
        )
    if ax is None:
        fig, ax = plt.subplots(figsize=(4, 4), layout="constrained")
    else:
        fig = ax.figure
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-12)
    G0, G1, _ = grid_2d(lambda a, b: np.zeros_like(a), (lo[0] - pad[0], hi[0] + pad[0]),
                        (lo[1] - pad[1], hi[1] + pad[1]), n=n)
    labels = np.asarray(predict(np.column_stack([G0.ravel(), G1.ravel()])))
    if labels.shape != (G0.size,):
        raise ValueError(
            f"predict: expected one label per point, shape ({G0.size},), got shape "
            f"{labels.shape}"
        )
    K = max(K, int(labels.max()) + 1)
    if K > len(colors):
        raise ValueError(f"predict: expected labels in 0..{len(colors) - 1}, got {labels.max()}")
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap(list(colors[:K]))
    ax.contourf(G0, G1, labels.reshape(G0.shape), levels=np.arange(K + 1) - 0.5, cmap=cmap,
                alpha=0.25)
    ax.contour(G0, G1, labels.reshape(G0.shape), levels=np.arange(1, K) - 0.5, colors="0.25",
               linewidths=1.0)
    for k in range(K):
        pts = X[y == k]
        ax.scatter(pts[:, 0], pts[:, 1], s=14, color=colors[k], edgecolors="white",
                   linewidths=0.4, label=f"class {k}")
    ax.set_xlim(G0.min(), G0.max())
    ax.set_ylim(G1.min(), G1.max())
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def plot_decision_region_grid(panels, X, y, ncols=3, size=3.0):
    """Several classifiers' decision regions on the same data, side by side.

    Parameters
    ----------
    panels : dict of str to callable
        Title -> ``predict``, as in :func:`plot_decision_regions`; drawn in order, row by row.
    X : array_like, shape (N, 2)
    y : array_like of int, shape (N,)
    ncols : int, default 3
        Panels per row.
    size : float, default 3.0
        Width and height of one panel, in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if not panels:
        raise ValueError("panels: expected at least one title -> predict pair, got none")
    ncols = min(int(ncols), len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows),
                             squeeze=False, layout="constrained")
    for ax, (title, predict) in zip(axes.ravel(), panels.items()):
        plot_decision_regions(predict, X, y, ax=ax, title=title)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    return fig


# --- training in practice ------------------------------------------------------------


def init_depth_statistics(activation, init="he", depth=20, width=256, n_samples=512, scale=1.0,
                          seed=0):
    r"""Per-layer spread of the signals and gradients of a deep MLP at initialisation.

    A stack of ``depth`` = :math:`l` layers :math:`Z^{(k)} = Y^{(k-1)} W^{(k)} + \mathbf{1}b^{(k)\top}`,
    :math:`Y^{(k)} = g(Z^{(k)})` is built from :class:`bpnet_lib.network.Linear` layers
    initialised by the scheme ``init`` of :mod:`bpnet_lib.init` (biases 0), with every
    weight then multiplied by ``scale``. A batch :math:`Y^{(0)}` of i.i.d. standard-normal
    inputs runs forward; a standard-normal upstream gradient :math:`\partial J/\partial
    Y^{(l)}` runs backward. For each layer the function records

    .. math::
        \operatorname{std}(Z^{(k)}),\quad \operatorname{std}(Y^{(k)}),\quad
        \operatorname{std}\big(\partial J/\partial Z^{(k)}\big),

    each the standard deviation over all ``n_samples * n_k`` entries. A well-chosen
    variance keeps the first and the last roughly constant in :math:`k`.

    Parameters
    ----------
    activation : {"relu", "tanh", "sigmoid", "elu"}
        The activation :math:`g` of every layer (ELU with :math:`\alpha = 1`).
    init : str or callable, default "he"
        Any name accepted by :func:`bpnet_lib.init.get` (``"lecun"``, ``"glorot"``,
        ``"xavier"``, ``"he"``, their ``_normal``/``_uniform`` variants) or an initialiser.
    depth : int, default 20
        Number of layers :math:`l`.
    width : int or sequence of int, default 256
        The common width :math:`n_0 = \dots = n_l`, or all ``l + 1`` widths
        :math:`n_0, \dots, n_l`.
    n_samples : int, default 512
        Batch size ``N``.
    scale : float, default 1.0
        Factor on every weight (so :math:`\operatorname{Var}(w)` is multiplied by
        ``scale**2``).
    seed : int, default 0
        Seed of the ``np.random.default_rng`` that draws the weights, the input and the
        upstream gradient, in that order.

    Returns
    -------
    dict
        ``"z_std"``, ``"y_std"``, ``"grad_std"``: ndarray, shape (l,), indexed by
        :math:`k - 1`; ``"widths"``: list of the ``l + 1`` widths.
    """
    from . import network

    layer_of = {"relu": network.ReLU, "tanh": network.Tanh, "sigmoid": network.Sigmoid,
                "elu": network.ELU}
    if activation not in layer_of:
        raise ValueError(f"activation: expected one of {sorted(layer_of)}, got {activation!r}")
    for name, value in (("depth", depth), ("n_samples", n_samples)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    if np.ndim(width) == 0:
        widths = [int(width)] * (depth + 1)
    else:
        widths = [int(n) for n in width]
        if len(widths) != depth + 1:
            raise ValueError(
                f"width: expected an int or depth + 1 = {depth + 1} widths, got {len(widths)}"
            )
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale: expected a positive number, got {scale!r}")
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        linear = network.Linear(n_in, n_out, rng=rng, init=init)
        linear.W *= scale
        layers += [linear, layer_of[activation]()]
    out = rng.standard_normal((n_samples, widths[0]))
    z_std, y_std = np.empty(depth), np.empty(depth)
    for i, layer in enumerate(layers):
        out = layer.forward(out)
        (z_std if i % 2 == 0 else y_std)[i // 2] = out.std()
    grad = rng.standard_normal(out.shape)
    grad_std = np.empty(depth)
    for i in reversed(range(len(layers))):
        grad = layers[i].backward(grad)
        if i % 2 == 1:  # the activation's backward has just produced dJ/dZ^(k)
            grad_std[i // 2] = grad.std()
    return {"z_std": z_std, "y_std": y_std, "grad_std": grad_std, "widths": widths}


def plot_init_statistics(stats, axes=None):
    r"""Forward and backward spread per layer, on log scales, one line per configuration.

    Left: :math:`\operatorname{std}(Z^{(k)})`; right:
    :math:`\operatorname{std}(\partial J/\partial Z^{(k)})`, both against the layer
    :math:`k`. A flat line is a signal that neither vanishes nor explodes.

    Parameters
    ----------
    stats : dict of str to dict
        Label to the result of :func:`init_depth_statistics`.
    axes : sequence of 2 matplotlib.axes.Axes, optional
        Where to draw; a new 11 x 4 inch figure with two panels when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    else:
        fig = axes[0].figure
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, s) in enumerate(stats.items()):
        colour = colours[i % len(colours)]
        layer = np.arange(1, len(s["z_std"]) + 1)
        axes[0].semilogy(layer, s["z_std"], "o-", ms=3, color=colour, label=label)
        axes[1].semilogy(layer, s["grad_std"], "o-", ms=3, color=colour, label=label)
    axes[0].set_title(r"forward: std of $Z^{(k)}$")
    axes[1].set_title(r"backward: std of $\partial J/\partial Z^{(k)}$")
    for ax in axes:
        ax.axhline(1.0, color="gray", lw=0.8)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.set_xlabel("layer $k$ (input side on the left)")
        ax.grid(True, which="major", alpha=0.3)
    axes[1].legend(fontsize=9, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    return fig


def plot_gd_comparison(runs, max_epochs=None, axes=None):
    """Training loss of several batch sizes against epochs and against parameter updates.

    Parameters
    ----------
    runs : dict of str to dict
        Label to ``{"epochs": ndarray (T,), "updates": ndarray (T,), "loss": ndarray (T,)}``:
        the loss measured after ``epochs[t]`` passes over the data, i.e. after
        ``updates[t]`` steps of the optimiser; ``epochs[0] = 0`` is the initial loss,
        drawn on the right as a dotted horizontal line (a log axis has no 0).
    max_epochs : float, optional
        Right end of the left panel's axis (a long run may go further).
    axes : sequence of 2 matplotlib.axes.Axes, optional
        Where to draw; a new 11 x 4 inch figure with two panels when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    else:
        fig = axes[0].figure
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, run) in enumerate(runs.items()):
        colour = colours[i % len(colours)]
        epochs = np.asarray(run["epochs"], dtype=float)
        updates = np.asarray(run["updates"], dtype=float)
        loss = np.asarray(run["loss"], dtype=float)
        shown = epochs <= (max_epochs if max_epochs is not None else np.inf)
        style = dict(color=colour, label=label, lw=1.5)
        marker = "o-" if shown.sum() <= 40 else "-"
        axes[0].plot(epochs[shown], loss[shown], marker, ms=3, **style)
        later = updates > 0
        marker = "o-" if later.sum() <= 40 else "-"
        axes[1].plot(updates[later], loss[later], marker, ms=3, **style)
        if i == 0 and np.any(~later):
            axes[1].axhline(loss[~later][0], color="gray", ls=":", lw=1, label="at initialisation")
    if max_epochs is not None:
        axes[0].set_xlim(0, max_epochs)
    axes[0].set_xlabel("epochs (per-sample gradients computed / N)")
    axes[1].set_xlabel("parameter updates")
    axes[1].set_xscale("log")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_ylabel("training loss (whole training set)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_learning_curves(history, val_label="validation", axes=None):
    """Loss and accuracy per epoch from a :class:`bpnet_lib.train.History`.

    Parameters
    ----------
    history : bpnet_lib.train.History
        ``loss`` and ``train_acc`` are drawn as "training"; ``val_loss`` and ``val_acc``,
        if present, under ``val_label``.
    val_label : str, default "validation"
        Legend label of the held-out curves.
    axes : sequence of 2 matplotlib.axes.Axes, optional
        Where to draw; a new 11 x 4 inch figure with two panels when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    else:
        fig = axes[0].figure
    epoch = np.arange(1, len(history.loss) + 1)
    axes[0].semilogy(epoch, history.loss, "o-", ms=3, label="training (during the epoch)")
    axes[1].plot(epoch, history.train_acc, "o-", ms=3, label="training (during the epoch)")
    if history.val_loss:
        axes[0].semilogy(epoch, history.val_loss, "s-", ms=3, label=f"{val_label} (after it)")
        axes[1].plot(epoch, history.val_acc, "s-", ms=3, label=f"{val_label} (after it)")
    axes[0].set_ylabel("mean cross-entropy")
    axes[1].set_ylabel("accuracy")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(y_true, y_pred, n_classes=None, ax=None):
    """Counts of (true class, predicted class) pairs as an annotated heat map.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (N,)
        Labels and predictions in ``0..K-1``.
    n_classes : int, optional
        ``K``; the largest label or prediction plus one when omitted.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 5.5 x 5 inch figure when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true, y_pred: expected two arrays of shape (N,), got {y_true.shape} and "
            f"{y_pred.shape}"
        )
    K = int(n_classes) if n_classes is not None else int(max(y_true.max(), y_pred.max())) + 1
    counts = np.zeros((K, K), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 5))
    else:
        fig = ax.figure
    ax.imshow(np.log1p(counts), cmap="Blues")
    for i in range(K):
        for j in range(K):
            if counts[i, j]:
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if i == j else "crimson")
    ax.set_xticks(range(K))
    ax.set_yticks(range(K))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"{int(np.trace(counts))} of {counts.sum()} correct")
    fig.tight_layout()
    return fig


def plot_image_grid(images, titles, ncols=8, shape=(8, 8), axes_size=1.3):
    """Small grey-scale images in a grid, each with a title (e.g. misclassified digits).

    Parameters
    ----------
    images : array_like, shape (M, h * w) or (M, h, w)
        One image per row.
    titles : sequence of str, length M
    ncols : int, default 8
    shape : tuple of int, default (8, 8)
        ``(h, w)``, used when the images are flat.
    axes_size : float, default 1.3
        Width and height of each panel in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    images = np.asarray(images, dtype=float)
    if images.ndim == 2:
        images = images.reshape(images.shape[0], *shape)
    M = images.shape[0]
    if len(titles) != M:
        raise ValueError(f"titles: expected {M} titles (one per image), got {len(titles)}")
    ncols = max(1, min(int(ncols), M))
    nrows = max(1, -(-M // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(axes_size * ncols, axes_size * nrows + 0.2),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, title in zip(axes.ravel(), images, titles):
        ax.imshow(image, cmap="gray_r")
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_backprop_graph(widths, values, messages, names=None, bias_messages=None, loss=None,
                        highlight=(), ax=None, fmt="{:+.2f}"):
    r"""A fully connected network drawn unit by unit, with forward values and backward messages.

    Layer :math:`k` is a column of :math:`n_k` circles; every unit of layer :math:`k-1` has
    an arrow to every unit of layer :math:`k` (one entry of :math:`B^{(k)}` each). Above a
    unit its forward value is written in blue, below it the backward message in red, so the
    figure shows both passes of backpropagation on the same graph: the forward pass fills
    the blue numbers from left to right, the backward pass the red ones from right to left.

    Parameters
    ----------
    widths : sequence of int
        :math:`n_0, \dots, n_l`.
    values : sequence of array_like, length l + 1
        ``values[k]`` has :math:`n_k` entries, written above the units of layer k (for
        example :math:`x`, :math:`y^{(1)}`, ..., :math:`y^{(l)}`).
    messages : sequence of array_like or None, length l + 1
        ``messages[k]`` has :math:`n_k` entries, written below the units of layer k (for
        example :math:`\partial J/\partial x` and :math:`z_G^{(1)}, \dots, z_G^{(l)}`);
        ``None`` leaves a layer without messages.
    names : sequence of str, length l + 1, optional
        The symbol of each layer in LaTeX without dollars, e.g. ``"x"``, ``"z^{(1)}"``;
        unit j of layer k is labelled ``names[k]`` with subscript j + 1. Default ``"u^{(k)}"``.
    bias_messages : sequence of float, length l, optional
        If given, a grey unit "1" is drawn above each of the layers 0, ..., l-1 with dashed
        arrows into the next layer (the bias row of :math:`B^{(k+1)}`), and
        ``bias_messages[k]`` — the derivative with respect to that constant, which
        backpropagation computes and throws away — is written beside it in grey.
    loss : tuple of (float, str), optional
        ``(J, label)``: draw a node ``label`` (LaTeX without dollars, e.g. ``"J"``) right of the
        output layer, connected to every output unit, with value J and message 1.
    highlight : sequence of sequence of (int, int)
        Paths given as (layer, unit) pairs, drawn in colour, one colour per path; the loss
        node is ``(l + 1, 0)``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized to the network when omitted.
    fmt : str
        Format of the numbers.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from matplotlib.lines import Line2D

    widths = [int(n) for n in widths]
    L = len(widths) - 1
    if len(values) != L + 1 or len(messages) != L + 1:
        raise ValueError(
            f"values, messages: expected {L + 1} layers each (one per width), got "
            f"{len(values)} and {len(messages)}"
        )
    for what, arrays in (("values", values), ("messages", messages)):
        for k, (arr, n) in enumerate(zip(arrays, widths)):
            if arr is not None and np.size(arr) != n:
                raise ValueError(
                    f"{what}[{k}]: expected n_{k} = {n} numbers (one per unit of layer {k}), "
                    f"got {np.size(arr)}"
                )
    names = list(names) if names is not None else [f"u^{{({k})}}" for k in range(L + 1)]
    if len(names) != L + 1:
        raise ValueError(f"names: expected {L + 1} layer symbols, got {len(names)}")
    dx, dy, r = 2.6, 1.45, 0.3
    top = (max(widths) - 1) / 2 * dy
    pos = {(k, j): (k * dx, ((n - 1) / 2 - j) * dy) for k, n in enumerate(widths) for j in range(n)}
    if loss is not None:
        pos[(L + 1, 0)] = ((L + 1) * dx, 0.0)
    bias_y = top + 1.25 * dy
    if ax is None:
        n_cols = L + 1 + (loss is not None)
        height = 2 * top + 2.2 + (1.25 * dy if bias_messages is not None else 0)
        fig, ax = plt.subplots(figsize=(2.3 * n_cols + 0.6, 0.95 * height + 0.4))
    else:
        fig = ax.figure
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    on_path = {}
    for i, path in enumerate(highlight):
        for u, v in zip(path[:-1], path[1:]):
            on_path[(tuple(u), tuple(v))] = colours[(i + 3) % len(colours)]

    def arrow(p, q, colour="0.6", lw=0.9, ls="-", z=1):
        p, q = np.asarray(p, float), np.asarray(q, float)
        d = (q - p) / np.linalg.norm(q - p)
        ax.annotate("", xy=q - r * d, xytext=p + r * d, zorder=z,
                    arrowprops=dict(arrowstyle="-|>", color=colour, lw=lw, ls=ls,
                                    shrinkA=0, shrinkB=0))

    edges = [((k - 1, i), (k, j)) for k in range(1, L + 1)
             for i in range(widths[k - 1]) for j in range(widths[k])]
    if loss is not None:
        edges += [((L, j), (L + 1, 0)) for j in range(widths[L])]
    for u, v in edges:
        if (u, v) in on_path:
            arrow(pos[u], pos[v], on_path[(u, v)], lw=2.4, z=3)
        else:
            arrow(pos[u], pos[v])
    if bias_messages is not None:
        if len(bias_messages) != L:
            raise ValueError(
                f"bias_messages: expected {L} numbers (layers 0..l-1), got {len(bias_messages)}"
            )
        for k in range(L):
            b = (k * dx, bias_y)
            for j in range(widths[k + 1]):
                arrow(b, pos[(k + 1, j)], colour="0.75", lw=0.8, ls="--")
            ax.add_patch(plt.Circle(b, r, fc="0.93", ec="0.55", lw=1.2, zorder=4))
            ax.text(*b, "1", ha="center", va="center", fontsize=12, color="0.35", zorder=5)
            ax.text(b[0], b[1] - r - 0.12, fmt.format(float(bias_messages[k])), ha="center",
                    va="top", fontsize=9, color="0.5", style="italic", zorder=5)
    for (k, j), (x, y) in pos.items():
        is_loss = k == L + 1
        ax.add_patch(plt.Circle((x, y), r, fc="#fdf1e6" if is_loss else "#eef3fb",
                                ec="#9c5a1a" if is_loss else "#2b4c7e", lw=1.5, zorder=4))
        label = loss[1] if is_loss else f"{names[k]}_{{{j + 1}}}"
        ax.text(x, y, f"${label}$", ha="center", va="center", fontsize=11, zorder=5)
        value = loss[0] if is_loss else np.asarray(values[k], float).ravel()[j]
        ax.text(x, y + r + 0.08, fmt.format(float(value)), ha="center", va="bottom",
                fontsize=10, color="#1f5fbf", zorder=5,
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85))
        if is_loss:
            message = 1.0
        elif messages[k] is None:
            continue
        else:
            message = np.asarray(messages[k], float).ravel()[j]
        ax.text(x, y - r - 0.08, fmt.format(float(message)), ha="center", va="top",
                fontsize=10, color="#c0392b", zorder=5,
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85))
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()] + ([bias_y] if bias_messages is not None else [])
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    ax.set_ylim(min(ys) - 0.9, max(ys) + 0.8)
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [Line2D([], [], color="#1f5fbf", marker="s", ls="none", label="forward value"),
               Line2D([], [], color="#c0392b", marker="s", ls="none", label="backward message")]
    if bias_messages is not None:
        handles.append(Line2D([], [], color="0.5", marker="s", ls="none",
                              label="message to a constant (discarded)"))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, -0.02 - 0.04),
              ncol=len(handles), fontsize=9, frameon=False)
    return fig


def plot_backward_pass(Z_G, B_G, step=None, axes=None, fmt="{:+.2f}"):
    r"""One backward pass as heatmaps, layer by layer: :math:`Z_G^{(k)}` above, the weight gradient below.

    Column k shows the two arrays that the backward pass computes at layer k: the gradient
    with respect to the pre-activations, :math:`Z_G^{(k)} = \partial J/\partial Z^{(k)}`
    (one row per sample), and the gradient with respect to the weights,
    :math:`\partial J/\partial B^{(k)}` laid out like :math:`B^{(k)}` (its first row, the
    bias row, is set off by a line). The pass runs from the last column to the first;
    ``step`` shows it after that many layers, leaving the earlier ones empty.

    Parameters
    ----------
    Z_G : sequence of ndarray, length l
        ``Z_G[k-1]`` is :math:`Z_G^{(k)}`, shape :math:`(N, n_k)`.
    B_G : sequence of ndarray, length l
        ``B_G[k-1]`` is :math:`\partial J/\partial B^{(k)}`, shape :math:`(n_{k-1} + 1, n_k)`.
    step : int, optional
        How many layers the backward pass has done, from 1 (only layer l) to l (all, the
        default).
    axes : array of matplotlib.axes.Axes, shape (2, l), optional
        Where to draw; a new figure when omitted.
    fmt : str
        Format of the numbers written in the cells.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    L = len(Z_G)
    if len(B_G) != L or L < 1:
        raise ValueError(
            f"Z_G, B_G: expected two lists of the same positive length l, got {len(Z_G)} and "
            f"{len(B_G)}"
        )
    for k, (M, G) in enumerate(zip(Z_G, B_G), start=1):
        if np.ndim(M) != 2 or np.ndim(G) != 2 or np.shape(M)[1] != np.shape(G)[1]:
            raise ValueError(
                f"Z_G[{k - 1}], B_G[{k - 1}]: expected 2-D arrays (N, n_{k}) and "
                f"(n_{k - 1} + 1, n_{k}) with the same number of columns, got shapes "
                f"{np.shape(M)} and {np.shape(G)}"
            )
    step = L if step is None else int(step)
    if not 1 <= step <= L:
        raise ValueError(f"step: expected an integer from 1 to l = {L}, got {step}")
    if axes is None:
        fig, axes = plt.subplots(2, L, figsize=(3.3 * L, 5.6), squeeze=False,
                                 gridspec_kw=dict(height_ratios=[1, 1]))
    else:
        axes = np.asarray(axes).reshape(2, L)
        fig = axes[0, 0].figure
    for k in range(1, L + 1):
        done = k > L - step
        for row, (M, title) in enumerate([(Z_G[k - 1], rf"$Z_G^{{({k})}}$"),
                                           (B_G[k - 1], rf"$\partial J/\partial B^{{({k})}}$")]):
            ax = axes[row, k - 1]
            M = np.asarray(M, dtype=float)
            ax.set_xticks(range(M.shape[1]))
            ax.set_xticklabels([str(j + 1) for j in range(M.shape[1])])
            ax.set_yticks(range(M.shape[0]))
            if row == 0:
                ax.set_yticklabels([f"sample {i + 1}" for i in range(M.shape[0])], fontsize=8)
            else:
                ax.set_yticklabels(["bias"] + [f"in {i}" for i in range(1, M.shape[0])],
                                   fontsize=8)
            ax.set_title(title + ("" if done else "  (not yet)"), fontsize=11,
                         color="black" if done else "0.6")
            if not done:
                ax.imshow(np.zeros_like(M), cmap="Greys", vmin=0, vmax=1, aspect="auto")
                continue
            lim = max(float(np.max(np.abs(M))), 1e-12)
            ax.imshow(M, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
            for (i, j), v in np.ndenumerate(M):
                if M.size <= 48:
                    ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=8,
                            color="white" if abs(v) > 0.6 * lim else "black")
            if row == 1:
                ax.axhline(0.5, color="black", lw=1.5)
    fig.suptitle(f"backward pass after {step} of {L} layer{'s' if L > 1 else ''} "
                 f"(it runs from layer {L} down to layer 1)", fontsize=11)
    fig.tight_layout()
    return fig


# --- convolution ------------------------------------------------------------------------


def conv_geometry(H, W, kh, kw, stride=1, padding=0, out_pos=None, in_pos=None):
    r"""Which input cells one output of a 2-D convolution reads, and which outputs one input feeds.

    Output :math:`(u', v')` reads the :math:`k_h\times k_w` window of the zero-padded input
    whose top-left corner is input cell :math:`(u's_h - p_h,\ v's_w - p_w)`: input cell
    :math:`(u's_h + i - p_h,\ v's_w + j - p_w)` is multiplied by kernel entry :math:`(i, j)`.
    Conversely, input cell :math:`(u, v)` is read by every output with
    :math:`0 \le u + p_h - u's_h < k_h` and :math:`0 \le v + p_w - v's_w < k_w`, through
    kernel entry :math:`(u + p_h - u's_h,\ v + p_w - v's_w)`; the gradient with respect to
    :math:`X_{u,v}` collects one term from each of them. Channels do not change the
    geometry, so one channel is enough.

    Parameters
    ----------
    H, W : int
        Input height and width (without padding).
    kh, kw : int
        Kernel height and width.
    stride, padding : int or (int, int)
        :math:`(s_h, s_w)` and :math:`(p_h, p_w)`.
    out_pos : (int, int), optional
        An output position :math:`(u', v')`.
    in_pos : (int, int), optional
        An input position :math:`(u, v)`, inside the unpadded input.

    Returns
    -------
    dict
        ``out_shape`` :math:`(H', W')`; ``window``, a list of ``(r, c, i, j)``: input cell
        ``(r, c)`` (negative or beyond the image on the padding) times kernel entry
        ``(i, j)``, for ``out_pos`` (empty without it); ``taps``, a list of
        ``(u', v', i, j)``: the outputs that read ``in_pos`` and the kernel entry they use
        (empty without it); ``unread_rows`` and ``unread_cols``, the input rows and columns
        (``0..H-1``, ``0..W-1``) that no window covers.
    """
    (sh, sw), (ph, pw) = _conv_pair(stride, "stride", 1), _conv_pair(padding, "padding", 0)
    H, W, kh, kw = (int(v) for v in (H, W, kh, kw))
    if min(H, W, kh, kw) < 1:
        raise ValueError(f"H, W, kh, kw: expected positive ints, got {H}, {W}, {kh}, {kw}")
    Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    if Ho < 1 or Wo < 1:
        raise ValueError(
            f"expected the {kh} x {kw} kernel to fit in the padded {H + 2 * ph} x {W + 2 * pw} "
            f"input, got output size (H + 2p - k)//s + 1 = {Ho} x {Wo}"
        )
    window, taps = [], []
    if out_pos is not None:
        u, v = (int(t) for t in out_pos)
        if not (0 <= u < Ho and 0 <= v < Wo):
            raise ValueError(f"out_pos: expected a position in the {Ho} x {Wo} output, got {out_pos!r}")
        window = [(u * sh + i - ph, v * sw + j - pw, i, j) for i in range(kh) for j in range(kw)]
    if in_pos is not None:
        r, c = (int(t) for t in in_pos)
        if not (0 <= r < H and 0 <= c < W):
            raise ValueError(f"in_pos: expected a position in the {H} x {W} input, got {in_pos!r}")
        taps = [(u, v, r + ph - u * sh, c + pw - v * sw) for u in range(Ho) for v in range(Wo)
                if 0 <= r + ph - u * sh < kh and 0 <= c + pw - v * sw < kw]
    read_rows = {u * sh + i - ph for u in range(Ho) for i in range(kh)}
    read_cols = {v * sw + j - pw for v in range(Wo) for j in range(kw)}
    return {
        "out_shape": (Ho, Wo),
        "window": window,
        "taps": taps,
        "unread_rows": [r for r in range(H) if r not in read_rows],
        "unread_cols": [c for c in range(W) if c not in read_cols],
    }


def _conv_pair(value, name, smallest):
    """``value`` as an (h, w) pair of ints >= ``smallest``, or a ValueError naming ``name``."""
    try:
        pair = (int(value), int(value)) if np.ndim(value) == 0 else tuple(int(v) for v in value)
    except (TypeError, ValueError):
        pair = ()
    if len(pair) != 2 or min(pair) < smallest:
        raise ValueError(f"{name}: expected an int >= {smallest} or a pair of them, got {value!r}")
    return pair


_CONV_FORWARD, _CONV_BACKWARD = "#9ec5e8", "#f4a582"
_CONV_BOTH = "#c3a6d6"


def plot_conv_geometry(H, W, kh, kw, stride=1, padding=0, out_pos=None, in_pos=None, ax=None,
                       title=None, labels=True):
    r"""The input, kernel and output grids of a 2-D convolution, with two optional highlights.

    The zero-padded input (padding cells grey with a dashed edge, rows and columns that no
    window covers hatched), the kernel and the output are drawn side by side on one Axes,
    with the input's row and column indices (negative on the padding). The geometry comes
    from :func:`conv_geometry`.

    * ``out_pos`` (forward, blue): the output cell :math:`(u', v')` and its **receptive
      field**, the window of the input it reads; each window cell shows the kernel entry
      :math:`(i, j)` it is multiplied by, and every kernel entry is used.
    * ``in_pos`` (backward, orange): the input cell :math:`(u, v)`, every output cell that
      reads it, labelled with the kernel entry :math:`K_{ij}` through which it does, and
      those kernel entries: the terms :math:`\mathrm{d}Y_{u'v'} K_{ij}` that the input
      gradient :math:`\mathrm{d}X_{uv}` adds up.

    Cells in both highlights are purple.

    Parameters
    ----------
    H, W, kh, kw : int
        Input and kernel sizes.
    stride, padding : int or (int, int)
    out_pos, in_pos : (int, int), optional
        As in :func:`conv_geometry`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized to the grids when omitted.
    title : str, optional
        Axes title; by default the sizes and :math:`H' = \lfloor (H + 2p - k)/s\rfloor + 1`.
    labels : bool, default True
        Write the kernel indices in the highlighted cells (skipped for grids wider than 14).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from matplotlib.patches import Patch, Rectangle

    geo = conv_geometry(H, W, kh, kw, stride, padding, out_pos, in_pos)
    (sh, sw), (ph, pw) = _conv_pair(stride, "stride", 1), _conv_pair(padding, "padding", 0)
    (Ho, Wo) = geo["out_shape"]
    Hp, Wp = H + 2 * ph, W + 2 * pw
    gap = 1.6
    x_kernel = Wp + gap
    x_out = x_kernel + kw + gap
    height = max(Hp, kh, Ho)
    y_in, y_k, y_out = (height - Hp) / 2, (height - kh) / 2, (height - Ho) / 2
    if ax is None:
        width = x_out + Wo
        scale = min(0.42, 11.0 / width)
        fig, ax = plt.subplots(figsize=(max(4.0, width * scale + 0.4), height * scale + 1.5))
    else:
        fig = ax.figure
    show_text = labels and max(Wp, Wo, kw) <= 14
    fontsize = 9 if max(Wp, Hp) <= 8 else 7

    fwd_in = {(r, c): (i, j) for r, c, i, j in geo["window"]}
    bwd_out = {(u, v): (i, j) for u, v, i, j in geo["taps"]}
    fwd_k = {(i, j) for _, _, i, j in geo["window"]}
    bwd_k = {(i, j) for _, _, i, j in geo["taps"]}

    def fill(in_fwd, in_bwd, default):
        if in_fwd and in_bwd:
            return _CONV_BOTH
        return _CONV_FORWARD if in_fwd else _CONV_BACKWARD if in_bwd else default

    def cell(x, y, colour, edge="0.35", ls="-", hatch=None, lw=0.8):
        ax.add_patch(Rectangle((x, y), 1, 1, fc=colour, ec=edge, ls=ls, lw=lw, hatch=hatch))

    unread_r, unread_c = set(geo["unread_rows"]), set(geo["unread_cols"])
    for a in range(Hp):
        for b in range(Wp):
            r, c = a - ph, b - pw
            pad = not (0 <= r < H and 0 <= c < W)
            hatch = None if pad or (r not in unread_r and c not in unread_c) else "///"
            colour = fill((r, c) in fwd_in, in_pos is not None and (r, c) == tuple(in_pos),
                          "0.9" if pad else "white")
            cell(b, y_in + a, colour, edge="0.55" if pad else "0.35", ls="--" if pad else "-",
                 hatch=hatch)
            if show_text and (r, c) in fwd_in:
                i, j = fwd_in[(r, c)]
                ax.text(b + 0.5, y_in + a + 0.5, f"{i},{j}", ha="center", va="center",
                        fontsize=fontsize - 1, color="#08306b")
            elif show_text and pad:
                ax.text(b + 0.5, y_in + a + 0.5, "0", ha="center", va="center",
                        fontsize=fontsize - 2, color="0.6")
    if geo["window"]:
        r0, c0 = geo["window"][0][:2]
        ax.add_patch(Rectangle((c0 + pw, y_in + r0 + ph), kw, kh, fc="none", ec="#1f5fbf", lw=2.2))
    for a in range(Hp):
        ax.text(-0.3, y_in + a + 0.5, str(a - ph), ha="right", va="center", fontsize=fontsize - 2,
                color="0.5")
    for b in range(Wp):
        ax.text(b + 0.5, y_in - 0.25, str(b - pw), ha="center", va="bottom",
                fontsize=fontsize - 2, color="0.5")

    for i in range(kh):
        for j in range(kw):
            cell(x_kernel + j, y_k + i, fill((i, j) in fwd_k, (i, j) in bwd_k, "white"))
            if show_text:
                ax.text(x_kernel + j + 0.5, y_k + i + 0.5, f"{i},{j}", ha="center", va="center",
                        fontsize=fontsize - 1, color="0.25")
    for u in range(Ho):
        for v in range(Wo):
            is_out = out_pos is not None and (u, v) == tuple(out_pos)
            cell(x_out + v, y_out + u, fill(is_out, (u, v) in bwd_out, "white"))
            if show_text and (u, v) in bwd_out:
                i, j = bwd_out[(u, v)]
                ax.text(x_out + v + 0.5, y_out + u + 0.5, f"$K_{{{i}{j}}}$" if max(kh, kw) <= 10
                        else f"{i},{j}", ha="center", va="center", fontsize=fontsize,
                        color="#7f2704")

    heads = [(Wp / 2, y_in, f"input $X$, {H}$\\times${W}" + (f", padding {padding}" if max(ph, pw) else "")),
             (x_kernel + kw / 2, y_k, f"kernel $K$, {kh}$\\times${kw}"),
             (x_out + Wo / 2, y_out, f"output $Y$, {Ho}$\\times${Wo}")]
    for x, y, text in heads:
        ax.text(x, y - (0.9 if text.startswith("input") else 0.3), text, ha="center",
                va="bottom", fontsize=10)
    ax.set_xlim(-1.0, x_out + Wo + 0.3)
    ax.set_ylim(height + 0.3, -2.0)
    ax.set_aspect("equal")
    ax.axis("off")
    if title is None:
        title = (f"stride {stride}, padding {padding}: "
                 f"$H' = \\lfloor({H} + {2 * ph} - {kh})/{sh}\\rfloor + 1 = {Ho}$")
        if (W, kw, sw, pw) != (H, kh, sh, ph):
            title += f", $W' = \\lfloor({W} + {2 * pw} - {kw})/{sw}\\rfloor + 1 = {Wo}$"
    ax.set_title(title, fontsize=10)
    handles = []
    if max(ph, pw):
        handles.append(Patch(fc="0.9", ec="0.55", ls="--", label="padding (zeros)"))
    if unread_r or unread_c:
        handles.append(Patch(fc="white", ec="0.35", hatch="///", label="never read"))
    if out_pos is not None:
        handles.append(Patch(fc=_CONV_FORWARD, ec="0.35",
                             label=f"$Y_{{{out_pos[0]},{out_pos[1]}}}$ and its receptive field"))
    if in_pos is not None:
        handles.append(Patch(fc=_CONV_BACKWARD, ec="0.35",
                             label=f"$X_{{{in_pos[0]},{in_pos[1]}}}$, the outputs that read it "
                                   "and the kernel entries they use"))
    if out_pos is not None and in_pos is not None:
        handles.append(Patch(fc=_CONV_BOTH, ec="0.35", label="both"))
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                  ncol=min(len(handles), 2), fontsize=8, frameon=False)
    return fig


def plot_conv_matrix(K_shape, input_shape, stride=1, padding=0, axes=None):
    r"""The dense matrix of a convolution, each entry coloured by the kernel entry it holds.

    The matrix :math:`M` of :func:`bpnet_lib.conv.conv2d_as_matrix` maps the flattened input
    to the flattened output (``y = M x + b``). Built from the kernel whose entries are
    numbered :math:`1, 2, \dots, F C k_h k_w` in row-major order, each entry of :math:`M`
    names the kernel entry it holds, so the picture shows both facts of note `003`: most
    entries are zero (white), and the nonzero ones repeat a few shared weights (one colour
    per kernel entry, keyed in the right panel). Thin lines separate the rows of the output
    and input images, thick lines their channels.

    Parameters
    ----------
    K_shape : tuple (F, C, kh, kw)
    input_shape : tuple (C, H, W) or (N, C, H, W)
    stride, padding : int or (int, int)
    axes : sequence of two matplotlib.axes.Axes, optional
        Matrix and kernel key; a new figure when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from matplotlib.colors import ListedColormap

    from .conv import conv2d_as_matrix

    F, C, kh, kw = (int(v) for v in K_shape)
    n = F * C * kh * kw
    labels = np.rint(conv2d_as_matrix(np.arange(1.0, n + 1).reshape(F, C, kh, kw), input_shape,
                                      stride, padding)).astype(int)
    H, W = (int(v) for v in tuple(input_shape)[-2:])
    Ho, Wo = conv_geometry(H, W, kh, kw, stride, padding)["out_shape"]
    rows, cols = labels.shape
    palette = (plt.get_cmap("tab20")(np.arange(n)) if n <= 20
               else plt.get_cmap("turbo")(np.linspace(0.05, 0.95, n)))
    cmap = ListedColormap(np.vstack([[1.0, 1.0, 1.0, 1.0], palette]))
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, min(10.0, 8.0 * rows / cols + 1.5)),
                                 gridspec_kw=dict(width_ratios=[5, 1]))
    ax, key = axes[0], axes[1]
    fig = ax.figure
    ax.imshow(labels, cmap=cmap, vmin=-0.5, vmax=n + 0.5, interpolation="nearest")
    for r in range(0, rows + 1, Wo):
        major = r % (Ho * Wo) == 0
        ax.axhline(r - 0.5, color="0.2" if major else "0.85", lw=1.4 if major else 0.5)
    for c in range(0, cols + 1, W):
        major = c % (H * W) == 0
        ax.axvline(c - 0.5, color="0.2" if major else "0.85", lw=1.4 if major else 0.5)
    nonzero = int(np.count_nonzero(labels))
    ax.set_title(f"$M$: {rows} $\\times$ {cols}, {nonzero} of {labels.size} entries nonzero "
                 f"({100 * nonzero / labels.size:.1f} %), {n} distinct weights", fontsize=10)
    ax.set_xlabel(f"input entry ($c$, row, column): {C} channel(s) of {H} $\\times$ {W}")
    ax.set_ylabel(f"output entry ($f$, row, column): {F} channel(s) of {Ho} $\\times$ {Wo}")
    grid = np.zeros((F * (kh + 1) - 1, C * (kw + 1) - 1), dtype=int)
    for f in range(F):
        for c in range(C):
            block = np.arange(kh * kw).reshape(kh, kw) + (f * C + c) * kh * kw + 1
            grid[f * (kh + 1):f * (kh + 1) + kh, c * (kw + 1):c * (kw + 1) + kw] = block
    key.imshow(grid, cmap=cmap, vmin=-0.5, vmax=n + 0.5, interpolation="nearest")
    for (a, b), v in np.ndenumerate(grid):
        if v:
            key.text(b, a, str(v), ha="center", va="center", fontsize=7)
    key.set_xticks([c * (kw + 1) + (kw - 1) / 2 for c in range(C)])
    key.set_xticklabels([f"$c={c}$" for c in range(C)], fontsize=8)
    key.set_yticks([f * (kh + 1) + (kh - 1) / 2 for f in range(F)])
    key.set_yticklabels([f"$f={f}$" for f in range(F)], fontsize=8)
    key.tick_params(length=0)
    for side in key.spines.values():
        side.set_visible(False)
    key.set_title("kernel $K$\n(entry numbers)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_conv_geometry_grid(cases, ncols=2, size=(6.0, 4.6)):
    """Several :func:`plot_conv_geometry` pictures side by side, e.g. to compare paddings and strides.

    Parameters
    ----------
    cases : sequence of dict
        Keyword arguments of :func:`plot_conv_geometry` for each panel (without ``ax``).
    ncols : int, default 2
    size : (float, float)
        Width and height of each panel in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    cases = list(cases)
    if not cases:
        raise ValueError("cases: expected at least one dict of plot_conv_geometry arguments, got none")
    ncols = max(1, min(int(ncols), len(cases)))
    nrows = -(-len(cases) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False)
    for ax in axes.ravel()[len(cases):]:
        ax.set_visible(False)
    for ax, case in zip(axes.ravel(), cases):
        plot_conv_geometry(ax=ax, **case)
    fig.tight_layout()
    return fig


# --- pooling and a small CNN ------------------------------------------------------------


def _annotated(ax, M, cmap, vmin, vmax, fmt, title, fontsize=9):
    """``M`` as a heatmap with its values written in the cells (empty text for exact zeros)."""
    M = np.asarray(M, dtype=float)
    ax.imshow(M, cmap=cmap, vmin=vmin, vmax=vmax)
    span = max(abs(vmin), abs(vmax), 1e-12)
    for (i, j), v in np.ndenumerate(M):
        text = "0" if v == 0 else fmt.format(v)
        ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                color="white" if abs(v) > 0.65 * span and cmap != "Greys" else
                ("0.55" if v == 0 else "black"))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)


def plot_pool_gradients(X, dY, grads, size, stride=None, axes=None, fmt="{:.3g}", title=None):
    r"""Where a pooling layer sends its upstream gradient, for one channel.

    The first panel shows the input ``X`` with every pooling window outlined in its own
    colour; the second the upstream gradient ``dY``, each cell framed in the colour of its
    window; the others the input gradients in ``grads`` (e.g. of max and of average
    pooling), on one colour scale, so that a cell that collects from several overlapping
    windows stands out.

    Parameters
    ----------
    X : array_like, shape (H, W)
    dY : array_like, shape (H', W')
        With :math:`H' = \lfloor (H - k_h)/s_h \rfloor + 1`, and likewise :math:`W'`.
    grads : dict of str to array_like, shape (H, W)
        Panel title to input gradient.
    size : int or (int, int)
        The window ``(kh, kw)``.
    stride : int or (int, int), optional
        Defaults to ``size``.
    axes : sequence of matplotlib.axes.Axes, length 2 + len(grads), optional
        Where to draw (e.g. one row of a grid); a new figure when omitted.
    fmt : str
        Format of the numbers written in the cells.
    title : str, optional
        Written to the left of the row.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from matplotlib.patches import Rectangle

    X = np.asarray(X, dtype=float)
    dY = np.asarray(dY, dtype=float)
    kh, kw = (size, size) if np.ndim(size) == 0 else tuple(size)
    sh, sw = (kh, kw) if stride is None else ((stride, stride) if np.ndim(stride) == 0
                                              else tuple(stride))
    if X.ndim != 2 or min(kh, kw, sh, sw) < 1 or kh > X.shape[0] or kw > X.shape[1]:
        raise ValueError(
            f"X, size, stride: expected a 2-D X (H, W) and positive window and stride with the "
            f"window inside X, got X of shape {X.shape}, size {(kh, kw)}, stride {(sh, sw)}"
        )
    Ho, Wo = (X.shape[0] - kh) // sh + 1, (X.shape[1] - kw) // sw + 1
    if dY.shape != (Ho, Wo):
        raise ValueError(f"dY: expected shape {(Ho, Wo)} for X of shape {X.shape}, window "
                         f"{(kh, kw)} and stride {(sh, sw)}, got shape {dY.shape}")
    for name, G in grads.items():
        if np.shape(G) != X.shape:
            raise ValueError(f"grads[{name!r}]: expected shape {X.shape} (the shape of X), "
                             f"got shape {np.shape(G)}")
    n_panels = 2 + len(grads)
    if axes is None:
        fig, axes = plt.subplots(1, n_panels, figsize=(2.7 * n_panels, 2.9))
    else:
        if len(axes) != n_panels:
            raise ValueError(f"axes: expected {n_panels} axes (X, dY and one per gradient), "
                             f"got {len(axes)}")
        fig = axes[0].figure
    axes = list(np.ravel(axes))
    colours = plt.get_cmap("tab10")
    windows = [(u, v) for u in range(Ho) for v in range(Wo)]
    # Windows that overlap are drawn slightly inset, each by its own amount, to tell them apart.
    overlap = sh < kh or sw < kw
    lim_x = float(np.max(np.abs(X))) or 1.0
    _annotated(axes[0], X, "Greys", -0.15 * lim_x, 1.6 * lim_x, fmt, "input $X$")
    for w, (u, v) in enumerate(windows):
        inset = 0.06 + (0.1 * (w % 3) if overlap else 0.0)
        axes[0].add_patch(Rectangle((v * sw - 0.5 + inset, u * sh - 0.5 + inset),
                                    kw - 2 * inset, kh - 2 * inset, fill=False, lw=2,
                                    ec=colours(w % 10)))
    lim_d = float(np.max(np.abs(dY))) or 1.0
    _annotated(axes[1], dY, "Greys", -0.15 * lim_d, 1.6 * lim_d, fmt, r"upstream $\mathrm{d}Y$")
    for w, (u, v) in enumerate(windows):
        axes[1].add_patch(Rectangle((v - 0.44, u - 0.44), 0.88, 0.88, fill=False, lw=2.5,
                                    ec=colours(w % 10)))
    lim = max([float(np.max(np.abs(G))) for G in grads.values()] + [1e-12])
    for ax, (name, G) in zip(axes[2:], grads.items()):
        _annotated(ax, G, "RdBu_r", -lim, lim, fmt, name)
    if title:
        axes[0].set_ylabel(title, fontsize=10)
    fig.tight_layout()
    return fig


def _as_kernel_stack(K, name):
    K = np.asarray(K, dtype=float)
    if K.ndim == 4:
        if K.shape[1] != 1:
            raise ValueError(f"{name}: expected one input channel, shape (F, 1, kh, kw), "
                             f"got shape {K.shape}")
        K = K[:, 0]
    if K.ndim != 3:
        raise ValueError(f"{name}: expected shape (F, kh, kw) or (F, 1, kh, kw), got shape {K.shape}")
    return K


def plot_kernels(kernels, axes_size=0.9, cmap="RdBu_r"):
    r"""Convolution kernels of one input channel as small images, one row per set.

    Parameters
    ----------
    kernels : array_like of shape (F, kh, kw) or (F, 1, kh, kw), or dict of str to such
        One set of ``F`` kernels, or several (say, before and after training), each drawn
        as a row labelled by its key. Every row has its own symmetric colour scale
        (white = 0, red > 0, blue < 0), shown by a colour bar.
    axes_size : float, default 0.9
        Width and height of each panel in inches.
    cmap : str, default "RdBu_r"

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    rows = kernels if isinstance(kernels, dict) else {"": kernels}
    rows = {name: _as_kernel_stack(K, f"kernels[{name!r}]" if name else "kernels")
            for name, K in rows.items()}
    if not rows:
        raise ValueError("kernels: expected at least one set of kernels, got none")
    F = max(K.shape[0] for K in rows.values())
    fig, axes = plt.subplots(len(rows), F, figsize=(axes_size * F + 1.2, axes_size * len(rows) + 0.4),
                             squeeze=False)
    for r, (name, K) in enumerate(rows.items()):
        lim = float(np.max(np.abs(K))) or 1.0
        for f in range(F):
            ax = axes[r, f]
            ax.set_xticks([])
            ax.set_yticks([])
            if f >= K.shape[0]:
                ax.axis("off")
                continue
            im = ax.imshow(K[f], cmap=cmap, vmin=-lim, vmax=lim)
            if r == 0:
                ax.set_title(f"{f + 1}", fontsize=8)
        if name:
            axes[r, 0].set_ylabel(name, fontsize=9)
        fig.colorbar(im, ax=list(axes[r]), fraction=0.02, pad=0.01)
    return fig


def plot_feature_maps(image, stages, kernels=None, axes_size=0.85):
    r"""One image's path through the first layers of a CNN: one column per filter.

    The image is drawn on the left. To its right, column ``f`` shows filter ``f``'s
    kernel (if given) above that filter's map after each stage, e.g. the convolution,
    the ReLU and the pooling. Maps of one row share a colour scale: a diverging one
    centred at 0 when the row has negative values, a grey one from 0 up otherwise.

    Parameters
    ----------
    image : array_like, shape (H, W)
    stages : dict of str to array_like, shape (F, h, w)
        Row label to the F maps of that stage (sizes may differ from row to row).
    kernels : array_like, shape (F, kh, kw) or (F, 1, kh, kw), optional
    axes_size : float, default 0.85
        Width and height of each panel in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    image = np.asarray(image, dtype=float)
    if image.ndim != 2:
        raise ValueError(f"image: expected shape (H, W), got shape {image.shape}")
    maps = {name: np.asarray(A, dtype=float) for name, A in stages.items()}
    if not maps:
        raise ValueError("stages: expected at least one stage, got none")
    F = next(iter(maps.values())).shape[0]
    for name, A in maps.items():
        if A.ndim != 3 or A.shape[0] != F:
            raise ValueError(f"stages[{name!r}]: expected shape (F, h, w) with F = {F}, "
                             f"got shape {A.shape}")
    rows = list(maps.items())
    if kernels is not None:
        K = _as_kernel_stack(kernels, "kernels")
        if K.shape[0] != F:
            raise ValueError(f"kernels: expected F = {F} kernels (one per map), got {K.shape[0]}")
        rows = [("kernel", K)] + rows
    fig, axes = plt.subplots(len(rows), F + 1, squeeze=False,
                             figsize=(axes_size * (F + 1) + 0.3, axes_size * len(rows) + 0.4))
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    for r in range(len(rows)):
        axes[r, 0].axis("off")
    axes[0, 0].imshow(image, cmap="gray_r")
    axes[0, 0].set_title("input", fontsize=9)
    for r, (name, A) in enumerate(rows):
        lo, hi = float(A.min()), float(A.max())
        if lo < 0:
            lim = max(-lo, hi) or 1.0
            cmap, vmin, vmax = "RdBu_r", -lim, lim
        else:
            cmap, vmin, vmax = "Greys", 0.0, hi or 1.0
        for f in range(F):
            axes[r, f + 1].imshow(A[f], cmap=cmap, vmin=vmin, vmax=vmax)
            if r == 0:
                axes[r, f + 1].set_title(f"{f + 1}", fontsize=8)
        axes[r, 1].set_ylabel(name, fontsize=9)
    fig.tight_layout()
    return fig
