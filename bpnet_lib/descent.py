"""Plain gradient descent, keeping every iterate so a chapter can plot the path.

Learning is the minimisation of an average loss :math:`g(\\theta)` over the
parameters, and the simplest method that needs nothing but the gradient is to
step downhill by a fixed multiple :math:`\\eta` (the learning rate) of it,
:math:`\\theta_{t+1} = \\theta_t - \\eta\\,\\nabla g(\\theta_t)^\\top`. This module is
that loop and nothing more: no momentum, no mini-batches, no schedule (those
belong to the optimisers used for training networks). It returns the whole
path, which is what the early chapters draw and test.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import as_float_array

__all__ = ["gradient_descent"]


def _check_lr(lr) -> float:
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
        raise ValueError(f"lr: expected a positive number, got {lr!r}")
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr: expected a finite number > 0, got {lr!r}")
    return float(lr)


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"steps: expected an integer >= 0, got {steps!r}")
    return int(steps)


def gradient_descent(grad_fn, theta0, lr, steps):
    """Run ``steps`` steps of gradient descent from ``theta0`` and return every iterate.

    .. math::
        \\theta_{t+1} = \\theta_t - \\eta\\, \\nabla g(\\theta_t)^\\top,
        \\qquad t = 0, 1, \\dots, T - 1

    If an iterate stops being finite (the learning rate is too large and the
    iterates overflow), the descent stops there: the rows returned are the
    finite iterates before it, so a diverging run can still be plotted.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(theta)`` returns the gradient of :math:`g` at ``theta``, laid
        out like ``theta`` (shape (P,)).
    theta0 : array_like, shape (P,)
        Starting point. It is not modified.
    lr : float
        The learning rate :math:`\\eta > 0`.
    steps : int
        The number of steps :math:`T \\ge 0`.

    Returns
    -------
    thetas : ndarray, shape (T + 1, P)
        ``thetas[0]`` is ``theta0`` and ``thetas[t]`` the iterate after ``t``
        steps; fewer than ``T + 1`` rows if the iterates overflowed. The dtype
        is ``theta0``'s (float32 stays float32, anything else becomes float64).

    Raises
    ------
    ValueError
        If ``theta0`` is not a non-empty 1-D array of finite numbers, ``lr``
        is not a finite number > 0, ``steps`` is not an integer >= 0, or
        ``grad_fn`` returns something that is not an array of ``theta0``'s shape.
    """
    theta = as_float_array(theta0, "theta0")
    if theta.ndim != 1 or theta.size == 0:
        raise ValueError(
            f"theta0: expected a non-empty 1-D array of shape (P,), got shape {theta.shape}"
        )
    lr = theta.dtype.type(_check_lr(lr))
    steps = _check_steps(steps)

    thetas = np.empty((steps + 1, theta.size), dtype=theta.dtype)
    thetas[0] = theta
    for t in range(steps):
        grad = np.asarray(grad_fn(thetas[t].copy()))
        if grad.shape != theta.shape or not (
            np.issubdtype(grad.dtype, np.number) and not np.iscomplexobj(grad)
        ):
            raise ValueError(
                f"grad_fn: expected a real array of theta's shape {theta.shape}, got "
                f"shape {grad.shape} and dtype {grad.dtype} at step {t}"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            nxt = thetas[t] - lr * grad.astype(theta.dtype, copy=False)
        if not np.all(np.isfinite(nxt)):
            return thetas[: t + 1]
        thetas[t + 1] = nxt
    return thetas
