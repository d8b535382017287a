"""hlkit.sequences: the two sequence tasks, the recurrent and attention networks, the first-step gradient."""

import numpy as np
import pytest
import torch

from hlkit import sequences as sq
from hlkit.train import train


def test_memory_task_class_is_the_first_sign_and_the_rest_is_noise():
    data = sq.memory_task(7, n_train=50, n_test=30, noise=0.5, seed=3)
    assert data.X_train.shape == (50, 8, 1) and data.X_test.shape == (30, 8, 1)
    X, y = data.X, data.y
    assert np.array_equal(X[:, 0, 0], 2.0 * y - 1.0)
    assert 0.3 < X[:, 1:, 0].std() < 0.7 and set(np.unique(y)) == {0, 1}
    again = sq.memory_task(7, n_train=50, n_test=30, noise=0.5, seed=3)
    assert np.array_equal(again.X, X) and not np.array_equal(sq.memory_task(7, n_train=50, n_test=30, seed=4).X, X)


def test_flagged_task_class_is_the_sign_of_the_flagged_value():
    data = sq.flagged_task(6, n_train=40, n_test=20, seed=1)
    X, y = data.X, data.y
    assert X.shape == (60, 6, 2) and np.array_equal(X[:, :, 1].sum(axis=1), np.ones(60))
    steps = sq.flagged_steps(X)
    assert np.array_equal(y, (X[np.arange(60), steps, 0] > 0).astype(int))
    assert len(np.unique(steps)) > 3   # the flag moves


@pytest.mark.parametrize("call, names", [
    (lambda: sq.memory_task(-1), "delay"),
    (lambda: sq.memory_task(3, noise=-1), "noise"),
    (lambda: sq.flagged_task(0), "length"),
    (lambda: sq.flagged_task(4, n_train=0), "n_train"),
    (lambda: sq.recurrent(8, cell="gru"), "cell"),
    (lambda: sq.recurrent(0), "hidden"),
    (lambda: sq.attention(8, uniform="yes"), "uniform"),
    (lambda: sq.flagged_steps(np.zeros((3, 4))), "X"),
    (lambda: sq.first_step_gradient(sq.recurrent(), np.zeros((3, 1, 1))), "X"),
    (lambda: sq.attention_weights(sq.recurrent(), np.zeros((3, 4, 2))), "model"),
    (lambda: sq.attention_weights(sq.attention(), np.zeros((3, 4))), "X"),
    (lambda: sq.first_step_gradient("a model", np.zeros((3, 4, 1))), "model"),
    (lambda: sq.first_step_gradient(sq.attention(), np.zeros((3, 4, 1))), r"X must be numbers of shape \(n, steps, 2\)"),
])
def test_bad_arguments_are_named(call, names):
    with pytest.raises((ValueError, TypeError), match=names):
        call()


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_recurrent_networks_are_seeded_and_give_one_score_row_per_sequence(cell):
    a, b, c = sq.recurrent(5, cell=cell, seed=2), sq.recurrent(5, cell=cell, seed=2), sq.recurrent(5, cell=cell, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters(), strict=True))
    out = a(torch.zeros(4, 9, 1, dtype=torch.float64))
    assert out.shape == (4, 2) and out.dtype == torch.float64 and a.spec["cell"] == cell


def test_attention_weights_sum_to_one_and_uniform_is_an_average():
    X = sq.flagged_task(5, n_train=10, n_test=10, seed=0).X_train
    w = sq.attention_weights(sq.attention(4, seed=1), X)
    assert w.shape == (10, 5) and np.allclose(w.sum(axis=1), 1.0) and w.std() > 0
    assert np.allclose(sq.attention_weights(sq.attention(4, uniform=True, seed=1), X), 0.2)


def test_first_step_gradient_matches_finite_differences():
    model = sq.recurrent(4, seed=0)
    X = sq.memory_task(3, n_train=6, n_test=1, seed=0).X_train

    def score(Z):
        with torch.no_grad():
            out = model(torch.as_tensor(Z))
        return (out[:, 1] - out[:, 0]).numpy()

    def size(step):   # mean |d score / d x| at ``step``, by central differences, one sequence at a time
        h, Z1, Z2 = 1e-6, X.copy(), X.copy()
        Z1[:, step, 0] += h
        Z2[:, step, 0] -= h
        return np.abs((score(Z1) - score(Z2)) / (2 * h)).mean()

    assert sq.first_step_gradient(model, X) == pytest.approx(size(0) / size(-1), rel=1e-6)
    assert all(p.grad is None for p in model.parameters())   # the model's own gradients are left alone


def test_attention_learns_to_look_at_the_flagged_step_and_an_average_cannot_answer():
    """Lesson 08 §6's claim, re-derived on one seed: the attention net puts most weight on the flagged step and
    answers almost always; the same net averaging over the steps stays far below."""
    data = sq.flagged_task(8, seed=5)
    looked = sq.attention(8, seed=5)
    averaged = sq.attention(8, uniform=True, seed=5)
    accuracy = [train(m, data, epochs=100, lr=0.1).test_acc[-1] for m in (looked, averaged)]
    weights = sq.attention_weights(looked, data.X_test)
    on_flag = weights[np.arange(len(weights)), sq.flagged_steps(data.X_test)]
    assert accuracy[0] > 0.95 and np.median(on_flag) > 0.9
    assert accuracy[1] < 0.75


def test_save_refuses_sequence_models_that_load_could_not_rebuild(tmp_path):
    from hlkit import models

    for model in (sq.recurrent(4), sq.attention(4)):
        with pytest.raises(TypeError, match=f"mlp or hlkit.models.cnn.*of kind '{model.spec['kind']}'"):
            models.save(model, tmp_path / "model.pt")
    assert not (tmp_path / "model.pt").exists()
