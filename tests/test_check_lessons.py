"""The lessons' formative checks (hlkit.check.l01_... to l08_...), against the instructor notebooks.

For every exercise: the right answer (the value the notebook's own solution computes, run in a kernel)
passes; at least three plausible wrong answers fail with "expected ..., got ...", a hint that names the
kind of mistake and the section to re-read; and no message (wrong answers, "not answered", "not yet")
contains the solution's code or its value. Code and values come from the notebooks' ``### BEGIN SOLUTION``
blocks, not from this file.
"""

from __future__ import annotations

import ast
import re
import textwrap
from functools import cache
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from lesson_answers import LESSONS, values

import hlkit as hl
from hlkit import check
from hlkit.check import core, lesson04
from hlkit.exercises import exercises
from hlkit.train import History

torch.set_num_threads(1)


# ---------------------------------------------------------------------------------------------------------
# What the notebooks say: which check belongs to which solution, its code, its value


@cache
def lesson_exercises() -> dict[str, dict]:
    """check name -> {"lesson", "code", "answers"}: the exercise of its lesson (lNN) with its number (from
    check.EXERCISES), however the notebook's check cells call the check."""
    found = {}
    for name, (number, _) in check.EXERCISES.items():
        lesson = next(path for path in LESSONS if path.name.startswith(name[1:3] + "_"))
        exercise = next(e for e in exercises(nbformat.read(lesson, as_version=4)) if e.number == number)
        found[name] = {"lesson": lesson, "code": exercise.code, "answers": exercise.answers}
    return found


def solution(name: str) -> dict:
    info = lesson_exercises()[name]
    got = values(info["lesson"])
    return {answer: got.get(answer) for answer in info["answers"]}


def code_fragments(code: str) -> set[str]:
    """The solution's code as it could appear in a message: each line, each right-hand side and each
    sub-expression of 6 characters or more, spaces removed."""
    squeeze = lambda text: re.sub(r"\s+", "", text)  # noqa: E731
    fragments = set()
    tree = ast.parse(textwrap.dedent(code))
    for line in code.split("\n"):   # a def line is the exercise's question (its name and arguments), not its answer
        if line.strip() and not line.strip().startswith(("#", "def ")):
            fragments.add(squeeze(line))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            fragments.add(squeeze(ast.unparse(node.value)))
        if isinstance(node, (ast.BinOp, ast.Call, ast.Subscript, ast.Compare)):
            text = squeeze(ast.unparse(node))
            if len(text) >= 6:
                fragments.add(text)
    return fragments


def value_forms(value) -> list[str]:
    """The ways an answer's value could be printed. Whole numbers below 10 and short decimals such as 0.5
    are left out: they appear in messages for other reasons (a shape, a threshold)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [repr(value), f'"{value}"']
    forms = []
    for v in np.ravel(np.asarray(value, dtype=float)):
        v = float(v)
        if v == round(v):
            if abs(v) >= 10:
                forms.append(rf"(?<![\d.]){int(v)}(?![\d])")
            continue
        if len(repr(v)) <= 4:
            continue
        forms += [re.escape(f) for f in {repr(v), f"{v:.2f}", f"{v:.3f}", f"{v:.4f}", f"{v:.3g}", f"{v:.4g}"}]
    return forms


def assert_hides_the_solution(name: str, message: str) -> None:
    squeezed = re.sub(r"\s+", "", message)
    for fragment in code_fragments(lesson_exercises()[name]["code"]):
        assert fragment not in squeezed, f"{name}: the message shows solution code {fragment!r}:\n{message}"
    for answer in solution(name).values():
        for form in value_forms(answer):
            assert not re.search(form, message), f"{name}: the message shows the answer ({form}):\n{message}"


@pytest.fixture(autouse=True)
def fresh_tries():
    core._wrong_in_a_row.clear()
    yield
    core._wrong_in_a_row.clear()


def test_every_lesson_check_is_found_in_a_notebook():
    names = {name for name in dir(check) if re.fullmatch(r"l\d\d_\w+", name)}
    assert set(check.EXERCISES) == names
    called = {name for path in LESSONS for name in re.findall(r"hl\.check\.(l\d\d_\w+)\(", path.read_text())}
    assert called <= names, called - names   # every check a notebook calls exists
    for name, info in lesson_exercises().items():
        assert info["code"].strip() and code_fragments(info["code"]) and info["answers"], name


# ---------------------------------------------------------------------------------------------------------
# Right answers (from the notebooks) and wrong ones


def right_count(depth, width):
    return 3 if depth == 0 else 3 * width + (depth - 1) * (width * width + width) + width + 1


def history(train_acc, test_acc):
    h = History()
    h.train_acc, h.test_acc = [0.5, train_acc], [0.5, test_acc]
    return h


def tiny_slopes():
    """(the sigmoid's slope p(1 - p) at the output, tanh's slope at layer 2) for lesson 03's x = (-0.5, 1), by numpy."""
    W1, b1 = np.array([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.5]]), np.array([0.0, 0.5, -0.5])
    W2, b2 = np.array([[1.0, -1.0, 0.5], [-0.5, 1.0, 1.0]]), np.array([0.0, 0.25])
    a2 = np.tanh(W2 @ np.tanh(W1 @ np.array([-0.5, 1.0]) + b1) + b2)
    p = 1 / (1 + np.exp(-(np.array([2.0, -1.0]) @ a2 + 0.5)))
    return p * (1 - p), 1 - a2 ** 2


