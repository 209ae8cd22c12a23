"""A vanilla tanh recurrent network and backpropagation through time (BPTT).

One step computes :math:`h_t = \\tanh(x_t W_x + h_{t-1} W_h + b)` on a batch of rows, and a
sequence is that step applied ``T`` times with the *same* weights. Unrolled in time, the
network is a ``T``-layer feed-forward network whose layers share ``W_x``, ``W_h`` and ``b``,
so its backward pass is ordinary backpropagation run from the last step to the first: the
gradient reaching :math:`h_t` is what the loss sends to it directly plus what flows back from
:math:`h_{t+1}`, and each shared weight's gradient is the sum of its per-step gradients. Each
step saves its tanh *output*, since :math:`\\tanh' = 1 - \\tanh^2`. Batch-first layout:
sequences are ``(N, T, D)``, hidden states ``(N, T, H)``.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ._validation import as_float_array, check_ndim

__all__ = [
    "RNNStepCache",
    "RNNCache",
    "rnn_step_forward",
    "rnn_step_backward",
    "rnn_forward",
    "rnn_backward",
    "rnn_step_jacobians",
    "jacobian_product_norms",
]


class RNNStepCache(NamedTuple):
    """What :func:`rnn_step_backward` needs: ``x`` (N, D), ``h_prev`` (N, H), the weights
    ``Wx`` (D, H) and ``Wh`` (H, H), and the step's tanh output ``h`` (N, H)."""

    x: np.ndarray
    h_prev: np.ndarray
    Wx: np.ndarray
    Wh: np.ndarray
    h: np.ndarray


class RNNCache(NamedTuple):
    """What :func:`rnn_backward` needs: the inputs ``X`` (N, T, D), the initial state ``h0``
    (N, H), the weights ``Wx`` (D, H) and ``Wh`` (H, H), and all hidden states ``Hs`` (N, T, H)."""

    X: np.ndarray
    h0: np.ndarray
    Wx: np.ndarray
    Wh: np.ndarray
    Hs: np.ndarray


def _check_weights(Wx, Wh, b, D: int, x_name: str, x_shape: tuple):
    """Clean the weights and check them against the input's ``D``; return them and ``H``."""
    Wx = as_float_array(Wx, "Wx")
    Wh = as_float_array(Wh, "Wh")
    b = as_float_array(b, "b")
    check_ndim(Wx, 2, "Wx", "(D, H)")
    check_ndim(Wh, 2, "Wh", "(H, H)")
    check_ndim(b, 1, "b", "(H,)")
    if Wx.shape[0] != D:
        raise ValueError(
            f"Wx: expected {D} rows to match {x_name}'s D = {D} ({x_name} has shape "
            f"{x_shape}), got Wx of shape {Wx.shape}"
        )
    H = Wx.shape[1]
    if Wh.shape != (H, H):
        raise ValueError(
            f"Wh: expected shape ({H}, {H}) to match Wx's H = {H}, got shape {Wh.shape}"
        )
    if b.shape != (H,):
        raise ValueError(f"b: expected shape ({H},) to match Wx's H = {H}, got shape {b.shape}")
    return Wx, Wh, b, H


def _check_state(h, N: int, H: int, name: str) -> np.ndarray:
    h = as_float_array(h, name)
    if h.shape != (N, H):
        raise ValueError(
            f"{name}: expected shape ({N}, {H}) (N samples, H hidden units), got shape {h.shape}"
        )
    return h


def _common_dtype(*arrays) -> np.dtype:
    """float32 only if every array is float32; otherwise float64."""
    return np.result_type(*arrays)


def _upstream(d, shape: tuple, name: str) -> np.ndarray:
    d = as_float_array(d, name)
    if d.shape != tuple(shape):
        raise ValueError(
            f"{name}: expected the shape of the forward's output {tuple(shape)}, "
            f"got shape {d.shape}"
        )
    return d


