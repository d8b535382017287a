"""Exercise checks: instant feedback in a lesson, points under nbgrader.

Each check prints a line starting with "✓" when the answer is right, and raises AssertionError with
"expected ..., got ..." and a hint when it is not, so the same test cell teaches alone and deducts
points under nbgrader. A failing message describes what is expected (a shape, a range, a property)
but never prints the solution itself. Checks are grouped by lesson below; they do not import widgets.
"""

from __future__ import annotations

import numpy as np


class CheckFailed(AssertionError):
    """An exercise answer is wrong; the message says what was expected, what was got, and a hint."""


def passed(message: str) -> None:
    print(f"✓ {message}")


def fail(what: str, expected: str, got, hint: str) -> None:
    raise CheckFailed(f"✗ {what}: expected {expected}, got {got}.\nHint: {hint}")


def not_done(value) -> bool:
    """True for the placeholders a student copy starts from (None or Ellipsis)."""
    return value is None or value is Ellipsis


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
        tol = atol + rtol * float(np.max(np.abs(expected)))
        fail(what, f"values within {tol:.1g} of the right answer",
             "a different value" if off.size == 1 else f"{int(off.sum())} of {off.size} values different", hint)
    passed(f"{what}: correct")


# ---------------------------------------------------------------------------------------------------------
# Lesson checks. Each lesson's checks sit in their own section, in lesson order.

# --- lesson 01 ---
def _near(what: str, got, expected, *, tol: float, hint: str) -> None:
    close(what, got, expected, rtol=tol, atol=tol, hint=hint)


# The numbers of lesson 01's exercises (the notebook prints the same ones).
_L01_NEURON = dict(x=[2.0, -1.0, 0.5], w=[0.5, 1.0, -2.0], b=0.5)
_L01_W1, _L01_B1 = [[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]], [1.0, 0.0, -1.0]
_L01_W2, _L01_B2 = [[2.0, -1.0, 0.5]], [0.5]


def l01_neuron_output(value) -> None:
    """Exercise 1: the output of one sigmoid neuron with inputs x, weights w and bias b of lesson 01."""
    from .scratch import sigmoid

    x, w, b = (np.asarray(_L01_NEURON[k], dtype=np.float64) for k in "xwb")
    z = float(w @ x + b)
    got = float(as_array("neuron output", value, (), "give one number, e.g. a float"))
    if np.isclose(got, z):
        fail("neuron output", "the output after the activation", "the weighted sum z",
             "you stopped one step early: apply the sigmoid 1 / (1 + e^-z) to the weighted sum")
    if np.isclose(got, float(sigmoid(w @ x))):
        fail("neuron output", "the bias included", "a value that leaves the bias out",
             "the weighted sum is w1*x1 + w2*x2 + w3*x3 + b: add b before the activation")
    if np.isclose(got, np.tanh(z)) or np.isclose(got, max(z, 0.0)):
        fail("neuron output", "a sigmoid output", "the output of a different activation",
             "this neuron uses the sigmoid 1 / (1 + e^-z), not tanh or relu")
    if not 0.0 < got < 1.0:
        fail("neuron output", "a number between 0 and 1 (a sigmoid output)", f"{got:.4g}",
             "the sigmoid squeezes every z into (0, 1)")
    _near("neuron output", got, sigmoid(z), tol=1e-4,
          hint="compute z = w @ x + b first (np.dot or @), then 1 / (1 + np.exp(-z))")


