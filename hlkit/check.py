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
    """Pass if ``got`` equals ``expected`` within tolerance; on failure say how far off, not the value."""
    expected = np.asarray(expected, dtype=np.float64)
    got = as_array(what, got, expected.shape, hint)
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        worst = float(np.max(np.abs(got - expected)))
        fail(what, f"values within {atol + rtol * float(np.max(np.abs(expected))):.1g} of the right answer",
             f"values off by up to {worst:.3g}", hint)
    passed(f"{what}: correct")


# ---------------------------------------------------------------------------------------------------------
# Lesson checks. Each lesson's checks sit in their own section, in lesson order.

# --- lesson 01 ---

# --- lesson 02 ---

# --- lesson 03 ---

# --- lesson 04 ---

# --- lesson 05 ---

# --- lesson 06 ---

# --- lesson 07 ---

# --- lesson 08 ---
