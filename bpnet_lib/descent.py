r"""Gradient descent and the heavy ball, keeping every iterate so a chapter can plot the path.

Learning is the minimisation of an average loss :math:`\mathcal{L}(\theta)` over the
parameters, and the simplest method that needs nothing but the gradient is to step
downhill by a fixed multiple :math:`\eta` (the learning rate) of it,
:math:`\theta_{t+1} = \theta_t - \eta\,\nabla\mathcal{L}(\theta_t)^\top`
(:func:`gradient_descent`). Polyak's heavy ball adds a multiple :math:`\beta` of the
last step, :math:`\theta_{t+1} = \theta_t - \eta\,\nabla\mathcal{L}(\theta_t)^\top +
\beta(\theta_t - \theta_{t-1})` (:func:`heavy_ball`). These are the loops and nothing
more: no mini-batches, no schedule (the optimiser that trains networks, with the same
momentum, is :class:`bpnet_lib.optim.SGD`). They return the whole path, which is what the
chapters draw and test. The gradient :math:`\nabla\mathcal{L}(\theta)` is a row (as in
:ref:`chain-rule`); ``grad_fn`` returns its transpose, laid out like :math:`\theta`.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import as_float_array

__all__ = ["gradient_descent", "heavy_ball"]


def _check_lr(lr) -> float:
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
        raise ValueError(f"lr: expected a positive number, got {lr!r}")
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr: expected a finite number > 0, got {lr!r}")
    return float(lr)


def _check_momentum(beta) -> float:
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not 0 <= beta < 1:
        raise ValueError(f"momentum: expected a number in [0, 1), got {beta!r}")
    return float(beta)


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"steps: expected an integer >= 0, got {steps!r}")
    return int(steps)


def _check_theta0(theta0) -> np.ndarray:
    """``theta0`` as a float array, required to be 1-D and non-empty."""
    theta = as_float_array(theta0, "theta0")
    if theta.ndim != 1 or theta.size == 0:
        raise ValueError(
            f"theta0: expected a non-empty 1-D array of shape (P,), got shape {theta.shape}"
        )
    return theta


def _gradient(grad_fn, theta: np.ndarray, t: int) -> np.ndarray:
    """``grad_fn`` at a copy of ``theta``, required to be a real array of its shape."""
    grad = np.asarray(grad_fn(theta.copy()))
    if grad.shape != theta.shape or not (
        np.issubdtype(grad.dtype, np.number) and not np.iscomplexobj(grad)
    ):
        raise ValueError(
            f"grad_fn: expected a real array of theta's shape {theta.shape}, got "
            f"shape {grad.shape} and dtype {grad.dtype} at step {t}"
        )
    with np.errstate(over="ignore"):  # an overflow to inf ends the run, as in the step
        return grad.astype(theta.dtype, copy=False)


def gradient_descent(grad_fn, theta0, lr, steps):
    """Run ``steps`` steps of gradient descent from ``theta0`` and return every iterate.

    .. math::
        \\theta_{t+1} = \\theta_t - \\eta\\, \\nabla \\mathcal{L}(\\theta_t)^\\top,
        \\qquad t = 0, 1, \\dots, T - 1

    If an iterate stops being finite (the learning rate is too large and the
    iterates overflow), the descent stops there: the rows returned are the
    finite iterates before it, so a diverging run can still be plotted.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(theta)`` returns :math:`\\nabla\\mathcal{L}(\\theta)^\\top`, the gradient
        of :math:`\\mathcal{L}` at ``theta`` laid out like ``theta`` (shape (P,)).
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
    theta = _check_theta0(theta0)
    lr = theta.dtype.type(_check_lr(lr))
    steps = _check_steps(steps)

    thetas = np.empty((steps + 1, theta.size), dtype=theta.dtype)
    thetas[0] = theta
    for t in range(steps):
        grad = _gradient(grad_fn, thetas[t], t)
        with np.errstate(over="ignore", invalid="ignore"):
            nxt = thetas[t] - lr * grad
        if not np.all(np.isfinite(nxt)):
            return thetas[: t + 1]
        thetas[t + 1] = nxt
    return thetas


def heavy_ball(grad_fn, theta0, lr, momentum, steps):
    r"""Run ``steps`` steps of Polyak's heavy ball from ``theta0`` and return every iterate.

    .. math::
        \theta_{t+1} = \theta_t - \eta\,\nabla\mathcal{L}(\theta_t)^\top
        + \beta\,(\theta_t - \theta_{t-1}),
        \qquad \theta_{-1} = \theta_0,

    so the first step is a plain gradient step. Written with the velocity
    :math:`\mathbf{v}_{t+1} = \theta_{t+1} - \theta_t` this is
    :math:`\mathbf{v}_{t+1} = \beta\mathbf{v}_t - \eta\nabla\mathcal{L}(\theta_t)^\top`,
    :math:`\theta_{t+1} = \theta_t + \mathbf{v}_{t+1}` with :math:`\mathbf{v}_0 = 0`, the
    form :class:`bpnet_lib.optim.SGD` implements; in exact arithmetic the two give the
    same iterates. With :math:`\beta = 0` it is :func:`gradient_descent`. As there, the
    run stops at the first iterate that is not finite.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(theta)`` returns :math:`\nabla\mathcal{L}(\theta)^\top`, shape (P,).
    theta0 : array_like, shape (P,)
        Starting point. It is not modified.
    lr : float
        The learning rate :math:`\eta > 0`.
    momentum : float
        The momentum coefficient :math:`\beta \in [0, 1)`.
    steps : int
        The number of steps :math:`T \ge 0`.

    Returns
    -------
    thetas : ndarray, shape (T + 1, P)
        ``thetas[t]`` is the iterate after ``t`` steps (fewer rows if the iterates
        overflowed); the dtype is ``theta0``'s, as in :func:`gradient_descent`.

    Raises
    ------
    ValueError
        As :func:`gradient_descent`, and if ``momentum`` is not in [0, 1).
    """
    theta = _check_theta0(theta0)
    lr = theta.dtype.type(_check_lr(lr))
    beta = theta.dtype.type(_check_momentum(momentum))
    steps = _check_steps(steps)

    thetas = np.empty((steps + 1, theta.size), dtype=theta.dtype)
    thetas[0] = theta
    for t in range(steps):
        grad = _gradient(grad_fn, thetas[t], t)
        previous = thetas[t - 1] if t > 0 else thetas[0]
        with np.errstate(over="ignore", invalid="ignore"):
            nxt = thetas[t] - lr * grad + beta * (thetas[t] - previous)
        if not np.all(np.isfinite(nxt)):
            return thetas[: t + 1]
        thetas[t + 1] = nxt
    return thetas
