"""Lesson 03's loss surface (§5) and initialisation scale (§6), re-derived another way than the lesson measures them:
hl.scratch's numpy backpropagation and finite differences instead of the autograd of init_scale.layer_sizes, autograd's
gradients instead of hl.scratch's on the surface, the lowest point by L-BFGS and the curvature by autograd's
Hessian instead of Newton's method and the closed form, the limit of the learning rate from the curvature instead of
a scan, seeds the lesson did not use, and a simulation of exercise 5's closed form. The lesson's two widgets are run
from the notebook's own cells and checked after a slider change."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import ipywidgets
import nbformat
import numpy as np
import plotly.graph_objects as go
import pytest
import torch

import hlkit as hl
from hlkit import init_scale, surface

LESSON = Path(__file__).resolve().parent.parent / "notebooks" / "03_backpropagation.ipynb"
START = (-2.5, -1.0)   # the lesson's start on the surface


@pytest.fixture(scope="module")
def line():
    data = hl.make_dataset("linear", n_points=100, noise=0.4, seed=0)
    return data.X_train, data.y_train


@pytest.fixture(scope="module")
def circle():
    return hl.make_dataset("circle", n_points=400, seed=0)


def torch_loss(X, y, w):
    """The neuron's mean cross-entropy, by torch: z = X @ w, no bias."""
    return torch.nn.functional.binary_cross_entropy_with_logits(torch.as_tensor(X) @ w.to(torch.float64),
                                                                torch.as_tensor(y, dtype=torch.float64))


def torch_descent(X, y, start, lr, steps) -> np.ndarray:
    """The weights visited by gradient descent on the neuron with autograd's gradients, shape (steps + 1, 2).
    (Not torch.optim: its first use imports torch's compiler, seconds for nothing here.)"""
    w = torch.tensor(start, dtype=torch.float64)
    visited = [w.numpy().copy()]
    for _ in range(steps):
        w.requires_grad_(True)
        (gradient,) = torch.autograd.grad(torch_loss(X, y, w), w)
        w = (w - lr * gradient).detach()
        visited.append(w.numpy().copy())
    return np.array(visited)


@functools.cache
def torch_lowest() -> tuple[np.ndarray, float, np.ndarray]:
    """The lowest point of the lesson's surface by Newton's method on autograd's gradient and Hessian, its loss,
    and the Hessian there."""
    data = hl.make_dataset("linear", n_points=100, noise=0.4, seed=0)
    X, y = data.X_train, data.y_train
    w = torch.zeros(2, dtype=torch.float64)
    for _ in range(30):
        gradient = torch.autograd.functional.jacobian(lambda v: torch_loss(X, y, v), w)
        w = w - torch.linalg.solve(torch.autograd.functional.hessian(lambda v: torch_loss(X, y, v), w), gradient)
    assert torch.autograd.functional.jacobian(lambda v: torch_loss(X, y, v), w).norm() < 1e-12
    hessian = torch.autograd.functional.hessian(lambda v: torch_loss(X, y, v), w).numpy()
    return w.numpy(), torch_loss(X, y, w).item(), hessian


# ---------------------------------------------------------------------------------------------------------
# §5: the loss surface


def test_surface_loss_and_gradient_are_autograds(line):
    X, y = line
    for w in np.random.default_rng(1).normal(0.0, 2.0, (5, 2)):
        t = torch.tensor(w, requires_grad=True)
        loss = torch_loss(X, y, t)
        loss.backward()
        assert surface.loss_at(X, y, w) == pytest.approx(loss.item(), rel=1e-12)
        assert np.allclose(surface.gradient_at(X, y, w), t.grad.numpy(), rtol=1e-10, atol=1e-14)
    grid = surface.loss_grid(X, y, [-1.0, 0.0, 2.0], [0.0, 3.0])     # rows: w2, columns: w1
    assert grid.shape == (2, 3)
    assert grid[1, 2] == pytest.approx(torch_loss(X, y, torch.tensor([2.0, 3.0])).item(), rel=1e-12)
    assert grid[0, 0] == pytest.approx(torch_loss(X, y, torch.tensor([-1.0, 0.0])).item(), rel=1e-12)
    assert grid[0, 1] == pytest.approx(np.log(2), rel=1e-12)          # w = (0, 0): p = 0.5 for every point