def l01_linear_collapse(W_combined, b_combined) -> None:
    """Exercise 2: the one linear layer (W, b) that computes the same as lesson 01's two stacked linear layers."""
    W1, b1, W2, b2 = (np.asarray(v, dtype=np.float64) for v in (_L01_W1, _L01_B1, _L01_W2, _L01_B2))
    W = as_array("combined weights", W_combined)
    if W.shape == (2, 1):
        fail("combined weights", "shape (1, 2): 1 output, 2 inputs", "shape (2, 1)",
             "PyTorch stores W as (outputs, inputs); the second layer acts last, so W2 comes first: W2 @ W1")
    W = as_array("combined weights", W_combined, (1, 2),
                 "the combined layer maps 2 inputs to 1 output: W2 @ W1 has shape (1, 2)")
    if not np.allclose(W, W2 @ W1):
        fail("combined weights", "the product of the two weight matrices",
             "a (1, 2) matrix that maps inputs differently",
             "layer 2 receives W1 @ x + b1 and multiplies it by W2: W2 @ (W1 @ x + b1) + b2; "
             "the weights are the part that multiplies x")
    passed("combined weights: correct")
    b = as_array("combined bias", b_combined, None).reshape(-1)
    if b.shape != (1,):
        fail("combined bias", "1 number (shape (1,))", f"shape {np.shape(b_combined)}",
             "one output neuron has one bias")
    if np.allclose(b, b2) or np.allclose(b, b1.sum() + b2):
        fail("combined bias", "the first bias carried through the second layer", "a different bias",
             "the first layer's bias b1 also passes through W2: the constant part is W2 @ b1 + b2")
    _near("combined bias", b, W2 @ b1 + b2, tol=1e-6,
          hint="expand W2 @ (W1 @ x + b1) + b2 and collect the terms without x")


# --- lesson 02 ---
# The tiny 2-3-2-1 tanh network of lessons 02 and 03 (the notebooks print the same numbers).
_TINY_PARAMS = [
    ([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.5]], [0.0, 0.5, -0.5]),
    ([[1.0, -1.0, 0.5], [-0.5, 1.0, 1.0]], [0.0, 0.25]),
    ([[2.0, -1.0]], [0.5]),
]
_L02_X_EXERCISE = [[-0.5, 1.0]]
_L02_X_BATCH = [[0.5, -0.25], [-0.5, 1.0], [1.0, 1.0], [0.0, 0.0]]
_L02_HIDDEN = [8, 4]


def _tiny():
    return [(np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64)) for W, b in _TINY_PARAMS]


def l02_network_output(p) -> None:
    """Exercise 1: P(class 1) of the tiny network for the input x = (-0.5, 1.0)."""
    from .scratch import forward

    cache = forward(_tiny(), np.asarray(_L02_X_EXERCISE), "tanh")
    got = as_array("network output", p, None, "give one number").reshape(-1)
    if got.shape != (1,):
        fail("network output", "one number (the probability of class 1)", f"shape {np.shape(p)}",
             "the network has a single output neuron")
    if np.isclose(got[0], cache.logits[0, 0], rtol=1e-4, atol=1e-4):
        fail("network output", "a probability", "the logit (the output's weighted sum)",
             "turn the logit into a probability with the sigmoid 1 / (1 + e^-z)")
    if not 0.0 < got[0] < 1.0:
        fail("network output", "a probability between 0 and 1", f"{got[0]:.4g}",
             "finish with the sigmoid of the output's weighted sum")
    _near("network output", got[0], cache.proba[0, 0], tol=1e-4,
          hint="go layer by layer: z1 = W1 @ x + b1, a1 = tanh(z1), z2 = W2 @ a1 + b2, a2 = tanh(z2), "
               "z3 = W3 @ a2 + b3, p = sigmoid(z3); no tanh on the last layer")


def l02_batch_weighted_sums(Z1) -> None:
    """Exercise 2: the first hidden layer's weighted sums for the batch of four inputs, shape (4, 3)."""
    (W1, b1), *_ = _tiny()
    X = np.asarray(_L02_X_BATCH)
    got = as_array("weighted sums Z1", Z1)
    if got.shape == (3, 4):
        fail("weighted sums Z1", "shape (4, 3): one row per input, one column per neuron", "shape (3, 4)",
             "with one input per row, write X @ W1.T + b1 (not W1 @ X.T)")
    got = as_array("weighted sums Z1", Z1, (4, 3), "4 inputs (rows) times 3 neurons (columns): X @ W1.T + b1")
    if np.allclose(got, X @ W1.T):
        fail("weighted sums Z1", "the biases added", "the products without the bias",
             "add b1: numpy adds the (3,) bias vector to every row of the (4, 3) matrix")
    if np.allclose(got, np.tanh(X @ W1.T + b1)):
        fail("weighted sums Z1", "the weighted sums z (before the activation)", "the activations tanh(z)",
             "this exercise asks for z, not a = tanh(z)")
    _near("weighted sums Z1", got, X @ W1.T + b1, tol=1e-6,
          hint="X @ W1.T + b1, with X of shape (4, 2) and W1 of shape (3, 2)")


