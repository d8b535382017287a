"""The headline claims of lessons 01, 03 and 06, re-derived here another way than the lessons measure them
(issue 10): a perceptron instead of logistic regression, numpy backpropagation instead of autograd, slicing
instead of padding, a seed the lesson did not use."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from separability import perceptron_separates

import hlkit as hl


@pytest.fixture(scope="module")
def circle():
    return hl.make_dataset("circle", n_points=400, seed=0)



def test_lesson01_first_hidden_layer_is_already_separable(circle):
    """§5: after the first hidden layer (3 tanh neurons) a plane separates the classes; the inputs cannot be."""
    deep = hl.mlp([3, 2], activation="tanh", seed=0)
    hl.train.train(deep, circle, epochs=300, lr=0.03)
    views = [hl.probe.hidden_space(deep, circle.X_test, layer) for layer in range(3)]
    assert perceptron_separates(views[1], circle.y_test)
    assert perceptron_separates(views[2], circle.y_test)
    assert not perceptron_separates(views[0], circle.y_test, epochs=2_000)
    # least squares, the lesson's old measure, misses the plane on layer 1
    assert hl.scratch.linear_accuracy(views[1], circle.y_test) < 1.0


def test_lesson01_best_line_and_the_trained_linear_model(circle):
    """§4/§5: the best line gets about 0.70 of the test points, the line trained on the training points no more
    than always answering the more common class."""
    best = hl.scratch.best_line_accuracy(circle.X_test, circle.y_test)
    finer = hl.scratch.best_line_accuracy(circle.X_test, circle.y_test, n_directions=7200)
    assert 0.65 <= best <= finer < 0.75 and finer - best < 0.01
    linear = hl.mlp([], seed=0)
    history = hl.train.train(linear, circle, epochs=300, lr=0.03)
    majority = max(circle.y_test.mean(), 1 - circle.y_test.mean())
    assert history.test_acc[-1] <= majority < best


def test_best_line_accuracy_on_separable_and_hopeless_points():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    assert hl.scratch.best_line_accuracy(X, X @ [1.0, -2.0] > 0.3) == 1.0
    ring = np.linalg.norm(X, axis=1) > 1.0
    assert hl.scratch.best_line_accuracy(X, ring) < 1.0
    with pytest.raises(ValueError, match="shape"):
        hl.scratch.best_line_accuracy(np.ones((5, 3)), np.ones(5))


def test_lesson03_untrained_loss_is_near_log_2(circle):
    """§1/§5: untrained [8] tanh networks start near log 2 (hl.scratch's numpy forward pass, not torch's loss)."""
    losses = []
    for seed in range(10):
        model = hl.mlp([8], activation="tanh", seed=seed)
        params = hl.scratch.params_from_torch(model)
        cache = hl.scratch.forward(params, hl.scratch.inputs_from_torch(model, circle.X_train), "tanh")
        losses.append(hl.scratch.loss(cache, circle.y_train))
    assert all(np.log(2) - 0.01 < value < 0.9 for value in losses)
    assert max(losses) - min(losses) > 0.05     # "near", not "at": the spread is real


def test_lesson03_gradient_factor_per_layer(circle):
    """§6: per extra layer, sigmoid shrinks the first layer's gradient by < 0.5 in every seed; tanh and relu by far
    less, with a spread between seeds (numpy backpropagation, not autograd)."""
    factors = {}
    for activation in ["sigmoid", "tanh", "relu"]:
        factors[activation] = []
        for seed in range(5):
            first = []
            for depth in range(2, 11):
                model = hl.mlp([8] * depth, activation=activation, seed=seed)
                params = hl.scratch.params_from_torch(model)
                cache = hl.scratch.forward(params, hl.scratch.inputs_from_torch(model, circle.X_train), activation)
                first.append(np.abs(hl.scratch.backward(params, cache, circle.y_train).W[0]).mean())
            factors[activation].append(10 ** np.polyfit(range(2, 11), np.log10(first), 1)[0])
    assert max(factors["sigmoid"]) < 0.5
    assert min(factors["tanh"] + factors["relu"]) > 0.6
    assert max(factors["relu"]) - min(factors["relu"]) > 0.05 and max(factors["tanh"]) - min(factors["tanh"]) > 0.05


def test_lesson06_ink_kept_after_a_shift():
    """§4: moving a digit down on its 8x8 canvas cuts ink off; on the lesson's 12x12 canvas a 2-px move keeps all."""
    X = hl.load_digits().X_test
    assert 0.85 < X[:, :, :-1].sum() / X.sum() < 0.9          # 1 px down: the last row falls off
    assert 0.7 < X[:, :, :-2].sum() / X.sum() < 0.8           # 2 px down
    padded = np.pad(X, ((0, 0), (0, 0), (2, 2), (2, 2)))
    border = padded.copy()
    border[:, :, 2:-2, 2:-2] = 0
    assert border.sum() == 0                                   # so no roll of 2 px or less can lose ink
    for dy, dx in [(1, 0), (2, 0), (0, 1), (0, 2)]:
        moved = np.roll(padded, (dy, dx), axis=(2, 3))
        assert moved.sum() == pytest.approx(X.sum(), rel=1e-12)


