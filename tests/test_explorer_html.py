"""Tests for bpnet_lib.explorer_html: the frames of the HTML explorers and their HTML.

The HTML must follow the DOM contract that _static/bpnet-explorer.js and the browser test
rely on: one div.bpnet-explorer[data-explorer], controls of class bpnet-explorer-control,
exactly one img.bpnet-explorer-frame with an alt text, a line on running the live version,
and the frames as data URIs in a JSON script.
"""

import matplotlib

matplotlib.use("Agg")

import base64  # noqa: E402
import io  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402
from PIL import Image  # noqa: E402

from bpnet_lib import explorer_html as ex  # noqa: E402
from bpnet_lib.explorer_html import Control, html_explorer  # noqa: E402


def bars(a, kind, calls=None):
    """A small figure that differs for every (a, kind)."""
    if calls is not None:
        calls.append((a, kind))
    fig, ax = plt.subplots(figsize=(2.0, 1.5))
    ax.bar([0, 1], [a, 1.0], color="C0" if kind == "left" else "C1")
    ax.set_ylim(0, 4)
    ax.set_title(f"{a} {kind}", fontsize=8)
    return fig


@pytest.fixture
def small():
    calls = []
    e = html_explorer("toy", lambda a, kind: bars(a, kind, calls),
                      [Control("a", (1, 2, 3), default=2), Control("kind", ("left", "right"))],
                      alt="Two bars")
    return e, calls


def decode(uri):
    assert uri.startswith("data:image/png;base64,")
    return base64.b64decode(uri.split(",", 1)[1])


def parse(e):
    soup = BeautifulSoup(e._repr_html_(), "html.parser")
    roots = soup.select("div.bpnet-explorer")
    assert len(roots) == 1
    return roots[0]


# --- Control --------------------------------------------------------------------------------


def test_control_kinds_labels_and_default():
    c = Control("lr", (0.05, 0.5, 2.0), default=0.5, label="learning rate")
    assert c.kind == "range" and c.labels == ("0.05", "0.5", "2") and c.default_index == 1
    assert c.default == 0.5 and len(c) == 3
    s = Control("data", ("spirals", "XOR"))
    assert s.kind == "select" and s.default == "spirals" and s.label == "data"
    b = Control("bias", (True, False), fmt=lambda v: "on" if v else "off")
    assert b.kind == "select" and b.labels == ("on", "off")          # booleans are not numbers
    assert Control("shift", (-1.0, 0.0, 2.0), default=0, fmt="{:+g}").labels == ("-1", "+0", "+2")
    assert Control("shift", (-1.0, 0.0), default=0).default_index == 1   # 0 and 0.0 alike


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(name=3, values=(1, 2)), TypeError, "name"),
    (dict(name="not a name", values=(1, 2)), ValueError, "name"),
    (dict(name="a", values="abc"), TypeError, "values"),
    (dict(name="a", values=()), ValueError, "values"),
    (dict(name="a", values=(1, 2, 1.0)), ValueError, "distinct"),
    (dict(name="a", values=(1, 2), default=3), ValueError, "default"),
    (dict(name="a", values=(1, 2), label=7), TypeError, "label"),
    (dict(name="a", values=(1, 2), fmt=7), TypeError, "fmt"),
])
def test_control_rejects_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        Control(**kwargs)


# --- html_explorer ----------------------------------------------------------------------------


def test_one_frame_per_combination_in_row_major_order(small):
    e, calls = small
    assert len(e) == 6 and e.shape == (3, 2) and len(e.images) == 6
    assert calls == list(itertools.product((1, 2, 3), ("left", "right")))
    assert e.frame_number(a=1, kind="left") == 0 and e.frame_number(a=3, kind="right") == 5
    assert e.frame_number() == e.frame_number(a=2, kind="left") == 2         # the defaults
    assert plt.get_fignums() == []                                           # every figure closed


def test_frame_values_are_checked(small):
    e, _ = small
    with pytest.raises(ValueError, match="a: expected one of"):
        e.frame(a=4)
    with pytest.raises(TypeError, match="keywords among"):
        e.frame(b=1)


