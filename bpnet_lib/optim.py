r"""Stochastic gradient descent with heavy-ball momentum and weight decay.

An optimiser holds a model, anything with ``params()`` and ``grads()`` returning dicts
with the same keys (a :class:`~bpnet_lib.network.Sequential`, a layer, a
:class:`~bpnet_lib.bpnet.BPNet`), and :meth:`SGD.step` updates the parameter arrays *in
place* from the gradients of the last backward. With learning rate :math:`\eta`, momentum
:math:`\mu` and weight decay :math:`\lambda`, each parameter :math:`\theta` with gradient
:math:`g` and velocity :math:`v` (zero at the start) is updated by

.. math::

   g \leftarrow g + \lambda\theta, \qquad v \leftarrow \mu v - \eta g, \qquad
   \theta \leftarrow \theta + v.

With :math:`\mu = 0` this is plain gradient descent :math:`\theta \leftarrow \theta - \eta g`.
The velocity is a running sum of past steps, :math:`v_t = -\eta\sum_{s \le t}\mu^{t-s} g_s`,
so in a direction where the gradient keeps its sign the step grows towards
:math:`\eta g / (1 - \mu)`, while oscillating components cancel. Weight decay is the
gradient of the penalty :math:`\tfrac{\lambda}{2}\lVert\theta\rVert^2` added to the loss,
applied to every parameter, biases included.
"""

from __future__ import annotations

import numbers

import numpy as np

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
        :math:`\mu \in [0, 1)`.
    weight_decay : float, default 0.0
        :math:`\lambda \ge 0`.

    Attributes
    ----------
    velocity : dict
        :math:`v` for each parameter name, created (as zeros) at the first :meth:`step`.

    Notes
    -----
    PyTorch writes momentum as :math:`v \leftarrow \mu v + g`,
    :math:`\theta \leftarrow \theta - \eta v`; for a constant :math:`\eta` its :math:`v` is
    ours divided by :math:`-\eta` and the two produce the same iterates.

    Examples
    --------
    >>> opt = SGD(model, lr=0.1, momentum=0.9)  # doctest: +SKIP
    >>> model.forward(X); model.backward(dS); opt.step()  # doctest: +SKIP
    """

    def __init__(self, model, lr, momentum=0.0, weight_decay=0.0):
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
        self.velocity: dict = {}

    def step(self) -> None:
        """Update every parameter in place from the model's current gradients."""
        params, grads = self.model.params(), self.model.grads()
        if params.keys() != grads.keys():
            raise ValueError(
                f"model: expected params() and grads() with the same keys, got "
                f"{sorted(params)} and {sorted(grads)}"
            )
        lr = _number(self.lr, "lr", 0.0, low_open=True)
        for name, theta in params.items():
            g = grads[name]
            if g.shape != theta.shape:
                raise ValueError(
                    f"grads()[{name!r}]: expected the shape of the parameter {theta.shape}, "
                    f"got {g.shape}"
                )
            if self.weight_decay:
                g = g + self.weight_decay * theta
            if self.momentum:
                v = self.velocity.get(name)
                if v is None or v.shape != theta.shape:
                    v = self.velocity[name] = np.zeros_like(theta)
                v *= self.momentum
                v -= lr * g
                theta += v
            else:
                theta -= lr * g

    def zero_grad(self) -> None:
        """Set the model's gradients to zero (not needed with this library's layers,
        whose ``backward`` overwrites them, but harmless)."""
        for g in self.model.grads().values():
            g[...] = 0
