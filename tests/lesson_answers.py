"""The answers of the instructor notebooks, learnt by running their solutions (hlkit.grading.answer_values),
once per test session: test_check_lessons, test_release and test_nbgrader share them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import nbformat

from hlkit.grading import answer_values

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("0[1-8]*.ipynb"))


# seconds per cell, as nbval's --nbval-cell-timeout in pyproject.toml: a cell that hangs fails in 2 minutes, naming
# the lesson and the cell, instead of waiting 10 (or for ever)
CELL_TIMEOUT = 120


@cache
def values(lesson: Path) -> dict:
    """answer name -> value of ``lesson``'s solutions (numbers as floats, arrays as lists)."""
    return answer_values(nbformat.read(lesson, as_version=4), lesson.parent, timeout=CELL_TIMEOUT, name=lesson.name)