def test_frames_are_pngs_of_one_size_without_metadata(small):
    e, _ = small
    sizes = set()
    for png in e.images:
        im = Image.open(io.BytesIO(png))
        assert im.format == "PNG" and im.mode == "P"                         # 256-colour palette
        assert "Software" not in im.info and not any(k.startswith("date") for k in im.info)
        sizes.add(im.size)
    assert sizes == {e.size}
    # 2 x 1.5 inches at 100 dpi, cropped to the drawing plus a 0.1 inch margin at most.
    assert e.size[0] <= 200 and e.size[1] <= 150


def test_frames_are_the_figures_drawn():
    """The frame is the drawn figure: a red figure gives a red frame, a blue one a blue."""
    def flat(colour):
        fig = plt.figure(figsize=(1, 1))
        fig.patch.set_facecolor(colour)
        return fig

    e = html_explorer("flat", lambda colour: flat(colour),
                      Control("colour", ("red", "blue")), alt="A square", colors=None)
    for colour, rgb in (("red", (255, 0, 0)), ("blue", (0, 0, 255))):
        im = Image.open(io.BytesIO(e.frame(colour=colour))).convert("RGB")
        assert im.getpixel((im.width // 2, im.height // 2)) == rgb


def test_html_follows_the_contract(small):
    e, _ = small
    root = parse(e)
    assert root["data-explorer"] == "toy"
    controls = root.select(".bpnet-explorer-control")
    assert [c.name for c in controls] == ["input", "select"]
    rng = controls[0]
    assert rng["type"] == "range" and (rng["min"], rng["max"], rng["step"], rng["value"]) == \
        ("0", "2", "1", "1")
    assert root.select_one(f'output[for="{rng["id"]}"]').text == "2"
    assert [o.text for o in controls[1].select("option")] == ["left", "right"]
    assert controls[1].select_one("option[selected]")["value"] == "0"
    labels = {lab["for"]: lab.text for lab in root.select("label.bpnet-explorer-label")}
    assert labels == {rng["id"]: "a", controls[1]["id"]: "kind"}
    assert root.select_one(".bpnet-explorer-controls").has_attr("hidden")  # shown by the JS

    frames = root.select("img.bpnet-explorer-frame")
    assert len(frames) == 1 and frames[0]["alt"] == "Two bars"
    assert decode(frames[0]["src"]) == e.frame()                            # the default frame
    assert (int(frames[0]["width"]), int(frames[0]["height"])) == e.size

    data = json.loads(root.select_one('script.bpnet-explorer-data[type="application/json"]').string)
    assert [c["labels"] for c in data["controls"]] == [["1", "2", "3"], ["left", "right"]]
    default = e.index[e.frame_number()]
    assert data["images"][default] is None                                  # only in the img
    assert [decode(u) for k, u in enumerate(data["images"]) if k != default] == \
        [png for k, png in enumerate(e.images) if k != default]
    assert data["index"] == e.index and data["texts"] is None
    live = root.select_one("p.bpnet-explorer-live")
    assert "make lab" in live.text and "notebook" in live.text


def test_html_is_deterministic(small):
    e, _ = small
    again = html_explorer("toy", lambda a, kind: bars(a, kind),
                          [Control("a", (1, 2, 3), default=2), Control("kind", ("left", "right"))],
                          alt="Two bars")
    assert again._repr_html_() == e._repr_html_()
    assert repr(again) == repr(e) and "6 frames" in repr(e) and "0x" not in repr(e)


def test_texts_travel_with_the_frames():
    e = html_explorer("texts", lambda n: (bars(n, "left"), f"n = {n}\n<b>"),
                      Control("n", (1, 2)), alt="Bars")
    assert e.text(n=2) == "n = 2\n<b>"
    root = parse(e)
    assert root.select_one("pre.bpnet-explorer-text").text == "n = 1\n<b>"     # escaped
    data = json.loads(root.select_one("script.bpnet-explorer-data").string)
    assert data["texts"] == ["n = 1\n<b>", "n = 2\n<b>"]


def test_identical_frames_are_refused_or_stored_once():
    draw = lambda n: bars(1, "left")                                        # noqa: E731
    with pytest.raises(ValueError, match="same for"):
        html_explorer("same", draw, Control("n", (1, 2)), alt="Bars")
    e = html_explorer("same", draw, Control("n", (1, 2)), alt="Bars", distinct=False)
    assert len(e) == 2 and len(e.images) == 1 and e.index == [0, 0]


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(name="Bad Name"), ValueError, "name"),
    (dict(draw=3), TypeError, "draw"),
    (dict(controls=[]), ValueError, "controls"),
    (dict(controls=[("a", (1, 2))]), TypeError, "controls"),
    (dict(controls=[Control("a", (1, 2)), Control("a", (3,))]), ValueError, "distinct names"),
    (dict(alt=" "), ValueError, "alt"),
    (dict(dpi=0), ValueError, "dpi"),
    (dict(colors=1), ValueError, "colors"),
    (dict(colors=True), ValueError, "colors"),
    (dict(max_frames=2), ValueError, "max_frames"),
    (dict(draw=lambda a: "not a figure"), TypeError, "draw"),
    (dict(live=3), TypeError, "live"),
])
def test_html_explorer_rejects_bad_arguments(kwargs, error, words):
    args = dict(name="toy", draw=lambda a: bars(a, "left"), controls=[Control("a", (1, 2, 3))],
                alt="Bars")
    args.update(kwargs)
    with pytest.raises(error, match=words):
        html_explorer(**args)
    plt.close("all")


