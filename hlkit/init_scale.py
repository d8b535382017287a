"""Initialisation scale: start an MLP's weights larger or smaller than hlkit's default, and measure how large each
hidden layer's outputs and gradients come out (lesson 03 §6, vanishing and exploding gradients).

``hlkit.models.mlp`` starts weights Xavier-uniform with the activation's gain; ``scale_weights`` multiplies them
after it built the network. The sizes are measured by ``hlkit.scratch`` (numpy backpropagation) on the network's
own inputs, with one CPU thread (``train.one_thread_if_small``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from . import scratch
from .arguments import check_float, check_int
from .models import linear_layers, mlp
from .train import one_thread_if_small

MAX_FACTOR = 10.0


def scale_weights(model, factor: float):
    """Multiply the starting weights of every Linear layer of an MLP built by ``hlkit.models.mlp`` (each hidden
    layer and the output layer) by ``factor``, in place; biases are left alone (``mlp`` starts them at 0).
    factor: a number greater than 0 and at most 10 (1 = hlkit's default scale). Returns the model."""
    factor = check_float("factor", factor, 0.0, MAX_FACTOR, low_open=True)
    layers = linear_layers(model, needed_by="scale_weights")
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
    """One forward and backward pass of the mean cross-entropy of ``model`` (a two-class MLP of hlkit, with an
    activation ``hlkit.scratch`` knows) on points X with labels y, and the size of each hidden layer's numbers."""
    linear_layers(model, needed_by="layer_sizes")
    params = scratch.params_from_torch(model)
    activation = model.spec["activation"]
    if len(params) < 2:
        raise ValueError("layer_sizes needs a model with at least one hidden layer; got one without hidden layers")
    with one_thread_if_small(model):
        cache = scratch.forward(params, scratch.inputs_from_torch(model, X), activation)
        grads = scratch.backward(params, cache, y)
    hidden = range(len(params) - 1)
    return LayerSizes(activation_std=np.array([np.std(cache.a[i + 1]) for i in hidden]),
                      gradient_norm=np.array([np.linalg.norm(grads.da[i]) for i in hidden]),
                      weight_gradient_norm=np.array([np.linalg.norm(grads.W[i]) for i in hidden]))


def across_seeds(hidden: Sequence[int], activation: str, factor: float, X, y, *, seeds=range(5)) -> LayerSizes:
    """``layer_sizes`` of untrained networks ``mlp(hidden, activation=activation, seed=s)`` whose weights start
    ``factor`` times hlkit's default, one row per seed in ``seeds``: arrays of shape (len(seeds), len(hidden))."""
    factor = check_float("factor", factor, 0.0, MAX_FACTOR, low_open=True)
    seeds = [check_int("seeds", s, 0, 2**63 - 1) for s in seeds]
    if not seeds:
        raise ValueError("seeds must list at least one seed; got none")
    runs = [layer_sizes(scale_weights(mlp(hidden, activation=activation, seed=s), factor), X, y) for s in seeds]
    return LayerSizes(*(np.stack([getattr(r, k) for r in runs]) for k in
                        ("activation_std", "gradient_norm", "weight_gradient_norm")))
