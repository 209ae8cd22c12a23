"""Tests for bpnet_lib.plotting.calculus: the finite-difference figure draws one labelled
guide per reference slope, parallel to the curve it is anchored to, and the quadratic-model
figure draws the gradient to scale."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bpnet_lib import plotting  # noqa: E402


def _guides(ax):
    return [line for line in ax.get_lines() if line.get_linestyle() == ":"]


def test_error_vs_step_guides_follow_their_curves():
    steps = np.logspace(-1, -9, 17)
    forward, central = 2.0 * steps + 1e-9 / steps, 3.0 * steps**2 + 1e-12 / steps
    fig = plotting.plot_error_vs_step(
        steps, {"forward": forward, "central": central},
        reference_slopes=[(1, "eps", "forward"), (2, "eps^2", "central")])
    ax = fig.axes[0]
    guides = _guides(ax)
    assert len(guides) == 2
    for guide, curve, p in zip(guides, (forward, central), (1, 2)):
        y = np.asarray(guide.get_ydata(), dtype=float)
        shown = np.isfinite(y)
        assert shown.sum() >= 3 and np.all(y[shown] >= curve.min())   # never below the data
        # slope p on log-log axes, a constant factor away from the curve at the largest step
        slopes = np.diff(np.log(y[shown])) / np.diff(np.log(steps[shown]))
        np.testing.assert_allclose(slopes, p, rtol=1e-12)
        assert y[0] / curve[0] in (4.0, 0.25)
    labels = sorted(t.get_text() for t in ax.texts)
    assert labels == ["slope eps", "slope eps^2"]
    plt.close(fig)


def test_error_vs_step_rejects_unknown_curve():
    steps = np.logspace(-1, -5, 5)
    with pytest.raises(ValueError, match="reference_slopes"):
        plotting.plot_error_vs_step(steps, {"central": steps**2}, reference_slopes=[(2, "eps^2", "forward")])
    plt.close("all")


def test_quadratic_model_draws_the_gradient_to_scale():
    f = lambda x, y: x**2 + 3 * y                                   # noqa: E731
    grad = lambda x, y: (2 * x, 3 + 0 * x)                          # noqa: E731
    hess = lambda x, y: np.array([[2.0, 0.0], [0.0, 0.0]])          # noqa: E731
    fig = plotting.plot_quadratic_model(f, grad, hess, (0.5, -1.0))
    ax = fig.axes[0]
    arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    assert len(arrows) == 1
    np.testing.assert_allclose(arrows[0].xy, (0.5 + 1.0, -1.0 + 3.0))   # tip = point + gradient
    np.testing.assert_allclose(arrows[0].xyann, (0.5, -1.0))
    plt.close(fig)
