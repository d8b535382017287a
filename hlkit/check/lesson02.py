"""Lesson 02's exercise checks (see the package docstring, hlkit/check/__init__.py)."""

from __future__ import annotations

import numpy as np

from .core import _number, _see, _unanswered, _whole, as_array, fail, limited, passed

# --- lesson 02 ---
# The tiny 2-3-2-1 tanh network of lessons 02 and 03 (the notebooks print the same numbers).
_TINY_PARAMS = [
    ([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.5]], [0.0, 0.5, -0.5]),
    ([[1.0, -1.0, 0.5], [-0.5, 1.0, 1.0]], [0.0, 0.25]),
    ([[2.0, -1.0]], [0.5]),
]
_L02_X_EXERCISE = [[-0.5, 1.0]]
_L02_X_BATCH = [[1.0, 1.0], [0.0, 0.0], [-1.0, 0.5], [0.75, -1.0]]
_L02_HIDDEN = [8, 4]


def _tiny():
    return [(np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64)) for W, b in _TINY_PARAMS]


def l02_network_output(p) -> None:
    """Exercise 1: P(class 1) of the tiny network for the input x = (-0.5, 1.0)."""
    from ..scratch import forward, sigmoid

    name = "l02_network_output"
    if _unanswered(name, p):
        return
    params = _tiny()
    cache = forward(params, np.asarray(_L02_X_EXERCISE), "tanh")
    got = as_array("network output", p, None, _see(name, "give one number"))
    if got.size != 1:
        fail("network output", "one number (the probability of class 1)", f"shape {got.shape}",
             _see(name, "the network has a single output neuron"))
    got = float(got.reshape(()))
    if np.isclose(got, cache.logits[0, 0], rtol=1e-4, atol=1e-4):
        fail("network output", "a probability", "the logit (the output's weighted sum)",
             _see(name, "turn the last weighted sum into a probability with the sigmoid"))
    if np.isclose(got, np.tanh(cache.logits[0, 0]), rtol=1e-4, atol=1e-4):
        fail("network output", "the sigmoid on the output", "tanh on the output",
             _see(name, "the hidden layers use tanh, the output neuron the sigmoid"))
    x = np.asarray(_L02_X_EXERCISE)
    (W1, b1), (W2, b2), (W3, b3) = params
    no_bias = sigmoid(W3 @ np.tanh(W2 @ np.tanh(W1 @ x[0])))[0]
    if np.isclose(got, no_bias, rtol=1e-4, atol=1e-4):
        fail("network output", "every layer's bias added", "the output without the biases",
             _see(name, "forgot the biases: each layer adds its own after the weights"))
    if not 0.0 < got < 1.0:
        fail("network output", "a probability between 0 and 1", "a number outside (0, 1)",
             _see(name, "finish with the sigmoid of the output's weighted sum"))
    _number(name, "network output", got, cache.proba[0, 0], tol=1e-4,
            hint="go layer by layer, as in the section's worked example, with this new input")


def l02_batch_weighted_sums(Z2) -> None:
    """Exercise 2: hidden layer 2's weighted sums for the batch of four inputs (section 3's X), shape (4, 2)."""
    name = "l02_batch_weighted_sums"
    what = "weighted sums Z2"
    if _unanswered(name, Z2):
        return
    (W1, b1), (W2, b2), _ = _tiny()
    Z1 = np.asarray(_L02_X_BATCH) @ W1.T + b1
    got = as_array(what, Z2, None, _see(name, "a (4, 2) array"))
    if got.shape == (2, 4):
        fail(what, "shape (4, 2): one row per input, one column per neuron", "shape (2, 4): transposed",
             _see(name, "with one input per row, the batch comes first in the product"))
    got = as_array(what, Z2, (4, 2), _see(name, "4 inputs (rows) times the 2 neurons of layer 2 (columns)"))
    expected = np.tanh(Z1) @ W2.T + b2
    if np.allclose(got, expected - b2):
        fail(what, "the biases added", "the products without the bias",
             _see(name, "forgot the bias: numpy adds a (2,) vector to every row of a (4, 2) matrix"))
    if np.allclose(got, np.tanh(expected)):
        fail(what, "the weighted sums z (before the activation)", "the activations (after tanh)",
             _see(name, "this exercise asks for z, not the activation of it"))
    if np.allclose(got, Z1 @ W2.T + b2):
        fail(what, "layer 1's activations as the inputs", "layer 1's weighted sums as the inputs (tanh skipped)",
             _see(name, "layer 2 reads what layer 1 outputs: its weighted sums after the activation"))
    _number(name, what, got, expected, tol=1e-6,
            hint="every row is one input's weighted sums in layer 2, from that input's layer-1 activations")


