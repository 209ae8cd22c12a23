"""Explorers for the HTML book: frames drawn in advance, switched by a small slider.

An explorer of :mod:`bpnet_lib.widgets` redraws its figure whenever a control moves, which
needs a running kernel. The functions here draw the same figures, with the same plotting
functions (the frame helpers below are shared with :mod:`bpnet_lib.widgets`), for a small
grid of control positions when the chapter is executed, and return an
:class:`HTMLExplorer`. Its HTML (``_repr_html_``, the cell's output) is what the HTML book
shows: the controls, the current frame and a line saying how to run the live version.
``_static/bpnet-explorer.js`` switches frames in the browser, offline; where that script is
not loaded (in Jupyter, or with JavaScript off) the controls stay hidden and the default
frame shows.

The frames are PNG images, reduced to at most 256 colours, and stored in the page as data
URIs; identical frames are stored once. They are byte-for-byte reproducible (no PNG
metadata, fixed seeds), so strict nbval compares the HTML like any other output.

This module does not import ipywidgets.
"""

from __future__ import annotations

import html
import io
import itertools
import json
import numbers
import re
from base64 import b64encode

import matplotlib.pyplot as plt
import numpy as np

from . import plotting

__all__ = [
    "LIVE_HINT",
    "Control",
    "HTMLExplorer",
    "html_explorer",
    "quadratic_model_explorer",
    "descent_explorer",
    "softmax_cross_entropy_explorer",
    "activation_depth_explorer",
    "mlp_explorer",
    "decision_region_explorer",
    "init_explorer",
    "backward_pass_explorer",
    "conv_geometry_explorer",
    "rnn_gradient_explorer",
]

#: The line under every HTML explorer (HTML markup): how to run the live version.
LIVE_HINT = (
    "The frames were drawn in advance, for the positions the controls offer. To drag the "
    "sliders continuously, run this page as a notebook in Jupyter: download its "
    "<code>.ipynb</code> (the download button at the top of the page), or run "
    "<code>make lab</code> in a clone of the book's repository. In the notebook, the cell "
    "after the one that draws these frames is the live explorer."
)

_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _is_number(v):
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


class Control:
    """One control of an :class:`HTMLExplorer`: a name and the positions it can take.

    Parameters
    ----------
    name : str
        The keyword under which ``draw`` receives the value (a Python identifier).
    values : sequence, length at least 1
        The positions, in slider order; no two equal. All real numbers give a range slider
        (``<input type="range">``) that steps through them; anything else (strings, booleans,
        tuples) gives a drop-down list (``<select>``).
    default : optional
        The initial position, one of ``values``; the first one when omitted.
    label : str, optional
        Shown next to the control; ``name`` when omitted.
    fmt : str or callable, optional
        Turns a value into the text shown for it: a format string such as ``"{:.2f}"`` or a
        function; ``str`` (``"{:g}"`` for numbers) when omitted.

    Attributes
    ----------
    name, label : str
    values : tuple, length n
    labels : tuple of str, length n
        The text shown for each value.
    default_index : int
        ``values.index(default)``.
    kind : {"range", "select"}

    Raises
    ------
    TypeError
        If ``name`` or ``label`` is not a string, or ``fmt`` is neither a string nor callable.
    ValueError
        If ``name`` is not an identifier, ``values`` is empty or repeats a value, or
        ``default`` is not one of ``values``.
    """

    def __init__(self, name, values, default=None, label=None, fmt=None):
        if not isinstance(name, str):
            raise TypeError(f"name: expected a str, got {type(name).__name__}")
        if not _KEY.match(name):
            raise ValueError(f"name: expected a Python identifier, got {name!r}")
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"values ({name}): expected a sequence of positions, "
                            f"got {type(values).__name__}")
        values = tuple(values)
        if not values:
            raise ValueError(f"values ({name}): expected at least one position, got none")
        for i, v in enumerate(values):
            if any(_same(v, w) for w in values[:i]):
                raise ValueError(f"values ({name}): expected distinct positions, got {v!r} twice")
        if default is None:
            default_index = 0
        else:
            matches = [i for i, v in enumerate(values) if _same(v, default)]
            if not matches:
                raise ValueError(f"default ({name}): expected one of {values!r}, got {default!r}")
            default_index = matches[0]
        if label is None:
            label = name
        if not isinstance(label, str):
            raise TypeError(f"label ({name}): expected a str, got {type(label).__name__}")
        numeric = all(_is_number(v) for v in values)
        if fmt is None:
            fmt = "{:g}" if numeric else "{}"
        if isinstance(fmt, str):
            labels = tuple(fmt.format(v) for v in values)
        elif callable(fmt):
            labels = tuple(str(fmt(v)) for v in values)
        else:
            raise TypeError(f"fmt ({name}): expected a format string or a callable, "
                            f"got {type(fmt).__name__}")
        self.name, self.label, self.values, self.labels = name, label, values, labels
        self.default_index = default_index
        self.kind = "range" if numeric else "select"

    @property
    def default(self):
        """The initial value, ``values[default_index]``."""
        return self.values[self.default_index]

    def __len__(self):
        return len(self.values)

    def __repr__(self):
        return f"Control({self.name!r}, {self.values!r}, default={self.default!r})"


