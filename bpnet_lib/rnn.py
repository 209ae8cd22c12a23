"""A vanilla tanh recurrent network and backpropagation through time (BPTT).

One step computes :math:`h_t = \\tanh(x_t W_x + h_{t-1} W_h + \\mathbf{b}^\\top)` on a batch of
rows, and a sequence is that step applied ``T`` times with the *same* weights. Unrolled in
time, the network is a ``T``-layer feed-forward network whose layers share ``W_x``, ``W_h``
and ``b``, so its backward pass is ordinary backpropagation run from the last step to the first: the
gradient reaching :math:`h_t` is what the loss sends to it directly plus what flows back from
:math:`h_{t+1}`, and each shared weight's gradient is the sum of its per-step gradients. Each
step saves its tanh *output*, since :math:`\\tanh' = 1 - \\tanh^2`. Batch-first layout:
sequences are ``(N, T, D)``, hidden states ``(N, T, M)`` (:math:`M` the hidden width: the
state is the output of an affine map, and :math:`M` is the book's letter for such outputs).

Dtypes: a forward computes in float32 when every array it is given is float32 and in float64
otherwise (int, bool and float16 arrays are read as float64); its states, its cache and the
gradients its backward returns are in that dtype, whatever the dtype of ``dh`` or ``dHs``.

Aliasing: no function modifies its arguments, and every result is a new array. A cache is
not a copy: it holds the inputs passed in (when they already have the forward's dtype) and
the very hidden states the forward returned, so writing into any of them between the
forward and the backward changes the gradients without an error.

Each backward checks its ``cache``: anything but the cache its own forward returned (a
plain tuple, another function's cache) raises ``TypeError`` naming ``cache``.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ._validation import as_float_array, check_cache, check_ndim

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
    """What :func:`rnn_step_backward` needs: ``x`` (N, D), ``h_prev`` (N, M), the weights
    ``Wx`` (D, M) and ``Wh`` (M, M), and the step's tanh output ``h`` (N, M)."""

    x: np.ndarray
    h_prev: np.ndarray
    Wx: np.ndarray
    Wh: np.ndarray
    h: np.ndarray


class RNNCache(NamedTuple):
    """What :func:`rnn_backward` needs: the inputs ``X`` (N, T, D), the initial state ``h0``
    (N, M), the weights ``Wx`` (D, M) and ``Wh`` (M, M), and all hidden states
    :math:`h_{1:T}`, ``Hs`` (N, T, M)."""

    X: np.ndarray
    h0: np.ndarray
    Wx: np.ndarray
    Wh: np.ndarray
    Hs: np.ndarray


def _check_weights(Wx, Wh, b, D: int, x_name: str, x_shape: tuple):
    """Clean the weights and check them against the input's ``D``; return them and ``M``."""
    Wx = as_float_array(Wx, "Wx")
    Wh = as_float_array(Wh, "Wh")
    b = as_float_array(b, "b")
    check_ndim(Wx, 2, "Wx", "(D, M)")
    check_ndim(Wh, 2, "Wh", "(M, M)")
    check_ndim(b, 1, "b", "(M,)")
    if Wx.shape[0] != D:
        raise ValueError(
            f"Wx: expected {D} rows to match {x_name}'s D = {D} ({x_name} has shape "
            f"{x_shape}), got Wx of shape {Wx.shape}"
        )
    M = Wx.shape[1]
    if Wh.shape != (M, M):
        raise ValueError(
            f"Wh: expected shape ({M}, {M}) to match Wx's M = {M}, got shape {Wh.shape}"
        )
    if b.shape != (M,):
        raise ValueError(f"b: expected shape ({M},) to match Wx's M = {M}, got shape {b.shape}")
    return Wx, Wh, b, M


