"""Making a trained network cheaper: pruning, quantization, distillation, and what the weights cost to store.

``prune`` and ``quantize`` return changed copies (the original model is untouched), so a lesson can sweep
a setting and compare. ``prune_array`` and ``quantize_array`` do the same to one numpy array (what lesson 08's
exercises 3 and 4 have the learner write), and ``map_weights`` applies any such array function to a model's weights.
``distill`` trains a small student on a teacher's soft targets with the one training loop, ``hlkit.train``.
Only weights (Linear matrices and conv filters) are pruned or quantized; biases are few and stay as they are.
"""

from __future__ import annotations

import copy
import math
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from . import probe
from . import train as _train
from .arguments import check_choice, check_float, check_int
from .data import Dataset
from .models import MLP, dtype_of, evaluating, mlp

SCOPES = ("global", "layer")


def _weights(model: nn.Module) -> list[torch.Tensor]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module built by hlkit; got {type(model).__name__}")
    found = [p for name, p in model.named_parameters() if name.endswith("weight")]
    if not found:
        raise ValueError("model has no weight matrices or filters to compress")
    return found


def n_weights(model: nn.Module) -> int:
    """Number of weights (matrix entries and filter taps; biases not counted)."""
    return sum(w.numel() for w in _weights(model))


def sparsity(model: nn.Module) -> float:
    """Fraction of the weights (biases not counted) that are exactly zero, 0 to 1."""
    weights = _weights(model)
    return sum(int((w == 0).sum()) for w in weights) / sum(w.numel() for w in weights)


class Pruned(NamedTuple):
    model: nn.Module   # the pruned copy
    removed: float     # fraction of all weights that are now zero


def prune_array(values, fraction: float) -> np.ndarray:
    """Magnitude pruning of one array: a float64 copy of ``values`` (same shape) in which the
    ``round(fraction * size)`` entries with the smallest |v| are 0; the input is not changed.

    Ranked, not thresholded: exactly that many entries go even when several share the cut-off magnitude (the earlier
    ones in flat order first); entries that were already 0 count among them.
    """
    fraction = check_float("fraction", fraction, 0.0, 1.0)
    values = np.array(values, dtype=np.float64)   # a copy
    k = round(fraction * values.size)
    if k > 0:
        values.reshape(-1)[np.argsort(np.abs(values).reshape(-1), kind="stable")[:k]] = 0.0
    return values


def map_weights(model: nn.Module, function, *, scope: str = "layer") -> nn.Module:
    """A copy of ``model`` whose weights (matrices and filters, not biases) are replaced by ``function``'s result.

    function: takes a float64 numpy array and returns one of the same shape (e.g. ``lambda w: prune_array(w, 0.5)``).
    scope: "layer" calls it on each weight tensor; "global" once on all weights of the network joined into one flat
    array (so a pruning function ranks them all together).
    """
    scope = check_choice("scope", scope, SCOPES)
    if not callable(function):
        raise TypeError(f"function must be callable (array in, array of the same shape out); got {type(function).__name__}")
    changed = copy.deepcopy(model)
    weights = _weights(changed)
    arrays = [w.detach().cpu().numpy().astype(np.float64) for w in weights]
    if scope == "global":
        joined = np.concatenate([a.reshape(-1) for a in arrays])
        flat = _same_shape(function(joined.copy()), joined.shape)
        arrays = np.split(flat, np.cumsum([a.size for a in arrays])[:-1])
    else:
        arrays = [_same_shape(function(a.copy()), a.shape) for a in arrays]
    with torch.no_grad():
        for w, a in zip(weights, arrays, strict=True):
            w.copy_(torch.as_tensor(a.reshape(w.shape), dtype=w.dtype))
    return changed


def _same_shape(result, shape) -> np.ndarray:
    result = np.asarray(result, dtype=np.float64)
    if result.shape != shape:
        raise ValueError(f"function must return an array of the shape it was given, {shape}; got shape {result.shape}")
    return result


def prune(model: nn.Module, fraction: float, *, scope: str = "global") -> Pruned:
    """Magnitude pruning: a copy of ``model`` whose smallest weights (by |w|) are set to zero.

    fraction: share of the weights to remove, 0 to 1. scope: "global" ranks all weights of the network
    together (layers with small weights lose more); "layer" removes the same fraction from every layer.
    Returns ``Pruned(model, removed)``: the copy and the fraction of weights that are zero in it (at least
    ``fraction`` up to rounding; weights that were already zero count too). Ranked as ``prune_array`` does.
    """
    fraction = check_float("fraction", fraction, 0.0, 1.0)
    pruned = map_weights(model, lambda w: prune_array(w, fraction), scope=scope)
    return Pruned(pruned, sparsity(pruned))


