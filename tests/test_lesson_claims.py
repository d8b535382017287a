"""The headline claims of lessons 02, 04, 05, 07 and 08, re-derived here independently of the notebooks' own cells
(own loops, own formulas), so a change in hlkit that breaks a lesson's argument fails a test, not only nbval."""

import dataclasses

import numpy as np
import pytest
import torch

import hlkit as hl


def trained_circle_net():
    circle = hl.make_dataset("circle", n_points=300, noise=0.0, seed=0)
    net = hl.mlp([4, 2], activation="tanh", seed=0)
    hl.train.train(net, circle, epochs=300, lr=0.03, seed=0)
    return circle, net


def logits_of(net, X):
    with torch.no_grad():
        return net(torch.as_tensor(X))[:, 0].numpy()


def test_l07_gradient_x_input_is_not_complete_on_the_tanh_net_but_integrated_gradients_are():
    circle, net = trained_circle_net()
    X = torch.tensor(circle.X_test, requires_grad=True)
    net(X)[:, 0].sum().backward()
    gxi_sum = (X.grad * X).sum(dim=1).detach().numpy()                      # gradient x input by hand
    logit = logits_of(net, circle.X_test)
    assert np.corrcoef(gxi_sum, logit)[0, 1] < 0.5                           # lesson: 0.32
    assert np.mean(np.sign(gxi_sum) == np.sign(logit)) < 0.6                 # lesson: 53 %
    # integrated gradients by an own Riemann sum (left rule, many steps) against the baseline (0, 0)
    steps, x = 400, torch.tensor(circle.X_test)
    total = torch.zeros_like(x)
    for a in np.arange(steps) / steps:
        point = (a * x).requires_grad_(True)
        net(point)[:, 0].sum().backward()
        total += point.grad
    ig = (x * total / steps).numpy()
    want = logit - logits_of(net, np.zeros((1, 2)))[0]
    assert np.abs(ig.sum(axis=1) - want).max() < 0.05
    np.testing.assert_allclose(hl.explain.integrated_gradients(net, circle.X_test, steps=128).sum(axis=1), want, atol=0.01)


def test_l04_depth_has_no_advantage_over_width_once_each_is_tuned():
    spiral = hl.make_dataset("spiral", seed=0)
    split = hl.sweep.validation_split(spiral, val_ratio=0.3, seed=0)
    seeds, rates = (0, 1, 2), (0.01, 0.03)

    def accuracies(hidden, data, lr, epochs):
        runs = []
        for s in seeds:
            h = hl.train.train(hl.mlp(hidden, seed=s), data, epochs=epochs, lr=lr, seed=s, report_every=epochs)
            runs.append((h.train_acc[-1], h.test_acc[-1]))
        return np.array(runs)                                                 # (seeds, [train, test])

    # the lesson's first, shared budget leaves the wide net unfinished on its own training points
    assert accuracies([64], spiral, 0.03, 400)[:, 0].min() < 0.98
    test_mean = {}
    for hidden in ([64], [8, 8]):
        best = max(rates, key=lambda lr: accuracies(hidden, split, lr, 1000)[:, 1].mean())   # tuned on validation
        final = accuracies(hidden, spiral, best, 1000)
        assert final[:, 0].min() >= 0.98                                      # converged
        test_mean[str(hidden)] = final[:, 1].mean()
    assert min(test_mean.values()) >= 0.95
    assert test_mean["[64]"] >= test_mean["[8, 8]"] - 0.01                    # no depth advantage after tuning


def test_l05_variance_across_resampled_training_sets_grows_with_size_and_the_test_loss_with_it():
    pool = hl.make_dataset("circle", n_points=2000, noise=0.3, train_ratio=0.5, seed=0)
    probs, losses = {}, {}
    for hidden in ([4], [16, 16]):
        p, loss = [], []
        for f in range(5):
            part = hl.sweep.subsample(pool, 100, seed=f)
            model = hl.mlp(hidden, seed=f)
            loss.append(hl.train.train(model, part, epochs=500, lr=0.03, seed=f, report_every=500).test_loss[-1])
            p.append(hl.probe.predict_proba(model, pool.X_test)[:, 1])
        probs[str(hidden)], losses[str(hidden)] = np.array(p), np.mean(loss)
    variance = {k: v.var(axis=0).mean() for k, v in probs.items()}
    assert variance["[16, 16]"] > 1.8 * variance["[4]"]
    assert losses["[16, 16]"] > 1.8 * losses["[4]"]


