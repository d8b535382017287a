"""hlkit.compress: pruning and quantization return copies with the promised weights; distillation trains."""

import copy
import dataclasses

import numpy as np
import pytest
import torch

import hlkit as hl
from hlkit import compress


def weight_arrays(model):
    return [p.detach().numpy().copy() for n, p in model.named_parameters() if n.endswith("weight")]


def test_global_pruning_removes_the_smallest_weights_of_a_copy():
    model = hl.mlp([8, 6], seed=1)
    before = weight_arrays(model)
    pruned, removed = compress.prune(model, 0.5)
    assert removed == pytest.approx(0.5, abs=1 / compress.n_weights(model))
    for w, w0 in zip(weight_arrays(model), before, strict=True):
        np.testing.assert_array_equal(w, w0)   # the original is untouched
    after = np.concatenate([w.ravel() for w in weight_arrays(pruned)])
    original = np.concatenate([w.ravel() for w in before])
    kept = after != 0
    assert np.abs(original[kept]).min() >= np.abs(original[~kept]).max()
    np.testing.assert_array_equal(after[kept], original[kept])
    assert compress.sparsity(pruned) == removed


def test_layer_pruning_removes_the_same_share_in_every_layer():
    model = hl.cnn(seed=2)
    pruned, removed = compress.prune(model, 0.3, scope="layer")
    for w in weight_arrays(pruned):
        assert (w == 0).mean() == pytest.approx(0.3, abs=1 / w.size)
    assert 0.29 < removed < 0.31
    for n, p in pruned.named_parameters():
        if n.endswith("bias"):
            np.testing.assert_array_equal(p.detach().numpy(), dict(model.named_parameters())[n].detach().numpy())


def test_pruning_extremes_and_errors():
    model = hl.mlp([4], seed=0)
    assert compress.prune(model, 0.0).removed == 0.0
    assert compress.prune(model, 1.0).removed == 1.0
    with pytest.raises(ValueError, match="fraction"):
        compress.prune(model, 1.5)
    with pytest.raises(ValueError, match="scope"):
        compress.prune(model, 0.5, scope="neuron")


def test_quantize_array_uses_evenly_spaced_levels_within_half_a_step():
    values = np.random.default_rng(0).normal(size=500)
    m = np.abs(values).max()
    for bits in (1, 2, 3, 8):
        q = compress.quantize_array(values, bits)
        step = 2 * m / (2 ** bits - 1)
        assert len(np.unique(q)) <= 2 ** bits
        assert np.abs(q - values).max() <= step / 2 + 1e-12
        assert np.abs(q).max() == pytest.approx(m)
    assert set(np.round(compress.quantize_array(values, 1), 12)) == {round(-m, 12), round(m, 12)}
    with pytest.raises(ValueError, match="bits"):
        compress.quantize_array(values, 0)


def test_quantize_model_returns_a_copy_with_few_distinct_weights():
    model = hl.mlp([16, 8], n_inputs=5, n_classes=3, seed=3)
    before = weight_arrays(model)
    q = compress.quantize(model, 2)
    for w, w0 in zip(weight_arrays(q), before, strict=True):
        assert len(np.unique(w)) <= 4
        assert not np.array_equal(w, w0)
    for w, w0 in zip(weight_arrays(model), before, strict=True):
        np.testing.assert_array_equal(w, w0)
    assert q.out.weight.dtype == torch.float64


def test_storage_bytes_counts_bits_per_weight():
    model = hl.mlp([4], seed=0)   # 2*4 + 4*1 = 12 weights, 4 + 1 = 5 biases, 2 weight tensors
    assert compress.storage_bytes(model) == 8 * hl.n_params(model)
    assert compress.storage_bytes(model, 32) == 4 * hl.n_params(model)   # float32: every parameter at 4 bytes
    with pytest.raises(ValueError, match="bits must be 1 to 16 \\(quantized weights\\) or 32 or 64"):
        compress.storage_bytes(model, 24)
    assert compress.storage_bytes(model, 8) == 12 + 4 * (5 + 2)
    assert compress.storage_bytes(model, 1) == 2 + 4 * (5 + 2)


