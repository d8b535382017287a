"""Exercise checks: instant feedback while a learner works (formative; grades come from hidden tests).

Each check prints a line starting with "✓" when the answer is right, and raises AssertionError with
"expected ..., got ..." and a hint when it is not. A failing message names the kind of mistake (shape,
transposed, sign, a missing bias, rounded too early, ...) and the lesson section to re-read; it never
prints code of the solution nor the right value.

What these checks are not: a grade. A learner can read this file or replace its functions in their
kernel, so the points of a graded exercise come from the hidden tests in the instructor's check cells
(nbgrader's ``### BEGIN HIDDEN TESTS``), which never call this module (docs/instructors.md). Still, no
expected answer sits here as a plain constant: each is recomputed from the exercise's inputs, or (when
it is a finding such as "the smallest width that works") compared through a salted hash; and a check
whose answer is a small whole number stops judging after ``TRIES`` wrong answers in a row, so it cannot be
called in a loop until it says ✓ (restarting the kernel resets it).

An unanswered exercise (its variables still ``None``, as the student copy leaves them) prints one line,
"exercise N is not answered yet", instead of raising, so Run All reaches the end of the lesson. Under
nbgrader's autograder (and ``hlkit validate``), which set ``NBGRADER_EXECUTION``, it fails instead.
Checks are grouped by lesson below; they do not import widgets.
"""

from __future__ import annotations

import functools
import hashlib
import os

import numpy as np

#: wrong answers in a row after which a small-whole-number check stops judging (until the kernel restarts)
TRIES = 3


class CheckFailed(AssertionError):
    """An exercise answer is wrong; the message says what was expected, what was got, and a hint."""


def passed(message: str) -> None:
    print(f"✓ {message}")


def fail(what: str, expected: str, got, hint: str) -> None:
    raise CheckFailed(f"✗ {what}: expected {expected}, got {got}.\nHint: {hint}")


def not_done(value) -> bool:
    """True for the placeholders a student copy starts from (None or Ellipsis)."""
    return value is None or value is Ellipsis


def grading() -> bool:
    """True while nbgrader's autograder or validator (or ``hlkit validate``) runs the notebook."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def as_array(what: str, value, shape=None, hint: str = "") -> np.ndarray:
    """``value`` as a float64 array of the given shape, or a failed check saying what was wrong."""
    if not_done(value):
        fail(what, "an answer", "nothing yet (None)", hint or "fill in the cell above and run it")
    try:
        arr = np.asarray(value.detach() if hasattr(value, "detach") else value, dtype=np.float64)
    except (TypeError, ValueError):
        fail(what, "numbers", f"a {type(value).__name__}", hint or "the answer should be numbers")
    if shape is not None and arr.shape != tuple(shape):
        fail(what, f"shape {tuple(shape)}", f"shape {arr.shape}", hint or "check the order of the dimensions")
    return arr


def close(what: str, got, expected, *, rtol: float = 1e-6, atol: float = 1e-8, hint: str) -> None:
    """Pass if ``got`` equals ``expected`` within tolerance. A failure says how many entries are off, never
    by how much: the size of the gap would give the answer away (a doubled answer is off by the answer)."""
    expected = np.asarray(expected, dtype=np.float64)
    got = as_array(what, got, expected.shape, hint)
    if np.isnan(got).any():
        fail(what, "numbers", f"{int(np.isnan(got).sum())} NaN value(s)", hint)
    off = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    if off.any():
        # the tolerance is said as given: one scaled by the answer would tell its size
        fail(what, f"values within a relative {rtol:g} (or {atol:g}) of the right answer",
             "a different value" if off.size == 1 else f"{int(off.sum())} of {off.size} values different", hint)
    passed(f"{what}: correct")


# ---------------------------------------------------------------------------------------------------------
# What every lesson check shares: which exercise it is, "not answered yet", mistakes by kind, tries


#: check -> (exercise number in its lesson, the section to re-read)
EXERCISES = {
    "l01_neuron_output": (1, "sections 1-2 (One neuron; Activation functions)"),
    "l01_linear_collapse": (2, "section 3 (stacked linear layers collapse)"),
    "l02_network_output": (1, "section 2 (Layer by layer, for one input)"),
    "l02_batch_weighted_sums": (2, "section 3 (A whole batch at once: the matrix form)"),
    "l02_n_params": (3, "section 6 (Counting parameters)"),
    "l03_bce": (1, "section 1 (Measuring the error: binary cross-entropy)"),
    "l03_output_gradient": (2, "section 2 (The chain rule, on the tiny network)"),
    "l03_gradient_step": (3, "section 4 (Gradient descent, step by step)"),
    "l03_hidden_gradient": (4, "section 2 (The chain rule, on the tiny network)"),
    "l04_smallest_width": (1, "section 2 (The smallest width that separates the circle)"),
    "l04_spiral_budget": (2, "section 3 (Depth on the spiral)"),
    "l04_param_formula": (3, "section 4 (Counting parameters)"),
    "l05_diagnose": (1, "section 1 (Noisy data, three networks)"),
    "l05_too_strong": (2, "section 4 (Remedies: L2 regularization)"),
    "l05_best_depth": (3, "section 4 (Remedies: A validation set)"),
    "l06_conv_params": (1, "section 2 (A convolution is a hidden layer with local, shared weights)"),
    "l06_output_size": (2, "section 2 (A convolution is a hidden layer with local, shared weights)"),
    "l06_edge_filter": (3, "section 2 (Hand-made edge filters)"),
    "l07_gradient_times_input": (1, "section 3 (Three ways to explain a digit)"),
    "l07_top_pixels": (2, "section 3 (Three ways to explain a digit)"),
    "l08_weights_left": (1, "section 1 (Pruning: remove the smallest weights)"),
    "l08_bits_needed": (2, "section 2 (Quantization: fewer bits per weight)"),
    "l02_cross_entropy": (4, "section 7 (Many classes: softmax and cross-entropy)"),
    "l01_xor_by_hand": (3, "section 4 (A linear model against one hidden layer)"),
    "l08_prune": (3, "section 1 (Pruning: remove the smallest weights)"),
    "l08_quantize": (4, "section 2 (Quantization: fewer bits per weight)"),
    "l06_conv2d_by_hand": (4, "section 2 (What conv2d computes at one position)"),
    "l07_occlusion": (3, "section 3 (Three ways to explain a digit)"),
    "l03_signal_growth": (5, "section 6 (Vanishing and exploding gradients; The starting scale)"),
}


def _see(check: str, hint: str) -> str:
    return f"{hint} (see {EXERCISES[check][1]})"


def _function(check: str, what: str, value, takes: str) -> None:
    """Fail unless the answer ``value`` is a function (of ``takes``, e.g. "depth and width")."""
    if not callable(value):
        fail(what, f"a function of {takes}", f"a {type(value).__name__}",
             _see(check, f"define a function of {takes}, and pass the function itself (no parentheses)"))


def answered(number: int, *values) -> bool:
    """False (after printing "exercise N is not answered yet") when every one of ``values`` is still a
    placeholder (None or ...); under a grader (NBGRADER_EXECUTION set) a failed check instead. True
    otherwise. For check cells of your own exercises: ``if hl.check.answered(1, my_answer): ...``."""
    if not all(not_done(value) for value in values):
        return True
    if grading():
        fail(f"exercise {number}", "an answer", "nothing yet (not answered)", "fill in the exercise cell above")
    print(f"exercise {number} is not answered yet: fill in the cell above, run it, then run this cell again")
    return False


def _unanswered(check: str, *values) -> bool:
    """True (after one printed line) when every answer is still a placeholder; under a grader, a failure."""
    return not answered(EXERCISES[check][0], *values)


def _salted(exercise: str, value) -> str:
    """A salted digest of an answer that cannot be recomputed from the exercise's inputs."""
    return hashlib.sha256(f"hlkit-check:{exercise}:{value!r}".encode()).hexdigest()[:24]


