"""The one training loop, used by the widgets, the lessons, the command line and the benchmarks.

``training(...)`` is a generator: it trains and yields the ``History`` every ``report_every`` epochs, so
a caller can draw live frames, and cancels a run simply by not asking for more. ``train(...)`` runs it
to the end, with an optional progress callback and stop test.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from . import fast_step, threads
from .arguments import check_choice, check_float, check_int
from .data import Dataset
from .models import dtype_of, evaluating, input_shape

OPTIMIZERS = ("adam", "sgd")
REGULARIZATIONS = ("none", "l1", "l2")
MAX_EPOCHS = 100_000
SMALL_MODEL = 50_000   # parameters; below this one CPU thread is faster than several


@dataclass
class History:
    """Per-epoch record of one run. Lists all have one entry per recorded epoch.

    status: "running", "done" (all epochs ran), "early_stopped" (validation loss stopped improving; the best
    weights were restored), "stopped" (cancelled by the caller) or "diverged" (loss became NaN or
    infinite; ``message`` says what to change).
    """

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    seconds: list = field(default_factory=list)   # wall time since the start of training
    status: str = "running"
    message: str = ""
    # entry 0 is epoch 0: the untrained model

    def last(self) -> dict:
        """The latest recorded epoch as a dict (empty before the first epoch)."""
        if not self.epoch:
            return {}
        return {k: getattr(self, k)[-1] for k in ("epoch", "train_loss", "test_loss", "train_acc", "test_acc", "seconds")}

    def as_dict(self) -> dict:
        return asdict(self)


def loss_fn(logits, y):
    """Cross-entropy, mean over the batch: binary (logits of shape (B, 1)) or multi-class (logits (B, k)).

    y: class labels, integers of shape (B,); or soft targets, rows of probabilities of shape (B, k) (floats,
    each row >= 0 and summing to 1; k = 2 for a binary model), giving -sum_j y_j log softmax(logits)_j.
    """
    if y.is_floating_point():   # soft targets (B, k)
        if logits.shape[1] == 1:
            return nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y[:, 1].to(logits.dtype))
        return -(y.to(logits.dtype) * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
    if logits.shape[1] == 1:
        return nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y.to(logits.dtype))
    return nn.functional.cross_entropy(logits, y)


def hard_labels(y):
    """Class labels (B,) from labels or from soft targets (B, k): the most probable class of each row."""
    return y.argmax(dim=1) if y.is_floating_point() else y


def predicted_class(logits):
    """Class index per row of logits (B, 1) or (B, k)."""
    if logits.shape[1] == 1:
        return (logits[:, 0] > 0).long()
    return logits.argmax(dim=1)


def penalty(model, regularization: str):
    """Sum of |w| (l1) or w² (l2) over all weight matrices and filters; biases are not penalized."""
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    if regularization == "l1":
        return sum(w.abs().sum() for w in weights)
    return sum((w * w).sum() for w in weights)


@contextlib.contextmanager
def one_thread_if_small(model: nn.Module):
    """Run torch and numpy's BLAS on one CPU thread while a small model computes. Its operations are too small
    to split (with two threads on a busy 2-core machine tiny networks ran up to 10x slower), and a BLAS that
    splits a product among threads sums in another order: the same run gave other numbers with 1 and 2 threads."""
    if sum(p.numel() for p in model.parameters()) >= SMALL_MODEL:
        yield
        return
    # torch's thread count belongs to the calling thread (OpenMP): each thread sets and restores its own. The BLAS's
    # belongs to the process: hlkit/threads.py limits it while any thread holds the guard and restores it after
    before = torch.get_num_threads()
    if before != 1:
        torch.set_num_threads(1)
    threads.hold()
    try:
        yield
    finally:
        threads.release()
        if before != 1:
            torch.set_num_threads(before)


def _tensors(model, data: Dataset):
    dtype = dtype_of(model)
    y_train = np.asarray(data.y_train)   # labels, or soft targets (rows of probabilities) kept as floats
    return (torch.as_tensor(data.X_train, dtype=dtype),
            torch.as_tensor(y_train, dtype=dtype if y_train.ndim == 2 else torch.long),
            torch.as_tensor(data.X_test, dtype=dtype), torch.as_tensor(data.y_test, dtype=torch.long))


def training(model: nn.Module, data: Dataset, *, epochs: int = 500, lr: float = 0.03, optimizer: str = "adam",
             batch_size: int | None = None, regularization: str = "none", reg_rate: float = 0.0,
             patience: int | None = None, seed: int = 0, report_every: int = 1, yield_start: bool = False,
             interrupt: Callable[[], bool] | None = None) -> Iterator[History]:
    """Train ``model`` on ``data`` in place, yielding the growing ``History`` every ``report_every`` epochs.

    epochs: 1 to 100,000. lr: learning rate, > 0 and <= 100. optimizer: "adam" or "sgd".
    batch_size: points per step (None = all training points, "full batch"). regularization: "none",
    "l1" or "l2", weighted by reg_rate (0 to 1). patience: stop after this many epochs without a lower
    validation loss (the loss on the data's held-out split) and restore the best weights (None = never stop
    early). seed: the order of minibatches.
    The history starts at epoch 0 (the untrained model). The last yield has ``status`` set; stopping the
    iteration early is how a run is cancelled. A loss that turns NaN/infinite or grows past 5x its starting
    value ends the run with status "diverged" and a hint in ``message``.
    yield_start: also yield the history right after epoch 0 (the untrained model). interrupt: asked before
    every minibatch; True ends the run there, mid-epoch, with status "stopped" (how a live view cancels fast).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (e.g. from hlkit.models.mlp); got {type(model).__name__}")
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be an hlkit Dataset (e.g. from hlkit.data.make_dataset); got {type(data).__name__}")
    epochs = check_int("epochs", epochs, 1, MAX_EPOCHS)
    lr = check_float("lr", lr, 0.0, 100.0, low_open=True)
    optimizer = check_choice("optimizer", optimizer, OPTIMIZERS)
    n_train = len(data.y_train)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, 1, None)
    batch = n_train if batch_size is None else min(batch_size, n_train)
    regularization = check_choice("regularization", regularization, REGULARIZATIONS)
    reg_rate = check_float("reg_rate", reg_rate, 0.0, 1.0)
    if patience is not None:
        patience = check_int("patience", patience, 1, MAX_EPOCHS)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    report_every = check_int("report_every", report_every, 1, MAX_EPOCHS)
    n_out = getattr(model, "n_classes", None)
    if n_out is not None and data.n_classes > n_out:
        raise ValueError(f"data has {data.n_classes} classes but the model predicts {n_out}: "
                         f"build the model with n_classes={data.n_classes}")
    _check_data(model, data)

    Xtr, ytr, Xte, yte = _tensors(model, data)
    params = [p for p in model.parameters() if p.requires_grad]
    # tiny MLPs step in numpy (same maths, a fraction of torch's per-op overhead); the rest with torch
    fast = fast_step.FastStep(model, torch.cat([Xtr, Xte]), optimizer=optimizer, lr=lr, regularization=regularization,
                              reg_rate=reg_rate) if fast_step.supports(model) and ytr.ndim == 1 else None
    if fast is not None:
        ytr_np = ytr.numpy()
        all_logits = lambda: torch.from_numpy(fast.logits())  # noqa: E731
    else:
        all_logits = None
        opt = torch.optim.Adam(params, lr=lr, fused=True) if optimizer == "adam" else torch.optim.SGD(params, lr=lr)
    shuffler = torch.Generator().manual_seed(seed)
    history = History()
    since_best = 0
    start = time.perf_counter()
    # epoch 0: the untrained model, so curves start where training starts and divergence has a reference
    with one_thread_if_small(model):
        start_loss = _record(history, model, 0, Xtr, ytr, Xte, yte, start, all_logits)
    # early stopping may restore the untrained weights too, if no epoch ever beats them
    best = (history.test_loss[0], {k: v.detach().clone() for k, v in model.state_dict().items()}) \
        if patience is not None else (math.inf, None)
    blow_up = divergence_limit(start_loss)
    model.train()
    if yield_start:
        yield history
    for epoch in range(1, epochs + 1):
        with one_thread_if_small(model):
            order = torch.randperm(n_train, generator=shuffler) if batch < n_train else None
            for lo in range(0, n_train, batch):
                if interrupt is not None and interrupt():
                    history.status, history.message = "stopped", f"Cancelled during epoch {epoch}."
                    break
                if fast is not None:
                    rows = slice(0, n_train) if order is None else order[lo:lo + batch].numpy()
                    batch_loss = fast.step(rows, ytr_np[rows])
                    continue
                if order is None:
                    xb, yb = Xtr, ytr
                else:
                    idx = order[lo:lo + batch]
                    xb, yb = Xtr[idx], ytr[idx]
                loss = loss_fn(model(xb), yb)
                if regularization != "none" and reg_rate > 0:
                    loss = loss + reg_rate * penalty(model, regularization)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                batch_loss = float(loss.detach())
            if history.status == "stopped":
                break
            record = epoch % report_every == 0 or epoch == epochs or patience is not None
            if record or not math.isfinite(batch_loss):
                train_loss = _record(history, model, epoch, Xtr, ytr, Xte, yte, start, all_logits)
        if history.status == "stopped":
            yield history
            return
        if not math.isfinite(batch_loss) or (record and not (train_loss <= blow_up)):
            history.status = "diverged"
            shown = batch_loss if not math.isfinite(batch_loss) else train_loss
            history.message = (f"Training diverged: the loss went from {start_loss:.3g} to {shown:.3g} at epoch "
                               f"{epoch}; the steps are too big. Lower the learning rate (now {lr:g}; try "
                               f"{lr / 10:g})" + (" or the regularization rate." if reg_rate > 0 else "."))
            yield history
            return
        if patience is not None:
            test_loss = history.test_loss[-1]
            if test_loss < best[0] - 1e-12:
                best = (test_loss, {k: v.detach().clone() for k, v in model.state_dict().items()})
                since_best = 0
            else:
                since_best += 1
                if since_best >= patience:
                    model.load_state_dict(best[1])
                    history.status = "early_stopped"
                    history.message = (f"Stopped at epoch {epoch}: the validation loss (on the data's held-out "
                                       f"split) had not improved for {patience} "
                                       f"epochs; weights restored from epoch {epoch - patience}.")
                    yield history
                    return
        if epoch == epochs:
            history.status = "done"
        if record and (epoch % report_every == 0 or epoch == epochs):
            yield history