def _same(a, b):
    """Whether two control values are the same position: numbers by value (1 and 1.0 alike),
    anything else (strings, booleans, tuples) by type and value."""
    if _is_number(a) or _is_number(b):
        return _is_number(a) and _is_number(b) and a == b
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001 - values that cannot be compared are different
        return False


def _render(fig, dpi):
    """The figure's pixels at ``dpi``, an ndarray of uint8, shape (height, width, 3), drawn
    once by Agg (the frames are cropped afterwards, together, to what is not white)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.array(canvas.buffer_rgba())[..., :3]


def _crop_box(pixels, pad):
    """Smallest (top, bottom, left, right) box holding every non-white pixel of the given
    equally sized frames, widened by ``pad`` pixels (the inline backend's bbox "tight")."""
    ink = np.zeros(pixels[0].shape[:2], dtype=bool)
    for p in pixels:
        ink |= np.any(p != 255, axis=2)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return 0, ink.shape[0], 0, ink.shape[1]
    return (max(rows[0] - pad, 0), min(rows[-1] + 1 + pad, ink.shape[0]),
            max(cols[0] - pad, 0), min(cols[-1] + 1 + pad, ink.shape[1]))


def _encode(pixels, colors):
    """PNG bytes of an RGB frame, reduced to ``colors`` colours (None: full colour)."""
    from PIL import Image

    image = Image.fromarray(pixels, "RGB")
    if colors is not None:
        image = image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE,
                               dither=Image.Dither.NONE)
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _data_uri(png):
    return "data:image/png;base64," + b64encode(png).decode("ascii")


class HTMLExplorer:
    """Frames of a figure over a grid of control positions, shown as HTML with controls.

    Made by :func:`html_explorer`. Frame ``i`` belongs to the ``i``-th combination of
    control positions in row-major order (the last control varies fastest), as
    ``itertools.product`` lists them.

    Attributes
    ----------
    name : str
        The ``data-explorer`` attribute of the HTML.
    controls : tuple of Control, length m
    alt : str
        Alternative text of the frame image (the values are appended to it).
    images : list of bytes
        The distinct PNG images; ``images[index[i]]`` is frame ``i``.
    index : list of int, length ``n_1 * ... * n_m``
    texts : list of str or None, length ``n_1 * ... * n_m``
        Text shown under frame ``i`` (None for none).
    size : (int, int)
        Width and height of every frame in pixels.
    live : str
        The line, in HTML, that says how to run the live version.
    """

    def __init__(self, name, controls, alt, images, index, texts, size, live):
        self.name, self.controls, self.alt = name, tuple(controls), alt
        self.images, self.index, self.texts = list(images), list(index), list(texts)
        self.size, self.live = tuple(size), live

    def __len__(self):
        return len(self.index)

    @property
    def shape(self):
        """Number of positions of each control, a tuple of int of length m."""
        return tuple(len(c) for c in self.controls)

    def frame_number(self, **values):
        """Number of the frame shown for the given values (missing controls: their default).

        Raises
        ------
        TypeError
            If a keyword names no control.
        ValueError
            If a value is not one of its control's positions.
        """
        names = [c.name for c in self.controls]
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise TypeError(f"values: expected keywords among {names}, got {unknown}")
        number = 0
        for c in self.controls:
            i = c.default_index
            if c.name in values:
                matches = [j for j, v in enumerate(c.values) if _same(v, values[c.name])]
                if not matches:
                    raise ValueError(f"{c.name}: expected one of {c.values!r}, "
                                     f"got {values[c.name]!r}")
                i = matches[0]
            number = number * len(c) + i
        return number

    def frame(self, **values):
        """PNG bytes of the frame for the given values (missing controls: their default)."""
        return self.images[self.index[self.frame_number(**values)]]

    def text(self, **values):
        """Text shown under the frame for the given values, or None."""
        return self.texts[self.frame_number(**values)]

    def to_html(self):
        """The explorer as one ``<div class="bpnet-explorer">`` (see EXPLORER_CONTRACT).

        Returns
        -------
        str
            Controls (hidden until ``bpnet-explorer.js`` shows them), the default frame as
            ``<img class="bpnet-explorer-frame">``, the frame's text if any, the other frames
            as a JSON list of data URIs (null in the default frame's place) in a
            ``<script type="application/json">``, and the line on running the live version.
        """
        esc = html.escape
        first = self.frame_number()
        rows = []
        for c in self.controls:
            ident = f"bpnet-{self.name}-{c.name}"
            if c.kind == "range":
                widget = (f'<input type="range" class="bpnet-explorer-control" id="{ident}" '
                          f'data-name="{esc(c.name)}" min="0" max="{len(c) - 1}" step="1" '
                          f'value="{c.default_index}" '
                          f'aria-valuetext="{esc(c.labels[c.default_index])}">'
                          f'<output class="bpnet-explorer-value" for="{ident}">'
                          f'{esc(c.labels[c.default_index])}</output>')
            else:
                options = "".join(
                    f'<option value="{i}"{" selected" if i == c.default_index else ""}>'
                    f"{esc(text)}</option>" for i, text in enumerate(c.labels))
                widget = (f'<select class="bpnet-explorer-control" id="{ident}" '
                          f'data-name="{esc(c.name)}">{options}</select>')
            rows.append(f'<div class="bpnet-explorer-field"><label class="bpnet-explorer-label" '
                        f'for="{ident}">{esc(c.label)}</label>{widget}</div>')
        payload = {
            "controls": [{"name": c.name, "label": c.label, "labels": list(c.labels)}
                         for c in self.controls],
            # The default frame is in the img already: its place here is null.
            "images": [None if k == self.index[first] else _data_uri(png)
                       for k, png in enumerate(self.images)],
            "index": self.index,
            "texts": self.texts if any(t is not None for t in self.texts) else None,
        }
        data = json.dumps(payload, separators=(",", ":")).replace("</", "<\\/")
        text = self.texts[first]
        text_html = (f'<pre class="bpnet-explorer-text">{esc(text)}</pre>'
                     if text is not None else "")
        w, h = self.size
        return (
            f'<div class="bpnet-explorer" data-explorer="{esc(self.name)}">'
            f'<div class="bpnet-explorer-controls" hidden>{"".join(rows)}</div>'
            f'<img class="bpnet-explorer-frame" src="{_data_uri(self.images[self.index[first]])}" '
            f'alt="{esc(self.alt)}" data-alt="{esc(self.alt)}" width="{w}" height="{h}">'
            f"{text_html}"
            f'<script type="application/json" class="bpnet-explorer-data">{data}</script>'
            f'<p class="bpnet-explorer-live">{self.live}</p>'
            "</div>"
        )

    def _repr_html_(self):
        return self.to_html()

    def __repr__(self):
        controls = ", ".join(f"{c.name}: {len(c)}" for c in self.controls)
        return (f"HTMLExplorer({self.name!r}, {{{controls}}}, {len(self)} frames, "
                f"{len(self.images)} distinct images, {len(self.to_html()):,} bytes of HTML)")


