"""What every lesson check shares: passing and failing with a hint, "not answered yet", which exercise a check
is and which section to re-read, limits on tries, numbers compared by kind of mistake.

The package's docstring (hlkit/check/__init__.py) says what the checks are and are not."""


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
