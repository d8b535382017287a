"""hlkit.train: the one training loop (loss, gradients, history, determinism, cancellation, divergence,
early stopping, regularization, minibatches, threads)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from hlkit import data, models, probe, train

HISTORY_LISTS = ("epoch", "train_loss", "test_loss", "train_acc", "test_acc")


@pytest.fixture(scope="module")
def circle():
    return data.make_dataset("circle")


@pytest.fixture(scope="module")
def blobs():
    return data.make_dataset("blobs", n_points=300, n_classes=4, noise=0.1)


def same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return all(torch.equal(sa[k], sb[k]) for k in sa)


def numpy_cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    if logits.shape[1] == 1:   # binary: one logit, P(class 1) = sigmoid
        z = logits[:, 0]
        return float(np.mean(np.logaddexp(0, z) - y * z))      # = -y log s(z) - (1-y) log(1 - s(z))
    top = logits.max(axis=1, keepdims=True)
    log_sum = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
    return float(np.mean(log_sum - logits[np.arange(len(y)), y]))


# --- loss, predictions, penalty, gradients ---------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 4])
def test_loss_fn_is_cross_entropy(k):
    rng = np.random.default_rng(k)
    logits = rng.normal(0, 3, (40, k))
    y = rng.integers(0, max(k, 2), 40)
    got = float(train.loss_fn(torch.as_tensor(logits), torch.as_tensor(y)))
    assert got == pytest.approx(numpy_cross_entropy(logits, y), rel=1e-12)


def test_predicted_class():
    binary = torch.tensor([[-2.0], [0.5], [0.0], [3.0]])
    assert train.predicted_class(binary).tolist() == [0, 1, 0, 1]
    multi = torch.tensor([[0.1, 2.0, -1.0], [5.0, 1.0, 1.0], [0.0, 0.0, 0.3]])
    assert train.predicted_class(multi).tolist() == [1, 0, 2]


def test_penalty_equals_the_formula_and_ignores_biases():
    model = models.mlp([5, 3], seed=2)
    with torch.no_grad():
        for layer in [*model.hidden, model.out]:
            layer.bias.fill_(100.0)   # biases are not penalized: these must not show up
    Ws = [W for W, _ in probe.weights(model)]
    assert train.penalty(model, "l1").item() == pytest.approx(sum(np.abs(W).sum() for W in Ws), rel=1e-12)
    assert train.penalty(model, "l2").item() == pytest.approx(sum((W ** 2).sum() for W in Ws), rel=1e-12)


def total_loss(model, X, y, regularization, rate):
    loss = train.loss_fn(model(X), y)
    return loss + rate * train.penalty(model, regularization) if regularization != "none" else loss


@pytest.mark.parametrize("n_classes,regularization", [(2, "none"), (2, "l2"), (3, "l1"), (3, "l2")])
def test_training_loss_gradient_matches_finite_differences(n_classes, regularization):
    d = data.make_dataset("spiral" if n_classes > 2 else "xor", n_points=60, n_classes=n_classes, noise=0.2)
    model = models.mlp([3, 2], activation="tanh", n_classes=n_classes, seed=1)
    X, y = torch.as_tensor(d.X_train), torch.as_tensor(d.y_train)
    model.zero_grad()
    total_loss(model, X, y, regularization, 0.01).backward()
    eps = 1e-6
    for p in model.parameters():
        numeric = torch.zeros_like(p)
        with torch.no_grad():
            for i in range(p.numel()):
                flat = p.view(-1)
                keep = flat[i].item()
                flat[i] = keep + eps
                up = float(total_loss(model, X, y, regularization, 0.01))
                flat[i] = keep - eps
                down = float(total_loss(model, X, y, regularization, 0.01))
                flat[i] = keep
                numeric.view(-1)[i] = (up - down) / (2 * eps)
        torch.testing.assert_close(p.grad, numeric, rtol=1e-5, atol=1e-8)


def test_one_sgd_epoch_is_one_gradient_step_on_loss_plus_penalty(circle):
    model = models.mlp([4, 2], seed=3)
    reference = models.mlp([4, 2], seed=3)
    lr, rate = 0.5, 0.01
    X, y = torch.as_tensor(circle.X_train), torch.as_tensor(circle.y_train)
    total_loss(reference, X, y, "l2", rate).backward()
    with torch.no_grad():
        expected = {name: p - lr * p.grad for name, p in reference.named_parameters()}
    train.train(model, circle, epochs=1, lr=lr, optimizer="sgd", regularization="l2", reg_rate=rate)
    for name, p in model.named_parameters():
        torch.testing.assert_close(p.detach(), expected[name], rtol=1e-12, atol=1e-14)


def test_minibatch_sgd_follows_the_seeded_shuffle(circle):
    model = models.mlp([4], seed=4)
    reference = models.mlp([4], seed=4)
    lr, batch, seed, epochs = 0.2, 32, 5, 2
    X, y = torch.as_tensor(circle.X_train), torch.as_tensor(circle.y_train)
    shuffle = torch.Generator().manual_seed(seed)
    opt = torch.optim.SGD(reference.parameters(), lr=lr)
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=shuffle)
        for lo in range(0, len(y), batch):
            idx = order[lo:lo + batch]
            opt.zero_grad()
            train.loss_fn(reference(X[idx]), y[idx]).backward()
            opt.step()
    history = train.train(model, circle, epochs=epochs, lr=lr, optimizer="sgd", batch_size=batch, seed=seed)
    assert history.status == "done"
    for p, q in zip(model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(p.detach(), q.detach(), rtol=1e-12, atol=1e-14)


def test_batch_larger_than_the_data_is_full_batch(circle):
    a, b = models.mlp(seed=1), models.mlp(seed=1)
    train.train(a, circle, epochs=5, batch_size=None)
    train.train(b, circle, epochs=5, batch_size=10 * len(circle.y_train))
    assert same_weights(a, b)


def test_minibatch_seed_changes_the_result(circle):
    a, b, c = models.mlp(seed=1), models.mlp(seed=1), models.mlp(seed=1)
    train.train(a, circle, epochs=3, batch_size=16, seed=1)
    train.train(b, circle, epochs=3, batch_size=16, seed=1)
    train.train(c, circle, epochs=3, batch_size=16, seed=2)
    assert same_weights(a, b) and not same_weights(a, c)


# --- history --------------------------------------------------------------------------------------------------

def test_history_starts_at_epoch_zero_with_the_untrained_loss(circle):
    model = models.mlp([4, 2], seed=6)
    logits = model(torch.as_tensor(circle.X_train)).detach().numpy()
    untrained_loss = numpy_cross_entropy(logits, circle.y_train)
    untrained_acc = float(np.mean((logits[:, 0] > 0) == circle.y_train))
    history = train.train(model, circle, epochs=3)
    assert history.epoch == [0, 1, 2, 3]
    assert history.train_loss[0] == pytest.approx(untrained_loss, rel=1e-12)
    assert history.train_acc[0] == pytest.approx(untrained_acc, abs=1e-15)
    assert history.train_loss[1] != history.train_loss[0]


def test_history_lists_and_reports(circle):
    model = models.mlp(seed=1)
    reports = []
    for history in train.training(model, circle, epochs=35, report_every=10):
        reports.append((history.epoch[-1], history.status))
        assert len({len(getattr(history, name)) for name in (*HISTORY_LISTS, "seconds")}) == 1
    assert reports == [(10, "running"), (20, "running"), (30, "running"), (35, "done")]
    assert history.epoch == [0, 10, 20, 30, 35]
    assert all(np.diff(history.seconds) >= 0)
    assert all(0 <= a <= 1 for a in history.train_acc + history.test_acc)
    last = history.last()
    assert last["epoch"] == 35 and last["test_loss"] == history.test_loss[-1]
    assert train.History().last() == {}
    assert history.as_dict()["status"] == "done"
    # the recorded numbers are those of the model: the last entry equals a fresh evaluation
    assert train.evaluate(model, circle.X_test, circle.y_test) == (history.test_loss[-1], history.test_acc[-1])


def test_progress_callback_sees_every_report(circle):
    seen = []
    history = train.train(models.mlp(), circle, epochs=20, report_every=5, progress=lambda h: seen.append(h.epoch[-1]))
    assert seen == [5, 10, 15, 20] and history.status == "done"


def test_training_is_deterministic_bit_for_bit(circle):
    runs = []
    for _ in range(2):
        model = models.mlp([6, 3], seed=8)
        history = train.train(model, circle, epochs=40, batch_size=50, regularization="l1", reg_rate=0.001)
        runs.append((model, history))
    (m1, h1), (m2, h2) = runs
    for name in HISTORY_LISTS:
        assert getattr(h1, name) == getattr(h2, name)
    assert same_weights(m1, m2)


def test_circle_default_reaches_95_percent(circle):
    history = train.train(models.mlp(), circle)
    assert history.status == "done" and history.epoch[-1] == 500 and len(history.epoch) == 501
    assert history.test_acc[-1] >= 0.95
    assert history.train_loss[-1] < history.train_loss[0] / 3


def test_multi_class_training(blobs):
    model = models.mlp([8], n_classes=4)
    history = train.train(model, blobs, epochs=200, lr=0.03)
    assert history.status == "done" and history.test_acc[-1] >= 0.9
    assert probe.predict_proba(model, blobs.X_test).shape == (len(blobs.y_test), 4)


def test_more_outputs_than_classes_is_allowed(circle):
    history = train.train(models.mlp([4], n_classes=3), circle, epochs=50)
    assert history.status == "done" and history.test_acc[-1] > history.test_acc[0]


def test_fewer_outputs_than_classes_is_refused(blobs):
    with pytest.raises(ValueError, match=r"data has 4 classes but the model predicts 2: build the model with n_classes=4"):
        train.train(models.mlp(), blobs, epochs=1)
    with pytest.raises(ValueError, match=r"model predicts 3"):
        next(train.training(models.mlp(n_classes=3), blobs, epochs=1))


# --- cancellation, divergence, early stopping --------------------------------------------------------------------

def test_stop_cancels_after_the_current_epoch(circle):
    seen = []
    model = models.mlp(seed=2)
    history = train.train(model, circle, epochs=100, progress=seen.append, stop=lambda: len(seen) >= 5)
    assert history.status == "stopped" and history.epoch[-1] == 5
    assert "Cancelled after epoch 5" in history.message
    reference = models.mlp(seed=2)
    train.train(reference, circle, epochs=5)
    assert same_weights(model, reference)   # nothing ran past epoch 5


def test_closing_the_generator_early_leaves_a_usable_model(circle):
    torch.set_num_threads(2)
    try:
        model = models.mlp(seed=3)
        run = train.training(model, circle, epochs=100)
        first = next(run)
        next(run)
        run.close()
        assert first.epoch == [0, 1, 2] and first.status == "running"
        assert torch.get_num_threads() == 2
        out = model(torch.as_tensor(circle.X_test))
        assert torch.all(torch.isfinite(out))
        assert train.train(model, circle, epochs=5).status == "done"   # and it can be trained on
    finally:
        torch.set_num_threads(1)


def test_thread_count_is_restored_after_training(circle):
    torch.set_num_threads(2)
    try:
        train.train(models.mlp(), circle, epochs=3)
        assert torch.get_num_threads() == 2
        train.train(models.mlp(), circle, epochs=50, lr=10)   # a diverging run returns early
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)


@pytest.mark.parametrize("optimizer,lr", [("adam", 10.0), ("sgd", 100.0)])
def test_divergence_is_reported_with_the_learning_rate(circle, optimizer, lr):
    history = train.train(models.mlp(), circle, epochs=300, lr=lr, optimizer=optimizer)
    assert history.status == "diverged" and history.epoch[-1] < 300
    assert f"Lower the learning rate (now {lr:g}; try {lr / 10:g})" in history.message
    assert f"from {history.train_loss[0]:.3g}" in history.message


def test_a_good_learning_rate_does_not_diverge(circle):
    assert train.train(models.mlp(), circle, epochs=300, lr=0.03).status == "done"


def test_early_stopping_restores_the_best_weights():
    noisy = data.make_dataset("circle", n_points=100, noise=0.3)
    model = models.mlp([16, 16])
    history = train.train(model, noisy, epochs=3000, lr=0.1, patience=10)
    assert history.status == "early_stopped" and history.epoch[-1] < 3000
    best = int(np.argmin(history.test_loss))
    assert history.epoch[-1] == history.epoch[best] + 10
    assert f"weights restored from epoch {history.epoch[best]}" in history.message
    loss, _ = train.evaluate(model, noisy.X_test, noisy.y_test)
    assert loss == pytest.approx(history.test_loss[best], rel=1e-12)
    assert loss < history.test_loss[-1]


def test_early_stopping_can_restore_the_untrained_weights(circle):
    # the test set is the train set with flipped labels, and the model starts with all logits 0. For one point,
    # BCE(z, y) + BCE(z, 1 - y) >= 2 ln 2, so test loss >= 2 ln 2 - train loss: while training pushes the train
    # loss below ln 2 (the untrained loss), the test loss stays above ln 2. Epoch 0 is the best.
    flipped = data.Dataset(circle.X_train, circle.y_train, circle.X_train, 1 - circle.y_train, 2)

    def start():
        model = models.mlp([8], seed=4)
        with torch.no_grad():
            model.out.weight.zero_()
        return model

    model = start()
    history = train.train(model, flipped, epochs=1000, patience=5)
    assert history.train_loss[0] == pytest.approx(np.log(2), rel=1e-12)
    assert all(loss < np.log(2) for loss in history.train_loss[1:])    # the premise above
    assert int(np.argmin(history.test_loss)) == 0
    assert history.status == "early_stopped" and history.epoch[-1] == 5
    assert "weights restored from epoch 0" in history.message
    assert same_weights(model, start())


# --- regularization -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("regularization,size", [("l2", lambda W: (W ** 2).sum()), ("l1", lambda W: np.abs(W).sum())])
def test_regularization_shrinks_weights(circle, regularization, size):
    plain, penalized = models.mlp([8, 8], seed=1), models.mlp([8, 8], seed=1)
    train.train(plain, circle, epochs=200)
    train.train(penalized, circle, epochs=200, regularization=regularization, reg_rate=0.01)
    total = lambda model: sum(size(W) for W, _ in probe.weights(model))
    assert total(penalized) < 0.8 * total(plain)


def test_zero_rate_is_no_regularization(circle):
    a, b = models.mlp(seed=1), models.mlp(seed=1)
    train.train(a, circle, epochs=20)
    train.train(b, circle, epochs=20, regularization="l2", reg_rate=0.0)
    assert same_weights(a, b)


# --- other entry points -------------------------------------------------------------------------------------------

def test_cnn_trains_on_digits():
    digits = data.load_digits()
    small = data.Dataset(digits.X_train[:300], digits.y_train[:300], digits.X_test[:200], digits.y_test[:200], 10)
    history = train.train(models.cnn((4,)), small, epochs=30, lr=0.01)
    assert history.status == "done" and history.test_acc[-1] > 0.5


def test_evaluate_accepts_numpy_and_tensors(circle):
    model = models.mlp()
    a = train.evaluate(model, circle.X_test, circle.y_test)
    b = train.evaluate(model, torch.as_tensor(circle.X_test), torch.as_tensor(circle.y_test))
    logits = model(torch.as_tensor(circle.X_test)).detach().numpy()
    assert a == b and a[0] == pytest.approx(numpy_cross_entropy(logits, circle.y_test), rel=1e-12)


def test_warm_up_leaves_global_state_alone():
    before = torch.get_rng_state()
    threads = torch.get_num_threads()
    train.warm_up()
    assert torch.equal(before, torch.get_rng_state()) and torch.get_num_threads() == threads


def test_identical_history_and_weights_across_fresh_processes():
    # a kernel restart is a fresh process: the same settings must give bit-identical results there too
    import subprocess
    import sys

    code = ("import hashlib, json, torch, hlkit as hl\n"
            "for name, hidden, act in [('spiral', [8] * 6, 'tanh'), ('xor', [16, 16], 'gelu')]:\n"
            "    m = hl.mlp(hidden, activation=act, seed=3)\n"
            "    h = hl.train.train(m, hl.make_dataset(name, noise=0.2, seed=4), epochs=60, batch_size=32, seed=5)\n"
            "    w = b''.join(p.detach().numpy().tobytes() for p in m.parameters())\n"
            "    print(hashlib.sha256(json.dumps([h.train_loss, h.test_loss, h.test_acc]).encode() + w).hexdigest())\n")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr[-2000:]
    first, second = (r.stdout.split() for r in runs)
    assert len(first) == 2 and first == second


def test_soft_target_loss_matches_numpy_and_its_gradient_matches_autograd():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 4))
    targets = rng.dirichlet(np.ones(4), size=6)                        # rows of probabilities
    z = torch.tensor(logits, requires_grad=True)
    loss = train.loss_fn(z, torch.tensor(targets))
    log_softmax = logits - logits.max(axis=1, keepdims=True)
    log_softmax -= np.log(np.exp(log_softmax).sum(axis=1, keepdims=True))
    assert float(loss.detach()) == pytest.approx(-(targets * log_softmax).sum(axis=1).mean(), rel=1e-12)
    loss.backward()
    softmax = np.exp(log_softmax)
    np.testing.assert_allclose(z.grad.numpy(), (softmax - targets) / 6, rtol=1e-10, atol=1e-14)
    # one-hot soft targets give exactly the hard-label loss; binary models take (n, 2) rows
    labels = np.array([0, 3, 1, 2, 2, 0])
    assert float(train.loss_fn(z.detach(), torch.tensor(np.eye(4)[labels]))) == pytest.approx(
        float(train.loss_fn(z.detach(), torch.tensor(labels))), rel=1e-12)
    b = torch.tensor(logits[:, :1])
    assert float(train.loss_fn(b, torch.tensor(np.eye(2)[labels % 2]))) == pytest.approx(
        float(train.loss_fn(b, torch.tensor(labels % 2))), rel=1e-12)


def test_training_on_one_hot_soft_targets_equals_training_on_labels():
    ds = data.make_dataset("circle", n_points=120, seed=0)
    soft = dataclasses.replace(ds, y_train=np.eye(2)[ds.y_train])
    a, b = models.mlp([4], seed=0), models.mlp([4], seed=0)
    h_labels = train.train(a, ds, epochs=30, lr=0.03, batch_size=16)
    h_soft = train.train(b, soft, epochs=30, lr=0.03, batch_size=16)   # torch path (the numpy step takes labels)
    np.testing.assert_allclose(h_soft.train_loss, h_labels.train_loss, rtol=1e-8)
    assert h_soft.train_acc == h_labels.train_acc


@pytest.mark.parametrize("y_train, message", [
    (lambda y: np.full((len(y), 2), 0.7), "every row summing to 1"),
    (lambda y: np.eye(3)[y], "must be floats of shape"),
    (lambda y: np.stack([1.2 - y, y - 0.2], axis=1).astype(float), "every value >= 0"),
])
def test_bad_soft_targets_are_refused_with_a_clear_message(y_train, message):
    ds = data.make_dataset("circle", n_points=40, seed=0)
    with pytest.raises(ValueError, match=message):
        train.train(models.mlp([2]), dataclasses.replace(ds, y_train=y_train(ds.y_train)), epochs=1)
