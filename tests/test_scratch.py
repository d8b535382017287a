"""The from-scratch numpy network against PyTorch (forward values, autograd gradients) and finite differences."""

import numpy as np
import pytest
import torch

import hlkit as hl
from hlkit import scratch

torch.set_num_threads(1)

CASES = [(act, hidden) for act in ("tanh", "sigmoid", "relu", "linear") for hidden in ([], [3], [4, 3], [3, 3, 2])]


def _setup(activation, hidden, n_inputs=3, n=7, seed=0):
    model = hl.mlp(hidden, activation=activation, n_inputs=n_inputs, seed=seed)
    with torch.no_grad():   # non-zero biases, so bias gradients and shifts are exercised too
        for p in model.parameters():
            if p.ndim == 1:
                p.copy_(torch.linspace(-0.3, 0.4, p.numel(), dtype=p.dtype))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_inputs))
    y = (rng.random(n) > 0.5).astype(int)
    y[:2] = [0, 1]
    return model, X, y


def _torch_grads(model, X, y):
    model.zero_grad()
    loss = hl.train.loss_fn(model(torch.as_tensor(X)), torch.as_tensor(y))
    loss.backward()
    layers = [*model.hidden, model.out]
    return float(loss.detach()), [(layer.weight.grad.numpy(), layer.bias.grad.numpy()) for layer in layers]


