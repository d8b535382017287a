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
    check._wrong_in_a_row.clear()
    yield
    check._wrong_in_a_row.clear()


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
        (lambda: (float(np.array([0.5, 1.0, -2.0]) @ [2.0, -1.0, 0.5] + 0.5),), "one step early"),
        (lambda: (float(hl.scratch.sigmoid(np.array([0.5, 1.0, -2.0]) @ [2.0, -1.0, 0.5])),), "forgot the bias"),
        (lambda: (float(np.tanh(np.array([0.5, 1.0, -2.0]) @ [2.0, -1.0, 0.5] + 0.5)),), "not tanh or relu"),
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
    "l02_batch_weighted_sums": (lambda: (v("l02_batch_weighted_sums", "Z1_batch"),), [
        (lambda: (v("l02_batch_weighted_sums", "Z1_batch").T,), "transposed"),
        (lambda: (v("l02_batch_weighted_sums", "Z1_batch") - [0.0, 0.5, -0.5],), "forgot the bias"),
        (lambda: (np.tanh(v("l02_batch_weighted_sums", "Z1_batch")),), "not the activation"),
        (lambda: (v("l02_batch_weighted_sums", "Z1_batch") + 0.1,), "12 of 12 values different"),
        (lambda: (v("l02_batch_weighted_sums", "Z1_batch").ravel(),), "shape (4, 3)"),
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
    check._wrong_in_a_row.clear()   # what a kernel restart does
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
    tree = ast.parse(Path(check.__file__).read_text())
    holders = {target.id for node in tree.body if isinstance(node, ast.Assign)
               and isinstance(node.value, ast.Constant) and node.value.value == answer
               for target in node.targets if isinstance(target, ast.Name)}
    assert holders <= {"TRIES"}, holders
    assert check._salted("l04-ex1", answer) == check._L04_EX1


def test_strict_shapes():
    dW3 = v("l03_output_gradient", "dW3_new")
    for wrong in (dW3.T, dW3.ravel(), dW3[None]):
        with pytest.raises(check.CheckFailed, match="shape"):
            check.l03_output_gradient(wrong)
    with pytest.raises(check.CheckFailed, match="transposed"):
        check.l03_gradient_step(v("l03_gradient_step", "W3_stepped").T)


def test_answers_as_tensors_and_lists_pass(capsys):
    check.l03_output_gradient(torch.as_tensor(v("l03_output_gradient", "dW3_new")))
    check.l02_batch_weighted_sums(v("l02_batch_weighted_sums", "Z1_batch").tolist())
    check.l01_neuron_output(round(scalar("l01_neuron_output", "neuron_output"), 5))
    assert capsys.readouterr().out.count("✓") == 3


# ---------------------------------------------------------------------------------------------------------
# Every message check.py can print, not only those the wrong answers above reach


def message_texts() -> dict[str, list[str]]:
    """function name -> the texts of every message it can print (the string arguments of its ``fail``, ``_see``,
    ``passed``, ... calls; an f-string's fields become "{}"), read from check.py's source."""
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
    for function in ast.parse(Path(check.__file__).read_text()).body:
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
        check._wrong_in_a_row.clear()
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