def test_distill_trains_a_student_to_agree_with_its_teacher():
    data = hl.make_dataset("circle", n_points=300, seed=1)
    teacher = hl.mlp([8, 8], seed=0)
    hl.train.train(teacher, data, epochs=150, lr=0.03)
    student = hl.mlp([3], seed=1)
    history = compress.distill(student, teacher, data, temperature=2.0, epochs=150, lr=0.03)
    assert isinstance(history, hl.train.History) and history.status == "done"
    def predicted(model):
        return hl.probe.predict_proba(model, data.X_test).argmax(1)

    agree = predicted(student) == predicted(teacher)
    assert agree.mean() > 0.85
    assert history.test_acc[-1] == pytest.approx(hl.train.evaluate(student, data.X_test, data.y_test)[1])


def test_distill_flattens_images_for_an_mlp_student():
    data = hl.load_digits()
    teacher = hl.cnn(seed=0)
    student = hl.mlp([4], n_inputs=64, n_classes=10, seed=0)
    history = compress.distill(student, teacher, data, epochs=1, batch_size=256)
    assert len(history.epoch) == 2
    mlp_teacher = hl.mlp([8], n_inputs=64, n_classes=10, seed=1)      # an MLP teacher gets flat images too
    assert compress.distill(hl.cnn(channels=[2]), mlp_teacher, data, epochs=1, batch_size=256).status == "done"
    with pytest.raises(ValueError, match="temperature"):
        compress.distill(student, teacher, data, temperature=0)


