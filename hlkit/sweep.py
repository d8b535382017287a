"""Capacity sweeps: train many networks of different depth and width on one dataset and collect the numbers.

Pure computation, numpy out; ``hlkit.viz.capacity_map`` and ``hlkit.viz.curves`` draw the results. Every
classifier is built by ``hlkit.models.mlp`` and trained by ``hlkit.train.train``, the one training loop.
``fit_curve`` is the single exception: fitting a 1-D function is regression (squared error), which the
classification loop does not do, so it has its own dozen-line loop on the same MLP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .arguments import check_choice, check_float, check_int
from .data import Dataset
from .models import hidden_sizes, mlp, n_params
from .probe import predict_proba
from .train import evaluate, one_thread_if_small, train

MAX_RUNS = 500   # networks per call: more would keep a lesson cell busy for minutes


@dataclass(frozen=True)
class Runs:
    """Results of training each network in ``hiddens`` once per seed.

    hiddens: the hidden-layer lists, H of them. seeds: shape (S,). train_acc, test_acc, train_loss, test_loss:
    final values, shape (H, S). epochs: epochs actually run, shape (H, S) (fewer than asked after early
    stopping). reached: the first recorded epoch whose test accuracy was >= ``target``, shape (H, S), -1 where never
    (all -1 when no target was given). n_params: weights and biases per network, shape (H,).
    """

    hiddens: tuple
    seeds: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    epochs: np.ndarray
    reached: np.ndarray
    n_params: np.ndarray


@dataclass(frozen=True)
class CapacityGrid:
    """One network per (depth, width) pair, every hidden layer ``width`` neurons wide.

    depths: shape (D,). widths: shape (W,). train_acc, test_acc, train_loss, test_loss, n_params, epochs:
    shape (D, W), row = depth, column = width. Depth 0 is the linear model (no hidden layer): its row
    repeats one run, since the width does not exist there.
    """

    depths: np.ndarray
    widths: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    n_params: np.ndarray
    epochs: np.ndarray

    def best(self, values: str = "test_acc") -> tuple[int, int]:
        """(depth, width) with the highest ``values`` ("test_acc" or "train_acc"); ties go to the smaller
        network (fewer parameters), since it reached the same score with less."""
        values = check_choice("values", values, ("test_acc", "train_acc"))
        score = getattr(self, values)
        top = score == score.max()
        fewest = np.where(top, self.n_params, np.iinfo(np.int64).max)
        d, w = np.unravel_index(int(np.argmin(fewest)), score.shape)
        return int(self.depths[d]), int(self.widths[w])


def _int_list(name: str, values, low: int, high: int) -> list[int]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, range, np.ndarray)):
        raise TypeError(f"{name} must be a list of integers such as [1, 2, 4]; got {values!r} instead")
    values = [check_int(f"{name}[{i}]", v.item() if isinstance(v, np.generic) else v, low, high)
              for i, v in enumerate(values)]
    if not values:
        raise ValueError(f"{name} must hold at least one value; got an empty list")
    return values


def train_many(data: Dataset, hiddens, *, seeds=(0,), epochs: int = 300, lr: float = 0.03,
               activation: str = "tanh", features=None, target: float | None = None, target_every: int = 5,
               **options) -> Runs:
    """Train one network per hidden-layer list in ``hiddens`` and per seed in ``seeds``; collect final numbers.

    hiddens: e.g. ``[[1], [2], [8, 8]]`` (``[]`` = the linear model). seeds: model seeds; the same seed
    also orders minibatches. target: an accuracy from 0 to 1 whose first test-set arrival is recorded in
    ``reached``, looked for every ``target_every`` epochs (each look costs an evaluation). Other options
    (optimizer, batch_size, regularization, reg_rate, patience) go to ``hlkit.train.train``.
    Returns a ``Runs`` with arrays of shape (H, S).
    """
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be an hlkit Dataset (e.g. from hlkit.make_dataset); got {type(data).__name__}")
    if isinstance(hiddens, (str, bytes)) or not isinstance(hiddens, Sequence) or not hiddens:
        raise TypeError(f"hiddens must be a non-empty list of hidden-layer lists such as [[2], [8, 8]]; got {hiddens!r}")
    seeds = _int_list("seeds", seeds, 0, 2**63 - 1)
    if len(hiddens) * len(seeds) > MAX_RUNS:
        raise ValueError(f"hiddens x seeds may be at most {MAX_RUNS} runs; got {len(hiddens)} x {len(seeds)}")
    epochs = check_int("epochs", epochs, 1, 100_000)
    if target is not None:
        target = check_float("target", target, 0.0, 1.0)
    target_every = check_int("target_every", target_every, 1, 100_000)
    options.pop("report_every", None)
    every = min(target_every, epochs) if target is not None else epochs
    H, S = len(hiddens), len(seeds)
    out = {k: np.zeros((H, S)) for k in ("train_acc", "test_acc", "train_loss", "test_loss")}
    ran = np.zeros((H, S), dtype=np.int64)
    reached = np.full((H, S), -1, dtype=np.int64)
    sizes = np.zeros(H, dtype=np.int64)
    for h, hidden in enumerate(hiddens):
        for s, seed in enumerate(seeds):
            model = mlp(hidden, activation=activation, features=features, n_classes=max(2, data.n_classes), seed=seed)
            history = train(model, data, epochs=epochs, lr=lr, seed=seed, report_every=every, **options)
            if history.status == "diverged":
                raise RuntimeError(f"hidden={list(hidden)}, seed={seed}: {history.message}")
            for key, values in out.items():
                values[h, s] = getattr(history, key)[-1]
            ran[h, s] = history.epoch[-1]
            if target is not None:
                hits = [e for e, a in zip(history.epoch, history.test_acc, strict=True) if a >= target]
                reached[h, s] = hits[0] if hits else -1
        sizes[h] = n_params(model)
    return Runs(tuple(tuple(h) for h in hiddens), np.array(seeds), **out, epochs=ran, reached=reached, n_params=sizes)


def capacity_grid(data: Dataset, depths, widths, *, epochs: int = 300, lr: float = 0.03, activation: str = "tanh",
                  seed: int = 0, **options) -> CapacityGrid:
    """Train one network for every (depth, width) pair and return a ``CapacityGrid`` of shape (D, W).

    depths: numbers of hidden layers, 0-10 (0 = no hidden layer: trained once for the whole row).
    widths: neurons per hidden layer, 1-256. Each network trains full batch for ``epochs`` epochs at
    learning rate ``lr`` with model seed ``seed``; other options go to ``hlkit.train.train``.
    """
    depths = _int_list("depths", depths, 0, 10)
    widths = _int_list("widths", widths, 1, 256)
    pairs = [(d, w) for d in depths for w in (widths if d > 0 else widths[:1])]
    runs = train_many(data, [hidden_sizes(d, w) for d, w in pairs], seeds=(seed,), epochs=epochs, lr=lr,
                      activation=activation, **options)
    D, W = len(depths), len(widths)
    grids = {k: np.zeros((D, W), dtype=np.int64 if k in ("n_params", "epochs") else np.float64)
             for k in ("train_acc", "test_acc", "train_loss", "test_loss", "n_params", "epochs")}
    i = 0
    for r, d in enumerate(depths):
        for c in range(W if d > 0 else 1):
            for key, grid in grids.items():
                values = getattr(runs, key)
                grid[r, c if d > 0 else slice(None)] = values[i] if key == "n_params" else values[i, 0]
            i += 1
    return CapacityGrid(np.array(depths), np.array(widths), **grids)


def validation_split(data: Dataset, *, val_ratio: float = 0.3, seed: int = 0) -> Dataset:
    """A new Dataset whose train points are part of ``data``'s train points and whose test slot holds the
    rest of them, the validation points (``data``'s test points are left out, for one final check).

    Training reports the second set as "test": with this dataset those numbers are validation numbers,
    and ``patience`` (early stopping) watches the validation loss. val_ratio: share held out, 0.1 to 0.9.
    """
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be an hlkit Dataset (e.g. from hlkit.make_dataset); got {type(data).__name__}")
    val_ratio = check_float("val_ratio", val_ratio, 0.1, 0.9)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    n = len(data.y_train)
    n_val = min(max(int(round(val_ratio * n)), 1), n - 1)
    if n < 4:
        raise ValueError(f"data must have at least 4 training points to split off a validation set; got {n}")
    order = np.random.default_rng(seed).permutation(n)
    fit, val = order[n_val:], order[:n_val]
    return Dataset(data.X_train[fit], data.y_train[fit], data.X_train[val], data.y_train[val], data.n_classes,
                   f"{data.name} (train part / validation)", data.class_names)


def subsample(data: Dataset, n_train: int, *, seed: int = 0) -> Dataset:
    """A new Dataset with ``n_train`` of ``data``'s training points (drawn at random with ``seed``) and all of its
    test points: networks trained on more or fewer points are then compared on the very same test set."""
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be an hlkit Dataset (e.g. from hlkit.make_dataset); got {type(data).__name__}")
    n = len(data.y_train)
    n_train = check_int("n_train", n_train, 2, n)
    keep = np.sort(_order(n, seed)[:n_train])
    return Dataset(data.X_train[keep], data.y_train[keep], data.X_test, data.y_test, data.n_classes,
                   f"{data.name} ({n_train} training points)", data.class_names)


def _order(n: int, seed: int) -> np.ndarray:
    """The random order of ``n`` training points that ``subsample`` (first ``n_train``) and ``resample``'s
    validation points (the next ``n_val``) are drawn from."""
    return np.random.default_rng(check_int("seed", seed, 0, 2**32 - 1)).permutation(n)


@dataclass(frozen=True)
class Resampled:
    """Networks of each architecture in ``hiddens`` trained on ``n_fits`` training sets drawn from one pool.

    hiddens: H hidden-layer lists. models: H lists of F trained models. test_proba: each fit's probability of
    class 1 (binary) at the pool's test points, shape (H, F, n_test). train_acc, test_acc, test_loss: shape (H, F),
    measured with the final (after early stopping: the restored) weights. epochs: epochs each fit ran, shape (H, F).
    n_params: shape (H,). The spread over the F fits of one architecture is its variance across training sets.
    """

    hiddens: tuple
    models: list
    test_proba: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    test_loss: np.ndarray
    epochs: np.ndarray
    n_params: np.ndarray


def resample(data: Dataset, hiddens, *, n_train: int, n_fits: int = 5, n_val: int = 0, epochs: int = 300,
             lr: float = 0.03, activation: str = "tanh", seed: int = 0, patience: int | None = None,
             **options) -> Resampled:
    """Train every network in ``hiddens`` on ``n_fits`` different training sets of ``n_train`` points, each drawn
    (without replacement) from ``data``'s training points with ``subsample``; all are measured on ``data``'s test
    points. Fit f uses subsample seed ``seed + f`` and model seed ``seed + f``. Binary data only (the returned
    probabilities are those of class 1). n_val: validation points per fit, drawn from the same pool's other training
    points (never its test points); with ``patience`` each fit stops early on them (``hlkit.train.train``'s early
    stopping), trained on its ``n_train`` points only. Other options go to ``hlkit.train.train``. Returns a
    ``Resampled``.
    """
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be an hlkit Dataset (e.g. from hlkit.make_dataset); got {type(data).__name__}")
    if data.n_classes != 2:
        raise ValueError(f"data must have 2 classes (resample returns the probability of class 1); got {data.n_classes}")
    if isinstance(hiddens, (str, bytes)) or not isinstance(hiddens, Sequence) or not hiddens:
        raise TypeError(f"hiddens must be a non-empty list of hidden-layer lists such as [[2], [8, 8]]; got {hiddens!r}")
    n_fits = check_int("n_fits", n_fits, 2, 100)
    seed = check_int("seed", seed, 0, 2**31)
    if len(hiddens) * n_fits > MAX_RUNS:
        raise ValueError(f"hiddens x n_fits may be at most {MAX_RUNS} runs; got {len(hiddens)} x {n_fits}")
    n_pool = len(data.y_train)
    n_train = check_int("n_train", n_train, 2, n_pool)
    n_val = check_int("n_val", n_val, 0, n_pool - n_train)
    epochs = check_int("epochs", epochs, 1, 100_000)
    if patience is not None and n_val == 0:
        raise ValueError("patience needs validation points: early stopping watches the held-out split, which "
                         "without n_val would be data's test points; give n_val (e.g. n_val=50), got n_val=0")
    sets = []
    for f in range(n_fits):
        part = subsample(data, n_train, seed=seed + f)
        if n_val:   # the next n_val points of the same random order: disjoint from the training points
            val = _order(n_pool, seed + f)[n_train:n_train + n_val]
            part = Dataset(part.X_train, part.y_train, data.X_train[val], data.y_train[val], data.n_classes,
                           f"{data.name} ({n_train} training / {n_val} validation points)", data.class_names)
        sets.append(part)
    H = len(hiddens)
    proba = np.zeros((H, n_fits, len(data.y_test)))
    scores = {k: np.zeros((H, n_fits)) for k in ("train_acc", "test_acc", "test_loss")}
    ran = np.zeros((H, n_fits), dtype=np.int64)
    models, sizes = [], np.zeros(H, dtype=np.int64)
    for h, hidden in enumerate(hiddens):
        models.append([])
        for f, part in enumerate(sets):
            model = mlp(list(hidden), activation=activation, seed=seed + f)
            history = train(model, part, epochs=epochs, lr=lr, seed=seed + f, report_every=epochs, patience=patience,
                            **options)
            if history.status == "diverged":
                raise RuntimeError(f"hidden={list(hidden)}, fit {f}: {history.message}")
            with one_thread_if_small(model):
                proba[h, f] = predict_proba(model, data.X_test)[:, 1]
                scores["train_acc"][h, f] = evaluate(model, part.X_train, part.y_train)[1]
                scores["test_loss"][h, f], scores["test_acc"][h, f] = evaluate(model, data.X_test, data.y_test)
            ran[h, f] = history.epoch[-1]
            models[h].append(model)
        sizes[h] = n_params(model)
    return Resampled(tuple(tuple(h) for h in hiddens), models, proba, **scores, epochs=ran, n_params=sizes)


@dataclass(frozen=True)
class CurveFit:
    """A network fitted to a 1-D function. x, target, prediction: shape (n,). max_error: the largest
    |prediction - target| over x; rms_error: the root mean square error. n_params: weights and biases."""

    x: np.ndarray
    target: np.ndarray
    prediction: np.ndarray
    max_error: float
    rms_error: float
    n_params: int


def fit_curve(x, y, *, hidden=(4,), activation: str = "tanh", epochs: int = 2000, lr: float = 0.02,
              seed: int = 0) -> CurveFit:
    """Fit y = f(x) with an MLP of one input and one output by least squares (Adam, full batch).

    x, y: shape (n,), 2 to 10,000 points. hidden: hidden-layer widths as for ``hlkit.models.mlp``. This is
    regression, not classification: a separate small loop, because ``hlkit.train`` minimizes cross-entropy.
    The question here is approximation (how close can a network of this size get to f?), not
    generalization, so all points are fitted and the error is measured on the same points.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or y.shape != x.shape:
        raise ValueError(f"x and y must both have shape (n,); got {x.shape} and {y.shape}")
    if not 2 <= len(x) <= 10_000:
        raise ValueError(f"x must hold 2 to 10,000 points; got {len(x)}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must hold finite numbers")
    epochs = check_int("epochs", epochs, 1, 100_000)
    lr = check_float("lr", lr, 0.0, 10.0, low_open=True)
    model = mlp(list(hidden), activation=activation, n_inputs=1, n_classes=2, seed=seed)  # 2 classes = 1 output
    X, Y = torch.from_numpy(x[:, None]), torch.from_numpy(y[:, None])
    opt = torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    with one_thread_if_small(model):
        for _ in range(epochs):
            loss = torch.mean((model(X) - Y) ** 2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    with torch.no_grad():
        prediction = model(X)[:, 0].numpy().copy()
    error = prediction - y
    return CurveFit(x, y, prediction, float(np.max(np.abs(error))), float(np.sqrt(np.mean(error ** 2))),
                    n_params(model))