# the digest of lesson 04 exercise 1's answer (a finding of the lesson's table, not a formula)
_L04_EX1 = "f891d488e34f8f51a5bc3b2d"

_wrong_in_a_row: dict[str, int] = {}


def limited(check):
    """For checks of small whole-number answers: after ``TRIES`` wrong answers in a row, say only "not yet"
    until the kernel restarts, so calling the check in a loop cannot find the answer."""
    name = check.__name__

    @functools.wraps(check)
    def run(*args, **kwargs):
        if _wrong_in_a_row.get(name, 0) >= TRIES:
            fail(f"exercise {EXERCISES[name][0]}", "an answer worked out, not guessed",
                 f"{TRIES} wrong answers in a row, so this check says only: not yet",
                 _see(name, "re-read the section, work the answer out, then restart the kernel (Kernel -> "
                            "Restart Kernel and Run All) and check once more"))
        try:
            result = check(*args, **kwargs)
        except CheckFailed:
            _wrong_in_a_row[name] = _wrong_in_a_row.get(name, 0) + 1
            raise
        _wrong_in_a_row.pop(name, None)
        return result

    return run


def _rounded(got, expected) -> int | None:
    """The number of decimals (1-3) that ``got`` equals ``expected`` rounded to, if it does and is wrong."""
    for decimals in (1, 2, 3):
        if np.allclose(got, np.round(expected, decimals), rtol=0, atol=1e-9) \
                and not np.allclose(got, expected, rtol=1e-4, atol=1e-4):
            return decimals
    return None


def _number(check: str, what: str, got, expected, *, tol: float, hint: str, shape=None) -> None:
    """Compare one answer with the expected array and name the usual mistakes: shape, transposed,
    sign, rounded too early; ``hint`` is for any other difference."""
    expected = np.asarray(expected, dtype=np.float64)
    shape = expected.shape if shape is None else tuple(shape)
    arr = as_array(what, got, None, _see(check, "the answer should be numbers"))
    if arr.shape != shape:
        if arr.ndim == 2 and arr.shape == shape[::-1] and shape[0] != shape[1]:
            fail(what, f"shape {shape}", f"shape {arr.shape}: transposed",
                 _see(check, "rows and columns are swapped; check which dimension holds what"))
        fail(what, f"shape {shape}", f"shape {arr.shape}",
             _see(check, "keep the shape the exercise asks for (no flattening, no extra dimension)"))
    if np.isnan(arr).any():
        fail(what, "numbers", "NaN", _see(check, "a log of 0 or a division by 0 somewhere"))
    if np.allclose(arr, expected, rtol=tol, atol=tol):
        passed(f"{what}: correct")
        return
    if np.any(expected != 0) and np.allclose(arr, -expected, rtol=tol, atol=tol):
        fail(what, "the right sign", "the right size with the opposite sign", _see(check, "check the sign"))
    decimals = _rounded(arr, expected)
    if decimals is not None:
        fail(what, "full precision", f"a value rounded to {decimals} decimal{'s' if decimals > 1 else ''}",
             _see(check, "do not round: keep every digit numpy gives you"))
    fail(what, f"values within {tol:g} of the right answer",
         "a different value" if arr.size == 1 else f"{int((~np.isclose(arr, expected, rtol=tol, atol=tol)).sum())} "
         f"of {arr.size} values different", _see(check, hint))


def _whole(what: str, value, hint: str) -> int:
    """``value`` as a whole number, or a failed check."""
    got = float(as_array(what, value, (), hint or "give one whole number"))
    if got != round(got):
        fail(what, "a whole number", f"{got:g}", hint)
    return int(round(got))


# ---------------------------------------------------------------------------------------------------------
# Lesson checks. Each lesson's checks sit in their own section, in lesson order.

# --- lesson 01 ---
# The inputs of lesson 01's exercises (the notebook states the same ones).
_L01_NEURON = dict(x=[2.0, -1.0, 0.5], w=[0.5, 1.0, -2.0], b=0.3)
_L01_W1, _L01_B1 = [[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]], [1.0, 0.0, -1.0]
_L01_W2, _L01_B2 = [[2.0, -1.0, 0.5]], [0.5]


def l01_neuron_output(value) -> None:
    """Exercise 1: the output of one sigmoid neuron with inputs x, weights w and bias b of lesson 01."""
    from .scratch import sigmoid

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
    from .scratch import forward, sigmoid

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


def l03_output_gradient(dW3) -> None:
    """Exercise 2: dLoss/dW3, shape (1, 2) like W3, of the tiny network for x = (-0.5, 1), y = 0."""
    from .scratch import backward, forward

    name = "l03_output_gradient"
    if _unanswered(name, dW3):
        return
    params = _tiny()
    cache = forward(params, np.asarray(_L03_X), "tanh")
    want = backward(params, cache, _L03_LABEL).W[2]
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
    from .scratch import backward, forward

    name = "l03_gradient_step"
    if _unanswered(name, W3_new):
        return
    params = _tiny()
    grads = backward(params, forward(params, np.asarray(_L03_X), "tanh"), _L03_LABEL)
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
    from .scratch import backward, forward

    name = "l03_hidden_gradient"
    if _unanswered(name, dW2):
        return
    params = _tiny()
    cache = forward(params, np.asarray(_L03_X), "tanh")
    want = backward(params, cache, _L03_LABEL).W[1]
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


# --- lesson 04 ---
# Lesson 04's exercise settings (the notebook states the same ones).
_L04_SPIRAL = dict(name="spiral", seed=0)          # 250 training + 250 test points, 2 arms
_L04_BUDGET = 120                                  # parameters allowed in exercise 2
_L04_TRAIN = dict(epochs=500, lr=0.03)             # Adam, full batch, model seed 0


@limited
def l04_smallest_width(width) -> None:
    """Exercise 1: the smallest width of one tanh hidden layer that separates the nested circles."""
    name = "l04_smallest_width"
    if _unanswered(name, width):
        return
    got = _whole("smallest width", width, _see(name, "one whole number of neurons"))
    if got < 1:
        fail("smallest width", "a number of neurons, 1 or more", "a number below 1",
             _see(name, "a hidden layer has at least one neuron"))
    if _salted("l04-ex1", got) == _L04_EX1:
        passed("smallest width: correct (three lines can enclose a triangle around the disc; two cannot enclose "
               "anything)")
        return
    # one message for every wrong width: "too few" / "larger than needed" would bracket the answer in two tries
    fail("smallest width", "the smallest width that works", "not the smallest width that works",
         _see(name, "in the table, the smallest width whose test accuracy reaches 0.95 for every seed; with too few "
                    "neurons the region called class 1 runs off to infinity and covers part of the ring, and any "
                    "wider layer works too but is not the smallest"))


def l04_spiral_budget(hidden) -> None:
    """Exercise 2: hidden layers with at most 120 parameters in all that reach test accuracy >= 0.95 on the spiral
    (hl.make_dataset("spiral", seed=0)) after 500 epochs of Adam at lr 0.03, model seed 0."""
    from .data import make_dataset
    from .models import mlp, n_params
    from .train import train

    name = "l04_spiral_budget"
    if _unanswered(name, hidden):
        return
    try:
        model = mlp(list(hidden), seed=0)
    except (TypeError, ValueError) as err:
        fail("hidden", "a list of layer widths such as [4, 4]", f"{hidden!r}", str(err))
    size = n_params(model)
    if size > _L04_BUDGET:
        fail("parameters", f"at most {_L04_BUDGET}", f"{size} for hidden={list(hidden)}",
             _see(name, "narrower or fewer layers; count a candidate's parameters before you train it"))
    history = train(model, make_dataset(**_L04_SPIRAL), **_L04_TRAIN)
    acc = history.test_acc[-1]
    if acc < 0.95:
        fail("test accuracy after 500 epochs", "at least 0.95", f"{acc:.3f} with {size} parameters",
             _see(name, "the training recipe is fixed, so the shape decides: train several shapes within the budget "
                       "yourself (one layer or more, wider or narrower) and keep one that passes"))
    passed(f"hidden={list(hidden)}: {size} parameters, test accuracy {acc:.3f}")   # the learner's own answer