def divergence_limit(start_loss: float) -> float:
    """The training loss above which ``training`` ends a run as diverged, given its untrained (epoch 0) loss."""
    return max(5 * start_loss, start_loss + 1.0)


def _check_data(model, data: Dataset) -> None:
    """Refuse data the model cannot learn from, with a message saying what is wrong (instead of a shape error
    deep inside torch or a silent NaN loss)."""
    n_classes = check_int("data.n_classes", data.n_classes, 2, None)
    shape = input_shape(model)
    for part in ("train", "test"):
        X, y = np.asarray(getattr(data, f"X_{part}")), np.asarray(getattr(data, f"y_{part}"))
        if part == "train" and y.ndim == 2:
            _check_soft_targets(y, n_classes, len(X))
            y = y.argmax(axis=1)   # the remaining checks see the most probable class
        if X.dtype.kind not in "biuf" or y.dtype.kind not in "iu":
            raise TypeError(f"data.X_{part} must hold numbers and data.y_{part} integer class labels"
                            f"{' (or soft targets)' if part == 'train' else ''}; got dtypes {X.dtype} and {y.dtype}")
        if len(y) == 0 or y.ndim != 1 or len(X) != len(y):
            raise ValueError(f"data.X_{part} and data.y_{part} must have the same number (at least 1) of rows, and y "
                             f"shape (n,); got shapes {X.shape} and {y.shape}")
        if shape is not None and X.shape[1:] != shape:
            raise ValueError(f"data.X_{part} must have shape (n, {', '.join(map(str, shape))}) for this model; "
                             f"got shape {X.shape} (build the model for this data)")
        if not np.all(np.isfinite(X)):
            raise ValueError(f"data.X_{part} must hold finite numbers; got {int(np.sum(~np.isfinite(X)))} "
                             "NaN or infinite values")
        if y.min() < 0 or y.max() >= n_classes:
            raise ValueError(f"data.y_{part} must hold class labels from 0 to {n_classes - 1} "
                             f"(data.n_classes={n_classes}); got labels from {y.min()} to {y.max()}")


