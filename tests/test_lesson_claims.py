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


def test_l07_method_agreement_comes_from_the_relu_architecture_not_from_training():
    """Lesson 07 §3: occlusion and LRP (epsilon 0.1) follow gradient x input on a one-hidden-layer ReLU digit net,
    trained or not; on a tanh net LRP follows it less. All three maps computed here with numpy from the weights."""
    digits = hl.load_digits()
    flat = dataclasses.replace(digits, X_train=digits.X_train.reshape(-1, 64), X_test=digits.X_test.reshape(-1, 64))
    X = flat.X_test[:120]

    def maps(net, act):
        W1, b1, W2, b2 = (t.detach().numpy() for t in (net.hidden[0].weight, net.hidden[0].bias, net.out.weight,
                                                       net.out.bias))
        logits = lambda x: act(x @ W1.T + b1) @ W2.T + b2                         # noqa: E731
        k = logits(X).argmax(axis=1)
        rows = np.arange(len(X))
        z = X @ W1.T + b1
        slope = (z > 0).astype(float) if act is relu else 1 - np.tanh(z) ** 2
        gxi = X * ((slope * W2[k]) @ W1)                                          # d logit_k / dx, times x
        occ = np.stack([logits(X)[rows, k] - logits(np.where(np.arange(64) == j, 0.0, X))[rows, k]
                        for j in range(64)], axis=1)
        s, a, eps = logits(X)[rows, k], act(z), 0.1
        r_hidden = a * W2[k] * (s / (s + eps * np.where(s >= 0, 1.0, -1.0)))[:, None]
        lrp = X * ((r_hidden / (z + eps * np.where(z >= 0, 1.0, -1.0))) @ W1)     # epsilon rule, layer by layer
        return [np.corrcoef(gxi.ravel(), m.ravel())[0, 1] for m in (occ, lrp)]

    relu = lambda z: np.maximum(z, 0.0)                                           # noqa: E731
    nets = {}
    for name in ("relu", "tanh"):
        nets[name] = hl.mlp([32], n_inputs=64, n_classes=10, activation=name, seed=1)
        hl.train.train(nets[name], flat, epochs=20, lr=0.01, batch_size=64, seed=1, report_every=20)
    untrained = hl.mlp([32], n_inputs=64, n_classes=10, activation="relu", seed=11)
    trained_relu, untrained_relu = maps(nets["relu"], relu), maps(untrained, relu)
    occ_tanh, lrp_tanh = maps(nets["tanh"], np.tanh)
    assert min(trained_relu) > 0.97 and min(untrained_relu) > 0.9               # lesson: 0.976+ and 0.929+
    assert occ_tanh > 0.95 and lrp_tanh < 0.9 < min(trained_relu)               # lesson: 0.955+, 0.886-0.891


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


def test_l02_layer_two_of_a_batch_is_the_previous_activations_times_w_transposed_plus_b():
    """Lesson 02 §3 / exercise 2: with inputs as rows, hidden layer 2's weighted sums are A1 W2^T + b2, row by row what
    the one-input steps give, and what hl.scratch.forward caches; feeding Z1 (tanh skipped) gives other numbers."""
    rng = np.random.default_rng(3)
    (W1, b1), (W2, b2), (W3, b3) = params = [(rng.normal(size=(3, 2)), rng.normal(size=3)),
                                             (rng.normal(size=(2, 3)), rng.normal(size=2)),
                                             (rng.normal(size=(1, 2)), rng.normal(size=1))]
    X = rng.normal(size=(6, 2))
    Z2 = np.tanh(X @ W1.T + b1) @ W2.T + b2
    by_row = np.array([[sum(W2[j, i] * np.tanh(W1[i] @ x + b1[i]) for i in range(3)) + b2[j] for j in range(2)]
                       for x in X])
    np.testing.assert_allclose(Z2, by_row, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hl.scratch.forward(params, X, "tanh").z[1], Z2, rtol=1e-12, atol=1e-12)
    assert not np.allclose((X @ W1.T + b1) @ W2.T + b2, Z2)


def test_l08_the_share_leaving_at_each_exit_is_the_heads_confidence_and_falls_with_the_threshold():
    """Lesson 08 §5: an image leaves at exit k when head k's top probability (softmax of its logits, computed here with
    numpy from the weights) reaches the threshold and no earlier head's did; so the share leaving at exit 1 never
    grows with the threshold, and at 1.0 (never sure) the heads only add cost."""
    data = hl.load_digits()
    flat = dataclasses.replace(data, X_train=data.X_train.reshape(-1, 64), X_test=data.X_test.reshape(-1, 64))
    model = hl.mlp([16, 16, 16], n_inputs=64, n_classes=10, activation="relu", seed=1)
    hl.train.train(model, flat, epochs=5, lr=0.01, batch_size=64, seed=1)
    heads = hl.compress.exit_heads(model, flat, epochs=5, lr=0.01, batch_size=64, seed=1)
    a = flat.X_test
    top = []
    for (W, b), head in zip(hl.probe.weights(model)[:2], heads, strict=True):
        a = np.maximum(a @ W.T + b, 0.0)
        (Wh, bh), = hl.probe.weights(head)
        z = a @ Wh.T + bh
        p = np.exp(z - z.max(axis=1, keepdims=True))
        top.append((p / p.sum(axis=1, keepdims=True)).max(axis=1))
    first_shares = []
    for t in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0):
        run = hl.compress.early_exit(model, heads, flat.X_test, threshold=t)
        at_1 = top[0] >= t
        at_2 = ~at_1 & (top[1] >= t)
        np.testing.assert_array_equal(run.exit_layer == 1, at_1)
        np.testing.assert_array_equal(run.exit_layer == 2, at_2)
        first_shares.append(at_1.mean())
    assert (np.diff(first_shares) <= 0).all() and first_shares[-1] == 0
    assert run.cost.mean() / run.full_cost > 1
