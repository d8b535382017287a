"""Lesson 01's exercise checks (see the package docstring, hlkit/check/__init__.py)."""

from __future__ import annotations

import numpy as np

from .core import _number, _see, _unanswered, as_array, fail, passed

# --- lesson 01 ---
# The inputs of lesson 01's exercises (the notebook states the same ones).
_L01_NEURON = dict(x=[2.0, -1.0, 0.5], w=[0.5, 1.0, -2.0], b=0.3)
_L01_W1, _L01_B1 = [[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]], [1.0, 0.0, -1.0]
_L01_W2, _L01_B2 = [[2.0, -1.0, 0.5]], [0.5]


def l01_neuron_output(value) -> None:
    """Exercise 1: the output of one sigmoid neuron with inputs x, weights w and bias b of lesson 01."""
    from ..scratch import sigmoid

    name = "l01_neuron_output"
    if _unanswered(name, value):
        return
    x, w, b = (np.asarray(_L01_NEURON[k], dtype=np.float64) for k in "xwb")
    z = float(w @ x + b)
    got = as_array("neuron output", value, None, _see(name, "give one number, e.g. a float"))
    if got.size != 1:
        fail("neuron output", "one number", f"shape {got.shape}", _see(name, "one neuron has one output"))
    got = float(got.reshape(()))
    if np.isclose(got, z):
        fail("neuron output", "the output after the activation", "the weighted sum z",
             _see(name, "you stopped one step early: apply the activation to the weighted sum"))
    if np.isclose(got, float(sigmoid(w @ x))) or np.isclose(got, float(sigmoid(w @ x - b))):
        fail("neuron output", "the bias included once, with its sign", "a value that leaves the bias out",
             _see(name, "forgot the bias: it joins the weighted sum before the activation"))
    if np.isclose(got, np.tanh(z)) or np.isclose(got, max(z, 0.0)):
        fail("neuron output", "a sigmoid output", "the output of a different activation",
             _see(name, "this neuron uses the sigmoid, not tanh or relu"))
    if np.isclose(got, float(sigmoid(-z))):
        fail("neuron output", "the sigmoid of z", "the sigmoid of -z (a sign error)",
             _see(name, "check the sign inside the exponential"))
    if not 0.0 < got < 1.0:
        fail("neuron output", "a number between 0 and 1 (a sigmoid output)", "a number outside (0, 1)",
             _see(name, "the sigmoid squeezes every z into (0, 1)"))
    _number(name, "neuron output", got, sigmoid(z), tol=1e-4,
            hint="compute the weighted sum with the bias first, then the sigmoid of it")


def l01_linear_collapse(W_combined, b_combined) -> None:
    """Exercise 2: the one linear layer (W, b) that computes the same as lesson 01's two stacked linear layers."""
    name = "l01_linear_collapse"
    if _unanswered(name, W_combined, b_combined):
        return
    W1, b1, W2, b2 = (np.asarray(v, dtype=np.float64) for v in (_L01_W1, _L01_B1, _L01_W2, _L01_B2))
    W = as_array("combined weights", W_combined, None, _see(name, "a (1, 2) array"))
    if W.shape == (2, 1):
        fail("combined weights", "shape (1, 2): 1 output, 2 inputs", "shape (2, 1): transposed",
             _see(name, "PyTorch stores W as (outputs, inputs); the layer that acts last comes first in the product"))
    as_array("combined weights", W_combined, (1, 2), _see(name, "the combined layer maps 2 inputs to 1 output"))
    if not np.allclose(W, W2 @ W1):
        fail("combined weights", "weights that map the inputs as the two layers do together",
             "a (1, 2) matrix that maps inputs differently",
             _see(name, "write layer 2 applied to layer 1's output and keep only the part that multiplies x"))
    passed("combined weights: correct")
    b = as_array("combined bias", b_combined, None, _see(name, "one number per output"))
    if b.shape not in ((1,), ()):
        fail("combined bias", "1 number (shape (1,))", f"shape {b.shape}", _see(name, "one output neuron has one bias"))
    b = b.reshape(1)
    if np.allclose(b, b2):
        fail("combined bias", "the first bias carried through the second layer", "the second layer's bias alone",
             _see(name, "forgot the first layer's bias: it also passes through the second layer's weights"))
    if np.allclose(b, W2 @ b1):
        fail("combined bias", "both biases", "the first bias carried through, without the second layer's own",
             _see(name, "forgot the second layer's bias: it is added after the weights"))
    if np.allclose(b, b1.sum() + b2) or np.allclose(b, b1.sum()):
        fail("combined bias", "the first bias carried through the second layer", "the biases simply added",
             _see(name, "the first bias is a vector of 3 numbers that goes through the second layer like the input "
                        "does"))
    _number(name, "combined bias", b, W2 @ b1 + b2, tol=1e-6,
            hint="expand the two layers and collect the terms without x")


# --- lesson 01, exercise 3 ---
_L01_XOR = ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])


def l01_xor_by_hand(W1, b1, W2, b2) -> None:
    """Exercise 3: hand-chosen weights of a 2-2-1 network (tanh hidden layer, logit output) that classify the four XOR
    points. The check runs the network and says how many of the 4 points it gets right, never which weights work."""
    name = "l01_xor_by_hand"
    if _unanswered(name, W1, b1, W2, b2):
        return
    shapes = {"W1_xor": (2, 2), "b1_xor": (2,), "W2_xor": (1, 2), "b2_xor": (1,)}
    given = dict(zip(shapes, (W1, b1, W2, b2), strict=True))
    arrays = {}
    for what, shape in shapes.items():
        arr = as_array(what, given[what], None, _see(name, f"{what} should be numbers of shape {shape}"))
        if arr.shape != shape:
            transposed = arr.ndim == 2 and arr.shape == shape[::-1]
            fail(what, f"shape {shape}", f"shape {arr.shape}" + (": transposed" if transposed else ""),
                 _see(name, "a weight matrix has one row per neuron of the layer and one column per input"))
        if not np.isfinite(arr).all():
            fail(what, "finite numbers", "inf or NaN", _see(name, "large weights are fine, infinite ones are not"))
        arrays[what] = arr
    X, y = (np.asarray(v) for v in _L01_XOR)
    z = (np.tanh(X @ arrays["W1_xor"].T + arrays["b1_xor"]) @ arrays["W2_xor"].T + arrays["b2_xor"])[:, 0]
    right = int(np.sum(np.where(y == 1, z > 0, z < 0)))
    if right == len(y):
        passed("XOR by hand: your network classifies all 4 points")
        return
    rows = np.column_stack([arrays["W1_xor"], arrays["b1_xor"]])
    if np.allclose(rows[0], rows[1]) or np.allclose(rows[0], -rows[1]):
        fail("XOR by hand", "4 of 4 points classified", f"{right} of 4: your two hidden neurons draw the same line",
             _see(name, "one line cannot separate XOR; give the two neurons different lines, with the class-1 points "
                        "between them"))
    fail("XOR by hand", "4 of 4 points classified", f"{right} of 4",
         _see(name, "draw each hidden neuron's line on paper, see on which side of it each point lies, then choose the "
                    "output weights so that only the points between the lines get a positive z"))