def html_explorer(name, draw, controls, alt, dpi=100, colors=256, max_frames=48, distinct=True,
                  live=None):
    """Draw a figure for every combination of control positions; return the HTML explorer.

    Parameters
    ----------
    name : str
        Lower-case letters, digits and hyphens: the ``data-explorer`` attribute, and part of
        the controls' HTML ids (so unique on a page).
    draw : callable
        ``draw(**values)`` with one keyword per control returns a matplotlib Figure, or a
        pair ``(Figure, str)`` whose text is shown under the frame in a ``<pre>``. The
        figure is closed after rendering.
    controls : sequence of Control, length m >= 1
        Distinct names.
    alt : str
        Alternative text of the frame image; the current values are appended to it.
    dpi : float, default 100
        Resolution of the frames (100 is that of the book's other figures).
    colors : int or None, default 256
        Colours per frame (2 to 256), None for full colour.
    max_frames : int, default 48
        Largest number of frames accepted (the product of the controls' lengths); every
        frame adds to the page's weight.
    distinct : bool, default True
        Require every frame to differ from every other (so that moving any control changes
        the picture); identical frames are stored once either way.
    live : str, optional
        The line (HTML) saying how to run the live version; :data:`LIVE_HINT` when omitted.

    Returns
    -------
    HTMLExplorer

    Raises
    ------
    TypeError
        If ``draw`` is not callable, ``controls`` holds something that is not a
        :class:`Control`, or ``draw`` returns no Figure.
    ValueError
        If ``name`` or ``alt`` is malformed, the control names repeat, ``dpi`` or ``colors``
        is out of range, the grid has more than ``max_frames`` frames, or, with
        ``distinct``, two frames are the same picture.
    """
    from matplotlib.figure import Figure

    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"name: expected lower-case letters, digits and hyphens, got {name!r}")
    if not callable(draw):
        raise TypeError(f"draw: expected a callable, got {type(draw).__name__}")
    if isinstance(controls, Control):
        controls = [controls]
    controls = list(controls)
    if not controls:
        raise ValueError("controls: expected at least one Control, got none")
    for c in controls:
        if not isinstance(c, Control):
            raise TypeError(f"controls: expected Control objects, got {type(c).__name__}")
    names = [c.name for c in controls]
    if len(set(names)) != len(names):
        raise ValueError(f"controls: expected distinct names, got {names}")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"alt: expected a non-empty description of the figure, got {alt!r}")
    if not _is_number(dpi) or not 10 <= dpi <= 400:
        raise ValueError(f"dpi: expected a number from 10 to 400, got {dpi!r}")
    if colors is not None and (isinstance(colors, bool) or not isinstance(colors, numbers.Integral)
                               or not 2 <= colors <= 256):
        raise ValueError(f"colors: expected an integer from 2 to 256 or None, got {colors!r}")
    n_frames = int(np.prod([len(c) for c in controls]))
    if n_frames > max_frames:
        raise ValueError(f"controls: expected at most max_frames = {max_frames} frames, got "
                         f"{' x '.join(str(len(c)) for c in controls)} = {n_frames}")
    if live is None:
        live = LIVE_HINT
    if not isinstance(live, str):
        raise TypeError(f"live: expected a str, got {type(live).__name__}")

    rendered, texts = [], []
    for combo in itertools.product(*(c.values for c in controls)):
        out = draw(**dict(zip(names, combo)))
        fig, text = out if isinstance(out, tuple) else (out, None)
        if not isinstance(fig, Figure):
            raise TypeError(f"draw: expected a matplotlib Figure or (Figure, str), got "
                            f"{type(out).__name__} for {dict(zip(names, combo))}")
        if text is not None and not isinstance(text, str):
            raise TypeError(f"draw: expected the text of (Figure, str) to be a str, got "
                            f"{type(text).__name__}")
        try:
            rendered.append(_render(fig, dpi))
        finally:
            plt.close(fig)
        texts.append(text)

    # Frames of equal figure size are cropped to one box, the union of their contents, so
    # that nothing shifts as the slider moves; frames of other sizes are then centred on one
    # canvas.
    boxes = {}
    for shape in {p.shape for p in rendered}:
        boxes[shape] = _crop_box([p for p in rendered if p.shape == shape], int(round(0.1 * dpi)))
    cropped = [p[boxes[p.shape][0]:boxes[p.shape][1], boxes[p.shape][2]:boxes[p.shape][3]]
               for p in rendered]
    height = max(p.shape[0] for p in cropped)
    width = max(p.shape[1] for p in cropped)
    images, index, seen = [], [], {}
    for p in cropped:
        if p.shape[:2] != (height, width):
            canvas = np.full((height, width, 3), 255, dtype=np.uint8)
            left = (width - p.shape[1]) // 2
            canvas[:p.shape[0], left:left + p.shape[1]] = p
            p = canvas
        png = _encode(p, colors)
        if png not in seen:
            seen[png] = len(images)
            images.append(png)
        elif distinct:
            combos = list(itertools.product(*(c.values for c in controls)))
            first = dict(zip(names, combos[index.index(seen[png])]))
            raise ValueError(f"controls: expected a different picture for every frame, got the "
                             f"same for {first} and {dict(zip(names, combos[len(index)]))}")
        index.append(seen[png])
    return HTMLExplorer(name, controls, alt, images, index, texts, (width, height), live)


