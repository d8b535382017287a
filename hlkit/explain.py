"""Attributions: which parts of an input pushed a model's output up or down, as numpy arrays.

Each method answers "how much did each input number contribute to the score of one class?" in its own sense:

- ``gradient``: the saliency map, d(score)/d(input): how fast the score changes with each input.
- ``gradient_x_input``: gradient times input, the first-order (Taylor) share of each input, measured from 0.
  Its attributions add up to the score only where the score is linear in the input through the origin
  (a linear model without bias, a ReLU network without biases); otherwise they need not.
- ``integrated_gradients``: the gradient averaged along the straight path from a ``baseline`` input to the
  input, times (input - baseline). Complete: the attributions add up to score(input) - score(baseline), for
  any model (up to the path integral's discretisation). The baseline is part of the answer: choose it.
- ``occlusion``: cover part of the input and see how much the score drops (no gradients: any model).
- ``lrp``: layer-wise relevance propagation with the epsilon rule, for MLPs: the score is passed back
  layer by layer in proportion to each neuron's contribution, so the input relevances add up to the score
  (minus what the biases and epsilon absorb; ``lrp_bias_share`` measures that part).

The score is the logit of the target class; for a binary model (one logit) it is that logit, so positive
attributions push toward class 1 and negative toward class 0. Nothing here trains or draws.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .arguments import check_float, check_int
from .models import dtype_of, evaluating, linear_layers
from .train import one_thread_if_small


def _targets(logits: torch.Tensor, target) -> torch.Tensor:
    """The class whose score is explained, per row: the predicted class when ``target`` is None."""
    n, k = logits.shape
    if k == 1:
        return torch.zeros(n, dtype=torch.long)   # binary: the single logit
    if target is None:
        return logits.argmax(dim=1)
    t = torch.as_tensor(np.broadcast_to(np.asarray(target), (n,)).copy(), dtype=torch.long)
    if t.min() < 0 or t.max() >= k:
        raise ValueError(f"target must be a class index 0..{k - 1} (or one per input); got {np.asarray(target)!r}")
    return t


def _inputs(model, X) -> torch.Tensor:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module built by hlkit; got {type(model).__name__}")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim < 2:
        raise ValueError(f"X must hold a batch of inputs, shape (n, ...); got shape {X.shape} (add a first axis)")
    return torch.as_tensor(X, dtype=dtype_of(model))


def scores(model: nn.Module, X, *, target=None) -> np.ndarray:
    """The explained score per input: the target class's logit (predicted class if None), shape (n,)."""
    x = _inputs(model, X)
    with torch.no_grad(), evaluating(model), one_thread_if_small(model):
        logits = model(x)
        return logits.gather(1, _targets(logits, target)[:, None])[:, 0].numpy().copy()


def _gradient(model, x, target):
    with evaluating(model), one_thread_if_small(model):
        logits = model(x)
        chosen = logits.gather(1, _targets(logits.detach(), target)[:, None]).sum()
        (grad,) = torch.autograd.grad(chosen, x)
    return grad


def gradient(model: nn.Module, X, *, target=None) -> np.ndarray:
    """The saliency map: d(score)/d(input), the same shape as X.

    X: shape (n, n_inputs) for an MLP or (n, 1, H, W) for a CNN. target: the class whose logit is explained,
    one index or one per input (None = each input's predicted class; ignored for binary models).
    """
    return _gradient(model, _inputs(model, X).requires_grad_(True), target).numpy().copy()


def gradient_x_input(model: nn.Module, X, *, target=None) -> np.ndarray:
    """Gradient x input: d(score)/d(input) times the input, the same shape as X (arguments as ``gradient``).

    The attributions add up exactly to the score only when score(x) = gradient(x) . x, i.e. for a linear model
    without bias or a piecewise-linear network through the origin (ReLU, no biases). For other models (tanh,
    biases) their sum can differ from the score in size and in sign: measure it before reading it as a share.
    """
    x = _inputs(model, X).requires_grad_(True)
    with one_thread_if_small(model):   # the product too: a batch of digits is big enough for torch to split it
        return (_gradient(model, x, target) * x).detach().numpy().copy()


