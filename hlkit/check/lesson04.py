"""Lesson 04's exercise checks (see the package docstring, hlkit/check/__init__.py)."""

from __future__ import annotations

from .core import _function, _salted, _see, _unanswered, _whole, fail, limited, passed

# --- lesson 04 ---
# the digest of lesson 04 exercise 1's answer (a finding of the lesson's table, not a formula)
_L04_EX1 = "f891d488e34f8f51a5bc3b2d"
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
    from ..data import make_dataset
    from ..models import mlp, n_params
    from ..train import train

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
    from ..models import hidden_sizes, mlp, n_params

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