CURVES = {"A": history(1.0, 0.86), "B": history(0.64, 0.59), "C": history(0.91, 0.89)}
# lesson 02 exercise 2: layer 1's weighted sums of section 3's batch (what a learner who skips tanh feeds layer 2)
L02_Z1 = (np.array([[1.0, 1.0], [0.0, 0.0], [-1.0, 0.5], [0.75, -1.0]]) @ np.array([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.5]]).T
          + [0.0, 0.5, -0.5])
_Z4 = np.array([1000.0, 1002.0, 999.0, 1001.5]) - 1002.0   # lesson 02 exercise 4's logits, shifted
LOG_P4 = _Z4 - np.log(np.exp(_Z4).sum())
SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


@cache
def digit_case():
    model, image = hl.mlp([16], n_inputs=64, n_classes=10, activation="relu", seed=0), hl.load_digits().X_test[0]
    scores = hl.explain.gradient_x_input(model, image.reshape(1, 64)).ravel()
    return model, image, np.argsort(scores, kind="stable")


def xor_solution():
    return tuple(v("l01_xor_by_hand", k) for k in ("W1_xor", "b1_xor", "W2_xor", "b2_xor"))


def v(name, answer):
    return np.asarray(solution(name)[answer], dtype=float)


def scalar(name, answer):
    return float(solution(name)[answer])


