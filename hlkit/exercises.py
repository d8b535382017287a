"""The exercise format of the lessons (nbgrader's): which cells are answers and checks, and what they hold.

A solution cell (metadata ``nbgrader.solution``) holds its answer between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` lines; the graded check cell after it (``nbgrader.grade``, not a solution) calls an
``hl.check`` function (formative feedback) and holds the grading tests between ``### BEGIN HIDDEN TESTS``
and ``### END HIDDEN TESTS``. Markers are found the way nbgrader finds them (the words anywhere in a line).

Pure functions on nbformat notebooks and source text: no kernel, no files. Used by ``hlkit.release``
(student copies) and ``hlkit.grading`` (running and grading notebooks).
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_TEST_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
TEXT_STUB = "YOUR ANSWER HERE"


class ReleaseError(ValueError):
    """A notebook or an argument that cannot be released or graded; the message names it and says what to change."""


def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise ReleaseError(f"cell metadata 'nbgrader' must be a dict such as {{\"solution\": true, ...}}; "
                           f"got {type(meta).__name__} {str(meta)[:40]!r} instead")
    return meta


def is_solution_cell(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_check_cell(cell) -> bool:
    """A graded test cell: code, ``grade`` true, not itself a solution (nbgrader's "autograder tests")."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def grade_id(cell) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def cell_name(cell, index: int) -> str:
    """The cell's nbgrader ``grade_id`` if it has one, else ``cell N`` (N counts from 1, as in the Lab)."""
    return grade_id(cell) or f"cell {index + 1}"


def source_of(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def has_marker(source: str) -> bool:
    return any(marker in source for marker in SOLUTION_MARKERS + HIDDEN_TEST_MARKERS)


def replace_region(source: str, markers: tuple[str, str], stub: Sequence[str] = ()) -> tuple[str, bool]:
    """``source`` with every region from a line holding ``markers[0]`` to one holding ``markers[1]``
    (both lines included) replaced by ``stub`` lines, indented like the opening marker.

    Lines outside the regions are kept as they are. Returns (new source, whether a region was found);
    raises ReleaseError for a region opened twice or never closed.
    """
    begin, end = markers
    kept, inside, found = [], False, False
    for line in source.split("\n"):
        if begin in line:
            if inside:
                raise ReleaseError(f"a second '{begin}' line before '{end}'")
            inside = found = True
            indent = line[: len(line) - len(line.lstrip())]
            kept.extend(indent + stub_line for stub_line in stub)
        elif end in line:
            if not inside:
                raise ReleaseError(f"an '{end}' line without '{begin}' before it")
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise ReleaseError(f"'{begin}' without a matching '{end}' line")
    return "\n".join(kept), found


def regions(source: str, markers: tuple[str, str]) -> list[tuple[str, str]]:
    """The (indent, text) of every region between ``markers`` in ``source`` (marker lines left out)."""
    begin, end = markers
    found, current, indent = [], None, ""
    for line in source.split("\n"):
        if begin in line:
            current, indent = [], line[: len(line) - len(line.lstrip())]
        elif end in line and current is not None:
            found.append((indent, "\n".join(current)))
            current = None
        elif current is not None:
            current.append(line)
    return found


def bound_names(code: str) -> list[str]:
    """Names that top-level statements of ``code`` bind (assignments, defs, imports, for targets), in order;
    [] if ``code`` does not parse on its own (e.g. a region inside a function body)."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return []
    names: list[str] = []

    def add(target):
        for node in ast.walk(target):
            if isinstance(node, ast.Name) and node.id not in names:
                names.append(node.id)

    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(stmt.name) if stmt.name not in names else None
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                add(target)
        elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign, ast.For)):
            add(stmt.target)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                name = (alias.asname or alias.name).split(".")[0]
                names.append(name) if name not in names else None
    return names


def read_names(code: str) -> set[str]:
    """Names that ``code`` reads (loads); empty if it does not parse."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def exercise_number(cell, fallback: int) -> int:
    """N of a grade_id like ``l03-ex2-solution`` (or ``...-check``), else ``fallback``."""
    match = re.search(r"ex(\d+)", grade_id(cell) or "")
    return int(match.group(1)) if match else fallback


@dataclass
class Exercise:
    """One exercise of a notebook: its solution cell, the check cells that follow it, and its answers."""

    number: int
    solution: int                 # index of the solution cell
    checks: list[int]             # indices of the graded check cells up to the next solution cell
    code: str                     # the solution regions' code, joined ("" for a markdown answer)
    answers: list[str]            # names the solution binds and later cells read: what the student must set


def exercises(nb) -> list[Exercise]:
    """The code and markdown exercises of ``nb``, in order."""
    cells = nb.cells
    starts = [i for i, cell in enumerate(cells) if is_solution_cell(cell)]
    found = []
    for k, start in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else len(cells)
        checks = [i for i in range(start + 1, stop) if is_check_cell(cells[i])]
        source = source_of(cells[start])
        parts = regions(source, SOLUTION_MARKERS)
        code = "\n".join(textwrap.dedent(text) for _, text in parts) if parts else source
        later = set()
        for cell in cells[start + 1:]:
            if cell.get("cell_type") == "code":
                later |= read_names(source_of(cell))
        top_level = [text for indent, text in parts if indent == ""] if parts else [source]
        bound = [name for text in top_level for name in bound_names(text)]
        answers = [name for name in dict.fromkeys(bound) if name in later] if cells[start].cell_type == "code" else []
        found.append(Exercise(exercise_number(cells[start], k + 1), start, checks,
                              code if cells[start].cell_type == "code" else "", answers))
    return found
