"""The training loop: mini-batches, forward, loss, backward, optimiser step, repeat.

:func:`fit` runs that loop for a number of epochs and returns a :class:`History` of
per-epoch numbers, so a chapter can train in one cell and plot or check the results in
the next. The progress bar (``tqdm.auto``, one tick per epoch) is the only volatile
output: turn it off with ``progress=False``, or for every call at once by setting the
environment variable ``BPNET_PROGRESS=0`` (what a test run or a book build does). Nothing
else prints. tqdm is imported only when a bar is shown, so this module needs NumPy alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from .data import minibatches

__all__ = ["History", "fit", "evaluate", "accuracy", "progress_enabled"]


@dataclass
class History:
    """Per-epoch training record; every list has one entry per completed epoch.

    Attributes
    ----------
    loss : list of float
        Mean training loss over the epoch's mini-batches (weighted by batch size),
        each measured just before that batch's update, in training mode.
    train_acc : list of float
        Accuracy on those same mini-batches, measured the same way; NaN when the
        targets are real-valued rows (regression) rather than integer labels.
    val_loss, val_acc : list of float
        Loss and accuracy on ``(X_val, y_val)`` after the epoch, in evaluation mode;
        empty when no validation set is given.
    """

    loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """Number of completed epochs."""
        return len(self.loss)


def progress_enabled(progress: bool = True) -> bool:
    """True if a bar should be shown: ``progress`` is true and ``BPNET_PROGRESS`` is not ``0``."""
    return bool(progress) and os.environ.get("BPNET_PROGRESS", "1").strip().lower() not in (
        "0", "false", "no", "off"
    )


def accuracy(scores, y) -> float:
    """Fraction of samples whose predicted class equals the label.

    Parameters
    ----------
    scores : array_like, shape (N, K) with K >= 2, or (N,)
        Class scores (the prediction is the argmax of each row), or single scores
        thresholded at 0 (predicting 1 for labels in {0, 1}, +1 for labels in {-1, +1}).
    y : array_like of int, shape (N,)

    Returns
    -------
    float in [0, 1]
    """
    S = np.asarray(scores)
    y = np.asarray(y)
    if S.ndim == 2 and S.shape[1] >= 2:
        pred = np.argmax(S, axis=1)
    elif S.ndim == 1 or (S.ndim == 2 and S.shape[1] == 1):
        S = S.reshape(-1)
        pred = np.where(S > 0, 1, -1 if np.any(y == -1) else 0)
    else:
        raise ValueError(f"scores: expected shape (N, K) or (N,), got shape {S.shape}")
    if y.shape != (S.shape[0],):
        raise ValueError(f"y: expected labels of shape ({S.shape[0]},), got shape {y.shape}")
    if S.shape[0] == 0:
        raise ValueError("scores: expected at least one sample, got none")
    return float(np.mean(pred == y))


def evaluate(model, loss_fn, X, y, batch_size=None):
    """Loss and accuracy of ``model`` on ``(X, y)``, in evaluation mode.

    The model's mode is restored afterwards. ``loss_fn(S, y) -> (loss, dS)`` should
    average over the batch (the library losses' default ``reduction="mean"``); with
    ``batch_size`` the data is run in chunks and the losses averaged with weights.

    Returns
    -------
    loss : float
    acc : float
    """
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        N = np.shape(X)[0]
        step = N if batch_size is None else int(batch_size)
        total, correct = 0.0, 0.0
        for Xb, yb in minibatches(X, y, max(step, 1), shuffle=False):
            S = model.forward(Xb)
            loss, _ = loss_fn(S, yb)
            total += float(loss) * len(yb)
            correct += accuracy(S, yb) * len(yb)
    finally:
        if hasattr(model, "train"):
            model.train(was_training)
    return total / N, correct / N


def fit(model, loss_fn, X, y, epochs, batch_size, optimizer, rng, X_val=None, y_val=None,
        progress=True, callback=None, drop_last=False) -> History:
    """Train ``model`` with mini-batch gradient descent; return the per-epoch :class:`History`.

    Each epoch shuffles the data with ``rng`` and, for every mini-batch, runs
    ``S = model.forward(Xb)``, ``loss, dS = loss_fn(S, yb)``, ``model.backward(dS)`` and
    ``optimizer.step()``. The model is put in training mode first.

    Parameters
    ----------
    model : Sequential or any layer
        Has ``forward``, ``backward`` and (optionally) ``train``/``eval``.
    loss_fn : callable
        ``(S, y) -> (loss, dS)``, e.g. :func:`bpnet_lib.losses.softmax_cross_entropy`.
    X : array_like, shape (N, ...)
    y : array_like, shape (N,) or (N, K)
    epochs : int
    batch_size : int
    optimizer : object with ``step()``
        E.g. :class:`bpnet_lib.optim.SGD` built on the same model.
    rng : numpy.random.Generator or int
        Source of the shuffles (an int seeds a new generator).
    X_val, y_val : array_like, optional
        A validation set, evaluated after every epoch.
    progress : bool, default True
        Show a ``tqdm.auto`` bar over the epochs (also off when ``BPNET_PROGRESS=0``).
    callback : callable, optional
        ``callback(epoch, history, model)`` after each epoch (``epoch`` counts from 1);
        returning ``True`` stops training early.
    drop_last : bool, default False
        Skip the short last mini-batch of each epoch (see
        :func:`bpnet_lib.data.minibatches`); the epoch's loss and accuracy are then over
        the samples that were used.

    Returns
    -------
    History
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs: expected a non-negative integer, got {epochs!r}")
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val, y_val: expected both or neither, got only one")
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng) if isinstance(rng, (int, np.integer)) else rng
    history = History()
    if hasattr(model, "train"):
        model.train()
    bar = range(1, epochs + 1)
    show = progress_enabled(progress)
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(bar, desc="epochs", unit="epoch", leave=True)
    try:
        for epoch in bar:
            total, correct, seen = 0.0, 0.0, 0
            for Xb, yb in minibatches(X, y, batch_size, rng, drop_last=drop_last):
                S = model.forward(Xb)
                loss, dS = loss_fn(S, yb)
                model.backward(dS)
                optimizer.step()
                n = Xb.shape[0]
                total += float(loss) * n
                if np.ndim(yb) == 1:
                    correct += accuracy(S, yb) * n
                seen += n
            history.loss.append(total / seen)
            history.train_acc.append(correct / seen if np.ndim(y) == 1 else float("nan"))
            if X_val is not None:
                val_loss, val_acc = evaluate(model, loss_fn, X_val, y_val)
                history.val_loss.append(val_loss)
                history.val_acc.append(val_acc)
            if show:
                shown = {"loss": f"{history.loss[-1]:.4f}"}
                if history.val_acc:
                    shown["val_acc"] = f"{history.val_acc[-1]:.4f}"
                bar.set_postfix(shown)
            if callback is not None and callback(epoch, history, model) is True:
                break
    finally:
        if show:
            bar.close()
    return history