def _check_state(h, N: int, M: int, name: str, x_name: str) -> np.ndarray:
    h = as_float_array(h, name)
    if h.shape != (N, M):
        raise ValueError(
            f"{name}: expected shape ({N}, {M}) (N samples, M hidden units), got shape {h.shape} "
            f"(N from {x_name}, M from Wx)"
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
        h = \\tanh(z), \\qquad z = x W_x + h_{\\mathrm{prev}} W_h + \\mathbf{1} \\mathbf{b}^\\top

    Parameters
    ----------
    x : array_like, shape (N, D)
        The inputs of ``N`` sequences at this step.
    h_prev : array_like, shape (N, M)
        The previous hidden state.
    Wx : array_like, shape (D, M)
        Input-to-hidden weights :math:`W_x`.
    Wh : array_like, shape (M, M)
        Hidden-to-hidden (recurrent) weights :math:`W_h`.
    b : array_like, shape (M,)
        Bias :math:`\\mathbf{b}`.

    Returns
    -------
    h : ndarray, shape (N, M)
        The new hidden state, float32 only if every input is float32.
    cache : RNNStepCache
        ``(x, h_prev, Wx, Wh, h)``.
    """
    x = as_float_array(x, "x")
    check_ndim(x, 2, "x", "(N, D)")
    N, D = x.shape
    Wx, Wh, b, M = _check_weights(Wx, Wh, b, D, "x", x.shape)
    h_prev = _check_state(h_prev, N, M, "h_prev", "x")
    dtype = _common_dtype(x, h_prev, Wx, Wh, b)
    x, h_prev, Wx, Wh, b = (a.astype(dtype, copy=False) for a in (x, h_prev, Wx, Wh, b))
    h = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h, RNNStepCache(x, h_prev, Wx, Wh, h)


def rnn_step_backward(dh, cache):
    """Backward pass of :func:`rnn_step_forward`.

    With :math:`\\mathrm{d}z = \\frac{\\partial L}{\\partial h} \\odot (1 - h \\odot h)`, the
    gradient with respect to the pre-activation :math:`z` (laid out like :math:`z`),

    .. math::
        \\frac{\\partial L}{\\partial x} = \\mathrm{d}z\\, W_x^\\top, \\quad
        \\frac{\\partial L}{\\partial h_{\\mathrm{prev}}} = \\mathrm{d}z\\, W_h^\\top, \\quad
        \\frac{\\partial L}{\\partial W_x} = x^\\top \\mathrm{d}z, \\quad
        \\frac{\\partial L}{\\partial W_h} = h_{\\mathrm{prev}}^\\top \\mathrm{d}z, \\quad
        \\frac{\\partial L}{\\partial \\mathbf{b}} = (\\mathbf{1}^\\top \\mathrm{d}z)^\\top

    Parameters
    ----------
    dh : array_like, shape (N, M)
        Upstream gradient :math:`\\partial L / \\partial h`.
    cache : RNNStepCache
        From :func:`rnn_step_forward`.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dh_prev : ndarray, shape (N, M)
    dWx : ndarray, shape (D, M)
    dWh : ndarray, shape (M, M)
    db : ndarray, shape (M,)
    """
    check_cache(cache, RNNStepCache, "rnn_step_forward")
    x, h_prev, Wx, Wh, h = cache
    dh = _upstream(dh, h.shape, "dh")
    dz = (dh * (1 - h * h)).astype(h.dtype, copy=False)
    return dz @ Wx.T, dz @ Wh.T, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


# --- a whole sequence --------------------------------------------------------------------


def rnn_forward(X, h0, Wx, Wh, b):
    """Run a tanh RNN over sequences, returning every hidden state.

    .. math::
        h_t = \\tanh(z_t), \\quad z_t = x_t W_x + h_{t-1} W_h + \\mathbf{1} \\mathbf{b}^\\top,
        \\qquad t = 1, \\dots, T

    Parameters
    ----------
    X : array_like, shape (N, T, D)
        ``N`` sequences of ``T`` steps with ``D`` features; ``x_t = X[:, t - 1]``.
    h0 : array_like, shape (N, M)
        The initial hidden state :math:`h_0`.
    Wx : array_like, shape (D, M)
    Wh : array_like, shape (M, M)
    b : array_like, shape (M,)

    Returns
    -------
    Hs : ndarray, shape (N, T, M)
        The states :math:`h_{1:T}`: ``Hs[:, t - 1]`` is :math:`h_t`; float32 only if every
        input is float32.
    cache : RNNCache
        ``(X, h0, Wx, Wh, Hs)``.
    """
    X = as_float_array(X, "X")
    check_ndim(X, 3, "X", "(N, T, D)")
    N, T, D = X.shape
    Wx, Wh, b, M = _check_weights(Wx, Wh, b, D, "X", X.shape)
    h0 = _check_state(h0, N, M, "h0", "X")
    dtype = _common_dtype(X, h0, Wx, Wh, b)
    X, h0, Wx, Wh, b = (a.astype(dtype, copy=False) for a in (X, h0, Wx, Wh, b))
    # The input projections of all steps in one matmul; only the recurrence is sequential.
    proj = X @ Wx + b
    Hs = np.empty((N, T, M), dtype=dtype)
    h = h0
    for t in range(T):
        h = np.tanh(proj[:, t] + h @ Wh)
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
    the total gradient :math:`\\mathrm{d}h_t` at :math:`h_t` is the direct one, :math:`G_t`, plus
    what flows back from :math:`h_{t+1}`; :math:`\\mathrm{d}z_t` is the gradient at the
    pre-activation :math:`z_t`, and the shared weights collect one term per step:

    .. math::
        \\mathrm{d}h_t = G_t + \\mathrm{d}z_{t+1} W_h^\\top, \\qquad
        \\mathrm{d}z_t = \\mathrm{d}h_t \\odot (1 - h_t \\odot h_t),

        \\frac{\\partial L}{\\partial W_h} = \\sum_{t=1}^{T} h_{t-1}^\\top \\mathrm{d}z_t, \\quad
        \\frac{\\partial L}{\\partial W_x} = \\sum_{t=1}^{T} x_t^\\top \\mathrm{d}z_t, \\quad
        \\frac{\\partial L}{\\partial \\mathbf{b}}
            = \\sum_{t=1}^{T} (\\mathbf{1}^\\top \\mathrm{d}z_t)^\\top, \\quad
        \\frac{\\partial L}{\\partial x_t} = \\mathrm{d}z_t W_x^\\top, \\quad
        \\frac{\\partial L}{\\partial h_0} = \\mathrm{d}z_1 W_h^\\top,

    with :math:`\\mathrm{d}z_{T+1} = 0`.

    Parameters
    ----------
    dHs : array_like, shape (N, T, M)
        The direct gradients :math:`G_t = \\partial L / \\partial h_t|_{\\text{direct}}`, through
        the loss's own dependence on each state (zeros where the loss does not read a state,
        e.g. all but the last step for a sequence classifier); ``dHs[:, t - 1]`` is :math:`G_t`.
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
    dh0 : ndarray, shape (N, M)
    dWx : ndarray, shape (D, M)
    dWh : ndarray, shape (M, M)
    db : ndarray, shape (M,)
    """
    check_cache(cache, RNNCache, "rnn_forward")
    X, h0, Wx, Wh, Hs = cache
    N, T, M = Hs.shape
    dHs = _upstream(dHs, Hs.shape, "dHs")
    k = _check_bptt_steps(bptt_steps, T)
    dtype = Hs.dtype
    dHs = dHs.astype(dtype, copy=False)
    dZ = np.empty_like(Hs)                  # dz_t for every step, then two matmuls
    carry = np.zeros((N, M), dtype=dtype)   # dz_{t+1} W_h^T, the path through h_{t+1}
    for t in range(T - 1, -1, -1):
        h = Hs[:, t]
        dz = (dHs[:, t] + carry) * (1 - h * h)
        dZ[:, t] = dz
        carry = dz @ Wh.T
        if t % k == 0 and t > 0:            # truncation: do not pass into the previous chunk
            carry = np.zeros_like(carry)
    dh0 = carry
    Hs_prev = np.concatenate([h0[:, None, :], Hs[:, :-1]], axis=1)     # h_{t-1}, (N, T, M)
    dX = dZ @ Wx.T
    dWx = np.einsum("ntd,ntm->dm", X, dZ)
    dWh = np.einsum("nti,ntj->ij", Hs_prev, dZ)
    db = dZ.sum(axis=(0, 1))
    return dX, dh0, dWx, dWh, db


def rnn_step_jacobians(cache):
    """The one-step Jacobians :math:`A_t = \\partial h_t / \\partial h_{t-1}` of every sample.

    .. math::
        A_t = \\frac{\\partial h_t}{\\partial h_{t-1}}
            = \\operatorname{diag}(1 - h_t \\odot h_t)\\, W_h^\\top,
        \\qquad [A_t]_{ij} = \\frac{\\partial h_{t,i}}{\\partial h_{t-1,j}}

    (rows index :math:`h_t`, columns :math:`h_{t-1}`). Their products
    :math:`A_T A_{T-1} \\cdots A_{t+1} = \\partial h_T / \\partial h_t` decide whether the
    gradient vanishes or explodes over long distances.

    Parameters
    ----------
    cache : RNNCache
        From :func:`rnn_forward`.

    Returns
    -------
    A : ndarray, shape (N, T, M, M)
        ``A[n, t - 1]`` is :math:`A_t` for sample ``n``.
    """
    check_cache(cache, RNNCache, "rnn_forward")
    Hs, Wh = cache.Hs, cache.Wh
    return (1 - Hs * Hs)[..., :, None] * Wh.T


def jacobian_product_norms(cache):
    """Spectral norms of :math:`\\partial h_T/\\partial h_t` for every distance and sample.

    .. math::
        \\big\\lVert A_T A_{T-1} \\cdots A_{T-d+1} \\big\\rVert_2
        = \\Big\\lVert \\frac{\\partial h_T}{\\partial h_{T-d}} \\Big\\rVert_2 ,
        \\qquad d = 0, 1, \\dots, T,

    for each sample, with the one-step Jacobians :math:`A_t` of :func:`rnn_step_jacobians`
    (1 at :math:`d = 0`, the identity). This is how strongly the state :math:`d` steps back
    can still move the last one, and how much of a gradient arriving at :math:`h_T` reaches it.

    Parameters
    ----------
    cache : RNNCache
        From :func:`rnn_forward`.

    Returns
    -------
    norms : ndarray, shape (T + 1, N)
        ``norms[d, n]`` is the norm at distance ``d`` for sample ``n``; float64.
    """
    check_cache(cache, RNNCache, "rnn_forward")
    A = rnn_step_jacobians(cache)
    N, T, M, _ = A.shape
    product = np.broadcast_to(np.eye(M), (N, M, M)).copy()
    norms = np.empty((T + 1, N))
    norms[0] = 1.0
    for d in range(1, T + 1):  # multiply on the right: A_T, then A_T A_{T-1}, ...
        product = product @ A[:, T - d]
        norms[d] = np.linalg.norm(product, 2, axis=(1, 2))
    return norms
