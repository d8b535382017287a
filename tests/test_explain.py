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


def test_saliency_of_a_linear_model_is_each_inputs_share_of_the_logit():
    model = linear_model()
    s = explain.saliency(model, X2)
    assert s.shape == X2.shape
    np.testing.assert_allclose(s, X2 * np.array([2.0, -1.0]) / 6)
    np.testing.assert_allclose(s.sum(axis=1), explain.scores(model, X2))


def test_saliency_matches_autograd_for_a_cnn_and_a_chosen_class():
    model = hl.cnn(seed=1)
    X = np.random.default_rng(0).random((3, 1, 8, 8))
    s = explain.saliency(model, X, target=[1, 2, 3])
    assert s.shape == X.shape
    x = torch.tensor(X, requires_grad=True)
    model(x)[torch.arange(3), torch.tensor([1, 2, 3])].sum().backward()
    np.testing.assert_allclose(s, (x.grad * x).detach().numpy())
    assert model.training   # the model's mode is left as it was


def test_target_defaults_to_the_predicted_class_and_is_checked():
    model = hl.mlp([5], n_inputs=4, n_classes=3, seed=2)
    X = np.random.default_rng(1).normal(size=(6, 4))
    predicted = hl.probe.predict_proba(model, X).argmax(axis=1)
    np.testing.assert_allclose(explain.saliency(model, X), explain.saliency(model, X, target=predicted))
    with pytest.raises(ValueError, match="target"):
        explain.saliency(model, X, target=3)
    with pytest.raises(ValueError, match="shape"):
        explain.saliency(model, X[0])


def test_occlusion_of_vectors_equals_saliency_for_a_linear_model():
    model = linear_model()
    np.testing.assert_allclose(explain.occlusion(model, X2), explain.saliency(model, X2))


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
    np.testing.assert_allclose(r, explain.saliency(model, X), atol=1e-12)
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
