"""Lesson 03's exercise checks (see the package docstring, hlkit/check/__init__.py)."""

from __future__ import annotations

import numpy as np

from .core import _number, _see, _unanswered, as_array, fail
from .lesson02 import _tiny  # lesson 03 trains lesson 02's tiny network

# --- lesson 03 ---
_L03_P, _L03_Y = [0.9, 0.3, 0.6], [1, 0, 1]
_L03_X, _L03_LABEL, _L03_LR = [[-0.5, 1.0]], [0], 0.5


def l03_bce(loss) -> None:
    """Exercise 1: the mean binary cross-entropy of predictions p = [0.9, 0.3, 0.6] for labels y = [1, 0, 1]."""
    name = "l03_bce"
    if _unanswered(name, loss):
        return
    p, y = np.asarray(_L03_P), np.asarray(_L03_Y, dtype=np.float64)
    each = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    got = as_array("cross-entropy", loss, None, _see(name, "give one number: the mean over the three points"))
    if got.shape == (3,):
        fail("cross-entropy", "one number, the mean", "shape (3,): one loss per point",
             _see(name, "average the three losses into one number"))
    got = float(as_array("cross-entropy", loss, (), _see(name, "give one number: the mean over the three points")))
    if np.isclose(got, each.sum()):
        fail("cross-entropy", "the mean over the points", "the sum", _see(name, "divide by the number of points"))
    if np.isclose(got, -each.mean()) or got < 0:
        fail("cross-entropy", "a positive number", "a negative one (a sign error)",
             _see(name, "the log of a probability is negative, so the loss carries a minus sign to come out positive"))
    if np.isclose(got, np.mean(-np.log(p))):
        fail("cross-entropy", "the label-0 point scored by the probability of class 0", "log p used for every point",
             _see(name, "a point with label 0 is scored by the probability the network gave to class 0"))
    if np.isclose(got, np.mean(-(y * np.log10(p) + (1 - y) * np.log10(1 - p)))):
        fail("cross-entropy", "the natural log", "a base-10 log",
             _see(name, "use the natural logarithm (base e), as the section does"))
    _number(name, "cross-entropy", got, each.mean(), tol=1e-4, hint="score each point, then average")


def _tiny_gradients():
    """Lesson 02's tiny network, its forward pass on exercises 2-4's point x = (-0.5, 1), and its gradients for y = 0."""
    from ..scratch import backward, forward

    params = _tiny()
    cache = forward(params, np.asarray(_L03_X), "tanh")
    return params, cache, backward(params, cache, _L03_LABEL)


def l03_output_gradient(dW3) -> None:
    """Exercise 2: dLoss/dW3, shape (1, 2) like W3, of the tiny network for x = (-0.5, 1), y = 0."""
    name = "l03_output_gradient"
    if _unanswered(name, dW3):
        return
    _, cache, grads = _tiny_gradients()
    want = grads.W[2]
    got = as_array("output weight gradient dW3", dW3, None, _see(name, "a (1, 2) array like W3"))
    if got.size == want.size and got.shape != want.shape:
        fail("output weight gradient dW3", "shape (1, 2), the shape of W3",
             f"shape {got.shape}" + (": transposed" if got.shape == (2, 1) else ""),
             _see(name, "a gradient has the shape of the weights it belongs to: one row, two columns"))
    if got.size == 1 and np.isclose(float(got.reshape(-1)[0]), float(cache.proba[0, 0] - _L03_LABEL[0])):
        fail("output weight gradient dW3", "one gradient per weight, shape (1, 2)", "dLoss/dz3 alone",
             _see(name, "chain rule: also multiply by how z3 changes with each weight"))
    if got.shape == want.shape and np.allclose(got, want / cache.a[2], rtol=1e-4, atol=1e-6):
        fail("output weight gradient dW3", "one gradient per weight, through the chain rule", "dLoss/dz3 alone",
             _see(name, "chain rule: z3 depends on each weight through that weight's input"))
    _number(name, "output weight gradient dW3", got, want, tol=1e-4, shape=want.shape,
            hint="dLoss/dz3 first, then the chain rule for each weight of the output layer")


def l03_gradient_step(W3_new) -> None:
    """Exercise 3: W3 (shape (1, 2)) after one gradient-descent step with learning rate 0.5."""
    name = "l03_gradient_step"
    if _unanswered(name, W3_new):
        return
    params, _, grads = _tiny_gradients()
    W3, dW3 = params[2][0], grads.W[2]
    got = as_array("W3 after one step", W3_new, None, _see(name, "a (1, 2) array like W3"))
    if got.size == W3.size and got.shape != W3.shape:
        fail("W3 after one step", "shape (1, 2), the shape of W3",
             f"shape {got.shape}" + (": transposed" if got.shape == (2, 1) else ""),
             _see(name, "the step changes each weight in place: keep W3's shape"))
    if got.shape == W3.shape and np.allclose(got, W3 + _L03_LR * dW3, rtol=1e-4, atol=1e-6):
        fail("W3 after one step", "a step downhill", "a step uphill (a sign error)",
             _see(name, "gradient descent moves against the gradient"))
    if got.shape == W3.shape and np.allclose(got, W3):
        fail("W3 after one step", "changed weights", "the unchanged W3", _see(name, "the step must change W3"))
    if got.shape == W3.shape and np.allclose(got, W3 - dW3, rtol=1e-4, atol=1e-6):
        fail("W3 after one step", "the step scaled by the learning rate", "a full step (learning rate 1)",
             _see(name, "forgot the learning rate"))
    _number(name, "W3 after one step", got, W3 - _L03_LR * dW3, tol=1e-4, shape=W3.shape,
            hint="use your gradient from exercise 2 (right only if exercise 2 is right) and the learning rate")