# --- The book's explorers ---------------------------------------------------------------------


def test_backward_pass_explorer_has_a_frame_per_layer():
    dZ = [np.ones((2, 3)), np.full((2, 2), 2.0)]
    dB = [np.ones((4, 3)), np.ones((4, 2))]
    e = ex.backward_pass_explorer(dZ, dB)
    assert len(e) == 2 and e.controls[0].values == (1, 2) and e.frame_number() == 0
    assert parse(e)["data-explorer"] == "backward-pass"


def test_conv_geometry_explorer_covers_every_position():
    out = ex.conv_geometry_explorer(n_h=5, n_w=4, kh=3, kw=2, stride=2, padding=0,
                                    follow="output", pos=(1, 0))
    assert out.shape == (2, 2) and out.frame_number() == 2                  # n_h' = 2, n_w' = 2
    inp = ex.conv_geometry_explorer(n_h=3, n_w=2, kh=2, kw=2, stride=1, padding=0,
                                    follow="input", pos=(2, 1))
    assert inp.shape == (3, 2) and inp.frame_number() == 5
    with pytest.raises(ValueError, match="follow"):
        ex.conv_geometry_explorer(follow="sideways")
    with pytest.raises(ValueError, match="pos"):
        ex.conv_geometry_explorer(n_h=5, n_w=4, kh=3, kw=2, follow="output", pos=(3, 0))
    with pytest.raises(ValueError, match="does not fit"):
        ex.conv_geometry_explorer(n_h=2, n_w=2, kh=3, kw=3, padding=0)


def test_softmax_cross_entropy_explorer_shifts_the_true_logit(monkeypatch):
    from bpnet_lib import plotting

    drawn = []
    real = plotting.plot_softmax_cross_entropy
    monkeypatch.setattr(plotting, "plot_softmax_cross_entropy",
                        lambda z, label: drawn.append((list(z), label)) or real(z, label))
    e = ex.softmax_cross_entropy_explorer(z=(1.0, 0.0, -1.0), label=1, shifts=(-1.0, 2.0))
    assert e.shape == (3, 3) and e.controls[1].values == (-1.0, 0.0, 2.0)    # 0 added
    assert e.frame_number() == 4                                             # label 1, shift 0
    assert drawn[4] == ([1.0, 0.0, -1.0], 1) and drawn[8] == ([1.0, 0.0, 1.0], 2)
    with pytest.raises(ValueError, match="label"):
        ex.softmax_cross_entropy_explorer(z=(1.0, 0.0), label=2)
    with pytest.raises(ValueError, match="z"):
        ex.softmax_cross_entropy_explorer(z=(1.0,), label=0)