def l02_n_params(count) -> None:
    """Exercise 3: the number of weights and biases of an MLP with 2 inputs, hidden layers [8, 4], 1 output."""
    sizes = [2, *_L02_HIDDEN, 1]
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    biases = sum(sizes[1:])
    got = as_array("parameter count", count, (), "give one whole number")
    if float(got) == weights:
        fail("parameter count", "weights and biases", "the weights only",
             "every neuron (hidden and output) also has one bias")
    if float(got) == weights + biases + sizes[0]:
        fail("parameter count", "no parameters for the inputs", "one too many per input",
             "the input layer only holds the numbers: it has no weights or biases")
    if float(got) != weights + biases:
        fail("parameter count", "a whole number: inputs x outputs weights plus one bias per neuron, per layer",
             f"{got:g}", "layer by layer: 2 -> 8, 8 -> 4, 4 -> 1; a layer from n to m neurons has n*m + m parameters")
    passed("parameter count: correct")


# --- lesson 03 ---
_L03_P, _L03_Y = [0.9, 0.3, 0.6], [1, 0, 1]
_L03_X, _L03_LABEL, _L03_LR = [[-0.5, 1.0]], [0], 0.5


def l03_bce(loss) -> None:
    """Exercise 1: the mean binary cross-entropy of predictions p = [0.9, 0.3, 0.6] for labels y = [1, 0, 1]."""
    p, y = np.asarray(_L03_P), np.asarray(_L03_Y, dtype=np.float64)
    each = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    got = float(as_array("cross-entropy", loss, (), "give one number: the mean over the three points"))
    if np.isclose(got, each.sum()):
        fail("cross-entropy", "the mean over the points", "the sum", "divide by the number of points (np.mean)")
    if np.isclose(got, -each.mean()) or got < 0:
        fail("cross-entropy", "a positive number", "a negative one",
             "log of a probability is negative: the loss is MINUS the mean of y log p + (1 - y) log(1 - p)")
    if np.isclose(got, np.mean(-np.log(p))):
        fail("cross-entropy", "the label-0 point scored by log(1 - p)", "log p used for every point",
             "for a point with label 0 the loss is -log(1 - p): the probability it gave to class 0")
    _near("cross-entropy", got, each.mean(), tol=1e-4,
          hint="np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))), with the natural log")


def _l03_output_gradient():
    from .scratch import backward, forward

    params = _tiny()
    cache = forward(params, np.asarray(_L03_X), "tanh")
    return params, cache, backward(params, cache, _L03_LABEL)


def l03_output_gradient(dW3) -> None:
    """Exercise 2: dLoss/dW3, the gradient of the output layer's weights of the tiny network for x = (-0.5, 1), y = 0."""
    params, cache, grads = _l03_output_gradient()
    got = as_array("output weight gradient dW3", dW3, None).reshape(-1)
    if got.shape != (2,):
        fail("output weight gradient dW3", "2 numbers, shape (1, 2) like W3", f"shape {np.shape(dW3)}",
             "one gradient per weight: W3 has 2 weights")
    want = grads.W[2].reshape(-1)
    if np.allclose(got, -want, rtol=1e-4, atol=1e-6):
        fail("output weight gradient dW3", "the opposite sign", "the right size with the wrong sign",
             "dLoss/dz3 is p - y: positive when the label is 0 (the loss falls if the logit falls)")
    if np.allclose(got, want / cache.a[2].reshape(-1), rtol=1e-4, atol=1e-6):
        fail("output weight gradient dW3", "dLoss/dz3 times each weight's input", "dLoss/dz3 alone",
             "chain rule: z3 = W3 @ a2 + b3, so dz3/dW3 = a2; multiply p - y by the hidden layer 2 activations")
    _near("output weight gradient dW3", got, want, tol=1e-4,
          hint="(p - y) * a2, with p the network's probability and a2 the second hidden layer's activations")