# check name -> (how to call it with the right answer, [(wrong arguments, words the message must hold)])
CASES = {
    "l01_neuron_output": (lambda: (scalar("l01_neuron_output", "neuron_output"),), [
        (lambda: (float(np.array([0.5, 1.0, -2.0]) @ [2.0, -1.0, 0.5] + 0.3),), "one step early"),
        (lambda: (float(hl.scratch.sigmoid(np.array([0.5, 1.0, -2.0]) @ [2.0, -1.0, 0.5])),), "forgot the bias"),
        (lambda: (float(np.tanh(np.array([0.5, 1.0, -2.0]) @ [2.0, -1.0, 0.5] + 0.3)),), "not tanh or relu"),
        (lambda: (1 - scalar("l01_neuron_output", "neuron_output"),), "sign"),
        (lambda: (round(scalar("l01_neuron_output", "neuron_output"), 2),), "rounded to 2 decimals"),
        (lambda: ([scalar("l01_neuron_output", "neuron_output")] * 2,), "one number"),
    ]),
    "l01_linear_collapse": (lambda: (v("l01_linear_collapse", "W_combined"), v("l01_linear_collapse", "b_combined")), [
        (lambda: (v("l01_linear_collapse", "W_combined").T, v("l01_linear_collapse", "b_combined")), "transposed"),
        (lambda: (v("l01_linear_collapse", "W_combined") + 1, v("l01_linear_collapse", "b_combined")), "maps inputs"),
        (lambda: (v("l01_linear_collapse", "W_combined"), np.array([0.5])), "forgot the first layer's bias"),
        (lambda: (v("l01_linear_collapse", "W_combined"), np.array([2.0 * 1.0 - 1.0 * 0.0 + 0.5 * -1.0])),
         "forgot the second layer's bias"),
        (lambda: (v("l01_linear_collapse", "W_combined"), v("l01_linear_collapse", "b_combined") + 1), "collect"),
    ]),
    "l02_network_output": (lambda: (scalar("l02_network_output", "p_new"),), [
        (lambda: (float(np.log(scalar("l02_network_output", "p_new") / (1 - scalar("l02_network_output", "p_new")))),),
         "logit"),
        (lambda: (float(np.tanh(np.log(scalar("l02_network_output", "p_new")
                                       / (1 - scalar("l02_network_output", "p_new"))))),), "tanh on the output"),
        (lambda: (0.5,), "layer by layer"),
        (lambda: ([0.2, 0.3],), "single output"),
        (lambda: (round(scalar("l02_network_output", "p_new"), 3),), "rounded to"),
    ]),
    "l02_batch_weighted_sums": (lambda: (v("l02_batch_weighted_sums", "Z2_batch"),), [
        (lambda: (v("l02_batch_weighted_sums", "Z2_batch").T,), "transposed"),
        (lambda: (v("l02_batch_weighted_sums", "Z2_batch") - [0.0, 0.25],), "forgot the bias"),
        (lambda: (np.tanh(v("l02_batch_weighted_sums", "Z2_batch")),), "not the activation"),
        (lambda: (L02_Z1 @ np.array([[1.0, -1.0, 0.5], [-0.5, 1.0, 1.0]]).T + [0.0, 0.25],), "after the activation"),
        (lambda: (v("l02_batch_weighted_sums", "Z2_batch") + 0.1,), "8 of 8 values different"),
        (lambda: (v("l02_batch_weighted_sums", "Z2_batch").ravel(),), "shape (4, 2)"),
    ]),
    "l02_n_params": (lambda: (scalar("l02_n_params", "n_parameters"),), [
        (lambda: (2 * 8 + 8 * 4 + 4 * 1,), "forgot the biases"),
        (lambda: (scalar("l02_n_params", "n_parameters") + 2,), "input layer"),
        (lambda: (scalar("l02_n_params", "n_parameters") - 1,), "off by one"),
    ]),
    "l03_bce": (lambda: (scalar("l03_bce", "bce"),), [
        (lambda: (scalar("l03_bce", "bce") * 3,), "the sum"),
        (lambda: (-scalar("l03_bce", "bce"),), "sign"),
        (lambda: (float(np.mean(-np.log([0.9, 0.3, 0.6]))),), "label 0"),
        (lambda: (scalar("l03_bce", "bce") / np.log(10),), "base-10"),
        (lambda: (round(scalar("l03_bce", "bce"), 3),), "rounded to 3 decimals"),
        (lambda: (-np.log([0.9, 0.7, 0.6]),), "one loss per point"),
    ]),
    "l03_output_gradient": (lambda: (v("l03_output_gradient", "dW3_new"),), [
        (lambda: (v("l03_output_gradient", "dW3_new").T,), "transposed"),
        (lambda: (v("l03_output_gradient", "dW3_new").ravel(),), "shape (2,)"),
        (lambda: (-v("l03_output_gradient", "dW3_new"),), "sign"),
        (lambda: (v("l03_output_gradient", "dW3_new") * 2,), "chain rule"),
        (lambda: (np.round(v("l03_output_gradient", "dW3_new"), 3),), "rounded to 3 decimals"),
    ]),
    "l03_gradient_step": (lambda: (v("l03_gradient_step", "W3_stepped"),), [
        (lambda: (v("l03_gradient_step", "W3_stepped").T,), "transposed"),
        (lambda: (2 * np.array([[2.0, -1.0]]) - v("l03_gradient_step", "W3_stepped"),), "uphill"),
        (lambda: (np.array([[2.0, -1.0]]),), "unchanged"),
        (lambda: (2 * v("l03_gradient_step", "W3_stepped") - np.array([[2.0, -1.0]]),), "learning rate"),
        (lambda: (np.round(v("l03_gradient_step", "W3_stepped"), 2),), "rounded to 2 decimals"),
    ]),
    "l03_hidden_gradient": (lambda: (v("l03_hidden_gradient", "dW2_new"),), [
        (lambda: (v("l03_hidden_gradient", "dW2_new").T,), "transposed"),
        (lambda: (v("l03_hidden_gradient", "dW2_new").ravel(),), "shape (6,)"),
        (lambda: (-v("l03_hidden_gradient", "dW2_new"),), "sign"),
        (lambda: (tiny_slopes()[0] * v("l03_hidden_gradient", "dW2_new"),), "sigmoid's slope kept"),
        (lambda: (v("l03_hidden_gradient", "dW2_new") / tiny_slopes()[1][:, None],), "tanh's slope missing"),
        (lambda: (np.round(v("l03_hidden_gradient", "dW2_new"), 3),), "rounded to 3 decimals"),
        (lambda: (v("l03_output_gradient", "dW3_new").T * v("l03_hidden_gradient", "dW2_new"),), "values different"),
    ]),
    "l04_smallest_width": (lambda: (scalar("l04_smallest_width", "smallest_width"),), [
        (lambda: (1,), "not the smallest"), (lambda: (2,), "not the smallest"), (lambda: (8,), "not the smallest"),
        (lambda: (2.5,), "whole number"), (lambda: (0,), "1 or more"),
    ]),
    "l04_spiral_budget": (lambda: ([int(w) for w in solution("l04_spiral_budget")["hidden"]],), [
        (lambda: ([64],), "at most 120"), (lambda: ([8],), "at least 0.95"), (lambda: ("8, 8",), "list of layer"),
    ]),
    "l04_param_formula": (lambda: (right_count,), [
        (lambda: (lambda d, w: right_count(d, w) - (d * w + 1) if d else 2,), "forgot the biases"),
        (lambda: (lambda d, w: right_count(d, w) - w - 1 if d > 1 else right_count(d, w),), "without the output"),
        (lambda: (lambda d, w: right_count(d, w) if d else 2 + w,), "linear model"),
        (lambda: (lambda d, w: right_count(d, w) + 1,), "off by one"),
        (lambda: (lambda d, w: 1 / 0,), "ZeroDivisionError"),
        (lambda: (17,), "a function"),
    ]),
    "l05_diagnose": (lambda: (CURVES, *(solution("l05_diagnose")[k] for k in ("underfit", "overfit"))), [
        (lambda: (CURVES, "C", "A"), "poorly even on its own training points"),
        (lambda: (CURVES, "B", "C"), "training score is far better"),
        (lambda: (CURVES, "A", "A"), "same model twice"),
        (lambda: (CURVES, "D", "A"), "model names"),
    ]),
    "l05_too_strong": (lambda: (solution("l05_too_strong")["too_strong"],), [
        (lambda: (0.001,), "make it larger"), (lambda: (0.0,), "make it larger"), (lambda: (2.0,), "from 0 to 1"),
    ]),
    "l05_best_depth": (lambda: (solution("l05_best_depth")["best_depth"], v("l05_best_depth", "val_acc"),
                                [0, 1, 2, 3, 4]), [
        (lambda: (solution("l05_best_depth")["best_depth"], np.array([0.7, 0.8, 0.9, 0.8, 0.8]), [0, 1, 2, 3, 4]),
         "grid the exercise describes"),
        (lambda: (solution("l05_best_depth")["best_depth"], np.array([0.701, 0.823, 0.841, 0.836, 0.829]),
                  [0, 1, 2, 3, 4]), "test set"),
        (lambda: (solution("l05_best_depth")["best_depth"], v("l05_best_depth", "val_acc") * 30, [0, 1, 2, 3, 4]),
         "between 0 and 1"),
        (lambda: (solution("l05_best_depth")["best_depth"], v("l05_best_depth", "val_acc")[:3], [0, 1, 2, 3, 4]),
         "shape (5,)"),
        (lambda: (int(np.argmin(v("l05_best_depth", "val_acc"))), v("l05_best_depth", "val_acc"), [0, 1, 2, 3, 4]),
         "highest validation accuracy"),
        (lambda: (9, v("l05_best_depth", "val_acc"), [0, 1, 2, 3, 4]), "one of the depths"),
    ]),
    "l06_conv_params": (lambda: (scalar("l06_conv_params", "conv_params"),), [
        (lambda: (16 * 8 * 9,), "forgot the bias"), (lambda: (16 * 9 + 16,), "every input channel"),
        (lambda: (16 * 8 * 9 + 8,), "one bias per filter"), (lambda: (100,), "image size"),
        (lambda: (3.5,), "whole number"),
    ]),
    "l06_output_size": (lambda: tuple(solution("l06_output_size")[k] for k in ("conv_side", "pooled_side")), [
        (lambda: (8, 4), "padding"), (lambda: (5, 2), "off by one"), (lambda: (7, 3), "off by one"),
        (lambda: (6, 6), "before pooling"), (lambda: (6, 2), "2x2 block"),
    ]),
    "l06_edge_filter": (lambda: (v("l06_edge_filter", "vertical_edges"),), [
        (lambda: (np.ones((3, 3)),), "flat"), (lambda: (-v("l06_edge_filter", "vertical_edges"),), "sign"),
        (lambda: (v("l06_edge_filter", "vertical_edges").T,), "transposed"),
        (lambda: (SOBEL_X + SOBEL_X.T,), "horizontal"), (lambda: (np.ones((2, 2)),), "shape (3, 3)"),
    ]),
    "l07_gradient_times_input": (lambda: (v("l07_gradient_times_input", "attributions"),), [
        (lambda: (np.array([2.0, -1.0, 0.5]),), "gradient alone"), (lambda: (np.array([1.0, 3.0, -2.0]),), "input alone"),
        (lambda: (np.array([float(np.dot([2.0, -1.0, 0.5], [1.0, 3.0, -2.0])), 0.0, 0.0]),), "split wrongly"),
        (lambda: (-v("l07_gradient_times_input", "attributions"),), "different numbers"),
        (lambda: ([1.0, 2.0],), "shape (3,)"),
    ]),
    "l07_top_pixels": (lambda: (digit_case()[0], digit_case()[1], digit_case()[2][-5:]), [
        (lambda: (digit_case()[0], digit_case()[1], digit_case()[2][:5]), "5 smallest"),
        (lambda: (digit_case()[0], digit_case()[1], digit_case()[2][-6:-1]), "different set"),
        (lambda: (digit_case()[0], digit_case()[1], digit_case()[2][-3:]), "5 pixel"),
        (lambda: (digit_case()[0], digit_case()[1], [0, 1, 2, 3, 64]), "0..63"),
    ]),
    "l08_weights_left": (lambda: (scalar("l08_weights_left", "weights_left"),), [
        (lambda: (round((2368 + 42) * 0.25),), "includes biases"), (lambda: (1776,), "removed"),
        (lambda: (600,), "which share"),
    ]),
    "l08_bits_needed": (lambda: tuple(solution("l08_bits_needed")[k] for k in ("bits_needed", "n_bytes")), [
        (lambda: (3, 1875), "too few codes"), (lambda: (5, 3125), "fewest bits"), (lambda: (4, 20000), "8 bits"),
        (lambda: (4, 2000), "all the weights take together"),
    ]),
    "l02_cross_entropy": (lambda: (scalar("l02_cross_entropy", "ce_loss"),), [
        (lambda: (float("nan"),), "too large for a float"),
        (lambda: (-scalar("l02_cross_entropy", "ce_loss"),), "sign"),
        (lambda: (float(-LOG_P4[1]),), "not the one the network predicts"),
        (lambda: (float(-LOG_P4[2]),), "count from 0"),
        (lambda: (float(-LOG_P4[3] / np.log(10)),), "base-10"),
        (lambda: (float(-LOG_P4.mean()),), "only the true class"),
        (lambda: (float(2.0 - 1.5),), "divide by their sum"),
        (lambda: (-LOG_P4,), "one number"),
        (lambda: (round(scalar("l02_cross_entropy", "ce_loss"), 2),), "rounded to 2 decimals"),
    ]),
    "l01_xor_by_hand": (lambda: xor_solution(), [
        (lambda: (np.full((2, 2), 10.0), np.array([-5.0, -5.0]), np.array([[1.0, 1.0]]), np.array([0.0])),
         "draw the same line"),
        (lambda: (np.full((2, 2), 10.0), np.array([-5.0, -15.0]), np.array([[1.0, 1.0]]), np.array([0.0])), "of 4"),
        (lambda: (*xor_solution()[:2], xor_solution()[2].T, xor_solution()[3]), "transposed"),
        (lambda: (*xor_solution()[:3], np.array([np.inf])), "finite"),
        (lambda: (np.zeros((2, 2)), np.zeros(2), np.zeros((1, 2)), np.zeros(1)), "0 of 4"),
    ]),
    # lesson 03 exercise 5: hidden layers of 32 inputs, weights of std 0.35, relu, layer 1 -> layer 7
    "l03_signal_growth": (lambda: (scalar("l03_signal_growth", "z_size_layer7"),), [
        (lambda: (float(np.sqrt(32 * 0.35 ** 2) ** 6),), "relu's halving left out"),
        (lambda: (float((32 * 0.35 ** 2 / 2) ** 6),), "a mean square, not its root"),
        (lambda: (float(np.sqrt(32 * 0.35 ** 2 / 2) ** 7),), "one layer too many"),
        (lambda: (float(np.sqrt(32 * 0.35 ** 2 / 2) ** 5),), "one layer too few"),
        (lambda: (float(np.sqrt(32 * 0.35 ** 2 / 2)),), "a single layer"),
        (lambda: (6 * float(np.sqrt(32 * 0.35 ** 2 / 2)),), "added"),
        (lambda: (float((np.sqrt(32) * 0.35 / 2) ** 6),), "halved instead of the mean square"),
        (lambda: (-scalar("l03_signal_growth", "z_size_layer7"),), "a positive number"),
        (lambda: (round(scalar("l03_signal_growth", "z_size_layer7"), 1),), "rounded to 1 decimal"),
        (lambda: ([scalar("l03_signal_growth", "z_size_layer7")] * 2,), "one number"),
        (lambda: (1.0,), "a different value"),
    ]),
}


