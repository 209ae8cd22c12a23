"""Every figure of the book is legible at the size the HTML book displays it.

What is measured. A figure is saved the way the inline backend saves it in the book (PNG,
``bbox_inches="tight"``, at the figure's dpi) while every ``Text.draw`` is recorded: tick
labels, titles, axis labels, annotations, legends, colour-bar labels, cell numbers -- every
non-empty visible text actually drawn. The book shows the PNG at its natural size in CSS
pixels (retina PNGs carry half their pixel width) unless it is wider than the content column,
which scales it down. So the smallest text is displayed at

    min_pt / 72 * dpi * min(1, COLUMN_PX / natural_px)   CSS pixels,

and the issue's acceptance is >= 9 px on a 1280 px page. (Nominal font sizes: the sub- and
superscripts of mathtext are drawn at about 70 %, as in any typeset formula.)

COLUMN_PX is measured, not assumed: the width of an ``<img>`` of a chapter's figure laid out
by headless Chromium at a 1280 px wide viewport, in the light and the dark theme (the dark
theme's padding around images is removed by _static/bpnet-figures.css, so both are 672 px).
At 390 px (a phone) the column is 342 px and every figure is shown at about half this size.

The cases mirror the chapters' calls (same shapes, label lengths and options, synthetic
numbers); the book-wide measurement of the executed chapters is described in the report of
issue 10. Before this test existed the worst figure was at 4.0 px (the convolution-geometry
grid) and 26 of 55 figures were below 9 px.
"""

import io
import struct

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from bpnet_lib import plotting  # noqa: E402
from bpnet_lib.plotting import _style  # noqa: E402
from bpnet_lib.train import History  # noqa: E402

#: The content column at 1280 px in CSS px (sphinx-book-theme 1.3, both sidebars shown),
#: measured in headless Chromium on the built book.
COLUMN_PX = 672
#: The acceptance of issue 10: no text smaller than this many CSS px at 1280 px.
MIN_PX = 9.0


def figure_text(fig, monkeypatch):
    """(smallest font size in pt, its text, natural width in CSS px) of ``fig`` as the book saves it."""
    drawn = []
    original = Text.draw

    def draw(self, renderer):
        if self.get_visible() and self.get_text().strip():
            drawn.append((float(self.get_fontsize()), self.get_text()))
        return original(self, renderer)

    monkeypatch.setattr(Text, "draw", draw)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", dpi=fig.dpi)
    monkeypatch.setattr(Text, "draw", original)
    data = buf.getvalue()
    width_px = struct.unpack(">I", data[16:20])[0]            # PNG IHDR: width, at fig.dpi
    assert drawn, "the figure draws no text"
    pt, text = min(drawn)
    return pt, text, width_px


def displayed_px(pt, dpi, natural_px, column_px=COLUMN_PX):
    return pt / 72 * dpi * min(1.0, column_px / natural_px)


# --- representative calls, one per figure kind, mirroring the chapters --------------------

RNG = np.random.default_rng(0)


def _history(epochs=15, val=True, best=None):
    h = History()
    h.loss = list(np.geomspace(2.0, 0.05, epochs))
    h.train_acc = list(np.linspace(0.3, 0.99, epochs))
    if val:
        h.val_loss = list(np.geomspace(2.1, 0.1, epochs))
        h.val_acc = list(np.linspace(0.3, 0.97, epochs))
    h.best_epoch = best
    return h


def _quad(a, b):
    return 0.5 * (3 * a**2 + 0.3 * b**2) + 0.4 * a * b


def _digits(m):
    return RNG.integers(0, 16, size=(m, 64)).astype(float)