def l03_gradient_step(W3_new) -> None:
    """Exercise 3: W3 after one gradient-descent step with learning rate 0.5."""
    params, _, grads = _l03_output_gradient()
    W3, dW3 = params[2][0], grads.W[2]
    got = as_array("W3 after one step", W3_new, None).reshape(-1)
    if got.shape != (2,):
        fail("W3 after one step", "2 numbers, shape (1, 2) like W3", f"shape {np.shape(W3_new)}",
             "the step changes each of W3's 2 weights")
    if np.allclose(got, (W3 + _L03_LR * dW3).reshape(-1), rtol=1e-4, atol=1e-6):
        fail("W3 after one step", "a step downhill", "a step uphill",
             "gradient DEscent subtracts: w_new = w - lr * dLoss/dw")
    if np.allclose(got, W3.reshape(-1)):
        fail("W3 after one step", "changed weights", "the unchanged W3", "subtract lr * dW3 from W3")
    _near("W3 after one step", got, (W3 - _L03_LR * dW3).reshape(-1), tol=1e-4,
          hint="W3 - 0.5 * dW3, with dW3 from exercise 2")


# --- lesson 04 ---
# Lesson 04's exercise settings (the notebook states the same ones).
_L04_SPIRAL = dict(name="spiral", seed=0)          # 250 training + 250 test points, 2 arms
_L04_BUDGET = 120                                  # parameters allowed in exercise 3
_L04_TRAIN = dict(epochs=500, lr=0.03)             # Adam, full batch, model seed 0
_L04_SMALLEST_CIRCLE_WIDTH = 3                     # one tanh layer: 2 neurons cannot enclose a region, 3 can


def _l04_int(what: str, value, hint: str) -> int:
    """``value`` as a whole number, or a failed check."""
    got = float(as_array(what, value, (), hint))
    if got != round(got):
        fail(what, "a whole number", f"{got:g}", hint)
    return int(round(got))


def l04_param_formula(count) -> None:
    """Exercise 1: ``count(depth, width)`` returns the number of weights and biases of an MLP with 2 inputs,
    ``depth`` hidden layers of ``width`` neurons each, and 1 output (hl.mlp(hl.models.hidden_sizes(depth, width)))."""
    from .models import hidden_sizes, mlp, n_params

    if not_done(count) or not callable(count):
        fail("count", "a function count(depth, width)", "nothing yet" if not_done(count) else f"a {type(count).__name__}",
             "define it with `def count(depth, width):` and pass the function itself (no parentheses)")
    for depth, width in [(1, 4), (2, 3), (3, 8), (4, 1), (0, 5)]:
        what = f"count({depth}, {width})"
        try:
            value = count(depth, width)
        except Exception as err:  # the student's function failed: say so, as a check result
            fail(what, "a number", f"an error ({type(err).__name__}: {err})",
                 "run count(2, 3) in a cell to see what goes wrong")
        got = _l04_int(what, value, "return one whole number")
        right = n_params(mlp(hidden_sizes(depth, width)))
        if got == right:
            continue
        layers = " -> ".join(["2", *[str(width)] * depth, "1"])
        if depth == 0:
            fail(what, "the linear model's count: the 2 inputs connect straight to the output", f"{got}",
                 "with no hidden layer the width does not exist: 2 weights and 1 bias")
        if got == right - depth * width - 1:
            fail(what, f"weights and biases of {layers}", f"{got} (the weights only?)",
                 "every neuron, the output neuron included, also has one bias")
        if got == right - width - 1:
            fail(what, f"weights and biases of {layers}", f"{got} (without the output layer?)",
                 "the last hidden layer connects to the output neuron: width weights and 1 bias")
        fail(what, f"weights and biases of {layers}", f"{got}",
             "first hidden layer: 2 x width weights + width biases; every further hidden layer: width x width + "
             "width; output: width + 1. Check count(0, width) too: no hidden layer")
    passed("count(depth, width): right for every depth and width tried")


