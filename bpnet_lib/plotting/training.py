"""Figures of classifiers and their training: softmax cross-entropy, decision regions, gradient
descent variants compared, learning curves, confusion matrices and image grids.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._common import grid_2d

__all__ = [
    "plot_softmax_cross_entropy",
    "plot_decision_regions",
    "plot_decision_region_grid",
    "plot_gd_comparison",
    "plot_learning_curves",
    "plot_confusion_matrix",
    "plot_image_grid",
]


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
        Where to draw; a new 6.7 x 2.6 inch figure with three panels when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from ..activations import softmax
    from ..losses import softmax_cross_entropy

    z = np.asarray(z, dtype=float)
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(6.7, 2.6))
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
    ax.set_title("logits $z$", fontsize=10)

    ax = axes[1]
    ax.bar(classes, p, color=colours)
    ax.bar(classes, target, fill=False, edgecolor="black", ls="--", lw=1.2, label="target $e_y$")
    ax.set_ylim(0, 1.05)
    ax.set_title(r"$p = \mathrm{softmax}(z)$", fontsize=10)
    ax.legend(loc="best")

    ax = axes[2]
    ax.bar(classes, dz[0], color=colours)
    ax.axhline(0.0, color="gray", lw=0.8)
    ax.set_ylim(-1.05, 1.05)
    ax.set_title(rf"$\partial L/\partial z = p - e_y$,  $L = {float(loss):.3f}$", fontsize=10)

    for ax in axes:
        ax.set_xticks(classes)
        ax.set_xticklabels([f"{k}" for k in classes])
        ax.set_xlabel("class")
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


def plot_decision_region_grid(panels, X, y, ncols=3, size=None):
    """Several classifiers' decision regions on the same data, side by side.

    Parameters
    ----------
    panels : dict of str to callable
        Title -> ``predict``, as in :func:`plot_decision_regions`; drawn in order, row by row.
    X : array_like, shape (N, 2)
    y : array_like of int, shape (N,)
    ncols : int, default 3
        Panels per row.
    size : float, optional
        Width and height of one panel, in inches; by default 3, or less so that ``ncols``
        panels fit the book's column.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if not panels:
        raise ValueError("panels: expected at least one title -> predict pair, got none")
    ncols = min(int(ncols), len(panels))
    nrows = -(-len(panels) // ncols)
    if size is None:
        from . import _style

        size = min(3.0, _style.COLUMN_IN / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows),
                             squeeze=False, layout="constrained")
    for ax, (title, predict) in zip(axes.ravel(), panels.items()):
        plot_decision_regions(predict, X, y, ax=ax, title=title)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
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
        Where to draw; a new 6.7 x 3.2 inch figure with two panels when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(6.7, 3.2))
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
    axes[0].set_xlabel("epochs\n(per-sample gradients computed / N)")
    axes[1].set_xlabel("parameter updates")
    axes[1].set_xscale("log")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_ylabel("training loss (whole training set)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8)
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
        Where to draw; a new 6.7 x 3 inch figure with two panels when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(6.7, 3.0))
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
        ax.legend(fontsize=8)
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


def plot_image_grid(images, titles, ncols=8, shape=(8, 8), axes_size=None):
    """Small grey-scale images in a grid, each with a title (e.g. misclassified digits).

    Parameters
    ----------
    images : array_like, shape (M, h * w) or (M, h, w)
        One image per row.
    titles : sequence of str, length M
    ncols : int, default 8
    shape : tuple of int, default (8, 8)
        ``(h, w)``, used when the images are flat.
    axes_size : float, optional
        Width and height of each panel in inches; by default 1.3, or less so that ``ncols``
        panels fit the book's column (0.67 inch for 10).

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
    if axes_size is None:
        from . import _style

        axes_size = min(1.3, _style.COLUMN_IN / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(axes_size * ncols, axes_size * nrows + 0.2),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, title in zip(axes.ravel(), images, titles):
        ax.imshow(image, cmap="gray_r")
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig

