"""Hidden layers over sequences (lesson 08 §6): two made-up tasks whose answer is known, a recurrent network and a
one-head attention network for them, and how much of the answer's gradient reaches the first step.

- ``memory_task``: a sign (+1 or -1) at the first step, then ``delay`` steps of noise; the class is the sign. A
  network must carry it in its hidden state through every later step.
- ``flagged_task``: ``length`` numbers, one of them flagged; the class is whether the flagged number is positive.
  The flag says which step matters, so an attention network's weights can be checked against it.

Models are built seeded (``models.seeded``; float64 unless ``dtype`` says otherwise); training is ``train.train``,
the one loop.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .arguments import check_bool, check_choice, check_float, check_int
from .data import Dataset
from .models import dtype_of, seeded
from .train import one_thread_if_small

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM}


def _sizes(n_train, n_test) -> tuple[int, int]:
    return check_int("n_train", n_train, 1, 100_000), check_int("n_test", n_test, 1, 100_000)


def memory_task(delay: int = 10, *, n_train: int = 256, n_test: int = 512, noise: float = 1.0,
                seed: int = 0) -> Dataset:
    """Sequences of ``delay + 1`` steps of one number, shape (n, delay + 1, 1): a sign (+1 or -1) at the first
    step, then ``delay`` steps of Gaussian noise (standard deviation ``noise``). Class 1 when the sign was +1."""
    delay = check_int("delay", delay, 0, 1_000)
    n_train, n_test = _sizes(n_train, n_test)
    noise = check_float("noise", noise, 0.0, 10.0)
    rng = np.random.default_rng(check_int("seed", seed, 0, 2**63 - 1))
    n = n_train + n_test
    y = rng.integers(0, 2, n)
    X = rng.normal(0.0, noise, (n, delay + 1, 1))
    X[:, 0, 0] = 2.0 * y - 1.0
    return Dataset(X[:n_train], y[:n_train], X[n_train:], y[n_train:], 2, name=f"memory (delay {delay})",
                   class_names=("first sign -", "first sign +"))


def flagged_task(length: int = 8, *, n_train: int = 512, n_test: int = 512, seed: int = 0) -> Dataset:
    """Sequences of ``length`` steps of two numbers, shape (n, length, 2): a Gaussian value and a flag (1 at one
    random step, 0 elsewhere). Class 1 when the flagged step's value is positive. ``flagged_steps(X)`` finds the
    flagged step of each sequence."""
    length = check_int("length", length, 1, 1_000)
    n_train, n_test = _sizes(n_train, n_test)
    rng = np.random.default_rng(check_int("seed", seed, 0, 2**63 - 1))
    n = n_train + n_test
    values = rng.normal(0.0, 1.0, (n, length))
    steps = rng.integers(0, length, n)
    flags = np.zeros((n, length))
    flags[np.arange(n), steps] = 1.0
    X = np.stack([values, flags], axis=-1)
    y = (values[np.arange(n), steps] > 0).astype(np.int64)
    return Dataset(X[:n_train], y[:n_train], X[n_train:], y[n_train:], 2, name=f"flagged (length {length})",
                   class_names=("flagged value < 0", "flagged value > 0"))


def flagged_steps(X) -> np.ndarray:
    """The flagged step of each sequence of ``flagged_task`` (its flag channel's largest entry)."""
    X = np.asarray(X)
    if X.ndim != 3 or X.shape[2] != 2:
        raise ValueError(f"X must have shape (n, length, 2) as flagged_task makes it; got shape {X.shape}")
    return X[:, :, 1].argmax(axis=1)


class Recurrent(nn.Module):
    """A recurrent hidden layer (plain tanh RNN or LSTM) read out by a Linear layer after the last step."""

    def __init__(self, cell: str, n_inputs: int, hidden: int, n_classes: int):
        super().__init__()
        self.cell = CELLS[cell](n_inputs, hidden, batch_first=True)
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, x):
        states, _ = self.cell(x)   # the hidden state after every step: (batch, steps, hidden)
        return self.out(states[:, -1])