def integrated_gradients(model: nn.Module, X, *, baseline=0.0, steps: int = 64, target=None) -> np.ndarray:
    """Integrated gradients: (X - baseline) times the gradient averaged along the straight path from baseline
    to X, the same shape as X.

    baseline: the reference input, a number or an array broadcastable to one input (X.shape[1:]); 0 by default,
    but the right reference depends on the question ("compared with what?"). steps: points on the path, 1 to
    10,000 (midpoint rule). target: as for ``gradient`` (chosen at X, kept along the path). The attributions add
    up to score(X) - score(baseline), up to the discretisation error, which shrinks as ``steps`` grows.
    """
    steps = check_int("steps", steps, 1, 10_000)
    x = _inputs(model, X)
    try:
        base = torch.as_tensor(np.broadcast_to(np.asarray(baseline, dtype=np.float64), x.shape[1:]).copy(),
                               dtype=x.dtype)
    except ValueError:
        raise ValueError(f"baseline must be a number or an array of shape {tuple(x.shape[1:])} (one input); "
                         f"got shape {np.shape(baseline)}") from None
    with one_thread_if_small(model):   # the path's tensors too: steps x n inputs is big enough for torch to split
        with torch.no_grad(), evaluating(model):
            t = _targets(model(x), target)
        alphas = (torch.arange(steps, dtype=x.dtype) + 0.5) / steps                  # midpoints of the path
        path = base + alphas.view(-1, *[1] * x.ndim) * (x - base)                     # (steps, n, ...)
        path = path.reshape(-1, *x.shape[1:]).requires_grad_(True)
        grads = _gradient(model, path, t.repeat(steps)).reshape(steps, *x.shape)
        return ((x - base) * grads.mean(dim=0)).detach().numpy().copy()


def occlusion(model: nn.Module, X, *, patch: int = 2, fill: float = 0.0, target=None) -> np.ndarray:
    """How much the score drops when a patch of the input is covered with ``fill``.

    Images X of shape (n, 1, H, W): every patch x patch square (stride 1) is covered in turn; each pixel
    gets the mean drop over the squares that cover it -> shape (n, H, W). Vectors X of shape (n, d): each
    input is covered alone (``patch`` is ignored) -> shape (n, d). Positive = covering it lowers the score
    (the part supported the class); negative = the part spoke against it.
    """
    fill = check_float("fill", fill)
    x = _inputs(model, X)
    # one forward pass per patch: a tiny model's 64 passes over 359 digits took 2.1 s on two threads of a busy
    # 2-core machine, 0.03 s on one
    with one_thread_if_small(model):
        return _occlusion(model, x, patch, fill, target)


def _occlusion(model, x, patch, fill, target):
    base_logits = _forward(model, x)
    t = _targets(base_logits, target)[:, None]
    base = base_logits.gather(1, t)[:, 0]
    if x.ndim == 2:
        drops = torch.empty_like(x)
        for j in range(x.shape[1]):
            covered = x.clone()
            covered[:, j] = fill
            drops[:, j] = base - _forward(model, covered).gather(1, t)[:, 0]
        return drops.numpy().copy()
    if x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"X must have shape (n, d) or (n, 1, H, W); got shape {tuple(x.shape)}")
    H, W = x.shape[-2:]
    patch = check_int("patch", patch, 1, min(H, W))
    total = torch.zeros(x.shape[0], H, W, dtype=x.dtype)
    count = torch.zeros(H, W, dtype=x.dtype)
    for top in range(H - patch + 1):
        for left in range(W - patch + 1):
            covered = x.clone()
            covered[:, :, top:top + patch, left:left + patch] = fill
            drop = base - _forward(model, covered).gather(1, t)[:, 0]
            total[:, top:top + patch, left:left + patch] += drop[:, None, None]
            count[top:top + patch, left:left + patch] += 1
    return (total / count).numpy().copy()


@torch.no_grad()
def _forward(model, x):
    with evaluating(model), one_thread_if_small(model):
        return model(x)


def _mlp_layers(model):
    return linear_layers(model, needed_by="lrp", instead=" (a CNN is not supported: use gradient_x_input, "
                                                         "integrated_gradients or occlusion)")


def _lrp(model, X, epsilon, target):
    layers = _mlp_layers(model)
    epsilon = check_float("epsilon", epsilon, 0.0, None)
    x = _inputs(model, X)
    if x.ndim != 2:
        raise ValueError(f"X must have shape (n, n_inputs) for an MLP; got shape {tuple(x.shape)}")
    with torch.no_grad(), evaluating(model), one_thread_if_small(model):
        acts = model.layer_outputs(x)[:-1]   # what each Linear layer receives: [features, hidden 1..L]
        logits = model.out(acts[-1])
        t = _targets(logits, target)
        relevance = torch.zeros_like(logits)
        relevance[torch.arange(len(t)), t] = logits[torch.arange(len(t)), t]   # start: the score itself
        for layer, a in zip(reversed(layers), reversed(acts), strict=True):
            z = a @ layer.weight.T + layer.bias                      # (n, n_out): pre-activations
            stabilized = z + epsilon * torch.where(z >= 0, 1.0, -1.0).to(z.dtype)
            # each input j gets the share a_j w_kj / z_k of neuron k's relevance; the bias keeps its share
            relevance = a * ((relevance / stabilized) @ layer.weight)
    return relevance.numpy().copy(), logits.gather(1, t[:, None])[:, 0].numpy().copy()


