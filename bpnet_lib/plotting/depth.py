"""Figures of activation functions and of what depth does to signals: activations and their
derivatives, forward/backward signal profiles through deep stacks, and the statistics of
initialisation schemes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "plot_functions_and_derivatives",
    "activation_depth_profile",
    "plot_depth_profile",
    "init_depth_statistics",
    "plot_init_statistics",
]


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
        Where to draw; a new 6.7 x 3 inch figure with two panels when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(6.7, 3.0))
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
    axes[0].legend(loc="upper left")
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
    :math:`\mathrm{d}Y^{(l)}` (the loss :math:`J = \sum \mathrm{d}Y^{(l)} \odot Y^{(l)}`) and
    runs the matching backwards. The input has i.i.d. standard-normal entries and
    the weights are drawn as

    .. math::
        W^{(k)}_{ij} \sim \mathcal{N}\!\Big(0,\ \frac{(\text{scale} \cdot \text{gain})^2}{n}\Big),

    with ``n = width`` and the gain 1 for sigmoid and tanh and :math:`\sqrt 2` for ReLU
    and ELU. For tanh that is LeCun's variance :math:`1/n` (and Glorot and Bengio's for
    a square layer), for ReLU He's :math:`2/n`. The sigmoid gets tanh's variance so that
    the two stacks share their weights; its recommended scale is 4 (Bengio 2012), since
    its slope at 0 is 1/4. Everything comes from one generator seeded by ``seed``, so two
    activations with the same seed get the same weights up to the gain.

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
        Multiplies the standard deviation of every weight; 1 is the recommended one for
        tanh and ReLU (4 for the sigmoid, see above).
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    dict
        ``"quantiles"``: ndarray, shape (depth, 3), the 5th, 50th and 95th percentiles of
        the entries of :math:`Y^{(k)}`; ``"grad_W"``: ndarray, shape (depth,), the root mean
        square of :math:`\mathrm{d}W^{(k)} = \partial J / \partial W^{(k)}`; ``"grad_Z"``:
        ndarray, shape (depth,), the Frobenius norm of :math:`\mathrm{d}Z^{(k)}`; ``"W_norm"``:
        ndarray, shape (depth,), the spectral norm :math:`\lVert W^{(k)} \rVert_2`;
        ``"max_slope"``: float, :math:`\sup_z |g'(z)|`.
    """
    from .. import layers

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
        Where to draw; a new 6.7 x 3.3 inch figure with two panels when omitted.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(6.7, 3.3))
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
    axes[0].set_title("forward: activations $Y^{(k)}$\n(median, 5–95%)", fontsize=10)
    axes[0].set_ylabel("activation value")
    axes[1].set_title("backward: RMS of $\\mathrm{d}W^{(k)}$\n", fontsize=10)
    axes[1].set_ylabel("gradient size (log scale)")
    for ax in axes:
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.set_xlabel("layer $k$ (input side on the left)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


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
    from .. import network

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
    :math:`\operatorname{std}(\mathrm{d}Z^{(k)})`, both against the layer
    :math:`k`. A flat line is a signal that neither vanishes nor explodes; a grey line marks
    a standard deviation of 1 for reference.

    Parameters
    ----------
    stats : dict of str to dict
        Label to the result of :func:`init_depth_statistics`.
    axes : sequence of 2 matplotlib.axes.Axes, optional
        Where to draw; a new 6.7 x 3.8 inch figure with two panels and the legend below them
        when omitted (otherwise the legend goes right of the second panel).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    own = axes is None
    if own:
        fig, axes = plt.subplots(1, 2, figsize=(6.7, 3.8), layout="constrained")
    else:
        fig = axes[0].figure
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, s) in enumerate(stats.items()):
        colour = colours[i % len(colours)]
        layer = np.arange(1, len(s["z_std"]) + 1)
        axes[0].semilogy(layer, s["z_std"], "o-", ms=3, color=colour, label=label)
        axes[1].semilogy(layer, s["grad_std"], "o-", ms=3, color=colour, label=label)
    axes[0].set_title(r"forward: std of $Z^{(k)}$")
    axes[1].set_title(r"backward: std of $\mathrm{d}Z^{(k)}$")
    for i, ax in enumerate(axes):
        ax.axhline(1.0, color="gray", lw=0.8, label="std = 1 (reference)" if i == 1 else None)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.set_xlabel("layer $k$ (input side on the left)")
        ax.grid(True, which="major", alpha=0.3)
    if own:
        fig.legend(*axes[1].get_legend_handles_labels(), loc="outside lower center", ncol=3)
    else:
        axes[1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
        fig.tight_layout()
    return fig