# --- lesson 08, exercises 3 and 4: the learner writes prune(weights, fraction) and quantize(weights, bits). The right
# answers are written here with numpy (independently of hlkit.compress); the wrong ones are the usual slips.

def l08_prune_right(weights, fraction, *, ties_last=False):
    """Magnitude pruning of a copy; ``ties_last`` breaks ties the other way (both must pass: any tie order goes)."""
    out = np.array(weights, dtype=np.float64)
    flat = out.reshape(-1)
    order = np.lexsort((-np.arange(flat.size) if ties_last else np.arange(flat.size), np.abs(flat)))
    flat[order[:round(fraction * flat.size)]] = 0.0
    return out


def l08_pruned_by(key, count=lambda fraction, size: round(fraction * size), copy=True):
    def prune(weights, fraction):
        out = np.array(weights, dtype=np.float64) if copy else weights
        flat = out.reshape(-1)
        flat[np.argsort(key(flat), kind="stable")[:count(fraction, flat.size)]] = 0.0
        return out
    return prune


def l08_threshold(weights, fraction):
    """|w| <= the k-th smallest magnitude: every tie at the cut-off goes too (and fraction 0 removes everything)."""
    out = np.array(weights, dtype=np.float64)
    cut = np.sort(np.abs(out), axis=None)[round(fraction * out.size) - 1]
    out[np.abs(out) <= cut] = 0.0
    return out