def l04_param_formula(count) -> None:
    """Exercise 3: ``count(depth, width)`` returns the number of weights and biases of an MLP with 2 inputs,
    ``depth`` hidden layers of ``width`` neurons each, and 1 output (hl.mlp(hl.models.hidden_sizes(depth, width)))."""
    from .models import hidden_sizes, mlp, n_params

    name = "l04_param_formula"
    if _unanswered(name, count):
        return
    _function(name, "count", count, "depth and width")
    for depth, width in [(1, 4), (2, 3), (3, 8), (4, 1), (0, 5), (2, 7)]:
        what = f"count({depth}, {width})"
        try:
            value = count(depth, width)
        except Exception as err:  # the student's function failed: say so, as a check result
            fail(what, "a number", f"an error ({type(err).__name__}: {err})",
                 "call your function on one case in a cell of its own to see what goes wrong")
        got = _whole(what, value, "return one whole number")
        right = n_params(mlp(hidden_sizes(depth, width)))
        if got == right:
            continue
        layers = " -> ".join(["2", *[str(width)] * depth, "1"])
        if depth == 0:
            fail(what, "the linear model's count: the 2 inputs connect straight to the output", "a different count",
                 _see(name, "with no hidden layer the width does not exist"))
        if got == right - depth * width - 1:
            fail(what, f"weights and biases of {layers}", "the weights only",
                 _see(name, "forgot the biases: every neuron, the output neuron included, has one"))
        if got == right - width - 1:
            fail(what, f"weights and biases of {layers}", "a count without the output layer",
                 _see(name, "the last hidden layer connects to the output neuron too"))
        if got in (right - 1, right + 1):
            fail(what, f"weights and biases of {layers}", "a count off by one", _see(name, "recount the biases"))
        fail(what, f"weights and biases of {layers}", "a different count",
             _see(name, "count the first hidden layer, every further hidden layer, and the output layer separately; "
                        "check the case with no hidden layer too"))
    passed("count(depth, width): right for every depth and width tried")


# --- lesson 05 ---
# Lesson 05's exercise settings (the notebook states the same ones).
_L05_DATA = dict(name="circle", n_points=1000, noise=0.3, train_ratio=0.1, seed=0)   # 100 train + 900 test points
_L05_BIG = [32, 32, 32]
_L05_TRAIN = dict(epochs=1000, lr=0.02)
_L05_UNDERFIT_TRAIN_ACC = 0.8     # the 4-neuron network reaches about 0.9 on these training points
_L05_SPLIT = dict(val_ratio=0.3, seed=0)             # hl.sweep.validation_split of the noisy circle
_L05_GRID = dict(widths=[8], epochs=300, lr=0.03)     # hl.sweep.capacity_grid settings of exercise 3


@limited
def l05_diagnose(histories, underfit, overfit) -> None:
    """Exercise 1: which of the trained networks (a dict name -> History) underfits and which overfits."""
    name = "l05_diagnose"
    if _unanswered(name, underfit, overfit):
        return
    if not isinstance(histories, dict) or len(histories) < 3:
        fail("histories", "the dict of three training histories from the cell above", f"{type(histories).__name__}",
             "pass the dict the lesson built, unchanged")
    for what, answer in (("underfit", underfit), ("overfit", overfit)):
        if not_done(answer) or answer not in histories:
            fail(what, "one of the model names (the keys of the dict)", "something else",
                 _see(name, "give the name of a model as a string"))
    train_acc = {k: h.train_acc[-1] for k, h in histories.items()}
    gap = {k: h.train_acc[-1] - h.test_acc[-1] for k, h in histories.items()}
    if underfit == overfit:
        fail("underfit and overfit", "two different models", "the same model twice",
             _see(name, "one model cannot do both"))
    if underfit != min(train_acc, key=train_acc.get):
        fail("underfit", "the model that does poorly even on its own training points", "another model",
             _see(name, "compare the training accuracies (the black dotted curves): underfitting means the network "
                        "cannot even fit the data it learns from"))
    if overfit != max(gap, key=gap.get):
        fail("overfit", "the model whose training score is far better than its test score", "another model",
             _see(name, "look at the gap between training (black) and test (red), and for a test loss that rises "
                        "while the training loss keeps falling"))
    passed(f"underfit {underfit!r}, overfit {overfit!r}: correct")


def l05_too_strong(reg_rate) -> None:
    """Exercise 2: an L2 rate strong enough to make the big network (hidden [32, 32, 32]) underfit the lesson's
    noisy circle: training accuracy below 0.8 after 1000 epochs."""
    from .data import make_dataset
    from .models import mlp
    from .train import train

    name = "l05_too_strong"
    if _unanswered(name, reg_rate):
        return
    rate = float(as_array("reg_rate", reg_rate, (), _see(name, "one number, e.g. 0.001")))
    if not 0 <= rate <= 1:
        fail("reg_rate", "a number from 0 to 1 (what training accepts)", f"{rate:g}",
             _see(name, "try the rates listed in the exercise"))
    history = train(mlp(_L05_BIG, seed=0), make_dataset(**_L05_DATA), regularization="l2", reg_rate=rate,
                    report_every=_L05_TRAIN["epochs"], **_L05_TRAIN)
    if history.status == "diverged":
        fail("reg_rate", "a rate that trains without diverging", f"{rate:g}", history.message)
    acc = history.train_acc[-1]
    if acc >= _L05_UNDERFIT_TRAIN_ACC:
        fail("training accuracy with L2", f"below {_L05_UNDERFIT_TRAIN_ACC} (underfitting)", f"{acc:.3f}",
             _see(name, "the penalty is still too weak to stop the network from fitting its training points: "
                        "make it larger"))
    passed(f"reg_rate {rate:g}: training accuracy {acc:.3f}, the penalty now keeps the network from fitting even "
           "its training points")


