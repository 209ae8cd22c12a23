"""Tests for the figures of bpnet_lib.plotting.optim: each draws what it is given (one line per
curve, markers where promised, the given axes) and rejects input it cannot draw."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bpnet_lib import plotting  # noqa: E402
from bpnet_lib.train import History  # noqa: E402


def bowl(a, b):
    return a**2 + 10 * b**2


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_optimizer_paths_draws_each_path_and_its_loss():
    paths = {"a": np.array([[1.0, 1.0], [0.5, 0.2], [0.1, 0.0]]), "b": np.array([[1.0, 1.0], [0.0, 0.0]])}
    fig = plotting.plot_optimizer_paths(bowl, paths, (-1.5, 1.5), (-1.5, 1.5), minimum=[0, 0])
    left, right = fig.axes[0], fig.axes[1]          # fig.axes[2] is the colour bar
    labels = [line.get_label() for line in left.get_lines()]
    assert "a (2 steps)" in labels and "b (1 steps)" in labels
    curves = {line.get_label(): line.get_ydata() for line in right.get_lines()}
    np.testing.assert_allclose(curves["a"], [11.0, 0.65, 0.01])
    assert curves["b"][-1] == np.finfo(float).tiny  # an exact zero gap is clipped for the log axis
    assert right.get_yscale() == "log"
    fig0, axes = plt.subplots(1, 2)
    assert plotting.plot_optimizer_paths(bowl, paths, (-1, 1), (-1, 1), f_min=-1.0, axes=axes) is fig0
    np.testing.assert_allclose(axes[1].get_lines()[0].get_ydata(), [12.0, 1.65, 1.01])


@pytest.mark.parametrize("paths, match", [
    ({}, "paths: expected at least one path"),
    ({"a": np.zeros((3, 3))}, r"paths\['a'\]: expected shape \(T, 2\)"),
])
def test_plot_optimizer_paths_rejects_bad_paths(paths, match):
    with pytest.raises(ValueError, match=match):
        plotting.plot_optimizer_paths(bowl, paths, (-1, 1), (-1, 1))
    with pytest.raises(ValueError, match="axes: expected 2"):
        plotting.plot_optimizer_paths(bowl, {"a": np.zeros((2, 2))}, (-1, 1), (-1, 1), axes=[plt.gca()])


def test_plot_contraction_rates_curves_markers_and_interval():
    curv = np.linspace(0.1, 10, 50)
    rates = {"gd": np.abs(1 - 0.2 * curv), "hb": np.full(50, 0.5)}
    fig = plotting.plot_contraction_rates(curv, rates, measured={"hb": ([1.0, 9.0], [0.5, 0.51])},
                                          interval=(1.0, 9.0))
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["gd"].get_ydata(), rates["gd"])
    np.testing.assert_array_equal(lines["hb, measured"].get_xdata(), [1.0, 9.0])
    assert "gd, measured" not in lines
    assert any("tuned for [1, 9]" == p.get_label() for p in ax.patches)
    with pytest.raises(ValueError, match=r"rates\['x'\]: expected shape \(50,\)"):
        plotting.plot_contraction_rates(curv, {"x": curv[:3]})
    with pytest.raises(ValueError, match="measured: expected labels of rates"):
        plotting.plot_contraction_rates(curv, rates, measured={"nope": ([1], [1])})
    with pytest.raises(ValueError, match=r"measured\['gd'\]: expected two 1-D arrays of equal length"):
        plotting.plot_contraction_rates(curv, rates, measured={"gd": ([1, 2], [1])})


def test_plot_curves_grid_same_colour_per_label_and_short_curves():
    x = np.arange(5)
    panels = {"loss": {"a": [5, 4, 3, 2, 1], "b": [1, 1, 1]}, "norm": {"b": [2, 2, 2, 2, 2], "a": [3] * 5}}
    fig = plotting.plot_curves_grid(x, panels, xlabel="epoch", logy={"loss"})
    ax0, ax1 = fig.axes
    assert ax0.get_yscale() == "log" and ax1.get_yscale() == "linear"
    assert ax0.get_ylabel() == "loss" and ax1.get_xlabel() == "epoch"
    c0 = {line.get_label(): line.get_color() for line in ax0.get_lines()}
    c1 = {line.get_label(): line.get_color() for line in ax1.get_lines()}
    assert c0 == c1 and c0["a"] != c0["b"]
    short = [line for line in ax0.get_lines() if line.get_label() == "b"][0]
    np.testing.assert_array_equal(short.get_xdata(), [0, 1, 2])
    with pytest.raises(ValueError, match="panels: expected at least one panel"):
        plotting.plot_curves_grid(x, {}, xlabel="x")
    with pytest.raises(ValueError, match=r"panels\['loss'\]\['a'\]: expected at most 5 values"):
        plotting.plot_curves_grid(x, {"loss": {"a": np.ones(6)}}, xlabel="x")


def test_plot_early_stopping_marks_best_and_last_epoch():
    h = History(loss=[1.0, 0.5, 0.3, 0.2], train_acc=[0.5, 0.7, 0.8, 0.9],
                val_loss=[1.1, 0.6, 0.7, 0.8], val_acc=[0.5, 0.6, 0.6, 0.6], best_epoch=2)
    fig = plotting.plot_early_stopping(h)
    left = fig.axes[0]
    labels = [line.get_label() for line in left.get_lines()]
    assert "best epoch 2 (weights kept)" in labels and "stopped after epoch 4" in labels
    best = [line for line in left.get_lines() if line.get_label().startswith("best")][0]
    assert best.get_xdata()[0] == 2
    with pytest.raises(ValueError, match="history: expected validation curves"):
        plotting.plot_early_stopping(History(loss=[1.0], train_acc=[0.5]))


def test_plot_early_stopping_on_a_continued_run():
    history = History(loss=[1.0, 0.5, 0.3, 0.2], train_acc=[0.5] * 4, val_loss=[0.9, 0.6, 0.7, 0.8],
                      val_acc=[0.5] * 4)
    fig = plotting.plot_early_stopping(history, best_epoch=2, stopped_at=3)
    left = fig.axes[0]
    cross = [line for line in left.get_lines() if line.get_label().startswith("stopped")][0]
    assert cross.get_label() == "stopped after epoch 3"
    assert cross.get_xdata()[0] == 3 and cross.get_ydata()[0] == 0.7
    assert [line for line in left.get_lines() if line.get_label() == "best epoch 2 (weights kept)"]
    with pytest.raises(ValueError, match="stopped_at: expected an epoch from 1 to 4"):
        plotting.plot_early_stopping(history, stopped_at=5)


def test_plot_lr_sweep_marks_divergence_and_choice():
    lrs = np.array([0.01, 0.1, 1.0, 10.0])
    val = np.array([0.5, 0.2, 0.4, np.inf])
    fig = plotting.plot_lr_sweep(lrs, {"validation": val}, [False, False, False, True], chosen=0.1,
                                 vlines={"bound": 0.3})
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["validation"].get_xdata(), lrs[:3])  # diverged not drawn
    strip = [a for a in ax.child_axes if a.get_lines()][0]        # diverged runs: a strip above
    crosses = {line.get_label(): line for line in strip.get_lines()}["diverged"]
    np.testing.assert_array_equal(crosses.get_xdata(), [10.0])
    assert not lines["diverged (strip above)"].get_xdata().size      # legend entry only, no loss value
    assert lines[r"chosen $\eta$ = 0.1"].get_xdata()[0] == 0.1 and "bound" in lines
    assert ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="diverged: expected one flag per learning rate"):
        plotting.plot_lr_sweep(lrs, {"v": val}, [True])
    with pytest.raises(ValueError, match="lrs: expected positive"):
        plotting.plot_lr_sweep(np.array([0.0, 1.0]), {}, [False, False])
    with pytest.raises(ValueError, match=r"curves\['v'\]: expected shape \(4,\)"):
        plotting.plot_lr_sweep(lrs, {"v": val[:2]}, [False] * 4)