def test_lesson06_cnn_less_fragile_than_mlp_with_a_seed_the_lesson_did_not_use():
    """§4's checks, for seed 3 (the lesson uses 0-2): measured over seeds 0-7 they hold for each."""
    digits = hl.load_digits()
    border = ((0, 0), (0, 0), (2, 2), (2, 2))
    roomy = dataclasses.replace(digits, X_train=np.pad(digits.X_train, border), X_test=np.pad(digits.X_test, border))
    flat = dataclasses.replace(roomy, X_train=roomy.X_train.reshape(-1, 144), X_test=roomy.X_test.reshape(-1, 144))
    cnn = hl.cnn(channels=(8, 16), image_size=12, seed=3)
    hl.train.train(cnn, roomy, epochs=20, lr=0.01, batch_size=64, seed=3)
    mlp = hl.mlp([32], n_inputs=144, n_classes=10, activation="relu", seed=3)
    hl.train.train(mlp, flat, epochs=20, lr=0.01, batch_size=64, seed=3)
    acc = {}
    for name, (dy, dx) in {"none": (0, 0), "1 right": (0, 1), "1 down": (1, 0), "2 right": (0, 2),
                           "2 down": (2, 0)}.items():
        moved = np.roll(roomy.X_test, (dy, dx), axis=(2, 3))
        acc["CNN", name] = hl.train.evaluate(cnn, moved, digits.y_test)[1]
        acc["MLP", name] = hl.train.evaluate(mlp, moved.reshape(-1, 144), digits.y_test)[1]
    ones, twos = ["1 right", "1 down"], ["2 right", "2 down"]
    assert acc["MLP", "none"] > 0.95 and acc["CNN", "none"] > 0.95
    assert all(acc["MLP", name] < acc["MLP", "none"] - 0.4 for name in ones)
    assert all(acc["MLP", name] < 0.25 for name in twos)
    assert all(acc["CNN", name] > acc["MLP", name] for name in ones + twos)
    assert all(acc["CNN", name] < acc["CNN", "none"] - 0.1 for name in ones)
    assert all(acc["CNN", two] < acc["CNN", one] for one, two in zip(ones, twos, strict=True))


def test_lesson01_xor_needs_two_neurons_and_the_hand_network_solves_it():
    """Exercise 3: no straight line classifies all four XOR points (at best 3), and the notebook's kind of answer, two
    tanh neurons on x1 + x2 with thresholds 0.5 and 1.5, gets all four."""
    X, y = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0, 1, 1, 0])
    best = 0
    for angle in np.linspace(0, 2 * np.pi, 721):
        s = X @ [np.cos(angle), np.sin(angle)]
        for cut in np.concatenate([s - 1e-3, s + 1e-3]):
            best = max(best, int(np.sum((s > cut) == (y == 1))))
    assert best == 3
    for scale in (4.0, 10.0, 100.0):                   # sharp enough switches: any of these scales works
        hidden = np.tanh(scale * (X.sum(axis=1, keepdims=True) - [0.5, 1.5]))
        z = hidden @ [1.0, -1.0] - 1.0
        assert np.array_equal(z > 0, y == 1) and np.all(z != 0)


def test_lesson06_convolution_by_hand_matches_conv2d():
    """§2 and exercise 4: a sum over 3x3 windows (numpy's sliding windows, not the exercise's loop) equals conv2d
    (cross-correlation, the filter not flipped) in float64, for several channels and filters."""
    import torch

    rng = np.random.default_rng(4)
    images, filters = rng.normal(size=(2, 3, 9, 7)), rng.normal(size=(5, 3, 3, 3))
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 3),
                                                       axis=(2, 3))          # (2, 3, 9, 7, 3, 3)
    mine = np.einsum("ncijkl,fckl->nfij", windows, filters)
    theirs = torch.nn.functional.conv2d(torch.as_tensor(images), torch.as_tensor(filters), padding=1).numpy()
    assert np.abs(mine - theirs).max() < 1e-12
    flipped = np.einsum("ncijkl,fckl->nfij", windows, filters[:, :, ::-1, ::-1])
    assert np.abs(flipped - theirs).max() > 0.1   # a textbook convolution (flipped filter) is another map


@pytest.mark.parametrize("layers, side", [(["conv"], 3), (["conv", "conv"], 5), (["conv"] * 3, 7),
                                          (["conv", "pool", "conv"], 8)])
def test_lesson06_receptive_field_by_perturbation(layers, side):
    """§2: the input pixels that move the middle output neuron when changed one at a time (not autograd, as the
    lesson measures it) form a square of side 2L + 1 for L stacked 3x3 layers, and 8 with a 2x2 pooling between."""
    import torch

    generator = torch.Generator().manual_seed(1)
    weights = [0.5 + torch.rand(1, 1, 3, 3, dtype=torch.float64, generator=generator) for _ in layers]

    def middle(x):
        for kind, w in zip(layers, weights, strict=True):
            x = torch.nn.functional.conv2d(x, w) if kind == "conv" else torch.nn.functional.avg_pool2d(x, 2)
        return float(x[0, 0, x.shape[-1] // 2, x.shape[-1] // 2])

    base = torch.zeros(1, 1, 16, 16, dtype=torch.float64)
    moved = np.zeros((16, 16), dtype=bool)
    for i in range(16):
        for j in range(16):
            poked = base.clone()
            poked[0, 0, i, j] = 1.0
            moved[i, j] = middle(poked) != middle(base)
    rows, cols = np.flatnonzero(moved.any(axis=1)), np.flatnonzero(moved.any(axis=0))
    assert len(rows) == len(cols) == side and moved.sum() == side * side