def l03_hidden_gradient(dW2) -> None:
    """Exercise 4: dLoss/dW2, shape (2, 3) like W2, of the tiny network for x = (-0.5, 1), y = 0: one layer
    further back than exercise 2, through layer 2's tanh."""
    name = "l03_hidden_gradient"
    if _unanswered(name, dW2):
        return
    params, cache, grads = _tiny_gradients()
    want = grads.W[1]
    p, a2 = float(cache.proba[0, 0]), cache.a[2][0]
    got = as_array("hidden weight gradient dW2", dW2, None, _see(name, "a (2, 3) array like W2"))
    if got.size == want.size and got.shape != want.shape:
        fail("hidden weight gradient dW2", "shape (2, 3), the shape of W2",
             f"shape {got.shape}" + (": transposed" if got.shape == (3, 2) else ""),
             _see(name, "a gradient has the shape of its weights: one row per neuron of layer 2, one column per "
                        "input of layer 2"))
    if got.shape == want.shape:
        if np.allclose(got, p * (1 - p) * want, rtol=1e-6, atol=1e-9):
            fail("hidden weight gradient dW2", "the output's error signal as in step 1",
                 "the sigmoid's slope kept at the output",
                 _see(name, "with the cross-entropy, the sigmoid's slope cancels against the log at the output "
                            "(step 1): do not multiply by it again"))
        if np.allclose(got, want / (1 - a2 ** 2)[:, None], rtol=1e-6, atol=1e-9):
            fail("hidden weight gradient dW2", "the error signal passed back through tanh", "tanh's slope missing",
                 _see(name, "on the way back through layer 2's tanh, multiply by tanh's slope at that layer "
                            "(step 3)"))
    _number(name, "hidden weight gradient dW2", got, want, tol=1e-6, shape=want.shape,
            hint="back along W3, through tanh's slope, then times the inputs of layer 2 (steps 3 and 4)")


# --- lesson 03, exercise 5 ---
# Lesson 03 exercise 5's network (the notebook states the same): hidden layers of 32 inputs, weights of standard
# deviation 0.35, relu; the size (root mean square) of hidden layer 1's weighted sums is 1; the size asked: layer 7's
_L03_FAN_IN, _L03_WEIGHT_STD, _L03_FROM_LAYER, _L03_TO_LAYER = 32, 0.35, 1, 7


def l03_signal_growth(size) -> None:
    """Exercise 5: the expected size (root mean square) of the weighted sums of hidden layer 7 in a relu network whose
    layers have 32 inputs and weights of standard deviation 0.35, when those of hidden layer 1 have size 1."""
    name = "l03_signal_growth"
    what = "size of hidden layer 7's weighted sums"
    if _unanswered(name, size):
        return
    got = as_array(what, size, None, _see(name, "give one number"))
    if got.size != 1:
        fail(what, "one number", f"shape {got.shape}", _see(name, "one number: the size of the weighted sums of "
                                                                  "hidden layer 7"))
    got = float(got.reshape(()))
    mean_square_gain = _L03_FAN_IN * _L03_WEIGHT_STD ** 2     # a weighted sum's mean square over its inputs'
    layers = _L03_TO_LAYER - _L03_FROM_LAYER                   # one factor per layer after hidden layer 1
    per_layer = np.sqrt(mean_square_gain / 2)                  # relu keeps half of the mean square
    if not np.isfinite(got) or got <= 0:
        fail(what, "a positive number", "zero, a negative number or not a number",
             _see(name, "a root mean square is never negative"))
    slips = [
        (np.sqrt(mean_square_gain) ** layers, "relu's halving left out",
         "relu sets the negative half of the weighted sums to zero, which halves their mean square at every layer"),
        ((mean_square_gain / 2) ** layers, "a mean square, not its root",
         "the factor per layer you found multiplies the mean square; the size asked for is its square root"),
        (per_layer ** (layers + 1), "one layer too many",
         "count the layers between hidden layer 1 and hidden layer 7: each later layer brings one factor"),
        (per_layer ** (layers - 1), "one layer too few",
         "count the layers between hidden layer 1 and hidden layer 7: each later layer brings one factor"),
        (per_layer, "the factor of a single layer",
         "the factors of successive layers compound: each layer multiplies the size it receives"),
        (layers * per_layer, "the factors added",
         "each layer multiplies the size it receives, so the factors multiply rather than add"),
        ((np.sqrt(mean_square_gain) / 2) ** layers, "the size halved instead of the mean square",
         "relu halves the mean square of the weighted sums; their root mean square shrinks by less than half"),
    ]
    for value, mistake, hint in slips:
        if np.isclose(got, value, rtol=1e-6):
            fail(what, "the size after the layers compound", mistake, _see(name, hint))
    _number(name, what, got, per_layer ** layers, tol=1e-6,
            hint="find the factor by which one relu layer multiplies the mean square, then compound it")