def _check_soft_targets(y, n_classes: int, n_rows: int) -> None:
    """Soft targets: floats of shape (n, n_classes), every row a probability distribution."""
    if y.dtype.kind != "f" or y.shape != (n_rows, n_classes):
        raise ValueError(f"data.y_train as soft targets must be floats of shape ({n_rows}, {n_classes}) (one row of "
                         f"class probabilities per point); got dtype {y.dtype} and shape {y.shape}")
    if not np.all(np.isfinite(y)) or y.min() < 0 or not np.allclose(y.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("data.y_train as soft targets must hold probabilities: every value >= 0 and every row "
                         f"summing to 1; got values from {np.nanmin(y):.3g} to {np.nanmax(y):.3g} and row sums from "
                         f"{np.nanmin(y.sum(axis=1)):.3g} to {np.nanmax(y.sum(axis=1)):.3g}")


def _record(history, model, epoch, Xtr, ytr, Xte, yte, start, all_logits=None) -> float:
    # one forward pass over train and test points together: tiny networks cost per call, not per point
    n = len(ytr)
    if all_logits is not None:
        logits = all_logits()
    else:
        with torch.no_grad(), evaluating(model):
            logits = model(torch.cat([Xtr, Xte]))
    train_loss, train_acc = _scores(logits[:n], ytr)
    test_loss, test_acc = _scores(logits[n:], yte)
    history.epoch.append(epoch)
    history.train_loss.append(train_loss)
    history.test_loss.append(test_loss)
    history.train_acc.append(train_acc)
    history.test_acc.append(test_acc)
    history.seconds.append(time.perf_counter() - start)
    return train_loss


def train(model: nn.Module, data: Dataset, *, progress: Callable[[History], None] | None = None,
          stop: Callable[[], bool] | None = None, **options) -> History:
    """Run ``training`` to the end and return the ``History``.

    progress: called with the history at every report. stop: asked after every report; returning True
    cancels the run (status "stopped"). Other keyword options are those of ``training``.
    """
    for what, fn in (("progress", progress), ("stop", stop)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{what} must be a function or None; got {fn!r} ({type(fn).__name__}) instead")
    history = History()
    for history in training(model, data, **options):
        if progress is not None:
            progress(history)
        if history.status == "running" and stop is not None and stop():
            history.status = "stopped"
            history.message = f"Cancelled after epoch {history.epoch[-1]}."
            break
    return history


@torch.no_grad()
def _evaluate(model, X, y) -> tuple[float, float]:
    with evaluating(model):
        return _scores(model(X), y)


def _scores(logits, y) -> tuple[float, float]:
    loss = float(loss_fn(logits, y))
    acc = float((predicted_class(logits) == hard_labels(y)).double().mean())
    return loss, acc


def evaluate(model: nn.Module, X, y) -> tuple[float, float]:
    """(cross-entropy loss, accuracy) of ``model`` on points X (numpy or tensor) with labels y."""
    dtype = dtype_of(model)
    return _evaluate(model, torch.as_tensor(np.asarray(X), dtype=dtype), torch.as_tensor(np.asarray(y), dtype=torch.long))


def warm_up() -> None:
    """Pay the one-time cost of the first optimizer step (about 1-2 s) now rather than on first use."""
    with torch.random.fork_rng(devices=[]):   # nn.Linear's init draws from the global RNG: leave it as found
        layer = nn.Linear(2, 1).double()
    opt = torch.optim.Adam(layer.parameters(), lr=0.01, fused=True)
    layer(torch.zeros(1, 2, dtype=torch.float64)).sum().backward()
    opt.step()