def l04_smallest_width(width) -> None:
    """Exercise 2: the smallest width of one tanh hidden layer that separates the nested circles."""
    got = _l04_int("smallest width", width, "one whole number of neurons")
    if got < 1:
        fail("smallest width", "a number of neurons, 1 or more", f"{got}", "a hidden layer has at least one neuron")
    if got < _L04_SMALLEST_CIRCLE_WIDTH:
        fail("smallest width", "a width whose 'inside' region can be closed around the disc", f"{got}",
             "with this few neurons the region the network calls class 1 always runs off to infinity (section 2), "
             "so it also covers part of the ring; the table's test accuracies stay well below 0.95")
    if got > _L04_SMALLEST_CIRCLE_WIDTH:
        fail("smallest width", "the smallest width that works", f"{got}",
             "a narrower layer also reached at least 0.95 test accuracy for every seed in the table")
    passed("smallest width: correct (three lines can enclose a triangle around the disc; two cannot enclose anything)")


def l04_spiral_budget(hidden) -> None:
    """Exercise 3: hidden layers with at most 120 parameters in all that reach test accuracy >= 0.95 on the spiral
    (hl.make_dataset("spiral", seed=0)) after 500 epochs of Adam at lr 0.03, model seed 0."""
    from .data import make_dataset
    from .models import mlp, n_params
    from .train import train

    if not_done(hidden):
        fail("hidden", "a list of layer widths such as [4, 4]", "nothing yet (None)", "fill in the cell above and run it")
    try:
        model = mlp(list(hidden), seed=0)
    except (TypeError, ValueError) as err:
        fail("hidden", "a list of layer widths such as [4, 4]", f"{hidden!r}", str(err))
    size = n_params(model)
    if size > _L04_BUDGET:
        fail("parameters", f"at most {_L04_BUDGET}", f"{size} for hidden={list(hidden)}",
             "narrower or fewer layers; hl.n_params(hl.mlp(hidden)) counts them")
    history = train(model, make_dataset(**_L04_SPIRAL), **_L04_TRAIN)
    acc = history.test_acc[-1]
    if acc < 0.95:
        fail("test accuracy after 500 epochs", "at least 0.95", f"{acc:.3f} with {size} parameters",
             "one wide layer learns the spiral slowly; spend the same parameters on two or more layers")
    passed(f"hidden={list(hidden)}: {size} parameters, test accuracy {acc:.3f}")


# --- lesson 05 ---
# Lesson 05's exercise settings (the notebook states the same ones).
_L05_DATA = dict(name="circle", n_points=1000, noise=0.3, train_ratio=0.1, seed=0)   # 100 train + 900 test points
_L05_BIG = [32, 32, 32]
_L05_TRAIN = dict(epochs=1000, lr=0.02)
_L05_UNDERFIT_TRAIN_ACC = 0.8     # the 4-neuron network reaches about 0.9 on these training points


def l05_diagnose(histories, underfit, overfit) -> None:
    """Exercise 1: which of the trained networks (a dict name -> History) underfits and which overfits."""
    if not isinstance(histories, dict) or len(histories) < 3:
        fail("histories", "the dict of three training histories from the cell above", f"{type(histories).__name__}",
             "pass the dict the lesson built, unchanged")
    names = ", ".join(repr(k) for k in histories)
    for what, answer in (("underfit", underfit), ("overfit", overfit)):
        if not_done(answer) or answer not in histories:
            fail(what, f"one of the names {names}", repr(answer), "give the name of a model as a string, e.g. 'A'")
    train_acc = {k: h.train_acc[-1] for k, h in histories.items()}
    gap = {k: h.train_acc[-1] - h.test_acc[-1] for k, h in histories.items()}
    if underfit != min(train_acc, key=train_acc.get):
        fail("underfit", "the model that does poorly even on its own training points", repr(underfit),
             "compare the training accuracies (the black dotted curves): underfitting means the network cannot "
             "even fit the data it learns from")
    if overfit != max(gap, key=gap.get):
        fail("overfit", "the model whose training score is far better than its test score", repr(overfit),
             "look at the gap between training (black) and test (red), and for a test loss that rises while the "
             "training loss keeps falling")
    passed(f"underfit {underfit!r}, overfit {overfit!r}: correct")