def _xor():
    X = RNG.normal(size=(80, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


def _pooling_grid():
    """The figure cell of the pooling chapter: two window sizes, four panels each."""
    fig, axes = plt.subplots(4, 2, figsize=(5.2, 10.4))
    for row, (size, n) in enumerate([(2, 4), (3, 5)]):
        m = (n - size) // 2 + 1
        plotting.plot_pool_gradients(
            RNG.integers(0, 13, (n, n)), np.arange(1.0, m * m + 1).reshape(m, m),
            {r"max pooling: $\mathrm{d}X$": RNG.integers(0, 7, (n, n)),
             r"average pooling: $\mathrm{d}X$": RNG.integers(1, 10, (n, n)) / 9},
            size, 2, axes=axes[2 * row:2 * row + 2].ravel(), title=f"{size}x{size} windows, stride 2")
    return fig


CASES = {
    # part I
    "learning: loss curves, legend outside": lambda: plotting.plot_loss_curves(
        np.linspace(-2, 3, 50), {n: np.linspace(0, 4, 50) for n in
                                 ["0/1", "perceptron", "hinge", "logistic", "squared (regression)"]},
        xlabel=r"margin $\tilde y s$", ylim=(-0.1, 4.5), legend_outside=True),
    "learning: regression fits": lambda: plotting.plot_regression_fits(
        RNG.uniform(-1, 1, 15), RNG.normal(size=15), np.linspace(-1, 1, 100),
        {f"degree {d}": np.sin(3 * np.linspace(-1, 1, 100)) for d in (1, 3, 12)},
        target=np.sin(np.linspace(-1, 1, 100)), x_test=RNG.uniform(-1, 1, 40),
        y_test=RNG.normal(size=40), ylim=(-2.0, 2.0)),
    "learning: in/out error": lambda: plotting.plot_in_out_error(
        np.arange(13), np.geomspace(1, 0.01, 13), np.geomspace(1, 10, 13),
        xlabel="polynomial degree $d$", floor=0.09),
    "learning: descent paths": lambda: plotting.plot_descent_paths(
        _quad, {f"lr = {lr} (40 steps)": np.cumsum(RNG.normal(size=(40, 2)) * 0.05, 0)
                for lr in (0.03, 0.3, 0.6)}, (-2, 2), (-2, 2), minimum=(0, 0),
        axis_labels=("$w$", "$b$")),
    "chain rule: computational graph": lambda: plotting.plot_computational_graph(
        nodes={"$x$": (0, 0), "$z_1$": (2.2, 0.9), "$z_2$": (2.2, -0.9), "$f$": (4.4, 0)},
        edges=[("$x$", "$z_1$", "$2x$"), ("$x$", "$z_2$", "$e^x$"),
               ("$z_1$", "$f$", r"$z_2 + \cos z_1$"), ("$z_2$", "$f$", "$z_1$")],
        highlight=[["$x$", "$z_1$", "$f$"], ["$x$", "$z_2$", "$f$"]]),
    "chain rule: quadratic model": lambda: plotting.plot_quadratic_model(
        _quad, lambda a, b: (3 * a + 0.4 * b, 0.3 * b + 0.4 * a),
        lambda a, b: np.array([[3.0, 0.4], [0.4, 0.3]]), (0.8, -0.4)),
    "chain rule: error vs step": lambda: plotting.plot_error_vs_step(
        np.geomspace(1e-12, 1e-1, 23), {"forward difference": np.geomspace(1e-4, 1e-1, 23),
                                        "central difference": np.geomspace(1e-6, 1e-2, 23)},
        reference_slopes=[(1, r"$\epsilon$", "forward difference"),
                          (2, r"$\epsilon^2$", "central difference")]),
    # part II
    "forward: small MLP diagram": lambda: plotting.plot_mlp(
        [3, 4, 2], bias=True, activations=["sigmoid", "softmax"]),
    "forward: digits MLP diagram": lambda: plotting.plot_mlp(
        [64, 32, 10], bias=True, activations=["relu", "softmax"]),
    "forward: forward pass heatmaps": lambda: plotting.plot_forward_pass(
        [RNG.normal(size=(10, 32)), RNG.normal(size=(10, 10))],
        [np.maximum(RNG.normal(size=(10, 32)), 0), np.full((10, 10), 0.1)],
        activations=["relu", "softmax"]),
    "backprop: scalar graph": lambda: plotting.plot_scalar_graph(
        nodes={"x": ("$x$", (0, 1.5)), "y": ("$y$", (0, 3)), "z": ("$z$", (0, 0)),
               "w": ("$w$", (0, -1.5)), "u": (r"$\times$", (3, 2.25)), "v": ("max", (3, 0.75)),
               "r": ("$+$", (6, 0.75)), "J": (r"$\sigma$", (8.4, 0.75))},
        edges=[("y", "u"), ("x", "u"), ("x", "v"), ("z", "v"), ("u", "r"), ("v", "r"),
               ("w", "r"), ("r", "J")],
        values=dict(x=3, y=-2, z=1, w=3, u=-6, v=3, r=0, J=0.5),
        grads=dict(x=-0.25, y=0.75, z=0, w=0.25, u=0.25, v=0.25, r=0.25, J=1),
        edge_grads={("x", "u"): -0.5, ("x", "v"): 0.25},
        names={"u": "$u$", "v": "$v$", "r": "$r$", "J": "$J$"}),
    "backprop: network graph": lambda: plotting.plot_backprop_graph(
        [2, 3, 2], values=[RNG.normal(size=2), RNG.normal(size=3), RNG.normal(size=2)],
        messages=[RNG.normal(size=2), RNG.normal(size=3), RNG.normal(size=2)],
        names=["x", "y^{(1)}", "y^{(2)}"], bias_messages=[0.1, -0.2], loss=(0.7, "J"),
        highlight=[[(0, 0), (1, 1), (2, 0), (3, 0)]]),
    "backprop: backward pass heatmaps": lambda: plotting.plot_backward_pass(
        [RNG.normal(size=(4, 5)), RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))],
        [RNG.normal(size=(5, 5)), RNG.normal(size=(6, 3)), RNG.normal(size=(4, 3))]),
    "activations: functions and derivatives": lambda: plotting.plot_functions_and_derivatives(
        np.linspace(-4, 4, 50), {n: np.tanh(np.linspace(-4, 4, 50)) for n in
                                 ["ReLU", "sigmoid", "tanh", "ELU"]},
        {n: np.ones(50) for n in ["ReLU", "sigmoid", "tanh", "ELU"]},
        titles=("activation $g(z)$", "derivative $g'(z)$"), ylims=((-1.5, 3), (-0.1, 1.15))),
    "activations: depth profile": lambda: plotting.plot_depth_profile(
        {n: plotting.activation_depth_profile(n, depth=20, width=16, n_samples=16)
         for n in ["sigmoid", "tanh", "relu", "elu"]}),
    "affine/ReLU: decision regions, one panel": lambda: plotting.plot_decision_regions(
        lambda P: (P[:, 0] > 0).astype(int), *_xor(), title="one ReLU layer: accuracy 100%"),
    "affine/ReLU: decision regions, 2 panels": lambda: plotting.plot_decision_region_grid(
        {"affine only: accuracy 50%": lambda P: (P[:, 0] > 0).astype(int),
         "one ReLU layer: accuracy 100%": lambda P: (P[:, 0] * P[:, 1] > 0).astype(int)},
        *_xor(), ncols=2, size=3.6),
    "affine/ReLU: decision regions, 6 panels": lambda: plotting.plot_decision_region_grid(
        {f"{name} {d}$\\times${w}: 70.0%": (lambda P: (P[:, 0] > 0).astype(int))
         for name, d, w in [("no activation", 3, 32), ("relu", 1, 8), ("relu", 1, 64),
                            ("tanh", 1, 8), ("relu", 3, 32), ("tanh", 3, 32)]},
        *_xor(), ncols=3),
    "loss layers: softmax cross-entropy": lambda: plotting.plot_softmax_cross_entropy(
        [2.0, 1.0, 0.1, -1.0], label=2),
    "training: init statistics": lambda: plotting.plot_init_statistics(
        {label: plotting.init_depth_statistics(act, scheme, depth=20, width=16, n_samples=16,
                                               scale=scale)
         for label, (act, scheme, scale) in {
             "sigmoid, Glorot": ("sigmoid", "glorot", 1.0), "tanh, Glorot": ("tanh", "glorot", 1.0),
             "ReLU, Glorot": ("relu", "glorot", 1.0), "ReLU, He": ("relu", "he", 1.0),
             r"ReLU, $2\times$ He variance": ("relu", "he", np.sqrt(2.0))}.items()}),
    "training: GD comparison": lambda: plotting.plot_gd_comparison(
        {label: {"epochs": np.arange(e + 1), "updates": np.arange(e + 1) * u,
                 "loss": np.geomspace(2, 0.2, e + 1)}
         for label, e, u in [(r"full batch, $|\mathcal{B}| = N$", 300, 1),
                             (r"mini-batch, $|\mathcal{B}| = 32$", 10, 10),
                             (r"stochastic, $|\mathcal{B}| = 1$", 10, 300)]}, max_epochs=10),
    "training: learning curves": lambda: plotting.plot_learning_curves(_history(), "validation"),
    "training: confusion matrix": lambda: plotting.plot_confusion_matrix(
        RNG.integers(0, 10, 450), RNG.integers(0, 10, 450), n_classes=10),
    "training: misclassified digits, 2 rows of 10": lambda: plotting.plot_image_grid(
        _digits(13), [f"{i % 10} → {(i + 3) % 10}" for i in range(13)], ncols=10),
    "small CNN: misclassified digits, 1 row": lambda: plotting.plot_image_grid(
        _digits(8), [f"{i} → {(i + 4) % 10}" for i in range(8)], ncols=8),
    "optimization: optimizer paths": lambda: plotting.plot_optimizer_paths(
        _quad, {"gradient descent": np.cumsum(RNG.normal(size=(61, 2)) * 0.05, 0),
                "heavy ball": np.cumsum(RNG.normal(size=(61, 2)) * 0.05, 0)},
        xlim=(-1.6, 2.6), ylim=(-1.35, 1.6), minimum=(0, 0)),
    "optimization: contraction rates": lambda: plotting.plot_contraction_rates(
        np.linspace(0.2, 3, 50), {"gradient descent": np.linspace(1, 0, 50),
                                  "heavy ball": np.linspace(0.9, 0.5, 50)},
        interval=(0.5, 2.5), measured={"gradient descent": ([0.5, 2.5], [0.9, 0.9]),
                                       "heavy ball": ([0.5, 2.5], [0.6, 0.6])}),
    "optimization: momentum curves": lambda: plotting.plot_curves_grid(
        np.arange(1, 13), {"training loss": {label: np.geomspace(1, 0.1, 12) for label in
                                             [r"plain, $\eta = 0.1$", r"$\beta = 0.9$, $\eta = 0.01$",
                                              r"$\beta = 0.9$, $\eta = 0.1$", r"plain, $\eta = 1$"]}},
        xlabel="epoch", logy={"training loss"}, size=(7, 4.2)),
    "optimization: weight decay curves": lambda: plotting.plot_curves_grid(
        np.arange(0, 13), {title: {rf"$\lambda$ = {lam:g}": np.geomspace(1, 0.1, 13)
                                   for lam in (0, 0.001, 0.01, 0.1)}
                           for title in [r"$\|\theta\|$", "training loss", "validation loss"]},
        xlabel="epoch", logy={"training loss", "validation loss"}),
    "model selection: early stopping": lambda: plotting.plot_early_stopping(
        _history(40, best=32)),
    "model selection: LR sweep": lambda: plotting.plot_lr_sweep(
        np.geomspace(1e-3, 3, 12), {"best validation loss": np.geomspace(1, 0.1, 12),
                                    "final training loss": np.geomspace(1, 0.05, 12)},
        np.arange(12) >= 10, chosen=0.1,
        vlines={r"$2/\lambda_{\max}$ at initialisation": 0.5,
                r"$2/\lambda_{\max}$ after the chosen run": 0.8}),
    # part III
    "convolution: geometry grid": lambda: plotting.plot_conv_geometry_grid(
        [dict(n_h=5, n_w=5, kh=3, kw=3, stride=1, padding=0, out_pos=(1, 2)),
         dict(n_h=5, n_w=5, kh=3, kw=3, stride=1, padding=1, out_pos=(0, 0)),
         dict(n_h=7, n_w=7, kh=3, kw=3, stride=2, padding=1, out_pos=(1, 2)),
         dict(n_h=7, n_w=8, kh=3, kw=3, stride=3, padding=0, out_pos=(1, 1))], ncols=1),
    "convolution: conv matrix": lambda: plotting.plot_conv_matrix((2, 2, 2, 2), (2, 3, 4)),
    "convolution: one geometry": lambda: plotting.plot_conv_geometry(
        8, 9, 3, 2, stride=2, padding=1, out_pos=(2, 3)),
    "conv backprop: gradient paths": lambda: plotting.plot_conv_geometry_grid(
        [dict(n_h=5, n_w=6, kh=3, kw=2, stride=1, padding=1, in_pos=(2, 2)),
         dict(n_h=6, n_w=7, kh=3, kw=3, stride=2, padding=0, in_pos=(2, 4))], ncols=1),
    "pooling: two window sizes (chapter's grid)": lambda: _pooling_grid(),
    "pooling: += and =": lambda: plotting.plot_pool_gradients(
        RNG.integers(0, 13, (5, 5)), RNG.integers(1, 5, (2, 2)),
        {"max, += (correct)": RNG.integers(0, 7, (5, 5)), "max, = (wrong)": RNG.integers(0, 7, (5, 5))},
        3, 2),
    "small CNN: kernels": lambda: plotting.plot_kernels(
        {"initial": RNG.normal(size=(16, 1, 3, 3)), "trained": RNG.normal(size=(16, 1, 3, 3))}),
    "small CNN: feature maps": lambda: plotting.plot_feature_maps(
        RNG.normal(size=(8, 8)), {"conv": RNG.normal(size=(16, 8, 8)),
                                  "ReLU": np.abs(RNG.normal(size=(16, 8, 8))),
                                  "max pool": np.abs(RNG.normal(size=(16, 4, 4)))},
        kernels=RNG.normal(size=(16, 1, 3, 3))),
    # part IV
    "margin: margin functions": lambda: plotting.plot_margin_functions(ms=(1, 2, 3, 4)),
    "margin: angular features": lambda: plotting.plot_angular_features(
        [(RNG.normal(size=(300, 2)), RNG.normal(size=(2, 10)))] * 2, RNG.integers(0, 10, 300),
        titles=["A-Softmax, m = 1 (no margin)", "A-Softmax, m = 4"]),
    "metric: contrastive pair loss": lambda: plotting.plot_contrastive_pair_loss(margin=1.0),
    "metric: triplet regions": lambda: plotting.plot_triplet_regions(
        np.zeros(2), np.array([0.8, 0.3]), 1.0, negatives=RNG.normal(size=(12, 2)), lim=2.5),
    "metric: feature clouds": lambda: plotting.plot_feature_clouds(
        [RNG.normal(size=(300, 2)), RNG.normal(size=(300, 2))], RNG.integers(0, 10, 300),
        centers=[None, RNG.normal(size=(10, 2))],
        titles=["softmax", r"softmax + $\lambda$ center loss"], normalize=True),
    # part V
    "BPTT: unrolled RNN": lambda: plotting.plot_unrolled_rnn(4),
    "BPTT: gradient norms with bounds": lambda: plotting.plot_gradient_norms(
        np.arange(1, 30), {rf"$\rho = {r}$": np.geomspace(1, r**29, 29) for r in (0.8, 1.0, 1.2)},
        {rf"$\rho = {r}$": np.geomspace(1.1, r**29 * 1.1, 29) for r in (0.8, 1.0, 1.2)},
        ylabel=r"$\|\partial h_T / \partial h_t\|_2$"),
    "BPTT: power norms": lambda: plotting.plot_gradient_norms(
        np.arange(1, 30), {"$\\|(W_h^\\top)^k\\|_2$": np.geomspace(1, 1e-3, 29)},
        ylabel="norm of the $k$-step product"),
}


