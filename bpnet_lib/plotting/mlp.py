"""Figures of a multilayer perceptron's structure and passes: a small graph of scalars with both
passes written on its wires, the network diagram, the forward pass layer by layer, and the
backward pass as a graph of messages and as heatmaps.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .calculus import plot_computational_graph

__all__ = [
    "plot_scalar_graph",
    "plot_mlp",
    "plot_forward_pass",
    "plot_backprop_graph",
    "plot_backward_pass",
]


_VALUE_COLOUR, _GRAD_COLOUR = "#1f5fbf", "#c0392b"
_PATH_COLOURS = ("#2e9a4a", "#8e44ad", "#e67e22")       # highlighted paths: not blue, not red


def _number(fmt, v):
    """``v`` formatted, with -0 shown as 0 and a typographic minus sign."""
    return fmt.format(float(v) + 0.0).replace("-", "\u2212")


def plot_scalar_graph(nodes, edges, values, grads, edge_grads=None, names=None, ax=None,
                      fmt="{:g}", node_radius=0.36):
    r"""A graph of scalar operations with both passes of backpropagation written on its wires.

    In the style of the circuit diagrams of CS231n: the nodes (inputs and operations such as
    :math:`+`, :math:`\times`, max, :math:`\sigma`) and the arrows between them are drawn by
    :func:`plot_computational_graph`; then every arrow, a wire that carries the value of its
    tail into the operation at its head, gets two numbers. Above it, in blue, the forward
    value of the tail; below it, in red, the gradient sent back along it, the head's
    gradient :math:`\partial J/\partial(\text{head})` times the local derivative of the head
    with respect to the tail. Beside each input (a node with no incoming arrow) its value and
    total gradient are written in the same colours, and so beside the output (a node with no
    outgoing arrow), whose gradient is 1. A node used by several operations (a fan-out)
    receives one message per use, and its gradient is their sum: the function checks that.

    Parameters
    ----------
    nodes : dict of str to (str, (float, float))
        Node name to ``(label, (x, y))``: the text drawn in the circle (LaTeX allowed, e.g.
        ``"$x$"``, ``r"$\times$"``, ``"max"``) and its position. Labels must be distinct.
    edges : sequence of (str, str)
        ``(tail, head)``: the value of ``tail`` is an input of the operation ``head``.
    values : dict of str to float
        The forward value of every node.
    grads : dict of str to float
        :math:`\partial J/\partial(\text{node})` for every node (1 at the output).
    edge_grads : dict of (str, str) to float, optional
        The gradient sent back along each edge. It may be omitted for an edge whose tail has
        no other outgoing edge (it is then ``grads[tail]``); for a fan-out it must be given.
        The messages on the edges leaving a node must add up to its gradient.
    names : dict of str to str, optional
        A name written in grey above a node, e.g. the letter the text uses for the value an
        operation computes (``{"u": "$u$"}``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure (opaque white, so it reads on dark pages too) sized to the
        graph when omitted.
    fmt : str, default "{:g}"
        Format of the numbers; minus signs are typeset as such.
    node_radius : float, default 0.36
        Radius of the node circles, in data units (room for a label such as "max").

    Returns
    -------
    fig : matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If labels repeat, an edge names an unknown node or repeats, a value or gradient is
        missing, a fan-out edge has no message, or the messages leaving a node do not add up
        to its gradient.
    """
    from matplotlib.lines import Line2D

    nodes = {str(k): (str(lab), (float(p[0]), float(p[1]))) for k, (lab, p) in nodes.items()}
    labels = [lab for lab, _ in nodes.values()]
    if len(set(labels)) != len(labels):
        raise ValueError(f"nodes: expected distinct labels (one circle each), got {labels}")
    edges = [(str(u), str(v)) for u, v in edges]
    for u, v in edges:
        if u not in nodes or v not in nodes:
            raise ValueError(f"edges: ({u!r}, {v!r}) names a node not in nodes {list(nodes)}")
    if len(set(edges)) != len(edges):
        raise ValueError("edges: expected each (tail, head) pair once")
    for what, table in (("values", values), ("grads", grads)):
        missing = [k for k in nodes if k not in table]
        if missing:
            raise ValueError(f"{what}: expected a number for every node, missing {missing}")
    edge_grads = dict(edge_grads or {})
    out_edges = {k: [e for e in edges if e[0] == k] for k in nodes}
    has_input = {v for _, v in edges}
    messages = {}
    for k, leaving in out_edges.items():
        for e in leaving:
            if e in edge_grads:
                messages[e] = float(edge_grads[e])
            elif len(leaving) == 1:
                messages[e] = float(grads[k])
            else:
                raise ValueError(
                    f"edge_grads: node {k!r} is used {len(leaving)} times (a fan-out); expected "
                    f"the gradient sent back along each of its edges, missing {e}"
                )
        if leaving:
            total = sum(messages[e] for e in leaving)
            if not np.isclose(total, float(grads[k]), rtol=1e-9, atol=1e-12):
                raise ValueError(
                    f"edge_grads: the messages on the edges leaving {k!r} add up to {total:g}, "
                    f"but grads[{k!r}] is {float(grads[k]):g} (a fan-out sums its messages)"
                )

    xs = np.array([p[0] for _, p in nodes.values()])
    ys = np.array([p[1] for _, p in nodes.values()])
    xlim = (xs.min() - 1.0, xs.max() + 1.0)
    ylim = (ys.min() - 0.9, ys.max() + 0.55)
    if ax is None:
        scale = 0.85
        fig, ax = plt.subplots(figsize=(scale * (xlim[1] - xlim[0]), scale * (ylim[1] - ylim[0])))
        fig.patch.set_facecolor("white")
        fig.patch.set_alpha(1.0)
    else:
        fig = ax.figure
    plot_computational_graph({lab: p for lab, p in nodes.values()},
                             [(nodes[u][0], nodes[v][0], "") for u, v in edges],
                             ax=ax, node_radius=node_radius)
    box = dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.9)
    for u, v in edges:
        mid = (np.array(nodes[u][1]) + np.array(nodes[v][1])) / 2
        for text, colour, dy in ((_number(fmt, values[u]), _VALUE_COLOUR, 0.2),
                                 (_number(fmt, messages[(u, v)]), _GRAD_COLOUR, -0.2)):
            ax.text(mid[0], mid[1] + dy, text, ha="center", va="center", fontsize=10,
                    color=colour, bbox=box, zorder=5)
    for k, (lab, (x, y)) in nodes.items():
        if names is not None and k in names:
            ax.text(x, y + node_radius + 0.06, names[k], ha="center", va="bottom", fontsize=10,
                    color="0.4", zorder=5)
        if k in has_input and out_edges[k]:
            if len(out_edges[k]) > 1:                  # an inner fan-out: its sum below it
                ax.text(x, y - node_radius - 0.1, _number(fmt, grads[k]), ha="center", va="top",
                        fontsize=10, color=_GRAD_COLOUR, bbox=box, zorder=5)
            continue
        side = 1 if k in has_input else -1             # output: right; input: left
        tx = x + side * (node_radius + 0.12)
        ha = "left" if side > 0 else "right"
        ax.text(tx, y + 0.03, _number(fmt, values[k]), ha=ha, va="bottom", fontsize=10,
                color=_VALUE_COLOUR, zorder=5)
        ax.text(tx, y - 0.03, _number(fmt, grads[k]), ha=ha, va="top", fontsize=10,
                color=_GRAD_COLOUR, zorder=5)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    handles = [Line2D([], [], color=_VALUE_COLOUR, marker="s", ls="none",
                      label="forward value (above a wire)"),
               Line2D([], [], color=_GRAD_COLOUR, marker="s", ls="none",
                      label=r"gradient $\partial J/\partial(\cdot)$ sent back (below)")]
    ax.legend(handles=handles, loc="lower center", ncol=2, fontsize=9, frameon=False,
              bbox_to_anchor=(0.5, -0.02))
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

    Each panel shows one batch matrix, one sample per row and one unit per column, in one
    diverging colour map with white at 0, so the zeros a ReLU makes and the rows of
    probabilities a softmax makes are visible at a glance. The two panels of a layer share
    their scale when its activation keeps the scale of its input (``"relu"``, ``"elu"``,
    ``"identity"``); otherwise, and when ``activations`` is not given, every panel has its
    own, symmetric about 0. An output that cannot be negative is drawn with the positive half
    of the map only, so its colour bar has no negative ticks: from 0 to the layer's shared
    bound for ``"relu"``, and from 0 to 1 for ``"sigmoid"`` and ``"softmax"``, whose outputs are
    probabilities.

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
        from . import _style

        ratios = [max(z.shape[1], 4) for z in Z]
        width = min(2.2 + 0.11 * sum(ratios) + 1.0 * l, _style.COLUMN_IN)
        fig, axes = plt.subplots(2, l, figsize=(width, 4.6),
                                 gridspec_kw={"width_ratios": ratios}, squeeze=False)
    else:
        axes = np.asarray(axes).reshape(2, l)
        fig = axes[0, 0].figure
    # The positive half of the diverging map, white at 0: the same colour for the same value
    # as in a symmetric panel with the same bound, without a negative half nobody can reach.
    from matplotlib.colors import LinearSegmentedColormap

    full_map = plt.get_cmap(cmap)
    positive_map = LinearSegmentedColormap.from_list(
        f"{full_map.name}_positive", full_map(np.linspace(0.5, 1.0, 128)))
    for k in range(1, l + 1):
        # Activations that pass values through unchanged where they act (ReLU, ELU for
        # z > 0, identity) share the layer's colour scale, so Y^(k) reads against Z^(k);
        # squashing ones (sigmoid, tanh, softmax) get their own, or they would look blank.
        name = activations[k - 1] if activations is not None else None
        shared = name in _SCALE_KEEPING
        vmax_layer = float(max(np.max(np.abs(Z[k - 1])), np.max(np.abs(Y[k - 1])))) or 1.0
        for row, (M, letter) in enumerate(((Z[k - 1], "Z"), (Y[k - 1], "Y"))):
            ax = axes[row, k - 1]
            vmax = vmax_layer if shared else (float(np.max(np.abs(M))) or 1.0)
            vmin, panel_map = -vmax, cmap
            if letter == "Y" and name in ("relu", "sigmoid", "softmax") and M.min() >= 0:
                vmin, panel_map = 0.0, positive_map
                if name != "relu":
                    vmax = 1.0                                   # probabilities
            im = ax.imshow(M, cmap=panel_map, vmin=vmin, vmax=vmax, aspect="auto",
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


def plot_backprop_graph(widths, values, messages, names=None, bias_messages=None, loss=None,
                        highlight=(), ax=None, fmt="{:+.2f}"):
    r"""A fully connected network drawn unit by unit, with forward values and backward messages.

    Layer :math:`k` is a column of :math:`n_k` circles; every unit of layer :math:`k-1` has
    an arrow to every unit of layer :math:`k` (one entry of :math:`B^{(k)}` each). Above a
    unit its forward value is written in blue, below it the backward message in red, so the
    figure shows both passes of backpropagation on the same graph: the forward pass fills
    the blue numbers from left to right, the backward pass the red ones from right to left.
    For a hidden unit the message is usually :math:`\mathrm{d}z^{(k)}_j`, the sum over the
    arrows leaving the unit of weight times message at the head, times the slope
    :math:`g^{(k)\prime}(z^{(k)}_j)`; label the unit by its output (``names[k] = "y^{(k)}"``)
    so that the label matches the blue number.

    Parameters
    ----------
    widths : sequence of int
        :math:`n_0, \dots, n_l`.
    values : sequence of array_like, length l + 1
        ``values[k]`` has :math:`n_k` entries, written above the units of layer k (for
        example :math:`\mathbf{x}`, :math:`\mathbf{y}^{(1)}`, ..., :math:`\mathbf{y}^{(l)}`).
    messages : sequence of array_like or None, length l + 1
        ``messages[k]`` has :math:`n_k` entries, written below the units of layer k (for
        example :math:`\partial J/\partial x` and :math:`\mathrm{d}z^{(1)}, \dots, \mathrm{d}z^{(l)}`);
        ``None`` leaves a layer without messages.
    names : sequence of str, length l + 1, optional
        The symbol of each layer in LaTeX without dollars, e.g. ``"x"``, ``"y^{(1)}"``;
        unit j of layer k (counted from 0) is labelled ``names[k]`` with subscript j + 1, as
        the entries of a symbolic vector are. Default ``"u^{(k)}"``.
    bias_messages : sequence of float, length l, optional
        If given, a grey unit "1" is drawn above each of the layers 0, ..., l-1 with dashed
        arrows into the next layer (the bias row of :math:`B^{(k+1)}`), and
        ``bias_messages[k]`` — the derivative with respect to that constant, which
        backpropagation computes and throws away — is written beside it in grey.
    loss : tuple of (float, str), optional
        ``(J, label)``: draw a node ``label`` (LaTeX without dollars, e.g. ``"J"``) right of the
        output layer, connected to every output unit, with value J and message 1.
    highlight : sequence of sequence of (int, int)
        Paths given as (layer, unit) pairs, drawn thick, one colour per path (green, purple,
        orange, ...: never the blue and red of the numbers); the loss node is ``(l + 1, 0)``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized to the network when omitted.
    fmt : str
        Format of the numbers; minus signs are typeset as such.

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
    colours = _PATH_COLOURS
    on_path = {}
    for i, path in enumerate(highlight):
        for u, v in zip(path[:-1], path[1:]):
            on_path[(tuple(u), tuple(v))] = colours[i % len(colours)]

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
            ax.text(b[0], b[1] - r - 0.12, _number(fmt, bias_messages[k]), ha="center",
                    va="top", fontsize=9, color="0.5", style="italic", zorder=5)
    for (k, j), (x, y) in pos.items():
        is_loss = k == L + 1
        ax.add_patch(plt.Circle((x, y), r, fc="#fdf1e6" if is_loss else "#eef3fb",
                                ec="#9c5a1a" if is_loss else "#2b4c7e", lw=1.5, zorder=4))
        label = loss[1] if is_loss else f"{names[k]}_{{{j + 1}}}"
        ax.text(x, y, f"${label}$", ha="center", va="center", fontsize=11, zorder=5)
        value = loss[0] if is_loss else np.asarray(values[k], float).ravel()[j]
        ax.text(x, y + r + 0.08, _number(fmt, value), ha="center", va="bottom",
                fontsize=10, color=_VALUE_COLOUR, zorder=5,
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85))
        if is_loss:
            message = 1.0
        elif messages[k] is None:
            continue
        else:
            message = np.asarray(messages[k], float).ravel()[j]
        ax.text(x, y - r - 0.08, _number(fmt, message), ha="center", va="top",
                fontsize=10, color=_GRAD_COLOUR, zorder=5,
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85))
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()] + ([bias_y] if bias_messages is not None else [])
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    ax.set_ylim(min(ys) - 0.9, max(ys) + 0.8)
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [Line2D([], [], color=_VALUE_COLOUR, marker="s", ls="none", label="forward value"),
               Line2D([], [], color=_GRAD_COLOUR, marker="s", ls="none", label="backward message")]
    if bias_messages is not None:
        handles.append(Line2D([], [], color="0.5", marker="s", ls="none",
                              label="message to a constant (discarded)"))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, -0.02 - 0.04),
              ncol=len(handles), fontsize=9, frameon=False)
    return fig


