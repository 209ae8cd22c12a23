"""The training loop: mini-batches, forward, loss, backward, optimiser step, repeat.

:func:`fit` runs that loop for a number of epochs and returns a :class:`History` of
per-epoch numbers, so a chapter can train in one cell and plot or check the results in
the next. Given a validation set it can stop early (:class:`EarlyStopping`): when the
validation loss has not improved for ``patience`` epochs, training stops and the weights
of the best epoch are put back. A run whose loss or weights overflow stops at once and
says so (``History.diverged``). The progress bar (``tqdm.auto``, one tick per epoch) is the only volatile
output: turn it off with ``progress=False``, or for every call at once by setting the
environment variable ``BPNET_PROGRESS=0`` (what a test run or a book build does). Nothing
else prints. tqdm is imported only when a bar is shown, so this module needs NumPy alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ._validation import as_float_array, check_labels
from .data import _positive_int, _rng, minibatches

__all__ = ["History", "EarlyStopping", "fit", "evaluate", "accuracy", "progress_enabled"]


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
    best_epoch : int or None
        With early stopping, the epoch (counted from 1) whose weights the model holds at
        the end: the one with the lowest validation loss (0 if no epoch had a finite one).
        None without early stopping.
    diverged : bool
        True if training stopped because the loss or a parameter stopped being finite;
        the unfinished epoch is not recorded.
    """

    loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    best_epoch: int | None = None
    diverged: bool = False

    @property
    def epochs(self) -> int:
        """Number of completed epochs."""
        return len(self.loss)


class EarlyStopping:
    r"""Stop when the validation loss has not improved for ``patience`` epochs; keep the best weights.

    Give it to :func:`fit` as ``early_stopping=EarlyStopping(patience=...)``. After every
    epoch ``fit`` calls :meth:`update` with the validation loss :math:`E_{\mathrm{val}}`.
    An epoch *improves* if its loss is below the best so far by more than ``min_delta``;
    then a copy of every parameter is kept. ``patience`` epochs in a row without an
    improvement stop training. Whenever training ends -- stopped early or not -- ``fit``
    calls :meth:`restore`, which copies the kept parameters back into the model in place,
    so the model ``fit`` leaves behind is the one of epoch ``best_epoch`` (also recorded in
    ``History.best_epoch``).

    Parameters
    ----------
    patience : int, default 5
        Epochs without improvement tolerated before stopping (>= 1).
    min_delta : float, default 0.0
        Smallest decrease of the validation loss that counts as an improvement (>= 0).

    Attributes
    ----------
    best_epoch : int
        Epoch of the lowest validation loss so far, counted from 1 (0 before any finite loss).
    best_loss : float
        That loss (``inf`` before any).
    best_params : dict or None
        Copies of ``model.params()`` at the best epoch.
    wait : int
        Epochs since the last improvement.

    Notes
    -----
    Optimiser state (momentum's velocity) is not part of the copy: early stopping chooses
    a model, it does not resume training from it.
    """

    def __init__(self, patience=5, min_delta=0.0):
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 1:
            raise ValueError(f"patience: expected a positive integer, got {patience!r}")
        if (isinstance(min_delta, bool) or not isinstance(min_delta, (int, float, np.integer, np.floating))
                or not np.isfinite(min_delta) or min_delta < 0):
            raise ValueError(f"min_delta: expected a finite number >= 0, got {min_delta!r}")
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.reset()

    def reset(self) -> None:
        """Forget everything seen (``fit`` calls this when it starts)."""
        self.best_epoch, self.best_loss, self.best_params, self.wait = 0, float("inf"), None, 0

    def update(self, epoch, val_loss, model) -> bool:
        """Record epoch ``epoch``'s validation loss; return True if training should stop."""
        if np.isfinite(val_loss) and val_loss < self.best_loss - self.min_delta:
            self.best_epoch, self.best_loss, self.wait = int(epoch), float(val_loss), 0
            self.best_params = {k: np.array(v, copy=True) for k, v in model.params().items()}
            return False
        self.wait += 1
        return self.wait >= self.patience

    def restore(self, model) -> None:
        """Copy the best parameters back into ``model`` (in place); nothing if there are none."""
        if self.best_params is None:
            return
        params = model.params()
        if params.keys() != self.best_params.keys():
            raise ValueError(
                f"model: expected the parameters {sorted(self.best_params)} seen in training, "
                f"got {sorted(params)}"
            )
        for k, v in params.items():
            v[...] = self.best_params[k]


