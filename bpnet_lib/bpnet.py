r"""The BPNet formulation of a multilayer perceptron: one matrix per layer, bias in its first row.

Layer :math:`k` maps :math:`Y^{(k-1)}` (N, :math:`n_{k-1}`) to
:math:`Z^{(k)} = [\mathbf{1}, Y^{(k-1)}]\, B^{(k)}` and :math:`Y^{(k)} = g^{(k)}(Z^{(k)})`,
where :math:`B^{(k)}` has shape :math:`(n_{k-1} + 1, n_k)` and its first row is the bias.
Backpropagation is three matrix products per layer, started by
:math:`\mathrm{d}Z^{(l)} = Y^{(l)} - H` (softmax with cross-entropy, or identity with squared
error):

.. math::

   \mathrm{d}B^{(k)} = [\mathbf{1}, Y^{(k-1)}]^\top \mathrm{d}Z^{(k)}, \qquad
   \mathrm{d}Y^{(k-1)} = \mathrm{d}Z^{(k)}\, (B^{(k)}_{2:})^{\top}, \qquad
   \mathrm{d}Z^{(k-1)} = \mathrm{d}Y^{(k-1)} \odot g^{(k-1)\prime}(Z^{(k-1)}),

where :math:`B^{(k)}_{2:}` is :math:`B^{(k)}` without its first row: the column of ones is a
constant, so no gradient flows into it. Gradients are stored with the shape of what they
belong to (:math:`\mathrm{d}B^{(k)}` has the shape of :math:`B^{(k)}`). :class:`BPNet` converts to
and from a :class:`~bpnet_lib.network.Sequential` of ``Linear`` and activation layers
(:math:`B = [b; W]`), so the two formulations can be compared number for number.
"""

from __future__ import annotations

import functools

import numpy as np

from . import activations as _A
from . import init as _init
from . import network as _net
from ._validation import as_float_array, check_labels, check_ndim

__all__ = ["BPNet", "ACTIVATIONS", "LOSSES", "drop_bias_row"]

ACTIVATIONS = ("identity", "relu", "sigmoid", "tanh", "elu", "softmax")
LOSSES = ("mse", "cross_entropy")

# element-wise activations: name -> (g, g')
_ELEMENTWISE = {
    "identity": (lambda Z: Z, lambda Z: np.ones_like(Z)),
    "relu": (_A.relu, _A.relu_grad),
    "sigmoid": (_A.sigmoid, _A.sigmoid_grad),
    "tanh": (_A.tanh, _A.tanh_grad),
    "elu": (_A.elu, _A.elu_grad),
}
_LAYER_OF = {"relu": _net.ReLU, "sigmoid": _net.Sigmoid, "tanh": _net.Tanh, "elu": _net.ELU}


def drop_bias_row(B: np.ndarray) -> np.ndarray:
    r""":math:`B^{(k)}` without its first (bias) row: the rows that multiply :math:`Y^{(k-1)}`.

    The backward recursion uses it as
    :math:`\mathrm{d}Y^{(k-1)} = \mathrm{d}Z^{(k)} (B^{(k)}_{2:})^{\top}`, which equals
    :math:`\mathrm{d}Z^{(k)} (B^{(k)})^{\top}` with its first column (the ones column's gradient)
    removed.
    """
    return B[1:]


def _activate(name: str, Z: np.ndarray) -> np.ndarray:
    if name == "softmax":
        return _A.softmax(Z, axis=-1)
    return _ELEMENTWISE[name][0](Z)


