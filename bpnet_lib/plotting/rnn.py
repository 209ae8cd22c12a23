"""Figures of recurrent networks: the RNN unrolled in time, with the paths that
backpropagation through time follows, and gradient norms against the distance they travel.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_unrolled_rnn", "plot_gradient_norms"]


def plot_unrolled_rnn(T=4, loss_at="all", ax=None):
    """The tanh RNN unrolled over ``T`` steps: inputs, hidden states, losses and both passes.

    Forward edges are grey and labelled with the shared weight they apply (:math:`W_x` on
    every input edge, :math:`W_h` on every recurrent edge); :math:`\\ell_t` is the loss term
    that reads :math:`h_t`. The gradient paths of BPTT are
    drawn in red, against the arrows: from each loss term down to its state, and from each
    state back to the one before it.

    Parameters
    ----------
    T : int, default 4
        Number of steps drawn (1 to 8).
    loss_at : {"all", "last"}, default "all"
        A loss term on every state (sequence labelling), or only on the last (sequence
        classification).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure about ``1.7 T + 1.1`` inches wide when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or not 1 <= T <= 8:
        raise ValueError(f"T: expected an int from 1 to 8 (steps drawn), got {T!r}")
    if loss_at not in ("all", "last"):
        raise ValueError(f'loss_at: expected "all" or "last", got {loss_at!r}')
    if ax is None:
        fig, ax = plt.subplots(figsize=(1.7 * T + 1.1, 3.9))
    else:
        fig = ax.figure
    dx, r = 1.9, 0.3
    red, grey = "#c0392b", "0.45"

    def node(x, y, text, fc, ec):
        ax.add_patch(plt.Circle((x, y), r, fc=fc, ec=ec, lw=1.5, zorder=3))
        ax.text(x, y, text, ha="center", va="center", fontsize=12, zorder=4)

    def arrow(p, q, colour, lw=1.3, rad=0.0, ls="-"):
        ax.annotate("", xy=q, xytext=p, zorder=2, arrowprops=dict(
            arrowstyle="-|>", color=colour, lw=lw, ls=ls, shrinkA=0, shrinkB=0,
            connectionstyle=f"arc3,rad={rad}"))

    node(0.0, 0.0, "$h_0$", "#f4f4f4", "0.4")
    for t in range(1, T + 1):
        x = t * dx
        node(x, -1.5, f"$x_{t}$", "#f4f4f4", "0.4")
        node(x, 0.0, f"$h_{t}$", "#eef3fb", "#2b4c7e")
        # forward: x_t -> h_t (W_x) and h_{t-1} -> h_t (W_h)
        arrow((x - 0.06, -1.5 + r), (x - 0.06, -r), grey)
        ax.text(x - 0.2, -0.75, "$W_x$", ha="right", va="center", fontsize=10, color=grey)
        arrow(((t - 1) * dx + r, 0.06), (x - r, 0.06), grey)
        ax.text((t - 0.5) * dx, 0.22, "$W_h$", ha="center", va="bottom", fontsize=10, color=grey)
        # backward through time: h_t -> h_{t-1}
        arrow((x - r, -0.1), ((t - 1) * dx + r, -0.1), red, lw=1.8, ls="--")
        if loss_at == "all" or t == T:
            node(x, 1.5, rf"$\ell_{t}$", "#fdf0e6", "#b35806")
            arrow((x - 0.06, r), (x - 0.06, 1.5 - r), grey)
            arrow((x + 0.08, 1.5 - r), (x + 0.08, r), red, lw=1.8, ls="--")
    ax.plot([], [], color=grey, label="forward (shared weights)")
    ax.plot([], [], color=red, ls="--", lw=1.8, label="backward through time")
    ax.legend(loc="lower center", ncol=2, fontsize=9, frameon=False)
    ax.set_xlim(-0.6, T * dx + 0.6)
    ax.set_ylim(-2.55, 2.0)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


def plot_gradient_norms(distance, norms, bounds=None, ax=None, ylabel=None):
    """Gradient norms against the number of steps they travelled back, on a log scale.

    Parameters
    ----------
    distance : array_like, shape (M,)
        The distances :math:`T - t` (steps travelled back).
    norms : dict of str to array_like, shape (M,)
        One curve per label, e.g. :math:`\\lVert \\partial h_T / \\partial h_t \\rVert_2` for
        one recurrent matrix. Zeros are left out (a log axis cannot show them).
    bounds : dict of str to array_like, shape (M,), optional
        Matching upper bounds, drawn dashed in the colour of the curve with the same label.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new 6.7 x 3.8 inch figure when omitted.
    ylabel : str, optional
        Label of the vertical axis.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    distance = np.asarray(distance, dtype=float)
    if distance.ndim != 1:
        raise ValueError(f"distance: expected a 1-D array of shape (M,), got shape {distance.shape}")
    bounds = {} if bounds is None else bounds
    for name, group in (("norms", norms), ("bounds", bounds)):
        for label, values in group.items():
            if np.shape(values) != distance.shape:
                raise ValueError(
                    f"{name}[{label!r}]: expected shape {distance.shape} (the shape of "
                    f"distance), got shape {np.shape(values)}"
                )
    unknown = set(bounds) - set(norms)
    if unknown:
        raise ValueError(f"bounds: expected labels among those of norms, got {sorted(unknown)}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.7, 3.8))
    else:
        fig = ax.figure
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, values) in enumerate(norms.items()):
        c = colours[i % len(colours)]
        values = np.asarray(values, dtype=float)
        keep = values > 0
        ax.semilogy(distance[keep], values[keep], "-", color=c, lw=2, label=label)
        if label in bounds:
            ax.semilogy(distance, np.asarray(bounds[label], dtype=float), "--", color=c, lw=1,
                        label=f"bound for {label}")
    ax.set_xlabel("distance $T - t$ (steps back in time)")
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig
