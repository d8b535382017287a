"""hlkit.check: the exercise-check machinery (passed, fail, not_done, as_array, close). Lesson checks have
their own test files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hlkit import check


def test_passed_prints_a_tick(capsys):
    check.passed("weights have the right shape")
    assert capsys.readouterr().out == "✓ weights have the right shape\n"


def test_fail_raises_an_assertion_error_with_expected_got_and_hint():
    with pytest.raises(check.CheckFailed) as err:
        check.fail("the slope", "a positive number", "-2", "the line goes up")
    assert isinstance(err.value, AssertionError)   # nbgrader and pytest count it as a failed test
    assert str(err.value) == "✗ the slope: expected a positive number, got -2.\nHint: the line goes up"


@pytest.mark.parametrize("value,done", [(None, False), (..., False), (0, True), (np.zeros(2), True), ("", True),
                                        ([], True)])
def test_not_done(value, done):
    assert check.not_done(value) is not done


def test_as_array_converts_numbers_lists_and_tensors():
    np.testing.assert_array_equal(check.as_array("w", [[1, 2], [3, 4]], (2, 2)), [[1.0, 2.0], [3.0, 4.0]])
    t = torch.ones(3, requires_grad=True) * 2   # a tensor still attached to the autograd graph
    got = check.as_array("t", t, (3,))
    assert got.dtype == np.float64 and np.array_equal(got, [2.0, 2.0, 2.0])
    assert check.as_array("s", 5).shape == ()


@pytest.mark.parametrize("value,expected_text", [(None, "expected an answer, got nothing yet (None)"),
                                                 (..., "expected an answer, got nothing yet (None)"),
                                                 ("abc", "expected numbers, got a str"),
                                                 ([[1, 2], [3]], "expected numbers, got a list")])
def test_as_array_refuses_missing_or_non_numeric_answers(value, expected_text):
    with pytest.raises(check.CheckFailed, match=r"^✗ the answer: ") as err:
        check.as_array("the answer", value)
    assert expected_text in str(err.value) and "\nHint: " in str(err.value)


def test_as_array_checks_the_shape():
    with pytest.raises(check.CheckFailed) as err:
        check.as_array("W", np.zeros((3, 2)), (2, 3), hint="rows are outputs")
    assert str(err.value) == "✗ W: expected shape (2, 3), got shape (3, 2).\nHint: rows are outputs"


def test_close_passes_within_tolerance(capsys):
    check.close("the loss", 0.6931471, np.log(2), rtol=1e-6, hint="use the natural log")
    check.close("the weights", torch.tensor([1.0, 2.0]), [1.0, 2.0 + 1e-9], hint="")
    assert capsys.readouterr().out == "✓ the loss: correct\n✓ the weights: correct\n"


def test_close_fails_without_showing_the_solution(capsys):
    secret = np.array([3.14159265, 2.71828183])
    with pytest.raises(check.CheckFailed) as err:
        check.close("the constants", [3.0, 2.71828183], secret, hint="more digits")
    message = str(err.value)
    assert "1 of 2 values different" in message and "Hint: more digits" in message
    assert "0.14" not in message   # not even how far off: a doubled answer would be off by the answer
    for shown in ("3.14", "2.718", "2.72", str(secret)):
        assert shown not in message
    assert capsys.readouterr().out == ""   # nothing printed, in particular no tick


def test_close_checks_the_shape_against_the_expected_answer():
    with pytest.raises(check.CheckFailed, match=r"expected shape \(2,\), got shape \(3,\)"):
        check.close("v", [1, 2, 3], [1, 2], hint="two numbers")
    with pytest.raises(check.CheckFailed, match="nothing yet"):
        check.close("v", None, [1, 2], hint="run the cell")


def test_close_fails_on_a_nan_answer():
    with pytest.raises(check.CheckFailed, match=r"got 1 NaN value"):
        check.close("v", [np.nan], [0.5], hint="h")