def l05_best_depth(best_depth, val_acc, depths) -> None:
    """Exercise 2: the depth chosen by validation accuracy. val_acc: shape (len(depths),), one validation
    accuracy per depth; ties go to the shallower (smaller) network."""
    depths = [int(d) for d in depths]
    scores = as_array("val_acc", val_acc, (len(depths),), "one validation accuracy per depth, in the order of depths")
    if np.any((scores < 0) | (scores > 1)):
        fail("val_acc", "accuracies between 0 and 1", f"values from {scores.min():.3g} to {scores.max():.3g}",
             "use accuracies (the test_acc column of the grid trained on the validation split), not losses")
    got = _l04_int("best_depth", best_depth, "one whole number: a depth from the list")
    if got not in depths:
        fail("best_depth", f"one of the depths tried {depths}", f"{got}", "pick from the depths you trained")
    best = [d for d, s in zip(depths, scores, strict=True) if s == scores.max()]
    if got not in best:
        fail("best_depth", "the depth with the highest validation accuracy", f"depth {got}",
             "np.argmax(val_acc) gives the position of the highest value; depths[position] is the depth")
    if got != best[0]:
        fail("best_depth", "on a tie, the shallower network", f"depth {got}",
             "several depths tie: prefer the one with fewer layers (fewer parameters, same validation score)")
    passed(f"best depth by validation: {got}")


def l05_too_strong(reg_rate) -> None:
    """Exercise 3: an L2 rate strong enough to make the big network (hidden [32, 32, 32]) underfit the lesson's
    noisy circle: training accuracy below 0.8 after 1000 epochs."""
    from .data import make_dataset
    from .models import mlp
    from .train import train

    rate = float(as_array("reg_rate", reg_rate, (), "one number, e.g. 0.001"))
    if not 0 <= rate <= 1:
        fail("reg_rate", "a number from 0 to 1 (what hl.train accepts)", f"{rate:g}", "try the values from the table")
    history = train(mlp(_L05_BIG, seed=0), make_dataset(**_L05_DATA), regularization="l2", reg_rate=rate,
                    report_every=_L05_TRAIN["epochs"], **_L05_TRAIN)
    if history.status == "diverged":
        fail("reg_rate", "a rate that trains without diverging", f"{rate:g}", history.message)
    acc = history.train_acc[-1]
    if acc >= _L05_UNDERFIT_TRAIN_ACC:
        fail("training accuracy with L2", f"below {_L05_UNDERFIT_TRAIN_ACC} (underfitting)", f"{acc:.3f}",
             "the penalty is still too weak to stop the network from fitting its training points: make it larger")
    passed(f"reg_rate {rate:g}: training accuracy {acc:.3f}, the penalty now keeps the network from fitting even "
           "its training points")

# --- lesson 06 ---
# Lesson 06's exercise questions (the notebook states the same numbers).
_L06_CONV = dict(c_in=8, c_out=16, k=3)     # the second conv layer of hl.cnn()
_L06_IMAGE, _L06_KERNEL = 8, 3              # an 8x8 image, a 3x3 filter, no padding, stride 1, then 2x2 pooling


def _whole(what: str, value, hint: str) -> int:
    """``value`` as a whole number, or a failed check."""
    got = float(as_array(what, value, (), hint or "give one whole number"))
    if got != round(got):
        fail(what, "a whole number", f"{got:g}", hint)
    return int(round(got))


