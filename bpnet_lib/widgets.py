"""Interactive explorers for the notebooks: thin ipywidgets wrappers over ``plotting``.

This is the only module that imports ipywidgets. Each explorer returns a widget
whose every frame is drawn by a function in :mod:`bpnet_lib.plotting`, so the
static figure printed in the HTML book and the live explorer in Jupyter are the
same picture.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt

from . import plotting

__all__ = ["quadratic_model_explorer"]


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
        fig = plotting.plot_quadratic_model(f, grad, hess, (x0, y0), xlim=xlim,
                                            ylim=ylim, radius=radius)
        plt.show()
        plt.close(fig)

    slider = dict(step=0.05, continuous_update=False)
    return widgets.interactive(
        draw,
        x0=widgets.FloatSlider(value=start[0], min=xlim[0], max=xlim[1], description="x0", **slider),
        y0=widgets.FloatSlider(value=start[1], min=ylim[0], max=ylim[1], description="y0", **slider),
        radius=widgets.FloatSlider(value=radius, min=0.2, max=3.0, description="radius", **slider),
    )
