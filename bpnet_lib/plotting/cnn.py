"""Figures of part III (convolutional networks): convolution geometry and its matrix, pooling
gradients, kernels and feature maps.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "conv_geometry",
    "plot_conv_geometry",
    "plot_conv_matrix",
    "plot_conv_geometry_grid",
    "plot_pool_gradients",
    "plot_kernels",
    "plot_feature_maps",
]


# --- convolution ------------------------------------------------------------------------


def conv_geometry(n_h, n_w, kh, kw, stride=1, padding=0, out_pos=None, in_pos=None):
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
    n_h, n_w : int
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
        ``out_shape`` :math:`(n_h', n_w')`; ``window``, a list of ``(r, c, i, j)``: input cell
        ``(r, c)`` (negative or beyond the image on the padding) times kernel entry
        ``(i, j)``, for ``out_pos`` (empty without it); ``taps``, a list of
        ``(u', v', i, j)``: the outputs that read ``in_pos`` and the kernel entry they use
        (empty without it); ``unread_rows`` and ``unread_cols``, the input rows and columns
        (``0..n_h-1``, ``0..n_w-1``) that no window covers.
    """
    (sh, sw), (ph, pw) = _conv_pair(stride, "stride", 1), _conv_pair(padding, "padding", 0)
    n_h, n_w, kh, kw = (int(v) for v in (n_h, n_w, kh, kw))
    if min(n_h, n_w, kh, kw) < 1:
        raise ValueError(f"n_h, n_w, kh, kw: expected positive ints, got {n_h}, {n_w}, {kh}, {kw}")
    out_h, out_w = (n_h + 2 * ph - kh) // sh + 1, (n_w + 2 * pw - kw) // sw + 1
    if out_h < 1 or out_w < 1:
        raise ValueError(
            f"expected the {kh} x {kw} kernel to fit in the padded {n_h + 2 * ph} x {n_w + 2 * pw} "
            f"input, got output size (n_h + 2p_h - kh)//s_h + 1 x (n_w + 2p_w - kw)//s_w + 1 "
            f"= {out_h} x {out_w}"
        )
    window, taps = [], []
    if out_pos is not None:
        u, v = (int(t) for t in out_pos)
        if not (0 <= u < out_h and 0 <= v < out_w):
            raise ValueError(f"out_pos: expected a position in the {out_h} x {out_w} output, got {out_pos!r}")
        window = [(u * sh + i - ph, v * sw + j - pw, i, j) for i in range(kh) for j in range(kw)]
    if in_pos is not None:
        r, c = (int(t) for t in in_pos)
        if not (0 <= r < n_h and 0 <= c < n_w):
            raise ValueError(f"in_pos: expected a position in the {n_h} x {n_w} input, got {in_pos!r}")
        taps = [(u, v, r + ph - u * sh, c + pw - v * sw) for u in range(out_h) for v in range(out_w)
                if 0 <= r + ph - u * sh < kh and 0 <= c + pw - v * sw < kw]
    read_rows = {u * sh + i - ph for u in range(out_h) for i in range(kh)}
    read_cols = {v * sw + j - pw for v in range(out_w) for j in range(kw)}
    return {
        "out_shape": (out_h, out_w),
        "window": window,
        "taps": taps,
        "unread_rows": [r for r in range(n_h) if r not in read_rows],
        "unread_cols": [c for c in range(n_w) if c not in read_cols],
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
# Side of one grid cell in inches when the function makes the figure: 30 CSS px in the book,
# room for the kernel index "i,j" and W_ij at 8-9 pt (11-12.5 px).
_CONV_CELL_IN = 0.3
# Inches above and below the grids for the title and the legend.
_CONV_TITLE_IN, _CONV_LEGEND_IN = 0.35, 0.45


def _conv_layout(n_h, n_w, kh, kw, stride, padding):
    """Data coordinates of the three grids of :func:`plot_conv_geometry` and the axes limits."""
    (sh, sw), (ph, pw) = _conv_pair(stride, "stride", 1), _conv_pair(padding, "padding", 0)
    out_h, out_w = conv_geometry(n_h, n_w, kh, kw, stride, padding)["out_shape"]
    n_hp, n_wp = n_h + 2 * ph, n_w + 2 * pw
    gap = 1.6
    x_kernel = n_wp + gap
    x_out = x_kernel + kw + gap
    height = max(n_hp, kh, out_h)
    return dict(x_kernel=x_kernel, x_out=x_out, height=height,
                xlim=(-1.0, x_out + out_w + 0.3), ylim=(height + 0.3, -2.0))


def _conv_size(case, cell=_CONV_CELL_IN):
    """Width and height in inches of one :func:`plot_conv_geometry` panel with its title and legend."""
    lay = _conv_layout(case["n_h"], case["n_w"], case["kh"], case["kw"],
                       case.get("stride", 1), case.get("padding", 0))
    width = (lay["xlim"][1] - lay["xlim"][0]) * cell
    height = (lay["ylim"][0] - lay["ylim"][1]) * cell + _CONV_TITLE_IN + _CONV_LEGEND_IN
    return width, height


def plot_conv_geometry(n_h, n_w, kh, kw, stride=1, padding=0, out_pos=None, in_pos=None, ax=None,
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
      reads it, labelled with the kernel entry :math:`W_{ij}` through which it does, and
      those kernel entries: the terms :math:`\mathrm{d}Y_{u'v'} W_{ij}` that the input
      gradient :math:`\mathrm{d}X_{uv}` adds up.

    Cells in both highlights are purple.

    Parameters
    ----------
    n_h, n_w, kh, kw : int
        Input and kernel sizes.
    stride, padding : int or (int, int)
    out_pos, in_pos : (int, int), optional
        As in :func:`conv_geometry`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized to the grids when omitted (cells of 0.3 inch, or
        smaller for grids too wide for the book's column). The text is 7 to 9 points, which
        needs cells of about 0.3 inch: give ``ax`` that much room, as
        :func:`plot_conv_geometry_grid` does.
    title : str, optional
        Axes title; by default the sizes and :math:`n_h' = \lfloor (n_h + 2p - k_h)/s_h\rfloor + 1`.
    labels : bool, default True
        Write the kernel indices in the highlighted cells (skipped for grids wider than 14).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from matplotlib.patches import Patch, Rectangle

    from . import _style

    geo = conv_geometry(n_h, n_w, kh, kw, stride, padding, out_pos, in_pos)
    (sh, sw), (ph, pw) = _conv_pair(stride, "stride", 1), _conv_pair(padding, "padding", 0)
    (out_h, out_w) = geo["out_shape"]
    n_hp, n_wp = n_h + 2 * ph, n_w + 2 * pw
    lay = _conv_layout(n_h, n_w, kh, kw, stride, padding)
    x_kernel, x_out, height = lay["x_kernel"], lay["x_out"], lay["height"]
    y_in, y_k, y_out = (height - n_hp) / 2, (height - kh) / 2, (height - out_h) / 2
    if ax is None:
        case = dict(n_h=n_h, n_w=n_w, kh=kh, kw=kw, stride=stride, padding=padding)
        width = _conv_size(case, 1.0)[0]
        cell = min(_CONV_CELL_IN, (_style.COLUMN_IN - 0.1) / width)
        fig, ax = plt.subplots(figsize=_conv_size(case, cell))
        fig.subplots_adjust(left=0, right=1, top=1 - _CONV_TITLE_IN / fig.get_figheight(),
                            bottom=_CONV_LEGEND_IN / fig.get_figheight())
    else:
        fig = ax.figure
    show_text = labels and max(n_wp, out_w, kw) <= 14
    # Sizes in points: the kernel index "i,j" in a cell, W_ij, the row and column numbers
    # and the zeros of the padding (the smallest, 7 pt = 9.7 CSS px in the book).
    in_cell, w_label, index, pad_zero, head = 8.0, 9.0, 7.5, 7.0, 9.0

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
    for a in range(n_hp):
        for b in range(n_wp):
            r, c = a - ph, b - pw
            pad = not (0 <= r < n_h and 0 <= c < n_w)
            hatch = None if pad or (r not in unread_r and c not in unread_c) else "///"
            colour = fill((r, c) in fwd_in, in_pos is not None and (r, c) == tuple(in_pos),
                          "0.9" if pad else "white")
            cell(b, y_in + a, colour, edge="0.55" if pad else "0.35", ls="--" if pad else "-",
                 hatch=hatch)
            if show_text and (r, c) in fwd_in:
                i, j = fwd_in[(r, c)]
                ax.text(b + 0.5, y_in + a + 0.5, f"{i},{j}", ha="center", va="center",
                        fontsize=in_cell, color="#08306b")
            elif show_text and pad:
                ax.text(b + 0.5, y_in + a + 0.5, "0", ha="center", va="center",
                        fontsize=pad_zero, color="0.45")
    if geo["window"]:
        r0, c0 = geo["window"][0][:2]
        ax.add_patch(Rectangle((c0 + pw, y_in + r0 + ph), kw, kh, fc="none", ec="#1f5fbf", lw=2.2))
    for a in range(n_hp):
        ax.text(-0.3, y_in + a + 0.5, str(a - ph), ha="right", va="center", fontsize=index,
                color="0.35")
    for b in range(n_wp):
        ax.text(b + 0.5, y_in - 0.25, str(b - pw), ha="center", va="bottom",
                fontsize=index, color="0.35")

    for i in range(kh):
        for j in range(kw):
            cell(x_kernel + j, y_k + i, fill((i, j) in fwd_k, (i, j) in bwd_k, "white"))
            if show_text:
                ax.text(x_kernel + j + 0.5, y_k + i + 0.5, f"{i},{j}", ha="center", va="center",
                        fontsize=in_cell, color="0.2")
    for u in range(out_h):
        for v in range(out_w):
            is_out = out_pos is not None and (u, v) == tuple(out_pos)
            cell(x_out + v, y_out + u, fill(is_out, (u, v) in bwd_out, "white"))
            if show_text and (u, v) in bwd_out:
                i, j = bwd_out[(u, v)]
                ax.text(x_out + v + 0.5, y_out + u + 0.5, f"$W_{{{i}{j}}}$" if max(kh, kw) <= 10
                        else f"{i},{j}", ha="center", va="center", fontsize=w_label,
                        color="#7f2704")

    heads = [(n_wp / 2, y_in, f"input $X$, {n_h}$\\times${n_w}" + (f", padding {padding}" if max(ph, pw) else "")),
             (x_kernel + kw / 2, y_k, f"kernel $W$, {kh}$\\times${kw}"),
             (x_out + out_w / 2, y_out, f"output $Y$, {out_h}$\\times${out_w}")]
    for x, y, text in heads:
        ax.text(x, y - (0.9 if text.startswith("input") else 0.3), text, ha="center",
                va="bottom", fontsize=head)
    ax.set_xlim(*lay["xlim"])
    ax.set_ylim(*lay["ylim"])
    ax.set_aspect("equal")
    ax.axis("off")
    if title is None:
        title = (f"stride {stride}, padding {padding}: "
                 f"$n_h' = \\lfloor({n_h} + {2 * ph} - {kh})/{sh}\\rfloor + 1 = {out_h}$")
        if (n_w, kw, sw, pw) != (n_h, kh, sh, ph):
            title += f", $n_w' = \\lfloor({n_w} + {2 * pw} - {kw})/{sw}\\rfloor + 1 = {out_w}$"
    ax.set_title(title, fontsize=head)
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
                  ncol=min(len(handles), 2), fontsize=8, frameon=False,
                  borderaxespad=0.2, columnspacing=1.2, handletextpad=0.5)
    return fig


def plot_conv_matrix(W_shape, input_shape, stride=1, padding=0, axes=None):
    r"""The dense matrix of a convolution, each entry coloured by the kernel entry it holds.

    The matrix :math:`\mathcal{M}` of :func:`bpnet_lib.conv.conv2d_as_matrix` maps the flattened
    input to the flattened output (``y = M x + b``, ``M`` in code). Built from the kernel whose entries are
    numbered :math:`1, 2, \dots, F C k_h k_w` in row-major order, each entry of :math:`\mathcal{M}`
    names the kernel entry it holds, so the picture shows both facts of note `003`: most
    entries are zero (white), and the nonzero ones repeat a few shared weights (one colour
    per kernel entry, keyed in the right panel). Thin lines separate the rows of the output
    and input images, thick lines their channels.

    Parameters
    ----------
    W_shape : tuple (F, C, kh, kw)
    input_shape : tuple (C, n_h, n_w) or (N, C, n_h, n_w)
    stride, padding : int or (int, int)
    axes : sequence of two matplotlib.axes.Axes, optional
        Matrix and kernel key; a new figure when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from matplotlib.colors import ListedColormap

    from ..conv import conv2d_as_matrix

    F, C, kh, kw = (int(v) for v in W_shape)
    n = F * C * kh * kw
    labels = np.rint(conv2d_as_matrix(np.arange(1.0, n + 1).reshape(F, C, kh, kw), input_shape,
                                      stride, padding)).astype(int)
    n_h, n_w = (int(v) for v in tuple(input_shape)[-2:])
    out_h, out_w = conv_geometry(n_h, n_w, kh, kw, stride, padding)["out_shape"]
    rows, cols = labels.shape
    palette = (plt.get_cmap("tab20")(np.arange(n)) if n <= 20
               else plt.get_cmap("turbo")(np.linspace(0.05, 0.95, n)))
    cmap = ListedColormap(np.vstack([[1.0, 1.0, 1.0, 1.0], palette]))
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(6.7, min(8.0, 5.3 * rows / cols + 1.6)),
                                 gridspec_kw=dict(width_ratios=[5, 1]))
    ax, key = axes[0], axes[1]
    fig = ax.figure
    ax.imshow(labels, cmap=cmap, vmin=-0.5, vmax=n + 0.5, interpolation="nearest")
    for r in range(0, rows + 1, out_w):
        major = r % (out_h * out_w) == 0
        ax.axhline(r - 0.5, color="0.2" if major else "0.85", lw=1.4 if major else 0.5)
    for c in range(0, cols + 1, n_w):
        major = c % (n_h * n_w) == 0
        ax.axvline(c - 0.5, color="0.2" if major else "0.85", lw=1.4 if major else 0.5)
    nonzero = int(np.count_nonzero(labels))
    ax.set_title(f"$\\mathcal{{M}}$: {rows} $\\times$ {cols}, {nonzero} of {labels.size} entries nonzero "
                 f"({100 * nonzero / labels.size:.1f} %),\n{n} distinct weights", fontsize=10)
    ax.set_xlabel(f"input entry ($c$, row, column): {C} channel(s) of {n_h} $\\times$ {n_w}")
    ax.set_ylabel(f"output entry ($f$, row, column):\n{F} channel(s) of {out_h} $\\times$ {out_w}")
    grid = np.zeros((F * (kh + 1) - 1, C * (kw + 1) - 1), dtype=int)
    for f in range(F):
        for c in range(C):
            block = np.arange(kh * kw).reshape(kh, kw) + (f * C + c) * kh * kw + 1
            grid[f * (kh + 1):f * (kh + 1) + kh, c * (kw + 1):c * (kw + 1) + kw] = block
    key.imshow(grid, cmap=cmap, vmin=-0.5, vmax=n + 0.5, interpolation="nearest")
    for (a, b), v in np.ndenumerate(grid):
        if v:
            key.text(b, a, str(v), ha="center", va="center", fontsize=7.5)
    key.set_xticks([c * (kw + 1) + (kw - 1) / 2 for c in range(C)])
    key.set_xticklabels([f"$c={c}$" for c in range(C)], fontsize=8)
    key.set_yticks([f * (kh + 1) + (kh - 1) / 2 for f in range(F)])
    key.set_yticklabels([f"$f={f}$" for f in range(F)], fontsize=8)
    key.tick_params(length=0)
    for side in key.spines.values():
        side.set_visible(False)
    key.set_title("kernel $W$\n(entry numbers)", fontsize=9)
    fig.tight_layout()
    return fig


def plot_conv_geometry_grid(cases, ncols=1, cell=None):
    """Several :func:`plot_conv_geometry` pictures, e.g. to compare paddings and strides.

    Every panel is drawn at the same scale, with grid cells of ``cell`` inches, so that the
    labels fit their cells; the figure is as large as the panels need.

    Parameters
    ----------
    cases : sequence of dict
        Keyword arguments of :func:`plot_conv_geometry` for each panel (without ``ax``),
        drawn row by row.
    ncols : int, default 1
        Panels per row. One per row keeps the book's figures within its column; more make
        a wider figure (which the book would show scaled down).
    cell : float, optional
        Side of a grid cell in inches; by default 0.3, or less if the widest row would not
        fit the book's column.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from . import _style

    cases = list(cases)
    if not cases:
        raise ValueError("cases: expected at least one dict of plot_conv_geometry arguments, got none")
    ncols = max(1, min(int(ncols), len(cases)))
    nrows = -(-len(cases) // ncols)
    unit = [_conv_size(case, 1.0) for case in cases]        # sizes at 1 inch per cell
    slots = [unit[i:i + ncols] for i in range(0, len(cases), ncols)]
    col_w = [max(row[c][0] for row in slots if c < len(row)) for c in range(ncols)]
    if cell is None:
        cell = min(_CONV_CELL_IN, (_style.COLUMN_IN - 0.1) / sum(col_w))
    extra = _CONV_TITLE_IN + _CONV_LEGEND_IN
    row_h = [max(h for _, h in row) - extra for row in slots]   # grid part, in cells
    widths = [w * cell for w in col_w]
    heights = [h * cell + extra for h in row_h]
    fig = plt.figure(figsize=(sum(widths), sum(heights)))
    grid = fig.add_gridspec(nrows, ncols, width_ratios=widths, height_ratios=heights,
                            left=0, right=1, top=1, bottom=0, wspace=0, hspace=0)
    for k, case in enumerate(cases):
        r, c = divmod(k, ncols)
        # The grids fill the slot but for its title strip on top and its legend strip below.
        sub = grid[r, c].subgridspec(3, 1, height_ratios=[_CONV_TITLE_IN, row_h[r] * cell,
                                                          _CONV_LEGEND_IN], hspace=0)
        plot_conv_geometry(ax=fig.add_subplot(sub[1]), **case)
    return fig


# --- pooling and a small CNN ------------------------------------------------------------


def _annotated(ax, M, cmap, vmin, vmax, fmt, title, fontsize=8.5):
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
    X : array_like, shape (n_h, n_w)
    dY : array_like, shape (n_h', n_w')
        With :math:`n_h' = \lfloor (n_h - k_h)/s_h \rfloor + 1`, and likewise :math:`n_w'`.
    grads : dict of str to array_like, shape (n_h, n_w)
        Panel title to input gradient.
    size : int or (int, int)
        The window ``(kh, kw)``.
    stride : int or (int, int), optional
        Defaults to ``size``.
    axes : sequence of matplotlib.axes.Axes, length 2 + len(grads), optional
        Where to draw (e.g. two rows of a grid); a new figure with two panels per row when
        omitted (2.6 inches each: room for numbers such as 0.111 in five columns).
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
            f"X, size, stride: expected a 2-D X (n_h, n_w) and positive window and stride with the "
            f"window inside X, got X of shape {X.shape}, size {(kh, kw)}, stride {(sh, sw)}"
        )
    out_h, out_w = (X.shape[0] - kh) // sh + 1, (X.shape[1] - kw) // sw + 1
    if dY.shape != (out_h, out_w):
        raise ValueError(f"dY: expected shape {(out_h, out_w)} for X of shape {X.shape}, window "
                         f"{(kh, kw)} and stride {(sh, sw)}, got shape {dY.shape}")
    for name, G in grads.items():
        if np.shape(G) != X.shape:
            raise ValueError(f"grads[{name!r}]: expected shape {X.shape} (the shape of X), "
                             f"got shape {np.shape(G)}")
    n_panels = 2 + len(grads)
    if axes is None:
        nrows = -(-n_panels // 2)
        fig, axes = plt.subplots(nrows, 2, figsize=(5.2, 2.6 * nrows), squeeze=False)
        for ax in axes.ravel()[n_panels:]:
            fig.delaxes(ax)
        axes = axes.ravel()[:n_panels]
    else:
        if len(axes) != n_panels:
            raise ValueError(f"axes: expected {n_panels} axes (X, dY and one per gradient), "
                             f"got {len(axes)}")
        fig = axes[0].figure
    axes = list(np.ravel(axes))
    colours = plt.get_cmap("tab10")
    windows = [(u, v) for u in range(out_h) for v in range(out_w)]
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


def _as_kernel_stack(W, name):
    W = np.asarray(W, dtype=float)
    if W.ndim == 4:
        if W.shape[1] != 1:
            raise ValueError(f"{name}: expected one input channel, shape (F, 1, kh, kw), "
                             f"got shape {W.shape}")
        W = W[:, 0]
    if W.ndim != 3:
        raise ValueError(f"{name}: expected shape (F, kh, kw) or (F, 1, kh, kw), got shape {W.shape}")
    return W


def plot_kernels(kernels, axes_size=None, cmap="RdBu_r"):
    r"""Convolution kernels of one input channel as small images, one row per set.

    Parameters
    ----------
    kernels : array_like of shape (F, kh, kw) or (F, 1, kh, kw), or dict of str to such
        One set of ``F`` kernels, or several (say, before and after training), each drawn
        as a row labelled by its key; the columns are titled with the filter index ``f``,
        from 0. Every row has its own symmetric colour scale (white = 0, red > 0,
        blue < 0), shown by a colour bar.
    axes_size : float, optional
        Width and height of each panel in inches; by default 0.9, or less so that the
        figure fits the book's column (0.34 inch for 16 kernels).
    cmap : str, default "RdBu_r"

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from . import _style

    rows = kernels if isinstance(kernels, dict) else {"": kernels}
    rows = {name: _as_kernel_stack(W, f"kernels[{name!r}]" if name else "kernels")
            for name, W in rows.items()}
    if not rows:
        raise ValueError("kernels: expected at least one set of kernels, got none")
    F = max(W.shape[0] for W in rows.values())
    label_w = 0.75 if any(rows) else 0.0           # row names, written left of the rows
    bar_w = 0.55                                   # colour bar and its tick labels
    if axes_size is None:
        axes_size = min(0.9, (_style.COLUMN_IN - label_w - bar_w) / (F + 0.4))
    width = label_w + axes_size * (F + 0.4) + bar_w
    height = axes_size * 1.25 * len(rows) + 0.3
    fig, axes = plt.subplots(len(rows), F, figsize=(width, height), squeeze=False)
    fig.subplots_adjust(left=label_w / width, right=1 - bar_w / width, bottom=0.15 / height,
                        top=1 - 0.3 / height, wspace=0.15, hspace=0.3)
    for r, (name, W) in enumerate(rows.items()):
        lim = float(np.max(np.abs(W))) or 1.0
        for f in range(F):
            ax = axes[r, f]
            ax.set_xticks([])
            ax.set_yticks([])
            if f >= W.shape[0]:
                ax.axis("off")
                continue
            im = ax.imshow(W[f], cmap=cmap, vmin=-lim, vmax=lim)
            if r == 0:
                ax.set_title(f"{f}", fontsize=8, pad=3)  # filters counted from 0, like W[f]
        if name:
            axes[r, 0].set_ylabel(name, fontsize=9, rotation=0, ha="right", va="center",
                                  labelpad=4)
        bar = fig.colorbar(im, ax=list(axes[r]), fraction=0.04, pad=0.02, aspect=8)
        bar.ax.tick_params(labelsize=8)
    return fig


def plot_feature_maps(image, stages, kernels=None, axes_size=None):
    r"""One image's path through the first layers of a CNN: one column per filter.

    The image is drawn on the left. To its right, the column titled ``f`` (from 0) shows
    filter ``f``'s kernel (if given) above that filter's map after each stage, e.g. the convolution,
    the ReLU and the pooling. Maps of one row share a colour scale: a diverging one
    centred at 0 when the row has negative values, a grey one from 0 up otherwise.

    Parameters
    ----------
    image : array_like, shape (n_h, n_w)
    stages : dict of str to array_like, shape (F, h, w)
        Row label to the F maps of that stage (sizes may differ from row to row).
    kernels : array_like, shape (F, kh, kw) or (F, 1, kh, kw), optional
    axes_size : float, optional
        Width and height of each panel in inches; by default 0.85, or less so that the
        figure fits the book's column (0.33 inch for 16 filters).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from . import _style

    image = np.asarray(image, dtype=float)
    if image.ndim != 2:
        raise ValueError(f"image: expected shape (n_h, n_w), got shape {image.shape}")
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
        W = _as_kernel_stack(kernels, "kernels")
        if W.shape[0] != F:
            raise ValueError(f"kernels: expected F = {F} kernels (one per map), got {W.shape[0]}")
        rows = [("kernel", W)] + rows
    # Columns: the input image (two panels wide), the row names, then one per filter.
    label_w = 0.7
    if axes_size is None:
        axes_size = min(0.85, (_style.COLUMN_IN - label_w - 0.1) / (F * 1.12 + 2.0))
    image_w = 2.0 * axes_size
    width = image_w + label_w + F * axes_size * 1.12
    height = len(rows) * axes_size * 1.2 + 0.35
    fig = plt.figure(figsize=(width, height))
    grid = fig.add_gridspec(len(rows), F + 2, width_ratios=[image_w, label_w] + [axes_size] * F,
                            left=0, right=1, bottom=0.05 / height, top=1 - 0.3 / height,
                            wspace=0.12, hspace=0.2)
    ax_in = fig.add_subplot(grid[:min(2, len(rows)), 0])
    ax_in.imshow(image, cmap="gray_r")
    ax_in.set_title("input", fontsize=9)
    ax_in.set_xticks([])
    ax_in.set_yticks([])
    for r, (name, A) in enumerate(rows):
        lo, hi = float(A.min()), float(A.max())
        if lo < 0:
            lim = max(-lo, hi) or 1.0
            cmap, vmin, vmax = "RdBu_r", -lim, lim
        else:
            cmap, vmin, vmax = "Greys", 0.0, hi or 1.0
        for f in range(F):
            ax = fig.add_subplot(grid[r, f + 2])
            ax.imshow(A[f], cmap=cmap, vmin=vmin, vmax=vmax)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"{f}", fontsize=8, pad=3)  # filter f, counted from 0
            if f == 0:
                ax.set_ylabel(name, fontsize=9, rotation=0, ha="right", va="center", labelpad=4)
    return fig