def _activation_backward(name: str, dY: np.ndarray, Z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    r"""``dZ`` from ``dY``: times :math:`g'(Z)` element-wise, or the softmax's Jacobian row by row.

    For the softmax, :math:`\mathrm{d}\mathbf{z} = (\partial\mathbf{y}/\partial\mathbf{z})^\top
    \mathrm{d}\mathbf{y}` with the symmetric Jacobian :math:`\partial\mathbf{y}/\partial\mathbf{z}
    = \operatorname{diag}(\mathbf{y}) - \mathbf{y}\mathbf{y}^\top`, i.e.
    :math:`\mathbf{y} \odot (\mathrm{d}\mathbf{y} - (\mathrm{d}\mathbf{y}^\top\mathbf{y})\mathbf{1})`,
    done for every row at once.
    """
    if name == "softmax":
        return Y * (dY - np.sum(dY * Y, axis=-1, keepdims=True))
    return dY * _ELEMENTWISE[name][1](Z)


def _all_finite(A: np.ndarray) -> bool:
    """True if ``A`` has no NaN or infinity (a finite sum clears it in one pass)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.add.reduce(A, axis=None)) or np.isfinite(A).all())


def _names_an_overflow(forward):
    r"""Make ``BPNet.forward`` name ``X`` (or ``B``) when some :math:`Z^{(k)}` is not finite.

    ``X`` and the weights are finite, but :math:`Z^{(k)} = [\mathbf{1}, Y^{(k-1)}] B^{(k)}`
    can overflow: the activation would then refuse its input under the internal name ``z``,
    and an identity output would return the infinity. A decorator, so that the recursion
    :meth:`BPNet.forward` shows stays the formula. On an error the network keeps the state
    of its last successful forward.
    """

    @functools.wraps(forward)
    def checked(self, X):
        before = self.Y, self.Z
        with np.errstate(over="ignore", invalid="ignore"):
            try:
                out = forward(self, X)
                failed = not _all_finite(out)
            except ValueError as exc:
                if str(exc).startswith("X:") or "finite" not in str(exc):
                    raise  # forward's own checks of X, or not about a non-finite Z
                failed = True
        if failed:
            self.Y, self.Z = before
            for k, B in enumerate(self.B, start=1):
                if not _all_finite(B):
                    raise ValueError(
                        f"B: expected finite weights, got NaN or infinity in B^({k}) "
                        f"(self.B[{k - 1}]); has training diverged?"
                    )
            dtype = np.result_type(*self.B)
            raise ValueError(
                f"X: expected inputs small enough for every Z^(k) = [1, Y^(k-1)] B^(k) to fit "
                f"in {dtype.name} (at most {np.finfo(dtype).max:.3g}), got inputs for which one "
                f"overflows"
            )
        return out

    return checked


def _names_a_gradient_overflow(backward):
    r"""Make ``BPNet.backward`` raise, naming ``X`` and ``H``, when a gradient overflows.

    The inputs, targets and weights are finite, but a product such as
    :math:`[\mathbf{1}, Y^{(k-1)}]^\top \mathrm{d}Z^{(k)}` can overflow to infinity (and
    ``inf - inf`` to NaN). A decorator, so that the recursion :meth:`BPNet.backward` shows
    stays the formula. On an error the network keeps the gradients of its last successful
    backward.
    """

    @functools.wraps(backward)
    def checked(self, H):
        before = self.dB, self.dY, self.dZ
        with np.errstate(over="ignore", invalid="ignore"):
            out = backward(self, H)
        if not all(_all_finite(G) for G in out):
            self.dB, self.dY, self.dZ = before
            k = next(k for k, G in enumerate(out, start=1) if not _all_finite(G))
            dtype = out[k - 1].dtype
            raise ValueError(
                f"X, H: expected inputs and targets small enough for every gradient dB^(k) to "
                f"fit in {dtype.name} (at most {np.finfo(dtype).max:.3g}), got ones for which "
                f"dB^({k}) overflows"
            )
        return out

    return checked


def _mse_overflow(what: str, dtype) -> ValueError:
    return ValueError(
        f"H: expected targets close enough to Y^(l) for {what} to fit in "
        f"{np.dtype(dtype).name} (at most {np.finfo(dtype).max:.3g}), got targets for which it "
        f"overflows"
    )


def _ones_column(Y: np.ndarray) -> np.ndarray:
    """:math:`[\\mathbf{1}, Y]`: ``Y`` with a column of ones prepended."""
    return np.hstack([np.ones((Y.shape[0], 1), dtype=Y.dtype), Y])


class BPNet:
    r"""A fully connected network in the notation of note 000.

    Parameters
    ----------
    widths : sequence of int
        :math:`n_0, n_1, \dots, n_l` (input width first, output width last), ``l >= 1``.
    activations : sequence of str, length l
        :math:`g^{(1)}, \dots, g^{(l)}`, each one of ``"identity"``, ``"relu"``,
        ``"sigmoid"``, ``"tanh"``, ``"elu"`` (element-wise) or ``"softmax"`` (row-wise).
    loss : {"cross_entropy", "mse"}, default "cross_entropy"
        :math:`J = -\operatorname{tr}(H^\top \log Y^{(l)})` (requires a softmax output and
        is computed from :math:`Z^{(l)}` through log-softmax), or
        :math:`J = \tfrac12 \lVert Y^{(l)} - H \rVert_F^2`.
    reduction : {"sum", "mean"}, default "sum"
        ``"sum"`` is :math:`J` as the notes write it; ``"mean"`` divides it (and every
        gradient) by N.
    rng : numpy.random.Generator or int or None
        Source of the initial weights.
    init : str or callable, default "he"
        Initialiser of the weight rows (see :func:`bpnet_lib.init.get`); bias rows start at 0.
    dtype : numpy dtype, default float64
        float32 or float64; any other dtype (float16 included) raises ``TypeError``. The
        network keeps it: :meth:`forward` casts ``X`` to the dtype of the weights, so every
        :math:`Y^{(k)}`, :math:`Z^{(k)}`, the loss and every gradient have that dtype.

    Attributes
    ----------
    B : list of ndarray
        ``B[k-1]`` is :math:`B^{(k)}`, shape :math:`(n_{k-1} + 1, n_k)`.
    Y, Z : list of ndarray
        After :meth:`forward`: ``Y[k]`` is :math:`Y^{(k)}` (``Y[0]`` is X, without the ones
        column) and ``Z[k]`` is :math:`Z^{(k)}` (``Z[0]`` is None).
    dB, dY, dZ : list of ndarray
        After :meth:`backward`: ``dB[k-1]`` is :math:`\mathrm{d}B^{(k)}`, ``dY[k]`` is
        :math:`\partial J/\partial Y^{(k)}` (``dY[0]`` is the gradient with respect to X;
        ``dY[l]`` is None for cross-entropy, whose :math:`-H / Y^{(l)}` is never formed)
        and ``dZ[k]`` is :math:`\partial J/\partial Z^{(k)}` (``dZ[0]`` is None).
    """

    def __init__(self, widths, activations, loss="cross_entropy", reduction="sum", rng=None,
                 init="he", dtype=np.float64):
        if isinstance(widths, (str, bytes)) or not np.iterable(widths):
            raise TypeError(
                f"widths: expected a list of layer widths n_0, ..., n_l, got "
                f"{type(widths).__name__} {widths!r}"
            )
        widths = list(widths)
        if len(widths) < 2 or any(
            isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 for n in widths
        ):
            raise ValueError(
                f"widths: expected at least two positive integers n_0, ..., n_l, got {widths!r}"
            )
        if isinstance(activations, str):
            raise ValueError(
                f"activations: expected a list of {len(widths) - 1} names (one per layer), got "
                f"the single string {activations!r}"
            )
        if not np.iterable(activations):
            raise TypeError(
                f"activations: expected a list of {len(widths) - 1} names (one per layer), got "
                f"{type(activations).__name__} {activations!r}"
            )
        activations = list(activations)
        if len(activations) != len(widths) - 1:
            raise ValueError(
                f"activations: expected {len(widths) - 1} names (one per layer, l = "
                f"{len(widths) - 1}), got {len(activations)}"
            )
        for k, name in enumerate(activations, start=1):
            if name not in ACTIVATIONS:
                raise ValueError(
                    f"activations[{k - 1}]: expected one of {ACTIVATIONS} for g^({k}), got {name!r}"
                )
        if loss not in LOSSES:
            raise ValueError(f"loss: expected one of {LOSSES}, got {loss!r}")
        if loss == "cross_entropy" and activations[-1] != "softmax":
            raise ValueError(
                f"activations[-1]: expected 'softmax' for loss='cross_entropy' (J = -tr(H^T log "
                f"Y) needs rows of probabilities), got {activations[-1]!r}"
            )
        if reduction not in ("sum", "mean"):
            raise ValueError(f"reduction: expected 'sum' or 'mean', got {reduction!r}")
        dtype = _init._float_dtype(dtype)
        initialiser = _init.get(init)
        rng = _init._rng(rng)
        self.widths = [int(n) for n in widths]
        self.activations = activations
        self.loss_name = loss
        self.reduction = reduction
        self.B = [
            np.vstack([np.zeros((1, m), dtype=dtype),
                       _init._weights(initialiser, n, m, rng, dtype)])
            for n, m in zip(self.widths[:-1], self.widths[1:])
        ]
        self.dB = [np.zeros_like(B) for B in self.B]
        self.Y = self.Z = self.dY = self.dZ = None

    def _dtype(self) -> np.dtype:
        """The dtype the network computes in: float32 if every ``B`` is float32, else float64."""
        return np.result_type(np.float32, *self.B)

    @property
    def num_layers(self) -> int:
        """:math:`l`, the number of weight matrices."""
        return len(self.B)

    # --- forward and loss ---------------------------------------------------------

    @_names_an_overflow
    def forward(self, X) -> np.ndarray:
        r""":math:`Z^{(k)} = [\mathbf{1}, Y^{(k-1)}] B^{(k)}`, :math:`Y^{(k)} = g^{(k)}(Z^{(k)})`.

        Parameters
        ----------
        X : array_like, shape (N, n_0)

        Returns
        -------
        Y : ndarray, shape (N, n_l)
            :math:`Y^{(l)}`; every :math:`Y^{(k)}` and :math:`Z^{(k)}` is kept in ``self.Y``
            and ``self.Z``.

        Raises
        ------
        ValueError
            If ``X`` is not (N, n_0) with N >= 1 and finite entries.
        """
        X = as_float_array(X, "X")
        check_ndim(X, 2, "X", "(N, n_0)")
        if X.shape[1] != self.widths[0]:
            raise ValueError(
                f"X: expected n_0 = {self.widths[0]} columns, got shape {X.shape}"
            )
        if X.shape[0] == 0:
            # J/N of reduction="mean" would be 0/0 = nan; softmax_cross_entropy refuses N = 0 too
            raise ValueError(f"X: expected at least one sample (N >= 1), got shape {X.shape}")
        X = X.astype(self._dtype(), copy=False)  # the network keeps the dtype of its weights
        Y, Z = [X], [None]
        for B, g in zip(self.B, self.activations):
            Z.append(_ones_column(Y[-1]) @ B)
            Y.append(_activate(g, Z[-1]))
        self.Y, self.Z = Y, Z
        return Y[-1]

    def _targets(self, H) -> np.ndarray:
        """``H`` as a float (N, n_l) array; integer labels (N,) are one-hot encoded."""
        N, K = self.Y[-1].shape
        if np.ndim(H) == 1:
            labels = check_labels(H, N, K, "H")
            H = np.zeros((N, K), dtype=self.Y[-1].dtype)
            H[np.arange(N), labels] = 1
            return H
        H = as_float_array(H, "H")
        if H.shape != (N, K):
            raise ValueError(
                f"H: expected targets of shape ({N}, {K}) (N, n_l) or integer labels of shape "
                f"({N},), got shape {H.shape}"
            )
        if self.loss_name == "cross_entropy":
            sums = H.sum(axis=1)
            if np.any(H < 0) or not np.allclose(sums, 1, rtol=0, atol=1e-6):
                raise ValueError(
                    "H: expected rows of probabilities (>= 0, each summing to 1) for "
                    "cross-entropy; dZ = Y - H relies on the rows summing to 1, got row sums "
                    f"in [{sums.min():.6g}, {sums.max():.6g}]"
                )
        return H.astype(self.Y[-1].dtype, copy=False)

    def _require_forward(self, what: str) -> None:
        if self.Y is None:
            raise RuntimeError(
                f"BPNet.{what} was called before forward: run forward(X) first, so the "
                f"network has the Y^(k) and Z^(k) it needs"
            )

    def loss(self, H) -> float:
        r"""The loss :math:`J(Y^{(l)}; H)` of the last :meth:`forward`.

        Cross-entropy is :math:`-\sum_{n,k} H_{nk} \log \operatorname{softmax}(Z^{(l)}_n)_k`,
        through :func:`~bpnet_lib.activations.log_softmax`, so it stays finite where
        :math:`\log Y^{(l)}` would be :math:`\log 0`.

        Parameters
        ----------
        H : array_like, shape (N, n_l), or integer labels of shape (N,)
        """
        self._require_forward("loss")
        H = self._targets(H)
        if self.loss_name == "cross_entropy":
            J = -np.sum(H * _A.log_softmax(self.Z[-1], axis=1))
        else:
            N = H.shape[0]
            with np.errstate(over="ignore", invalid="ignore"):
                D = self.Y[-1] - H
                if not _all_finite(D):
                    raise _mse_overflow("the differences Y^(l) - H", D.dtype)
                J = 0.5 * np.sum(D * D)
                if not np.isfinite(J):
                    # the squares overflow: sum them scaled by a power of two (exact),
                    # dividing by N first for the mean, and scale back
                    e = np.frexp(np.max(np.abs(D)))[1]
                    S = np.ldexp(D, -e)
                    part = 0.5 * np.sum(S * S)
                    if self.reduction == "mean":
                        part, N = part / N, 1
                    J = np.ldexp(part, 2 * e).astype(D.dtype)
            if not np.isfinite(J):
                raise _mse_overflow("loss J = ||Y^(l) - H||^2 / 2", D.dtype)
            return J / N if self.reduction == "mean" else J
        return J / H.shape[0] if self.reduction == "mean" else J

    # --- backward -----------------------------------------------------------------

    def _output_gradient(self, H: np.ndarray) -> np.ndarray:
        r""":math:`\mathrm{d}Z^{(l)}`: :math:`Y - H` for softmax + CE and identity + MSE, else by the chain rule."""
        Y, g = self.Y[-1], self.activations[-1]
        if self.loss_name == "cross_entropy" or g == "identity":
            return Y - H
        return _activation_backward(g, Y - H, self.Z[-1], Y)

    @_names_a_gradient_overflow
    def backward(self, H) -> list:
        r"""Matrix-form backpropagation; returns ``[dB^(1), ..., dB^(l)]``.

        Starting from :math:`\mathrm{d}Z^{(l)}` (divided by N if ``reduction="mean"``), for
        :math:`k = l, \dots, 1`:

        .. math::

           \mathrm{d}B^{(k)} = [\mathbf{1}, Y^{(k-1)}]^\top \mathrm{d}Z^{(k)}, \quad
           \mathrm{d}Y^{(k-1)} = \mathrm{d}Z^{(k)} (B^{(k)}_{2:})^\top, \quad
           \mathrm{d}Z^{(k-1)} = \mathrm{d}Y^{(k-1)} \odot g^{(k-1)\prime}(Z^{(k-1)}).

        Parameters
        ----------
        H : array_like, shape (N, n_l), or integer labels of shape (N,)

        Returns
        -------
        list of ndarray
            :math:`\mathrm{d}B^{(k)}`, each with the shape of :math:`B^{(k)}` (also kept in
            ``self.dB``, with the intermediate gradients in ``self.dY`` and ``self.dZ``).
        """
        self._require_forward("backward")
        H = self._targets(H)
        l = self.num_layers
        dZ = self._output_gradient(H)
        if self.reduction == "mean":
            dZ = dZ / H.shape[0]
        dB, dY, dZs = [None] * l, [None] * (l + 1), [None] * (l + 1)
        dZs[l] = dZ
        for k in range(l, 0, -1):
            dB[k - 1] = _ones_column(self.Y[k - 1]).T @ dZ
            dY[k - 1] = dZ @ drop_bias_row(self.B[k - 1]).T
            if k > 1:
                dZ = _activation_backward(
                    self.activations[k - 2], dY[k - 1], self.Z[k - 1], self.Y[k - 1]
                )
                dZs[k - 1] = dZ
        if self.loss_name == "mse":  # dY^(l) = Y - H; for cross-entropy, -H / Y is never formed
            dY[l] = (self.Y[l] - H) / (H.shape[0] if self.reduction == "mean" else 1)
        self.dB, self.dY, self.dZ = dB, dY, dZs
        return list(dB)

    def loss_and_grads(self, X, H):
        """Forward, loss and backward in one call: returns ``(J, [dB^(1), ..., dB^(l)])``."""
        self.forward(X)
        return self.loss(H), self.backward(H)

    def backward_sample(self, x, h) -> list:
        r"""Per-sample backpropagation with column vectors; returns ``[dB^(1), ..., dB^(l)]``.

        For one sample, with :math:`\hat y^{(k-1)} = [1; y^{(k-1)}]` a column,
        :math:`z^{(k)} = B^{(k)\top} \hat y^{(k-1)}`. The gradients are stored as columns
        too (shaped like the vectors they belong to), so the transposes are those of the
        chain rule for :math:`z_j = \sum_i B_{ij} \hat y_i`:

        .. math::

           \mathrm{d}B^{(k)} = \hat y^{(k-1)} \mathrm{d}z^{(k)\top}, \quad
           \mathrm{d}y^{(k-1)} = B^{(k)}_{2:}\, \mathrm{d}z^{(k)}, \quad
           \mathrm{d}z^{(k-1)} = \mathrm{d}y^{(k-1)} \odot g^{(k-1)\prime}(z^{(k-1)}),

        started by :math:`\mathrm{d}z^{(l)} = y^{(l)} - h`. These are the transposes of the notes'
        row-vector (Jacobian-layout) formulas :math:`\mathbf{y}_G = \mathbf{z}_G (B_{2:})^\top` and
        :math:`B_G = \mathbf{z}_G^\top \hat{\mathbf{y}}^\top` of note 000.
        The result is the gradient of this sample's :math:`J_i` alone (no division by N),
        so summing it over the samples gives :meth:`backward` with ``reduction="sum"``.
        The network's stored forward state is not touched.

        Parameters
        ----------
        x : array_like, shape (n_0,)
        h : array_like, shape (n_l,), or an integer label
        """
        x = as_float_array(x, "x").astype(self._dtype(), copy=False)
        if x.shape != (self.widths[0],):
            raise ValueError(f"x: expected shape ({self.widths[0]},) (n_0,), got shape {x.shape}")
        K = self.widths[-1]
        if np.ndim(h) == 0:
            label = check_labels(np.array([h]), 1, K, "h")[0]
            h = np.zeros(K, dtype=x.dtype)
            h[label] = 1
        h = as_float_array(h, "h").astype(x.dtype, copy=False).reshape(-1, 1)
        if h.shape != (K, 1):
            raise ValueError(f"h: expected shape ({K},) (n_l,) or an integer label, got {h.size} entries")
        if self.loss_name == "cross_entropy" and (np.any(h < 0) or abs(h.sum() - 1) > 1e-6):
            raise ValueError("h: expected probabilities (>= 0, summing to 1) for cross-entropy")
        ys, zs = [x.reshape(-1, 1)], [None]  # columns
        for B, g in zip(self.B, self.activations):
            y_hat = np.vstack([np.ones((1, 1), dtype=ys[-1].dtype), ys[-1]])
            zs.append(B.T @ y_hat)
            ys.append(_activate(g, zs[-1].T).T)  # softmax acts along the vector
        y, g = ys[-1], self.activations[-1]
        if self.loss_name == "cross_entropy" or g == "identity":
            dz = y - h
        else:
            dz = _activation_backward(g, (y - h).T, zs[-1].T, y.T).T
        l = self.num_layers
        dB = [None] * l
        for k in range(l, 0, -1):
            y_hat = np.vstack([np.ones((1, 1), dtype=ys[k - 1].dtype), ys[k - 1]])
            dB[k - 1] = y_hat @ dz.T
            if k > 1:
                dy = drop_bias_row(self.B[k - 1]) @ dz
                dz = _activation_backward(self.activations[k - 2], dy.T, zs[k - 1].T, ys[k - 1].T).T
        return dB

    # --- the optimiser's view ------------------------------------------------------

    def params(self) -> dict:
        """``{"B1": B^(1), ..., "Bl": B^(l)}``, the arrays themselves (for :mod:`bpnet_lib.optim`)."""
        return {f"B{k}": B for k, B in enumerate(self.B, start=1)}

    def grads(self) -> dict:
        """``{"B1": dB^(1), ...}`` from the last :meth:`backward`, keys as in :meth:`params`."""
        return {f"B{k}": G for k, G in enumerate(self.dB, start=1)}

    def num_parameters(self) -> int:
        return int(sum(B.size for B in self.B))

    def predict(self, X) -> np.ndarray:
        """The argmax of each row of :math:`Y^{(l)}`, shape (N,)."""
        return np.argmax(self.forward(X), axis=1)

    # --- conversion to and from Sequential -------------------------------------------

    @classmethod
    def from_sequential(cls, seq, loss="cross_entropy", reduction="sum") -> "BPNet":
        """A BPNet with the weights of ``seq`` copied in: :math:`B^{(k)} = [b; W]`.

        ``seq`` must be ``Linear`` layers, each optionally followed by one of ``ReLU``,
        ``Sigmoid``, ``Tanh``, ``ELU(alpha=1)``; a ``Linear`` with no activation after it
        gets ``"identity"``. With ``loss="cross_entropy"`` the output activation becomes the
        softmax (``seq`` must end with a ``Linear``: its outputs are the logits that
        :func:`~bpnet_lib.losses.softmax_cross_entropy` expects).

        Raises
        ------
        TypeError
            If ``seq`` is not iterable.
        ValueError
            If a layer is not one of those above or not where they may be, there is no
            ``Linear``, or a ``Linear``'s inputs differ in number from the outputs of the
            ``Linear`` before it.
        """
        try:
            layers = list(seq)
        except TypeError:
            raise TypeError(
                f"seq: expected a Sequential (or a list of layers), got {type(seq).__name__}"
            ) from None
        Ws, bs, acts = [], [], []
        for i, layer in enumerate(layers):
            if isinstance(layer, _net.Linear):
                Ws.append(layer.W)
                bs.append(layer.b)
                acts.append("identity")
                continue
            name = next((n for n, cls_ in _LAYER_OF.items() if type(layer) is cls_), None)
            if name == "elu" and layer.alpha != 1.0:
                name = None
            if name is None or not acts or acts[-1] != "identity":
                raise ValueError(
                    f"seq[{i}]: expected Linear layers each followed by at most one of ReLU, "
                    f"Sigmoid, Tanh, ELU(alpha=1.0), got {layer!r}"
                )
            acts[-1] = name
        if not Ws:
            raise ValueError("seq: expected at least one Linear layer, got none")
        linear_at = [i for i, layer in enumerate(layers) if isinstance(layer, _net.Linear)]
        for (i, W_in), (j, W_out) in zip(zip(linear_at, Ws), zip(linear_at[1:], Ws[1:])):
            if W_out.shape[0] != W_in.shape[1]:
                raise ValueError(
                    f"seq[{j}]: expected a Linear with {W_in.shape[1]} inputs (the outputs of "
                    f"seq[{i}]), got {W_out.shape[0]} inputs"
                )
        if loss == "cross_entropy":
            if acts[-1] != "identity":
                raise ValueError(
                    f"seq: expected a Linear last layer (logits) for loss='cross_entropy', got "
                    f"an output activation {acts[-1]!r}"
                )
            acts[-1] = "softmax"
        widths = [Ws[0].shape[0]] + [W.shape[1] for W in Ws]
        net = cls(widths, acts, loss=loss, reduction=reduction, rng=0, dtype=Ws[0].dtype)
        net.B = [np.vstack([b[None, :], W]).copy() for W, b in zip(Ws, bs)]
        net.dB = [np.zeros_like(B) for B in net.B]
        return net

    def to_sequential(self) -> "_net.Sequential":
        """A ``Sequential`` with copies of the weights: ``W = B[1:]``, ``b = B[0]``.

        A softmax output is dropped (the Sequential outputs logits, for
        :func:`~bpnet_lib.losses.softmax_cross_entropy`); ``"identity"`` adds no layer.
        """
        layers = []
        for k, (B, g) in enumerate(zip(self.B, self.activations), start=1):
            lin = _net.Linear(B.shape[0] - 1, B.shape[1], rng=0, dtype=B.dtype)
            lin.W[...] = B[1:]
            lin.b[...] = B[0]
            layers.append(lin)
            if g == "softmax":
                if k != self.num_layers:
                    raise ValueError(
                        f"activations[{k - 1}]: a softmax in a hidden layer has no Sequential "
                        f"layer to become"
                    )
            elif g != "identity":
                layers.append(_LAYER_OF[g]())
        return _net.Sequential(*layers)

    def __repr__(self) -> str:
        layers = ", ".join(
            f"B{k} {B.shape} {g}" for k, (B, g) in enumerate(zip(self.B, self.activations), start=1)
        )
        return f"BPNet({layers}; loss={self.loss_name!r}, reduction={self.reduction!r})"
