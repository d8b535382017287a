"""Lesson 04 §6 (very deep networks: residual connections and layer normalisation) re-derived another way.

The lesson measures, with torch's autograd (``hlkit.init_scale.across_seeds``), how the gradient of the loss with
respect to the hidden layers' outputs changes from the last hidden layer back to the first, at initialisation, for
plain, residual and layer-normalised networks. Here the same ratio comes from a backward pass written in numpy from
the weights alone (checked against autograd and against init_scale), over seeds the lesson does not use, and the
lesson's claims are asserted on it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hlkit import data, init_scale, models

EPS = 1e-5          # torch's layer_norm default, which hlkit's MLP uses
VARIANTS = {"plain": {}, "residual": dict(residual=True), "layer norm": dict(norm="layer"),
            "residual + layer norm": dict(residual=True, norm="layer")}
DEPTHS = (2, 4, 6, 8, 10)
SEEDS = range(100, 108)   # the lesson uses seeds 0-7


@pytest.fixture(scope="module")
def spiral():
    return data.make_dataset("spiral", seed=0)


def gradients_by_hand(model, X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """dL/dh_k for every hidden layer k = 1..L (h_k after the activation and the skip), by a numpy backward pass
    through z = W h + b, optional LN, a = act(z), h' = h + a where widths match; L = the mean binary
    cross-entropy of the logits."""
    act = model.spec["activation"]
    norm = model.spec.get("norm") == "layer"
    Ws = [layer.weight.detach().numpy() for layer in model.hidden]
    bs = [layer.bias.detach().numpy() for layer in model.hidden]
    h, saved = X / 6, []
    for W, b in zip(Ws, bs, strict=True):
        z = h @ W.T + b
        s = np.sqrt(z.var(axis=1, keepdims=True) + EPS)
        n = (z - z.mean(axis=1, keepdims=True)) / s if norm else z
        a = np.tanh(n) if act == "tanh" else np.maximum(n, 0)
        skip = model.spec.get("residual", False) and W.shape[0] == W.shape[1]
        saved.append((n, s, a, skip))
        h = h + a if skip else a
    logit = (h @ model.out.weight.detach().numpy().T + model.out.bias.detach().numpy())[:, 0]
    g = ((1 / (1 + np.exp(-logit)) - y) / len(y))[:, None] @ model.out.weight.detach().numpy()   # dL/dh_L
    grads = [g]
    for W, (n, s, a, skip) in zip(Ws[:0:-1], saved[:0:-1], strict=True):   # layers L..2 hand dL/dh back a layer
        dn = g * ((1 - a * a) if act == "tanh" else (n > 0))
        dz = (dn - dn.mean(axis=1, keepdims=True) - n * (dn * n).mean(axis=1, keepdims=True)) / s if norm else dn
        g = dz @ W + (g if skip else 0)
        grads.append(g)
    return grads[::-1]


def ratio(model, X, y) -> float:
    grads = gradients_by_hand(model, X, y)
    return float(np.linalg.norm(grads[0]) / np.linalg.norm(grads[-1]))


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_numpy_backward_pass_is_autograd(spiral, activation, variant):
    model = models.mlp([6] * 5, activation=activation, seed=3, **VARIANTS[variant])
    X = torch.as_tensor(spiral.X_train)
    outs = model.layer_outputs(X)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(outs[-1][:, 0], torch.as_tensor(spiral.y_train,
                                                                                                 dtype=torch.float64))
    auto = torch.autograd.grad(loss, outs[1:-1])
    for by_hand, by_torch in zip(gradients_by_hand(model, spiral.X_train, spiral.y_train), auto, strict=True):
        assert np.allclose(by_hand, by_torch.numpy(), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_lessons_gradient_sizes_are_the_numpy_backward_passs(spiral, activation, variant):
    """The lesson takes its ratio from hlkit.init_scale (autograd): its per-layer gradient norms, over two seeds."""
    sizes = init_scale.across_seeds([6] * 5, activation, 1.0, spiral.X_train, spiral.y_train, seeds=[3, 4],
                                    **VARIANTS[variant])
    for row, seed in zip(sizes.gradient_norm, [3, 4], strict=True):
        model = models.mlp([6] * 5, activation=activation, seed=seed, **VARIANTS[variant])
        by_hand = [np.linalg.norm(g) for g in gradients_by_hand(model, spiral.X_train, spiral.y_train)]
        assert np.allclose(row, by_hand, rtol=1e-9)


@pytest.fixture(scope="module")
def ratios(spiral):
    """ratio[activation][variant]: shape (depths, seeds), untrained networks of width 8."""
    return {act: {name: np.array([[ratio(models.mlp([8] * d, activation=act, seed=s, **options), spiral.X_train,
                                         spiral.y_train) for s in SEEDS] for d in DEPTHS])
                  for name, options in VARIANTS.items()}
            for act in ("tanh", "relu")}


def test_plain_relu_gradient_fades_with_depth_and_plain_tanh_grows(ratios):
    relu, tanh = np.median(ratios["relu"]["plain"], axis=1), np.median(ratios["tanh"]["plain"], axis=1)
    assert relu[-1] < 0.5 < relu[0]        # depth 10: less than half of the gradient reaches layer 1
    assert tanh[-1] > 2 * tanh[0] > 2      # with hlkit's tanh initialisation it grows on the way back instead


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_skips_keep_the_whole_gradient_but_without_normalisation_it_grows_with_depth(ratios, activation):
    residual = ratios[activation]["residual"]
    assert residual.min() >= 0.9                                 # never fades, at any depth or seed
    medians = np.median(residual, axis=1)
    assert np.all(np.diff(medians) > 0) and medians[-1] > 10     # and grows at every step in depth, past 10x
    assert medians[-1] > 2 * np.median(ratios[activation]["plain"][-1])


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_layer_norm_with_skips_keeps_the_gradient_within_a_small_factor(ratios, activation):
    both = ratios[activation]["residual + layer norm"]
    assert both.min() >= 0.9 and np.median(both, axis=1).max() < 6
    assert np.median(both[-1]) < np.median(ratios[activation]["residual"][-1]) / 3
    norm_only = np.median(ratios[activation]["layer norm"], axis=1)
    assert np.all((norm_only > 0.25) & (norm_only < 4))