class Attention(nn.Module):
    """One attention head with a learned query: each step gets a key and a value (Linear maps of its input), the
    weights are the softmax of key · query / sqrt(width) over the steps, and their weighted sum of values goes
    through one tanh hidden layer to the output. ``uniform=True`` replaces the weights with 1/steps (an average
    over the steps: the same network without the choice of where to look)."""

    def __init__(self, n_inputs: int, width: int, n_classes: int, uniform: bool):
        super().__init__()
        self.key = nn.Linear(n_inputs, width)
        self.value = nn.Linear(n_inputs, width)
        self.query = nn.Parameter(torch.randn(width) / width ** 0.5)
        self.hidden = nn.Linear(width, width)
        self.out = nn.Linear(width, n_classes)
        self.uniform = uniform

    def weights(self, x):
        """The attention weights, shape (batch, steps); each row sums to 1."""
        if self.uniform:
            return torch.full(x.shape[:2], 1.0 / x.shape[1], dtype=x.dtype)
        return torch.softmax(self.key(x) @ self.query / self.query.numel() ** 0.5, dim=1)

    def forward(self, x):
        summary = (self.weights(x).unsqueeze(-1) * self.value(x)).sum(dim=1)
        return self.out(torch.tanh(self.hidden(summary)))


def recurrent(hidden: int = 8, *, cell: str = "rnn", n_inputs: int = 1, n_classes: int = 2, seed: int = 0,
              dtype=torch.float64) -> Recurrent:
    """A seeded recurrent network for sequences of shape (n, steps, n_inputs): ``cell`` "rnn" (tanh) or "lstm",
    ``hidden`` neurons (1-256), torch's default starting weights."""
    cell = str(check_choice("cell", cell, CELLS))
    hidden = check_int("hidden", hidden, 1, 256)
    n_inputs, n_classes = check_int("n_inputs", n_inputs, 1, 1_000), check_int("n_classes", n_classes, 2, 100)
    spec = dict(kind="recurrent", cell=cell, hidden=hidden, n_inputs=n_inputs, n_classes=n_classes)
    return seeded(lambda: Recurrent(cell, n_inputs, hidden, n_classes), lambda m: None, seed, dtype, spec)


def attention(width: int = 8, *, uniform: bool = False, n_inputs: int = 2, n_classes: int = 2, seed: int = 0,
              dtype=torch.float64) -> Attention:
    """A seeded one-head attention network (``Attention``) for sequences of shape (n, steps, n_inputs)."""
    width = check_int("width", width, 1, 256)
    uniform = check_bool("uniform", uniform)
    n_inputs, n_classes = check_int("n_inputs", n_inputs, 1, 1_000), check_int("n_classes", n_classes, 2, 100)
    spec = dict(kind="attention", width=width, uniform=uniform, n_inputs=n_inputs, n_classes=n_classes)
    return seeded(lambda: Attention(n_inputs, width, n_classes, uniform), lambda m: None, seed, dtype, spec)


def _sequences(model, X, *, needed_by: str, min_steps: int = 1) -> torch.Tensor:
    """``X`` as a tensor of shape (n, steps, inputs) that ``model`` (built here) takes, or an error naming X or model."""
    if not isinstance(model, (Recurrent, Attention)):
        raise TypeError(f"model must be a network built by hl.sequences.recurrent or attention for {needed_by}; got "
                        f"{type(model).__name__}")
    X = np.asarray(X)
    n_inputs = model.spec["n_inputs"]
    if X.ndim != 3 or X.shape[1] < min_steps or X.shape[2] != n_inputs or X.dtype.kind not in "biuf":
        raise ValueError(f"X must be numbers of shape (n, steps, {n_inputs}) with at least {min_steps} steps for this "
                         f"model; got dtype {X.dtype} and shape {X.shape}")
    return torch.as_tensor(X, dtype=dtype_of(model))


def attention_weights(model: Attention, X) -> np.ndarray:
    """``model``'s attention weights for the sequences ``X`` as a numpy array (n, steps)."""
    if not isinstance(model, Attention):
        raise TypeError(f"model must be a network built by hl.sequences.attention; got {type(model).__name__}")
    x = _sequences(model, X, needed_by="attention_weights")
    with torch.no_grad(), one_thread_if_small(model):
        return model.weights(x).numpy()


def first_step_gradient(model: nn.Module, X) -> float:
    """How much of the gradient of the score (logit 1 - logit 0) reaches the first step, relative to the last:
    the mean size of d score / d x over the sequences ``X`` at the first step divided by that at the last step.
    Much below 1: the first step barely moves the answer (its signal fades on the way through the steps).
    The model's own gradients (``.grad``) are left as they were."""
    x = _sequences(model, X, needed_by="first_step_gradient", min_steps=2).requires_grad_(True)
    with one_thread_if_small(model):
        logits = model(x)
        (grad,) = torch.autograd.grad((logits[:, 1] - logits[:, 0]).sum(), x)
        size = grad.abs().sum(dim=2).mean(dim=0)
    return float(size[0] / size[-1])