@pytest.mark.parametrize("activation,hidden", CASES)
def test_forward_matches_torch(activation, hidden):
    model, X, _ = _setup(activation, hidden)
    cache = scratch.forward(scratch.params_from_torch(model), X, activation)
    outs = hl.probe.layer_outputs(model, X)
    assert len(cache.a) == len(outs) - 1 and len(cache.z) == len(hidden) + 1
    for mine, theirs in zip(cache.a, outs[:-1], strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cache.logits, outs[-1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cache.proba[:, 0], hl.probe.predict_proba(model, X)[:, 1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation,hidden", CASES)
def test_backward_matches_autograd(activation, hidden):
    model, X, y = _setup(activation, hidden)
    params = scratch.params_from_torch(model)
    cache = scratch.forward(params, X, activation)
    grads = scratch.backward(params, cache, y)
    torch_loss, torch_grads = _torch_grads(model, X, y)
    assert scratch.loss(cache, y) == pytest.approx(torch_loss, rel=1e-12)
    assert len(grads.W) == len(params)
    for (dW, db), (tW, tb), (W, b) in zip(grads.as_params(), torch_grads, params, strict=True):
        assert dW.shape == W.shape and db.shape == b.shape
        np.testing.assert_allclose(dW, tW, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(db, tb, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation,hidden", [c for c in CASES if c[1]])
def test_backward_matches_finite_differences(activation, hidden):
    model, X, y = _setup(activation, hidden, n=5)
    params = scratch.params_from_torch(model)
    grads = scratch.backward(params, scratch.forward(params, X, activation), y)
    numeric = scratch.finite_differences(params, X, y, activation, eps=1e-6)
    for (dW, db), (nW, nb) in zip(grads.as_params(), numeric, strict=True):
        np.testing.assert_allclose(dW, nW, rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(db, nb, rtol=1e-5, atol=1e-8)


def test_intermediate_gradients_match_autograd():
    model, X, y = _setup("tanh", [4, 3])
    params = scratch.params_from_torch(model)
    cache = scratch.forward(params, X, "tanh")
    grads = scratch.backward(params, cache, y)
    Xt = torch.as_tensor(X)
    h1 = torch.tanh(model.hidden[0](Xt))
    h1.retain_grad()
    z2 = model.hidden[1](h1)
    z2.retain_grad()
    hl.train.loss_fn(model.out(torch.tanh(z2)), torch.as_tensor(y)).backward()
    np.testing.assert_allclose(grads.da[0], h1.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads.dz[1], z2.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_two_d_model_uses_its_features():
    model = hl.mlp([4, 2], activation="tanh", seed=1)
    X = hl.make_dataset("circle", n_points=20).X_train
    inputs = scratch.inputs_from_torch(model, X)
    np.testing.assert_allclose(inputs, X / 6)
    cache = scratch.forward(scratch.params_from_torch(model), inputs, model.spec["activation"])
    np.testing.assert_allclose(cache.logits, hl.probe.layer_outputs(model, X)[-1], rtol=1e-12, atol=1e-12)


def test_sgd_step_matches_torch_sgd():
    model, X, y = _setup("sigmoid", [3, 2])
    params = scratch.params_from_torch(model)
    new = scratch.sgd_step(params, scratch.backward(params, scratch.forward(params, X, "sigmoid"), y), lr=0.5)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    _torch_grads(model, X, y)
    opt.step()
    for (W, b), (tW, tb) in zip(new, scratch.params_from_torch(model), strict=True):
        np.testing.assert_allclose(W, tW, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b, tb, rtol=1e-12, atol=1e-14)
    assert scratch.loss_of(new, X, y, "sigmoid") < scratch.loss_of(params, X, y, "sigmoid")


def test_loss_is_stable_for_large_logits():
    params = [(np.array([[1000.0]]), np.array([0.0]))]
    X, y = np.array([[1.0], [-1.0]]), np.array([1, 0])
    assert scratch.loss_of(params, X, y, "tanh") == pytest.approx(0.0, abs=1e-12)
    assert scratch.loss_of(params, X, 1 - y, "tanh") == pytest.approx(1000.0)
    assert np.all(np.isfinite(scratch.sigmoid(np.array([-1e4, 0.0, 1e4]))))


def test_activation_derivatives_match_finite_differences():
    z = np.array([-2.0, -0.3, 0.4, 1.7])
    for name in scratch.ACTIVATIONS:
        numeric = (scratch.activate(z + 1e-6, name) - scratch.activate(z - 1e-6, name)) / 2e-6
        np.testing.assert_allclose(scratch.derivative(z, name), numeric, rtol=1e-6, atol=1e-9)


def test_errors_name_the_problem():
    good = [(np.ones((3, 2)), np.zeros(3)), (np.ones((1, 3)), np.zeros(1))]
    with pytest.raises(ValueError, match="activation"):
        scratch.forward(good, np.ones((4, 2)), "swish")
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        scratch.forward(good, np.ones((4, 3)))
    with pytest.raises(ValueError, match="takes 2 inputs"):
        scratch.forward([good[0], (np.ones((1, 2)), np.zeros(1))][::-1] + [good[1]], np.ones((4, 2)))
    with pytest.raises(ValueError, match="1 neuron"):
        scratch.forward(good[:1], np.ones((4, 2)))
    with pytest.raises(TypeError, match="list of \\(W, b\\) pairs"):
        scratch.forward(np.ones((3, 2)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="one label"):
        scratch.loss(scratch.forward(good, np.ones((4, 2))), [0, 1])
    with pytest.raises(TypeError, match="hlkit.models.mlp"):
        scratch.params_from_torch(hl.cnn())


def test_linear_accuracy():
    rng = np.random.default_rng(0)
    H = rng.normal(size=(200, 3))
    y = (H @ np.array([1.0, -2.0, 0.5]) + 0.3 > 0).astype(int)
    assert scratch.linear_accuracy(H, y) > 0.95
    ring = hl.make_dataset("circle", n_points=200)
    assert scratch.linear_accuracy(ring.X_train, ring.y_train) < 0.8
    with pytest.raises(ValueError, match=r"shape \(n, d\)"):
        scratch.linear_accuracy(np.ones(5), np.ones(5))


def test_trace_lists_every_value():
    params = [(np.array([[1.0, -2.0], [0.5, 1.0]]), np.array([0.0, 0.5])), (np.array([[2.0, -1.0]]), np.array([0.5]))]
    text = scratch.trace(params, [0.5, -0.25], "relu")
    assert text.splitlines()[0] == "input     x = [ 0.5000, -0.2500]"
    assert "hidden 1  z = [ 1.0000,  0.5000]   a = relu(z) = [ 1.0000,  0.5000]" in text
    assert "output    z = [ 2.0000]   p = sigmoid(z) = 0.8808" in text
    with pytest.raises(ValueError, match="one input"):
        scratch.trace(params, [[0.5, -0.25]])
