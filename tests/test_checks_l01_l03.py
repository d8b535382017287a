"""Lesson 01-03 exercise checks: a right answer passes; wrong answers fail with what was expected and a hint,
without ever showing the right value."""

import numpy as np
import pytest

import hlkit as hl
from hlkit import check, scratch

# The exercises' numbers, written out again here (the notebooks print the same ones).
X_NEURON, W_NEURON, B_NEURON = np.array([2.0, -1.0, 0.5]), np.array([0.5, 1.0, -2.0]), 0.5
W1, B1 = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]]), np.array([1.0, 0.0, -1.0])
W2, B2 = np.array([[2.0, -1.0, 0.5]]), np.array([0.5])
TINY = [(np.array([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.5]]), np.array([0.0, 0.5, -0.5])),
        (np.array([[1.0, -1.0, 0.5], [-0.5, 1.0, 1.0]]), np.array([0.0, 0.25])),
        (np.array([[2.0, -1.0]]), np.array([0.5]))]
X_BATCH = np.array([[0.5, -0.25], [-0.5, 1.0], [1.0, 1.0], [0.0, 0.0]])


def _solutions():
    z = W_NEURON @ X_NEURON + B_NEURON
    cache = scratch.forward(TINY, np.array([[-0.5, 1.0]]), "tanh")
    p, y = np.array([0.9, 0.3, 0.6]), np.array([1, 0, 1])
    c3 = scratch.forward(TINY, np.array([[-0.5, 1.0]]), "tanh")
    dW3 = scratch.backward(TINY, c3, [0]).W[2]
    return {
        "neuron": float(scratch.sigmoid(z)),
        "W": W2 @ W1, "b": W2 @ B1 + B2,
        "p": float(cache.proba[0, 0]), "Z1": X_BATCH @ TINY[0][0].T + TINY[0][1],
        "count": hl.n_params(hl.mlp([8, 4])),
        "bce": float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))),
        "dW3": dW3, "W3_new": TINY[2][0] - 0.5 * dW3,
    }


S = _solutions()


def test_right_answers_pass(capsys):
    check.l01_neuron_output(S["neuron"])
    check.l01_linear_collapse(S["W"], S["b"])
    check.l02_network_output(S["p"])
    check.l02_batch_weighted_sums(S["Z1"])
    check.l02_n_params(S["count"])
    check.l03_bce(S["bce"])
    check.l03_output_gradient(S["dW3"])
    check.l03_gradient_step(S["W3_new"])
    out = capsys.readouterr().out
    assert out.count("✓") == 9 and "✗" not in out
    # rounded answers, lists and tensors are accepted too
    check.l01_neuron_output(round(S["neuron"], 4))
    check.l02_network_output(np.array([[S["p"]]]))
    check.l03_output_gradient(S["dW3"].tolist())
    import torch
    check.l02_batch_weighted_sums(torch.as_tensor(S["Z1"]))


def _shown(value) -> list[str]:
    """The ways a right value could appear in a message."""
    forms = []
    for v in np.ravel(value):
        v = float(v)
        if v == round(v):
            continue   # small whole numbers such as 0 or 2 appear in hints for other reasons
        forms += [f"{v:.{d}f}" for d in (2, 3, 4, 6)] + [repr(v), f"{v:.3g}", f"{v:.4g}"]
    return forms


WRONG = [
    ("l01_neuron_output", lambda: (W_NEURON @ X_NEURON + B_NEURON,), "neuron", "activation"),
    ("l01_neuron_output", lambda: (float(scratch.sigmoid(W_NEURON @ X_NEURON)),), "neuron", "bias"),
    ("l01_neuron_output", lambda: (np.tanh(W_NEURON @ X_NEURON + B_NEURON),), "neuron", "sigmoid"),
    ("l01_neuron_output", lambda: (0.9,), "neuron", "1 / (1 + np.exp(-z))"),
    ("l01_neuron_output", lambda: (None,), "neuron", "nothing yet"),
    ("l01_linear_collapse", lambda: (S["W"].T, S["b"]), "W", "W2 @ W1"),
    ("l01_linear_collapse", lambda: ((W1.T @ W2.T).T + 1, S["b"]), "W", "multiplies x"),
    ("l01_linear_collapse", lambda: (S["W"], B2), "b", "W2 @ b1 + b2"),
    ("l01_linear_collapse", lambda: (S["W"], S["b"] + 1), "b", "collect the terms"),
    ("l02_network_output", lambda: (float(scratch.forward(TINY, np.array([[-0.5, 1.0]]), "tanh").logits[0, 0]),),
     "p", "sigmoid"),
    ("l02_network_output", lambda: (0.5,), "p", "layer by layer"),
    ("l02_network_output", lambda: ([0.2, 0.3],), "p", "single output"),
    ("l02_batch_weighted_sums", lambda: (S["Z1"].T,), "Z1", "X @ W1.T + b1"),
    ("l02_batch_weighted_sums", lambda: (X_BATCH @ TINY[0][0].T,), "Z1", "add b1"),
    ("l02_batch_weighted_sums", lambda: (np.tanh(S["Z1"]),), "Z1", "not a = tanh(z)"),
    ("l02_batch_weighted_sums", lambda: (S["Z1"] + 0.1,), "Z1", "X of shape (4, 2)"),
    ("l02_n_params", lambda: (2 * 8 + 8 * 4 + 4 * 1,), "count", "bias"),
    ("l02_n_params", lambda: (S["count"] + 2,), "count", "input layer"),
    ("l02_n_params", lambda: (S["count"] - 1,), "count", "n*m + m"),
    ("l03_bce", lambda: (S["bce"] * 3,), "bce", "np.mean"),
    ("l03_bce", lambda: (-S["bce"],), "bce", "MINUS"),
    ("l03_bce", lambda: (float(np.mean(-np.log([0.9, 0.3, 0.6]))),), "bce", "label 0"),
    ("l03_bce", lambda: (0.1,), "bce", "natural log"),
    ("l03_output_gradient", lambda: (-S["dW3"],), "dW3", "p - y"),
    ("l03_output_gradient", lambda: (S["dW3"] / scratch.forward(TINY, np.array([[-0.5, 1.0]]), "tanh").a[2],),
     "dW3", "chain rule"),
    ("l03_output_gradient", lambda: (S["dW3"][0, :1],), "dW3", "2 weights"),
    ("l03_output_gradient", lambda: (S["dW3"] * 2,), "dW3", "(p - y) * a2"),
    ("l03_gradient_step", lambda: (TINY[2][0] + 0.5 * S["dW3"],), "W3_new", "subtracts"),
    ("l03_gradient_step", lambda: (TINY[2][0],), "W3_new", "subtract lr"),
    ("l03_gradient_step", lambda: (TINY[2][0] - 0.05 * S["dW3"],), "W3_new", "0.5 * dW3"),
]


@pytest.mark.parametrize("name,args,key,hint", WRONG, ids=[f"{w[0]}-{i}" for i, w in enumerate(WRONG)])
def test_wrong_answers_fail_with_a_hint_but_no_solution(name, args, key, hint):
    with pytest.raises(AssertionError) as info:
        getattr(check, name)(*args())
    message = str(info.value)
    assert "expected" in message and "Hint:" in message
    assert hint in message, message
    for form in _shown(S[key]):
        assert form not in message, (form, message)


def test_failures_are_check_failures():
    with pytest.raises(check.CheckFailed):
        check.l02_n_params(1)