def l08_per_row(weights, fraction):
    return np.stack([l08_prune_right(row, fraction) for row in np.asarray(weights)])


def l08_quantize_right(weights, bits, *, step_levels=lambda bits: 2 ** bits - 1, dequantize=True, rounding=np.round):
    out = np.array(weights, dtype=np.float64)
    m = np.abs(out).max()
    if m == 0:
        return out
    step = 2 * m / step_levels(bits)
    level = rounding((out + m) / step)
    return -m + level * step if dequantize else level


def l08_quantize_min_max(weights, bits):
    w = np.array(weights, dtype=np.float64)
    low, step = w.min(), (w.max() - w.min()) / (2 ** bits - 1)
    return w if step == 0 else low + np.round((w - low) / step) * step


def l08_quantize_nan_for_zeros(weights, bits):
    """Right, but divides by a zero range: an array of zeros comes back as NaN."""
    m = np.abs(weights).max()
    with np.errstate(invalid="ignore", divide="ignore"):
        step = 2 * m / (2 ** bits - 1)
        return -m + np.round((weights + m) / step) * step


def l08_quantize_in_place(weights, bits):
    weights[...] = l08_quantize_right(weights, bits)
    return weights


CASES.update({
    "l08_prune": (lambda: (l08_prune_right,), [
        (lambda: (l08_pruned_by(lambda w: -np.abs(w)),), "the largest removed"),
        (lambda: (l08_pruned_by(lambda w: w),), "most negative"),
        (lambda: (l08_pruned_by(np.abs, copy=False),), "changed in place"),
        (lambda: (l08_pruned_by(np.abs, count=lambda fraction, size: int(fraction)),), "0 removed"),
        (lambda: (l08_pruned_by(np.abs, count=lambda fraction, size: round((1 - fraction) * size)),), "fraction kept"),
        (lambda: (l08_pruned_by(np.abs, count=lambda fraction, size: int(fraction * size) + 1),), "off by one"),
        (lambda: (l08_pruned_by(np.abs, count=lambda fraction, size: int(fraction * size)),), "the even whole number"),
        (lambda: (l08_pruned_by(np.abs, count=lambda fraction, size: int(fraction * size + 0.5)),), "the even whole number"),
        (lambda: (l08_threshold,), "nothing removed for fraction 0"),
        (lambda: (lambda w, f: l08_threshold(w, f) if f > 0 else np.array(w, dtype=np.float64),),
         "every entry at the cut-off magnitude"),
        (lambda: (l08_per_row,), "within each row"),
        (lambda: (lambda w, f: l08_prune_right(w, f).ravel(),), "flattened"),
        (lambda: (lambda w, f: l08_prune_right(w, f).astype(np.float32),), "dtype float64"),
        (lambda: (lambda w, f: None,), "None"),
        (lambda: (lambda w, f: np.where(l08_prune_right(w, f) == 0, 0.0, np.abs(w)),), "keep their value and their sign"),
        (lambda: ("prune",), "a function"),
    ]),
    "l08_quantize": (lambda: (l08_quantize_right,), [
        (lambda: (lambda w, b: l08_quantize_right(w, b, step_levels=lambda bits: 2 ** bits),), "one level more"),
        (lambda: (lambda w, b: l08_quantize_right(w, b, dequantize=False),), "level numbers"),
        (lambda: (lambda w, b: l08_quantize_right(w, b, dequantize=False).astype(np.int64),), "level numbers"),
        (lambda: (l08_quantize_min_max,), "symmetric around 0"),
        (lambda: (lambda w, b: l08_quantize_right(w, b, rounding=np.floor),), "rounded down"),
        (lambda: (lambda w, b: np.stack([l08_quantize_right(row, b) for row in np.asarray(w)]),), "a range per row"),
        (lambda: (lambda w, b: l08_quantize_right(w, b, step_levels=lambda bits: max(bits - 1, 1)),), "as many levels"),
        (lambda: (l08_quantize_in_place,), "changed in place"),
        (lambda: (lambda w, b: l08_quantize_right(w, b).astype(np.float32),), "dtype float64"),
        (lambda: (l08_quantize_nan_for_zeros,), "NaN"),
        (lambda: (lambda w, b: l08_quantize_right(w, b) + 1e-3,), "values different"),
    ]),
})


