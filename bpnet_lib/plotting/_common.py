"""Helpers shared by the figure modules of :mod:`bpnet_lib.plotting`.

Evaluating a function of two variables on a grid, for contour plots and decision regions.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "grid_2d",
]


def grid_2d(f, xlim, ylim, n=201):
    """Evaluate a function of two variables on a regular grid.

    Parameters
    ----------
    f : callable
        ``f(x, y)`` evaluated elementwise on arrays of equal shape.
    xlim, ylim : tuple of float
        The ranges ``(min, max)`` of the two axes.
    n : int
        Points per axis.

    Returns
    -------
    X, Y, F : ndarray, shape (n, n)
        The grid (``np.meshgrid`` order, ``X`` varies along columns) and the values.
    """
    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    X, Y = np.meshgrid(xs, ys)
    F = np.broadcast_to(np.asarray(f(X, Y), dtype=float), X.shape)
    return X, Y, F