def l05_best_depth(best_depth, val_acc, depths) -> None:
    """Exercise 3: the depth chosen by validation accuracy. val_acc: shape (len(depths),), one validation
    accuracy per depth of width-8 networks trained on the lesson's validation split (300 epochs, lr 0.03);
    ties go to the shallower (smaller) network."""
    from .data import make_dataset
    from .sweep import capacity_grid, validation_split

    name = "l05_best_depth"
    if _unanswered(name, best_depth, val_acc):
        return
    depths = [int(d) for d in depths]
    scores = as_array("val_acc", val_acc, None, _see(name, "one validation accuracy per depth"))
    if scores.shape != (len(depths),):
        fail("val_acc", f"shape ({len(depths)},): one accuracy per depth", f"shape {scores.shape}",
             _see(name, "take the one column of the grid's accuracies, in the order of the depths"))
    if np.any((scores < 0) | (scores > 1)):
        fail("val_acc", "accuracies between 0 and 1", "values outside [0, 1]",
             _see(name, "use accuracies (the grid's test_acc, trained on the validation split), not losses"))
    split = validation_split(make_dataset(**_L05_DATA), **_L05_SPLIT)
    n_val = len(split.y_test)
    if not np.allclose(scores * n_val, np.round(scores * n_val), atol=1e-6):
        fail("val_acc", f"accuracies on the {n_val} validation points (multiples of 1/{n_val})",
             "numbers that cannot be accuracies on those points",
             _see(name, "these were not measured on the validation points: the test set (900 points) must stay "
                        "out of the choice; train the grid on `split`"))
    grid = capacity_grid(split, depths, **_L05_GRID)
    if not np.allclose(scores, grid.test_acc[:, 0], atol=1e-9):
        fail("val_acc", "the validation accuracies of the grid the exercise describes",
             f"{int((~np.isclose(scores, grid.test_acc[:, 0], atol=1e-9)).sum())} of {len(depths)} values different",
             _see(name, "train width 8, the listed depths, 300 epochs at lr 0.03 on `split`, and copy no numbers "
                        "by hand"))
    got = _whole("best_depth", best_depth, _see(name, "one whole number: a depth from the list"))
    if got not in depths:
        fail("best_depth", "one of the depths tried", "a depth not in the list", _see(name, "pick from the depths"))
    best = [d for d, s in zip(depths, scores, strict=True) if s == scores.max()]
    if got not in best:
        fail("best_depth", "the depth with the highest validation accuracy", "another depth",
             _see(name, "find the position of the highest value in val_acc, then the depth at that position"))
    if got != best[0]:
        fail("best_depth", "on a tie, the shallower network", "a deeper one of the tied depths",
             _see(name, "several depths tie: prefer the one with fewer layers (fewer parameters, same score)"))
    passed(f"best depth by validation: {got}")


# --- lesson 06 ---
# Lesson 06's exercise questions (the notebook states the same numbers).
_L06_CONV = dict(c_in=8, c_out=16, k=3)     # the second conv layer of hl.cnn()
_L06_IMAGE, _L06_KERNEL = 8, 3              # an 8x8 image, a 3x3 filter, no padding, stride 1, then 2x2 pooling


@limited
def l06_conv_params(n) -> None:
    """Exercise 1: trainable numbers of a 3x3 conv layer from 8 input channels to 16 filters (with biases)."""
    name = "l06_conv_params"
    if _unanswered(name, n):
        return
    c_in, c_out, k = _L06_CONV["c_in"], _L06_CONV["c_out"], _L06_CONV["k"]
    got = _whole("conv parameters", n, _see(name, "count the numbers in all filters, then add the biases"))
    weights = c_out * c_in * k * k
    if got == weights:
        fail("conv parameters", "weights and biases", "the weights only",
             _see(name, "forgot the bias: each filter also has one"))
    if got in (c_out * k * k + c_out, c_out * k * k):
        fail("conv parameters", "filters that see every input channel", "one 3x3 grid per filter",
             _see(name, "a filter spans all input channels"))
    if got in (weights + c_in, weights + c_out * c_in):
        fail("conv parameters", "one bias per filter", "a different number of biases",
             _see(name, "a filter is one output channel with one bias"))
    if got != weights + c_out:
        fail("conv parameters", "the weights of all filters and their biases", "a different count",
             _see(name, "count the weights of one filter first (it spans every input channel); how many filters share "
                        "that count, and what does each add? The image size does not matter: the same filters slide "
                        "over every position"))
    passed("conv parameters: correct")


@limited
def l06_output_size(conv_side, pooled_side) -> None:
    """Exercise 2: side of the output of a 3x3 filter (no padding, stride 1) on an 8x8 image, and after 2x2 pooling."""
    name = "l06_output_size"
    if _unanswered(name, conv_side, pooled_side):
        return
    side = _L06_IMAGE - _L06_KERNEL + 1
    got = _whole("side after the convolution", conv_side, _see(name, "one whole number: the output is square"))
    if got == _L06_IMAGE:
        fail("side after the convolution", "a smaller image (no padding)", "the input's size",
             _see(name, "without padding the 3x3 window must fit entirely inside the image"))
    if got in (side - 1, side + 1):
        fail("side after the convolution", "the number of positions a 3-wide window has in an 8-wide row",
             "a number off by one", _see(name, "count the positions on paper: the first and the last both count"))
    if got != side:
        fail("side after the convolution", "the number of positions a 3-wide window has in an 8-wide row",
             "a different number", _see(name, "slide the window one pixel at a time until its right edge hits the border"))
    passed("side after the convolution: correct")
    got = _whole("side after pooling", pooled_side, _see(name, "one whole number"))
    if got == side:
        fail("side after pooling", "a smaller side after pooling", "the side before pooling",
             _see(name, "2x2 max pooling keeps one number per 2x2 block"))
    if got != side // 2:
        fail("side after pooling", "the number of whole 2x2 blocks along one side", "a different number",
             _see(name, "2x2 max pooling keeps one number per 2x2 block"))
    passed("side after pooling: correct")


def l06_edge_filter(kernel) -> None:
    """Exercise 3: a 3x3 filter that responds to vertical edges (pixel values rising from left to right), not to flat areas
    or horizontal edges."""
    name = "l06_edge_filter"
    if _unanswered(name, kernel):
        return
    k = as_array("edge filter", kernel, (3, 3), _see(name, "a 3x3 array"))
    flat = np.ones((3, 3))
    vertical = np.tile([0.0, 0.0, 1.0], (3, 1))     # values 0 on the left, 1 (ink) on the right
    horizontal = vertical.T                           # values 0 on top, 1 below
    if not np.isclose((k * flat).sum(), 0.0):
        fail("edge filter", "response 0 on a flat (uniform) patch", f"response {(k * flat).sum():.3g}",
             _see(name, "make the weights sum to zero, so uniform areas give 0"))
    if abs((k * horizontal).sum()) > 0.5 and abs((k * vertical).sum()) < 1e-6:
        fail("edge filter", "a filter for vertical edges", "a filter for horizontal edges (transposed)",
             _see(name, "this one responds to changes from top to bottom; turn it by a quarter"))
    if (k * vertical).sum() < -0.5:
        fail("edge filter", "a positive response to values rising from left to right", "a negative one (a sign error)",
             _see(name, "swap the signs of the left and right columns"))
    if not (k * vertical).sum() > 0.5:
        fail("edge filter", "a clearly positive response (> 0.5) to an edge with values 0 on the left, 1 on the right",
             f"response {(k * vertical).sum():.3g}",
             _see(name, "put negative weights on the left and positive ones on the right"))
    if not abs((k * horizontal).sum()) < 1e-6:
        fail("edge filter", "response 0 to a horizontal edge (values 0 on top, 1 below)",
             f"response {(k * horizontal).sum():.3g}",
             _see(name, "let every row add up to zero, so top-bottom changes cancel"))
    passed("edge filter: responds to vertical edges only")


# --- lesson 07 ---
_L07_W, _L07_X = [2.0, -1.0, 0.5], [1.0, 3.0, -2.0]   # a linear score s = w . x (no bias)


def l07_gradient_times_input(attributions) -> None:
    """Exercise 1: gradient x input, by hand, for the linear score s = w . x with lesson 07's w and x."""
    name = "l07_gradient_times_input"
    if _unanswered(name, attributions):
        return
    w, x = np.asarray(_L07_W), np.asarray(_L07_X)
    got = as_array("gradient x input", attributions, (3,), _see(name, "one number per input: shape (3,)"))
    if np.allclose(got, w):
        fail("gradient x input", "the gradient multiplied by the input", "the gradient alone",
             _see(name, "the gradient of a linear score with respect to the input is its weights; now bring in the input"))
    if np.allclose(got, x):
        fail("gradient x input", "the gradient multiplied by the input", "the input alone",
             _see(name, "multiply the input by the gradient"))
    if np.isclose(got.sum(), float(w @ x)) and not np.allclose(got, w * x):
        fail("gradient x input", "one attribution per input", "numbers that add up right but are split wrongly",
             _see(name, "each input gets its own product, entry by entry"))
    if not np.allclose(got, w * x):
        fail("gradient x input", "one product per input (they add up to the score)", "different numbers",
             _see(name, "multiply entry by entry, not the dot product"))
    passed("gradient x input: correct, and the three add up to the score")