def lrp(model: nn.Module, X, *, epsilon: float = 1e-6, target=None) -> np.ndarray:
    """Layer-wise relevance propagation, epsilon rule, for an MLP: relevance of each input feature, shape
    (n, n_features) (the features the first layer sees: for 2-D models the scaled x1, x2, ...).

    The score (target logit) is split backwards, layer by layer: neuron k's relevance R_k goes to the neurons
    j feeding it in proportion to a_j w_kj / (z_k + epsilon sign(z_k)), with z_k = sum_j a_j w_kj + b_k.
    The relevances therefore add up to the score, except the share kept by the biases and epsilon (zero for
    a network without biases and epsilon = 0). A larger epsilon damps weak neurons: a neuron passes on
    z_k / (z_k + epsilon sign(z_k)) times what it would at epsilon = 0, little when |z_k| is small next to epsilon.
    """
    return _lrp(model, X, epsilon, target)[0]


def lrp_bias_share(model: nn.Module, X, *, epsilon: float = 1e-6, target=None) -> np.ndarray:
    """The part of each score that ``lrp`` does not pass to the inputs (kept by biases and epsilon):
    score - sum of input relevances, shape (n,)."""
    relevance, score = _lrp(model, X, epsilon, target)
    return score - relevance.sum(axis=1)


def maximize(model: nn.Module, shape, *, layer: int = -1, unit=0, steps: int = 200, lr: float = 0.05,
             l2: float = 0.01, low: float = 0.0, high: float = 1.0, seed: int = 0) -> np.ndarray:
    """Feature visualisation by activation maximisation: an input of shape ``shape`` (one input, e.g. (64,) or
    (1, 8, 8)) that makes one unit of ``model`` large. Gradient ascent (Adam, ``steps`` steps of size ``lr``) on
    activation - l2 * |x|², starting from a faint random input (``seed``), kept within [low, high] (the data's
    value range) after each step.

    layer: which output of ``model.layer_outputs`` (1 = first hidden layer, -1 = the logits); unit: which neuron
    (or class) of that layer, or a list of them (one input each, optimised together: shape (len(unit), *shape)).
    The result depends on l2, the range and the start: it shows what excites the unit under those constraints,
    not what the unit "means".
    """
    steps = check_int("steps", steps, 1, 100_000)
    lr = check_float("lr", lr, 0.0, 10.0, low_open=True)
    l2 = check_float("l2", l2, 0.0, None)
    if not hasattr(model, "layer_outputs"):
        raise TypeError(f"model must be built by hlkit.models.mlp or hlkit.models.cnn; got {type(model).__name__}")
    units = np.atleast_1d(np.asarray(unit))
    if units.ndim != 1 or units.dtype.kind not in "iu":
        raise TypeError(f"unit must be an integer or a list of integers; got {unit!r}")
    generator = torch.Generator().manual_seed(check_int("seed", seed, 0, 2**63 - 1))
    x = low + 0.1 * (high - low) * torch.rand((len(units), *tuple(shape)), generator=generator, dtype=dtype_of(model))
    x.requires_grad_(True)
    rows, chosen = torch.arange(len(units)), torch.as_tensor(units, dtype=torch.long)
    opt = torch.optim.Adam([x], lr=lr)
    with evaluating(model), one_thread_if_small(model):
        outputs = model.layer_outputs(x.detach())
        if not -len(outputs) <= layer < len(outputs):
            raise ValueError(f"layer must be from {-len(outputs)} to {len(outputs) - 1}; got {layer}")
        width = outputs[layer].reshape(len(units), -1).shape[1]
        if units.min() < 0 or units.max() >= width:
            raise ValueError(f"unit must be from 0 to {width - 1} for layer {layer}; got {unit!r}")
        for _ in range(steps):
            out = model.layer_outputs(x)[layer].reshape(len(units), -1)
            objective = out[rows, chosen].sum() - l2 * (x * x).sum()
            opt.zero_grad(set_to_none=True)
            (-objective).backward()
            opt.step()
            with torch.no_grad():
                x.clamp_(low, high)
    result = x.detach().numpy().copy()
    return result if np.ndim(unit) else result[0]
