"""Figures of optimisation and model selection: descent paths with their losses, contraction
rates, curves by setting, early stopping and learning-rate sweeps.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .calculus import plot_descent_paths

__all__ = [
    "plot_optimizer_paths",
    "plot_contraction_rates",
    "plot_curves_grid",
    "plot_early_stopping",
    "plot_lr_sweep",
]


def _axes(axes, n, size):
    if axes is None:
        fig, axes = plt.subplots(1, n, figsize=size, layout="constrained")
        return fig, list(np.atleast_1d(axes))
    axes = list(np.atleast_1d(axes))
    if len(axes) != n:
        raise ValueError(f"axes: expected {n} matplotlib Axes, got {len(axes)}")
    return axes[0].figure, axes


def plot_optimizer_paths(f, paths, xlim, ylim, minimum=None, f_min=0.0,
                         axis_labels=(r"$\theta_1$", r"$\theta_2$"), axes=None):
    r"""Paths of several optimisers over the contours of :math:`f`, and :math:`f - f_{\min}` along each.

    Parameters
    ----------
    f : callable
        ``f(a, b)`` evaluated elementwise on arrays of equal shape.
    paths : dict of str to ndarray, shape (T, 2)
        The iterates of each run (rows), e.g. from :func:`bpnet_lib.descent.heavy_ball`.
    xlim, ylim : tuple of float
        The window of the contour plot.
    minimum : array_like, shape (2,), optional
        The minimiser, marked with a star.
    f_min : float, default 0.0
        The minimum value, subtracted on the right panel (log scale).
    axis_labels : tuple of str
    axes : sequence of 2 matplotlib.axes.Axes, optional
        Where to draw; a new 6.7 x 3.4 inch figure when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if not paths:
        raise ValueError("paths: expected at least one path, got none")
    arrays = {}
    for label, path in paths.items():
        path = np.asarray(path, dtype=float)
        if path.ndim != 2 or path.shape[1] != 2:
            raise ValueError(f"paths[{label!r}]: expected shape (T, 2), got shape {path.shape}")
        arrays[label] = path
    fig, (left, right) = _axes(axes, 2, (6.7, 3.4))
    plot_descent_paths(f, arrays, xlim, ylim, minimum=minimum, axis_labels=axis_labels, ax=left)
    left.legend(loc="upper right", fontsize=8)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, path) in enumerate(arrays.items()):
        gap = np.asarray(f(path[:, 0], path[:, 1]), dtype=float) - f_min
        right.semilogy(np.arange(len(path)), np.maximum(gap, np.finfo(float).tiny),
                       color=colours[(i + 1) % len(colours)], lw=1.8, label=label)
    right.set_xlabel("iteration $t$")
    right.set_ylabel(r"$\mathcal{L}(\theta_t) - \mathcal{L}(\theta^\star)$")
    right.grid(True, which="major", alpha=0.3)
    right.legend(fontsize=8)
    return fig


