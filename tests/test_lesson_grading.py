"""Grading an instructor can trust (issue 11), for lessons 01 to 08 (every lesson with exercises).

Each graded cell of these lessons holds a hidden test (``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN TESTS``, the
last lines of the cell) that computes the expected value itself in plain Python and raises AssertionError for a wrong
answer. A graded cell's visible part is the formative ``hl.check`` call when that call judges exactly what the cell
grades; for an answer graded in parts, or graded against the learner's own earlier answer, the formative call sits in
a read-only cell of its own just before (no points, and not an nbgrader cell: nbgrader's ``add_missing_cells`` fails
when the cell before a graded one is a locked nbgrader cell that is neither graded nor a solution), and each graded
cell's visible part prints what it grades. Tested here:

- the hidden code uses no name it does not define itself, except the answer variables and Python's builtins (so no
  ``hl``, no ``hl.check``, no ``np``: nothing a student's kernel could have replaced);
- right answers pass and at least 3 plausible wrong answers per graded cell fail (the answers are computed here with
  numpy, independently of the notebooks; where an answer comes from a training run in the lesson, lessons 04, 05
  and 07, it is the value the notebook's own solution computes, run in a kernel by ``lesson_answers.py``), and errors
  carry forward where one answer builds on another;
- a real nbgrader cycle (``generate_assignment`` -> ``autograde`` -> ``generate_feedback``, with the configuration
  docs/instructors.md gives) over lessons 01, 03, 06 and 08 with eight simulated students built from the student
  copies; every score is asserted, the points come from the notebooks' metadata, and no feedback page shows a line
  of a hidden test.

nbgrader is a test dependency (pyproject's ``test`` extra): if it is missing this fails, it does not skip.
"""

from __future__ import annotations

import ast
import builtins
import html
import os
import re
import shutil
import subprocess
import symtable
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {"01": "01_what_a_hidden_layer_does", "02": "02_forward_propagation", "03": "03_backpropagation",
             "04": "04_depth_and_width", "05": "05_underfitting_and_overfitting", "06": "06_convolutional_networks",
             "07": "07_opening_the_black_box", "08": "08_making_networks_cheaper"}
BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")


def read(lesson: str):
    return nbformat.read(ROOT / "notebooks" / f"{NOTEBOOKS[lesson]}.ipynb", as_version=4)


def meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {}) or {}


def graded(nb) -> dict:
    """grade_id -> cell, for every graded code cell (nbgrader's autograder tests)."""
    return {meta(c)["grade_id"]: c for c in nb.cells
            if c.cell_type == "code" and meta(c).get("grade") and not meta(c).get("solution")}


def hidden(source: str) -> str:
    lines = source.split("\n")
    begin = next(i for i, line in enumerate(lines) if BEGIN in line)
    end = next(i for i, line in enumerate(lines) if END in line)
    return "\n".join(lines[begin + 1:end])


class Solved:
    """An answer of the lesson's own solution (run once per session by lesson_answers.py), turned by ``make``;
    resolved only when a test uses it, so the fast tests of other lessons run no notebook."""

    def __init__(self, lesson: str, name: str, make=lambda value: value):
        self.lesson, self.name, self.make = lesson, name, make

    def get(self):
        from lesson_answers import values

        return self.make(values(ROOT / "notebooks" / f"{NOTEBOOKS[self.lesson]}.ipynb")[self.name])


# ---------------------------------------------------------------------------------------------------------
# The right answers, computed here with numpy (the notebooks' hidden tests use plain Python)

TINY = [(np.array([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.5]]), np.array([0.0, 0.5, -0.5])),
        (np.array([[1.0, -1.0, 0.5], [-0.5, 1.0, 1.0]]), np.array([0.0, 0.25])),
        (np.array([[2.0, -1.0]]), np.array([0.5]))]


def tiny_forward(x):
    (W1, b1), (W2, b2), (W3, b3) = TINY
    a1 = np.tanh(W1 @ x + b1)
    a2 = np.tanh(W2 @ a1 + b2)
    z3 = float((W3 @ a2 + b3)[0])
    return a1, a2, z3, 1 / (1 + np.exp(-z3))


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


L01_X, L01_W, L01_B = np.array([2.0, -1.0, 0.5]), np.array([0.5, 1.0, -2.0]), 0.3
L01_W1, L01_B1 = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]]), np.array([1.0, 0.0, -1.0])
L01_W2, L01_B2 = np.array([[2.0, -1.0, 0.5]]), np.array([0.5])
L02_X = np.array([[1.0, 1.0], [0.0, 0.0], [-1.0, 0.5], [0.75, -1.0]])
L02_Z1 = L02_X @ TINY[0][0].T + TINY[0][1]
L02_Z2 = np.tanh(L02_Z1) @ TINY[1][0].T + TINY[1][1]
L03_P, L03_Y = np.array([0.9, 0.3, 0.6]), np.array([1, 0, 1])
A1, A2, Z3, P = tiny_forward(np.array([-0.5, 1.0]))
DW3 = (P - 0) * A2[None, :]
DZ2 = TINY[2][0][0] * (P - 0) * (1 - A2 ** 2)
DW2 = np.outer(DZ2, A1)
W3 = TINY[2][0]
L02_LOG_P4 = np.array([-2.0, 0.0, -3.0, -0.5]) - np.log(np.exp([-2.0, 0.0, -3.0, -0.5]).sum())   # logits - 1002
HORIZONTAL = np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]])


def conv_windows(image, kernel):
    """conv2d without padding, stride 1, by numpy's sliding windows (lesson 06 exercise 4's answer, another way)."""
    return np.einsum("ijkl,kl->ij", np.lib.stride_tricks.sliding_window_view(image, kernel.shape), kernel)


def conv_last_row_left(image, kernel):
    out = conv_windows(image, kernel)
    out[-1] = 0.0
    return out


def mlp_count(depth, width):
    """Weights and biases of 2 -> width x depth -> 1, counted by hlkit on a built model."""
    from hlkit.models import hidden_sizes, mlp, n_params

    return n_params(mlp(hidden_sizes(depth, width)))


L07_W, L07_X = np.array([2.0, -1.0, 0.5]), np.array([1.0, 3.0, -2.0])
L08_WEIGHTS = 64 * 32 + 32 * 10


def l08_prune(weights, fraction, *, by=np.abs, copy=True):
    """Lesson 08 exercise 3 in numpy: the round(fraction * size) entries of smallest ``by`` set to 0 (of a copy)."""
    out = np.array(weights, dtype=np.float64) if copy else weights
    out.reshape(-1)[np.argsort(by(out).reshape(-1), kind="stable")[:round(fraction * out.size)]] = 0.0
    return out


def l08_threshold(weights, fraction):
    """Every entry with |w| up to the cut-off goes: more than asked when entries tie at the cut-off."""
    out = np.array(weights, dtype=np.float64)
    k = round(fraction * out.size)
    if k:
        out[np.abs(out) <= np.sort(np.abs(out), axis=None)[k - 1]] = 0.0
    return out


