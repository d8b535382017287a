"""hlkit.probe: model outputs over the plane, per-neuron maps, hidden spaces, weights and CNN feature maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hlkit import models, probe

RNG = np.random.default_rng(1)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def one_input_model(column: int, w: float = 3.0, b: float = 0.5):
    """A linear binary model whose logit is w * x_column / 6 + b: it looks at one coordinate only."""
    model = models.mlp([])
    with torch.no_grad():
        model.out.weight.zero_()
        model.out.weight[0, column] = w
        model.out.bias.fill_(b)
    return model


# --- the plane and the grid --------------------------------------------------------------------------------------

def test_plane_is_row_major_with_y_slowest():
    xs, ys, points = probe.plane(5, extent=2.0)
    np.testing.assert_array_equal(xs, np.linspace(-2, 2, 5))
    np.testing.assert_array_equal(ys, xs)
    assert points.shape == (25, 2)
    for r in range(5):
        for c in range(5):
            assert tuple(points[r * 5 + c]) == (xs[c], ys[r])


def test_grid_rows_are_y_and_columns_are_x():
    res = 7
    g = probe.grid(one_input_model(column=0), resolution=res)
    assert g.xs.shape == g.ys.shape == (res,) and g.proba.shape == (res, res, 2)
    # output depends on x1 only: all rows equal, and each column is sigmoid(3 * x / 6 + 0.5)
    expected = sigmoid(3 * g.xs / 6 + 0.5)
    np.testing.assert_allclose(g.proba[:, :, 1], np.tile(expected, (res, 1)), rtol=1e-12)
    # and one that depends on x2 only: all columns equal
    g2 = probe.grid(one_input_model(column=1), resolution=res)
    np.testing.assert_allclose(g2.proba[:, :, 1], np.tile(sigmoid(3 * g2.ys / 6 + 0.5)[:, None], (1, res)), rtol=1e-12)


def test_grid_extent_and_predicted():
    g = probe.grid(one_input_model(column=0, w=6.0, b=0.0), resolution=4, extent=3.0)
    np.testing.assert_array_equal(g.xs, np.linspace(-3, 3, 4))
    assert g.n_classes == 2
    # logit = x: class 1 exactly where x > 0
    np.testing.assert_array_equal(g.predicted, np.tile((g.xs > 0).astype(int), (4, 1)))


@pytest.mark.parametrize("n_classes", [2, 3, 7])
def test_probabilities_sum_to_one_and_match_the_model(n_classes):
    model = models.mlp([5], n_classes=n_classes, seed=2)
    g = probe.grid(model, resolution=12)
    assert g.proba.shape == (12, 12, n_classes)
    np.testing.assert_allclose(g.proba.sum(axis=-1), 1.0, rtol=1e-12)
    assert np.all((g.proba >= 0) & (g.proba <= 1))
    X = RNG.uniform(-6, 6, (30, 2))
    logits = model(torch.as_tensor(X))
    expected = torch.sigmoid(logits[:, 0]) if n_classes == 2 else torch.softmax(logits, dim=1)
    got = probe.predict_proba(model, X)
    if n_classes == 2:
        np.testing.assert_allclose(got[:, 1], expected.detach().numpy(), rtol=1e-12)
    else:
        np.testing.assert_allclose(got, expected.detach().numpy(), rtol=1e-12)


def test_logits_to_proba_is_stable_for_large_logits():
    p = probe.logits_to_proba(np.array([[1000.0, 0.0, -1000.0]]))
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0]])
    assert np.all(np.isfinite(probe.logits_to_proba(np.array([[-700.0], [700.0]]))))


# --- per-layer outputs ---------------------------------------------------------------------------------------------

def test_neuron_maps_shapes_are_the_layer_widths():
    model = models.mlp([5, 3, 4], features=["x1", "x2", "x1*x2"])
    maps = probe.neuron_maps(model, resolution=9)
    assert maps.inputs.shape == (3, 9, 9)
    assert [m.shape for m in maps.maps] == [(5, 9, 9), (3, 9, 9), (4, 9, 9)]
    assert maps.output.shape == (9, 9)


def test_neuron_maps_values_are_the_neurons_at_each_grid_point():
    model = models.mlp([4, 2], activation="relu", seed=5)
    maps = probe.neuron_maps(model, resolution=6)
    for r, c in [(0, 0), (1, 4), (5, 2), (3, 3)]:
        point = np.array([[maps.xs[c], maps.ys[r]]])
        outs = probe.layer_outputs(model, point)
        np.testing.assert_allclose(maps.inputs[:, r, c], outs[0][0], rtol=1e-12)
        for layer, m in enumerate(maps.maps):
            np.testing.assert_allclose(m[:, r, c], outs[layer + 1][0], rtol=1e-12)
        assert maps.output[r, c] == pytest.approx(sigmoid(outs[-1][0, 0]), rel=1e-12)   # P(class 1)


def test_neuron_maps_output_is_the_top_probability_for_many_classes():
    model = models.mlp([3], n_classes=4)
    maps = probe.neuron_maps(model, resolution=5)
    g = probe.grid(model, resolution=5)
    np.testing.assert_allclose(maps.output, g.proba.max(axis=-1), rtol=1e-12)


def test_layer_outputs_are_numpy_copies():
    model = models.mlp([3])
    X = RNG.uniform(-6, 6, (4, 2))
    outs = probe.layer_outputs(model, X)
    assert all(isinstance(o, np.ndarray) for o in outs)
    assert [o.shape for o in outs] == [(4, 2), (4, 3), (4, 1)]
    assert model.training   # the model's mode is put back
    outs[1][:] = 99
    assert not np.any(probe.layer_outputs(model, X)[1] == 99)
    np.testing.assert_array_equal(probe.layer_outputs(model, torch.as_tensor(X))[1], probe.layer_outputs(model, X)[1])


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_hidden_space_equals_the_manual_forward_pass(activation):
    model = models.mlp([6, 4, 3], activation=activation, seed=7)
    X = RNG.uniform(-6, 6, (25, 2))
    h = torch.as_tensor(X) / 6
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[activation]
    np.testing.assert_allclose(probe.hidden_space(model, X, 0), h.numpy(), rtol=1e-12)
    for k, layer in enumerate(model.hidden, start=1):
        h = act(h @ layer.weight.T + layer.bias)
        got = probe.hidden_space(model, X, k)
        assert got.shape == (25, layer.out_features)
        np.testing.assert_allclose(got, h.detach().numpy(), rtol=1e-12)


def test_weights_shapes_and_values():
    model = models.mlp([4, 3], n_classes=5, features=["x1", "x2", "sin(x1)"])
    ws = probe.weights(model)
    assert [(W.shape, b.shape) for W, b in ws] == [((4, 3), (4,)), ((3, 4), (3,)), ((5, 3), (5,))]
    for (W, b), layer in zip(ws, [*model.hidden, model.out], strict=True):
        np.testing.assert_array_equal(W, layer.weight.detach().numpy())
        np.testing.assert_array_equal(b, layer.bias.detach().numpy())
    W, _ = ws[0]
    W[:] = 0   # a copy: editing it does not change the model
    assert torch.any(model.hidden[0].weight != 0)
    assert [(W.shape, b.shape) for W, b in probe.weights(models.mlp([]))] == [((1, 2), (1,))]


def test_layer_names():
    assert probe.layer_names(models.mlp()) == ["x1", "x2"]
    assert probe.layer_names(models.mlp([3], features=["x1^2", "sin(x2)"])) == ["x1^2", "sin(x2)"]
    assert probe.layer_names(models.mlp([3], n_inputs=4)) == ["x1", "x2", "x3", "x4"]
    assert probe.layer_names(models.mlp([], n_inputs=3)) == ["x1", "x2", "x3"]


def test_feature_maps_shapes_and_values():
    model = models.cnn((4, 6), image_size=8, seed=1)
    image = RNG.uniform(0, 1, (8, 8))
    maps = probe.feature_maps(model, image)
    assert [m.shape for m in maps] == [(4, 4, 4), (6, 2, 2)]
    x = torch.as_tensor(image)[None, None]
    for conv, m in zip(model.conv, maps, strict=True):
        x = torch.nn.functional.max_pool2d(torch.relu(conv(x)), 2)
        np.testing.assert_allclose(m, x[0].detach().numpy(), rtol=1e-12)
    same = probe.feature_maps(model, image[None])   # (1, H, W) works as well as (H, W)
    assert all(np.array_equal(a, b) for a, b in zip(maps, same, strict=True))