def l07_top_pixels(model, image, pixels) -> None:
    """Exercise 2: the 5 pixels (flat indices 0..63) with the largest gradient x input for one 8x8 image and
    its predicted class."""
    from .explain import gradient_x_input

    name = "l07_top_pixels"
    if _unanswered(name, pixels):
        return
    image = np.asarray(image, dtype=np.float64)
    # an MLP takes the image as a flat row of 64 numbers, a CNN as (1, 1, 8, 8)
    image = image.reshape(1, -1) if hasattr(model, "hidden") else image.reshape(1, 1, 8, 8)
    got = as_array("top pixels", pixels, None, _see(name, "five flat pixel indices")).reshape(-1)
    if got.shape != (5,):
        fail("top pixels", "5 pixel indices", f"{got.shape[0]} numbers", _see(name, "keep the five largest"))
    if not np.all((got >= 0) & (got < 64) & (got == np.round(got))):
        fail("top pixels", "flat indices 0..63", "numbers outside that range or not whole",
             _see(name, "flatten the (8, 8) map to 64 numbers before sorting"))
    scores = gradient_x_input(model, image).reshape(-1)
    top = set(np.argsort(scores, kind="stable")[-5:].tolist())
    chosen = set(got.astype(int).tolist())
    if chosen == set(np.argsort(np.abs(scores), kind="stable")[-5:].tolist()) != top:
        fail("top pixels", "the largest attributions (most positive)", "the largest in absolute value",
             _see(name, "sort the signed values: negative attributions spoke against the class"))
    if chosen == set(np.argsort(scores, kind="stable")[:5].tolist()):
        fail("top pixels", "the 5 largest values", "the 5 smallest (a sign or order error)",
             _see(name, "sorting goes from small to large: the largest are at the end"))
    if chosen != top:
        fail("top pixels", "the indices of the 5 largest gradient x input values of this image",
             "a different set of pixels", _see(name, "take gradient x input of this one image, then sort it"))
    passed("top pixels: correct")


# --- lesson 08 ---
_L08_LAYERS = [64, 32, 10]   # an MLP 64 -> 32 -> 10
_L08_REMOVED = 0.75
_L08_N_STORED = 5000         # weights to store in exercise 2


@limited
def l08_weights_left(n) -> None:
    """Exercise 1: weights (not biases) left in a 64 -> 32 -> 10 MLP after pruning 75 % of them."""
    name = "l08_weights_left"
    if _unanswered(name, n):
        return
    weights = sum(a * b for a, b in zip(_L08_LAYERS[:-1], _L08_LAYERS[1:], strict=True))
    biases = sum(_L08_LAYERS[1:])
    got = _whole("weights left", n, _see(name, "one whole number"))
    if got == round((weights + biases) * (1 - _L08_REMOVED)):
        fail("weights left", "weights only", "a count that includes biases",
             _see(name, "pruning here removes weights only"))
    if got == round(weights * _L08_REMOVED):
        fail("weights left", "the weights that remain", "the weights removed", _see(name, "75 % go, so 25 % remain"))
    if got != round(weights * (1 - _L08_REMOVED)):
        fail("weights left", "the weights that survive pruning", "a different number",
             _see(name, "count the weights of each layer (one per pair of connected neurons) first; which share of "
                        "them stays?"))
    passed("weights left: correct")


@limited
def l08_bits_needed(bits, n_bytes) -> None:
    """Exercise 2: bits per weight to tell 10 distinct values apart, and bytes for 5,000 weights at that size."""
    name = "l08_bits_needed"
    if _unanswered(name, bits, n_bytes):
        return
    need = int(np.ceil(np.log2(10)))
    got = _whole("bits needed", bits, _see(name, "one whole number"))
    if got == need - 1:
        fail("bits needed", "enough bits for 10 different codes", f"{got} bits: too few codes",
             _see(name, "one bit gives two codes and each extra bit doubles them: how many codes do your bits give?"))
    if got != need:
        fail("bits needed", "the fewest bits with enough codes for 10 values", "a different number",
             _see(name, "one bit gives two codes and each extra bit doubles them: find the fewest bits that give "
                        "at least 10"))
    passed("bits needed: correct")
    got = _whole("bytes", n_bytes, _see(name, "one whole number"))
    if got == _L08_N_STORED * need:
        fail("bytes", "bytes (8 bits each)", "bits", _see(name, "8 bits make one byte"))
    if got != int(np.ceil(_L08_N_STORED * need / 8)):
        fail("bytes", "the bytes that 5,000 weights take at that size", "a different number",
             _see(name, "how many bits do all the weights take together? Then turn bits into bytes (8 bits per "
                        "byte)"))
    passed("bytes: correct")


# --- lesson 02, exercise 4 (added after the lessons' sections above) ---
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


# --- lesson 01, exercise 3 (added after the lessons' sections above) ---
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


# --- lesson 08, exercises 3 and 4 (the learner writes prune and quantize; added after the sections above) ---
# The checks run the learner's function on arrays of their own (seeded here, none of the lesson's) and compare it
# with hlkit.compress's prune_array / quantize_array on each; a wrong result is matched against the usual slips.


def _l08_run(name: str, function, weights: np.ndarray, setting, setting_name: str, *,
             check_dtype: bool = True) -> np.ndarray:
    """Call the learner's ``function(weights copy, setting)``; fail on an error, on a changed input, or on a result
    that is not a numpy array of the input's shape (and, with ``check_dtype``, float64)."""
    what = f"{name[4:]}(weights, {setting_name}={setting!r}) on an array of shape {weights.shape}"
    given = weights.copy()
    try:
        out = function(given, setting)
    except Exception as err:  # the learner's function failed: say so, as a check result
        fail(what, "an array", f"an error ({type(err).__name__}: {err})",
             "call your function on one small array in a cell of its own to see what goes wrong")
    if not np.array_equal(given, weights):
        fail(what, "the array it was given left unchanged", "a changed input (changed in place)",
             _see(name, "work on a copy of the weights and return the copy: the caller keeps the original"))
    if out is None:
        fail(what, "an array", "None", _see(name, "the function must return its result"))
    if not isinstance(out, np.ndarray):
        fail(what, "a numpy array", f"a {type(out).__name__}", _see(name, "return a numpy array, as the input is"))
    if out.shape != weights.shape:
        flat = out.size == weights.size
        fail(what, f"shape {weights.shape}", f"shape {out.shape}" + (": flattened" if flat else ""),
             _see(name, "return an array of the same shape as the input (reshape back if you flattened it)"))
    if check_dtype:
        _l08_dtype(name, what, out)
    if np.isnan(out).any():
        fail(what, "numbers", f"{int(np.isnan(out).sum())} NaN value(s)",
             _see(name, "a division by zero somewhere: think of an array whose entries are all 0"))
    return out


def _l08_dtype(name: str, what: str, out: np.ndarray) -> None:
    if out.dtype != np.float64:
        fail(what, "dtype float64 (the input's)", f"dtype {out.dtype}",
             _see(name, "keep the input's float64 numbers (whole-number or 32-bit arrays lose precision)"))


def _l08_zeroed(weights: np.ndarray, key: np.ndarray, k: int) -> np.ndarray:
    """``weights`` with the k entries of smallest ``key`` (flat order on ties) set to 0."""
    out = weights.astype(np.float64).copy()
    out.reshape(-1)[np.argsort(key.reshape(-1), kind="stable")[:k]] = 0.0
    return out


def _l08_same_magnitudes(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(np.sort(np.abs(a), axis=None), np.sort(np.abs(b), axis=None)))