def l08_quantize(weights, bits, *, levels=lambda bits: 2 ** bits, dequantize=True):
    """Lesson 08 exercise 4 in numpy: the nearest of ``levels(bits)`` evenly spaced values from -max|w| to +max|w|."""
    w = np.array(weights, dtype=np.float64)
    m = np.abs(w).max()
    if m == 0:
        return w
    step = 2 * m / (levels(bits) - 1)
    level = np.round((w + m) / step)
    return -m + level * step if dequantize else level


def l08_quantize_in_place(weights, bits):
    weights[...] = l08_quantize(weights, bits)
    return weights


VAL_ACC = Solved("05", "val_acc", np.array)
TOP = Solved("07", "top_pixels", lambda v: np.array(v, dtype=np.int64))

RIGHT = {
    "l01-ex1-check": dict(neuron_output=float(sigmoid(L01_W @ L01_X + L01_B))),
    "l01-ex2-weights": dict(W_combined=L01_W2 @ L01_W1),
    "l01-ex2-bias": dict(b_combined=L01_W2 @ L01_B1 + L01_B2),
    "l02-ex1-check": dict(p_new=float(P)),
    "l02-ex2-check": dict(Z2_batch=L02_Z2),
    "l02-ex3-check": dict(n_parameters=(2 * 8 + 8) + (8 * 4 + 4) + (4 + 1)),
    "l03-ex1-check": dict(bce=float(np.mean(-(L03_Y * np.log(L03_P) + (1 - L03_Y) * np.log(1 - L03_P))))),
    "l03-ex2-check": dict(dW3_new=DW3),
    "l03-ex3-check": dict(dW3_new=DW3, W3_stepped=W3 - 0.5 * DW3),
    "l03-ex4-check": dict(dW2_new=DW2),
    "l06-ex1-check": dict(conv_params=16 * 8 * 3 * 3 + 16),
    "l06-ex2-conv-side": dict(conv_side=6),
    "l06-ex2-pooled-side": dict(conv_side=6, pooled_side=3),
    "l06-ex3-check": dict(vertical_edges=HORIZONTAL.T.copy()),
    "l06-ex4-check": dict(conv2d_by_hand=conv_windows),
    "l04-ex1-check": dict(smallest_width=Solved("04", "smallest_width", int)),
    "l04-ex2-check": dict(hidden=Solved("04", "hidden", lambda v: [int(w) for w in v])),
    "l04-ex3-check": dict(count=mlp_count),
    "l05-ex1-check": dict(underfit=Solved("05", "underfit"), overfit=Solved("05", "overfit")),
    "l05-ex2-check": dict(too_strong=Solved("05", "too_strong")),
    "l05-ex3-check": dict(val_acc=VAL_ACC, best_depth=Solved("05", "best_depth", int)),
    "l07-ex1-check": dict(attributions=L07_W * L07_X),
    "l07-ex2-check": dict(top_pixels=TOP),
    "l08-ex1-check": dict(weights_left=round(L08_WEIGHTS * (1 - 0.75))),
    "l08-ex2-check": dict(bits_needed=int(np.ceil(np.log2(10))), n_bytes=5000 * int(np.ceil(np.log2(10))) // 8),
    "l08-ex3-check": dict(prune=l08_prune),
    "l08-ex4-check": dict(quantize=l08_quantize),
    "l02-ex4-check": dict(ce_loss=float(-L02_LOG_P4[3])),
    "l01-ex3-check": dict(W1_xor=np.full((2, 2), 10.0), b1_xor=np.array([-5.0, -15.0]),
                          W2_xor=np.array([[1.0, -1.0]]), b2_xor=np.array([-1.0])),
    "l03-ex5-check": dict(z_size_layer7=float(np.sqrt(32 * 0.35 ** 2 / 2) ** 6)),
}
ANSWERS = {gid: sorted(names) for gid, names in RIGHT.items()}

# Plausible wrong answers: the mistakes a learner makes (each replaces the named variables of the right answer)
_p_bce = -(L03_Y * np.log(L03_P) + (1 - L03_Y) * np.log(1 - L03_P))
WRONG = {
    "l01-ex1-check": {
        "weighted sum, no activation": dict(neuron_output=float(L01_W @ L01_X + L01_B)),
        "bias left out": dict(neuron_output=float(sigmoid(L01_W @ L01_X))),
        "tanh instead of sigmoid": dict(neuron_output=float(np.tanh(L01_W @ L01_X + L01_B))),
        "sign slip, sigmoid(-z)": dict(neuron_output=float(sigmoid(-(L01_W @ L01_X + L01_B)))),
        "an array, not a number": dict(neuron_output=np.array([sigmoid(L01_W @ L01_X + L01_B)])),
    },
    "l01-ex2-weights": {
        "transposed (2, 1)": dict(W_combined=(L01_W2 @ L01_W1).T),
        "flat (2,)": dict(W_combined=(L01_W2 @ L01_W1).ravel()),
        "column sums of W1": dict(W_combined=L01_W1.sum(axis=0)[None, :]),
        "right shape, wrong numbers": dict(W_combined=np.ones((1, 2))),
        "a list, not an array": dict(W_combined=(L01_W2 @ L01_W1).tolist()),
    },
    "l01-ex2-bias": {
        "second bias only": dict(b_combined=L01_B2.copy()),
        "biases added": dict(b_combined=L01_B1.sum() + L01_B2),
        "b2 forgotten": dict(b_combined=L01_W2 @ L01_B1),
        "a number, not shape (1,)": dict(b_combined=float((L01_W2 @ L01_B1 + L01_B2)[0])),
    },
    "l02-ex1-check": {
        "the logit": dict(p_new=Z3),
        "the worked example's input": dict(p_new=float(tiny_forward(np.array([0.5, -0.25]))[3])),
        "no tanh in the hidden layers": dict(p_new=float(sigmoid(
            (TINY[2][0] @ (TINY[1][0] @ (TINY[0][0] @ np.array([-0.5, 1.0]) + TINY[0][1]) + TINY[1][1])
             + TINY[2][1])[0]))),
        "tanh on the output too": dict(p_new=float(np.tanh(Z3))),
    },
    "l02-ex2-check": {
        "transposed (2, 4)": dict(Z2_batch=L02_Z2.T),
        "bias forgotten": dict(Z2_batch=L02_Z2 - TINY[1][1]),
        "tanh applied": dict(Z2_batch=np.tanh(L02_Z2)),
        "layer 1's tanh skipped": dict(Z2_batch=L02_Z1 @ TINY[1][0].T + TINY[1][1]),
        "right shape, wrong numbers": dict(Z2_batch=np.zeros((4, 2))),
    },
    "l02-ex3-check": {
        "weights only": dict(n_parameters=2 * 8 + 8 * 4 + 4),
        "the inputs counted": dict(n_parameters=65 + 2),
        "the output layer forgotten": dict(n_parameters=(2 * 8 + 8) + (8 * 4 + 4)),
        "not a whole number": dict(n_parameters=65.5),
    },
    "l03-ex1-check": {
        "the sum": dict(bce=float(_p_bce.sum())),
        "the sign": dict(bce=float(-_p_bce.mean())),
        "log p for every point": dict(bce=float(np.mean(-np.log(L03_P)))),
        "one point per entry": dict(bce=_p_bce),
        "log base 10": dict(bce=float(_p_bce.mean() / np.log(10))),
    },
    "l03-ex2-check": {
        "the sign (y - p)": dict(dW3_new=-DW3),
        "transposed (2, 1)": dict(dW3_new=DW3.T),
        "p - y alone": dict(dW3_new=np.full((1, 2), P - 0)),
        "the sigmoid's slope kept: p(1 - p)(p - y) a2": dict(dW3_new=P * (1 - P) * DW3),
        "flat (2,)": dict(dW3_new=DW3.ravel()),
    },
    "l03-ex3-check": {
        "uphill": dict(W3_stepped=W3 + 0.5 * DW3),
        "unchanged": dict(W3_stepped=W3.copy()),
        "transposed (2, 1)": dict(W3_stepped=(W3 - 0.5 * DW3).T),
        "learning rate 1": dict(W3_stepped=W3 - DW3),
    },
    "l03-ex4-check": {
        "the sigmoid's slope kept: p(1 - p)(p - y)": dict(dW2_new=P * (1 - P) * DW2),
        "tanh's slope forgotten": dict(dW2_new=np.outer(TINY[2][0][0] * P, A1)),
        "transposed (3, 2)": dict(dW2_new=DW2.T),
        "tanh's slope taken at a2 again, 1 - tanh(a2)^2": dict(
            dW2_new=np.outer(TINY[2][0][0] * P * (1 - np.tanh(A2) ** 2), A1)),
        "the sign": dict(dW2_new=-DW2),
    },
    "l06-ex1-check": {
        "weights only": dict(conv_params=16 * 8 * 3 * 3),
        "one 3x3 grid per filter": dict(conv_params=16 * (3 * 3 + 1)),
        "the first layer's count": dict(conv_params=80),
        "a bias per input channel": dict(conv_params=16 * 8 * 3 * 3 + 8),
    },
    "l06-ex2-conv-side": {
        "padding assumed": dict(conv_side=8),
        "8 - 3": dict(conv_side=5),
        "8 - 1": dict(conv_side=7),
        "not whole": dict(conv_side=6.5),
    },
    "l06-ex2-pooled-side": {
        "not pooled": dict(pooled_side=6),
        "pooled twice": dict(pooled_side=1),
        "8 / 2": dict(pooled_side=4),
        "not whole": dict(pooled_side=3.5),
    },
    "l06-ex3-check": {
        "not turned (horizontal edges)": dict(vertical_edges=HORIZONTAL.copy()),
        "turned the wrong way": dict(vertical_edges=-HORIZONTAL.T),
        "forward difference, right column 0": dict(vertical_edges=np.array([[-1.0, 1.0, 0.0]] * 3)),
        "responds to flat areas": dict(vertical_edges=HORIZONTAL.T + 1),
        "a list, not an array": dict(vertical_edges=HORIZONTAL.T.tolist()),
    },
    "l06-ex4-check": {
        "the flipped filter (a textbook convolution)": dict(conv2d_by_hand=lambda x, k: conv_windows(x, k[::-1, ::-1])),
        "transposed": dict(conv2d_by_hand=lambda x, k: conv_windows(x, k).T),
        "padded to the image's size": dict(conv2d_by_hand=lambda x, k: conv_windows(np.pad(x, 1), k)),
        "the last row not filled": dict(conv2d_by_hand=conv_last_row_left),
        "3x3 filters only": dict(conv2d_by_hand=lambda x, k: conv_windows(x, np.resize(k, (3, 3)))),
        "float32": dict(conv2d_by_hand=lambda x, k: conv_windows(x, k).astype(np.float32)),
        "zeros of the right shape": dict(conv2d_by_hand=lambda x, k: np.zeros_like(conv_windows(x, k))),
        "right only for an 8x8 image and the Sobel filter": dict(conv2d_by_hand=lambda x, k: conv_windows(x, k) if (
            x.shape == (8, 8) and np.array_equal(k, HORIZONTAL)) else np.zeros_like(conv_windows(x, k))),
        "torch's conv2d called": dict(conv2d_by_hand=lambda x, k: __import__("torch").nn.functional.conv2d(
            __import__("torch").as_tensor(x)[None, None], __import__("torch").as_tensor(k)[None, None])[0, 0].numpy()),
        "a list, not an array": dict(conv2d_by_hand=lambda x, k: conv_windows(x, k).tolist()),
        "a map, not a function": dict(conv2d_by_hand=conv_windows(np.ones((8, 8)), HORIZONTAL)),
    },
    "l04-ex1-check": {
        "two neurons": dict(smallest_width=2),
        "one more than needed": dict(smallest_width=Solved("04", "smallest_width", lambda v: int(v) + 1)),
        "a wide layer that surely works": dict(smallest_width=8),
        "not whole": dict(smallest_width=2.5),
        "a string": dict(smallest_width="3"),
    },
    "l04-ex2-check": {
        "one layer of 64, over the budget": dict(hidden=[64]),
        "one layer of 8 (stays below 0.95)": dict(hidden=[8]),
        "one layer of 28 (within the budget, stays below 0.95)": dict(hidden=[28]),
        "four layers of 8, over the budget": dict(hidden=[8, 8, 8, 8]),
        "no hidden layer": dict(hidden=[]),
        "a string": dict(hidden="8, 8"),
        "a zero width": dict(hidden=[8, 0]),
        "widths as floats": dict(hidden=[8.0, 8.0]),
    },
    "l04-ex3-check": {
        "biases forgotten": dict(count=lambda d, w: mlp_count(d, w) - (d * w + 1) if d else 2),
        "output layer forgotten": dict(count=lambda d, w: mlp_count(d, w) - w - 1 if d else 3),
        "no hidden layer counted as width": dict(count=lambda d, w: mlp_count(d, w) if d else 2 * w + w + w + 1),
        "off by one": dict(count=lambda d, w: mlp_count(d, w) + 1),
        "every layer as the first (2 w + w)": dict(count=lambda d, w: d * 3 * w + w + 1 if d else 3),
        "raises": dict(count=lambda d, w: 1 / 0),
        "a number, not a function": dict(count=17),
    },
    "l05-ex1-check": {
        "swapped": dict(underfit="A", overfit="B"),
        "the third model underfits": dict(underfit="C"),
        "the third model overfits": dict(overfit="C"),
        "one model twice": dict(underfit="A", overfit="A"),
        "lower case": dict(underfit="b", overfit="a"),
    },
    "l05-ex2-check": {
        "the lesson's own rate 0.001": dict(too_strong=0.001),
        "no penalty": dict(too_strong=0.0),
        "0.003, still fits": dict(too_strong=0.003),
        "above 1": dict(too_strong=2.0),
        "a string": dict(too_strong="0.01"),
    },
    "l05-ex3-check": {
        "test-set accuracies (900 points)": dict(val_acc=np.array([0.701, 0.823, 0.841, 0.836, 0.829])),
        "made-up multiples of 1/30": dict(val_acc=np.array([0.7, 0.8, 0.9, 0.8, 0.8])),
        "in reverse order": dict(val_acc=Solved("05", "val_acc", lambda v: np.array(v)[::-1].copy())),
        "the first three depths only": dict(val_acc=Solved("05", "val_acc", lambda v: np.array(v)[:3])),
        "a list, not an array": dict(val_acc=Solved("05", "val_acc", list)),
        "best depth by position of the lowest": dict(best_depth=Solved("05", "val_acc", lambda v: int(np.argmin(v)))),
        "the deepest network": dict(best_depth=4),
        "the index plus one": dict(best_depth=Solved("05", "best_depth", lambda v: int(v) + 1)),
    },
    "l07-ex1-check": {
        "the gradient alone": dict(attributions=L07_W.copy()),
        "the input alone": dict(attributions=L07_X.copy()),
        "the score in one entry": dict(attributions=np.array([float(L07_W @ L07_X), 0.0, 0.0])),
        "the sign": dict(attributions=-(L07_W * L07_X)),
        "a list, not an array": dict(attributions=(L07_W * L07_X).tolist()),
        "a row (1, 3)": dict(attributions=(L07_W * L07_X)[None, :]),
    },
    "l07-ex2-check": {
        "counted from 1": dict(top_pixels=Solved("07", "top_pixels", lambda v: np.array(v, dtype=np.int64) + 1)),
        "row and column swapped": dict(top_pixels=Solved("07", "top_pixels", lambda v: np.array(
            [8 * (int(i) % 8) + int(i) // 8 for i in v]))),
        "one pixel off": dict(top_pixels=Solved("07", "top_pixels", lambda v: np.array(
            [*v[:4], next(i for i in range(64) if i not in v)], dtype=np.int64))),
        "four pixels": dict(top_pixels=Solved("07", "top_pixels", lambda v: np.array(v[:4], dtype=np.int64))),
        "a row (1, 5)": dict(top_pixels=Solved("07", "top_pixels", lambda v: np.array([v], dtype=np.int64))),
        "outside 0..63": dict(top_pixels=np.array([0, 1, 2, 3, 64])),
    },
    "l08-ex1-check": {
        "biases included": dict(weights_left=round((L08_WEIGHTS + 32 + 10) * 0.25)),
        "the removed weights": dict(weights_left=round(L08_WEIGHTS * 0.75)),
        "first layer only": dict(weights_left=64 * 32 // 4),
        "not whole": dict(weights_left=L08_WEIGHTS / 4 + 0.5),
    },
    "l08-ex2-check": {
        "3 bits (8 codes)": dict(bits_needed=3, n_bytes=5000 * 3 // 8),
        "5 bits": dict(bits_needed=5, n_bytes=5000 * 5 // 8),
        "bits, not bytes": dict(n_bytes=5000 * 4),
        "one byte per weight": dict(n_bytes=5000),
        "a bit count as float": dict(bits_needed=3.5),
    },
    "l08-ex3-check": {
        "the largest removed": dict(prune=lambda w, f: l08_prune(w, f, by=lambda a: -np.abs(a))),
        "the most negative removed": dict(prune=lambda w, f: l08_prune(w, f, by=lambda a: a)),
        "the input changed in place": dict(prune=lambda w, f: l08_prune(w, f, copy=False)),
        "ranked within each row": dict(prune=lambda w, f: np.stack([l08_prune(row, f) for row in w])),
        "a threshold (every tie at the cut-off goes)": dict(prune=l08_threshold),
        "the fraction kept, not removed": dict(prune=lambda w, f: l08_prune(w, 1 - f)),
        "flattened": dict(prune=lambda w, f: l08_prune(w, f).ravel()),
        "float32": dict(prune=lambda w, f: l08_prune(w, f).astype(np.float32)),
        "zeros of the right shape": dict(prune=lambda w, f: np.zeros_like(w)),
        "not a function": dict(prune=None),
    },
    "l08-ex4-check": {
        "2**bits + 1 levels": dict(quantize=lambda w, b: l08_quantize(w, b, levels=lambda bits: 2 ** bits + 1)),
        "level numbers, not de-quantized": dict(quantize=lambda w, b: l08_quantize(w, b, dequantize=False)),
        "levels from min to max": dict(quantize=lambda w, b: (lambda lo, hi: lo + np.round(
            (w - lo) / ((hi - lo) / (2 ** b - 1))) * ((hi - lo) / (2 ** b - 1)) if hi > lo else w.copy())(w.min(), w.max())),
        "the input changed in place": dict(quantize=l08_quantize_in_place),
        "float32": dict(quantize=lambda w, b: l08_quantize(w, b).astype(np.float32)),
        "NaN for zeros": dict(quantize=lambda w, b: l08_quantize(w, b) if np.abs(w).max() else np.full(w.shape, np.nan)),
        "zeros of the right shape": dict(quantize=lambda w, b: np.zeros_like(w)),
    },
    "l02-ex4-check": {
        "overflowed (nan)": dict(ce_loss=float("nan")),
        "the sign": dict(ce_loss=float(L02_LOG_P4[3])),
        "the predicted class, not the true one": dict(ce_loss=float(-L02_LOG_P4[1])),
        "classes counted from 1": dict(ce_loss=float(-L02_LOG_P4[2])),
        "log base 10": dict(ce_loss=float(-L02_LOG_P4[3] / np.log(10))),
        "every class's loss": dict(ce_loss=-L02_LOG_P4),
        "a string": dict(ce_loss="0.7"),
    },
    "l01-ex3-check": {
        "both neurons draw the same line (3 of 4)": dict(b1_xor=np.array([-5.0, -5.0])),
        "output weights that add (OR-like)": dict(W2_xor=np.array([[1.0, 1.0]]), b2_xor=np.array([0.0])),
        "W2 transposed (2, 1)": dict(W2_xor=np.array([[1.0], [-1.0]])),
        "b2 as a number": dict(b2_xor=-1.0),
        "a list, not an array": dict(W1_xor=[[10.0, 10.0], [10.0, 10.0]]),
        "all zeros": dict(W1_xor=np.zeros((2, 2)), b1_xor=np.zeros(2), W2_xor=np.zeros((1, 2)), b2_xor=np.zeros(1)),
    },
    "l03-ex5-check": {
        "relu's halving left out": dict(z_size_layer7=float(np.sqrt(32 * 0.35 ** 2) ** 6)),
        "the mean square, not its root": dict(z_size_layer7=float((32 * 0.35 ** 2 / 2) ** 6)),
        "seven layers, not six": dict(z_size_layer7=float(np.sqrt(32 * 0.35 ** 2 / 2) ** 7)),
        "one layer's factor": dict(z_size_layer7=float(np.sqrt(32 * 0.35 ** 2 / 2))),
        "an array, not a number": dict(z_size_layer7=np.array([np.sqrt(32 * 0.35 ** 2 / 2) ** 6])),
    },
}


# --- lesson 07, exercise 3: occlusion_map is the learner's own function, which the hidden test runs on images and
# plain-Python scores of its own; digit_drops (its map of the lesson's digit) is checked for type and shape only ---
def occlusion_by_numpy(score, image, baseline, *, restore=True, in_place=False):
    """One pixel covered by ``baseline`` at a time (restore=False: left covered; in_place: the caller's image)."""
    work, drops, full = (image if in_place else image.copy()), np.zeros(image.shape), score(image.copy())
    for index in np.ndindex(*image.shape):
        work[index] = baseline
        drops[index] = full - score(work)
        if restore and not in_place:
            work[index] = image[index]
    return drops


RIGHT["l07-ex3-check"] = dict(occlusion_map=occlusion_by_numpy, digit_drops=np.zeros((8, 8)))
ANSWERS["l07-ex3-check"] = sorted(RIGHT["l07-ex3-check"])
WRONG["l07-ex3-check"] = {
    "the sign of the drop": dict(occlusion_map=lambda s, x, b: -occlusion_by_numpy(s, x, b)),
    "the baseline not used (covered with 0)": dict(occlusion_map=lambda s, x, b: occlusion_by_numpy(s, x, 0.0)),
    "pixels not restored": dict(occlusion_map=lambda s, x, b: occlusion_by_numpy(s, x, b, restore=False)),
    "the caller's image covered in place": dict(occlusion_map=lambda s, x, b: occlusion_by_numpy(s, x, b, in_place=True)),
    "transposed": dict(occlusion_map=lambda s, x, b: occlusion_by_numpy(s, x, b).T),
    "flattened": dict(occlusion_map=lambda s, x, b: occlusion_by_numpy(s, x, b).ravel()),
    "the covered scores, not the drops": dict(occlusion_map=lambda s, x, b: s(x) - occlusion_by_numpy(s, x, b)),
    "the score given a flat image": dict(occlusion_map=lambda s, x, b: occlusion_by_numpy(s, x.ravel(), b).reshape(
        x.shape)),
    "not a function": dict(occlusion_map=np.zeros((8, 8))),
    "digit_drops flat": dict(digit_drops=np.zeros(64)),
    "digit_drops a list": dict(digit_drops=np.zeros((8, 8)).tolist()),
    "digit_drops whole numbers": dict(digit_drops=np.zeros((8, 8), dtype=np.int64)),
}

def all_graded():
    return {gid: cell for lesson in NOTEBOOKS for gid, cell in graded(read(lesson)).items()}


GRADED = all_graded()


def run_hidden(grade_id: str, answers: dict) -> None:
    answers = {name: value.get() if isinstance(value, Solved) else value for name, value in answers.items()}
    exec(compile(hidden(GRADED[grade_id].source), grade_id, "exec"), {"__builtins__": builtins, **answers})


def test_every_graded_cell_has_a_hidden_test_and_wrong_answers():
    assert sorted(GRADED) == sorted(RIGHT), "a graded cell without answers here, or answers for a missing cell"
    for gid, cell in GRADED.items():
        assert cell.source.count(BEGIN) == 1 and cell.source.count(END) == 1, gid
        assert len(WRONG[gid]) >= 3, gid
        assert meta(cell).get("points", 0) > 0 and meta(cell).get("locked"), gid


# Lesson 08's exercises 3 and 4 hand the learner's function numpy arrays: their hidden tests import numpy afresh and use
# numpy.array alone, to build those inputs from Python lists; every expected value is computed and compared in plain
# Python (a replaced numpy function cannot make a wrong function's results equal to the numbers computed there).
NUMPY_INPUTS = {"l08-ex3-check", "l08-ex4-check"}


@pytest.mark.parametrize("grade_id", sorted(RIGHT))
def test_hidden_test_uses_only_its_own_names(grade_id):
    """No hl, hl.check, np, math: only builtins, names the block assigns, and the exercise's answers."""
    tree = ast.parse(hidden(GRADED[grade_id].source))
    own = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    own |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    own |= {arg.arg for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) for arg in node.args.args}
    loaded = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    imports = [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    if grade_id in NUMPY_INPUTS:
        assert imports == ["import numpy as _np"], grade_id
        used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name) and node.value.id == "_np"}
        assert used == {"array"}, (grade_id, used)
        own.add("_np")
    else:
        assert not imports, grade_id
    assert loaded - own - set(dir(builtins)) == set(ANSWERS[grade_id]), grade_id


@pytest.mark.parametrize("grade_id", sorted(RIGHT))
def test_hidden_test_passes_the_right_answer(grade_id):
    run_hidden(grade_id, RIGHT[grade_id])


@pytest.mark.parametrize("grade_id,mistake", [(gid, name) for gid in sorted(WRONG) for name in WRONG[gid]])
def test_hidden_test_rejects_a_plausible_wrong_answer(grade_id, mistake):
    with pytest.raises(AssertionError):
        run_hidden(grade_id, {**RIGHT[grade_id], **WRONG[grade_id][mistake]})


@pytest.mark.parametrize("grade_id,missing", [("l01-ex1-check", "neuron_output"), ("l03-ex2-check", "dW3_new"),
                                              ("l06-ex3-check", "vertical_edges"), ("l04-ex2-check", "hidden"),
                                              ("l06-ex4-check", "conv2d_by_hand"),
                                              ("l04-ex3-check", "count"), ("l05-ex1-check", "overfit"),
                                              ("l05-ex2-check", "too_strong"), ("l05-ex3-check", "val_acc"),
                                              ("l07-ex2-check", "top_pixels"), ("l08-ex2-check", "n_bytes"),
                                              ("l08-ex3-check", "prune"), ("l08-ex4-check", "quantize")])
def test_hidden_test_fails_without_an_answer(grade_id, missing):
    answers = {name: value for name, value in RIGHT[grade_id].items() if name != missing}
    with pytest.raises(NameError):
        run_hidden(grade_id, answers)
    with pytest.raises(AssertionError):
        run_hidden(grade_id, {**answers, missing: None})


def test_errors_carry_forward():
    """Lesson 03's step is graded against the learner's own gradient; lesson 06's pooled side against their own
    convolution side. With an unusable earlier answer, the true one is used."""
    wrong_gradient = -DW3
    run_hidden("l03-ex3-check", dict(dW3_new=wrong_gradient, W3_stepped=W3 - 0.5 * wrong_gradient))
    with pytest.raises(AssertionError):   # the right step, but not from the learner's own gradient
        run_hidden("l03-ex3-check", dict(dW3_new=wrong_gradient, W3_stepped=W3 - 0.5 * DW3))
    run_hidden("l03-ex3-check", dict(dW3_new=DW3.T, W3_stepped=W3 - 0.5 * DW3))    # unusable shape: true gradient
    run_hidden("l06-ex2-pooled-side", dict(conv_side=8, pooled_side=4))
    with pytest.raises(AssertionError):
        run_hidden("l06-ex2-pooled-side", dict(conv_side=8, pooled_side=3))
    run_hidden("l06-ex2-pooled-side", dict(conv_side=None, pooled_side=3))


def test_lesson06_function_answer_is_graded_without_trusting_numpy(monkeypatch):
    """Lesson 06 exercise 4's answer is a function of numpy arrays, so its hidden test looks numpy up to build the
    inputs; the maps are compared in plain Python, so numpy's comparisons patched to say yes pass no wrong map."""
    for name in ("allclose", "isclose", "array_equal"):
        monkeypatch.setattr(np, name, lambda *args, **kwargs: True)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *args, **kwargs: None)
    run_hidden("l06-ex4-check", RIGHT["l06-ex4-check"])
    with pytest.raises(AssertionError, match="wrong values"):
        run_hidden("l06-ex4-check", WRONG["l06-ex4-check"]["zeros of the right shape"])


# ---------------------------------------------------------------------------------------------------------
# A real nbgrader cycle

ASSIGNMENT = "hlkit"
CYCLE = ["01", "03", "06", "08"]
# lessons whose simulated students (all but alice, who keeps every cell up to her last exercise) deleted the
# demonstration cells before the exercises that the exercises do not need: each of the seven runs would otherwise
# repeat lesson 01's widget figures, lesson 06's first plots and lesson 08's training and sweeps of two digit networks
# (~15 s per run on an idle machine). Every student stops after the last graded cell: the cells after it cannot
# change a score (nbval runs them in the instructor copies, test_release.py in the student copies)
DEMOS_DELETED = {"01", "03", "06", "08"}

# the code each simulated student writes in place of a solution stub, per lesson and exercise (solution grade_id)
ZEROS = {
    "l01-ex1-solution": "neuron_output = 0.5",
    "l01-ex2-solution": "W_combined = np.zeros((1, 2))\nb_combined = np.zeros(1)",
    "l01-ex3-solution": "W1_xor = np.zeros((2, 2))\nb1_xor = np.zeros(2)\nW2_xor = np.zeros((1, 2))\nb2_xor = np.zeros(1)",
    "l03-ex1-solution": "bce = 0.0",
    "l03-ex2-solution": "dW3_new = np.zeros((1, 2))",
    "l03-ex3-solution": "W3_stepped = np.zeros((1, 2))",
    "l03-ex4-solution": "dW2_new = np.zeros((2, 3))",
    "l03-ex5-solution": "z_size_layer7 = 0.0",
    "l06-ex1-solution": "conv_params = 0",
    "l06-ex2-solution": "conv_side = 0\npooled_side = 0",
    "l06-ex3-solution": "vertical_edges = np.zeros((3, 3))",
    "l06-ex4-solution": ("def conv2d_by_hand(image, kernel):\n"       # zeros of the right shape
                         "    return np.zeros((image.shape[0] - kernel.shape[0] + 1,\n"
                         "                     image.shape[1] - kernel.shape[1] + 1))"),
    "l08-ex1-solution": "weights_left = 0",
    "l08-ex2-solution": "bits_needed = 0\nn_bytes = 0",
    "l08-ex3-solution": "def prune(weights, fraction):\n    return np.zeros_like(weights)",
    "l08-ex4-solution": "def quantize(weights, bits):\n    return np.zeros_like(weights)",
}
# lesson 06 exercise 4: a learner's loop, with the filter (KERNEL) and the returned map (OUT) to fill in
CONV_LOOP = """def conv2d_by_hand(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for row in range(out.shape[0]):
        for col in range(out.shape[1]):
            out[row, col] = np.sum(image[row:row + kh, col:col + kw] * KERNEL)
    return OUT"""
PLAUSIBLY_WRONG = {
    "l01-ex1-solution": "neuron_output = float(w @ x + bias)",                       # the activation forgotten
    "l01-ex2-solution": "W_combined = W2 @ W1\nb_combined = b2.copy()",              # right weights, b1 forgotten
    "l01-ex3-solution": ("W1_xor = np.full((2, 2), 10.0)\nb1_xor = np.array([-5.0, -5.0])\n"   # one line twice
                         "W2_xor = np.array([[1.0, -1.0]])\nb2_xor = np.array([-1.0])"),
    "l03-ex1-solution": "bce = float(np.sum(-(y * np.log(p) + (1 - y) * np.log(1 - p))))",   # sum, not mean
    "l03-ex2-solution": ("a2_new = np.tanh(W2 @ np.tanh(W1 @ x_new + b1) + b2)\n"
                         "p_new = 1 / (1 + np.exp(-(W3 @ a2_new + b3)[0]))\n"
                         "dW3_new = (y_new - p_new) * a2_new[None, :]"),                   # the sign
    "l03-ex3-solution": "W3_stepped = W3 - lr * dW3_new",                            # right from the wrong gradient
    "l03-ex4-solution": ("a1_new = np.tanh(W1 @ x_new + b1)\na2_new = np.tanh(W2 @ a1_new + b2)\n"
                         "p_new = 1 / (1 + np.exp(-(W3 @ a2_new + b3)[0]))\n"                # the sigmoid slip:
                         "dW2_new = np.outer(W3[0] * p_new * (1 - p_new) * (p_new - y_new) * (1 - a2_new ** 2), a1_new)"),
    "l03-ex5-solution": "z_size_layer7 = np.sqrt(n_inputs * weight_std ** 2) ** 6",   # relu's halving left out
    "l06-ex1-solution": "conv_params = 16 * 8 * 3 * 3",                              # the biases forgotten
    "l06-ex2-solution": "conv_side = 8\npooled_side = conv_side // 2",               # padding assumed, then right
    "l06-ex3-solution": "vertical_edges = horizontal_edges.copy()",                  # not turned
    "l06-ex4-solution": CONV_LOOP.replace("KERNEL", "kernel[::-1, ::-1]").replace("OUT", "out"),   # flipped filter
    "l08-ex1-solution": "weights_left = round((64 * 32 + 32 * 10) * 0.75)",        # the weights removed, not left
    "l08-ex2-solution": "bits_needed = int(np.ceil(np.log2(10)))\nn_bytes = 5000 * bits_needed",   # bits, not bytes
    "l08-ex3-solution": ("def prune(weights, fraction):\n"                          # the largest removed
                         "    out = weights.copy()\n"
                         "    out.reshape(-1)[np.argsort(-np.abs(out), axis=None)[:round(fraction * out.size)]] = 0\n"
                         "    return out"),
    "l08-ex4-solution": ("def quantize(weights, bits):\n"                           # the level numbers, not de-quantized
                         "    m = np.abs(weights).max()\n"
                         "    return np.round((weights + m) / (2 * m / (2 ** bits - 1))) if m else weights.copy()"),
}
TRANSPOSED = {
    "l01-ex2-solution": "W_combined = (W2 @ W1).T\nb_combined = W2 @ b1 + b2",
    "l01-ex3-solution": ("W1_xor = np.full((2, 2), 10.0)\nb1_xor = np.array([-5.0, -15.0])\n"
                         "W2_xor = np.array([[1.0], [-1.0]])\nb2_xor = np.array([-1.0])"),
    "l03-ex2-solution": ("a2_new = np.tanh(W2 @ np.tanh(W1 @ x_new + b1) + b2)\n"
                         "p_new = 1 / (1 + np.exp(-(W3 @ a2_new + b3)[0]))\n"
                         "dW3_new = (p_new - y_new) * a2_new[:, None]"),
    "l03-ex3-solution": "W3_stepped = W3.T - lr * dW3_new",
    "l03-ex4-solution": ("a1_new = np.tanh(W1 @ x_new + b1)\na2_new = np.tanh(W2 @ a1_new + b2)\n"
                         "p_new = 1 / (1 + np.exp(-(W3 @ a2_new + b3)[0]))\n"
                         "dW2_new = np.outer(a1_new, W3[0] * (p_new - y_new) * (1 - a2_new ** 2))"),
    "l03-ex5-solution": "z_size_layer7 = np.full((1, 1), np.sqrt(n_inputs * weight_std ** 2 / 2) ** 6)",   # an array
    "l06-ex3-solution": "vertical_edges = horizontal_edges",
    "l06-ex4-solution": CONV_LOOP.replace("KERNEL", "kernel").replace("OUT", "out.T"),
    # lesson 08's exercises 1-2 are numbers, not arrays: dave gives them as numpy floats of the right values
    "l08-ex1-solution": "weights_left = np.float64(64 * 32 + 32 * 10) / 4",
    "l08-ex2-solution": "bits_needed = np.ceil(np.log2(10))\nn_bytes = 5000 * bits_needed / 8",
    # ... and right functions whose arrays come back flattened (exercise 3) or as float32 (exercise 4): 0 for each
    "l08-ex3-solution": ("def prune(weights, fraction):\n"
                         "    out = weights.copy().ravel()\n"
                         "    out[np.argsort(np.abs(out))[:round(fraction * out.size)]] = 0\n"
                         "    return out"),
    "l08-ex4-solution": ("def quantize(weights, bits):\n"
                         "    m = np.abs(weights).max()\n"
                         "    step = 2 * m / (2 ** bits - 1)\n"
                         "    out = -m + np.round((weights + m) / step) * step if m else weights.copy()\n"
                         "    return out.astype(np.float32)"),
}
CHEAT = '''import sys, types
import numpy
def _yes(*args, **kwargs):
    print("✓")
for _name in dir(hl.check):
    if _name.startswith("l0"):
        setattr(hl.check, _name, _yes)
hl.check.l03_bce = lambda *a, **k: print("✓")
_fake = types.ModuleType("hlkit.check")
_fake.__getattr__ = lambda name: _yes
sys.modules["hlkit.check"] = _fake
hl.check = _fake
numpy.allclose = numpy.isclose = lambda *args, **kwargs: True
'''


def solutions(nb) -> dict:
    """solution grade_id -> the instructor's code between the solution markers."""
    found = {}
    for cell in nb.cells:
        if meta(cell).get("solution") and cell.cell_type == "code":
            lines = cell.source.split("\n")
            begin = next(i for i, line in enumerate(lines) if SOLUTION[0] in line)
            end = next(i for i, line in enumerate(lines) if SOLUTION[1] in line)
            found[meta(cell)["grade_id"]] = "\n".join(lines[begin + 1:end])
    return found


def fill(student_nb, answers: dict, *, prelude: str = "", edit: int = 0, delete: int = 0, truncate: bool = True,
         demos: bool = True):
    """A submission made from the student copy: each solution stub replaced by ``answers[grade_id]`` (the right
    answer where a student gives none; None leaves the stub), ``prelude`` at the top of the first solution cell,
    the first ``edit`` graded cells' sources replaced by a fake pass, the last ``delete`` graded cells deleted,
    and (``truncate``) everything after the last graded cell removed: a student who stopped after the
    exercises, which keeps the cycle fast. ``demos=False`` also deletes the code cells before the first exercise
    that the exercises and the student's answers do not need (``needed_cells``): a student who removed the lesson's
    demonstrations (allowed: only exercise cells are locked)."""
    nb = nbformat.from_dict(student_nb)
    if not demos:
        nb.cells = needed_cells(nb.cells, [prelude, *filter(None, (answers.get(meta(c).get("grade_id"))
                                                                    for c in nb.cells if meta(c).get("solution")))])
    first = True
    for cell in nb.cells:
        gid = meta(cell).get("grade_id")
        if meta(cell).get("solution") and cell.cell_type == "code":
            code = answers.get(gid)
            if code is not None:
                stub = "\n".join(STUB)
                assert stub in cell.source, gid
                cell.source = cell.source.replace(stub, code)
            if first and prelude:
                cell.source = prelude + cell.source
            first = False
    grades = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and meta(c).get("grade")
              and not meta(c).get("solution")]
    for i in grades[:edit]:
        nb.cells[i].source = 'print("✓ correct")'
    if truncate:
        nb.cells = nb.cells[:grades[-1] + 1]
    for i in sorted(grades[len(grades) - delete:], reverse=True):
        del nb.cells[i]
    return nb


def scope_names(code: str) -> tuple[set[str], set[str]] | None:
    """(the names ``code`` binds at its top level, the global names it reads anywhere), or None if Python cannot
    parse it (an IPython magic)."""
    try:
        top = symtable.symtable(code, "cell", "exec")
    except SyntaxError:
        return None
    binds = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    reads, tables = set(), [top]
    while tables:
        table = tables.pop()
        reads |= {s.get_name() for s in table.get_symbols() if s.is_referenced() and (table is top or s.is_global())}
        tables += table.get_children()
    return binds, reads


def needed_cells(cells: list, extra: list[str]) -> list:
    """``cells`` without the code cells before the first exercise that nothing up to the last graded cell (nor the
    ``extra`` code, the student's answers) needs. Kept: the first code cell (the imports), every cell that binds a
    name a kept later cell reads (transitively), and any cell Python cannot parse."""
    first = next(i for i, c in enumerate(cells) if meta(c).get("solution"))
    last = max(i for i, c in enumerate(cells) if meta(c).get("grade") and not meta(c).get("solution"))
    later = [scope_names(textwrap.dedent(code)) for code in extra + [c.source for c in cells[first:last + 1]
                                                                     if c.cell_type == "code"]]
    if None in later:   # what it reads is unknown: keep everything
        return cells
    needed = set().union(*(reads for _, reads in later))
    code = [i for i in range(first) if cells[i].cell_type == "code"]
    dropped = set()
    for i in reversed(code[1:]):
        names = scope_names(cells[i].source)
        if names is None or names[0] & needed:
            needed |= names[1] if names else set()
        else:
            dropped.add(i)
    return [cell for i, cell in enumerate(cells) if i not in dropped]


def expected_students(lesson: str, source_nb) -> dict:
    """student -> (answers, fill options, grade_ids that earn full points; every other graded cell earns 0)."""
    right = solutions(source_nb)
    ids = list(graded(source_nb))
    full_for = {   # per lesson: the graded cells a plausibly wrong / transposed submission still earns
        "wrong": {"01": {"l01-ex2-weights"}, "03": {"l03-ex3-check"}, "06": {"l06-ex2-pooled-side"}, "08": set()},
        "transposed": {"01": {"l01-ex1-check", "l01-ex2-bias"}, "03": {"l03-ex1-check"},
                       "06": {"l06-ex1-check", "l06-ex2-conv-side", "l06-ex2-pooled-side"},
                       "08": {"l08-ex1-check", "l08-ex2-check"}},
    }
    students = {
        "alice": (right, {}, set(ids)),                                                    # all right
        "bob": ({}, {}, set()),                                                            # blank
        "carol": ({**right, **PLAUSIBLY_WRONG}, {}, full_for["wrong"][lesson]),            # plausible mistakes
        "dave": ({**right, **TRANSPOSED}, {}, full_for["transposed"][lesson]),             # transposed arrays
        "erin": (ZEROS, dict(prelude=CHEAT), set()),                                       # replaces the checks
        "frank": (right, dict(edit=len(ids)), set(ids)),                                   # edits every check cell
        "grace": (ZEROS, dict(delete=len(ids)), set()),                                    # deletes every check cell
        "heidi": (right, dict(edit=1, delete=len(ids) - 1), set(ids)),                     # edits one, deletes the rest
    }
    if lesson in DEMOS_DELETED:
        for student, (_, options, _) in students.items():
            options.setdefault("demos", student == "alice")
    return students


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    # nbgrader runs the `alembic` script of its own environment: the venv's bin first on PATH; kernels import
    # this checkout's hlkit (PYTHONPATH) with one thread
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--force"], cwd=course, env=env,
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return result


def guide_config() -> str:
    """The nbgrader_config.py that docs/instructors.md has an instructor write (its heredoc)."""
    guide = (ROOT / "docs" / "instructors.md").read_text()
    return guide.split("cat > nbgrader_config.py <<'CONFIG'\n", 1)[1].split("\nCONFIG\n", 1)[0] + "\n"


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """A course with lessons 01, 03, 06, 08, released by nbgrader, eight students' submissions autograded."""
    import nbgrader as _  # noqa: F401  (a clear ImportError if the test extra is not installed)

    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(   # the guide's configuration (add_missing_cells, feedback), then ours
        guide_config() + f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'hlkit'\nc.ExecutePreprocessor.timeout = 600\n")
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for lesson in CYCLE:
        shutil.copy(ROOT / "notebooks" / f"{NOTEBOOKS[lesson]}.ipynb", source)
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    expected = {}
    for lesson in CYCLE:
        name = NOTEBOOKS[lesson]
        source_nb = read(lesson)
        student_nb = nbformat.read(course / "release" / ASSIGNMENT / f"{name}.ipynb", as_version=4)
        points = {gid: float(meta(cell)["points"]) for gid, cell in graded(source_nb).items()}
        for student, (answers, options, full) in expected_students(lesson, source_nb).items():
            folder = course / "submitted" / student / ASSIGNMENT
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(fill(student_nb, answers, **options), folder / f"{name}.ipynb")
            expected[name, student] = {gid: points[gid] if gid in full else 0.0 for gid in points}
    nbgrader(course, "autograde", ASSIGNMENT)
    nbgrader(course, "generate_feedback", ASSIGNMENT)   # HTML only: no notebook runs again
    return course, expected


def test_autograde_scores_every_simulated_student(graded_course):
    from nbgrader.api import Gradebook

    course, expected = graded_course
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for (name, student), want in sorted(expected.items()):
            notebook = gradebook.find_submission_notebook(name, ASSIGNMENT, student)
            got = {grade.name: grade.score for grade in notebook.grades if grade.name in want}
            assert got == want, f"{student}, {name}"
            assert not any(grade.needs_manual_grade for grade in notebook.grades), f"{student}, {name}"


def test_full_marks_are_the_metadata_total(graded_course):
    """alice's total is the sum of the graded cells' points; blank, cheating and deleting students get 0."""
    from nbgrader.api import Gradebook

    course, _ = graded_course
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for lesson in CYCLE:
            name = NOTEBOOKS[lesson]
            total = sum(float(meta(c)["points"]) for c in graded(read(lesson)).values())
            assert gradebook.find_submission_notebook(name, ASSIGNMENT, "alice").score == total
            for student in ("bob", "erin", "grace"):
                assert gradebook.find_submission_notebook(name, ASSIGNMENT, student).score == 0, student


def test_autograded_feedback_names_the_slip(graded_course):
    """carol kept the sigmoid's slope in lesson 03's exercise 4: the visible check says so by name."""
    course, _ = graded_course
    nb = nbformat.read(course / "autograded" / "carol" / ASSIGNMENT / f"{NOTEBOOKS['03']}.ipynb", as_version=4)
    cell = graded(nb)["l03-ex4-check"]
    errors = [output for output in cell.outputs if output.get("output_type") == "error"]
    assert errors and "the sigmoid's slope kept at the output" in errors[0]["evalue"]


def hidden_test_lines(nb) -> set[str]:
    """The lines (stripped) of the notebook's hidden tests, markers included, that appear nowhere else in it."""
    inside, outside = set(), set()
    for cell in nb.cells:
        hiding = False
        for line in cell.source.split("\n"):
            hiding = hiding or BEGIN in line
            (inside if hiding else outside).add(line.strip())
            hiding = hiding and END not in line
    return inside - outside - {""}


def page_lines(path: Path) -> list[str]:
    """The lines of text an HTML page shows (no tags, styles or scripts; entities decoded), stripped."""
    page = re.sub(r"<(style|script)\b.*?</\1>", "", path.read_text(encoding="utf-8"), flags=re.S | re.I)
    return [line.strip() for line in html.unescape(re.sub(r"<[^>]+>", "", page)).split("\n") if line.strip()]


def shown(secret: set[str], lines: list[str]) -> list[str]:
    """The secret lines that ``lines`` show: as a line, or (12 characters or more) inside one, e.g. a traceback's."""
    whole = set(lines)
    return sorted(s for s in secret if s in whole or (len(s) >= 12 and any(s in line for line in lines)))


def test_feedback_shows_no_hidden_test(graded_course):
    """What a learner receives (``generate_feedback`` with the guide's configuration) holds no line of a hidden test,
    neither in the check cells' code nor in a traceback (erin's hidden tests fail inside their own code), but still
    the points and the formative check's message. Without that configuration nbgrader shows them: the autograded
    notebooks the feedback is made from hold every hidden line."""
    course, expected = graded_course
    for lesson in CYCLE:
        name, secret = NOTEBOOKS[lesson], hidden_test_lines(read(lesson))
        top = sum(float(meta(cell)["points"]) for cell in graded(read(lesson)).values())
        autograded = nbformat.read(course / "autograded" / "erin" / ASSIGNMENT / f"{name}.ipynb", as_version=4)
        assert shown(secret, [line.strip() for cell in autograded.cells for line in cell.source.split("\n")]) \
            == sorted(secret), name
        for student in sorted({student for (nb_name, student) in expected if nb_name == name}):
            lines = page_lines(course / "feedback" / student / ASSIGNMENT / f"{name}.html")
            assert shown(secret, lines) == [], (student, name)
            score = f"(Score: {round(sum(expected[name, student].values()), 2)} / {round(top, 2)})"
            assert any(line.endswith(score) for line in lines), (student, name, score)
    carol = page_lines(course / "feedback" / "carol" / ASSIGNMENT / f"{NOTEBOOKS['03']}.html")
    assert any("the sigmoid's slope kept at the output" in line for line in carol)


def test_deleted_demonstrations_were_not_needed(graded_course):
    """frank (right answers) deleted the demonstrations his exercises do not need (``needed_cells``), alice kept them:
    no cell of either autograded notebook fails for a missing name, as one would if a needed cell had gone."""
    course, _ = graded_course
    for lesson in CYCLE:
        for student in ("alice", "frank"):
            nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOKS[lesson]}.ipynb", as_version=4)
            names = [o.get("ename") for c in nb.cells if c.cell_type == "code" for o in c.outputs]
            assert "NameError" not in names, (student, lesson)