def test_mlp_explorer_prints_the_live_widgets_table(capsys):
    from bpnet_lib import widgets

    e = ex.mlp_explorer(widths=(4, 6, 3), hidden="tanh", output="sigmoid", N=5,
                        width_options=((2, 2),), biases=(True, False))
    assert e.controls[0].values == ((4, 6, 3), (2, 2)) and len(e) == 4
    w = widgets.mlp_explorer(widths=(4, 6, 3), hidden="tanh", output="sigmoid", N=5)
    w.update()
    printed = capsys.readouterr().out.split("\r")[-1]                     # after clear_output
    assert printed == e.text() + "\n" and "MISMATCH" not in printed and "(7, 3)" in printed
    with pytest.raises(ValueError, match="widths"):
        ex.mlp_explorer(widths=(4,))


def test_decision_region_explorer_trains_each_combination():
    calls = []

    def train(X, y, width, depth, activation):
        calls.append((len(X), width, depth, activation))
        w = width * (1 if activation == "relu" else -1)
        return (lambda P: (P[:, 0] * w + depth > 0).astype(int)), 0.5

    X = np.array([[-1.0, 0.0], [1.0, 0.0], [0.5, 1.0]])
    y = np.array([0, 1, 1])
    e = ex.decision_region_explorer(train, {"toy": (X, y), "two": (X[:2], y[:2])}, width=1,
                                    depth=0, activation="relu", activations=("relu", "tanh"),
                                    widths=(2,), depths=(1,))
    assert e.shape == (2, 2, 2, 2) and len(calls) == 16
    assert calls[0] == (3, 1, 0, "relu") and calls[-1] == (2, 2, 1, "tanh")
    with pytest.raises(ValueError, match="at least one"):
        ex.decision_region_explorer(train, {})
    with pytest.raises(ValueError, match="activation"):
        ex.decision_region_explorer(train, {"toy": (X, y)}, activation="elu")


def test_rnn_gradient_explorer_grid_and_checks():
    e = ex.rnn_gradient_explorer(rho=1.0, input_scale=0.15, T=10, M=4, N=2,
                                 rhos=(0.5, 2.0), input_scales=(0.0,))
    assert e.controls[0].values == (0.5, 1.0, 2.0) and e.controls[1].values == (0.0, 0.15)
    assert e.frame_number() == 3
    with pytest.raises(ValueError, match="T"):
        ex.rnn_gradient_explorer(T=500, M=4, N=2)


def test_small_depth_init_descent_and_quadratic_explorers():
    act = ex.activation_depth_explorer(activations=("tanh",), depth=3, width=8, n_samples=4,
                                       depths=(2,), scales=(1.0,), extra=("relu",))
    assert act.shape == (2, 2, 1) and act.controls[0].values == ("tanh", "tanh, relu")
    init = ex.init_explorer(inits=("he",), activations=("relu", "tanh"), depth=3, width=8,
                            n_samples=4, scales=(1.0,))
    assert init.shape == (2, 1, 2)
    with pytest.raises(ValueError, match="activation"):
        ex.init_explorer(activation="elu", activations=("relu",))
    f = lambda a, b: a**2 + 4 * b**2                                        # noqa: E731
    grad = lambda t: np.array([2 * t[0], 8 * t[1]])                         # noqa: E731
    desc = ex.descent_explorer(f, grad, np.array([1.0, 1.0]), (-2, 2), (-2, 2), lr=0.1, steps=3,
                               lrs=(0.2,), step_counts=(1,))
    assert desc.shape == (2, 2) and desc.frame_number() == 1                 # lr 0.1, 3 steps
    quad = ex.quadratic_model_explorer(
        f, lambda a, b: np.array([2 * a, 8 * b]),
        lambda a, b: np.array([[2.0, 0.0], [0.0, 8.0]]), start=(0.5, 0.5), x0s=(0.0,),
        y0s=(0.0,))
    assert quad.shape == (2, 2) and quad.frame_number() == 3
