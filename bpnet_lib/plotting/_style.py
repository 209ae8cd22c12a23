"""The book's figure style, applied once when :mod:`bpnet_lib.plotting` is imported.

Legibility is a matter of the size at which text is *displayed*. In the HTML book a figure is
a PNG of ``figure.dpi`` pixels per inch of the figure's tight bounding box, shown at that many
CSS pixels unless it is wider than the content column, which then scales it down. Text of
``pt`` points is therefore displayed at

    pt / 72 * DPI * min(1, COLUMN_PX / (DPI * width_in))   CSS pixels,

where ``width_in`` is the width of the saved (tight) figure. The figures of this module are
sized to the column where their layout allows, at most :data:`COLUMN_IN` inches wide so that
nothing is scaled down on a wide screen, and then use no text smaller than 7 points (9.7 px);
the few drawn wider (network diagrams) use larger text, 9 points or more, so that it stays
above 9 px once scaled down. ``tests/test_figure_legibility.py`` checks every public plotting
function against this model.

In Jupyter the inline backend is switched to "retina" PNGs: twice the pixels, displayed at the
same size, so the figures stay sharp on high-density screens and when zoomed.
"""

from __future__ import annotations

import matplotlib

__all__ = ["DPI", "COLUMN_PX", "COLUMN_IN", "RC", "apply", "display_px"]

#: Pixels per inch of the figures (matplotlib's default, set explicitly).
DPI = 100
#: Width of the book's content column in CSS pixels on a 1280 px wide page, measured in
#: headless Chromium (sphinx-book-theme 1.3, primary and secondary sidebars shown). A 390 px
#: phone has a 342 px column: every figure is shown at about half that size there.
COLUMN_PX = 672
#: The widest figure shown at full size: COLUMN_PX / DPI inches.
COLUMN_IN = COLUMN_PX / DPI

#: rcParams of the book's figures: matplotlib's defaults except where noted.
RC = {
    "figure.dpi": DPI,
    "savefig.dpi": "figure",
    "axes.titlesize": 11.0,       # matplotlib: "large" (12 pt)
    "xtick.labelsize": 9.0,       # matplotlib: "medium" (10 pt, like axis labels)
    "ytick.labelsize": 9.0,
    "legend.fontsize": 9.0,       # matplotlib: "medium"
    "figure.titlesize": 11.0,
}


def display_px(pt, width_in, dpi=DPI, column_px=COLUMN_PX):
    """CSS pixels at which text of ``pt`` points is displayed in a figure ``width_in`` wide."""
    natural = width_in * dpi
    return pt / 72 * dpi * min(1.0, column_px / natural)


def _use_retina_inline():
    """Retina PNGs for the inline backend, when running in IPython with that backend."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the book
        return
    shell = get_ipython()
    if shell is None or "inline" not in str(matplotlib.get_backend()).lower():
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("retina")


def apply():
    """Set :data:`RC` and, in IPython with the inline backend, retina PNGs."""
    matplotlib.rcParams.update(RC)
    _use_retina_inline()