def test_every_public_figure_function_has_a_case():
    """A new plotting function must be added to CASES (and so be checked)."""
    names = {n for n in plotting.__all__ if n.startswith("plot_")}
    called = set()
    for case in CASES.values():
        called |= {n for n in names if n in case.__code__.co_names}
    # Functions called through the case lambdas' globals (e.g. plotting.plot_xxx).
    assert names <= called, f"no legibility case for {sorted(names - called)}"


@pytest.mark.parametrize("name", list(CASES))
def test_smallest_text_at_least_9_px_at_1280(name, monkeypatch):
    fig = CASES[name]()
    try:
        pt, text, natural = figure_text(fig, monkeypatch)
        px = displayed_px(pt, fig.dpi, natural)
        assert px >= MIN_PX, (
            f"{name}: smallest text {text!r} at {pt:g} pt is displayed at {px:.1f} px "
            f"(figure {natural} px wide at {fig.dpi:g} dpi, column {COLUMN_PX} px); expected >= {MIN_PX}"
        )
    finally:
        plt.close(fig)


def test_display_model_matches_the_library_constants():
    """The library sizes figures for the same column this test measures against."""
    assert _style.COLUMN_PX == COLUMN_PX
    assert _style.DPI == plt.rcParams["figure.dpi"]
    assert displayed_px(9, 100, 1344) == pytest.approx(9 / 72 * 100 / 2)
    assert _style.display_px(9, 13.44) == pytest.approx(displayed_px(9, 100, 1344))