def test_l08_prune_accepts_any_tie_order(capsys):
    """Exercise 3 asks for exactly the right number of entries removed; which of the tied ones is the learner's choice."""
    check.l08_prune(lambda w, f: l08_prune_right(w, f, ties_last=True))
    assert "✓" in capsys.readouterr().out


# --- lesson 06, exercise 4: the answer is a function, conv2d_by_hand(image, kernel); the right one and the wrong
# ones are written here (numpy's sliding windows, not the notebook's loop)
def conv_by_windows(image, kernel):
    windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)      # (H - kh + 1, W - kw + 1, kh, kw)
    return np.einsum("ijkl,kl->ij", windows, kernel)


def conv_loop(image, kernel, *, rows=0, window=0):
    """A loop that leaves ``rows`` last rows unfilled and takes windows ``window`` rows further down."""
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for r in range(out.shape[0] - rows):
        for c in range(out.shape[1]):
            out[r, c] = np.sum(image[r + window:r + window + kh, c:c + kw] * kernel)
    return out


def conv_with_torch(image, kernel):
    return torch.nn.functional.conv2d(torch.as_tensor(image)[None, None], torch.as_tensor(kernel)[None, None])[0, 0]


CASES["l06_conv2d_by_hand"] = (lambda: (conv_by_windows,), [
    (lambda: (lambda image, kernel: conv_by_windows(image, kernel[::-1, ::-1]),), "flipped filter"),
    (lambda: (lambda image, kernel: conv_by_windows(image, kernel).T,), "transposed"),
    (lambda: (lambda image, kernel: conv_by_windows(np.pad(image, 1), kernel),), "the image's own size"),
    (lambda: (lambda image, kernel: conv_loop(image, kernel, rows=1),), "off by one"),
    (lambda: (lambda image, kernel: conv_loop(image, kernel, window=1),), "off by one"),
    (lambda: (lambda image, kernel: conv_by_windows(image, np.resize(kernel, (3, 3))),), "3x3 filter only"),
    (lambda: (lambda image, kernel: np.zeros((6, 6)),), "8x8 image only"),
    (lambda: (lambda image, kernel: np.array([[np.sum(image[r:r + 3, c:c + 3] @ kernel) for c in range(
        image.shape[1] - 2)] for r in range(image.shape[0] - 2)]),), "matrix product"),
    (lambda: (conv_with_torch,), "library's convolution"),
    (lambda: (lambda image, kernel: conv_by_windows(image, kernel).astype(np.float32),), "float64"),
    (lambda: (lambda image, kernel: conv_by_windows(image, kernel).tolist(),), "numpy array"),
    (lambda: (lambda image, kernel: None,), "nothing"),
    (lambda: (conv_by_windows(np.ones((8, 8)), SOBEL_X),), "a function"),
])

# --- lesson 07, exercise 3: occlusion_map is the learner's own function; the check runs it on images of its own ---
def occlusion_by_hand(score, image, baseline, *, restore=True, in_place=False):
    """Occlusion another way than the check's: every one-pixel-covered image as a row of one matrix (restore=False:
    the slip of leaving each covered pixel covered; in_place=True: covering the caller's own image)."""
    n = image.size
    covered = np.repeat(image.reshape(1, -1), n, axis=0)
    covered[np.tril_indices(n) if not restore else (np.arange(n), np.arange(n))] = baseline
    full = score(image.copy())
    if in_place:
        image[...] = baseline
    return full - np.array([score(row.reshape(image.shape)) for row in covered]).reshape(image.shape)


@cache
def occlusion_digit():
    """(score, image, map): an untrained digit MLP's logit for its predicted class on test digit 1, as (8, 8)."""
    model, image = digit_case()[0], hl.load_digits().X_test[1].reshape(8, 8)
    target = int(hl.probe.predict_proba(model, image.reshape(1, 64)).argmax())
    score = lambda x: float(hl.explain.scores(model, x.reshape(1, 64), target=target)[0])  # noqa: E731
    return score, image, occlusion_by_hand(score, image, 0.0)


def occlusion_args(function=occlusion_by_hand, drops=None):
    score, image, right = occlusion_digit()
    return function, right if drops is None else drops, score, image


CASES["l07_occlusion"] = (lambda: occlusion_args(), [
    (lambda: occlusion_args(lambda s, x, b: -occlusion_by_hand(s, x, b)), "opposite sign"),
    (lambda: occlusion_args(lambda s, x, b: occlusion_by_hand(s, x, 0.0)), "baseline argument"),
    (lambda: occlusion_args(lambda s, x, b: occlusion_by_hand(s, x, b, restore=False)), "forgot to restore"),
    (lambda: occlusion_args(lambda s, x, b: occlusion_by_hand(s, x, b).T), "transposed"),
    (lambda: occlusion_args(lambda s, x, b: occlusion_by_hand(s, x, b, in_place=True)), "changed by your function"),
    (lambda: occlusion_args(lambda s, x, b: s(x) - occlusion_by_hand(s, x, b)), "covered image's score itself"),
    (lambda: occlusion_args(lambda s, x, b: occlusion_by_hand(s, x.ravel(), b)), "an error"),
    (lambda: occlusion_args(occlusion_digit()[2]), "a function"),
    (lambda: occlusion_args(drops=occlusion_digit()[2].ravel()), "shape (8, 8)"),
    (lambda: occlusion_args(drops=occlusion_by_hand(*occlusion_digit()[:2], 0.5)), "a different map"),
])


