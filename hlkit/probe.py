"""Questions to a trained model, answered as numpy arrays: predictions over the plane, every neuron's
output, the data as a hidden layer sees it, weights for drawing, CNN feature maps.

Nothing here trains or draws: ``hlkit.viz`` turns these arrays into figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .arguments import check_float, check_int
from .data import DOMAIN
from .models import dtype_of, evaluating, input_shape, linear_layers
from .train import one_thread_if_small


@dataclass(frozen=True)
class Grid:
    """Model outputs over a square grid of the input plane.

    xs, ys: grid coordinates, shape (resolution,). proba: class probabilities, shape
    (resolution, resolution, n_classes), indexed [row = y, column = x].
    """

    xs: np.ndarray
    ys: np.ndarray
    proba: np.ndarray

    @property
    def n_classes(self) -> int:
        return self.proba.shape[-1]

    @property
    def predicted(self) -> np.ndarray:
        """Predicted class per grid cell, shape (resolution, resolution)."""
        return self.proba.argmax(axis=-1)


def plane(resolution: int = 100, extent: float = DOMAIN) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid coordinates xs, ys of shape (resolution,) over [-extent, extent], and all grid points of shape
    (resolution**2, 2), row-major with y varying slowest."""
    resolution = check_int("resolution", resolution, 2, 1000)
    extent = check_float("extent", extent, 0.0, 1000.0, low_open=True)
    xs = np.linspace(-extent, extent, resolution)
    gx, gy = np.meshgrid(xs, xs)
    return xs, xs.copy(), np.stack([gx.ravel(), gy.ravel()], axis=1)


@torch.no_grad()
def layer_outputs(model: nn.Module, X) -> list[np.ndarray]:
    """Every layer's output for inputs X: [input features, hidden 1, ..., hidden L, logits], as numpy.

    X: shape (n, n_inputs) for an MLP (or (n, 1, H, W) for a CNN). Hidden outputs are after the activation.
    """
    if not hasattr(model, "layer_outputs"):
        raise TypeError(f"model must be built by hlkit.models.mlp or hlkit.models.cnn; got {type(model).__name__}")
    X = _inputs(model, X)
    with evaluating(model), one_thread_if_small(model):
        outs = model.layer_outputs(torch.as_tensor(X, dtype=dtype_of(model)))
    return [o.numpy().copy() for o in outs]


def _inputs(model, X) -> np.ndarray:
    """X as a finite float array of the shape ``model`` takes, or an error saying what is wrong."""
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"X must be an array of numbers; got {type(X).__name__}") from None
    shape = input_shape(model)
    if shape is not None and X.shape[1:] != shape:
        raise ValueError(f"X must have shape (n, {', '.join(map(str, shape))}) for this model; got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"X must hold finite numbers; got {int(np.sum(~np.isfinite(X)))} NaN or infinite values")
    return X


def _plane_model(model, what: str) -> None:
    if input_shape(model) != (2,):
        raise TypeError(f"{what} needs a model of 2-D points (hlkit.models.mlp with n_inputs=2); "
                        f"got a {type(model).__name__} taking inputs of shape {input_shape(model)}")


def logits_to_proba(logits: np.ndarray) -> np.ndarray:
    """Class probabilities of shape (n, n_classes) from logits of shape (n, 1) (binary) or (n, k)."""
    if logits.shape[1] == 1:
        p1 = 1.0 / (1.0 + np.exp(-logits[:, 0]))
        return np.stack([1.0 - p1, p1], axis=1)
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def predict_proba(model: nn.Module, X) -> np.ndarray:
    """Class probabilities for points X of shape (n, n_inputs): shape (n, n_classes)."""
    return logits_to_proba(layer_outputs(model, X)[-1])


def grid(model: nn.Module, *, resolution: int = 100, extent: float = DOMAIN) -> Grid:
    """The model's class probabilities over a resolution x resolution grid of the plane (2-D models only)."""
    _plane_model(model, "grid")
    xs, ys, points = plane(resolution, extent)
    proba = predict_proba(model, points)
    return Grid(xs, ys, proba.reshape(len(ys), len(xs), -1))


@dataclass(frozen=True)
class NeuronMaps:
    """Each hidden neuron's output over the plane. maps[l] has shape (width_l, resolution, resolution)
    for hidden layer l+1 (after the activation); inputs[i] is input feature i over the plane."""

    xs: np.ndarray
    ys: np.ndarray
    inputs: np.ndarray
    maps: list
    output: np.ndarray   # P(class 1) (binary) or the top class probability, shape (resolution, resolution)


def neuron_maps(model: nn.Module, *, resolution: int = 30, extent: float = DOMAIN) -> NeuronMaps:
    """Every neuron's output over the input plane: the Playground's node thumbnails, as arrays."""
    _plane_model(model, "neuron_maps")
    xs, ys, points = plane(resolution, extent)
    outs = layer_outputs(model, points)
    shape = (len(ys), len(xs))

    def as_maps(a):
        return a.T.reshape(a.shape[1], *shape)

    proba = logits_to_proba(outs[-1])
    output = proba[:, 1] if proba.shape[1] == 2 else proba.max(axis=1)
    return NeuronMaps(xs, ys, as_maps(outs[0]), [as_maps(a) for a in outs[1:-1]], output.reshape(shape))


def hidden_space(model: nn.Module, X, layer: int) -> np.ndarray:
    """The points X as hidden layer ``layer`` sees them (1 = first hidden layer; 0 = the input features):
    shape (n, width of that layer)."""
    outs = layer_outputs(model, X)
    layer = check_int("layer", layer, 0, len(outs) - 2)
    return outs[layer]


def weights(model: nn.Module) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) of every Linear layer of an MLP in order, W of shape (n_out, n_in), b of shape (n_out,)."""
    layers = linear_layers(model, needed_by="weights()")
    return [(layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy()) for layer in layers]


def layer_names(model: nn.Module) -> list[str]:
    """Names of the MLP's input features (or 'x1'.. 'xn' for raw inputs)."""
    feats = getattr(model, "features", None)
    if feats is not None:
        return list(feats.names)
    n = model.hidden[0].in_features if len(model.hidden) else model.out.in_features
    return [f"x{i + 1}" for i in range(n)]


def feature_maps(model: nn.Module, image) -> list[np.ndarray]:
    """A CNN's feature maps for one image of shape (1, H, W) or (H, W): one array per conv block of
    shape (channels, h, w), after ReLU and pooling."""
    if not hasattr(model, "conv"):
        raise TypeError(f"feature_maps needs a CNN built by hlkit.models.cnn; got {type(model).__name__}")
    try:
        image = np.asarray(image, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"image must be an array of numbers; got {type(image).__name__}") from None
    if image.ndim == 2:
        image = image[None]
    if image.ndim != 3 or image.shape[0] != 1:
        raise ValueError(f"image must have shape (H, W) or (1, H, W); got shape {image.shape}")
    shape = input_shape(model)
    if shape is not None and image.shape != shape:
        raise ValueError(f"image must have shape {shape[1:]} or {shape} for this CNN; got shape {image.shape}")
    if not np.all(np.isfinite(image)):
        raise ValueError(f"image must hold finite numbers; got {int(np.sum(~np.isfinite(image)))} NaN or infinite values")
    outs = layer_outputs(model, image[None])
    return [o[0] for o in outs[1:-1]]
