"""Lesson 04-05 exercise checks: a right answer passes; wrong answers fail with what was expected and a hint,
without ever showing the right value."""

import numpy as np
import pytest
import torch

import hlkit as hl
from hlkit import check
from hlkit.train import History

torch.set_num_threads(1)


def right_count(depth, width):
    return 3 if depth == 0 else 3 * width + (depth - 1) * (width * width + width) + width + 1


def failure(call, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "expected" in message and "Hint:" in message, message
    return message


# --- lesson 04 ---

def test_param_formula_passes_and_matches_models(capsys):
    check.l04_param_formula(right_count)
    assert capsys.readouterr().out.startswith("✓")
    for d in range(4):
        for w in (1, 5, 16):
            assert right_count(d, w) == hl.n_params(hl.mlp(hl.models.hidden_sizes(d, w)))


@pytest.mark.parametrize("wrong, says", [
    (lambda d, w: right_count(d, w) - (d * w + 1) if d else 2, "weights only"),
    (lambda d, w: right_count(d, w) - w - 1 if d > 1 else right_count(d, w), "without the output layer"),
    (lambda d, w: right_count(d, w) if d else 2 + w, "linear model"),
    (lambda d, w: right_count(d, w) + 1, "weights and biases of"),
    (lambda d, w: 1 / 0, "ZeroDivisionError"),
    (lambda d, w: right_count(d, w) + 0.5, "whole number"),
])
def test_param_formula_wrong_answers(wrong, says):
    message = failure(check.l04_param_formula, wrong)
    assert says in message
    assert str(right_count(1, 4)) not in message.split("got")[0]


def test_param_formula_not_a_function():
    assert "nothing yet" in failure(check.l04_param_formula, None)
    assert "a function" in failure(check.l04_param_formula, 17)


def test_smallest_width(capsys):
    check.l04_smallest_width(3)
    assert capsys.readouterr().out.startswith("✓")
    for wrong in (1, 2, 4, 8):
        message = failure(check.l04_smallest_width, wrong)
        assert "3" not in message.replace(str(wrong), "")
    assert "whole number" in failure(check.l04_smallest_width, 2.5)
    assert "nothing yet" in failure(check.l04_smallest_width, None)


def test_spiral_budget(capsys):
    check.l04_spiral_budget([8, 8])
    assert capsys.readouterr().out.startswith("✓")
    assert "at most 120" in failure(check.l04_spiral_budget, [64])
    assert "at least 0.95" in failure(check.l04_spiral_budget, [8])
    assert "list of layer widths" in failure(check.l04_spiral_budget, "8, 8")
    assert "nothing yet" in failure(check.l04_spiral_budget, None)


# --- lesson 05 ---

def history(train_acc, test_acc):
    h = History()
    h.train_acc, h.test_acc = [0.5, train_acc], [0.5, test_acc]
    return h


CURVES = {"A": history(1.0, 0.86), "B": history(0.64, 0.59), "C": history(0.91, 0.89)}


def test_diagnose(capsys):
    check.l05_diagnose(CURVES, underfit="B", overfit="A")
    assert capsys.readouterr().out.startswith("✓")
    assert "poorly even on its own training points" in failure(check.l05_diagnose, CURVES, "C", "A")
    assert "training score is far better" in failure(check.l05_diagnose, CURVES, "B", "C")
    assert "one of the names" in failure(check.l05_diagnose, CURVES, "D", "A")
    assert "one of the names" in failure(check.l05_diagnose, CURVES, None, "A")
    assert "dict of three" in failure(check.l05_diagnose, [1, 2, 3], "A", "B")


def test_best_depth(capsys):
    depths = [0, 1, 2, 3]
    val = np.array([0.6, 0.85, 0.9, 0.9])
    check.l05_best_depth(2, val, depths)
    assert capsys.readouterr().out.startswith("✓")
    assert "on a tie, the shallower" in failure(check.l05_best_depth, 3, val, depths)
    assert "highest validation accuracy" in failure(check.l05_best_depth, 1, val, depths)
    assert "one of the depths" in failure(check.l05_best_depth, 7, val, depths)
    assert "shape (4,)" in failure(check.l05_best_depth, 2, val[:3], depths)
    assert "between 0 and 1" in failure(check.l05_best_depth, 2, val * 10, depths)


def test_too_strong(capsys):
    check.l05_too_strong(0.01)
    assert capsys.readouterr().out.startswith("✓")
    message = failure(check.l05_too_strong, 0.001)
    assert "below 0.8" in message and "larger" in message
    assert "from 0 to 1" in failure(check.l05_too_strong, 2.0)