def test_l07_occlusion_slips_are_what_they_claim_to_be():
    """The wrong answers above are the slips they are named for, measured on a linear score, where occlusion is
    exact: each pixel's drop is its weight times (pixel - baseline); left covered, the drops add up instead."""
    w, image = np.arange(1.0, 7.0).reshape(2, 3), np.array([[0.0, 0.5, 1.0], [0.25, 0.0, 0.75]])
    score = lambda x: float((w * x).sum())  # noqa: E731
    np.testing.assert_allclose(occlusion_by_hand(score, image, 0.3), w * (image - 0.3))
    np.testing.assert_allclose(occlusion_by_hand(score, image, 0.3, restore=False).ravel(),
                               np.cumsum((w * (image - 0.3)).ravel()))
    copy = image.copy()
    occlusion_by_hand(score, copy, 0.3, in_place=True)
    assert np.all(copy == 0.3)
    with pytest.raises(TypeError, match="torch.nn.Module"):   # the exercise's claim: hlkit's occlusion cannot stand in
        hl.explain.occlusion(score, image[None])

def test_every_check_has_three_wrong_answers():
    assert set(CASES) == set(check.EXERCISES)
    assert all(len(wrong) >= 3 for _, wrong in CASES.values())


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_notebooks_answer_passes(name, capsys):
    right, _ = CASES[name]
    getattr(check, name)(*right())
    out = capsys.readouterr().out
    assert "✓" in out and "✗" not in out   # a tick may repeat the learner's own (right) answer


WRONG = [(name, i) for name, (_, wrong) in sorted(CASES.items()) for i in range(len(wrong))]


@pytest.mark.parametrize("name, i", WRONG, ids=[f"{n}-{i}" for n, i in WRONG])
def test_a_wrong_answer_fails_naming_the_mistake_but_not_the_solution(name, i):
    args, words = CASES[name][1][i]
    with pytest.raises(check.CheckFailed) as info:
        getattr(check, name)(*args())
    message = str(info.value)
    assert "expected" in message and "\nHint: " in message, message
    assert words in message, message
    assert_hides_the_solution(name, message)


@pytest.mark.parametrize("name", sorted(CASES))
def test_not_answered_prints_one_line_and_fails_only_under_a_grader(name, capsys, monkeypatch):
    n_args = len(CASES[name][0]())
    context = {"l05_diagnose": 1, "l07_top_pixels": 2}.get(name, 0)   # arguments that are not answers
    right = CASES[name][0]()
    args = [*right[:context], *[None] * (n_args - context)]
    if name == "l05_best_depth":
        args[2] = right[2]
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    getattr(check, name)(*args)
    out = capsys.readouterr().out
    number = check.EXERCISES[name][0]
    assert out.startswith(f"exercise {number} is not answered yet") and out.count("\n") == 1, out
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(check.CheckFailed, match="not answered") as info:
        getattr(check, name)(*args)
    assert_hides_the_solution(name, str(info.value))


LIMITED = ["l02_n_params", "l04_smallest_width", "l05_diagnose", "l06_conv_params", "l06_output_size",
           "l08_weights_left", "l08_bits_needed"]


@pytest.mark.parametrize("name", LIMITED)
def test_small_answers_cannot_be_found_by_calling_the_check_in_a_loop(name, capsys):
    right, wrong = CASES[name]
    for k in range(check.TRIES):
        with pytest.raises(check.CheckFailed):
            getattr(check, name)(*wrong[k % len(wrong)][0]())
    with pytest.raises(check.CheckFailed, match="not yet") as info:   # even the right answer: not yet
        getattr(check, name)(*right())
    assert "restart the kernel" in str(info.value)
    assert_hides_the_solution(name, str(info.value))
    core._wrong_in_a_row.clear()   # what a kernel restart does
    getattr(check, name)(*right())
    assert "✓" in capsys.readouterr().out


def test_a_right_answer_resets_the_count(capsys):
    for _ in range(check.TRIES - 1):
        with pytest.raises(check.CheckFailed):
            check.l06_conv_params(1)
    check.l06_conv_params(scalar("l06_conv_params", "conv_params"))
    with pytest.raises(check.CheckFailed, match="forgot the bias"):   # full feedback again
        check.l06_conv_params(16 * 8 * 9)


def test_no_finding_is_a_plain_constant_of_the_module():
    """Lesson 04 exercise 1's answer is a finding of the lesson's table, not a formula: check.py keeps it as
    a salted digest, and no module-level name holds it (TRIES, the tries allowed, happens to be equal)."""
    answer = int(scalar("l04_smallest_width", "smallest_width"))
    holders = {target.id for tree in check_sources() for node in tree.body if isinstance(node, ast.Assign)
               and isinstance(node.value, ast.Constant) and node.value.value == answer
               for target in node.targets if isinstance(target, ast.Name)}
    assert holders <= {"TRIES"}, holders
    assert core._salted("l04-ex1", answer) == lesson04._L04_EX1


def test_strict_shapes():
    dW3 = v("l03_output_gradient", "dW3_new")
    for wrong in (dW3.T, dW3.ravel(), dW3[None]):
        with pytest.raises(check.CheckFailed, match="shape"):
            check.l03_output_gradient(wrong)
    with pytest.raises(check.CheckFailed, match="transposed"):
        check.l03_gradient_step(v("l03_gradient_step", "W3_stepped").T)


def test_answers_as_tensors_and_lists_pass(capsys):
    check.l03_output_gradient(torch.as_tensor(v("l03_output_gradient", "dW3_new")))
    check.l02_batch_weighted_sums(v("l02_batch_weighted_sums", "Z2_batch").tolist())
    check.l01_neuron_output(round(scalar("l01_neuron_output", "neuron_output"), 5))
    assert capsys.readouterr().out.count("✓") == 3