def _l08_prune_cases() -> list[tuple[np.ndarray, float]]:
    rng = np.random.default_rng(808)
    ties = np.array([[0.3, -0.3, 0.3, 0.9], [-0.3, 0.1, 2.0, -0.5]])   # four entries share the cut-off magnitude
    # the last two counts end in .5 (13.5 -> 14, 12.5 -> 12: a half goes to the even number, as the exercise says)
    return [(rng.normal(size=(6, 5)), 0.5), (rng.normal(size=(4, 1, 3, 3)), 0.25), (rng.normal(size=(5, 8)), 0.8),
            (rng.normal(size=(3, 4)), 0.0), (rng.normal(size=(2, 5)), 1.0), (ties, 0.25),
            (rng.normal(size=(3, 2, 3, 3)), 0.25), (rng.normal(size=(5, 10)), 0.25)]


def l08_prune(prune) -> None:
    """Exercise 3: ``prune(weights, fraction)``: a copy of ``weights`` (same shape, float64) in which the fraction
    ``fraction`` of all entries, rounded to a whole number, with the smallest |w| are 0; any of several entries that
    share the cut-off magnitude may go, but exactly that many go. The input is not changed."""
    from .compress import prune_array

    name = "l08_prune"
    if _unanswered(name, prune):
        return
    _function(name, "prune", prune, "weights and fraction")
    for weights, fraction in _l08_prune_cases():
        out = _l08_run(name, prune, weights, fraction, "fraction")
        what = f"prune(weights, fraction={fraction!r}) on an array of shape {weights.shape}"
        right = prune_array(weights, fraction)
        if _l08_same_magnitudes(out, right) and np.all((out == weights) | (out == 0)):
            continue
        k, size = int((right == 0).sum()), weights.size
        zeros = int((out == 0).sum())
        if not np.all((out == weights) | (out == 0)):
            fail(what, "each entry either kept as it was or set to 0", "entries with other values",
                 _see(name, "pruning only zeroes entries: the ones that stay keep their value and their sign"))
        if k < size and _l08_same_magnitudes(out, _l08_zeroed(weights, -np.abs(weights), k)):
            fail(what, "the smallest magnitudes removed", "the largest removed",
                 _see(name, "sort from small to large magnitude: the first entries are the ones to remove"))
        if _l08_same_magnitudes(out, _l08_zeroed(weights, weights, k)):
            fail(what, "the entries nearest to 0 removed", "the most negative entries removed",
                 _see(name, "rank by the size of each weight, whatever its sign: a large negative weight matters "
                            "as much as a large positive one"))
        if k == 0 and zeros > 0:
            fail(what, "nothing removed for fraction 0", f"{zeros} of {size} entries removed",
                 _see(name, "when no entry should go, no cut-off magnitude exists: handle that case"))
        if zeros == size - k != k:
            fail(what, "the given fraction removed", "the given fraction kept (the rest removed)",
                 _see(name, "the fraction says how many entries go, not how many stay"))
        rows = weights.reshape(len(weights), -1)
        per_row = np.stack([prune_array(row, fraction) for row in rows]).reshape(weights.shape)
        if not _l08_same_magnitudes(per_row, right) and _l08_same_magnitudes(out, per_row):
            fail(what, "one ranking of the whole array", "a ranking within each row",
                 _see(name, "rank all entries together, whatever row or filter they sit in"))
        if zeros > k and np.abs(weights[out == 0]).max() == np.abs(weights[right == 0]).max():
            fail(what, f"{k} of {size} entries removed", f"{zeros}: every entry at the cut-off magnitude removed",
                 _see(name, "several entries share the cut-off magnitude here; a threshold takes them all, a ranking "
                            "takes exactly as many as needed (any of the tied ones)"))
        if abs(zeros - k) == 1:
            half = (fraction * size) % 1 == 0.5
            fail(what, f"{k} of {size} entries removed", f"{zeros}: a count off by one",
                 _see(name, "the number to remove is the fraction of all entries, rounded to the nearest whole "
                            "number" + (": here that share ends in a half, and a half goes to the even whole number, "
                                        "as Python's round does" if half else "")))
        if zeros != k:
            fail(what, f"{k} of {size} entries removed", f"{zeros} removed",
                 _see(name, "count all entries of the array, whatever its shape, then take the fraction of them"))
        fail(what, "the entries with the smallest magnitudes removed", "other entries removed",
             _see(name, "rank the entries by magnitude over the whole array and zero the first ones"))
    passed("prune(weights, fraction): right on every array tried (matrices, filters, fraction 0 and 1, ties, counts "
           "ending in .5), and the input left as it was")


def _l08_near(out: np.ndarray, candidate, *, atol: float) -> bool:
    return bool(np.allclose(out, candidate, rtol=0, atol=atol))


def _l08_quantize_cases() -> list[tuple[np.ndarray, int]]:
    rng = np.random.default_rng(809)
    return [(rng.normal(size=(5, 4)), 2), (rng.normal(size=(4, 1, 3, 3)), 3), (rng.uniform(0.2, 1.0, size=(3, 6)), 2),
            (rng.normal(size=(6, 5)), 1), (rng.normal(size=(8, 8)), 8), (np.zeros((3, 3)), 4)]


def l08_quantize(quantize) -> None:
    """Exercise 4: ``quantize(weights, bits)``: a float64 copy of ``weights`` (same shape) in which every entry is
    replaced by the nearest of 2**bits evenly spaced levels from -max|w| to +max|w| (lesson 08 section 2,
    hlkit.compress.quantize_array); an array of zeros stays zeros. The input is not changed."""
    from .compress import quantize_array

    name = "l08_quantize"
    if _unanswered(name, quantize):
        return
    _function(name, "quantize", quantize, "weights and bits")
    for weights, bits in _l08_quantize_cases():
        out = _l08_run(name, quantize, weights, bits, "bits", check_dtype=False)
        what = f"quantize(weights, bits={bits}) on an array of shape {weights.shape}"
        right = quantize_array(weights, bits)
        m = float(np.abs(weights).max())

        near = functools.partial(_l08_near, out, atol=1e-9 * max(m, 1.0))

        with np.errstate(divide="ignore", invalid="ignore"):
            step = 2 * m / (2 ** bits - 1)
            codes = np.round((weights + m) / step)
        if near(codes) and not near(right):
            fail(what, f"the nearest of the evenly spaced levels for {bits} bit{'s' if bits > 1 else ''}",
                 "level numbers (whole numbers), not weights",
                 _see(name, "turn each level number back into the weight it stands for: the bottom of the range "
                            "plus that many steps"))
        _l08_dtype(name, what, out)
        if near(right):
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            wide = 2 * m / 2 ** bits                                  # one level too many
            low, high = weights.min(), weights.max()
            spread = (high - low) / (2 ** bits - 1)
            as_levels = 2 * m / (bits - 1) if bits > 1 else np.nan      # bits taken as the number of levels
            row_m = np.abs(weights.reshape(len(weights), -1)).max(axis=1).reshape(-1, *[1] * (weights.ndim - 1))
            row_step = 2 * row_m / (2 ** bits - 1)
            candidates = [
                (near(codes - 2 ** (bits - 1)),
                 "level numbers (whole numbers), not weights", "turn each level number back into the weight it "
                 "stands for: the bottom of the range plus that many steps"),
                (near(-m + np.round((weights + m) / wide) * wide),
                 "one level more than the bits can store", "k bits give 2 to the power k levels, and the levels "
                 "include both ends of the range, so the steps are one fewer than the levels"),
                (near(-m + np.minimum(np.round((weights + m) / wide), 2 ** bits - 1) * wide),
                 "levels that stop short of the top of the range", "the levels must reach both ends of the range, "
                 "minus and plus the largest magnitude"),
                (near(low + np.round((weights - low) / spread) * spread),
                 "levels from the smallest to the largest weight", "the lesson's levels are symmetric around 0, from "
                 "minus to plus the largest magnitude"),
                (near(-m + np.floor((weights + m) / step) * step),
                 "each weight rounded down", "round to the nearest level, not down"),
                (near(-row_m + np.round((weights + row_m) / row_step) * row_step),
                 "a range per row", "one range for the whole array: the largest magnitude of all its entries"),
                (bits > 1 and near(-m + np.round((weights + m) / as_levels) * as_levels),
                 "as many levels as bits", "the bits number the levels: each extra bit doubles how many there are"),
            ]
        for hit, got, hint in candidates:
            if hit:
                fail(what, f"the nearest of the evenly spaced levels for {bits} bit{'s' if bits > 1 else ''}", got,
                     _see(name, hint))
        if m == 0.0:
            fail(what, "an array of zeros back", "other numbers", _see(name, "with every weight 0 there is no range: "
                                                                      "return zeros"))
        off = int((~np.isclose(out, right, rtol=0, atol=1e-9 * max(m, 1.0))).sum())
        fail(what, "the nearest of the evenly spaced levels", f"{off} of {out.size} values different",
             _see(name, "find the range and the step between levels first, then round each weight to the nearest "
                        "level"))
    passed("quantize(weights, bits): right on every array tried (1 to 8 bits, matrices, filters, zeros), "
           "and the input left as it was")