def quantize_array(values: np.ndarray, bits: int) -> np.ndarray:
    """Round ``values`` to 2**bits evenly spaced levels from -max|v| to +max|v| (1 bit: -m or +m); a float64 copy of
    the same shape (the input is not changed); an array of zeros stays zeros."""
    bits = check_int("bits", bits, 1, 16)
    values = np.array(values, dtype=np.float64)
    m = float(np.abs(values).max()) if values.size else 0.0
    if m == 0.0:
        return values
    step = 2 * m / (2 ** bits - 1)
    return -m + np.round((values + m) / step) * step


def quantize(model: nn.Module, bits: int) -> nn.Module:
    """A copy of ``model`` whose weights each take one of 2**bits evenly spaced values per layer.

    bits: 1 to 16. Each weight matrix or filter bank gets its own range [-max|w|, +max|w|]; storing it then
    takes ``bits`` bits per weight plus one number for the range. Biases keep full precision.
    """
    bits = check_int("bits", bits, 1, 16)
    return map_weights(model, lambda w: quantize_array(w, bits), scope="layer")


FLOAT_BITS = (32, 64)


def storage_bytes(model: nn.Module, bits: int = 64) -> int:
    """Bytes to store the model's parameters.

    bits 32 or 64: unquantized floats (float32, float64): every parameter, weights and biases, at that width.
    bits 1 to 16: quantized (see ``quantize``): every weight at ``bits`` bits (rounded up to whole bytes over the
    model), plus the biases and one range per weight tensor as float32 (4 bytes each).
    """
    bits = check_int("bits", bits, 1, 64)
    if 16 < bits and bits not in FLOAT_BITS:
        raise ValueError(f"bits must be 1 to 16 (quantized weights) or 32 or 64 (floats); got {bits}")
    weights = _weights(model)
    n_w = sum(w.numel() for w in weights)
    n_other = sum(p.numel() for p in model.parameters()) - n_w
    if bits in FLOAT_BITS:
        return bits // 8 * (n_w + n_other)
    return math.ceil(n_w * bits / 8) + 4 * (n_other + len(weights))


class _Tempered(nn.Module):
    """A student seen through temperature T, for distillation: its logits divided by T on the way forward, and
    the gradient reaching its logits multiplied by T² on the way back, so training minimises
    T² · cross-entropy(teacher's softmax(z_t / T), softmax(z_s / T)) (Hinton et al. 2015: the T² keeps the size of
    the gradients roughly the same for every T)."""

    def __init__(self, student: nn.Module, temperature: float):
        super().__init__()
        self.student, self.temperature = student, temperature

    def forward(self, x):
        logits = self.student(x)
        if logits.requires_grad:
            logits.register_hook(lambda grad: grad * self.temperature ** 2)
        return logits / self.temperature


def soft_targets(teacher: nn.Module, X, *, temperature: float = 1.0) -> np.ndarray:
    """The teacher's class probabilities at temperature T, softmax(logits / T), shape (n, n_classes) (a binary
    model's single logit z gives the two columns 1 - sigmoid(z / T), sigmoid(z / T)). X: inputs the teacher takes."""
    temperature = check_float("temperature", temperature, 0.0, 100.0, low_open=True)
    with torch.no_grad(), evaluating(teacher):
        logits = teacher(torch.as_tensor(np.asarray(X), dtype=dtype_of(teacher))).double()
    if logits.shape[1] == 1:   # binary: one logit -> two class scores
        logits = torch.cat([torch.zeros_like(logits), logits], dim=1)
    return torch.softmax(logits / temperature, dim=1).numpy()


def distill(student: nn.Module, teacher: nn.Module, data: Dataset, *, temperature: float = 2.0, seed: int = 0,
            **options) -> _train.History:
    """Train ``student`` (in place) to imitate ``teacher`` on ``data``'s training inputs, with hlkit.train.

    The targets are the teacher's soft targets softmax(teacher logits / T) (rows of probabilities, which the one
    training loop takes in place of labels); the student's logits are divided by the same T during training and the
    loss is scaled by T² (Hinton et al.'s soft-target loss, without their extra hard-label term). After training the
    student is used as it is (T = 1). The test split keeps the true labels, so the history's test accuracy is the
    student's real score; the history's losses are measured at temperature T. ``options`` go to
    ``hlkit.train.train`` (epochs, lr, batch_size, ...). Returns the History. Student and teacher must take the same
    inputs, apart from shape: images are flattened for an MLP (student or teacher).
    """
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be an hlkit Dataset; got {type(data).__name__}")
    temperature = check_float("temperature", temperature, 0.0, 100.0, low_open=True)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    targets = soft_targets(teacher, data.X_train.reshape(len(data.X_train), *_input_shape(teacher, data)),
                           temperature=temperature)
    shape = _input_shape(student, data)
    soft = Dataset(data.X_train.reshape(len(data.X_train), *shape), targets,
                   data.X_test.reshape(len(data.X_test), *shape), data.y_test, targets.shape[1],
                   data.name + " (teacher's soft targets)", data.class_names)
    return _train.train(_Tempered(student, temperature), soft, seed=seed, **options)