def plot_backward_pass(dZ, dB, step=None, axes=None, fmt="{:+.2f}"):
    r"""One backward pass as heatmaps, layer by layer: :math:`\mathrm{d}Z^{(k)}` above, the weight gradient below.

    Column k shows the two arrays that the backward pass computes at layer k: the gradient
    with respect to the pre-activations, :math:`\mathrm{d}Z^{(k)} = \partial J/\partial Z^{(k)}`
    (one row per sample), and the gradient with respect to the weights,
    :math:`\partial J/\partial B^{(k)}` laid out like :math:`B^{(k)}` (its first row, the
    bias row, is set off by a line). The pass runs from the last column to the first;
    ``step`` shows it after that many layers, leaving the earlier ones empty.

    Parameters
    ----------
    dZ : sequence of ndarray, length l
        ``dZ[k-1]`` is :math:`\mathrm{d}Z^{(k)}`, shape :math:`(N, n_k)`.
    dB : sequence of ndarray, length l
        ``dB[k-1]`` is :math:`\partial J/\partial B^{(k)}`, shape :math:`(n_{k-1} + 1, n_k)`.
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
    L = len(dZ)
    if len(dB) != L or L < 1:
        raise ValueError(
            f"dZ, dB: expected two lists of the same positive length l, got {len(dZ)} and "
            f"{len(dB)}"
        )
    for k, (M, G) in enumerate(zip(dZ, dB), start=1):
        if np.ndim(M) != 2 or np.ndim(G) != 2 or np.shape(M)[1] != np.shape(G)[1]:
            raise ValueError(
                f"dZ[{k - 1}], dB[{k - 1}]: expected 2-D arrays (N, n_{k}) and "
                f"(n_{k - 1} + 1, n_{k}) with the same number of columns, got shapes "
                f"{np.shape(M)} and {np.shape(G)}"
            )
    step = L if step is None else int(step)
    if not 1 <= step <= L:
        raise ValueError(f"step: expected an integer from 1 to l = {L}, got {step}")
    if axes is None:
        from . import _style

        # Columns as wide as their matrices, so that every cell has room for its number.
        cols = [np.shape(M)[1] for M in dZ]
        width = min(1.2 * L + 0.36 * sum(cols), _style.COLUMN_IN)
        fig, axes = plt.subplots(2, L, figsize=(width, 4.8), squeeze=False,
                                 gridspec_kw=dict(height_ratios=[np.shape(dZ[0])[0], max(
                                     np.shape(G)[0] for G in dB)], width_ratios=cols))
    else:
        axes = np.asarray(axes).reshape(2, L)
        fig = axes[0, 0].figure
    for k in range(1, L + 1):
        done = k > L - step
        for row, (M, title) in enumerate([(dZ[k - 1], rf"$\mathrm{{d}}Z^{{({k})}}$"),
                                           (dB[k - 1], rf"$\partial J/\partial B^{{({k})}}$")]):
            ax = axes[row, k - 1]
            M = np.asarray(M, dtype=float)
            ax.set_xticks(range(M.shape[1]))
            ax.set_xticklabels([str(j + 1) for j in range(M.shape[1])], fontsize=8)
            ax.set_yticks(range(M.shape[0]))
            if row == 0:
                ax.set_yticklabels([f"sample {i + 1}" for i in range(M.shape[0])], fontsize=8)
            else:
                ax.set_yticklabels(["bias"] + [f"in {i}" for i in range(1, M.shape[0])],
                                   fontsize=8)
            ax.tick_params(length=2, pad=2)
            ax.set_title(title + ("" if done else "  (not yet)"), fontsize=10,
                         color="black" if done else "0.45")
            if not done:
                ax.imshow(np.zeros_like(M), cmap="Greys", vmin=0, vmax=1, aspect="auto")
                continue
            lim = max(float(np.max(np.abs(M))), 1e-12)
            ax.imshow(M, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
            for (i, j), v in np.ndenumerate(M):
                if M.size <= 48:
                    ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7.5,
                            color="white" if abs(v) > 0.6 * lim else "black")
            if row == 1:
                ax.axhline(0.5, color="black", lw=1.5)
    fig.suptitle(f"backward pass after {step} of {L} layer{'s' if L > 1 else ''} "
                 f"(it runs from layer {L} down to layer 1)", fontsize=10)
    fig.tight_layout()
    return fig