# --- Frames shared with bpnet_lib.widgets ------------------------------------------------


def _quadratic_model_frame(f, grad, hess, x0, y0, radius, xlim, ylim):
    return plotting.plot_quadratic_model(f, grad, hess, (x0, y0), xlim=xlim, ylim=ylim,
                                         radius=radius)


def _descent_frame(f, grad_fn, theta0, lr, steps, xlim, ylim, minimum, grid, axis_labels):
    from .descent import gradient_descent

    path = gradient_descent(grad_fn, theta0, lr, steps)
    return plotting.plot_descent_paths(f, {f"lr = {lr:.2f}": path}, xlim, ylim,
                                       minimum=minimum, grid=grid, axis_labels=axis_labels)


def _activation_depth_frame(chosen, depth, scale, width, n_samples, seed, cache=None):
    cache = {} if cache is None else cache          # (activation, depth, scale) -> profile
    for name in chosen:
        if (name, depth, scale) not in cache:
            cache[name, depth, scale] = plotting.activation_depth_profile(
                name, depth=depth, width=width, n_samples=n_samples, scale=scale, seed=seed)
    return plotting.plot_depth_profile({name: cache[name, depth, scale] for name in chosen})


def _mlp_frame(ns, hidden, output, bias, N):
    """The network drawing and the table of its matrices' shapes, predicted and live."""
    from .bpnet import BPNet

    acts = [hidden] * (len(ns) - 2) + [output]
    with_bias = sum((a + 1) * b for a, b in zip(ns[:-1], ns[1:]))
    without = sum(a * b for a, b in zip(ns[:-1], ns[1:]))
    fig = plotting.plot_mlp(ns, bias=bias, activations=acts)
    fig.axes[0].set_title(f"{with_bias:,} parameters with biases, {without:,} without",
                          fontsize=10)
    net = BPNet(ns, acts, loss="cross_entropy" if output == "softmax" else "mse", rng=0)
    net.forward(np.random.default_rng(0).standard_normal((N, ns[0])))
    lines = [f"{'matrix':<16}{'predicted':>16}{'live':>16}", f"{'X = Y^(0)':<16}"
             f"{str((N, ns[0])):>16}{str(net.Y[0].shape):>16}"]
    for k in range(1, len(ns)):
        ones_Y = np.hstack([np.ones((N, 1)), net.Y[k - 1]])
        rows = [(f"B^({k})", (ns[k - 1] + 1, ns[k]), net.B[k - 1].shape),
                (f"[1, Y^({k - 1})]", (N, ns[k - 1] + 1), ones_Y.shape),
                (f"Z^({k})", (N, ns[k]), net.Z[k].shape),
                (f"Y^({k})", (N, ns[k]), net.Y[k].shape)]
        lines += [f"{name:<16}{str(p):>16}{str(s):>16}" + ("" if p == s else "  MISMATCH")
                  for name, p, s in rows]
    return fig, "\n".join(lines)