def test_descent_follows_torch_sgd_and_the_three_rates_do_what_the_lesson_says(line):
    X, y = line
    _, floor, _ = torch_lowest()
    for lr in (0.05, 1.0, 3.0):
        path = surface.descent(X, y, START, lr=lr, steps=30)
        visited = torch_descent(X, y, START, lr, 30)
        assert np.allclose(path.w, visited, rtol=0, atol=1e-10)
        losses = np.array([torch_loss(X, y, torch.as_tensor(w)).item() for w in visited])
        assert np.allclose(path.loss, losses, rtol=1e-12)
        rises = int(np.sum(np.diff(losses) > 0))
        if lr == 0.05:
            assert losses[-1] - floor > 0.1 and rises == 0
        elif lr == 1.0:
            assert losses[-1] - floor < 1e-4
        else:
            assert losses[-1] - floor > 0.01 and rises >= 5


def test_the_largest_rate_that_settles_is_two_over_the_steepest_curvature(line):
    """The lesson scans rates 0.1 apart; here the limit comes from the Hessian by autograd at the L-BFGS minimum,
    and gradient descent on autograd's gradients settles just below it and not just above it."""
    X, y = line
    lowest, floor, hessian = torch_lowest()
    assert np.allclose(surface.lowest_point(X, y), lowest, atol=1e-6)
    assert np.allclose(surface.curvature(X, y, lowest), hessian, rtol=1e-8)
    limit = 2 / np.linalg.eigvalsh(hessian).max()

    def gap_after(lr, steps=500):
        return torch_loss(X, y, torch.as_tensor(torch_descent(X, y, START, lr, steps)[-1])).item() - floor

    assert gap_after(0.95 * limit) < 1e-10
    assert gap_after(1.05 * limit) > 1e-4
    # the lesson's scan: every multiple of 0.1 up to the limit settles within 300 steps, the next one does not
    below = np.floor(limit * 10) / 10
    assert gap_after(below, 300) < 1e-6 and gap_after(below + 0.1, 300) > 1e-6


def test_surface_refuses_bad_input(line):
    X, y = line
    cases = [
        (lambda: surface.descent(X, y, START, lr=0, steps=3), ValueError, r"lr must be a number greater than 0"),
        (lambda: surface.descent(X, y, START, lr=101, steps=3), ValueError, r"lr must be .* at most 100.*got 101"),
        (lambda: surface.descent(X, y, START, lr="1", steps=3), TypeError, r"lr must be a number.*got '1'"),
        (lambda: surface.descent(X, y, START, lr=1.0, steps=-1), ValueError, r"steps must be an integer from 0"),
        (lambda: surface.descent(X, y, (1.0, 2.0, 3.0), lr=1.0, steps=3), ValueError,
         r"start must be two finite numbers \(w1, w2\); got \[1.0, 2.0, 3.0\]"),
        (lambda: surface.descent(X, y, (np.nan, 1.0), lr=1.0, steps=3), ValueError, r"start must be two finite"),
        (lambda: surface.loss_at(X[:, :1], y, (1.0, 1.0)), ValueError, r"X must be 2-D points of shape \(n, 2\)"),
        (lambda: surface.loss_at(X, y + 1, (1.0, 1.0)), ValueError, r"y must hold one label 0 or 1 per point"),
        (lambda: surface.loss_at(X, y[:-1], (1.0, 1.0)), ValueError, r"y must hold one label .* got shape"),
        (lambda: surface.gradient_at(X, y, "ab"), TypeError, r"w must be two numbers \(w1, w2\); got str instead"),
    ]
    for call, kind, message in cases:
        with pytest.raises(kind, match=message):
            call()
    separable = hl.make_dataset("linear", n_points=100, noise=0.0, seed=0)
    with pytest.raises(ValueError, match="no lowest point"):
        surface.lowest_point(separable.X_train, separable.y_train)


