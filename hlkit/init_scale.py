"""Initialisation scale: start an MLP's weights larger or smaller than hlkit's default, and measure how large each
hidden layer's outputs and gradients come out (lesson 03 §6, vanishing and exploding gradients; lesson 04 §6, what
residual connections and layer normalisation do about them).

``hlkit.models.mlp`` starts weights Xavier-uniform with the activation's gain; ``scale_weights`` multiplies them
after it built the network. The sizes are measured by torch's autograd through the model's own forward pass (so any
activation, skip connections and layer normalisation included), with one CPU thread (``train.one_thread_if_small``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .arguments import check_float, check_int
from .models import MLP, dtype_of, mlp
from .train import loss_fn, one_thread_if_small

MAX_FACTOR = 10.0


def _mlp(model, needed_by: str) -> MLP:
    if not isinstance(model, MLP):
        raise TypeError(f"{needed_by} needs an MLP built by hlkit.models.mlp; got {type(model).__name__}")
    return model


def scale_weights(model, factor: float):
    """Multiply the starting weights of every Linear layer of an MLP built by ``hlkit.models.mlp`` (each hidden
    layer and the output layer; skip connections and layer normalisation have no weights) by ``factor``, in place;
    biases are left alone (``mlp`` starts them at 0).
    factor: a number greater than 0 and at most 10 (1 = hlkit's default scale). Returns the model."""
    factor = check_float("factor", factor, 0.0, MAX_FACTOR, low_open=True)
    layers = [*_mlp(model, "scale_weights").hidden, model.out]
    with torch.no_grad():
        for layer in layers:
            layer.weight.mul_(factor)
    return model


@dataclass
class LayerSizes:
    """How large each hidden layer's numbers are, first hidden layer first; shape (L,) for one network, or
    (runs, L) for several (``across_seeds``).

    activation_std: the standard deviation of the layer's outputs a (over all points and neurons).
    gradient_norm: the norm of dLoss/da, the gradient that backpropagation brings back to the layer's outputs.
    weight_gradient_norm: the norm of dLoss/dW of the layer's weights (what a training step moves them by).
    """

    activation_std: np.ndarray
    gradient_norm: np.ndarray
    weight_gradient_norm: np.ndarray


def layer_sizes(model, X, y) -> LayerSizes:
    """One forward and backward pass (autograd) of the mean cross-entropy of ``model`` (an MLP of hlkit, with or
    without skip connections and layer normalisation) on points X (n, d) with labels y (n,), and the size of each
    hidden layer's numbers. A hidden layer's output is taken where ``MLP.layer_outputs`` gives it: after the
    activation, and after adding the layer's input where it has a skip connection."""
    if len(_mlp(model, "layer_sizes").hidden) == 0:
        raise ValueError("layer_sizes needs a model with at least one hidden layer; got one without hidden layers")
    X = torch.as_tensor(np.asarray(X), dtype=dtype_of(model))
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    weights = [layer.weight for layer in model.hidden]
    with one_thread_if_small(model):
        outputs = model.layer_outputs(X)                     # [features, hidden 1, ..., hidden L, logits]
        hidden = outputs[1:-1]
        grads = torch.autograd.grad(loss_fn(outputs[-1], y), [*hidden, *weights])
    return LayerSizes(activation_std=np.array([h.detach().std(correction=0).item() for h in hidden]),
                      gradient_norm=np.array([g.norm().item() for g in grads[:len(hidden)]]),
                      weight_gradient_norm=np.array([g.norm().item() for g in grads[len(hidden):]]))


def across_seeds(hidden: Sequence[int], activation: str, factor: float, X, y, *, seeds=range(5), residual: bool = False,
                 norm: str | None = None) -> LayerSizes:
    """``layer_sizes`` of untrained networks ``mlp(hidden, activation=activation, residual=residual, norm=norm,
    seed=s)`` whose weights start ``factor`` times hlkit's default, one row per seed in ``seeds``: arrays of shape
    (len(seeds), len(hidden))."""
    factor = check_float("factor", factor, 0.0, MAX_FACTOR, low_open=True)
    seeds = [check_int("seeds", s, 0, 2**63 - 1) for s in seeds]
    if not seeds:
        raise ValueError("seeds must list at least one seed; got none")
    runs = [layer_sizes(scale_weights(mlp(hidden, activation=activation, residual=residual, norm=norm, seed=s), factor),
                        X, y) for s in seeds]
    return LayerSizes(*(np.stack([getattr(r, k) for r in runs]) for k in
                        ("activation_std", "gradient_norm", "weight_gradient_norm")))
