"""Tests for bpnet_lib.plotting: the network diagram and the forward-pass heatmaps draw what
they say (one arrow per entry of B^(k), one panel per matrix) and reject bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Circle, Rectangle  # noqa: E402

from bpnet_lib import plotting  # noqa: E402
from bpnet_lib.bpnet import BPNet  # noqa: E402


def _arrows(ax):
    return [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]


@pytest.mark.parametrize("widths", [[3, 4, 2], [2, 5, 1], [1, 1]])
@pytest.mark.parametrize("bias", [True, False])
def test_plot_mlp_draws_one_arrow_per_parameter(widths, bias):
    fig = plotting.plot_mlp(widths, bias=bias)
    ax = fig.axes[0]
    rows = [n + (1 if bias else 0) for n in widths[:-1]]
    assert len(_arrows(ax)) == sum(r * n for r, n in zip(rows, widths[1:]))
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    squares = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(circles) == sum(widths)
    assert len(squares) == (len(widths) - 1 if bias else 0)
    labels = " ".join(t.get_text() for t in ax.texts)
    letter = "B" if bias else "W"
    for k in range(1, len(widths)):
        assert f"{letter}^{{({k})}}" in labels and f"{rows[k - 1]}\\times{widths[k]}" in labels
    plt.close(fig)


def test_plot_mlp_truncates_wide_layers_and_uses_given_axes():
    fig0, ax = plt.subplots()
    fig = plotting.plot_mlp([64, 32, 10], ax=ax, max_nodes=5, activations=["relu", "softmax"])
    assert fig is fig0
    assert len([p for p in ax.patches if isinstance(p, Circle)]) == 4 + 4 + 4
    assert sum(t.get_text() == r"$\vdots$" for t in ax.texts) == 3
    assert any("softmax" in t.get_text() for t in ax.texts)
    plt.close(fig)


@pytest.mark.parametrize("kwargs, match", [
    (dict(widths=[3]), "widths"),
    (dict(widths=[3, 0, 2]), "widths"),
    (dict(widths=[3, 4, 2], activations=["relu"]), "activations"),
    (dict(widths=[3, 4, 2], max_nodes=2), "max_nodes"),
])
def test_plot_mlp_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plotting.plot_mlp(**kwargs)


def test_plot_forward_pass_one_panel_per_matrix():
    rng = np.random.default_rng(0)
    net = BPNet([5, 7, 4, 3], ["relu", "sigmoid", "softmax"], rng=rng)
    net.forward(rng.standard_normal((6, 5)))
    fig = plotting.plot_forward_pass(net.Z, net.Y, activations=net.activations)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 2 * 3
    shapes = sorted(ax.images[0].get_array().shape for ax in images)
    assert shapes == sorted([(6, 7), (6, 7), (6, 4), (6, 4), (6, 3), (6, 3)])
    # the ReLU layer shares its colour scale between Z and Y (Y drawn from 0, with the
    # positive half of the map, so one value has one colour in both panels); the sigmoid and
    # softmax outputs are drawn on [0, 1]; pre-activations are symmetric about 0
    clims = {ax.get_title().split()[0]: ax.images[0].get_clim() for ax in images}
    low, high = clims["$Z^{(1)}$"]
    assert low == -high and clims["$Y^{(1)}$"] == (0.0, high)
    assert clims["$Y^{(2)}$"] == clims["$Y^{(3)}$"] == (0.0, 1.0)
    by_title = {ax.get_title().split()[0]: ax.images[0] for ax in images}
    value = 0.5 * high
    np.testing.assert_allclose(by_title["$Z^{(1)}$"].to_rgba(np.array([[value]])),
                               by_title["$Y^{(1)}$"].to_rgba(np.array([[value]])), atol=0.02)
    plt.close(fig)


def test_plot_forward_pass_rejects_mismatched_input():
    Z = [None, np.zeros((2, 3))]
    with pytest.raises(ValueError, match="Y"):
        plotting.plot_forward_pass(Z, [np.zeros((2, 2))])
    with pytest.raises(ValueError, match="shape"):
        plotting.plot_forward_pass(Z, [np.zeros((2, 2)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match="activations"):
        plotting.plot_forward_pass(Z, [np.zeros((2, 2)), np.zeros((2, 3))], activations=["a", "b"])


# --- decision regions -------------------------------------------------------


def _halfplane_labels(P):
    return (P[:, 0] > 0).astype(int)


def test_decision_regions_colour_the_plane_by_the_prediction():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(40, 2))
    y = _halfplane_labels(X)
    fig = plotting.plot_decision_regions(_halfplane_labels, X, y, title="half-plane")
    ax = fig.axes[0]
    assert ax.get_title() == "half-plane"
    assert len(ax.collections) >= 2            # filled regions, boundary, and the points
    x0, x1 = ax.get_xlim()
    assert x0 < X[:, 0].min() and x1 > X[:, 0].max()
    plt.close(fig)


def test_decision_region_grid_has_one_panel_per_classifier_and_hides_the_rest():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    y = np.array([0, 1, 1])
    panels = {"a": _halfplane_labels, "b": lambda P: np.zeros(len(P), dtype=int),
              "c": _halfplane_labels, "d": _halfplane_labels}
    fig = plotting.plot_decision_region_grid(panels, X, y, ncols=3)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["a", "b", "c", "d"]
    assert len(fig.axes) == 6
    plt.close(fig)


def test_decision_regions_reject_bad_input():
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match="shape \\(N, 2\\)"):
        plotting.plot_decision_regions(_halfplane_labels, np.zeros((3, 3)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="labels of shape"):
        plotting.plot_decision_regions(_halfplane_labels, X, np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="one label per point"):
        plotting.plot_decision_regions(lambda P: np.zeros((len(P), 2)), X, np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="at least one"):
        plotting.plot_decision_region_grid({}, X, np.zeros(3, dtype=int))
    plt.close("all")


# --- training in practice: depth statistics and training figures ---------------------


def test_init_depth_statistics_first_layer_matches_a_direct_computation():
    from bpnet_lib import activations, init

    stats = plotting.init_depth_statistics("tanh", "lecun", depth=1, width=[5, 7], n_samples=9,
                                           seed=3)
    rng = np.random.default_rng(3)                       # weights, then input, then gradient
    W = init.lecun_normal(5, 7, rng)
    X = rng.standard_normal((9, 5))
    dY = rng.standard_normal((9, 7))
    Z = X @ W
    assert np.isclose(stats["z_std"][0], Z.std(), rtol=1e-13)
    assert np.isclose(stats["y_std"][0], np.tanh(Z).std(), rtol=1e-13)
    assert np.isclose(stats["grad_std"][0], (dY * activations.tanh_grad(Z)).std(), rtol=1e-13)
    assert stats["widths"] == [5, 7]


def test_init_depth_statistics_shows_he_stable_and_glorot_halving_for_relu():
    he = plotting.init_depth_statistics("relu", "he", depth=12, width=128, n_samples=256)
    glorot = plotting.init_depth_statistics("relu", "glorot", depth=12, width=128, n_samples=256)
    for key in ("z_std", "y_std", "grad_std"):
        assert he[key].shape == (12,)
    assert he["z_std"].max() / he["z_std"].min() < 2
    assert he["grad_std"].max() / he["grad_std"].min() < 2
    factor = (glorot["z_std"][-1] / glorot["z_std"][0]) ** (2 / 11)
    assert abs(factor - 0.5) < 0.07
    doubled = plotting.init_depth_statistics("relu", "he", depth=12, width=128, n_samples=256,
                                             scale=np.sqrt(2))
    assert abs((doubled["z_std"][-1] / doubled["z_std"][0]) ** (2 / 11) - 2) < 0.3
    again = plotting.init_depth_statistics("relu", "he", depth=12, width=128, n_samples=256)
    assert np.array_equal(he["z_std"], again["z_std"])   # seeded


@pytest.mark.parametrize("kwargs, match", [
    (dict(activation="softplus"), "activation"),
    (dict(activation="relu", depth=0), "depth"),
    (dict(activation="relu", depth=3, width=[4, 4]), "depth \\+ 1"),
    (dict(activation="relu", scale=0.0), "scale"),
    (dict(activation="relu", init="kaiming"), "init"),
])
def test_init_depth_statistics_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plotting.init_depth_statistics(**kwargs)


def test_plot_init_statistics_draws_one_log_line_per_configuration_and_panel():
    stats = {f"relu + {s}": plotting.init_depth_statistics("relu", s, depth=4, width=16,
                                                           n_samples=8)
             for s in ("lecun", "he")}
    fig = plotting.plot_init_statistics(stats)
    for i, ax in enumerate(fig.axes[:2]):
        assert ax.get_yscale() == "log"
        reference = ["std = 1 (reference)"] if i == 1 else []       # the grey line, named once
        assert [line.get_label() for line in ax.lines if not line.get_label().startswith("_")] \
            == list(stats) + reference
    plt.close(fig)


def test_plot_gd_comparison_puts_epochs_left_and_updates_right():
    runs = {"a": {"epochs": np.arange(4), "updates": np.arange(4) * 10,
                  "loss": np.array([2.0, 1.0, 0.5, 0.25])},
            "b": {"epochs": np.arange(3), "updates": np.arange(3),
                  "loss": np.array([2.0, 1.5, 1.2])}}
    fig = plotting.plot_gd_comparison(runs, max_epochs=2)
    left, right = fig.axes[:2]
    assert right.get_xscale() == "log" and left.get_xlim() == (0.0, 2.0)
    a_left = [line for line in left.lines if line.get_label() == "a"][0]
    assert np.array_equal(a_left.get_xdata(), [0, 1, 2])          # cut at max_epochs
    a_right = [line for line in right.lines if line.get_label() == "a"][0]
    assert np.array_equal(a_right.get_xdata(), [10, 20, 30])      # updates > 0 only
    plt.close(fig)


def test_plot_learning_curves_with_and_without_validation():
    from bpnet_lib.train import History

    h = History(loss=[1.0, 0.5], train_acc=[0.6, 0.8])
    fig = plotting.plot_learning_curves(h)
    assert [len(ax.lines) for ax in fig.axes[:2]] == [1, 1]
    plt.close(fig)
    h.val_loss, h.val_acc = [1.1, 0.7], [0.5, 0.7]
    fig = plotting.plot_learning_curves(h, val_label="test")
    assert [len(ax.lines) for ax in fig.axes[:2]] == [2, 2]
    assert "test (after it)" in [line.get_label() for line in fig.axes[0].lines]
    plt.close(fig)


def test_plot_confusion_matrix_counts_every_pair():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    fig = plotting.plot_confusion_matrix(y_true, y_pred)
    ax = fig.axes[0]
    numbers = sorted(int(t.get_text()) for t in ax.texts)
    assert numbers == [1, 1, 1, 1, 2] and sum(numbers) == y_true.size
    assert ax.get_title() == "4 of 6 correct"
    plt.close(fig)
    with pytest.raises(ValueError, match="shape \\(N,\\)"):
        plotting.plot_confusion_matrix(y_true, y_pred[:-1])


def test_plot_image_grid_one_panel_per_image():
    images = np.arange(5 * 64, dtype=float).reshape(5, 64)
    fig = plotting.plot_image_grid(images, [str(i) for i in range(5)], ncols=3)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 6 and [ax.get_title() for ax in shown] == ["0", "1", "2", "3", "4"]
    assert shown[0].images[0].get_array().shape == (8, 8)
    plt.close(fig)
    with pytest.raises(ValueError, match="one per image"):
        plotting.plot_image_grid(images, ["a"])


def _backprop_state(widths=(2, 3, 2), N=1, seed=0):
    rng = np.random.default_rng(seed)
    acts = ["tanh"] * (len(widths) - 2) + ["softmax"]
    net = BPNet(list(widths), acts, rng=rng, init="glorot_normal")
    J, _ = net.loss_and_grads(rng.standard_normal((N, widths[0])), rng.integers(0, widths[-1], N))
    return net, J


def test_plot_backprop_graph_draws_every_unit_arrow_value_and_message():
    from matplotlib.colors import to_hex

    net, J = _backprop_state()
    widths, l = net.widths, net.num_layers
    bias_messages = [float(net.dZ[k + 1][0] @ net.B[k][0]) for k in range(l)]
    fig = plotting.plot_backprop_graph(
        widths, [net.Y[k][0] for k in range(l + 1)], [net.dY[0][0], net.dZ[1][0], net.dZ[2][0]],
        names=["x", "y^{(1)}", "y^{(2)}"], bias_messages=bias_messages, loss=(J, "J"),
        highlight=[[(0, 0), (1, 2), (2, 1), (3, 0)]])
    ax = fig.axes[0]
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(circles) == sum(widths) + l + 1                        # units, "1" nodes, J
    weights = sum(a * b for a, b in zip(widths[:-1], widths[1:]))
    assert len(_arrows(ax)) == weights + sum(widths[1:]) + widths[-1]  # + bias rows + into J
    coloured = [a for a in _arrows(ax) if a.arrow_patch.get_linewidth() > 2]
    assert len(coloured) == 3
    path_colours = {to_hex(a.arrow_patch.get_edgecolor()) for a in coloured}
    assert path_colours == {"#2e9a4a"}                # the first path colour: green, not red
    texts = [t.get_text() for t in ax.texts]
    blue = [t.get_text() for t in ax.texts if t.get_color() == "#1f5fbf"]
    red = [t.get_text() for t in ax.texts if t.get_color() == "#c0392b"]
    minus = lambda v: f"{v:+.2f}".replace("-", "\u2212")                    # typographic minus
    for value in (*net.Y[0][0], *net.Y[1][0], *net.Y[2][0], J):
        assert minus(value) in blue
    for value in (*net.dY[0][0], *net.dZ[1][0], *net.dZ[2][0], 1.0):
        assert minus(value) in red
    for value in bias_messages:
        assert minus(value) in texts
    assert not any("-" in t for t in blue + red)
    assert "$y^{(1)}_{3}$" in texts and "$J$" in texts
    plt.close(fig)


def test_plot_backprop_graph_rejects_bad_input():
    with pytest.raises(ValueError, match="values, messages"):
        plotting.plot_backprop_graph([2, 1], [np.zeros(2)], [None, None])
    with pytest.raises(ValueError, match=r"messages\[1\]"):
        plotting.plot_backprop_graph([2, 1], [np.zeros(2), np.zeros(1)], [None, np.zeros(3)])
    with pytest.raises(ValueError, match="bias_messages"):
        plotting.plot_backprop_graph([2, 1], [np.zeros(2), np.zeros(1)], [None, None],
                                     bias_messages=[0.0, 1.0])
    plt.close("all")


@pytest.mark.parametrize("step", [1, 2, 3])
def test_plot_backward_pass_reveals_layers_from_the_output(step):
    net, _ = _backprop_state(widths=(4, 5, 3, 2), N=6, seed=1)
    fig = plotting.plot_backward_pass(net.dZ[1:], net.dB, step=step)
    axes = np.array(fig.axes).reshape(2, 3)
    for k in range(1, 4):
        done = k > 3 - step
        for row, M in enumerate([net.dZ[k], net.dB[k - 1]]):
            ax = axes[row, k - 1]
            assert ax.images[0].get_array().shape == M.shape
            assert ("not yet" in ax.get_title()) is not done
            if done:
                lim = np.abs(M).max()
                assert np.allclose(ax.images[0].get_clim(), (-lim, lim))
    plt.close(fig)


def test_plot_backward_pass_rejects_bad_input():
    dZ, dB = [np.zeros((2, 3))], [np.zeros((4, 3))]
    with pytest.raises(ValueError, match="step"):
        plotting.plot_backward_pass(dZ, dB, step=2)
    with pytest.raises(ValueError, match="same positive length"):
        plotting.plot_backward_pass(dZ, [])
    with pytest.raises(ValueError, match="same number of columns"):
        plotting.plot_backward_pass(dZ, [np.zeros((4, 2))])
    plt.close("all")


CONV_CASES = [(5, 4, 3, 2, 1, 0), (7, 7, 3, 3, 2, 1), (7, 6, 3, 2, 3, 0), (6, 5, 2, 3, (2, 1), (1, 2)),
              (4, 4, 1, 1, 3, 0)]


@pytest.mark.parametrize("n_h, n_w, kh, kw, stride, padding", CONV_CASES)
def test_conv_geometry_matches_the_convolution_matrix(n_h, n_w, kh, kw, stride, padding):
    from bpnet_lib.conv import conv2d_as_matrix

    W = np.arange(1.0, kh * kw + 1).reshape(1, 1, kh, kw)          # distinct entries
    M = conv2d_as_matrix(W, (1, n_h, n_w), stride, padding)
    out_h, out_w = plotting.conv_geometry(n_h, n_w, kh, kw, stride, padding)["out_shape"]
    assert M.shape == (out_h * out_w, n_h * n_w)
    for u in range(out_h):                 # the window of output (u, v) is row (u, v) of M
        for v in range(out_w):
            window = plotting.conv_geometry(n_h, n_w, kh, kw, stride, padding, out_pos=(u, v))["window"]
            assert len(window) == kh * kw
            inside = {r * n_w + c: W[0, 0, i, j] for r, c, i, j in window if 0 <= r < n_h and 0 <= c < n_w}
            row = M[u * out_w + v]
            assert set(np.flatnonzero(row)) == set(inside)
            assert all(row[col] == value for col, value in inside.items())
    for r in range(n_h):                  # the taps of input (r, c) are column (r, c) of M
        for c in range(n_w):
            taps = plotting.conv_geometry(n_h, n_w, kh, kw, stride, padding, in_pos=(r, c))["taps"]
            column = M[:, r * n_w + c]
            assert {u * out_w + v: W[0, 0, i, j] for u, v, i, j in taps} == \
                {int(k): column[k] for k in np.flatnonzero(column)}
    geo = plotting.conv_geometry(n_h, n_w, kh, kw, stride, padding)
    unread = ~M.any(axis=0).reshape(n_h, n_w)
    assert geo["unread_rows"] == [r for r in range(n_h) if unread[r].all()]
    assert geo["unread_cols"] == [c for c in range(n_w) if unread[:, c].all()]


def test_conv_geometry_rejects_bad_input():
    with pytest.raises(ValueError, match="fit"):
        plotting.conv_geometry(3, 3, 5, 1)
    with pytest.raises(ValueError, match="stride"):
        plotting.conv_geometry(5, 5, 3, 3, stride=0)
    with pytest.raises(ValueError, match="padding"):
        plotting.conv_geometry(5, 5, 3, 3, padding=(1, 2, 3))
    with pytest.raises(ValueError, match="out_pos"):
        plotting.conv_geometry(5, 5, 3, 3, out_pos=(3, 0))
    with pytest.raises(ValueError, match="in_pos"):
        plotting.conv_geometry(5, 5, 3, 3, in_pos=(0, 5))


def test_plot_conv_geometry_draws_every_cell_and_both_highlights():
    n_h, n_w, kh, kw, s, p = 7, 6, 3, 2, 2, 1
    geo = plotting.conv_geometry(n_h, n_w, kh, kw, s, p, out_pos=(1, 2), in_pos=(2, 3))
    out_h, out_w = geo["out_shape"]
    fig = plotting.plot_conv_geometry(n_h, n_w, kh, kw, s, p, out_pos=(1, 2), in_pos=(2, 3))
    ax = fig.axes[0]
    cells = [q for q in ax.patches if isinstance(q, Rectangle) and q.get_width() == 1]
    assert len(cells) == (n_h + 2 * p) * (n_w + 2 * p) + kh * kw + out_h * out_w
    frame = [q for q in ax.patches if isinstance(q, Rectangle) and q.get_width() == kw]
    assert len(frame) == 1 and frame[0].get_height() == kh          # the receptive field
    texts = [t.get_text() for t in ax.texts]
    assert sum(t == f"$W_{{{i}{j}}}$" for _, _, i, j in geo["taps"] for t in texts) == len(geo["taps"])
    assert len(ax.get_legend().get_texts()) == 4                     # padding, fwd, bwd, both
    plt.close(fig)
    fig = plotting.plot_conv_geometry(7, 6, 3, 2, 3, 0)              # leftover row and columns
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["never read"]
    plt.close(fig)


def test_plot_conv_matrix_colours_the_shared_weights():
    from bpnet_lib.conv import conv2d_as_matrix

    fig = plotting.plot_conv_matrix((2, 2, 2, 3), (2, 4, 5), stride=1, padding=1)
    shown = fig.axes[0].images[0].get_array()
    W = np.arange(1.0, 25).reshape(2, 2, 2, 3)
    assert np.array_equal(shown, conv2d_as_matrix(W, (2, 4, 5), 1, 1))
    assert "24 distinct weights" in fig.axes[0].get_title()
    plt.close(fig)


def test_plot_pool_gradients_outlines_every_window_and_writes_every_value():
    from bpnet_lib import pool

    X = np.arange(1.0, 26).reshape(5, 5)
    X[2, 2] = 100.0                                           # in all four windows, and wins them
    dY = np.array([[1.0, 2.0], [3.0, 4.0]])
    _, cache = pool.maxpool2d_forward(X[None, None], 3, 2)     # overlapping 3x3 windows
    dX = pool.maxpool2d_backward(dY[None, None], cache)[0, 0]
    fig = plotting.plot_pool_gradients(X, dY, {"max": dX}, size=3, stride=2)
    ax_x, ax_dy, ax_dx = fig.axes
    frames = [p for p in ax_x.patches if isinstance(p, Rectangle)]
    assert len(frames) == 4 and {round(p.get_width() + 2 * 0.06) for p in frames} == {3}
    assert len([p for p in ax_dy.patches if isinstance(p, Rectangle)]) == 4
    assert [t.get_text() for t in ax_dx.texts].count("10") == 1  # the winner of all four windows
    assert ax_dx.get_title() == "max" and ax_x.get_title() == "input $X$"
    assert len(ax_dx.texts) == 25 and np.array_equal(ax_dx.images[0].get_array(), dX)
    plt.close(fig)
    with pytest.raises(ValueError, match=r"dY: expected shape \(2, 2\)"):
        plotting.plot_pool_gradients(X, np.ones((3, 3)), {}, size=3, stride=2)
    with pytest.raises(ValueError, match="the shape of X"):
        plotting.plot_pool_gradients(X, dY, {"bad": np.ones((4, 4))}, size=3, stride=2)


def test_plot_kernels_one_row_per_set_with_a_symmetric_scale():
    W = np.random.default_rng(0).standard_normal((5, 1, 3, 3))
    fig = plotting.plot_kernels({"before": W, "after": 2 * W[:, 0]})
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 10
    lo, hi = shown[0].images[0].get_clim()
    assert lo == -hi == -np.abs(W).max()
    assert shown[5].images[0].get_clim()[1] == 2 * np.abs(W).max()
    assert [ax.get_title() for ax in shown[:5]] == ["0", "1", "2", "3", "4"]   # filters from 0, like W[f]
    plt.close(fig)
    with pytest.raises(ValueError, match="one input channel"):
        plotting.plot_kernels(np.zeros((4, 2, 3, 3)))


def test_plot_feature_maps_one_column_per_filter():
    rng = np.random.default_rng(1)
    stages = {"conv": rng.standard_normal((4, 8, 8)), "pool": rng.random((4, 4, 4))}
    fig = plotting.plot_feature_maps(rng.random((8, 8)), stages, kernels=rng.standard_normal((4, 3, 3)))
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 1 + 3 * 4                             # the input, then kernels and two stages
    assert [ax.images[0].get_array().shape for ax in shown[-4:]] == [(4, 4)] * 4
    assert [ax.get_title() for ax in shown[1:5]] == ["0", "1", "2", "3"]       # filters from 0
    plt.close(fig)
    with pytest.raises(ValueError, match="F = 4"):
        plotting.plot_feature_maps(np.zeros((8, 8)), {"a": np.zeros((4, 2, 2)), "b": np.zeros((3, 2, 2))})


def test_plot_unrolled_rnn_draws_every_step_and_loss():
    fig = plotting.plot_unrolled_rnn(3)
    ax = fig.axes[0]
    labels = sorted(t.get_text() for t in ax.texts if t.get_text().startswith("$"))
    assert [c for c in labels if c.startswith("$\\ell")] == ["$\\ell_1$", "$\\ell_2$", "$\\ell_3$"]
    assert labels.count("$W_h$") == 3 and labels.count("$W_x$") == 3
    assert len([p for p in ax.patches if isinstance(p, Circle)]) == 1 + 3 * 3   # h0, x, h, loss
    plt.close(fig)
    fig = plotting.plot_unrolled_rnn(3, loss_at="last")
    assert [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("$\\ell")] == ["$\\ell_3$"]
    plt.close(fig)
    with pytest.raises(ValueError, match="T: expected an int from 1 to 8"):
        plotting.plot_unrolled_rnn(0)
    with pytest.raises(ValueError, match='loss_at: expected "all" or "last"'):
        plotting.plot_unrolled_rnn(3, loss_at="first")


def test_plot_gradient_norms_draws_curves_and_bounds_on_a_log_axis():
    d = np.arange(5)
    fig = plotting.plot_gradient_norms(d, {"a": 0.5 ** d, "b": np.array([1.0, 2, 0, 8, 16])},
                                       bounds={"a": 0.6 ** d})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and len(ax.lines) == 3
    assert len(ax.lines[1].get_xdata()) == 5 and len(ax.lines[2].get_xdata()) == 4  # zero left out
    plt.close(fig)
    with pytest.raises(ValueError, match=r"norms\['a'\]: expected shape \(5,\)"):
        plotting.plot_gradient_norms(d, {"a": np.ones(4)})
    with pytest.raises(ValueError, match=r"bounds: expected labels among those of norms, got \['c'\]"):
        plotting.plot_gradient_norms(d, {"a": np.ones(5)}, bounds={"c": np.ones(5)})


def test_metric_figures_draw_curves_regions_and_clouds():
    import re

    fig = plotting.plot_contrastive_pair_loss(margin=1.5)
    ax_loss, ax_grad = fig.axes
    similar, dissimilar = ax_loss.lines[0], ax_loss.lines[1]
    d = similar.get_xdata()
    assert np.allclose(similar.get_ydata(), d**2)
    assert np.allclose(dissimilar.get_ydata(), np.maximum(0, 1.5 - d) ** 2)
    assert np.allclose(ax_grad.lines[1].get_ydata(), -2 * np.maximum(0, 1.5 - d))
    plt.close(fig)
    with pytest.raises(ValueError, match="margin: expected a positive finite number"):
        plotting.plot_contrastive_pair_loss(margin=0)

    fig = plotting.plot_triplet_regions([0, 0], [1, 0], 0.5, negatives=[[0.2, 0.1]], lim=2)
    ax = fig.axes[0]
    mesh = ax.collections[0]
    codes = np.asarray(mesh.get_array()).ravel()
    assert set(np.unique(codes)) == {0, 1, 2}               # hard, semi-hard, easy all present
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["hard", "semi-hard", "easy"]
    plt.close(fig)
    with pytest.raises(ValueError, match=re.escape("anchor, positive: expected shape (2,)")):
        plotting.plot_triplet_regions([0, 0, 0], [1, 0], 0.5)

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 4)
    fig = plotting.plot_feature_clouds([rng.standard_normal((12, 2))] * 2, y,
                                       centers=[None, np.zeros((3, 2))], titles=["a", "b"])
    assert len(fig.axes) == 2 and fig.axes[1].get_title() == "b"
    assert len(fig.axes[0].collections) == 3 and len(fig.axes[1].collections) == 4
    plt.close(fig)
    with pytest.raises(ValueError, match=re.escape("panels[0]: expected shape (12, 2) to match y")):
        plotting.plot_feature_clouds([np.zeros((12, 3))], y)

    # normalize: each panel divided by its features' RMS norm, centers alike, one shared square
    X_small = rng.standard_normal((12, 2))
    C_small = rng.standard_normal((3, 2))
    fig = plotting.plot_feature_clouds([X_small, 10 * X_small], y, centers=[None, 10 * C_small],
                                       normalize=True)
    rms = np.sqrt(np.mean(np.sum(X_small**2, axis=1)))
    left, right = fig.axes[0], fig.axes[1]
    shown = np.vstack([c.get_offsets() for c in left.collections])
    assert np.allclose(np.sort(shown, axis=0), np.sort(X_small / rms, axis=0))
    assert np.allclose(right.collections[-1].get_offsets(), C_small / rms)   # 10 C / (10 rms)
    assert left.get_xlim() == right.get_xlim() == left.get_ylim()
    plt.close(fig)
    with pytest.raises(ValueError, match=re.escape("panels: expected nonzero features")):
        plotting.plot_feature_clouds([np.zeros((12, 2))], y, normalize=True)


def test_margin_figures_draw_psi_curves_and_weight_rays():
    import re

    from bpnet_lib.margin import psi

    fig = plotting.plot_margin_functions(ms=(1, 3))
    ax = fig.axes[0]
    cos_line, m3_line, m3_dots = ax.lines[0], ax.lines[1], ax.lines[2]
    assert np.allclose(cos_line.get_ydata(), np.cos(cos_line.get_xdata()))
    assert np.allclose(m3_line.get_ydata(), psi(m3_line.get_xdata(), 3))
    assert np.allclose(m3_dots.get_ydata(), [-1, -3])          # pieces meet at -(2j - 1)
    plt.close(fig)
    with pytest.raises(ValueError, match=re.escape("ms: expected a non-empty sequence of integers >= 1")):
        plotting.plot_margin_functions(ms=(0,))

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 5)
    W = np.array([[1.0, 0.0, -1.0], [0.0, 2.0, -1.0]])
    fig = plotting.plot_angular_features([(rng.standard_normal((15, 2)), W)] * 2, y, titles=["a", "b"])
    assert len(fig.axes) == 2 and fig.axes[1].get_title() == "b"
    ax = fig.axes[0]
    assert len(ax.collections) == 3 and len(ax.lines) >= 6
    ray = ax.lines[2]                                          # class 1's ray points along +y
    assert np.allclose(ray.get_xdata(), 0) and ray.get_ydata()[1] > 0
    plt.close(fig)
    with pytest.raises(ValueError, match=re.escape("panels[0]: expected X of shape (15, 2), got shape (15, 3)")):
        plotting.plot_angular_features([(np.zeros((15, 3)), W)], y)
    with pytest.raises(ValueError, match=re.escape("quantile: expected a number in (0, 1], got 0")):
        plotting.plot_angular_features([(np.zeros((15, 2)), W)], y, quantile=0)


def _worked_graph():
    """J = sigma(x y + max(x, z) + w) at (3, -2, 1, 3), the backprop chapter's graph."""
    nodes = {"x": ("$x$", (0, 1.3)), "y": ("$y$", (0, 2.6)), "z": ("$z$", (0, 0)),
             "w": ("$w$", (0, -1.3)), "u": (r"$\times$", (2.6, 1.95)), "v": ("max", (2.6, 0.65)),
             "r": ("$+$", (5.2, 0.65)), "J": (r"$\sigma$", (7.4, 0.65))}
    edges = [("y", "u"), ("x", "u"), ("x", "v"), ("z", "v"), ("u", "r"), ("v", "r"), ("w", "r"),
             ("r", "J")]
    values = dict(x=3, y=-2, z=1, w=3, u=-6, v=3, r=0, J=0.5)
    grads = dict(x=-0.25, y=0.75, z=0.0, w=0.25, u=0.25, v=0.25, r=0.25, J=1)
    return nodes, edges, values, grads, {("x", "u"): -0.5, ("x", "v"): 0.25}