def _all_finite(model) -> bool:
    params = getattr(model, "params", None)
    return params is None or all(np.all(np.isfinite(p)) for p in params().values())


def _grads_finite(model) -> bool:
    grads = getattr(model, "grads", None)
    if not callable(grads):
        return True
    with np.errstate(over="ignore", invalid="ignore"):  # a finite sum clears g in one pass
        return all(np.isfinite(np.add.reduce(g, axis=None)) or np.all(np.isfinite(g))
                   for g in grads().values())


def _sample_count(X, name: str, purpose: str) -> int:
    """Return ``N``, the length of the first axis of ``X``, requiring ``N >= 1``."""
    shape = np.shape(X)
    if len(shape) == 0:
        raise ValueError(f"{name}: expected an array of shape (N, ...) with N >= 1, got a scalar")
    if shape[0] == 0:
        raise ValueError(
            f"{name}: expected at least one sample (N >= 1) to {purpose}, got shape {shape}"
        )
    return shape[0]


def _flag(value, name: str) -> bool:
    """``value`` as a bool, or ``TypeError``: ``progress="no"`` would be read as True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def _check_callables(model, loss_fn, optimizer=None, callback=None, fitting=True) -> None:
    """Name the argument that lacks what the loop calls, before the loop fails inside."""
    methods = ("forward", "backward") if fitting else ("forward",)
    missing = [m for m in methods if not callable(getattr(model, m, None))]
    if missing:
        raise TypeError(
            f"model: expected a model with {' and '.join(f'{m}()' for m in methods)} (a "
            f"Sequential, a layer), got {type(model).__name__} without {', '.join(missing)}"
        )
    if not callable(loss_fn):
        raise TypeError(
            f"loss_fn: expected a function (S, y) -> (loss, dS) such as "
            f"losses.softmax_cross_entropy, got {type(loss_fn).__name__}"
        )
    if fitting and not callable(getattr(optimizer, "step", None)):
        raise TypeError(
            f"optimizer: expected an object with step() such as optim.SGD(model, lr), got "
            f"{type(optimizer).__name__}"
        )
    if callback is not None and not callable(callback):
        raise TypeError(
            f"callback: expected a function callback(epoch, history, model) or None, got "
            f"{type(callback).__name__}"
        )


def _loss_output(out, S, need_grad=True):
    """Check what ``loss_fn(S, y)`` returned: a real scalar loss and a gradient shaped like S."""
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(
            f"loss_fn: expected it to return a pair (loss, dS), got {type(out).__name__}"
        )
    loss, dS = out
    value = np.asarray(loss)
    if value.dtype == object or not (np.issubdtype(value.dtype, np.number)
                                     or value.dtype == np.bool_) or np.iscomplexobj(value):
        raise TypeError(
            f"loss_fn: expected a real number as the loss, got {type(loss).__name__} {loss!r}"
        )
    if value.size != 1:
        raise ValueError(
            f"loss_fn: expected a scalar loss, got an array of shape {value.shape}; reduce it "
            f"over the batch (reduction='mean')"
        )
    if need_grad and np.shape(dS) != np.shape(S):
        raise ValueError(
            f"loss_fn: expected a gradient dS of the scores' shape {np.shape(S)}, got shape "
            f"{np.shape(dS)}"
        )
    return float(value.reshape(())), dS


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

    Raises
    ------
    ValueError
        If ``scores`` is not finite real numbers, ``y`` is not integer labels, or a
        label is outside ``0..K-1`` for ``(N, K)`` scores (outside {0, 1} or {-1, +1}
        for single scores).
    """
    S = as_float_array(scores, "scores")
    y = np.asarray(y)
    if S.ndim == 2 and S.shape[1] >= 2:
        two_d = True
    elif S.ndim == 1 or (S.ndim == 2 and S.shape[1] == 1):
        two_d = False
        S = S.reshape(-1)
    else:
        raise ValueError(f"scores: expected shape (N, K) or (N,), got shape {S.shape}")
    if y.shape != (S.shape[0],):
        raise ValueError(f"y: expected labels of shape ({S.shape[0]},), got shape {y.shape}")
    if S.shape[0] == 0:
        raise ValueError("scores: expected at least one sample, got none")
    if two_d:
        y = check_labels(y, S.shape[0], S.shape[1], "y")
        pred = np.argmax(S, axis=1)
    else:
        integral = np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_ or (
            np.issubdtype(y.dtype, np.floating) and np.all(np.isfinite(y)) and np.all(y == np.round(y))
        )
        if not integral:
            raise ValueError(f"y: expected integer class labels, got dtype {y.dtype}")
        y = y.astype(np.intp)
        values = set(np.unique(y).tolist())
        if not (values <= {0, 1} or values <= {-1, 1}):
            raise ValueError(
                f"y: expected labels in {{0, 1}} or in {{-1, +1}} for single scores, got "
                f"{sorted(values)[:5]}"
            )
        pred = np.where(S > 0, 1, -1 if np.any(y == -1) else 0)
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
        NaN when ``y`` holds real-valued target rows (regression) rather than labels.

    Raises
    ------
    ValueError
        If ``X`` is a scalar or holds no samples (the averages would be 0 / 0), or
        ``batch_size`` is not a positive int.
    TypeError
        If ``model`` has no ``forward`` or ``loss_fn`` is not callable or does not return a
        pair ``(loss, dS)`` with a real scalar loss (``dS`` is not used here).
    """
    _check_callables(model, loss_fn, fitting=False)
    N = _sample_count(X, "X", "evaluate")
    step = N if batch_size is None else _positive_int(batch_size, "batch_size")
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        total, correct = 0.0, 0.0
        for Xb, yb in minibatches(X, y, step, shuffle=False):
            S = model.forward(Xb)
            loss, _ = _loss_output(loss_fn(S, yb), S, need_grad=False)
            total += loss * len(yb)
            correct += accuracy(S, yb) * len(yb) if np.ndim(yb) == 1 else float("nan")
    finally:
        if hasattr(model, "train"):
            model.train(was_training)
    return total / N, correct / N


def fit(model, loss_fn, X, y, epochs, batch_size, optimizer, rng, X_val=None, y_val=None,
        progress=True, callback=None, drop_last=False, early_stopping=None) -> History:
    """Train ``model`` with mini-batch gradient descent; return the per-epoch :class:`History`.

    Each epoch shuffles the data with ``rng`` and, for every mini-batch, runs
    ``S = model.forward(Xb)``, ``loss, dS = loss_fn(S, yb)``, ``model.backward(dS)`` and
    ``optimizer.step()``. The model is put in training mode first. If the scores, the
    loss or the gradients of a mini-batch, or a parameter after a step, are not finite,
    the run has diverged: training stops there and ``History.diverged`` is True.

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
    early_stopping : EarlyStopping, optional
        Needs ``X_val, y_val``. Stops when the validation loss has not improved for
        ``early_stopping.patience`` epochs and, at the end of training (however it ends,
        except by an exception), puts the parameters of the best epoch back into
        ``model``; ``History.best_epoch`` says which. A ``callback`` returning True
        also stops training, and the best weights are restored then too.

    Returns
    -------
    History

    Raises
    ------
    ValueError
        Before any training, if ``X`` or ``X_val`` has no samples, ``y_val`` has a length
        other than ``X_val``'s, ``epochs`` or ``batch_size`` is not a valid count, or ``rng``
        is neither a Generator nor an int; during training, if ``loss_fn`` returns a loss
        that is not a scalar or a ``dS`` not shaped like the scores.
    TypeError
        If ``model``, ``loss_fn``, ``optimizer`` or ``callback`` lacks what the loop calls,
        ``progress`` or ``drop_last`` is not a bool, or ``loss_fn`` does not return a pair
        ``(loss, dS)`` with a real loss.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs: expected a non-negative integer, got {epochs!r}")
    _check_callables(model, loss_fn, optimizer, callback)
    progress, drop_last = _flag(progress, "progress"), _flag(drop_last, "drop_last")
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val, y_val: expected both or neither, got only one")
    _sample_count(X, "X", "train on")
    if X_val is not None:
        n_val = _sample_count(X_val, "X_val", "validate on")
        if np.ndim(y_val) == 0 or np.shape(y_val)[0] != n_val:
            # checked here: evaluate would name them X and y
            raise ValueError(
                f"y_val: expected {n_val} rows (one per sample of X_val), got shape "
                f"{np.shape(y_val)}"
            )
    if early_stopping is not None:
        if not isinstance(early_stopping, EarlyStopping):
            raise ValueError(
                f"early_stopping: expected an EarlyStopping, got {type(early_stopping).__name__}"
            )
        if X_val is None:
            raise ValueError("early_stopping: expected a validation set X_val, y_val, got none")
        early_stopping.reset()
    rng = _rng(rng, "rng")  # a Generator or an int seed (True is not a seed)
    history = History()
    if hasattr(model, "train"):
        model.train()
    bar = range(1, epochs + 1)
    show = progress_enabled(progress)
    if show:
        try:
            from tqdm.auto import tqdm
        except ImportError:  # the bar is a convenience: without tqdm, train silently
            show = False
        else:
            bar = tqdm(bar, desc="epochs", unit="epoch", leave=True)
    try:
        for epoch in bar:
            total, correct, seen = 0.0, 0.0, 0
            for Xb, yb in minibatches(X, y, batch_size, rng, drop_last=drop_last):
                S = model.forward(Xb)
                if not np.all(np.isfinite(S)):
                    history.diverged = True
                    break
                loss, dS = _loss_output(loss_fn(S, yb), S)
                if not np.isfinite(loss):
                    history.diverged = True
                    break
                model.backward(dS)
                if not _grads_finite(model):  # SGD.step refuses them; a divergence either way
                    history.diverged = True
                    break
                optimizer.step()
                if not _all_finite(model):
                    history.diverged = True
                    break
                n = Xb.shape[0]
                total += float(loss) * n
                if np.ndim(yb) == 1:
                    correct += accuracy(S, yb) * n
                seen += n
            if history.diverged:
                break
            history.loss.append(total / seen)
            history.train_acc.append(correct / seen if np.ndim(y) == 1 else float("nan"))
            stop = False
            if X_val is not None:
                val_loss, val_acc = evaluate(model, loss_fn, X_val, y_val)
                history.val_loss.append(val_loss)
                history.val_acc.append(val_acc)
                if early_stopping is not None:
                    stop = early_stopping.update(epoch, val_loss, model)
            if show:
                shown = {"loss": f"{history.loss[-1]:.4f}"}
                if history.val_acc:
                    shown["val_acc"] = f"{history.val_acc[-1]:.4f}"
                bar.set_postfix(shown)
            if callback is not None and callback(epoch, history, model) is True:
                stop = True
            if stop:
                break
    finally:
        if show:
            bar.close()
    if early_stopping is not None:
        early_stopping.restore(model)
        history.best_epoch = early_stopping.best_epoch
    return history