# --- lesson 06, exercise 4 (added after the lessons' sections above) ---
# Exercise 4's answer is a function. The check runs it on inputs of its own (a seeded generator: neither the lesson's
# digit nor its Sobel filter, so a function that special-cases them fails) and compares with torch's conv2d, which the
# exercise asks the learner to match: the check holds no numpy convolution a learner could copy.
_L06_CASES = [((7, 9), (3, 3)), ((6, 5), (2, 3))]   # (image, filter) shapes: not square, and a filter that is not 3x3
_L06_LIBRARY_NAMES = {"torch", "conv2d", "scipy", "signal", "convolve", "correlate", "convolve2d", "correlate2d"}


def _l06_names(code) -> set[str]:
    """Every global and attribute name a function's code (nested functions included) uses."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _l06_names(const)
    return names


def _l06_conv2d(image, kernel) -> np.ndarray:
    """torch's conv2d (no padding, stride 1) of one 2-D image with one 2-D filter, in float64."""
    import torch

    out = torch.nn.functional.conv2d(torch.as_tensor(image, dtype=torch.float64)[None, None],
                                     torch.as_tensor(np.ascontiguousarray(kernel), dtype=torch.float64)[None, None])
    return out[0, 0].numpy()


def _l06_call(function, image, kernel):
    """(what ``function`` returns, None), or (None, the exception it raised): an error of the learner's code is
    feedback, not a crash of the check."""
    try:
        return function(image, kernel), None
    except Exception as error:   # any error of the learner's code
        return None, error


def l06_conv2d_by_hand(conv2d_by_hand) -> None:
    """Exercise 4: a function (image of shape (H, W), filter of shape (kh, kw)) -> the feature map conv2d computes
    without padding and with stride 1, of shape (H - kh + 1, W - kw + 1), float64, written with numpy only."""
    name, what = "l06_conv2d_by_hand", "conv2d_by_hand"
    if _unanswered(name, conv2d_by_hand):
        return
    if not callable(conv2d_by_hand):
        fail(what, "a function of an image and a filter", f"a value of type {type(conv2d_by_hand).__name__}",
             _see(name, "define it with def, taking the image first and the filter second, and returning the map"))
    if hasattr(conv2d_by_hand, "__code__") and _l06_names(conv2d_by_hand.__code__) & _L06_LIBRARY_NAMES:
        fail(what, "a convolution written with numpy", "a function that calls a library's convolution",
             _see(name, "slide the window yourself: one weighted sum per position, with a loop over the positions"))
    rng = np.random.default_rng(606)
    for case, (image_shape, kernel_shape) in enumerate(_L06_CASES):
        image, kernel = rng.normal(size=image_shape), rng.normal(size=kernel_shape)
        sizes = f"a {image_shape[0]}x{image_shape[1]} image and a {kernel_shape[0]}x{kernel_shape[1]} filter"
        expected = _l06_conv2d(image, kernel)
        got, error = _l06_call(conv2d_by_hand, image.copy(), kernel.copy())
        if error is not None:
            kind = f"an error ({type(error).__name__})"
            if case == 1:   # it ran on the 3x3 filter of case 0
                fail(what, f"a map for {sizes}", f"{kind}, after a 3x3 filter worked",
                     _see(name, "it works for a 3x3 filter only: read the filter's size from the filter itself"))
            if isinstance(error, ValueError) and "broadcast" in str(error):
                fail(what, f"a map for {sizes}", f"{kind}: a window and the filter of different sizes",
                     _see(name, "near the bottom or right border a window came out smaller than the filter: check "
                                "where each window starts and ends, and how far the loops run (off by one?)"))
            if isinstance(error, IndexError):
                fail(what, f"a map for {sizes}", f"{kind}: an index past the edge",
                     _see(name, "a loop runs one step too far: the last window must still fit inside the image"))
            fail(what, f"a map for {sizes}", kind,
                 _see(name, "run your function on a small array of your own and read the error"))
        if got is None:
            fail(what, "a feature map", "nothing (None)", _see(name, "the function must return the map it filled"))
        if hasattr(got, "detach") or type(got).__module__ != "numpy" or type(got).__name__ != "ndarray":
            fail(what, "a numpy array", f"a value of type {type(got).__name__}", _see(name, "return a numpy array"))
        if got.dtype.kind not in "fiu":
            fail(what, "numbers", f"dtype {got.dtype}", _see(name, "fill the map with the weighted sums"))
        shape = expected.shape
        if got.shape != shape:
            if got.shape == shape[::-1]:
                fail(what, f"shape {shape} for {sizes}", f"shape {got.shape}: transposed",
                     _see(name, "rows and columns are swapped: the first index is the row (top to bottom)"))
            if got.shape == image_shape:
                fail(what, f"shape {shape} for {sizes}", f"shape {got.shape}, the image's own size",
                     _see(name, "without padding the window must fit entirely inside the image, so the map is "
                                "smaller than the image (exercise 2)"))
            if got.shape == (_L06_IMAGE - kernel_shape[0] + 1, _L06_IMAGE - kernel_shape[1] + 1):
                fail(what, f"shape {shape} for {sizes}", f"shape {got.shape}: the size for the lesson's 8x8 image",
                     _see(name, "it works for an 8x8 image only: read the image's size from the image itself"))
            if case == 1 and got.shape == (image_shape[0] - 2, image_shape[1] - 2):
                fail(what, f"shape {shape} for {sizes}", f"shape {got.shape}: the size a 3x3 filter gives",
                     _see(name, "it works for a 3x3 filter only: read the filter's size from the filter itself"))
            if got.ndim == 2 and all(abs(g - s) <= 1 for g, s in zip(got.shape, shape, strict=True)):
                fail(what, f"shape {shape} for {sizes}", f"shape {got.shape}: off by one",
                     _see(name, "count the positions a window has along a row and along a column, as in exercise 2"))
            fail(what, f"shape {shape} for {sizes}", f"shape {got.shape}",
                 _see(name, "one number per position where the whole filter fits inside the image"))
        if got.dtype != np.float64:
            fail(what, "dtype float64 (as the image)", f"dtype {got.dtype}",
                 _see(name, "make the map of 64-bit floats, the default of numpy, so that it can match conv2d's"))
        if not np.isfinite(got).all():
            fail(what, "finite numbers", "NaN or inf", _see(name, "every position must get its weighted sum"))
        tol = dict(rtol=1e-9, atol=1e-9)
        if np.allclose(got, expected, **tol):
            continue
        if np.allclose(got, _l06_conv2d(image, kernel[::-1, ::-1]), **tol):
            fail(what, "the map conv2d computes (the filter as it is)", "the map of the flipped filter",
                 _see(name, "you turned the filter around: that is a textbook convolution, but conv2d lays the "
                            "filter on the window as it is (a cross-correlation)"))
        if np.allclose(got[:-1, :-1], expected[:-1, :-1], **tol):
            fail(what, "every position filled", "the last row or column not filled (off by one)",
                 _see(name, "a loop stops one position early: the last window ends at the image's last pixel"))
        if kernel_shape[0] == kernel_shape[1] and np.allclose(
                got, _l06_conv2d(image, np.tile(kernel.sum(axis=1), (kernel_shape[0], 1))), **tol):
            fail(what, "a sum of products entry by entry", "a sum of a matrix product",
                 _see(name, "multiply each pixel of the window by the weight at the same place, then add them up"))
        fail(what, f"the map conv2d computes for {sizes}",
             f"{int((~np.isclose(got, expected, **tol)).sum())} of {got.size} values different",
             _see(name, "at each position: the window under the filter, multiplied entry by entry with the "
                        "filter and added up"))
    passed("conv2d by hand: matches conv2d on images and filters of several sizes")
