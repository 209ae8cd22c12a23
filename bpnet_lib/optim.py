r"""Stochastic gradient descent with heavy-ball momentum and weight decay.

An optimiser holds a model, anything with ``params()`` and ``grads()`` returning dicts
with the same keys (a :class:`~bpnet_lib.network.Sequential`, a layer, a
:class:`~bpnet_lib.bpnet.BPNet`), and :meth:`SGD.step` updates the parameter arrays *in
place* from the gradients of the last backward. With learning rate :math:`\eta`, momentum
coefficient :math:`\beta` and weight decay :math:`\lambda`, each parameter :math:`\theta`
with gradient :math:`\mathbf{g}` and velocity :math:`\mathbf{v}` (zero at the start) is
updated by

.. math::

   \mathbf{g} \leftarrow \mathbf{g} + \lambda\theta, \qquad
   \mathbf{v} \leftarrow \beta \mathbf{v} - \eta \mathbf{g}, \qquad
   \theta \leftarrow \theta + \mathbf{v}.

With :math:`\beta = 0` this is plain gradient descent :math:`\theta \leftarrow \theta -
\eta\mathbf{g}`. After :math:`t` steps the velocity is a weighted sum of the past
gradients, :math:`\mathbf{v}_t = -\eta\sum_{j=0}^{t-1}\beta^{t-1-j}\mathbf{g}_j`, so in a
direction where the gradient keeps its value the step grows towards
:math:`\eta\mathbf{g}/(1 - \beta)`, while components that change sign partly cancel.
Weight decay is the gradient of the penalty :math:`\tfrac{\lambda}{2}\lVert\theta\rVert^2`
added to the loss; it applies to every parameter, biases included, unless
``decay_filter`` says otherwise. Without momentum a step multiplies :math:`\theta` by
:math:`1 - \eta\lambda` before following the loss's gradient; with momentum the term
:math:`\lambda\theta` passes through the velocity like the rest of the gradient.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import as_float_array

__all__ = ["SGD"]


def _number(value, name: str, low: float, high: float | None = None, low_open=False) -> float:
    """Return ``value`` as a float in ``[low, high)`` (``(low, high)`` if ``low_open``)."""
    ok = (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and np.isfinite(value)
        and (value > low if low_open else value >= low)
        and (high is None or value < high)
    )
    if not ok:
        lo = "(" if low_open else "["
        hi = f"{high})" if high is not None else "inf)"
        raise ValueError(f"{name}: expected a number in {lo}{low}, {hi}, got {value!r}")
    return float(value)


def _check_parameter(theta, name: str) -> None:
    """Require ``theta`` to be an array that :meth:`SGD.step` can update in place."""
    where = f"params()[{name!r}]"
    if not isinstance(theta, np.ndarray):
        raise TypeError(
            f"{where}: expected the model's own float ndarray (it is updated in place), "
            f"got {type(theta).__name__}"
        )
    if not np.issubdtype(theta.dtype, np.floating):
        raise TypeError(
            f"{where}: expected a floating-point array (it is updated in place by "
            f"fractional steps), got dtype {theta.dtype}"
        )
    if not theta.flags.writeable:
        raise ValueError(
            f"{where}: expected a writeable array (it is updated in place), got a read-only one"
        )


class SGD:
    r"""Mini-batch SGD with classical (heavy-ball) momentum and L2 weight decay.

    Parameters
    ----------
    model : object with ``params()`` and ``grads()``
        Both return a dict name -> ndarray with the same keys and shapes; ``params()``
        must return the model's own arrays, which are updated in place.
    lr : float
        Learning rate :math:`\eta > 0`. May be changed between steps (``opt.lr = ...``).
    momentum : float, default 0.0
        The momentum coefficient :math:`\beta \in [0, 1)`.
    weight_decay : float, default 0.0
        :math:`\lambda \ge 0`.
    decay_filter : callable, optional
        ``decay_filter(name) -> bool`` for each key of ``model.params()``: only the
        parameters for which it returns True are decayed, e.g.
        ``lambda name: name.endswith("W")`` to leave the biases of a
        :class:`~bpnet_lib.network.Sequential` alone. By default every parameter is
        decayed. (A :class:`~bpnet_lib.bpnet.BPNet` keeps its biases inside
        :math:`B^{(k)}`, so for it the choice is per matrix.)

    Attributes
    ----------
    velocity : dict
        :math:`\mathbf{v}` for each parameter name, created (as zeros) at the first
        :meth:`step`.

    Notes
    -----
    PyTorch writes momentum as :math:`\mathbf{v} \leftarrow \beta \mathbf{v} + \mathbf{g}`,
    :math:`\theta \leftarrow \theta - \eta \mathbf{v}`; for a constant :math:`\eta` its
    :math:`\mathbf{v}` is ours divided by :math:`-\eta` and the two produce the same iterates.
    The decay is added to the gradient before the momentum, so with momentum it is still
    exactly the heavy ball on the penalised loss (PyTorch's SGD does the same). "Decoupled"
    weight decay (Loshchilov and Hutter's SGDW and AdamW) instead shrinks
    :math:`\theta` directly and keeps :math:`\lambda\theta` out of the velocity; that is a
    different method as soon as there is momentum, and more so for methods that rescale
    each coordinate of the gradient, such as Adam.

    Examples
    --------
    >>> opt = SGD(model, lr=0.1, momentum=0.9)  # doctest: +SKIP
    >>> model.forward(X); model.backward(dS); opt.step()  # doctest: +SKIP
    """

    def __init__(self, model, lr, momentum=0.0, weight_decay=0.0, decay_filter=None):
        for method in ("params", "grads"):
            if not callable(getattr(model, method, None)):
                raise ValueError(
                    f"model: expected an object with params() and grads(), got "
                    f"{type(model).__name__} without {method}()"
                )
        self.model = model
        self.lr = _number(lr, "lr", 0.0, low_open=True)
        self.momentum = _number(momentum, "momentum", 0.0, 1.0)
        self.weight_decay = _number(weight_decay, "weight_decay", 0.0)
        if decay_filter is not None and not callable(decay_filter):
            raise ValueError(
                f"decay_filter: expected a function of the parameter name returning a bool, "
                f"got {type(decay_filter).__name__}"
            )
        self.decay_filter = decay_filter
        self.velocity: dict = {}

    def step(self) -> None:
        """Update every parameter in place from the model's current gradients.

        Raises
        ------
        ValueError
            If ``lr``, ``momentum`` or ``weight_decay`` (re-checked at every step) is out
            of range, the keys of ``params()`` and ``grads()`` differ, a gradient is not
            finite real numbers of its parameter's shape, or a parameter is read-only.
            Nothing is updated then.
        TypeError
            If a parameter is not a floating-point ndarray (a list, an int array), or
            ``decay_filter`` returns something other than a bool.
        """
        params, grads = self.model.params(), self.model.grads()
        if params.keys() != grads.keys():
            raise ValueError(
                f"model: expected params() and grads() with the same keys, got "
                f"{sorted(params)} and {sorted(grads)}"
            )
        # The hyper-parameters may have been reassigned since construction (opt.lr = ...),
        # so they are checked again here: cheap scalar checks, once per step.
        lr = _number(self.lr, "lr", 0.0, low_open=True)
        momentum = _number(self.momentum, "momentum", 0.0, 1.0)
        weight_decay = _number(self.weight_decay, "weight_decay", 0.0)
        # Every parameter and gradient is checked before the first one is touched, so a
        # bad entry raises without leaving the model half updated.
        checked = {}
        for name, theta in params.items():
            _check_parameter(theta, name)
            g = as_float_array(grads[name], f"grads()[{name!r}]")  # also refuses NaN, inf
            if g.shape != theta.shape:
                raise ValueError(
                    f"grads()[{name!r}]: expected the shape of the parameter {theta.shape}, "
                    f"got {g.shape}"
                )
            checked[name] = g
        if weight_decay:
            for name in params:
                self._decays(name)  # a filter that does not answer True or False raises now
        for name, theta in params.items():
            g = checked[name]
            if weight_decay and (self.decay_filter is None or self.decay_filter(name)):
                g = g + weight_decay * theta
            if momentum:
                v = self.velocity.get(name)
                if v is None or v.shape != theta.shape:
                    v = self.velocity[name] = np.zeros_like(theta)
                v *= momentum
                v -= lr * g
                theta += v
            else:
                theta -= lr * g

    def _decays(self, name) -> bool:
        """``decay_filter(name)``, which must be a bool (``"no"`` would be read as True)."""
        if self.decay_filter is None:
            return True
        verdict = self.decay_filter(name)
        if not isinstance(verdict, (bool, np.bool_)):
            raise TypeError(
                f"decay_filter: expected True or False for {name!r}, got "
                f"{type(verdict).__name__} {verdict!r}"
            )
        return bool(verdict)

    def zero_grad(self) -> None:
        """Set the model's gradients to zero (not needed with this library's layers,
        whose ``backward`` overwrites them, but harmless).

        Raises ``TypeError`` naming a gradient that is not a writeable ndarray (a list),
        before any gradient is zeroed.
        """
        grads = self.model.grads()
        for name, g in grads.items():
            if not isinstance(g, np.ndarray) or not g.flags.writeable:
                what = type(g).__name__ if not isinstance(g, np.ndarray) else "a read-only ndarray"
                raise TypeError(
                    f"grads()[{name!r}]: expected a writeable ndarray to set to zero, got {what}"
                )
        for g in grads.values():
            g[...] = 0