def test_loss_surface_figure_holds_the_arrays(line):
    X, y = line
    axis = np.linspace(-2, 2, 5)
    loss = surface.loss_grid(X, y, axis, axis[:4])
    path = surface.descent(X, y, START, lr=1.0, steps=4)
    fig = hl.viz.loss_surface(axis, axis[:4], loss, path.w, minimum=(0.7, 0.9), title="t")
    contour, drawn, start, star = fig.data
    assert np.allclose(contour.z, np.log10(loss), atol=1e-4) and np.allclose(contour.x, axis)
    assert np.allclose(contour.y, axis[:4]) and contour.text[3][4] == f"{loss[3, 4]:.3f}"
    assert np.allclose(drawn.x, path.w[:, 0], atol=5e-4) and np.allclose(drawn.y, path.w[:, 1], atol=5e-4)
    assert (start.x[0], start.y[0]) == START and (star.x[0], star.y[0]) == (0.7, 0.9)
    assert fig.layout.title.text == "t" and fig.layout.yaxis.scaleanchor == "x"
    assert len(hl.viz.loss_surface(axis, axis[:4], loss, path.w).data[3].x) == 0    # no minimum: an empty star
    with pytest.raises(ValueError, match=r"loss must have shape \(len\(w2\), len\(w1\)\) = \(4, 5\); got \(5, 4\)"):
        hl.viz.loss_surface(axis, axis[:4], loss.T, path.w)
    with pytest.raises(ValueError, match=r"path must have shape \(steps \+ 1, 2\)"):
        hl.viz.loss_surface(axis, axis[:4], loss, path.w[:, :1])


# ---------------------------------------------------------------------------------------------------------
# §6: the starting scale