# --- one step ----------------------------------------------------------------------------


def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One step of a tanh RNN.

    .. math::
        h = \\tanh(x W_x + h_{\\mathrm{prev}} W_h + \\mathbf{1} b^\\top)

    Parameters
    ----------
    x : array_like, shape (N, D)
        The inputs of ``N`` sequences at this step.
    h_prev : array_like, shape (N, H)
        The previous hidden state.
    Wx : array_like, shape (D, H)
        Input-to-hidden weights.
    Wh : array_like, shape (H, H)
        Hidden-to-hidden (recurrent) weights.
    b : array_like, shape (H,)
        Bias.

    Returns
    -------
    h : ndarray, shape (N, H)
        The new hidden state, float32 only if every input is float32.
    cache : RNNStepCache
        ``(x, h_prev, Wx, Wh, h)``.
    """
    x = as_float_array(x, "x")
    check_ndim(x, 2, "x", "(N, D)")
    N, D = x.shape
    Wx, Wh, b, H = _check_weights(Wx, Wh, b, D, "x", x.shape)
    h_prev = _check_state(h_prev, N, H, "h_prev")
    dtype = _common_dtype(x, h_prev, Wx, Wh, b)
    x, h_prev, Wx, Wh, b = (a.astype(dtype, copy=False) for a in (x, h_prev, Wx, Wh, b))
    h = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h, RNNStepCache(x, h_prev, Wx, Wh, h)


def rnn_step_backward(dh, cache):
    """Backward pass of :func:`rnn_step_forward`.

    With :math:`\\delta = \\frac{\\partial L}{\\partial h} \\odot (1 - h \\odot h)`, the gradient
    with respect to the pre-activation,

    .. math::
        \\frac{\\partial L}{\\partial x} = \\delta W_x^\\top, \\quad
        \\frac{\\partial L}{\\partial h_{\\mathrm{prev}}} = \\delta W_h^\\top, \\quad
        \\frac{\\partial L}{\\partial W_x} = x^\\top \\delta, \\quad
        \\frac{\\partial L}{\\partial W_h} = h_{\\mathrm{prev}}^\\top \\delta, \\quad
        \\frac{\\partial L}{\\partial b} = \\mathbf{1}^\\top \\delta

    Parameters
    ----------
    dh : array_like, shape (N, H)
        Upstream gradient :math:`\\partial L / \\partial h`.
    cache : RNNStepCache
        From :func:`rnn_step_forward`.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dh_prev : ndarray, shape (N, H)
    dWx : ndarray, shape (D, H)
    dWh : ndarray, shape (H, H)
    db : ndarray, shape (H,)
    """
    x, h_prev, Wx, Wh, h = cache
    dh = _upstream(dh, h.shape, "dh")
    delta = (dh * (1 - h * h)).astype(h.dtype, copy=False)
    return delta @ Wx.T, delta @ Wh.T, x.T @ delta, h_prev.T @ delta, delta.sum(axis=0)


# --- a whole sequence --------------------------------------------------------------------


def rnn_forward(X, h0, Wx, Wh, b):
    """Run a tanh RNN over sequences, returning every hidden state.

    .. math::
        h_t = \\tanh(x_t W_x + h_{t-1} W_h + \\mathbf{1} b^\\top), \\qquad t = 1, \\dots, T

    Parameters
    ----------
    X : array_like, shape (N, T, D)
        ``N`` sequences of ``T`` steps with ``D`` features; ``x_t = X[:, t - 1]``.
    h0 : array_like, shape (N, H)
        The initial hidden state.
    Wx : array_like, shape (D, H)
    Wh : array_like, shape (H, H)
    b : array_like, shape (H,)

    Returns
    -------
    Hs : ndarray, shape (N, T, H)
        ``Hs[:, t - 1]`` is :math:`h_t`; float32 only if every input is float32.
    cache : RNNCache
        ``(X, h0, Wx, Wh, Hs)``.
    """
    X = as_float_array(X, "X")
    check_ndim(X, 3, "X", "(N, T, D)")
    N, T, D = X.shape
    Wx, Wh, b, H = _check_weights(Wx, Wh, b, D, "X", X.shape)
    h0 = _check_state(h0, N, H, "h0")
    dtype = _common_dtype(X, h0, Wx, Wh, b)
    X, h0, Wx, Wh, b = (a.astype(dtype, copy=False) for a in (X, h0, Wx, Wh, b))
    # The input projections of all steps in one matmul; only the recurrence is sequential.
    A = X @ Wx + b
    Hs = np.empty((N, T, H), dtype=dtype)
    h = h0
    for t in range(T):
        h = np.tanh(A[:, t] + h @ Wh)
        Hs[:, t] = h
    return Hs, RNNCache(X, h0, Wx, Wh, Hs)


def _check_bptt_steps(bptt_steps, T: int):
    if bptt_steps is None:
        return T
    if (
        isinstance(bptt_steps, bool)
        or not isinstance(bptt_steps, numbers.Integral)
        or bptt_steps < 1
    ):
        raise ValueError(
            f"bptt_steps: expected None or a positive int (the chunk length), got {bptt_steps!r}"
        )
    return int(bptt_steps)


def rnn_backward(dHs, cache, bptt_steps=None):
    """Backpropagation through time for :func:`rnn_forward`.

    The upstream gradient may reach every hidden state. Going backwards from :math:`t = T`,
    the total gradient at :math:`h_t` is the direct one plus what flows back from
    :math:`h_{t+1}`, and the shared weights collect one term per step:

    .. math::
        \\bar h_t = \\frac{\\partial L}{\\partial h_t}\\Big|_{\\text{direct}}
                   + \\delta_{t+1} W_h^\\top, \\qquad
        \\delta_t = \\bar h_t \\odot (1 - h_t \\odot h_t),

        \\frac{\\partial L}{\\partial W_h} = \\sum_{t=1}^{T} h_{t-1}^\\top \\delta_t, \\quad
        \\frac{\\partial L}{\\partial W_x} = \\sum_{t=1}^{T} x_t^\\top \\delta_t, \\quad
        \\frac{\\partial L}{\\partial b} = \\sum_{t=1}^{T} \\mathbf{1}^\\top \\delta_t, \\quad
        \\frac{\\partial L}{\\partial x_t} = \\delta_t W_x^\\top, \\quad
        \\frac{\\partial L}{\\partial h_0} = \\delta_1 W_h^\\top,

    with :math:`\\delta_{T+1} = 0`.

    Parameters
    ----------
    dHs : array_like, shape (N, T, H)
        :math:`\\partial L / \\partial h_t` through the loss's direct dependence on each
        state (zeros where the loss does not read a state, e.g. all but the last step for a
        sequence classifier).
    cache : RNNCache
        From :func:`rnn_forward`.
    bptt_steps : int, optional
        Truncated BPTT in chunks of :math:`k` = ``bptt_steps`` steps (steps
        :math:`1..k`, :math:`k+1..2k`, ..., aligned to the start of the sequence; the last
        chunk may be shorter): Williams and Peng's (1990) BPTT(h; h') with :math:`h = h' = k`, not
        their BPTT(h), which goes back :math:`h` steps from every time step. The gradient
        is not passed from :math:`h_t` back to :math:`h_{t-1}` when :math:`t - 1` is a
        positive multiple of :math:`k`, as if each chunk after the first started from a
        constant state. The result is the exact
        gradient of that cut graph; ``dh0`` receives only what flows back through the first
        chunk. ``None`` (default): full BPTT.

    Returns
    -------
    dX : ndarray, shape (N, T, D)
    dh0 : ndarray, shape (N, H)
    dWx : ndarray, shape (D, H)
    dWh : ndarray, shape (H, H)
    db : ndarray, shape (H,)
    """
    X, h0, Wx, Wh, Hs = cache
    N, T, H = Hs.shape
    dHs = _upstream(dHs, Hs.shape, "dHs")
    k = _check_bptt_steps(bptt_steps, T)
    dtype = Hs.dtype
    dHs = dHs.astype(dtype, copy=False)
    deltas = np.empty_like(Hs)              # delta_t for every step, then two matmuls
    carry = np.zeros((N, H), dtype=dtype)   # delta_{t+1} W_h^T, the path through h_{t+1}
    for t in range(T - 1, -1, -1):
        h = Hs[:, t]
        delta = (dHs[:, t] + carry) * (1 - h * h)
        deltas[:, t] = delta
        carry = delta @ Wh.T
        if t % k == 0 and t > 0:            # truncation: do not pass into the previous chunk
            carry = np.zeros_like(carry)
    dh0 = carry
    H_prev = np.concatenate([h0[:, None, :], Hs[:, :-1]], axis=1)      # h_{t-1}, (N, T, H)
    dX = deltas @ Wx.T
    dWx = np.einsum("ntd,nth->dh", X, deltas)
    dWh = np.einsum("nti,ntj->ij", H_prev, deltas)
    db = deltas.sum(axis=(0, 1))
    return dX, dh0, dWx, dWh, db


def rnn_step_jacobians(cache):
    """The one-step Jacobians :math:`\\partial h_t / \\partial h_{t-1}` of every sample.

    .. math::
        J_t = \\frac{\\partial h_t}{\\partial h_{t-1}} = \\operatorname{diag}(1 - h_t \\odot h_t)\\, W_h^\\top,
        \\qquad [J_t]_{ij} = \\frac{\\partial h_{t,i}}{\\partial h_{t-1,j}}

    (rows index :math:`h_t`, columns :math:`h_{t-1}`). Their products
    :math:`J_T J_{T-1} \\cdots J_{t+1} = \\partial h_T / \\partial h_t` decide whether the
    gradient vanishes or explodes over long distances.

    Parameters
    ----------
    cache : RNNCache
        From :func:`rnn_forward`.

    Returns
    -------
    J : ndarray, shape (N, T, H, H)
        ``J[n, t - 1]`` is :math:`J_t` for sample ``n``.
    """
    Hs, Wh = cache.Hs, cache.Wh
    return (1 - Hs * Hs)[..., :, None] * Wh.T


def jacobian_product_norms(cache):
    """Spectral norms of :math:`\\partial h_T/\\partial h_t` for every distance and sample.

    .. math::
        \\nu_{d,n} = \\big\\lVert J_T J_{T-1} \\cdots J_{T-d+1} \\big\\rVert_2
        = \\Big\\lVert \\frac{\\partial h_T}{\\partial h_{T-d}} \\Big\\rVert_2 ,
        \\qquad d = 0, 1, \\dots, T,

    for sample :math:`n`, with the one-step Jacobians of :func:`rnn_step_jacobians`
    (:math:`\\nu_0 = 1`, the identity). This is how strongly the state :math:`d` steps back
    can still move the last one, and how much of a gradient arriving at :math:`h_T` reaches it.

    Parameters
    ----------
    cache : RNNCache
        From :func:`rnn_forward`.

    Returns
    -------
    norms : ndarray, shape (T + 1, N)
        ``norms[d, n]`` is :math:`\\nu_{d,n}`; float64.
    """
    J = rnn_step_jacobians(cache)
    N, T, H, _ = J.shape
    product = np.broadcast_to(np.eye(H), (N, H, H)).copy()
    norms = np.empty((T + 1, N))
    norms[0] = 1.0
    for d in range(1, T + 1):  # multiply on the right: J_T, then J_T J_{T-1}, ...
        product = product @ J[:, T - d]
        norms[d] = np.linalg.norm(product, 2, axis=(1, 2))
    return norms