# ---------------------------------------------------------------------------------------------------------
# Every message check.py can print, not only those the wrong answers above reach


def check_sources() -> list[ast.Module]:
    """Every module of the hlkit.check package (core.py and one per lesson), parsed."""
    return [ast.parse(path.read_text()) for path in sorted(Path(check.__file__).parent.glob("*.py"))]


def message_texts() -> dict[str, list[str]]:
    """function name -> the texts of every message it can print (the string arguments of its ``fail``, ``_see``,
    ``passed``, ... calls; an f-string's fields become "{}"), read from the sources of the hlkit.check package."""
    def text(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = text(node.left), text(node.right)
            return None if left is None or right is None else left + right
        return None

    found = {}
    for function in (node for tree in check_sources() for node in tree.body):
        if isinstance(function, ast.FunctionDef):
            texts = [text(arg) for call in ast.walk(function) if isinstance(call, ast.Call)
                     and getattr(call.func, "id", "") in {"fail", "_see", "passed", "_number", "close", "as_array",
                                                          "_whole", "CheckFailed"}
                     for arg in [*call.args, *(keyword.value for keyword in call.keywords)]]
            found[function.name] = [t for t in texts if t and t.strip()]
    return found


# what "code or a formula" looks like in a message: an operator of code, a call, a library name, an assignment,
# or arithmetic ("a x b", "a * b + c"); lesson 07's method is called "gradient x input", which is its name
CODE_LIKE = {
    "operator": r"\*\*|(?<![\w\s])@|\s@\s|\w\[[^\]]*\]",
    "call": r"\b([A-Za-z_][\w.]*)\((?!s\))[^()]*\)",
    "library": r"\b(?:np|numpy|torch|hl|math)\.\w",
    "assignment": r"\w\s*=\s*[\w(]",
    "arithmetic": r"(?:\w+|\([^()]*\))(?:\s(?:x|×|\*|/|\+|-)\s(?:\w+|\([^()]*\))){2,}",
    "product": r"\w+\s(?:x|×|\*)\s\w+",
}


def code_like(message: str, own_names: set[str]) -> list[str]:
    """The kinds of code-like formula in ``message``; a call of the learner's own function (an answer such as
    lesson 04's ``count``) is the learner's code, not the solution's."""
    message = message.replace("gradient x input", "gradient-times-input")
    found = []
    for kind, pattern in CODE_LIKE.items():
        for match in re.finditer(pattern, message):
            if kind == "call" and match.group(1) in own_names:
                continue
            found.append(f"{kind}: {match.group(0)!r}")
    return found


def test_code_like_finds_formulas():
    """The detector itself: the hints this suite once let through are caught, plain guidance is not."""
    for formula in ["filters x (input channels x 3 x 3) + one bias per filter", "k bits give 2**k codes",
                    "total bits = weights x bits", "np.log is the natural log", "count layer by layer: X @ W1.T + b1",
                    "hl.n_params(hl.mlp(hidden)) counts them", "inputs x outputs weights", "W3 - lr * dW3"]:
        assert code_like(formula, set()), formula
    for guidance in ["count the weights of one filter first; what multiplies it?", "a (1, 2) array like W3",
                     "take gradient x input of this one image", "sections 1-2 (One neuron; Activation functions)",
                     "a 3x3 filter on an 8x8 image", "count(2, 3): a different count"]:
        assert not code_like(guidance, {"count"}), guidance


@pytest.mark.parametrize("name", sorted(check.EXERCISES))
def test_no_message_a_check_can_print_holds_a_formula_or_the_answer(name):
    """Every message text of the check (all branches, read from the source), and every message of check.py's
    shared helpers, holds no code-like formula and none of the forms of the exercise's answer values."""
    texts = message_texts()
    shared = [t for helper in ("fail", "as_array", "close", "answered", "limited", "_number", "_whole")
              for t in texts[helper]]
    own = set(lesson_exercises()[name]["answers"])
    for message in texts[name] + shared:
        assert not code_like(message, own), f"{name}: {message!r} reads like a formula: {code_like(message, own)}"
        assert_hides_the_solution(name, message)


# whole-number checks: every whole answer in a range wide enough to hold the answer and the usual slips
WHOLE_ANSWERS = {
    "l02_n_params": lambda: [(n,) for n in range(0, 400)],
    "l04_smallest_width": lambda: [(n,) for n in range(0, 65)],
    "l06_conv_params": lambda: [(n,) for n in range(0, 3000)],
    "l06_output_size": lambda: [(a, b) for a in range(0, 13) for b in range(0, 13)],
    "l08_weights_left": lambda: [(n,) for n in range(0, 3000)],
    "l08_bits_needed": lambda: [(k, 2500) for k in range(0, 13)] + [(4, n) for n in range(0, 25000, 7)],
}


@pytest.mark.parametrize("name", sorted(WHOLE_ANSWERS))
def test_no_whole_number_answer_draws_out_the_right_one(name, capsys):
    """Calling a whole-number check with every whole number in a range (the tries reset each time, as if the
    kernel restarted) prints no message that holds the answer's value or a formula."""
    messages = set()
    for args in WHOLE_ANSWERS[name]():
        core._wrong_in_a_row.clear()
        try:
            getattr(check, name)(*args)
        except check.CheckFailed as failure:
            messages.add(str(failure))
    messages.add(capsys.readouterr().out)
    own = set(lesson_exercises()[name]["answers"])
    for message in messages:
        assert_hides_the_solution(name, message)
        assert not code_like(message, own), message
    assert len(messages) >= 3 and any("✓" in m for m in messages), messages   # several branches and the right one
