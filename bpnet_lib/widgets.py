"""Interactive explorers for the notebooks: thin ipywidgets wrappers over ``plotting``.

This is the only module that imports ipywidgets. Each explorer returns a widget
whose every frame is drawn by a function in :mod:`bpnet_lib.plotting`, through the
frame helpers it shares with :mod:`bpnet_lib.explorer_html`, so the precomputed
frames of the HTML book and the live explorer in Jupyter are the same picture.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt

from . import explorer_html as _frames
from . import plotting

__all__ = [
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


def quadratic_model_explorer(f, grad, hess, xlim=(-3.0, 3.0), ylim=(-3.0, 3.0),
                             start=(0.5, 0.5), radius=1.0):
    """Sliders for the expansion point of :func:`bpnet_lib.plotting.plot_quadratic_model`.

    Parameters
    ----------
    f, grad, hess : callable
        As in :func:`bpnet_lib.plotting.plot_quadratic_model`.
    xlim, ylim : tuple of float
        The plotting window and the slider ranges.
    start : tuple of float
        The initial point.
    radius : float
        Initial radius of the disc in which the model is drawn.

    Returns
    -------
    ipywidgets.interactive
        Display it (it is the last expression of a cell) to get the explorer.
    """
    def draw(x0, y0, radius):
        fig = _frames._quadratic_model_frame(f, grad, hess, x0, y0, radius, xlim, ylim)
        plt.show()
        plt.close(fig)

    slider = dict(step=0.05, continuous_update=False)
    return widgets.interactive(
        draw,
        x0=widgets.FloatSlider(value=start[0], min=xlim[0], max=xlim[1], description="x0", **slider),
        y0=widgets.FloatSlider(value=start[1], min=ylim[0], max=ylim[1], description="y0", **slider),
        radius=widgets.FloatSlider(value=radius, min=0.2, max=3.0, description="radius", **slider),
    )


def descent_explorer(f, grad_fn, theta0, xlim, ylim, minimum=None, lr=0.5,
                     lr_range=(0.05, 8.0), steps=30, max_steps=200,
                     axis_labels=(r"$\theta_1$", r"$\theta_2$")):
    """Sliders for the learning rate and the number of steps of gradient descent.

    Every frame runs :func:`bpnet_lib.descent.gradient_descent` from ``theta0``
    and draws the path with :func:`bpnet_lib.plotting.plot_descent_paths`; the
    contours are computed once.

    Parameters
    ----------
    f : callable
        ``f(a, b)``, elementwise on arrays: the function whose contours are drawn.
    grad_fn : callable
        ``grad_fn(theta)`` for ``theta`` of shape (2,), returning shape (2,).
    theta0 : array_like, shape (2,)
        The starting point.
    xlim, ylim : tuple of float
        The plotting window.
    minimum : array_like, shape (2,), optional
        The minimiser, marked with a star.
    lr : float
        Initial learning rate.
    lr_range : tuple of float
        Range of the learning-rate slider.
    steps, max_steps : int
        Initial number of steps and the slider's maximum.
    axis_labels : tuple of str

    Returns
    -------
    ipywidgets.interactive
        Display it (it is the last expression of a cell) to get the explorer.
    """
    grid = plotting.grid_2d(f, xlim, ylim, n=121)

    def draw(lr, steps):
        fig = _frames._descent_frame(f, grad_fn, theta0, lr, steps, xlim, ylim, minimum, grid,
                                     axis_labels)
        plt.show()
        plt.close(fig)

    return widgets.interactive(
        draw,
        lr=widgets.FloatSlider(value=lr, min=lr_range[0], max=lr_range[1], step=0.05,
                               description="lr", continuous_update=False),
        steps=widgets.IntSlider(value=steps, min=0, max=max_steps, step=1,
                                description="steps", continuous_update=False),
    )


def softmax_cross_entropy_explorer(z=(2.0, 1.0, 0.1, -1.0), label=0, zlim=(-8.0, 8.0)):
    """Sliders for the logits and the true class of :func:`bpnet_lib.plotting.plot_softmax_cross_entropy`.

    Parameters
    ----------
    z : sequence of float, length K
        Initial logits; one slider per class.
    label : int
        Initial true class, in ``0..K-1``.
    zlim : tuple of float
        Range of the logit sliders.

    Returns
    -------
    ipywidgets.interactive
        Display it (it is the last expression of a cell) to get the explorer.
    """
    K = len(z)

    def draw(label, **logits):
        values = [logits[f"z{k}"] for k in range(K)]
        fig = plotting.plot_softmax_cross_entropy(values, label)
        plt.show()
        plt.close(fig)

    sliders = {
        f"z{k}": widgets.FloatSlider(value=float(v), min=zlim[0], max=zlim[1], step=0.1,
                                     description=f"z{k}", continuous_update=False)
        for k, v in enumerate(z)
    }
    return widgets.interactive(
        draw,
        label=widgets.IntSlider(value=label, min=0, max=K - 1, description="label",
                                continuous_update=False),
        **sliders,
    )


def activation_depth_explorer(activations=("sigmoid", "tanh", "relu"), depth=20, scale=1.0,
                              width=128, n_samples=256, seed=0):
    """Pick activations, a depth and a weight scale; see signals and gradients per layer.

    Every frame runs :func:`bpnet_lib.plotting.activation_depth_profile` for each chosen
    activation and draws the results with :func:`bpnet_lib.plotting.plot_depth_profile`.

    Parameters
    ----------
    activations : sequence of str
        Initially selected activations, from ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"elu"``.
    depth : int
        Initial number of layers (slider from 2 to 60).
    scale : float
        Initial factor on the weight standard deviation of
        :func:`bpnet_lib.plotting.activation_depth_profile` (the recommended one for tanh and
        ReLU, tanh's for the sigmoid; slider from 1/4 to 4).
    width, n_samples, seed : int
        As in :func:`bpnet_lib.plotting.activation_depth_profile`; fixed.

    Returns
    -------
    ipywidgets.interactive
        Display it (it is the last expression of a cell) to get the explorer.
    """
    def draw(chosen, depth, scale):
        fig = _frames._activation_depth_frame(chosen, depth, scale, width, n_samples, seed)
        plt.show()
        plt.close(fig)

    return widgets.interactive(
        draw,
        chosen=widgets.SelectMultiple(options=["sigmoid", "tanh", "relu", "elu"],
                                      value=tuple(activations), description="activations"),
        depth=widgets.IntSlider(value=depth, min=2, max=60, description="depth",
                                continuous_update=False),
        scale=widgets.FloatLogSlider(value=scale, base=2, min=-2, max=2, step=0.25,
                                     description="weight scale", continuous_update=False),
    )


def mlp_explorer(widths=(3, 4, 2), hidden="relu", output="softmax", bias=True, N=5):
    """Type the widths of a network and pick its activations; see it, its shapes and its size.

    Every frame draws the network with :func:`bpnet_lib.plotting.plot_mlp`, builds a live
    :class:`bpnet_lib.bpnet.BPNet` with those widths, runs its forward pass on a seeded
    batch of ``N`` rows, and prints the shape of every matrix it holds next to the shape
    the notation predicts, with the parameter count with and without biases.

    Parameters
    ----------
    widths : sequence of int
        Initial :math:`n_0, \\dots, n_l` (typed as ``3, 4, 2`` in the text box).
    hidden : str
        Initial activation of the hidden layers: ``"relu"``, ``"sigmoid"``, ``"tanh"``,
        ``"elu"`` or ``"identity"``.
    output : str
        Initial output activation: ``"softmax"``, ``"sigmoid"``, ``"relu"`` or
        ``"identity"``.
    bias : bool
        Initially draw the bias nodes.
    N : int
        Initial batch size (slider from 1 to 64).

    Returns
    -------
    ipywidgets.interactive
        Display it (it is the last expression of a cell) to get the explorer.
    """
    def draw(widths_text, hidden, output, bias, N):
        try:
            ns = [int(t) for t in widths_text.replace(",", " ").split()]
            if len(ns) < 2 or min(ns) < 1:
                raise ValueError
        except ValueError:
            print(f"widths: expected at least two positive integers such as '3, 4, 2', "
                  f"got {widths_text!r}")
            return
        fig, table = _frames._mlp_frame(ns, hidden, output, bias, N)
        plt.show()
        plt.close(fig)
        print(table)

    return widgets.interactive(
        draw,
        widths_text=widgets.Text(value=", ".join(str(n) for n in widths), description="widths",
                                 continuous_update=False),
        hidden=widgets.Dropdown(options=["relu", "sigmoid", "tanh", "elu", "identity"],
                                value=hidden, description="hidden g"),
        output=widgets.Dropdown(options=["softmax", "sigmoid", "relu", "identity"],
                                value=output, description="output g"),
        bias=widgets.Checkbox(value=bias, description="bias nodes"),
        N=widgets.IntSlider(value=N, min=1, max=64, description="batch N",
                            continuous_update=False),
    )


def decision_region_explorer(train, datasets, width=8, depth=2, activation="relu",
                             activations=("relu", "tanh", "identity"), max_width=64,
                             max_depth=4):
    """Choose a data set, a hidden width, a depth and an activation; see what a net learns.

    Every change calls ``train`` and draws the trained classifier's decision regions with
    :func:`bpnet_lib.plotting.plot_decision_regions`.

    Parameters
    ----------
    train : callable
        ``train(X, y, width, depth, activation) -> (predict, accuracy)``: trains a network
        with ``depth`` hidden layers of ``width`` units and returns its ``predict``
        function (points (n, 2) -> labels (n,)) and its training accuracy.
    datasets : dict of str to (X, y)
        The data sets to choose from, each with ``X`` of shape (N, 2) and labels ``y`` (N,).
    width, depth : int
        Initial hidden width (slider 1..``max_width``) and number of hidden layers
        (slider 0..``max_depth``; 0 is an affine classifier).
    activation : str
        Initial activation, one of ``activations``.
    activations : sequence of str
        The choices offered; ``train`` must understand each.
    max_width, max_depth : int
        Slider maxima.

    Returns
    -------
    ipywidgets.interactive
        Display it (it is the last expression of a cell) to get the explorer.
    """
    if not datasets:
        raise ValueError("datasets: expected at least one name -> (X, y) pair, got none")

    def draw(dataset, width, depth, activation):
        fig = _frames._decision_region_frame(train, *datasets[dataset], width, depth, activation)
        plt.show()
        plt.close(fig)

    return widgets.interactive(
        draw,
        dataset=widgets.Dropdown(options=list(datasets), description="data"),
        width=widgets.IntSlider(value=width, min=1, max=max_width, description="width",
                                continuous_update=False),
        depth=widgets.IntSlider(value=depth, min=0, max=max_depth, description="depth",
                                continuous_update=False),
        activation=widgets.Dropdown(options=list(activations), value=activation,
                                    description="activation"),
    )


def init_explorer(activations=("relu",), inits=("lecun", "he"), depth=20, scale=1.0,
                  widths="constant", width=256, n_samples=512, seed=0):
    """Pick activations, initialisation schemes, depth and a weight scale; see each layer's spread.

    Every frame runs :func:`bpnet_lib.plotting.init_depth_statistics` for every chosen
    (activation, scheme) pair and draws them with
    :func:`bpnet_lib.plotting.plot_init_statistics`.

    Parameters
    ----------
    activations : sequence of str
        Initially selected activations, from ``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"elu"``.
    inits : sequence of str
        Initially selected schemes, from ``"lecun"``, ``"glorot"``, ``"he"``.
    depth : int
        Initial number of layers (slider from 2 to 50).
    scale : float
        Initial factor on every weight (slider from 1/4 to 4, log scale).
    widths : {"constant", "alternating"}
        Every layer ``width`` wide, or widths alternating between ``width`` and
        ``width // 4`` (where Glorot's scheme differs from LeCun's).
    width, n_samples, seed : int
        As in :func:`bpnet_lib.plotting.init_depth_statistics`; fixed.

    Returns
    -------
    ipywidgets.interactive
        Display it (it is the last expression of a cell) to get the explorer.
    """
    def draw(chosen_activations, chosen_inits, depth, scale, widths):
        fig = _frames._init_frame(chosen_activations, chosen_inits, depth, scale, widths, width,
                                  n_samples, seed)
        if fig is None:                                   # nothing chosen
            return
        plt.show()
        plt.close(fig)

    return widgets.interactive(
        draw,
        chosen_activations=widgets.SelectMultiple(
            options=["relu", "tanh", "sigmoid", "elu"], value=tuple(activations),
            description="activation"),
        chosen_inits=widgets.SelectMultiple(options=["lecun", "glorot", "he"], value=tuple(inits),
                                            description="init"),
        depth=widgets.IntSlider(value=depth, min=2, max=50, description="depth",
                                continuous_update=False),
        scale=widgets.FloatLogSlider(value=scale, base=2, min=-2, max=2, step=0.25,
                                     description="weight scale", continuous_update=False),
        widths=widgets.Dropdown(options=["constant", "alternating"], value=widths,
                                description="widths"),
    )


def backward_pass_explorer(dZ, dB, step=1):
    r"""Step through one backward pass layer by layer, from the output towards the input.

    Every frame is :func:`bpnet_lib.plotting.plot_backward_pass` after ``step`` layers: the
    heat maps of :math:`\mathrm{d}Z^{(k)}` and :math:`\partial J/\partial B^{(k)}` appear one layer at
    a time, in the order backpropagation computes them.

    Parameters
    ----------
    dZ : sequence of ndarray, length l
        ``dZ[k-1]`` is :math:`\mathrm{d}Z^{(k)}`, shape :math:`(N, n_k)`, e.g. ``net.dZ[1:]`` of a
        :class:`bpnet_lib.bpnet.BPNet` after ``backward``.
    dB : sequence of ndarray, length l
        ``dB[k-1]`` is :math:`\partial J/\partial B^{(k)}`, shape :math:`(n_{k-1}+1, n_k)`,
        e.g. ``net.dB``.
    step : int, default 1
        The initial number of layers done.

    Returns
    -------
    ipywidgets.interactive
        Display it (it is the last expression of a cell) to get the explorer.
    """
    L = len(dZ)

    def draw(step):
        fig = plotting.plot_backward_pass(dZ, dB, step=step)
        plt.show()
        plt.close(fig)

    return widgets.interactive(
        draw,
        step=widgets.IntSlider(value=step, min=1, max=L, description="layers done",
                               continuous_update=False),
    )


def conv_geometry_explorer(n_h=7, n_w=7, kh=3, kw=3, stride=2, padding=1, out_pos=(1, 1),
                           in_pos=(3, 3), forward=True, backward=False, max_size=12):
    r"""Choose a convolution's sizes, then an output and/or an input position to follow.

    Every frame is :func:`bpnet_lib.plotting.plot_conv_geometry`. With "forward" ticked,
    the output position :math:`(u', v')` is highlighted with its receptive field; with
    "backward" ticked, the input position :math:`(u, v)` is highlighted with every output
    that reads it and the kernel entry it is read through, the terms its gradient collects.
    The position sliders follow the sizes: their ranges shrink and grow with :math:`n_h'`,
    :math:`n_w'`, :math:`n_h` and :math:`n_w`.

    Parameters
    ----------
    n_h, n_w, kh, kw : int
        Initial input and kernel sizes (sliders from 1 to ``max_size`` and from 1 to 7).
    stride, padding : int
        Initial stride :math:`s_h = s_w` (1 to 4) and padding :math:`p` (0 to 3), the same
        for both axes.
    out_pos, in_pos : (int, int)
        Initial output and input positions.
    forward, backward : bool
        Which highlights are on at the start.
    max_size : int, default 12
        Largest input height and width offered.

    Returns
    -------
    ipywidgets.interactive
        Display it (it is the last expression of a cell) to get the explorer.
    """
    size = _frames._conv_output_size

    def slider(value, lo, hi, description):
        hi = max(hi, lo)
        return widgets.IntSlider(value=min(max(int(value), lo), hi), min=lo, max=hi,
                                 description=description, continuous_update=False)

    controls = dict(
        n_h=slider(n_h, 1, max_size, "n_h"), n_w=slider(n_w, 1, max_size, "n_w"),
        kh=slider(kh, 1, 7, "kh"), kw=slider(kw, 1, 7, "kw"),
        stride=slider(stride, 1, 4, "stride"), padding=slider(padding, 0, 3, "padding"),
        out_row=slider(out_pos[0], 0, max_size + 6, "out row u'"),
        out_col=slider(out_pos[1], 0, max_size + 6, "out col v'"),
        in_row=slider(in_pos[0], 0, max_size - 1, "in row u"),
        in_col=slider(in_pos[1], 0, max_size - 1, "in col v"),
        forward=widgets.Checkbox(value=bool(forward), description="forward: receptive field"),
        backward=widgets.Checkbox(value=bool(backward), description="backward: gradient of X"),
    )

    def sync(_=None):
        c = {k: w.value for k, w in controls.items()}
        out_h = size(c["n_h"], c["kh"], c["stride"], c["padding"])
        out_w = size(c["n_w"], c["kw"], c["stride"], c["padding"])
        for name, top in (("out_row", out_h - 1), ("out_col", out_w - 1), ("in_row", c["n_h"] - 1),
                          ("in_col", c["n_w"] - 1)):
            controls[name].max = max(top, 0)

    for name in ("n_h", "n_w", "kh", "kw", "stride", "padding"):
        controls[name].observe(sync, names="value")
    sync()

    def draw(n_h, n_w, kh, kw, stride, padding, out_row, out_col, in_row, in_col, forward, backward):
        out_h, out_w = size(n_h, kh, stride, padding), size(n_w, kw, stride, padding)
        if out_h < 1 or out_w < 1:
            print(f"The {kh} x {kw} kernel does not fit in the padded {n_h + 2 * padding} x "
                  f"{n_w + 2 * padding} input: (n_h + 2p - kh)//s_h + 1 x (n_w + 2p - kw)//s_w + 1 "
                  f"= {out_h} x {out_w}.")
            return
        out_pos = (min(out_row, out_h - 1), min(out_col, out_w - 1)) if forward else None
        in_pos = (min(in_row, n_h - 1), min(in_col, n_w - 1)) if backward else None
        fig = plotting.plot_conv_geometry(n_h, n_w, kh, kw, stride, padding, out_pos=out_pos,
                                          in_pos=in_pos)
        plt.show()
        plt.close(fig)

    return widgets.interactive(draw, **controls)


def rnn_gradient_explorer(rho=1.0, input_scale=0.15, T=60, M=32, N=16, seed=0):
    r"""How far back a gradient reaches in a tanh RNN, as the recurrent weights grow.

    Every frame runs :func:`bpnet_lib.rnn.rnn_forward` on ``N`` random sequences with
    :math:`W_h = \rho\,Q` (:math:`Q` a fixed random orthogonal matrix, so that every singular
    value of :math:`W_h` is :math:`\rho`) and input weights of scale ``input_scale``, and draws
    the mean of :func:`bpnet_lib.rnn.jacobian_product_norms` against the distance
    :math:`T - t` with the bound :math:`\lVert W_h\rVert_2^{T-t} = \rho^{T-t}`, by
    :func:`bpnet_lib.plotting.plot_gradient_norms`. Larger inputs push the units towards
    saturation, where :math:`1 - h^2` is small.

    Parameters
    ----------
    rho : float, default 1.0
        Initial scale of the recurrent matrix (its largest singular value).
    input_scale : float, default 0.15
        Initial standard deviation of the entries of :math:`W_x`.
    T : int, default 60
        Initial sequence length.
    M, N : int, default 32 and 16
        Hidden units (the hidden width :math:`M`) and number of sequences.
    seed : int, default 0
        Seeds :math:`Q`, :math:`W_x`'s directions and the inputs.

    Returns
    -------
    ipywidgets.interactive
        Display it (it is the last expression of a cell) to get the explorer.
    """
    setup = _frames._rnn_setup(M, N, seed)
    T_max = setup[1].shape[1]

    def draw(rho, input_scale, T):
        fig = _frames._rnn_frame(setup, rho, input_scale, T)
        plt.show()
        plt.close(fig)

    return widgets.interactive(
        draw,
        rho=widgets.FloatSlider(value=rho, min=0.5, max=2.5, step=0.05, description="rho",
                                continuous_update=False),
        input_scale=widgets.FloatSlider(value=input_scale, min=0.0, max=2.0, step=0.05,
                                        description="input scale", continuous_update=False),
        T=widgets.IntSlider(value=T, min=5, max=T_max, step=5, description="T",
                            continuous_update=False),
    )