# --- lesson 07, exercise 3 (added after the lessons' sections above) ---
def _l07_occlusion_cases():
    """Exercise 3's fresh inputs: (score, image, baseline) triples, each score a small random tanh network of its
    own (numpy, not a digit model) on a non-square image with some white (0) pixels. A score refuses an array that
    is not shaped like its image, so a flattened or transposed copy is caught where it is passed."""
    rng = np.random.default_rng(2026)
    cases = []
    for shape, baseline in (((3, 5), 0.3), ((4, 2), -0.5), ((2, 6), 0.0)):
        image = rng.uniform(0.05, 1.0, shape)
        image[rng.uniform(size=shape) < 0.3] = 0.0
        W, b, v = rng.normal(size=(4, image.size)), rng.normal(size=4), rng.normal(size=4)

        def score(x, shape=shape, W=W, b=b, v=v):
            x = np.asarray(x.detach() if hasattr(x, "detach") else x, dtype=np.float64)
            if x.shape != shape:
                raise ValueError(f"the score takes an array shaped like its image, {shape}; got shape {x.shape}")
            return float(v @ np.tanh(W @ x.reshape(-1) + b))

        cases.append((score, image, baseline))
    return cases


def _l07_covered(score, image, baseline, *, restore=True):
    """Per pixel: the score with that pixel covered by ``baseline`` (with restore=False, every pixel covered so far
    stays covered: the slip of forgetting to put a pixel back)."""
    covered, out = image.copy(), np.zeros(image.shape)
    for index in np.ndindex(*image.shape):
        covered[index] = baseline
        out[index] = score(covered)
        if restore:
            covered[index] = image[index]
    return out


def l07_occlusion(occlusion_map, digit_drops, digit_score=None, digit_image=None) -> None:
    """Exercise 3: the learner's own ``occlusion_map(score, image, baseline)``: for every pixel, how much
    ``score`` drops when that pixel alone is replaced by ``baseline``. Run on fresh images and score functions
    made up here (so no hlkit function can stand in for it), then on the lesson's digit (``digit_drops``)."""
    name = "l07_occlusion"
    if _unanswered(name, occlusion_map, digit_drops):
        return
    _function(name, "occlusion_map", occlusion_map, "a score, an image and a baseline")
    for number, (score, image, baseline) in enumerate(_l07_occlusion_cases(), start=1):
        what = f"occlusion_map on test image {number} (shape {image.shape}, baseline {baseline:g})"
        given = image.copy()
        try:
            got = occlusion_map(score, given, baseline)
        except Exception as err:  # the learner's function failed: say so, as a check result
            fail(what, "a map of drops", f"an error ({type(err).__name__}: {err})",
                 _see(name, "call your function on a small image of your own in a cell of its own to see what goes "
                            "wrong; the score must be given a whole image, shaped like the one you were given"))
        if not np.array_equal(given, image):
            fail(what, "the image left as it was given", "an image changed by your function",
                 _see(name, "cover the pixel in a copy of the image, not in the image itself"))
        if not_done(got):
            fail(what, "a map of drops", "nothing (None)", _see(name, "return the map at the end of the function"))
        arr = as_array(what, got, None, _see(name, "return an array of numbers"))
        if arr.shape != image.shape:
            transposed = arr.ndim == 2 and arr.shape == image.shape[::-1]
            fail(what, f"shape {image.shape}, the image's", f"shape {arr.shape}" + (": transposed" if transposed else ""),
                 _see(name, "one drop per pixel, in the pixel's own place (rows, then columns)"))
        if not np.isfinite(arr).all():
            fail(what, "finite numbers", "inf or NaN", _see(name, "each drop is the difference of two scores"))
        full = score(image)
        right = full - _l07_covered(score, image, baseline)
        if np.allclose(arr, right, rtol=1e-6, atol=1e-9):
            continue
        if np.allclose(arr, -right, rtol=1e-6, atol=1e-9):
            fail(what, "the drop: positive where covering the pixel lowers the score", "the opposite sign",
                 _see(name, "subtract the covered image's score from the untouched image's, not the other way round"))
        if baseline != 0 and np.allclose(arr, full - _l07_covered(score, image, 0.0), rtol=1e-6, atol=1e-9):
            fail(what, f"pixels covered with the baseline ({baseline:g})", "pixels covered with 0",
                 _see(name, "the baseline argument is the value that covers the pixel: use it"))
        if np.allclose(arr, full - _l07_covered(score, image, baseline, restore=False), rtol=1e-6, atol=1e-9):
            fail(what, "one pixel covered at a time", "pixels that stay covered once covered",
                 _see(name, "forgot to restore the pixel: put it back before covering the next one (or start each "
                            "pixel from a fresh copy)"))
        if np.allclose(arr, _l07_covered(score, image, baseline), rtol=1e-6, atol=1e-9):
            fail(what, "how much the score drops", "the covered image's score itself",
                 _see(name, "a drop compares two scores: with and without the pixel covered"))
        if np.allclose(arr, right / full, rtol=1e-6, atol=1e-9):
            fail(what, "the drop itself", "the drop divided by the score", _see(name, "do not divide: keep the drop"))
        fail(what, "one drop per pixel", f"{int((~np.isclose(arr, right, rtol=1e-6, atol=1e-9)).sum())} of {arr.size} "
             "drops different", _see(name, "for each pixel: the score of the untouched image, minus the score of the "
                                           "image with only that pixel covered by the baseline"))
    passed("occlusion_map: right on every new image and score tried")
    drops = as_array("digit_drops", digit_drops, None, _see(name, "the map your function returns for the digit"))
    if drops.shape != (8, 8):
        fail("digit_drops", "shape (8, 8), one drop per pixel of the digit", f"shape {drops.shape}",
             _see(name, "run your function on the digit as an (8, 8) image"))
    if digit_score is not None and digit_image is not None:
        image = np.asarray(digit_image, dtype=np.float64)
        right = digit_score(image) - _l07_covered(digit_score, image, 0.0)
        if not np.allclose(drops, right, rtol=1e-5, atol=1e-6):
            fail("digit_drops", "your function's map of the digit, its class score, covered with white (0)",
                 "a different map", _see(name, "run your function on this digit, with the digit's score and baseline 0"))
    passed("digit_drops: correct")
# --- lesson 03, exercise 5 (added after the lessons' sections above) ---
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