def test_distill_minimises_t_squared_times_the_soft_cross_entropy_at_temperature_t():
    # one SGD step of distill against the formula: grad of T^2 * CE(softmax(z_t/T), softmax(z_s/T)) by autograd
    data = hl.load_digits()
    data = dataclasses.replace(data, X_train=data.X_train[:32].reshape(32, 64), y_train=data.y_train[:32],
                               X_test=data.X_test[:8].reshape(8, 64), y_test=data.y_test[:8])
    teacher = hl.mlp([8], n_inputs=64, n_classes=10, seed=1)
    T, lr = 3.0, 0.1
    student = hl.mlp([5], n_inputs=64, n_classes=10, seed=2)
    reference = copy.deepcopy(student)
    compress.distill(student, teacher, data, temperature=T, epochs=1, lr=lr, optimizer="sgd")
    X = torch.as_tensor(data.X_train)
    with torch.no_grad():
        p = torch.softmax(teacher(X) / T, dim=1)
    loss = T ** 2 * -(p * torch.log_softmax(reference(X) / T, dim=1)).sum(dim=1).mean()
    loss.backward()
    for after, before in zip(student.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(after.detach(), (before - lr * before.grad).detach(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(compress.soft_targets(teacher, data.X_train, temperature=T), p.numpy(), rtol=1e-12)


def test_early_exit_counts_the_layers_and_heads_each_input_uses():
    data = hl.load_digits()
    flat = dataclasses.replace(data, X_train=data.X_train.reshape(-1, 64), X_test=data.X_test.reshape(-1, 64))
    model = hl.mlp([8, 6, 5], n_inputs=64, n_classes=10, activation="relu", seed=0)
    hl.train.train(model, flat, epochs=3, lr=0.01, batch_size=64)
    heads = compress.exit_heads(model, flat, epochs=3, lr=0.01, batch_size=64)
    assert [h.out.in_features for h in heads] == [8, 6]
    full = 64 * 8 + 8 * 6 + 6 * 5 + 5 * 10
    never = compress.early_exit(model, heads, flat.X_test, threshold=1.0)
    plain = hl.probe.predict_proba(model, flat.X_test).argmax(axis=1)
    assert never.full_cost == full
    stayed = never.exit_layer == 3
    np.testing.assert_array_equal(never.predicted[stayed], plain[stayed])
    np.testing.assert_array_equal(never.cost[stayed], full + 8 * 10 + 6 * 10)   # the whole model plus both heads
    first = compress.early_exit(model, heads, flat.X_test, threshold=0.0)    # everything leaves at the first exit
    assert np.all(first.exit_layer == 1) and np.all(first.cost == 64 * 8 + 8 * 10)
    H1 = hl.probe.layer_outputs(model, flat.X_test)[1]
    np.testing.assert_array_equal(first.predicted, hl.probe.predict_proba(heads[0], H1).argmax(axis=1))
    mid = compress.early_exit(model, heads, flat.X_test, threshold=0.9)
    assert np.all(np.isin(mid.cost, [64 * 8 + 80, 64 * 8 + 80 + 48 + 60, full + 140]))
    with pytest.raises(ValueError, match="heads must hold one head per hidden layer"):
        compress.early_exit(model, heads[:1], flat.X_test, threshold=0.5)
    with pytest.raises(TypeError, match="at least 2 hidden layers"):
        compress.exit_heads(hl.mlp([4], n_inputs=64, n_classes=10), flat)


def test_prune_array_removes_exactly_the_share_of_smallest_magnitudes_of_a_copy():
    values = np.array([[0.3, -0.3, 0.3, 0.9], [-0.3, 0.1, 2.0, -0.5]])   # four entries tie at the cut-off
    before = values.copy()
    for fraction, zeros in [(0.0, 0), (0.25, 2), (0.5, 4), (1.0, 8)]:
        out = compress.prune_array(values, fraction)
        assert out.shape == values.shape and out.dtype == np.float64 and int((out == 0).sum()) == zeros
        kept = out != 0
        np.testing.assert_array_equal(out[kept], values[kept])
        if 0 < zeros < values.size:
            assert np.abs(values[kept]).min() >= np.abs(values[~kept]).max()
    np.testing.assert_array_equal(values, before)
    assert compress.prune_array(values, 0.25)[0, 0] == 0.0   # ties: the earlier entry in flat order goes first
    with pytest.raises(ValueError, match="fraction"):
        compress.prune_array(values, -0.1)


def test_map_weights_applies_an_array_function_per_layer_or_globally():
    model = hl.mlp([8, 6], seed=4)
    for scope in ("global", "layer"):
        mapped = compress.map_weights(model, lambda w: compress.prune_array(w, 0.4), scope=scope)
        for a, b in zip(weight_arrays(mapped), weight_arrays(compress.prune(model, 0.4, scope=scope).model), strict=True):
            np.testing.assert_array_equal(a, b)
    seen = []
    compress.map_weights(model, lambda w: seen.append(w.shape) or w, scope="global")
    assert seen == [(compress.n_weights(model),)]
    doubled = compress.map_weights(model, lambda w: 2 * w)
    for a, b in zip(weight_arrays(doubled), weight_arrays(model), strict=True):
        np.testing.assert_array_equal(a, 2 * b)
    np.testing.assert_array_equal(doubled.out.bias.detach().numpy(), model.out.bias.detach().numpy())   # biases kept
    with pytest.raises(ValueError, match="same shape|shape it was given"):
        compress.map_weights(model, lambda w: w.ravel()[:3])
    with pytest.raises(TypeError, match="function"):
        compress.map_weights(model, "prune")
    with pytest.raises(ValueError, match="scope"):
        compress.map_weights(model, lambda w: w, scope="neuron")


def test_quantize_array_leaves_its_input_and_keeps_zeros():
    values = np.random.default_rng(1).normal(size=(3, 4))
    before = values.copy()
    compress.quantize_array(values, 3)
    np.testing.assert_array_equal(values, before)
    zeros = compress.quantize_array(np.zeros((2, 2)), 4)
    assert zeros.dtype == np.float64 and not zeros.any()