def l06_conv_params(n) -> None:
    """Exercise 1: trainable numbers of a 3x3 conv layer from 8 input channels to 16 filters (with biases)."""
    c_in, c_out, k = _L06_CONV["c_in"], _L06_CONV["c_out"], _L06_CONV["k"]
    got = _whole("conv parameters", n, "count the numbers in all filters, then add the biases")
    weights = c_out * c_in * k * k
    if got == weights:
        fail("conv parameters", "weights and biases", "the weights only", "each filter also has one bias")
    if got == c_out * k * k + c_out:
        fail("conv parameters", "filters that see every input channel", "one 3x3 grid per filter",
             "a filter spans all input channels: each of the 16 filters holds 8 x 3 x 3 weights")
    if got != weights + c_out:
        fail("conv parameters", "filters x (input channels x 3 x 3) + one bias per filter", f"{got}",
             "the image size does not matter: the same filters slide over every position")
    passed("conv parameters: correct")


def l06_output_size(conv_side, pooled_side) -> None:
    """Exercise 2: side of the output of a 3x3 filter (no padding, stride 1) on an 8x8 image, and after 2x2 pooling."""
    side = _L06_IMAGE - _L06_KERNEL + 1
    got = _whole("side after the convolution", conv_side, "one whole number: the output is square")
    if got == _L06_IMAGE:
        fail("side after the convolution", "a smaller image (no padding)", "the input's size",
             "without padding the 3x3 window must fit entirely inside the image: how many positions fit in a row?")
    if got != side:
        fail("side after the convolution", "the number of positions a 3-wide window has in an 8-wide row",
             f"{got}", "a window of width k fits in a row of width n at n - k + 1 positions")
    passed("side after the convolution: correct")
    got = _whole("side after pooling", pooled_side, "one whole number")
    if got != side // 2:
        fail("side after pooling", "half the side after the convolution (rounded down)", f"{got}",
             "2x2 max pooling keeps one number per 2x2 block")
    passed("side after pooling: correct")


def l06_edge_filter(kernel) -> None:
    """Exercise 3: a 3x3 filter that responds to vertical edges (pixel values rising from left to right), not to flat areas
    or horizontal edges."""
    k = as_array("edge filter", kernel, (3, 3), "a 3x3 array, e.g. np.array([[...], [...], [...]])")
    flat = np.ones((3, 3))
    vertical = np.tile([0.0, 0.0, 1.0], (3, 1))     # values 0 on the left, 1 (ink) on the right
    horizontal = vertical.T                           # values 0 on top, 1 below
    if not np.isclose((k * flat).sum(), 0.0):
        fail("edge filter", "response 0 on a flat (uniform) patch", f"response {(k * flat).sum():.3g}",
             "make the weights sum to zero, so uniform areas give 0")
    if not (k * vertical).sum() > 0.5:
        fail("edge filter", "a clearly positive response (> 0.5) to an edge with values 0 on the left, 1 on the right",
             f"response {(k * vertical).sum():.3g}",
             "put negative weights in the left column and positive ones in the right column")
    if not abs((k * horizontal).sum()) < 1e-6:
        fail("edge filter", "response 0 to a horizontal edge (values 0 on top, 1 below)",
             f"response {(k * horizontal).sum():.3g}",
             "let every row add up to zero (negative left, positive right), so top-bottom changes cancel")
    passed("edge filter: responds to vertical edges only")


# --- lesson 07 ---
_L07_W, _L07_X = [2.0, -1.0, 0.5], [1.0, 3.0, -2.0]   # a linear score s = w . x (no bias)


def l07_gradient_times_input(attributions) -> None:
    """Exercise 1: gradient x input, by hand, for the linear score s = w . x with lesson 07's w and x."""
    w, x = np.asarray(_L07_W), np.asarray(_L07_X)
    got = as_array("gradient x input", attributions, (3,), "one number per input: shape (3,)")
    if np.allclose(got, w):
        fail("gradient x input", "the gradient multiplied by the input", "the gradient alone",
             "the gradient of w . x with respect to x is w; now multiply it by x, entry by entry")
    if np.isclose(got.sum(), float(w @ x)) and not np.allclose(got, w * x):
        fail("gradient x input", "one attribution per input", "numbers that add up right but are split wrongly",
             "entry i is w_i times x_i")
    if not np.allclose(got, w * x):
        fail("gradient x input", "entries w_i * x_i (they add up to the score)", "different numbers",
             "multiply entry by entry: w * x in numpy (not the dot product)")
    passed("gradient x input: correct, and the three add up to the score")