def test_l05_early_stopped_on_validation_points_the_large_network_has_no_extra_variance_nor_test_loss():
    # lesson 05 §3: the U (variance, test loss) of its 500-epoch budget goes away when each fit stops on its own
    # 50 validation points (other points of the pool's training set), re-derived without hl.sweep
    pool = hl.make_dataset("circle", n_points=2000, noise=0.3, train_ratio=0.5, seed=0)
    probs, losses = {}, {}
    for hidden in ([4], [16, 16]):
        p, loss = [], []
        for f in range(5):
            order = np.random.default_rng(f).permutation(len(pool.y_train))
            fit, val = np.sort(order[:100]), order[100:150]
            part = hl.data.Dataset(pool.X_train[fit], pool.y_train[fit], pool.X_train[val], pool.y_train[val], 2, "v")
            model = hl.mlp(hidden, seed=f)
            assert hl.train.train(model, part, epochs=2000, lr=0.03, seed=f, patience=50).status == "early_stopped"
            loss.append(hl.train.evaluate(model, pool.X_test, pool.y_test)[0])
            p.append(hl.probe.predict_proba(model, pool.X_test)[:, 1])
        probs[str(hidden)], losses[str(hidden)] = np.array(p), np.mean(loss)
    variance = {k: v.var(axis=0).mean() for k, v in probs.items()}
    assert variance["[16, 16]"] < 1.5 * variance["[4]"]
    assert losses["[16, 16]"] < 1.2 * losses["[4]"]

def test_l08_distillation_step_follows_the_t_squared_soft_cross_entropy_formula():
    # a student without hidden layer: logits = x W^T + b, so the gradient has a closed form in numpy
    digits = hl.load_digits()
    data = dataclasses.replace(digits, X_train=digits.X_train[:40].reshape(40, 64), y_train=digits.y_train[:40],
                               X_test=digits.X_test[:5].reshape(5, 64), y_test=digits.y_test[:5])
    teacher = hl.mlp([6], n_inputs=64, n_classes=10, seed=3)
    student = hl.mlp([], n_inputs=64, n_classes=10, seed=4)
    W0, b0 = (p.detach().numpy().copy() for p in (student.out.weight, student.out.bias))
    T, lr = 2.5, 0.05
    hl.compress.distill(student, teacher, data, temperature=T, epochs=1, lr=lr, optimizer="sgd")

    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    X = data.X_train
    with torch.no_grad():
        p = softmax(teacher(torch.as_tensor(X)).numpy() / T)                   # teacher's soft targets
    q = softmax((X @ W0.T + b0) / T)
    dz = T ** 2 * (q - p) / T / len(X)                                         # d[T² CE(p, softmax(z/T))] / dz
    np.testing.assert_allclose(student.out.weight.detach().numpy(), W0 - lr * dz.T @ X, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(student.out.bias.detach().numpy(), b0 - lr * dz.sum(axis=0), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("hidden", [[64], [32, 32, 32]])
def test_l08_four_bit_weights_are_about_7x_smaller_than_float32_and_twice_that_against_float64(hidden):
    model = hl.mlp(hidden, n_inputs=64, n_classes=10, activation="relu")
    sizes = [64, *hidden, 10]
    n_w = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    n_b = sum(sizes[1:])
    four_bit = -(-n_w * 4 // 8) + 4 * (n_b + len(sizes) - 1)                 # weights at 4 bits, biases+ranges float32
    assert hl.compress.storage_bytes(model, 32) / hl.compress.storage_bytes(model, 4) == 4 * (n_w + n_b) / four_bit
    assert 6.5 < 4 * (n_w + n_b) / four_bit < 8 and hl.compress.storage_bytes(model, 64) == 8 * (n_w + n_b)


def test_l02_softmax_ignores_a_shift_and_torch_cross_entropy_takes_logits():
    """Lesson 02 §7: softmax(z + c) = softmax(z) (also where e^z overflows), cross_entropy(logits) = -log softmax_y,
    the probabilities given instead are another number, the sigmoid is the softmax of (0, z), and hlkit's training
    loss for 10 classes is this cross-entropy averaged over the points."""
    rng = np.random.default_rng(2)
    z, y = rng.normal(size=(50, 10)) * 3, rng.integers(0, 10, size=50)
    log_p = torch.log_softmax(torch.as_tensor(z), dim=1).numpy()
    for c in (-700.0, 5.0, 1000.0):
        np.testing.assert_allclose(torch.log_softmax(torch.as_tensor(z + c), dim=1).numpy(), log_p, atol=1e-10)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(np.log(e / e.sum(axis=1, keepdims=True)), log_p, atol=1e-12)
    ce = float(torch.nn.functional.cross_entropy(torch.as_tensor(z), torch.as_tensor(y)))
    assert abs(ce - -log_p[np.arange(50), y].mean()) < 1e-12
    twice = float(torch.nn.functional.cross_entropy(torch.as_tensor(np.exp(log_p)), torch.as_tensor(y)))
    assert abs(twice - ce) > 0.1
    two = torch.softmax(torch.as_tensor(np.column_stack([np.zeros(50), z[:, 0]])), dim=1).numpy()[:, 1]
    np.testing.assert_allclose(two, 1 / (1 + np.exp(-z[:, 0])), atol=1e-15)
    digits = hl.load_digits()
    model = hl.mlp([8], n_inputs=64, n_classes=10, seed=0)
    X = digits.X_test.reshape(-1, 64)
    with torch.no_grad():
        logits = model(torch.as_tensor(X)).numpy()
    lz = logits - logits.max(axis=1, keepdims=True)
    mine = -(lz[np.arange(len(X)), digits.y_test] - np.log(np.exp(lz).sum(axis=1))).mean()
    assert abs(hl.train.evaluate(model, X, digits.y_test)[0] - mine) < 1e-10
