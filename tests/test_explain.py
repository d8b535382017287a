"""hlkit.explain: attributions checked against cases where the right answer is known exactly."""

import numpy as np
import pytest
import torch

import hlkit as hl
from hlkit import explain


def linear_model():
    # no hidden layer and zero biases (hlkit's init): logit = w . x / 6, so every method must give w_i x_i / 6
    model = hl.mlp([], seed=3)
    with torch.no_grad():
        model.out.weight.copy_(torch.tensor([[2.0, -1.0]], dtype=torch.float64))
    return model


X2 = np.array([[1.0, 2.0], [-3.0, 0.5], [4.0, -6.0]])


def test_gradient_x_input_of_a_linear_model_is_each_inputs_share_of_the_logit():
    model = linear_model()
    s = explain.gradient_x_input(model, X2)
    assert s.shape == X2.shape
    np.testing.assert_allclose(s, X2 * np.array([2.0, -1.0]) / 6)
    np.testing.assert_allclose(s.sum(axis=1), explain.scores(model, X2))


def test_gradient_x_input_matches_autograd_for_a_cnn_and_a_chosen_class():
    model = hl.cnn(seed=1)
    X = np.random.default_rng(0).random((3, 1, 8, 8))
    s = explain.gradient_x_input(model, X, target=[1, 2, 3])
    assert s.shape == X.shape
    x = torch.tensor(X, requires_grad=True)
    model(x)[torch.arange(3), torch.tensor([1, 2, 3])].sum().backward()
    np.testing.assert_allclose(s, (x.grad * x).detach().numpy())
    assert model.training   # the model's mode is left as it was