def l07_top_pixels(model, image, pixels) -> None:
    """Exercise 2: the 5 pixels (flat indices 0..63) with the largest gradient x input for one 8x8 image and
    its predicted class."""
    from .explain import saliency

    image = np.asarray(image, dtype=np.float64)
    # an MLP takes the image as a flat row of 64 numbers, a CNN as (1, 1, 8, 8)
    image = image.reshape(1, -1) if hasattr(model, "hidden") else image.reshape(1, 1, 8, 8)
    got = as_array("top pixels", pixels, None, "five flat pixel indices, e.g. [3, 12, ...]").reshape(-1)
    if got.shape != (5,):
        fail("top pixels", "5 pixel indices", f"{got.shape[0]} numbers", "take the last 5 of np.argsort")
    if not np.all((got >= 0) & (got < 64) & (got == np.round(got))):
        fail("top pixels", "flat indices 0..63", "numbers outside that range or not whole",
             "flatten the (8, 8) map with .ravel() before np.argsort")
    scores = saliency(model, image).reshape(-1)
    top = set(np.argsort(scores, kind="stable")[-5:].tolist())
    if set(got.astype(int).tolist()) == set(np.argsort(np.abs(scores), kind="stable")[-5:].tolist()) != top:
        fail("top pixels", "the largest attributions (most positive)", "the largest in absolute value",
             "sort the signed values: negative attributions spoke against the class")
    if set(got.astype(int).tolist()) != top:
        fail("top pixels", "the indices of the 5 largest values of the saliency map of this image",
             "a different set of pixels",
             "take the saliency map of this one image, .ravel() it to 64 numbers, then np.argsort(...)[-5:]")
    passed("top pixels: correct")


# --- lesson 08 ---
_L08_LAYERS = [64, 32, 10]   # an MLP 64 -> 32 -> 10
_L08_REMOVED = 0.75
_L08_N_STORED = 5000         # weights to store in exercise 2


def l08_weights_left(n) -> None:
    """Exercise 1: weights (not biases) left in a 64 -> 32 -> 10 MLP after pruning 75 % of them."""
    weights = sum(a * b for a, b in zip(_L08_LAYERS[:-1], _L08_LAYERS[1:], strict=True))
    biases = sum(_L08_LAYERS[1:])
    got = _whole("weights left", n, "one whole number")
    if got == round((weights + biases) * (1 - _L08_REMOVED)):
        fail("weights left", "weights only", "a count that includes biases", "pruning here removes weights only")
    if got == round(weights * _L08_REMOVED):
        fail("weights left", "the weights that remain", "the weights removed", "75 % go, so 25 % remain")
    if got != round(weights * (1 - _L08_REMOVED)):
        fail("weights left", "a quarter of the weight count", f"{got}",
             "count the weights: 64 x 32 plus 32 x 10, then keep 25 % of them")
    passed("weights left: correct")


def l08_bits_needed(bits, n_bytes) -> None:
    """Exercise 2: bits per weight to tell 10 distinct values apart, and bytes for 5,000 weights at that size."""
    need = int(np.ceil(np.log2(10)))
    got = _whole("bits needed", bits, "one whole number")
    if got == need - 1:
        fail("bits needed", "enough bits for 10 different codes", f"{got} bits ({2 ** got} codes)",
             "k bits give 2**k different codes")
    if got != need:
        fail("bits needed", "the smallest k with 2**k >= 10", f"{got}", "try k = 1, 2, 3, ... and compute 2**k")
    passed("bits needed: correct")
    got = _whole("bytes", n_bytes, "one whole number")
    if got == _L08_N_STORED * need:
        fail("bytes", "bytes (8 bits each)", "bits", "divide the number of bits by 8")
    if got != int(np.ceil(_L08_N_STORED * need / 8)):
        fail("bytes", "5,000 weights x bits per weight / 8", f"{got}", "total bits = weights x bits; 8 bits = 1 byte")
    passed("bytes: correct")