def _decision_region_frame(train, X, y, width, depth, activation):
    predict, acc = train(X, y, width, depth, activation)
    return plotting.plot_decision_regions(
        predict, X, y, title=f"{depth} x {width} {activation}: training accuracy {acc:.1%}"
    )


def _init_frame(chosen_activations, chosen_inits, depth, scale, widths, width, n_samples, seed):
    if widths == "alternating":
        pattern = [width if k % 2 == 0 else max(1, width // 4) for k in range(depth + 1)]
    else:
        pattern = width
    stats = {
        f"{a} + {i}": plotting.init_depth_statistics(a, i, depth=depth, width=pattern,
                                                     n_samples=n_samples, scale=scale, seed=seed)
        for a in chosen_activations for i in chosen_inits
    }
    if not stats:
        return None
    return plotting.plot_init_statistics(stats)


def _conv_output_size(n, k, stride, p):
    return (n + 2 * p - k) // stride + 1


def _rnn_setup(M, N, seed, T_max=120, D=4):
    """The fixed parts of the RNN explorer: an orthogonal Q (M, M), inputs (N, T_max, D), W_x
    directions (D, M), drawn in this order from ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((M, M)))
    X = rng.standard_normal((N, T_max, D))
    Wx_unit = rng.standard_normal((D, M))
    return Q, X, Wx_unit


def _rnn_frame(setup, rho, input_scale, T):
    from . import rnn

    Q, X, Wx_unit = setup
    N, M = X.shape[0], Q.shape[0]
    _, cache = rnn.rnn_forward(X[:, :T], np.zeros((N, M)), input_scale * Wx_unit, rho * Q,
                               np.zeros(M))
    distance = np.arange(T + 1)
    label = rf"$\rho = {rho:g}$"
    return plotting.plot_gradient_norms(
        distance, {label: rnn.jacobian_product_norms(cache).mean(axis=1)},
        {label: rho ** distance.astype(float)},
        ylabel=r"$\|\partial h_T / \partial h_t\|_2$ (mean)")


# --- The book's explorers -------------------------------------------------------------------


def _with(values, value, name):
    """``values`` as a sorted tuple that contains ``value`` (the live explorer's start)."""
    values = tuple(values)
    if not values:
        raise ValueError(f"{name}: expected at least one value, got none")
    if not any(_same(v, value) for v in values):
        values = values + (value,)
    return tuple(sorted(values)) if all(_is_number(v) for v in values) else values


def quadratic_model_explorer(f, grad, hess, xlim=(-3.0, 3.0), ylim=(-3.0, 3.0),
                             start=(0.5, 0.5), radius=1.0, x0s=None, y0s=None):
    """Precomputed frames of :func:`bpnet_lib.widgets.quadratic_model_explorer`.

    Parameters
    ----------
    f, grad, hess, xlim, ylim, start, radius
        As in :func:`bpnet_lib.widgets.quadratic_model_explorer`; the radius is fixed.
    x0s, y0s : sequence of float, optional
        Positions of the x0 and y0 sliders; ``start`` is added if missing. Default: five
        points spread over the inner 80 % of the window.

    Returns
    -------
    HTMLExplorer
        Sliders x0 and y0; ``len(x0s) * len(y0s)`` frames.
    """
    def spread(lim):
        a, b = lim
        return tuple(np.round(np.linspace(a + 0.1 * (b - a), b - 0.1 * (b - a), 5), 2).tolist())

    x0s = _with(spread(xlim) if x0s is None else x0s, start[0], "x0s")
    y0s = _with(spread(ylim) if y0s is None else y0s, start[1], "y0s")
    return html_explorer(
        "quadratic-model",
        lambda x0, y0: _quadratic_model_frame(f, grad, hess, x0, y0, radius, xlim, ylim),
        [Control("x0", x0s, default=start[0]), Control("y0", y0s, default=start[1])],
        alt="Contours of f with its quadratic model (dashed) in a disc around the point "
            "(x0, y0), and the gradient there")


def descent_explorer(f, grad_fn, theta0, xlim, ylim, minimum=None, lr=0.5, steps=30,
                     axis_labels=(r"$\theta_1$", r"$\theta_2$"), lrs=(0.05, 0.5, 1.0, 2.0),
                     step_counts=(5, 10, 30, 100)):
    """Precomputed frames of :func:`bpnet_lib.widgets.descent_explorer`.

    Parameters
    ----------
    f, grad_fn, theta0, xlim, ylim, minimum, lr, steps, axis_labels
        As in :func:`bpnet_lib.widgets.descent_explorer`.
    lrs : sequence of float
        Positions of the learning-rate slider; ``lr`` is added if missing.
    step_counts : sequence of int
        Positions of the steps slider; ``steps`` is added if missing.

    Returns
    -------
    HTMLExplorer
        Sliders lr and steps; ``len(lrs) * len(step_counts)`` frames. The contours are
        computed once.
    """
    grid = plotting.grid_2d(f, xlim, ylim, n=121)
    return html_explorer(
        "descent",
        lambda lr, steps: _descent_frame(f, grad_fn, theta0, lr, steps, xlim, ylim, minimum,
                                         grid, axis_labels),
        [Control("lr", _with(lrs, lr, "lrs"), default=lr, label="learning rate"),
         Control("steps", _with(step_counts, steps, "step_counts"), default=steps)],
        alt="Contours of the loss with the path of gradient descent from the starting point")


def softmax_cross_entropy_explorer(z=(2.0, 1.0, 0.1, -1.0), label=0,
                                   shifts=(-4.0, -2.0, 0.0, 2.0, 4.0, 8.0)):
    """Precomputed frames of :func:`bpnet_lib.widgets.softmax_cross_entropy_explorer`.

    The live explorer has one slider per logit; here the logits are ``z`` except the true
    class's, which is moved by a shift.

    Parameters
    ----------
    z : sequence of float, length K
        The logits at shift 0.
    label : int
        Initial true class, in ``0..K-1``; the label slider offers every class.
    shifts : sequence of float
        Positions of the slider that adds a shift to the true class's logit; 0 is added if
        missing.

    Returns
    -------
    HTMLExplorer
        Sliders label and shift; ``K * len(shifts)`` frames.
    """
    z = np.asarray(z, dtype=float)
    if z.ndim != 1 or len(z) < 2:
        raise ValueError(f"z: expected at least two logits in a flat sequence, got shape {z.shape}")
    K = len(z)
    if isinstance(label, bool) or not isinstance(label, numbers.Integral) or not 0 <= label < K:
        raise ValueError(f"label: expected an integer in 0..{K - 1}, got {label!r}")

    def draw(label, shift):
        logits = z.copy()
        logits[label] += shift
        return plotting.plot_softmax_cross_entropy(logits, label)

    return html_explorer(
        "softmax-cross-entropy", draw,
        [Control("label", tuple(range(K)), default=int(label), label="true class y"),
         Control("shift", _with(shifts, 0.0, "shifts"), default=0.0, label="shift of z_y",
                 fmt="{:+g}")],
        alt="Bar charts of the logits, the softmax probabilities with the one-hot target, "
            "and the cross-entropy gradient p - e_y")


def activation_depth_explorer(activations=("sigmoid", "tanh", "relu"), depth=20, scale=1.0,
                              width=128, n_samples=256, seed=0, depths=(5, 10, 20, 40, 60),
                              scales=(0.5, 1.0, 2.0), extra=("elu",)):
    """Precomputed frames of :func:`bpnet_lib.widgets.activation_depth_explorer`.

    Parameters
    ----------
    activations, depth, scale, width, n_samples, seed
        As in :func:`bpnet_lib.widgets.activation_depth_explorer`.
    depths, scales : sequence
        Positions of the depth and weight-scale sliders; ``depth`` and ``scale`` are added if
        missing.
    extra : sequence of str
        Activations a drop-down list can add to ``activations`` (one choice per extra, plus
        none); empty for no list.

    Returns
    -------
    HTMLExplorer
        ``len(depths) * len(scales) * (1 + len(extra))`` frames; each profile is computed
        once.
    """
    sets = [tuple(activations)] + [tuple(activations) + (e,) for e in extra]
    options = {", ".join(s): s for s in sets}
    cache = {}
    controls = [Control("depth", _with(depths, depth, "depths"), default=depth),
                Control("scale", _with(scales, scale, "scales"), default=scale,
                        label="weight scale")]
    if extra:
        controls.insert(0, Control("chosen", tuple(options), label="activations"))
    return html_explorer(
        "activation-depth",
        lambda depth, scale, chosen=", ".join(sets[0]): _activation_depth_frame(
            options[chosen], depth, scale, width, n_samples, seed, cache),
        controls,
        alt="Per-layer activation quantiles (left) and weight-gradient sizes (right) of a "
            "deep stack for each activation")


def mlp_explorer(widths=(3, 4, 2), hidden="relu", output="softmax", N=5,
                 width_options=((3, 4, 2), (2, 3, 3, 1), (64, 10)), biases=(True, False)):
    """Precomputed frames of :func:`bpnet_lib.widgets.mlp_explorer`.

    The live explorer takes any widths typed into a text box; here they are chosen from a
    list. Under each frame is the table of shapes, predicted and live, that the live
    explorer prints, for the batch size ``N``.

    Parameters
    ----------
    widths, hidden, output, N
        As in :func:`bpnet_lib.widgets.mlp_explorer`; the activations and the batch size
        are fixed.
    width_options : sequence of sequence of int
        The networks offered; ``widths`` is put first if missing.
    biases : sequence of bool
        Choices of drawing the bias nodes.

    Returns
    -------
    HTMLExplorer
        ``len(width_options) * len(biases)`` frames.
    """
    options = [tuple(int(n) for n in widths)]
    options += [tuple(int(n) for n in w) for w in width_options if tuple(w) != options[0]]
    for ns in options:
        if len(ns) < 2 or min(ns) < 1:
            raise ValueError(f"widths: expected at least two positive integers, got {ns}")
    return html_explorer(
        "mlp",
        lambda widths, bias: _mlp_frame(widths, hidden, output, bias, N),
        [Control("widths", tuple(options), fmt=lambda w: " → ".join(map(str, w))),
         Control("bias", tuple(biases), label="bias nodes",
                 fmt=lambda b: "drawn" if b else "not drawn")],
        alt="The network's layers as columns of units, with the shape of each matrix B^(k)")


def decision_region_explorer(train, datasets, width=8, depth=2, activation="relu",
                             activations=("relu", "tanh", "identity"), widths=(8, 32),
                             depths=(1, 3)):
    """Precomputed frames of :func:`bpnet_lib.widgets.decision_region_explorer`.

    Parameters
    ----------
    train, datasets, width, depth, activation, activations
        As in :func:`bpnet_lib.widgets.decision_region_explorer`; every frame trains a
        network.
    widths, depths : sequence of int
        Positions of the width and depth sliders; ``width`` and ``depth`` are added if
        missing.

    Returns
    -------
    HTMLExplorer
        ``len(datasets) * len(widths) * len(depths) * len(activations)`` frames.
    """
    if not datasets:
        raise ValueError("datasets: expected at least one name -> (X, y) pair, got none")
    if activation not in activations:
        raise ValueError(f"activation: expected one of {tuple(activations)}, got {activation!r}")
    return html_explorer(
        "decision-regions",
        lambda dataset, width, depth, activation: _decision_region_frame(
            train, *datasets[dataset], width, depth, activation),
        [Control("dataset", tuple(datasets), label="data"),
         Control("width", _with(widths, width, "widths"), default=width),
         Control("depth", _with(depths, depth, "depths"), default=depth),
         Control("activation", tuple(activations), default=activation)],
        alt="The plane coloured by the trained network's predicted class, with the training "
            "points on top")


def init_explorer(inits=("lecun", "glorot", "he"), activations=("relu", "tanh", "sigmoid"),
                  activation="relu", depth=20, scale=1.0, width=256, n_samples=512, seed=0,
                  scales=(0.5, 0.71, 1.0, 1.41, 2.0), widths=("constant", "alternating")):
    """Precomputed frames of :func:`bpnet_lib.widgets.init_explorer`.

    Each frame shows every scheme of ``inits`` for one activation.

    Parameters
    ----------
    inits : sequence of str
        The schemes drawn in every frame.
    activations : sequence of str
        The choices of the activation list.
    activation : str
        The initial activation, one of ``activations``.
    depth, scale, width, n_samples, seed
        As in :func:`bpnet_lib.widgets.init_explorer`; the depth is fixed.
    scales : sequence of float
        Positions of the weight-scale slider; ``scale`` is added if missing.
    widths : sequence of {"constant", "alternating"}
        Choices of the widths list.

    Returns
    -------
    HTMLExplorer
        ``len(activations) * len(scales) * len(widths)`` frames.
    """
    if activation not in activations:
        raise ValueError(f"activation: expected one of {tuple(activations)}, got {activation!r}")
    if not inits:
        raise ValueError("inits: expected at least one scheme, got none")
    return html_explorer(
        "init",
        lambda activation, scale, widths: _init_frame((activation,), inits, depth, scale,
                                                      widths, width, n_samples, seed),
        [Control("activation", tuple(activations), default=activation),
         Control("scale", _with(scales, scale, "scales"), default=scale, label="weight scale"),
         Control("widths", tuple(widths))],
        alt="Standard deviation of the pre-activations (left) and of their gradients (right), "
            "layer by layer, for each initialisation scheme")


def backward_pass_explorer(dZ, dB, step=1):
    r"""Precomputed frames of :func:`bpnet_lib.widgets.backward_pass_explorer`.

    Parameters
    ----------
    dZ, dB, step
        As in :func:`bpnet_lib.widgets.backward_pass_explorer`.

    Returns
    -------
    HTMLExplorer
        One slider, layers done, from 1 to :math:`l`; :math:`l` frames.
    """
    L = len(dZ)
    return html_explorer(
        "backward-pass",
        lambda step: plotting.plot_backward_pass(dZ, dB, step=step),
        [Control("step", tuple(range(1, L + 1)), default=step, label="layers done")],
        alt="Heat maps of dZ^(k) (top) and dB^(k) (bottom), filled in from the output layer "
            "towards the input")


def conv_geometry_explorer(n_h=7, n_w=7, kh=3, kw=3, stride=2, padding=1, follow="output",
                           pos=(0, 0)):
    r"""Precomputed frames of :func:`bpnet_lib.widgets.conv_geometry_explorer`.

    The sizes are fixed; two sliders move one position, every one the layer has.

    Parameters
    ----------
    n_h, n_w, kh, kw, stride, padding : int
        As in :func:`bpnet_lib.widgets.conv_geometry_explorer`.
    follow : {"output", "input"}
        Follow an output position :math:`(u', v')` and its receptive field (the live
        explorer's "forward"), or an input position :math:`(u, v)` and the outputs that
        read it ("backward").
    pos : (int, int)
        The initial position.

    Returns
    -------
    HTMLExplorer
        :math:`n_h' n_w'` frames for an output, :math:`n_h n_w` for an input.
    """
    if follow not in ("output", "input"):
        raise ValueError(f"follow: expected 'output' or 'input', got {follow!r}")
    out_h = _conv_output_size(n_h, kh, stride, padding)
    out_w = _conv_output_size(n_w, kw, stride, padding)
    if out_h < 1 or out_w < 1:
        raise ValueError(f"kh, kw: the {kh} x {kw} kernel does not fit in the padded "
                         f"{n_h + 2 * padding} x {n_w + 2 * padding} input")
    rows, cols = (out_h, out_w) if follow == "output" else (n_h, n_w)
    if not (0 <= pos[0] < rows and 0 <= pos[1] < cols):
        raise ValueError(f"pos: expected a position in the {rows} x {cols} {follow}, got {pos}")
    key = "out_pos" if follow == "output" else "in_pos"
    mark = "'" if follow == "output" else ""
    return html_explorer(
        f"conv-geometry-{follow}",
        lambda row, col: plotting.plot_conv_geometry(n_h, n_w, kh, kw, stride, padding,
                                                     **{key: (row, col)}),
        [Control("row", tuple(range(rows)), default=pos[0], label=f"{follow} row u{mark}"),
         Control("col", tuple(range(cols)), default=pos[1], label=f"{follow} col v{mark}")],
        alt=("The padded input, the kernel and the output; the output position and its "
             "receptive field are highlighted" if follow == "output" else
             "The padded input, the kernel and the output; the input position, the outputs "
             "that read it and the kernel entries it is read through are highlighted"))


def rnn_gradient_explorer(rho=1.0, input_scale=0.15, T=60, M=32, N=16, seed=0,
                          rhos=(0.5, 0.9, 1.0, 1.1, 1.5, 2.0),
                          input_scales=(0.0, 0.15, 0.5, 1.0, 2.0)):
    r"""Precomputed frames of :func:`bpnet_lib.widgets.rnn_gradient_explorer`.

    Parameters
    ----------
    rho, input_scale, T, M, N, seed
        As in :func:`bpnet_lib.widgets.rnn_gradient_explorer` (same :math:`Q`, inputs and
        :math:`W_x` directions); the sequence length is fixed.
    rhos, input_scales : sequence of float
        Positions of the two sliders; ``rho`` and ``input_scale`` are added if missing.

    Returns
    -------
    HTMLExplorer
        ``len(rhos) * len(input_scales)`` frames.
    """
    setup = _rnn_setup(M, N, seed)
    if not 1 <= T <= setup[1].shape[1]:
        raise ValueError(f"T: expected an integer from 1 to {setup[1].shape[1]}, got {T!r}")
    return html_explorer(
        "rnn-gradient",
        lambda rho, input_scale: _rnn_frame(setup, rho, input_scale, T),
        [Control("rho", _with(rhos, rho, "rhos"), default=rho, label="ρ"),
         Control("input_scale", _with(input_scales, input_scale, "input_scales"),
                 default=input_scale, label="input scale")],
        alt="Mean norm of the Jacobian product from step t to step T against T - t, on a log "
            "scale, with the bound rho^(T - t)")