def numpy_sizes(model, X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(std of each hidden layer's outputs, norm of dL/da there, norm of dL/dW) by the numpy backpropagation of
    hl.scratch, written out layer by layer (not autograd, which init_scale.layer_sizes uses)."""
    params = hl.scratch.params_from_torch(model)
    cache = hl.scratch.forward(params, hl.scratch.inputs_from_torch(model, X), model.spec["activation"])
    grads = hl.scratch.backward(params, cache, y)
    hidden = range(len(params) - 1)
    return (np.array([np.std(cache.a[i + 1]) for i in hidden]), np.array([np.linalg.norm(grads.da[i]) for i in hidden]),
            np.array([np.linalg.norm(grads.W[i]) for i in hidden]))


def numpy_runs(activation, factor, X, y, seeds):
    runs = [numpy_sizes(init_scale.scale_weights(hl.mlp([32] * 10, activation=activation, seed=s), factor), X, y)
            for s in seeds]
    return [np.stack([r[i] for r in runs]) for i in range(3)]


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_layer_sizes_match_numpy_backpropagation(circle, activation):
    for factor in (0.5, 2.0):
        measured = init_scale.across_seeds([32] * 10, activation, factor, circle.X_train, circle.y_train,
                                           seeds=range(2))
        std, grad, weight_grad = numpy_runs(activation, factor, circle.X_train, circle.y_train, range(2))
        assert measured.gradient_norm.shape == (2, 10)
        assert np.allclose(measured.activation_std, std, rtol=1e-9)
        assert np.allclose(measured.gradient_norm, grad, rtol=1e-9)
        assert np.allclose(measured.weight_gradient_norm, weight_grad, rtol=1e-9)


@pytest.mark.parametrize("options", [dict(), dict(residual=True, norm="layer")])
def test_layer_sizes_weight_gradients_match_finite_differences(circle, options):
    """A tiny net, plain and with skips + layer norm (which hl.scratch cannot rebuild): every hidden weight's
    gradient by central differences of the loss, against the norms layer_sizes reports."""
    X, y = circle.X_train[:40], circle.y_train[:40]
    model = init_scale.scale_weights(hl.mlp([3, 3, 3], activation="tanh", seed=2, **options), 1.5)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    by_differences = []
    with torch.no_grad():
        for layer in model.hidden:
            grad = np.zeros(layer.weight.shape)
            for index in np.ndindex(*grad.shape):
                was = layer.weight[index].item()
                losses = []
                for step in (1e-6, -1e-6):
                    layer.weight[index] = was + step
                    losses.append(hl.train.loss_fn(model(Xt), yt).item())
                layer.weight[index] = was
                grad[index] = (losses[0] - losses[1]) / 2e-6
            by_differences.append(np.linalg.norm(grad))
    measured = init_scale.layer_sizes(model, X, y)
    assert np.allclose(measured.weight_gradient_norm, by_differences, rtol=1e-6)
    with torch.no_grad():
        outputs = model.layer_outputs(Xt)[1:-1]
    assert np.allclose(measured.activation_std, [h.numpy().std() for h in outputs], rtol=1e-12)


def test_headline_claims_hold_on_seeds_the_lesson_did_not_use(circle):
    X, y, seeds = circle.X_train, circle.y_train, range(5, 10)
    sizes = {(a, k): numpy_runs(a, k, X, y, seeds) for a in ("relu", "tanh") for k in (0.5, 1.0, 2.0)}

    def forward(a, k):
        return sizes[a, k][0][:, -1] / sizes[a, k][0][:, 0]

    def backward(a, k):
        return sizes[a, k][1][:, 0] / sizes[a, k][1][:, -1]

    for k, low, high in [(0.5, 0.45, 0.55), (2.0, 1.8, 2.2)]:        # relu: about k per layer, both ways
        assert low < np.median(forward("relu", k)) ** (1 / 9) < high
        assert low < np.median(backward("relu", k)) ** (1 / 9) < high
    assert forward("relu", 2.0).min() > 100 and backward("relu", 2.0).min() > 100
    assert forward("relu", 0.5).max() < 0.01 and backward("relu", 0.5).max() < 0.01
    assert forward("tanh", 0.5).max() < 0.5 and backward("tanh", 0.5).max() < 0.5
    assert sizes["tanh", 2.0][0].max() < 1 and backward("tanh", 2.0).min() > 100 and backward("tanh", 1.0).min() > 5
    weight = {k: sizes["relu", k][2] for k in (0.5, 1.0, 2.0)}
    assert all((w.max(axis=1) / w.min(axis=1)).max() < 10 for w in weight.values())   # even across layers
    assert (np.median(weight[2.0], axis=0) / np.median(weight[1.0], axis=0)).min() > 500
    assert (np.median(weight[0.5], axis=0) / np.median(weight[1.0], axis=0)).max() < 1 / 500


def test_relu_outputs_scale_exactly_by_the_factor_to_the_layer(circle):
    """relu(kz) = k relu(z), biases 0: weights k times larger make layer l's outputs k^l times larger, seed by seed."""
    X = torch.as_tensor(circle.X_train)
    with torch.no_grad():
        plain = hl.mlp([32] * 10, activation="relu", seed=3).layer_outputs(X)[1:-1]
        scaled = init_scale.scale_weights(hl.mlp([32] * 10, activation="relu", seed=3), 2.0).layer_outputs(X)[1:-1]
    for layer, (a, b) in enumerate(zip(plain, scaled, strict=True), start=1):
        assert torch.allclose(b, 2.0 ** layer * a, rtol=1e-12, atol=0)


def test_exercise_5_closed_form_against_a_simulation():
    """The expected mean square of hidden layer 7's weighted sums, simulated: for Gaussian weights of std s, a layer's
    weighted sums given its inputs a are independent normals of variance s^2 |a|^2."""
    rng = np.random.default_rng(0)
    z = rng.normal(0.0, 1.0, (50_000, 32))                      # hidden layer 1: symmetric, mean square 1
    for _ in range(6):                                           # hidden layers 2 to 7
        a = np.maximum(z, 0.0)
        z = 0.35 * np.linalg.norm(a, axis=1, keepdims=True) * rng.normal(0.0, 1.0, z.shape)
    simulated = np.sqrt(np.mean(z ** 2))
    closed_form = np.sqrt(32 * 0.35 ** 2 / 2) ** 6
    assert simulated == pytest.approx(closed_form, rel=0.02)
    assert simulated != pytest.approx(np.sqrt(32 * 0.35 ** 2) ** 6, rel=0.5)   # without relu's halving: far off


def test_scale_weights_multiplies_weights_only_and_refuses_bad_factors():
    model = hl.mlp([4, 3], activation="tanh", seed=1)
    before = [(layer.weight.detach().clone(), layer.bias.detach().clone()) for layer in [*model.hidden, model.out]]
    with torch.no_grad():
        for layer in [*model.hidden, model.out]:
            layer.bias.fill_(0.5)
    assert init_scale.scale_weights(model, 1.5) is model
    for layer, (weight, _) in zip([*model.hidden, model.out], before, strict=True):
        assert torch.equal(layer.weight, 1.5 * weight) and torch.all(layer.bias == 0.5)
    for factor, kind, got in [(0, ValueError, "got 0 instead"), (-1.0, ValueError, "got -1 instead"),
                              (11, ValueError, "got 11 instead"), (float("nan"), ValueError, "got nan instead"),
                              ("2", TypeError, "got '2' (str) instead"), (True, TypeError, "got True (bool) instead")]:
        with pytest.raises(kind, match=r"factor must be a number greater than 0\.0 and at most 10\.0; " + re.escape(got)):
            init_scale.scale_weights(model, factor)
    with pytest.raises(TypeError, match="scale_weights needs an MLP built by hlkit.models.mlp; got CNN"):
        init_scale.scale_weights(hl.cnn(), 2.0)
    X, y = np.zeros((3, 2)), np.array([0, 1, 0])
    with pytest.raises(ValueError, match="seeds must list at least one seed"):
        init_scale.across_seeds([4], "relu", 1.0, X, y, seeds=[])
    with pytest.raises(ValueError, match="at least one hidden layer"):
        init_scale.layer_sizes(hl.mlp([]), X, y)
    with pytest.raises(TypeError, match="layer_sizes needs an MLP built by hlkit.models.mlp; got CNN"):
        init_scale.layer_sizes(hl.cnn(), X, y)
    with pytest.raises(ValueError, match="factor must be"):
        init_scale.across_seeds([4], "relu", 0.0, X, y)


# ---------------------------------------------------------------------------------------------------------
# The lesson's widgets, from the notebook's own cells


def run_cells(tag: str, namespace: dict) -> dict:
    sources = [cell.source for cell in nbformat.read(LESSON, as_version=4).cells
               if tag in cell.metadata.get("tags", [])]
    assert sources, f"no cell tagged {tag!r} in {LESSON.name}"
    for source in sources:
        exec(compile(source, f"{LESSON.name} [{tag}]", "exec"), namespace)
    return namespace


def test_surface_widget_follows_its_sliders(line):
    X, y = line
    ns = run_cells("l03-surface", {"np": np, "hl": hl})
    view, rate, steps = ns["surface_view"], ns["rate_slider"], ns["steps_slider"]
    contour = np.array(view.data[0].z)
    rate.value = 0.3
    visited = torch_descent(X, y, START, 0.3, 30)
    assert np.allclose(view.data[1].x, visited[:, 0], atol=5e-4) and np.allclose(view.data[1].y, visited[:, 1], atol=5e-4)
    assert view.layout.title.text.startswith("learning rate 0.3, 30 steps")
    steps.value = 5
    assert len(view.data[1].x) == 6 and np.allclose(view.data[1].x, visited[:6, 0], atol=5e-4)
    assert (view.data[2].x[0], view.data[2].y[0]) == START                        # the start stays
    assert np.array_equal(np.array(view.data[0].z), contour)                      # and the surface
    lowest, floor, _ = torch_lowest()
    assert np.allclose([view.data[3].x[0], view.data[3].y[0]], lowest, atol=5e-4)
    assert f"(lowest {floor:.3f})" in view.layout.title.text
    w = torch.tensor([ns["w_axis"][7], ns["w_axis"][30]])                      # row: w2, column: w1
    assert contour[30, 7] == pytest.approx(np.log10(torch_loss(X, y, w).item()), abs=1e-4)
    assert rate.description == "learning rate" and steps.description == "gradient-descent steps"


def test_scale_widget_follows_its_slider(circle):
    ns = run_cells("l03-scale", {"np": np, "hl": hl, "circle": circle, "ipywidgets": ipywidgets, "go": go})
    view, slider = ns["scale_view"], ns["scale_slider"]
    slider.value = 0.5
    std, grad, _ = {}, {}, None
    for activation in ("relu", "tanh"):
        std[activation], grad[activation], _ = numpy_runs(activation, 0.5, circle.X_train, circle.y_train, range(5))
    # traces per panel: (band, median) for relu, then for tanh; the left panel holds the outputs' std
    assert np.allclose(view.data[1].y, np.median(std["relu"], axis=0), rtol=1e-3)
    assert np.allclose(view.data[3].y, np.median(std["tanh"], axis=0), rtol=1e-3)
    assert np.allclose(view.data[5].y, np.median(grad["relu"], axis=0), rtol=1e-3)
    assert np.allclose(view.data[7].y, np.median(grad["tanh"], axis=0), rtol=1e-3)
    assert np.allclose(view.data[4].y[:10], grad["relu"].max(axis=0), rtol=1e-3)     # the band's upper edge
    assert "0.50 times the default" in view.layout.title.text
    assert "times the default" in slider.description