def plot_contraction_rates(curvature, rates, measured=None, interval=None,
                           xlabel=r"eigenvalue $\lambda_i$", ax=None):
    r"""Contraction factor per step as a function of the curvature, with measured points.

    Parameters
    ----------
    curvature : ndarray, shape (G,)
        Curvatures (eigenvalues :math:`\lambda_i` of the Hessian) on the horizontal axis.
    rates : dict of str to ndarray, shape (G,)
        One curve per method, e.g. the spectral radius of its iteration matrix at each curvature.
    measured : dict of str to (ndarray, ndarray), optional
        Points ``(curvature_m, rate_m)`` to draw as markers, in the colour of the curve with the
        same label.
    interval : tuple of float, optional
        ``(low, high)``, shaded: the range of curvatures the methods were tuned for.
    xlabel : str
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 6.7 x 3.4 inch figure (legend on the right) when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    curvature = np.asarray(curvature, dtype=float)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.7, 3.4), layout="constrained")
    else:
        fig = ax.figure
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    measured = measured or {}
    for i, (label, rate) in enumerate(rates.items()):
        rate = np.asarray(rate, dtype=float)
        if rate.shape != curvature.shape:
            raise ValueError(f"rates[{label!r}]: expected shape {curvature.shape} (that of curvature), got {rate.shape}")
        c = colours[(i + 1) % len(colours)]
        ax.plot(curvature, rate, color=c, lw=2, label=label)
        if label in measured:
            xm, rm = (np.asarray(a, dtype=float) for a in measured[label])
            if xm.ndim != 1 or rm.shape != xm.shape:
                raise ValueError(
                    f"measured[{label!r}]: expected two 1-D arrays of equal length, got shapes "
                    f"{xm.shape} and {rm.shape}"
                )
            ax.plot(xm, rm, "o", color=c, ms=8, mfc="none", mew=2, label=f"{label}, measured")
    unknown = set(measured) - set(rates)
    if unknown:
        raise ValueError(f"measured: expected labels of rates, got {sorted(unknown)}")
    if interval is not None:
        ax.axvspan(*interval, color="0.5", alpha=0.15, lw=0,
                   label=rf"tuned for [{interval[0]:g}, {interval[1]:g}]")
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("contraction per step")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8.5, loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig


def plot_curves_grid(x, panels, xlabel, logy=(), styles=None, axes=None, size=None):
    """Several panels of curves against one variable, the same labels in the same colours.

    Parameters
    ----------
    x : ndarray, shape (T,)
        The horizontal variable (epochs, say).
    panels : dict of str to dict of str to ndarray, shape (T,)
        Panel title (used as the y-label) to ``{curve label: values}``; a curve shorter
        than ``x`` is drawn over the first entries of ``x``.
    xlabel : str
    logy : collection of str
        Titles of the panels with a logarithmic y-axis.
    styles : dict of str to dict, optional
        Extra ``Axes.plot`` keywords per curve label.
    axes : sequence of matplotlib.axes.Axes, optional
        One per panel; a new figure when omitted.
    size : tuple of float, optional
        Figure size when ``axes`` is omitted; by default 6.7 inches (the book's column) wide,
        3.4 high for one or two panels, 2.9 for more.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if not panels:
        raise ValueError("panels: expected at least one panel, got none")
    x = np.asarray(x, dtype=float)
    fig, axs = _axes(axes, len(panels), size or (6.7, 3.4 if len(panels) <= 2 else 2.9))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    order = []
    for curves in panels.values():
        order += [label for label in curves if label not in order]
    styles = styles or {}
    for ax, (title, curves) in zip(axs, panels.items()):
        for label, values in curves.items():
            values = np.asarray(values, dtype=float)
            if values.ndim != 1 or values.size > x.size:
                raise ValueError(
                    f"panels[{title!r}][{label!r}]: expected at most {x.size} values, got shape "
                    f"{values.shape}"
                )
            kw = dict(color=colours[order.index(label) % len(colours)], lw=1.8)
            kw.update(styles.get(label, {}))
            ax.plot(x[:values.size], values, label=label, **kw)
        if title in logy:
            ax.set_yscale("log")
        if np.allclose(x, np.round(x)):
            ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(title)
        ax.grid(True, which="major", alpha=0.3)
    axs[0].legend(fontsize=8 if len(panels) > 2 else 9)
    return fig


def plot_early_stopping(history, axes=None, val_label="validation", best_epoch=None, stopped_at=None):
    """Training and validation curves with the best epoch and the stopping epoch marked.

    Parameters
    ----------
    history : bpnet_lib.train.History
        With validation curves; ``best_epoch`` (set by early stopping) is marked by a
        vertical line, and the last recorded epoch by a cross on the validation loss.
    axes : sequence of 2 matplotlib.axes.Axes, optional
        Where to draw; a new 6.7 x 3.4 inch figure when omitted.
    val_label : str, default "validation"
    best_epoch : int, optional
        The epoch to mark as kept, instead of ``history.best_epoch``.
    stopped_at : int, optional
        The epoch after which early stopping stopped, when ``history`` is a run continued
        past it (to show what stopping avoided); by default the last recorded epoch.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if not history.val_loss:
        raise ValueError("history: expected validation curves (fit with X_val, y_val), got none")
    best_epoch = history.best_epoch if best_epoch is None else int(best_epoch)
    stopped_at = history.epochs if stopped_at is None else int(stopped_at)
    if not 1 <= stopped_at <= history.epochs:
        raise ValueError(f"stopped_at: expected an epoch from 1 to {history.epochs}, got {stopped_at}")
    fig, (left, right) = _axes(axes, 2, (6.7, 3.4))
    epoch = np.arange(1, history.epochs + 1)
    left.semilogy(epoch, history.loss, "o-", ms=3, label="training (during the epoch)")
    left.semilogy(epoch, history.val_loss, "s-", ms=3, label=f"{val_label} (after it)")
    right.plot(epoch, history.train_acc, "o-", ms=3, label="training (during the epoch)")
    right.plot(epoch, history.val_acc, "s-", ms=3, label=f"{val_label} (after it)")
    left.plot(stopped_at, history.val_loss[stopped_at - 1], "x", color="crimson", ms=10, mew=2,
              label=f"stopped after epoch {stopped_at}")
    if best_epoch:
        for ax in (left, right):
            ax.axvline(best_epoch, color="0.4", ls="--", lw=1.2,
                       label=f"best epoch {best_epoch} (weights kept)")
    left.set_ylabel("mean cross-entropy")
    right.set_ylabel("accuracy")
    for ax in (left, right):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8)
    return fig


def plot_lr_sweep(lrs, curves, diverged, chosen=None, vlines=None, ylabel="loss", ax=None):
    r"""Losses at the end of training against the learning rate, with diverged runs marked.

    Parameters
    ----------
    lrs : ndarray, shape (G,)
        The learning rates :math:`\eta`, drawn on a log axis.
    curves : dict of str to ndarray, shape (G,)
        E.g. ``{"validation": ..., "training": ...}``; entries of diverged runs are not drawn.
    diverged : array_like of bool, shape (G,)
        Runs that diverged. They have no loss to plot, so they are drawn as crosses in a
        separate strip above the axes, labelled "diverged", never at a height of the loss
        axis.
    chosen : float, optional
        The learning rate picked, marked with a vertical line.
    vlines : dict of str to float, optional
        Further vertical lines, label to position (e.g. a curvature bound).
    ylabel : str
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 6.7 x 4 inch figure when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    lrs = np.asarray(lrs, dtype=float)
    diverged = np.asarray(diverged, dtype=bool)
    if lrs.ndim != 1 or diverged.shape != lrs.shape:
        raise ValueError(
            f"diverged: expected one flag per learning rate, shape {lrs.shape}, got shape "
            f"{diverged.shape}"
        )
    if np.any(lrs <= 0):
        raise ValueError("lrs: expected positive learning rates (a log axis)")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.7, 4.0), layout="constrained")
    else:
        fig = ax.figure
    kept = ~diverged
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        if values.shape != lrs.shape:
            raise ValueError(f"curves[{label!r}]: expected shape {lrs.shape}, got {values.shape}")
        ax.loglog(lrs[kept], values[kept], "o-", ms=5, lw=1.8, label=label)
    if np.any(diverged):
        strip = ax.inset_axes([0.0, 1.02, 1.0, 0.11], sharex=ax)
        strip.plot(lrs[diverged], np.zeros(diverged.sum()), "x", color="crimson", ms=11, mew=2.5,
                   label="diverged")
        strip.set_facecolor("#f6d5d5")
        strip.set_yticks([])
        strip.set_ylim(-1.0, 1.0)
        strip.tick_params(axis="x", labelbottom=False)
        strip.text(0.01, 0.5, "diverged (no loss)", transform=strip.transAxes, va="center",
                   ha="left", fontsize=8.5, color="crimson")
        ax.plot([], [], "x", color="crimson", ms=11, mew=2.5, label="diverged (strip above)")
    if chosen is not None:
        ax.axvline(chosen, color="0.3", ls="--", lw=1.2, label=rf"chosen $\eta$ = {chosen:g}")
    for i, (label, x) in enumerate((vlines or {}).items()):
        ax.axvline(x, color="0.55", ls=[":", "-."][i % 2], lw=1.5, label=label)
    ax.set_xscale("log")
    ax.set_xlim(lrs.min() / 1.6, lrs.max() * 1.6)
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8.5, loc="lower left")
    return fig
