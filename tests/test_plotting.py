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
    # the ReLU layer shares its colour scale between Z and Y; the softmax layer does not
    clims = {ax.get_title().split()[0]: ax.images[0].get_clim() for ax in images}
    assert clims["$Z^{(1)}$"] == clims["$Y^{(1)}$"]
    assert clims["$Z^{(3)}$"] != clims["$Y^{(3)}$"]
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
