"""Tests for bpnet_lib.widgets: the MLP explorer builds, and its frame prints shapes that
agree with a live BPNet."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from bpnet_lib import widgets  # noqa: E402


def test_mlp_explorer_prints_matching_shapes(capsys):
    w = widgets.mlp_explorer(widths=(4, 6, 3), hidden="tanh", output="sigmoid", N=5)
    w.update()
    out = capsys.readouterr().out
    assert "MISMATCH" not in out
    for line in ("B^(1)", "(5, 6)", "(7, 3)", "[1, Y^(1)]"):
        assert line in out


@pytest.mark.parametrize("text", ["4", "4, x, 2", "4, 0, 2"])
def test_mlp_explorer_explains_bad_widths(text, capsys):
    w = widgets.mlp_explorer()
    w.children[0].value = text
    w.update()
    assert "expected at least two positive integers" in capsys.readouterr().out


def test_decision_region_explorer_trains_with_the_chosen_settings():
    import numpy as np

    calls = []

    def train(X, y, width, depth, activation):
        calls.append((len(X), width, depth, activation))
        return (lambda P: (P[:, 0] > 0).astype(int)), 0.5

    X = np.array([[-1.0, 0.0], [1.0, 0.0], [0.5, 1.0]])
    y = np.array([0, 1, 1])
    w = widgets.decision_region_explorer(train, {"toy": (X, y), "other": (X[:2], y[:2])},
                                         width=5, depth=2, activation="tanh")
    w.update()
    assert calls[-1] == (3, 5, 2, "tanh")
    w.children[0].value = "other"
    w.update()
    assert calls[-1] == (2, 5, 2, "tanh")
    with pytest.raises(ValueError, match="at least one"):
        widgets.decision_region_explorer(train, {})


def test_init_explorer_draws_every_chosen_pair(monkeypatch):
    from bpnet_lib import plotting

    drawn = []
    real = plotting.plot_init_statistics
    monkeypatch.setattr(plotting, "plot_init_statistics",
                        lambda stats: drawn.append(stats) or real(stats))
    w = widgets.init_explorer(activations=("relu", "tanh"), inits=("he",), depth=3, width=8,
                              n_samples=4)
    w.update()
    assert list(drawn[-1]) == ["relu + he", "tanh + he"]
    w.children[4].value = "alternating"
    w.update()
    assert drawn[-1]["relu + he"]["widths"] == [8, 2, 8, 2]


def test_backward_pass_explorer_draws_the_chosen_step(monkeypatch):
    import numpy as np

    from bpnet_lib import plotting

    steps = []
    real = plotting.plot_backward_pass
    monkeypatch.setattr(plotting, "plot_backward_pass",
                        lambda dZ, dB, step=None: steps.append(step) or real(dZ, dB, step=step))
    dZ = [np.ones((2, 3)), np.ones((2, 2))]
    dB = [np.ones((4, 3)), np.ones((4, 2))]
    w = widgets.backward_pass_explorer(dZ, dB)
    w.update()
    assert steps[-1] == 1
    w.children[0].value = 2
    w.update()
    assert steps[-1] == 2 and w.children[0].max == 2


def test_conv_geometry_explorer_follows_the_sizes(monkeypatch, capsys):
    from bpnet_lib import plotting

    calls = []
    real = plotting.plot_conv_geometry
    monkeypatch.setattr(plotting, "plot_conv_geometry",
                        lambda *a, **k: calls.append((a, k)) or real(*a, **k))
    w = widgets.conv_geometry_explorer(n_h=7, n_w=7, kh=3, kw=3, stride=2, padding=1,
                                       out_pos=(1, 1), in_pos=(3, 3), backward=True)
    c = {x.description: x for x in w.children[:-1]}
    w.update()
    assert calls[-1][0] == (7, 7, 3, 3, 2, 1)
    assert calls[-1][1] == dict(out_pos=(1, 1), in_pos=(3, 3))
    assert c["out row u'"].max == 3 and c["in row u"].max == 6          # n_h' = 4, n_h = 7
    c["stride"].value = 3                                                 # n_h' = 3
    assert c["out row u'"].max == 2
    c["out row u'"].value = 2
    c["forward: receptive field"].value = False
    w.update()
    assert calls[-1][0] == (7, 7, 3, 3, 3, 1) and calls[-1][1]["out_pos"] is None
    c["n_h"].value, c["padding"].value = 2, 0                               # kernel too tall
    n = len(calls)
    w.update()
    assert len(calls) == n and "does not fit" in capsys.readouterr().out


def test_rnn_gradient_explorer_draws_norms_under_the_bound(monkeypatch):
    import numpy as np

    from bpnet_lib import plotting

    drawn = []
    real = plotting.plot_gradient_norms
    monkeypatch.setattr(plotting, "plot_gradient_norms",
                        lambda d, n, b, **kw: drawn.append((d, n, b)) or real(d, n, b, **kw))
    w = widgets.rnn_gradient_explorer(rho=0.8, T=20, M=8, N=4)
    w.update()
    distance, norms, bounds = drawn[-1]
    (label, mean_norms), (_, bound) = next(iter(norms.items())), next(iter(bounds.items()))
    assert label == r"$\rho = 0.8$" and distance.tolist() == list(range(21))
    np.testing.assert_allclose(bound, 0.8 ** np.arange(21))
    assert mean_norms[0] == 1.0 and np.all(mean_norms <= bound * (1 + 1e-10))  # ||W_h||_2 bound
    w.children[0].value = 2.0                                         # rho
    w.children[2].value = 30                                          # T
    w.update()
    distance, norms, bounds = drawn[-1]
    assert len(distance) == 31 and next(iter(norms)) == r"$\rho = 2$"
    assert next(iter(norms.values()))[10] > 1                         # it grows at rho = 2