def test_gradient_is_the_saliency_map_and_gradient_x_input_is_its_product_with_the_input():
    model = hl.mlp([5], activation="tanh", seed=2)
    X = np.random.default_rng(1).normal(size=(4, 2))
    g = explain.gradient(model, X)
    h = 1e-6
    for j in range(2):   # central finite differences of the score
        step = np.zeros(2)
        step[j] = h
        fd = (explain.scores(model, X + step) - explain.scores(model, X - step)) / (2 * h)
        np.testing.assert_allclose(g[:, j], fd, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(explain.gradient_x_input(model, X), g * X)
    assert not hasattr(explain, "saliency")   # the old name mixed the two up: gone


def tanh_net():
    model = hl.mlp([6, 3], activation="tanh", seed=4)
    with torch.no_grad():   # biases away from 0, so score(0) != 0 and the network is not linear
        for layer in [*model.hidden, model.out]:
            layer.bias.copy_(torch.linspace(-1, 1, layer.bias.numel(), dtype=torch.float64))
    return model


def test_gradient_x_input_is_complete_only_without_biases_for_relu():
    X = np.random.default_rng(2).normal(size=(20, 2)) * 3
    relu = hl.mlp([8, 8], activation="relu", seed=5)
    with torch.no_grad():
        for layer in [*relu.hidden, relu.out]:
            layer.bias.zero_()
    np.testing.assert_allclose(explain.gradient_x_input(relu, X).sum(axis=1), explain.scores(relu, X), atol=1e-12)
    model = tanh_net()
    assert np.abs(explain.gradient_x_input(model, X).sum(axis=1) - explain.scores(model, X)).max() > 0.1


@pytest.mark.parametrize("baseline", [0.0, np.array([1.5, -2.0])])
def test_integrated_gradients_add_up_to_the_score_difference_and_converge(baseline):
    model = tanh_net()
    X = np.random.default_rng(3).normal(size=(10, 2)) * 3
    want = explain.scores(model, X) - explain.scores(model, np.broadcast_to(baseline, (1, 2)).copy())[0]
    gaps = [np.abs(explain.integrated_gradients(model, X, baseline=baseline, steps=s).sum(axis=1) - want).max()
            for s in (4, 16, 64)]
    assert gaps[2] < gaps[1] < gaps[0] and gaps[2] < 1e-3   # midpoint rule: error falls ~16x per 4x steps
    # an independent sum along the path, by autograd, for one point
    x, b = torch.tensor(X[:1]), torch.as_tensor(np.broadcast_to(baseline, (2,)).copy())
    alphas = (torch.arange(64, dtype=torch.float64) + 0.5) / 64
    path = (b + alphas[:, None] * (x - b)).requires_grad_(True)
    model(path)[:, 0].sum().backward()
    np.testing.assert_allclose(explain.integrated_gradients(model, X[:1], baseline=baseline, steps=64)[0],
                               ((x - b) * path.grad.mean(dim=0))[0].numpy(), rtol=1e-10)


def test_integrated_gradients_of_a_linear_model_equal_gradient_x_input_at_baseline_0_and_check_the_baseline():
    model = linear_model()
    np.testing.assert_allclose(explain.integrated_gradients(model, X2, steps=1), explain.gradient_x_input(model, X2))
    with pytest.raises(ValueError, match="baseline must be a number or an array of shape \\(2,\\)"):
        explain.integrated_gradients(model, X2, baseline=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="steps must be"):
        explain.integrated_gradients(model, X2, steps=0)


def test_target_defaults_to_the_predicted_class_and_is_checked():
    model = hl.mlp([5], n_inputs=4, n_classes=3, seed=2)
    X = np.random.default_rng(1).normal(size=(6, 4))
    predicted = hl.probe.predict_proba(model, X).argmax(axis=1)
    np.testing.assert_allclose(explain.gradient_x_input(model, X), explain.gradient_x_input(model, X, target=predicted))
    with pytest.raises(ValueError, match="target"):
        explain.gradient_x_input(model, X, target=3)
    with pytest.raises(ValueError, match="shape"):
        explain.gradient_x_input(model, X[0])


def test_occlusion_of_vectors_equals_gradient_x_input_for_a_linear_model():
    model = linear_model()
    np.testing.assert_allclose(explain.occlusion(model, X2), explain.gradient_x_input(model, X2))


def test_occlusion_of_images_averages_the_drop_of_each_covering_patch():
    model = hl.cnn(seed=4)
    X = np.random.default_rng(2).random((2, 1, 8, 8))
    occ = explain.occlusion(model, X, patch=1)
    assert occ.shape == (2, 8, 8)
    covered = X.copy()
    covered[:, :, 3, 5] = 0.0
    t = explain.scores(model, X)
    target = hl.probe.predict_proba(model, X).argmax(axis=1)
    np.testing.assert_allclose(occ[:, 3, 5], t - explain.scores(model, covered, target=target))
    assert explain.occlusion(model, X, patch=3).shape == (2, 8, 8)
    with pytest.raises(ValueError, match="patch"):
        explain.occlusion(model, X, patch=9)


def test_lrp_conserves_the_logit_when_biases_are_zero_and_equals_gradient_times_input_for_relu():
    # an untrained hlkit MLP has zero biases: relevance is conserved exactly, and for ReLU LRP-0 = gradient x input
    model = hl.mlp([6, 5], n_inputs=4, n_classes=3, activation="relu", seed=5)
    X = np.random.default_rng(3).normal(size=(7, 4))
    r = explain.lrp(model, X, epsilon=0.0)
    assert r.shape == (7, 4)
    np.testing.assert_allclose(r.sum(axis=1), explain.scores(model, X), atol=1e-12)
    np.testing.assert_allclose(r, explain.gradient_x_input(model, X), atol=1e-12)
    np.testing.assert_allclose(explain.lrp_bias_share(model, X, epsilon=0.0), 0.0, atol=1e-12)


def test_lrp_with_biases_keeps_a_share_and_the_shares_add_up():
    model = hl.mlp([4], seed=6)
    with torch.no_grad():
        model.hidden[0].bias.fill_(0.3)
        model.out.bias.fill_(-0.2)
    r = explain.lrp(model, X2, epsilon=0.01)
    kept = explain.lrp_bias_share(model, X2, epsilon=0.01)
    assert r.shape == (3, 2)
    assert np.abs(kept).max() > 1e-3
    np.testing.assert_allclose(r.sum(axis=1) + kept, explain.scores(model, X2))


def test_lrp_epsilon_on_one_relu_layer_is_gradient_x_input_with_each_neuron_damped_by_z_over_z_plus_epsilon():
    # lesson 07 section 4 explains epsilon this way: rebuilt here with numpy from the weights, biases included
    model = hl.mlp([5], n_inputs=4, n_classes=3, activation="relu", seed=2)
    with torch.no_grad():
        model.hidden[0].bias.copy_(torch.tensor([0.4, -0.3, 0.2, 0.0, -0.1]))
        model.out.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    X = np.random.default_rng(4).normal(size=(6, 4))
    W1, b1 = model.hidden[0].weight.detach().numpy(), model.hidden[0].bias.detach().numpy()
    W2, b2 = model.out.weight.detach().numpy(), model.out.bias.detach().numpy()
    z = X @ W1.T + b1
    logits = np.maximum(z, 0) @ W2.T + b2
    top = logits.argmax(axis=1)
    s = logits[np.arange(6), top]
    for eps in (0.0, 0.05, 2.0):
        damp = np.where(z > 0, z / (z + eps), 0.0)
        want = X * ((damp * W2[top]) @ W1) * (s / (s + eps * np.where(s >= 0, 1.0, -1.0)))[:, None]
        np.testing.assert_allclose(explain.lrp(model, X, epsilon=eps), want, atol=1e-12)
    shares = [np.median(explain.lrp(model, X, epsilon=e).sum(axis=1) / s) for e in (0.01, 0.1, 1.0)]
    assert shares[0] > shares[1] > shares[2]                      # a larger epsilon keeps more of the score


def test_attributions_of_a_small_model_run_on_one_torch_thread():
    # with two threads on a busy 2-core machine, occlusion's many tiny forward passes ran ~70x slower
    seen = []

    class Recorder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(3, 2).double()

        def forward(self, x):
            seen.append(torch.get_num_threads())
            return self.linear(x)

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        model, X = Recorder(), np.ones((2, 3))
        for run in (explain.scores, explain.gradient, explain.gradient_x_input, explain.occlusion,
                    explain.integrated_gradients):
            seen.clear()
            run(model, X)
            assert seen and set(seen) == {1}, run.__name__
        assert torch.get_num_threads() == 2                        # restored afterwards
    finally:
        torch.set_num_threads(before)


def test_lrp_refuses_a_cnn_and_a_negative_epsilon():
    with pytest.raises(TypeError, match="MLP"):
        explain.lrp(hl.cnn(), np.zeros((1, 1, 8, 8)))
    with pytest.raises(ValueError, match="epsilon"):
        explain.lrp(hl.mlp(), X2, epsilon=-1.0)


def test_point_attributions_plot_holds_one_panel_per_input_with_signed_colours():
    A = np.array([[1.0, -2.0], [0.5, 0.0], [-100.0, 3.0]])
    fig = hl.viz.point_attributions(X2, A)
    assert len(fig.data) == 2
    np.testing.assert_allclose(fig.data[0].marker.color, A[:, 0])
    np.testing.assert_allclose(fig.data[1].x, X2[:, 0])
    span = np.quantile(np.abs(A), 0.95)   # an extreme value saturates instead of washing out the others
    assert fig.data[0].marker.cmin == pytest.approx(-span) and fig.data[0].marker.cmax == pytest.approx(span)


def test_feature_maps_plot_has_the_input_and_every_map():
    model = hl.cnn(seed=0)
    image = hl.load_digits().X_test[0]
    maps = hl.probe.feature_maps(model, image)
    fig = hl.viz.feature_maps(image[0], maps)
    assert len(fig.data) == 1 + 8 + 16
    np.testing.assert_allclose(fig.data[0].z, np.round(image[0][::-1], 3))
    np.testing.assert_allclose(fig.data[1 + 8].z, np.round(maps[1][0][::-1], 3))


def test_maximize_raises_the_chosen_unit_within_the_range_and_checks_its_arguments():
    model = hl.mlp([6], n_inputs=5, n_classes=3, activation="relu", seed=0)
    start = explain.maximize(model, (5,), unit=2, steps=1, lr=1e-9)          # (almost) the faint random start
    best = explain.maximize(model, (5,), unit=2, steps=150, lr=0.05, l2=0.0)
    assert best.shape == (5,) and best.min() >= 0.0 and best.max() <= 1.0
    assert explain.scores(model, best[None], target=2)[0] > explain.scores(model, start[None], target=2)[0] + 0.1
    # with l2 = 0 and a linear score in a box, the optimum is a corner: each input at 0 or 1 by the weight's sign
    linear = hl.mlp([], n_inputs=4, n_classes=3, seed=1)
    corner = explain.maximize(linear, (4,), unit=[0, 1], steps=300, lr=0.05, l2=0.0)
    w = linear.out.weight.detach().numpy()[:2]
    np.testing.assert_allclose(corner, (w > 0).astype(float), atol=1e-6)
    hidden = explain.maximize(model, (5,), layer=1, unit=[0, 5], steps=2)
    assert hidden.shape == (2, 5)
    with pytest.raises(ValueError, match="unit must be from 0 to 2 for layer -1"):
        explain.maximize(model, (5,), unit=3, steps=1)
    with pytest.raises(ValueError, match="layer must be from -3 to 2"):
        explain.maximize(model, (5,), layer=3, steps=1)