def test_plot_scalar_graph_writes_values_and_gradients_on_every_wire():
    nodes, edges, values, grads, fan_out = _worked_graph()
    fig = plotting.plot_scalar_graph(nodes, edges, values, grads, fan_out,
                                     names={"u": "$u$", "J": "$J$"})
    ax = fig.axes[0]
    assert len([p for p in ax.patches if isinstance(p, Circle)]) == len(nodes)
    assert len(_arrows(ax)) == len(edges)
    texts = [t.get_text() for t in ax.texts]
    blue = [t.get_text() for t in ax.texts if t.get_color() == "#1f5fbf"]
    red = [t.get_text() for t in ax.texts if t.get_color() == "#c0392b"]
    # each wire carries its tail's value and its message; inputs and the output get theirs
    assert sorted(blue) == sorted(["\u22122", "3", "3", "1", "\u22126", "3", "3", "0",   # wires
                                   "3", "\u22122", "1", "3", "0.5"])                  # ends
    assert sorted(red) == sorted(["0.75", "\u22120.5", "0.25", "0", "0.25", "0.25", "0.25", "0.25",
                                  "\u22120.25", "0.75", "0", "0.25", "1"])
    assert "max" in texts and "$u$" in texts and "$J$" in texts
    assert fig.patch.get_facecolor()[:3] == (1.0, 1.0, 1.0) and fig.patch.get_alpha() == 1.0
    plt.close(fig)


def test_plot_scalar_graph_rejects_bad_input():
    import re

    nodes, edges, values, grads, fan_out = _worked_graph()
    with pytest.raises(ValueError, match="a fan-out"):
        plotting.plot_scalar_graph(nodes, edges, values, grads)
    with pytest.raises(ValueError, match=re.escape("leaving 'x' add up to 0.25, but grads['x'] is -0.25")):
        plotting.plot_scalar_graph(nodes, edges, values, grads, {("x", "u"): 0.0, ("x", "v"): 0.25})
    with pytest.raises(ValueError, match="names a node not in nodes"):
        plotting.plot_scalar_graph(nodes, edges + [("q", "J")], values, grads, fan_out)
    with pytest.raises(ValueError, match="distinct labels"):
        plotting.plot_scalar_graph({**nodes, "w": ("$x$", (0, -1.3))}, edges, values, grads, fan_out)
    with pytest.raises(ValueError, match=re.escape("grads: expected a number for every node, missing ['J']")):
        plotting.plot_scalar_graph(nodes, edges, values, {k: g for k, g in grads.items() if k != "J"},
                                   fan_out)
    plt.close("all")