@limited
def l02_n_params(count) -> None:
    """Exercise 3: the number of weights and biases of an MLP with 2 inputs, hidden layers [8, 4], 1 output."""
    name = "l02_n_params"
    if _unanswered(name, count):
        return
    sizes = [2, *_L02_HIDDEN, 1]
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    biases = sum(sizes[1:])
    got = _whole("parameter count", count, _see(name, "give one whole number"))
    if got == weights:
        fail("parameter count", "weights and biases", "the weights only",
             _see(name, "forgot the biases: every neuron (hidden and output) also has one bias"))
    if got == weights + biases + sizes[0]:
        fail("parameter count", "no parameters for the inputs", "one too many per input",
             _see(name, "the input layer only holds the numbers: it has no weights or biases"))
    if got in (weights + biases - 1, weights + biases + 1):
        fail("parameter count", "the exact count", "a count off by one", _see(name, "recount the output layer"))
    if got != weights + biases:
        fail("parameter count", "every weight and every bias of the network", "a different count",
             _see(name, "go layer by layer: how many weights join one layer to the next, and how many biases does "
                        "a layer add? Then add up the layers"))
    passed("parameter count: correct")


# --- lesson 02, exercise 4 ---
_L02_LOGITS, _L02_TRUE_CLASS = [1000.0, 1002.0, 999.0, 1001.5], 3


def l02_cross_entropy(loss) -> None:
    """Exercise 4: the cross-entropy -log p_y of one point with lesson 02's four logits (about 1000 each)."""
    name = "l02_cross_entropy"
    if _unanswered(name, loss):
        return
    z, y = np.asarray(_L02_LOGITS), _L02_TRUE_CLASS
    got = as_array("cross-entropy", loss, None, _see(name, "give one number: the loss of this one point"))
    if got.size != 1:
        fail("cross-entropy", "one number (the loss of the true class)", f"shape {got.shape}",
             _see(name, "the loss scores only the probability of the true class"))
    got = float(got.reshape(()))
    if not np.isfinite(got):
        fail("cross-entropy", "a finite number", f"{got} (the exponentials overflowed)",
             _see(name, "e to the power of 1000 is too large for a float; the softmax does not change when every "
                        "logit moves by the same number"))
    log_p = z - z.max() - np.log(np.exp(z - z.max()).sum())    # log-softmax, computed safely
    if got < 0:
        fail("cross-entropy", "a positive number", "a negative one (a sign error)",
             _see(name, "the log of a probability is negative: the loss is minus that log"))
    if np.isclose(got, -log_p[int(np.argmax(z))], rtol=1e-6):
        fail("cross-entropy", "the loss of the true class", "the loss of the class with the largest logit",
             _see(name, "the loss scores the class the point belongs to, not the one the network predicts"))
    if any(np.isclose(got, -log_p[k], rtol=1e-6) for k in range(len(z)) if k != y):
        fail("cross-entropy", "the loss of the true class", "the loss of another class",
             _see(name, "classes count from 0: the first logit belongs to class 0"))
    if np.isclose(got, -log_p[y] / np.log(10), rtol=1e-6):
        fail("cross-entropy", "the natural log", "a base-10 log",
             _see(name, "the natural log (base e) is the one cross-entropy uses"))
    if np.isclose(got, -log_p.mean(), rtol=1e-6) or np.isclose(got, -log_p.sum(), rtol=1e-6):
        fail("cross-entropy", "the loss of the true class alone", "a loss over all four classes",
             _see(name, "only the true class's probability enters the loss"))
    if np.isclose(got, -(z[y] - z.max()), rtol=1e-6) or np.isclose(got, -np.log(z[y] / z.sum()), rtol=1e-6):
        fail("cross-entropy", "the log of a softmax probability", "a loss from unnormalised numbers",
             _see(name, "take the exponential of every (shifted) logit, then divide by their sum, then the log"))
    _number(name, "cross-entropy", got, -log_p[y], tol=1e-6,
            hint="softmax of the shifted logits, then minus the log of the true class's probability")
