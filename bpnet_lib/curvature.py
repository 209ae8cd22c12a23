r"""Curvature without the Hessian: Hessian-vector products from two gradients.

The Hessian :math:`\nabla^2\mathcal{L}(\theta)` of a network's loss has :math:`P^2` entries
for :math:`P` parameters -- far too many to form. What second-order methods need is its
action on one direction :math:`\mathbf{d}`, and that costs about two gradients: by a
central difference of the gradient,

.. math::

   \nabla^2\mathcal{L}(\theta)\,\mathbf{d} \approx
   \frac{\nabla\mathcal{L}(\theta + \epsilon\mathbf{d})^\top - \nabla\mathcal{L}(\theta - \epsilon\mathbf{d})^\top}{2\epsilon},

with an error of order :math:`\epsilon^2` where the gradient is three times continuously
differentiable (:math:`\mathcal{L}` four times). This module views a model's loss as a function of one flat
vector :math:`\theta \in \mathbb{R}^P` (:func:`parameter_vector`, :func:`gradient_function`),
computes Hessian-vector products by that difference (:func:`hvp`) and exactly, with
Pearlmutter's R-operator, for a chain of linear layers and element-wise activations under
softmax cross-entropy (:func:`hvp_rop`), a dense Hessian column by column for small checks
(:func:`hessian`), and the eigenvalue of largest magnitude by power iteration
(:func:`power_iteration`). The gradient :math:`\nabla\mathcal{L}(\theta)` is a row, as in
:ref:`chain-rule`; the functions here return its transpose :math:`\nabla\mathcal{L}(\theta)^\top`,
a flat array laid out like :math:`\theta`.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import network as _net
from ._validation import as_float_array
from .activations import softmax as _softmax

__all__ = [
    "parameter_vector",
    "set_parameter_vector",
    "gradient_function",
    "hvp",
    "hvp_rop",
    "hessian",
    "power_iteration",
]


def _params(model) -> dict:
    params = getattr(model, "params", None)
    if not callable(params):
        raise ValueError(
            f"model: expected an object with params(), got {type(model).__name__} without it"
        )
    return params()


def parameter_vector(model) -> np.ndarray:
    """All parameters of ``model`` as one new vector, in the order of ``model.params()``.

    Parameters
    ----------
    model : object with ``params()``
        E.g. a :class:`~bpnet_lib.network.Sequential` or a :class:`~bpnet_lib.bpnet.BPNet`.

    Returns
    -------
    theta : ndarray of float64, shape (P,)
        A copy: changing it does not change the model.
    """
    params = _params(model)
    if not params:
        return np.zeros(0)
    return np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in params.values()])


def set_parameter_vector(model, theta) -> None:
    """Write the flat vector ``theta`` into ``model``'s parameter arrays, in place.

    Parameters
    ----------
    model : object with ``params()``
    theta : array_like, shape (P,)
        In the order of :func:`parameter_vector`.

    Raises
    ------
    ValueError
        If ``theta`` is not a finite 1-D array of length P.
    """
    params = _params(model)
    theta = as_float_array(theta, "theta")
    P = sum(p.size for p in params.values())
    if theta.shape != (P,):
        raise ValueError(f"theta: expected shape ({P},) (P, the model's parameter count), got shape {theta.shape}")
    start = 0
    for p in params.values():
        p[...] = theta[start:start + p.size].reshape(p.shape)
        start += p.size


def gradient_function(model, loss_fn, X, y):
    r"""The gradient of ``model``'s loss on ``(X, y)`` as a function of the flat parameters.

    Parameters
    ----------
    model : Sequential or any layer
        Has ``forward``, ``backward``, ``params`` and ``grads``. It is used in the mode it
        is in: call ``model.eval()`` first if it holds dropout, or the gradient is random.
    loss_fn : callable
        ``(S, y) -> (loss, dS)``, e.g. :func:`bpnet_lib.losses.softmax_cross_entropy`.
    X : array_like, shape (N, ...)
    y : array_like, shape (N,) or (N, K)

    Returns
    -------
    grad : callable
        ``grad(theta)`` returns :math:`\nabla\mathcal{L}(\theta)^\top`, an ndarray of shape (P,)
        laid out like :func:`parameter_vector`, where :math:`\mathcal{L}(\theta)` is
        ``loss_fn(model.forward(X), y)[0]`` at parameters ``theta``. One call is one
        forward and one backward pass. The model's parameters are put back afterwards (its
        caches and stored gradients are those of ``theta``).
        ``grad.loss(theta)`` returns :math:`\mathcal{L}(\theta)` (a forward pass only), and
        ``grad.calls`` counts the gradients computed so far.
    """
    for method in ("forward", "backward", "grads"):
        if not callable(getattr(model, method, None)):
            raise ValueError(
                f"model: expected an object with forward, backward, params and grads, got "
                f"{type(model).__name__} without {method}()"
            )
    P = parameter_vector(model).size

    def _at(theta, run):
        saved = parameter_vector(model)
        set_parameter_vector(model, theta)
        try:
            return run()
        finally:
            set_parameter_vector(model, saved)

    def loss(theta):
        return float(_at(theta, lambda: loss_fn(model.forward(X), y)[0]))

    def grad(theta):
        def run():
            _, dS = loss_fn(model.forward(X), y)
            model.backward(dS)
            return np.concatenate([np.asarray(g, dtype=np.float64).ravel()
                                   for g in model.grads().values()]) if P else np.zeros(0)
        grad.calls += 1
        return _at(theta, run)

    grad.calls = 0
    grad.loss = loss
    return grad


def _vector(v, name: str, P=None) -> np.ndarray:
    v = np.asarray(as_float_array(v, name), dtype=np.float64)
    if v.ndim != 1 or (P is not None and v.shape != (P,)):
        expected = "(P,)" if P is None else f"({P},)"
        raise ValueError(f"{name}: expected a 1-D array of shape {expected}, got shape {v.shape}")
    return v


def _step(eps) -> float:
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not np.isfinite(eps) or eps <= 0:
        raise ValueError(f"eps: expected a positive finite step such as 1e-5, got {eps!r}")
    return float(eps)


def _gradient_at(grad_fn, theta, P):
    g = np.asarray(grad_fn(theta.copy()), dtype=np.float64)
    if g.shape != (P,):
        raise ValueError(f"grad_fn: expected a gradient of shape ({P},) (like theta), got shape {g.shape}")
    return g


def hvp(grad_fn, theta, d, eps=1e-5):
    r"""Hessian-vector product :math:`\nabla^2\mathcal{L}(\theta)\,\mathbf{d}` by a central difference of gradients.

    .. math::

       \nabla^2\mathcal{L}(\theta)\,\mathbf{d} \approx \lVert\mathbf{d}\rVert\,
       \frac{\nabla\mathcal{L}(\theta + \epsilon\hat{\mathbf{d}})^\top -
             \nabla\mathcal{L}(\theta - \epsilon\hat{\mathbf{d}})^\top}{2\epsilon},
       \qquad \hat{\mathbf{d}} = \mathbf{d}/\lVert\mathbf{d}\rVert .

    The step is taken along the unit vector, so ``eps`` is a distance in parameter
    space whatever the size of ``d``; since the product is linear in :math:`\mathbf{d}`,
    the difference along :math:`\hat{\mathbf{d}}` is multiplied by
    :math:`\lVert\mathbf{d}\rVert`. Cost: two calls of ``grad_fn``. The truncation
    error is of order :math:`\epsilon^2` (times fourth derivatives of the loss) where the
    gradient is three times continuously differentiable between the two points; a ReLU
    network's gradient is not even continuous at its kinks, and a difference that straddles
    one is wrong by order one.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(theta)`` returns :math:`\nabla\mathcal{L}(\theta)^\top`, shape (P,), e.g. from
        :func:`gradient_function`.
    theta : array_like, shape (P,)
    d : array_like, shape (P,)
        The direction. A zero direction gives a zero product without calling ``grad_fn``.
    eps : float, default 1e-5

    Returns
    -------
    ndarray of float64, shape (P,)
    """
    theta = _vector(theta, "theta")
    d = _vector(d, "d", theta.size)
    eps = _step(eps)
    norm = float(np.linalg.norm(d))
    if norm == 0.0:
        return np.zeros_like(theta)
    u = d / norm
    g_plus = _gradient_at(grad_fn, theta + eps * u, theta.size)
    g_minus = _gradient_at(grad_fn, theta - eps * u, theta.size)
    return norm * (g_plus - g_minus) / (2.0 * eps)


_ACTIVATIONS = {
    # layer class: (first derivative, second derivative), both as functions of the input Z and output A
    _net.ReLU: (lambda Z, A: (Z > 0).astype(Z.dtype), lambda Z, A: np.zeros_like(Z)),
    _net.Tanh: (lambda Z, A: 1 - A**2, lambda Z, A: -2 * A * (1 - A**2)),
    _net.Sigmoid: (lambda Z, A: A * (1 - A), lambda Z, A: A * (1 - A) * (1 - 2 * A)),
}


def hvp_rop(model, X, y, d):
    r"""Exact Hessian-vector product of the mean softmax cross-entropy, by Pearlmutter's R-operator.

    The R-operator :math:`\mathcal{R}\{u\} = \frac{\partial}{\partial r} u(\theta + r\mathbf{d})
    \big|_{r=0}` -- the derivative of a quantity :math:`u` of the computation along
    :math:`\mathbf{d}` -- is applied to every line of the forward and the backward pass; it is
    linear and obeys the product rule, the data give :math:`\mathcal{R}\{X\} = 0`, and a
    parameter gives its piece of :math:`\mathbf{d}`. On the forward pass, for a linear layer
    :math:`Z = XW + \mathbf{1}\mathbf{b}^\top` whose parameters have the directions
    :math:`\mathcal{R}\{W\}` and :math:`\mathcal{R}\{\mathbf{b}\}`, and an activation
    :math:`Y = g(Z)`,

    .. math::

       \mathcal{R}\{Z\} = \mathcal{R}\{X\}W + X\mathcal{R}\{W\} + \mathbf{1}\mathcal{R}\{\mathbf{b}\}^\top, \qquad
       \mathcal{R}\{Y\} = g'(Z)\odot\mathcal{R}\{Z\};

    the loss, the mean cross-entropy of the scores :math:`S` with probabilities
    :math:`\mathbf{p}_n = \operatorname{softmax}(\mathbf{s}_n)` per row, gives the rows
    :math:`(\mathbf{p}_n - \mathbf{e}_{y_n})^\top/N` of :math:`\mathrm{d}S` and the rows
    :math:`\mathcal{R}\{\mathbf{p}_n\}^\top/N` of :math:`\mathcal{R}\{\mathrm{d}S\}`, with
    :math:`\mathcal{R}\{\mathbf{p}_n\} = (\operatorname{diag}(\mathbf{p}_n) - \mathbf{p}_n\mathbf{p}_n^\top)\,\mathcal{R}\{\mathbf{s}_n\}`;
    on the backward pass

    .. math::

       \mathcal{R}\{\mathrm{d}W\} = \mathcal{R}\{X\}^\top\mathrm{d}Z + X^\top\mathcal{R}\{\mathrm{d}Z\},\quad
       \mathcal{R}\{\mathrm{d}\mathbf{b}\} = \mathcal{R}\{\mathrm{d}Z\}^\top\mathbf{1},\quad
       \mathcal{R}\{\mathrm{d}X\} = \mathcal{R}\{\mathrm{d}Z\}W^\top + \mathrm{d}Z\,\mathcal{R}\{W\}^\top,

    .. math::

       \mathcal{R}\{\mathrm{d}Z\} = \mathcal{R}\{\mathrm{d}Y\}\odot g'(Z)
       + \mathrm{d}Y\odot g''(Z)\odot\mathcal{R}\{Z\}.

    The gradients of the parameters, :math:`\mathrm{d}W` and :math:`\mathrm{d}\mathbf{b}`,
    make up :math:`\nabla\mathcal{L}(\theta)^\top`, so their R-values make up
    :math:`\nabla^2\mathcal{L}(\theta)\,\mathbf{d}`. The cost is about that of two
    forward and two backward passes. ReLU has :math:`g'' = 0` and :math:`g'(0) = 0` (the
    library's choice at the kink), so for a ReLU network this is the Hessian of the loss
    with every unit's on/off pattern frozen -- the true Hessian wherever no pre-activation
    is exactly 0.

    Parameters
    ----------
    model : Sequential
        Of :class:`~bpnet_lib.network.Linear`, :class:`~bpnet_lib.network.ReLU`,
        :class:`~bpnet_lib.network.Tanh` and :class:`~bpnet_lib.network.Sigmoid` layers;
        the last one gives the scores :math:`S` of shape (N, K). It is not modified.
    X : array_like, shape (N, D)
    y : array_like of int, shape (N,)
        Labels in ``0..K-1``; the loss is
        ``losses.softmax_cross_entropy(model.forward(X), y)`` (the mean over the batch).
    d : array_like, shape (P,)
        The direction, laid out like :func:`parameter_vector`.

    Returns
    -------
    ndarray of float64, shape (P,)
        :math:`\nabla^2\mathcal{L}(\theta)\,\mathbf{d}`, laid out like ``d``.

    Raises
    ------
    ValueError
        If the model holds another kind of layer, or the shapes do not fit.
    """
    layers = list(model) if isinstance(model, _net.Sequential) else None
    if layers is None:
        raise ValueError(f"model: expected a Sequential, got {type(model).__name__}")
    for i, layer in enumerate(layers):
        if not isinstance(layer, _net.Linear) and type(layer) not in _ACTIVATIONS:
            raise ValueError(
                f"model: expected Linear, ReLU, Tanh and Sigmoid layers only, got layer {i} "
                f"{layer!r}"
            )
    A = np.asarray(as_float_array(X, "X"), dtype=np.float64)
    if A.ndim != 2:
        raise ValueError(f"X: expected shape (N, D), got shape {A.shape}")
    P = parameter_vector(model).size
    d = _vector(d, "d", P)
    # Split d into R{W} and R{b} for each layer, in the order of params().
    dirs, start = [], 0
    for layer in layers:
        if isinstance(layer, _net.Linear):
            RW = d[start:start + layer.W.size].reshape(layer.W.shape)
            start += layer.W.size
            Rb = d[start:start + layer.b.size]
            start += layer.b.size
            dirs.append((RW, Rb))
        else:
            dirs.append(None)
    # Forward pass and its R-values.
    RA = np.zeros_like(A)
    saved = []
    for layer, direction in zip(layers, dirs):
        if isinstance(layer, _net.Linear):
            if A.shape[1] != layer.W.shape[0]:
                raise ValueError(f"X: expected {layer.W.shape[0]} features for {layer!r}, got shape {A.shape}")
            RW, Rb = direction
            saved.append((A, RA))
            A, RA = A @ layer.W + layer.b, RA @ layer.W + A @ RW + Rb
        else:
            Z, RZ = A, RA
            A = type(layer)._forward(Z)[0]
            f1, _ = _ACTIVATIONS[type(layer)]
            saved.append((Z, RZ, A))
            RA = f1(Z, A) * RZ
    S, RS = A, RA
    N, K = S.shape
    labels = np.asarray(y)
    if labels.shape != (N,):
        raise ValueError(f"y: expected integer labels of shape ({N},), got shape {labels.shape}")
    Pr = _softmax(S, axis=1)
    RP = Pr * (RS - np.sum(Pr * RS, axis=1, keepdims=True))
    dA = Pr.copy()
    dA[np.arange(N), labels] -= 1.0
    dA /= N
    RdA = RP / N
    # Backward pass and its R-values, last layer first.
    out = []
    for layer, direction, cache in zip(reversed(layers), reversed(dirs), reversed(saved)):
        if isinstance(layer, _net.Linear):
            A_in, RA_in = cache
            RW, _ = direction
            RdW = RA_in.T @ dA + A_in.T @ RdA
            Rdb = RdA.sum(axis=0)
            out.append((RdW, Rdb))
            dA, RdA = dA @ layer.W.T, RdA @ layer.W.T + dA @ RW.T
        else:
            Z, RZ, A_out = cache
            f1, f2 = _ACTIVATIONS[type(layer)]
            dA, RdA = dA * f1(Z, A_out), RdA * f1(Z, A_out) + dA * f2(Z, A_out) * RZ
    return np.concatenate([np.concatenate([RdW.ravel(), Rdb]) for RdW, Rdb in reversed(out)]) \
        if out else np.zeros(0)


def hessian(grad_fn, theta, eps=1e-5):
    r"""Dense Hessian by finite differences, one column :math:`\nabla^2\mathcal{L}\,\mathbf{e}_i` at a time.

    Costs :math:`2P` gradients and :math:`P^2` numbers of memory, so it is for checking
    small problems only. The result is not symmetrised: the size of
    :math:`M - M^\top` measures the finite-difference error.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(theta)`` returns the gradient, shape (P,).
    theta : array_like, shape (P,)
    eps : float, default 1e-5

    Returns
    -------
    ndarray of float64, shape (P, P)
        Column ``i`` is :func:`hvp` with ``d`` the ``i``-th unit vector.
    """
    theta = _vector(theta, "theta")
    eye = np.eye(theta.size)
    return np.column_stack([hvp(grad_fn, theta, eye[i], eps) for i in range(theta.size)]) \
        if theta.size else np.zeros((0, 0))


def power_iteration(matvec, P, steps=100, rng=0, tol=0.0):
    r"""The eigenvalue of largest magnitude of a symmetric matrix known only through products.

    Starting from a random unit vector :math:`\mathbf{d}_0`, repeat
    :math:`\mathbf{d}_{t+1} = A\mathbf{d}_t / \lVert A\mathbf{d}_t\rVert`; the estimate is
    the Rayleigh quotient :math:`\mathbf{d}_t^\top A\mathbf{d}_t`. For a symmetric
    :math:`A` whose eigenvalue of largest magnitude is simple (and not matched by its
    negative), the estimate converges to it, the error shrinking by about
    :math:`(|\lambda_2|/|\lambda_1|)^2` per step for the eigenvalues of the two largest
    magnitudes, :math:`|\lambda_1| > |\lambda_2|`. Applied to :func:`hvp` it finds the largest curvature of a
    loss, usually :math:`\lambda_{\max}` near a minimum (where the Hessian is positive
    semidefinite); far from one, a negative eigenvalue may be larger in magnitude. If the
    estimate :math:`\lambda_1` comes out negative, run the iteration again on the shifted
    matrix :math:`A - \lambda_1 I` (``matvec=lambda d: A(d) - lam1 * d``), whose eigenvalues
    are :math:`\lambda_i - \lambda_1 \ge 0`: its largest is :math:`\lambda_{\max} - \lambda_1`.

    Parameters
    ----------
    matvec : callable
        ``matvec(d)`` returns :math:`A\mathbf{d}`, shape (P,).
    P : int
        The dimension.
    steps : int, default 100
        The largest number of products.
    rng : numpy.random.Generator or int, default 0
        Source of the starting vector.
    tol : float, default 0.0
        Stop early once two successive estimates differ by at most ``tol`` times the
        latest one's magnitude.

    Returns
    -------
    estimate : float
        The last Rayleigh quotient.
    d : ndarray, shape (P,)
        The last unit vector, an approximate eigenvector.
    history : ndarray, shape (T,)
        The Rayleigh quotient after each product, T <= ``steps``.
    """
    if isinstance(P, bool) or not isinstance(P, numbers.Integral) or P < 1:
        raise ValueError(f"P: expected a positive integer, got {P!r}")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps: expected a positive integer, got {steps!r}")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0:
        raise ValueError(f"tol: expected a number >= 0, got {tol!r}")
    if not isinstance(rng, np.random.Generator):
        if isinstance(rng, bool) or not isinstance(rng, numbers.Integral):
            raise ValueError(f"rng: expected a numpy.random.Generator or an int seed, got {type(rng).__name__}")
        rng = np.random.default_rng(int(rng))
    d = rng.standard_normal(P)
    d /= np.linalg.norm(d)
    history = []
    for _ in range(int(steps)):
        Ad = np.asarray(matvec(d), dtype=np.float64)
        if Ad.shape != (P,):
            raise ValueError(f"matvec: expected a product of shape ({P},), got shape {Ad.shape}")
        history.append(float(d @ Ad))
        norm = np.linalg.norm(Ad)
        if norm == 0.0:
            break
        d = Ad / norm
        if len(history) > 1 and abs(history[-1] - history[-2]) <= tol * abs(history[-1]):
            break
    return history[-1], d, np.array(history)