def _input_shape(model, data) -> tuple:
    """Input shape a model takes: flat vectors for an MLP, the data's own shape otherwise."""
    hidden = getattr(model, "hidden", None)
    if hidden is not None and getattr(model, "features", None) is None:
        first = hidden[0] if len(hidden) else model.out
        return (first.in_features,)
    return tuple(data.X_train.shape[1:])


# ---------------------------------------------------------------------------------------------------
# Adaptive depth: an MLP that may stop after an earlier hidden layer when it is already confident.

def exit_heads(model: nn.Module, data: Dataset, *, seed: int = 0, **options) -> list[nn.Module]:
    """Train one linear classifier (an "exit head") on the output of every hidden layer of ``model`` but the last,
    with hlkit.train; the model itself (the trunk) is left as it is. Returns the heads, head k reading hidden
    layer k + 1. model: an hlkit MLP with at least 2 hidden layers; data: what it was trained on (images are
    flattened). ``options`` go to ``hlkit.train.train`` (epochs, lr, batch_size, ...).
    """
    if not isinstance(model, MLP) or len(model.hidden) < 2:
        raise TypeError("model must be an hlkit MLP with at least 2 hidden layers (hlkit.models.mlp([32, 32, ...], ...))")
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be an hlkit Dataset; got {type(data).__name__}")
    parts = {part: _hidden_outputs(model, getattr(data, f"X_{part}")) for part in ("train", "test")}
    heads = []
    for k in range(len(model.hidden) - 1):
        head = mlp([], n_inputs=model.hidden[k].out_features, n_classes=model.n_classes, seed=seed)
        layer_data = Dataset(parts["train"][k], data.y_train, parts["test"][k], data.y_test, data.n_classes,
                             f"{data.name} (hidden layer {k + 1})", data.class_names)
        _train.train(head, layer_data, seed=seed, **options)
        heads.append(head)
    return heads


def _hidden_outputs(model, X) -> list[np.ndarray]:
    """Each hidden layer's output (after the activation) for inputs X, flattened for the MLP."""
    X = np.asarray(X, dtype=np.float64)
    return probe.layer_outputs(model, X.reshape(len(X), -1))[1:-1]


class EarlyExit(NamedTuple):
    predicted: np.ndarray    # (n,) class chosen for each input
    exit_layer: np.ndarray   # (n,) hidden layer after which it stopped, 1 .. L (L = the model's own output)
    cost: np.ndarray         # (n,) multiply-adds spent on each input (weights used, biases not counted)
    full_cost: int           # multiply-adds of the plain model without exits, per input


def early_exit(model: nn.Module, heads: list, X, *, threshold: float) -> EarlyExit:
    """Run ``model`` with exits: after hidden layer k (k < L) head k is asked; if its top class probability is
    at least ``threshold`` (0 to 1) the input stops there, else it goes on; inputs that never stop get the model's
    own output. Each layer and each head asked counts its weights as multiply-adds. threshold 1 stops only on
    certainty (a probability of exactly 1), so nearly everything runs the whole model, plus the heads.
    """
    threshold = check_float("threshold", threshold, 0.0, 1.0)
    if not isinstance(model, MLP) or len(heads) != len(model.hidden) - 1:
        raise ValueError(f"heads must hold one head per hidden layer but the last ({len(model.hidden) - 1} for this "
                         f"model, from exit_heads); got {len(heads)}")
    hidden = _hidden_outputs(model, X)
    n = len(hidden[0])
    layer_cost = [layer.weight.numel() for layer in model.hidden]
    predicted = np.full(n, -1)
    exit_layer = np.zeros(n, dtype=np.int64)
    cost = np.zeros(n, dtype=np.int64)
    running = np.ones(n, dtype=bool)
    for k, head in enumerate(heads):
        cost[running] += layer_cost[k] + head.out.weight.numel()
        proba = probe.predict_proba(head, hidden[k])
        stop = running & (proba.max(axis=1) >= threshold)
        predicted[stop], exit_layer[stop] = proba[stop].argmax(axis=1), k + 1
        running &= ~stop
    cost[running] += layer_cost[-1] + model.out.weight.numel()
    final = probe.predict_proba(model, np.asarray(X, dtype=np.float64).reshape(n, -1)[running])
    predicted[running], exit_layer[running] = final.argmax(axis=1), len(model.hidden)
    return EarlyExit(predicted, exit_layer, cost, sum(layer_cost) + model.out.weight.numel())
