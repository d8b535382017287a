"""Running notebooks and judging them: validate both copies, grade submissions, learn the answers' values.

- ``validate(path)``: run a notebook in a fresh kernel; instructor copies must pass every graded check,
  student copies must fail every one (nbgrader's ``validate`` and ``validate --invert``).
- ``grade(path, source)``: run a learner's notebook with the check cells of the instructor's SOURCE
  notebook (hidden tests included; edited check cells restored, deleted ones added back, or with
  ``strict`` scored 0) and score it.
- ``answer_values(path)``: run an instructor notebook and return the values its solutions compute, for
  the release's leak scan.
- ``run(nb, folder)``: what all of them use: execute a notebook in a fresh kernel (nbclient), a cell without
  a reply within the timeout interrupted and marked as such, or like JupyterLab's Run All.

Runs every notebook in its own kernel, with ``NBGRADER_EXECUTION`` set while grading, as nbgrader's
autograder does. Never imports torch or widgets.
"""

from __future__ import annotations

import copy
import json
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .exercises import (
    HIDDEN_TEST_MARKERS,
    ReleaseError,
    cell_name,
    exercises,
    grade_id,
    is_check_cell,
    is_solution_cell,
    nbgrader_meta,
    replace_region,
    source_of,
)

# the errors a graded check of an unsolved exercise ends in: the stub itself, a failed check
# (hl.check's CheckFailed is an AssertionError), or an answer variable the stub never defined
UNSOLVED_ERRORS = ("NotImplementedError", "AssertionError", "CheckFailed", "NameError", "TypeError")
SKIPPED_PARTS = ("__pycache__",)   # plus every name starting with "." (.ipynb_checkpoints, .git)
STUB_LINES = ("# your code here", "# YOUR CODE HERE", "raise NotImplementedError()", "is not answered yet")


def skipped_path(relative: Path) -> bool:
    """True for a path inside a hidden or cache folder (not read, not released)."""
    return any(part.startswith(".") or part in SKIPPED_PARTS for part in relative.parts)


def check_timeout(timeout) -> int:
    """``timeout`` (seconds per cell) as a positive int; 0 or less would mean no limit at all."""
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
        raise ReleaseError(f"--timeout must be a whole number of seconds greater than 0 (a limit per cell); "
                           f"got {timeout!r} instead")
    return timeout


TIMEOUT_ERROR = "CellTimeoutError"   # the error a cell without a reply within the timeout ends in


def run(nb, folder: str | os.PathLike, *, timeout: int, kernel_name: str = "python3", grading: bool = False,
        stop_at_error: bool = False, name: str = "notebook") -> list[str]:
    """Execute ``nb`` in place in a fresh kernel with ``folder`` as working directory; return the problems, each
    naming ``name`` and the cell: a dead kernel and, with ``stop_at_error`` (JupyterLab's Run All), the first cell
    that fails. Otherwise errors do not stop the run: they stay in the cells' outputs for ``judge``.

    ``timeout`` is in seconds per cell. A cell without a reply by then is interrupted and ends in a
    ``CellTimeoutError`` output that says so (nbclient would otherwise interrupt it and wait again, for ever if
    the reply never comes), and the run goes on with the next cell. ``grading`` sets ``NBGRADER_EXECUTION`` in
    the kernel's environment, as nbgrader's autograder does.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    timeout = check_timeout(timeout)
    message = f"no reply from the kernel within {timeout} s (interrupted)"

    def on_cell_executed(cell, cell_index, execute_reply):
        if ((execute_reply or {}).get("content") or {}).get("ename") == TIMEOUT_ERROR:   # the reply below
            # before the KeyboardInterrupt the interrupted cell may show: the timeout is the cell's error
            first = next((i for i, out in enumerate(cell.outputs) if out.get("output_type") == "error"),
                         len(cell.outputs))
            cell.outputs.insert(first, nbformat.v4.new_output("error", ename=TIMEOUT_ERROR, evalue=message,
                                                              traceback=[f"{TIMEOUT_ERROR}: {message}"]))

    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, allow_errors=not stop_at_error,
                            interrupt_on_timeout=True, store_widget_state=False, on_cell_executed=on_cell_executed,
                            error_on_timeout={"ename": TIMEOUT_ERROR, "evalue": message, "traceback": []},
                            resources={"metadata": {"path": str(Path(folder).resolve())}})
    # No browser-like Output widget: nbclient's stand-in (nbclient/output_widget.py) sends every output that an
    # ipywidgets Output widget captures (ipywidgets.interact, `with out:`) back to the kernel on the shell channel,
    # while it waits on that channel for the cell's reply. Under load that wait missed the reply: the kernel had
    # answered within a second, the client waited until the cell's timeout (13 of 60 such cells, load ~10; none
    # without the stand-in). Here such output stays in the cell's outputs, as if the widget were not there (an
    # error shown inside an Output widget then counts as the cell's error). Without the stand-in no widget state is
    # written either, so store_widget_state=False is safe (with the stand-in it raised KeyError).
    client.widget_registry = {}
    saved = os.environ.get("NBGRADER_EXECUTION")
    if grading:   # the kernel inherits it: hl.check then fails unanswered exercises, as under nbgrader
        os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        client.execute()
    except DeadKernelError as error:
        return [f"{name}: the kernel died: {_first_line(error)}"]
    except CellExecutionError as error:   # only with stop_at_error
        failed = next((i for i, cell in enumerate(nb.cells) if _error(cell)), None)
        where = f"cell {failed + 1} of {len(nb.cells)}" if failed is not None else "a cell"
        return [f"{name}: Run All stops at {where}: {error.ename}: {_first_line(error.evalue, 200)}"]
    finally:
        if grading:
            os.environ.pop("NBGRADER_EXECUTION", None) if saved is None else os.environ.__setitem__(
                "NBGRADER_EXECUTION", saved)
    return []


def read_notebook(path: str | os.PathLike, argument: str = "PATHS"):
    """The notebook at ``path``, or ReleaseError naming ``argument`` and the file if it cannot be read."""
    try:
        return nbformat.read(path, as_version=4)
    except OSError:
        raise   # the command line turns it into one line with the file name
    except Exception as error:   # nbformat raises several types for a damaged file
        raise ReleaseError(f"{argument}: cannot read {str(path)!r} as a notebook: "
                           f"{' '.join(str(error).split())[:200]}") from None


# ---------------------------------------------------------------------------------------------------------
# The values of the answers


_DUMP = """\
def _hlkit_plain(value):
    import numbers
    import numpy
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, numbers.Number):
        return float(value) if isinstance(value, numbers.Real) else None
    if hasattr(value, "detach"):
        value = value.detach().numpy()
    if isinstance(value, (list, tuple, numpy.ndarray)):
        try:
            return numpy.asarray(value, dtype=float).tolist()
        except (TypeError, ValueError):
            return None
    return None
import json as _hlkit_json
print("HLKIT-ANSWERS " + _hlkit_json.dumps({_n: _hlkit_plain(globals().get(_n)) for _n in NAMES}))
"""


def answer_values(nb, folder: str | os.PathLike = ".", *, timeout: int = 300, kernel_name: str = "python3",
                  name: str = "notebook") -> dict[str, object]:
    """Run the instructor notebook ``nb`` (its cells up to the last solution cell, in a fresh kernel with
    ``folder`` as working directory) and return the value of every answer its solutions set: numbers as
    floats, arrays as nested lists, strings as they are; anything else (a function, a model) as None.
    ReleaseError, naming ``name`` and the cell, if a cell gets no reply within ``timeout`` seconds or the
    values cannot be read."""
    found = exercises(nb)
    names = [answer for exercise in found for answer in exercise.answers]
    if not names:
        return {}
    executed = copy.deepcopy(nb)
    executed.cells = executed.cells[: max(exercise.solution for exercise in found) + 1]   # cell numbers kept
    executed.cells.append(nbformat.v4.new_code_cell(_DUMP.replace("NAMES", repr(names))))
    problems = run(executed, folder, timeout=timeout, kernel_name=kernel_name, name=name)
    late = [f"{cell_name(cell, i)}: {_error(cell)[1]}" for i, cell in enumerate(executed.cells)
            if (_error(cell) or ("",))[0] == TIMEOUT_ERROR]
    if late:
        raise ReleaseError(f"{name}, {late[0]}: cannot learn its answers' values")
    for output in executed.cells[-1].get("outputs", []):
        for line in str(output.get("text", "")).split("\n"):
            if line.startswith("HLKIT-ANSWERS "):
                return json.loads(line[len("HLKIT-ANSWERS "):])
    raise ReleaseError(f"could not run {name} to learn its answers' values: "
                       f"{problems[0] if problems else _first_error(executed) or 'no output'}")


def _first_error(nb) -> str:
    for index, cell in enumerate(nb.cells):
        error = _error(cell)
        if error:
            return f"{cell_name(cell, index)}: " + ": ".join(filter(None, error))
    return ""


# ---------------------------------------------------------------------------------------------------------
# Validation: run a notebook, read the verdict of every graded check


@dataclass
class CheckResult:
    """One graded check cell after a run: ``error`` is the exception's name ("" if it passed)."""

    name: str
    index: int
    error: str
    message: str
    ok: bool
    points: float = 0.0       # points earned (grading)
    max_points: float = 0.0   # points the cell is worth
    note: str = ""            # "restored" (edited by the learner), "added back" (deleted by the learner)


@dataclass
class Report:
    """What ``validate`` (or ``grade``) found in one notebook. ``ok`` says whether it behaved as ``expected``."""

    path: Path
    kind: str                 # "instructor", "student" or "graded"
    seconds: float
    checks: list[CheckResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # errors outside the checks, a dead kernel, ...

    @property
    def ok(self) -> bool:
        return not self.problems and all(check.ok for check in self.checks)

    @property
    def score(self) -> float:
        return sum(check.points for check in self.checks)

    @property
    def max_score(self) -> float:
        return sum(check.max_points for check in self.checks)


def _first_line(text, limit: int = 90) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text)).strip().split("\n")[0]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _error(cell) -> tuple[str, str] | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename", "Error"), _first_line(output.get("evalue", ""))
    return None


def _printed(cell) -> str:
    for output in cell.get("outputs", []):
        for line in str(output.get("text", "")).split("\n"):
            if line.startswith("✓"):
                return _first_line(line)
    return "no error"


def is_student_copy(nb) -> bool:
    """True if ``nb`` has solution cells and none of them still holds an answer (no markers, only stubs)."""
    from .exercises import has_marker

    solutions = [cell for cell in nb.cells if is_solution_cell(cell)]
    if not solutions or any(has_marker(source_of(cell)) for cell in nb.cells):
        return False
    return all(any(stub in source_of(cell) for stub in STUB_LINES + ("YOUR ANSWER HERE",)) for cell in solutions)


def validate(path: str | os.PathLike, *, student: bool | None = None, timeout: int = 300,
             kernel_name: str = "python3") -> Report:
    """Run the notebook at ``path`` top to bottom in a fresh kernel (errors do not stop the run; nothing
    is saved), then ``judge`` it. ``student=None`` tells the kinds apart by their solution cells (stubs
    only: a student copy). ``timeout`` is in seconds per cell. A student copy runs as under a grader,
    so an unanswered exercise fails its check.
    """
    path = Path(path)
    check_timeout(timeout)
    nb = read_notebook(path)
    student = is_student_copy(nb) if student is None else student
    start = time.perf_counter()
    problems = run(nb, path.parent, timeout=timeout, kernel_name=kernel_name, grading=student, name=path.name)
    report = judge(nb, student=student, path=path, seconds=time.perf_counter() - start)
    report.problems[:0] = problems
    return report


def judge(nb, *, student: bool, path: str | os.PathLike = "notebook.ipynb", seconds: float = 0.0) -> Report:
    """The verdict on an executed notebook ``nb`` (outputs in place, as nbclient leaves them).

    An instructor copy (``student=False``) must hold no error anywhere, so every graded check passes.
    A student copy must fail every graded check with NotImplementedError, AssertionError (hl.check's
    CheckFailed), NameError or TypeError, and hold no error before its first solution cell (a broken setup).
    """
    report = Report(Path(path), "student" if student else "instructor", seconds)
    first_solution = next((i for i, cell in enumerate(nb.cells) if is_solution_cell(cell)), len(nb.cells))
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        error = _error(cell)
        if is_check_cell(cell):
            points = float(nbgrader_meta(cell).get("points", 0) or 0)
            if error is None:
                report.checks.append(CheckResult(cell_name(cell, index), index, "", _printed(cell), not student,
                                                 points, points))
            else:
                ok = student and error[0] in UNSOLVED_ERRORS
                report.checks.append(CheckResult(cell_name(cell, index), index, error[0], error[1], ok, 0.0, points))
        elif error is not None and (not student or index < first_solution):
            report.problems.append(f"{cell_name(cell, index)} failed: " + ": ".join(filter(None, error)))
    return report


# ---------------------------------------------------------------------------------------------------------
# Grading a learner's notebook against the instructor's source


def restore_checks(submission, source) -> tuple[object, dict[str, str]]:
    """A copy of ``submission`` whose graded check cells are the SOURCE's (hidden tests included), as
    nbgrader's autograder with ``add_missing_cells`` does: a check cell the learner edited is replaced by
    the source's, one the learner deleted is added back after the cell that precedes it in the source
    (matched by grade_id), and any graded cell the source does not have loses its grade. Returns the
    notebook and {grade_id: "restored" | "added back"} for the cells that were not as released."""
    nb = copy.deepcopy(submission)
    wanted = {grade_id(cell): cell for cell in source.cells if is_check_cell(cell) and grade_id(cell)}
    released = {ident: replace_region(source_of(cell), HIDDEN_TEST_MARKERS)[0] for ident, cell in wanted.items()}
    notes: dict[str, str] = {}
    seen = set()
    for index, cell in enumerate(nb.cells):
        try:
            meta = nbgrader_meta(cell)
        except ReleaseError:
            meta = {}
            cell.metadata.pop("nbgrader", None)
        ident = meta.get("grade_id")
        if ident in wanted and ident not in seen and cell.cell_type == "code":
            if source_of(cell) != released.get(ident) and source_of(cell) != source_of(wanted[ident]):
                notes[ident] = "restored"
            nb.cells[index] = copy.deepcopy(wanted[ident])
            seen.add(ident)
        elif meta.get("grade") and not meta.get("solution"):
            cell.metadata["nbgrader"] = {**meta, "grade": False, "points": 0}   # a graded cell we do not know
    order = [grade_id(cell) for cell in source.cells]
    for ident, cell in wanted.items():
        if ident in seen:
            continue
        position = order.index(ident)
        anchors = [grade_id(c) for c in source.cells[:position] if grade_id(c)]
        ids = [grade_id(c) for c in nb.cells]
        at = next((ids.index(a) + 1 for a in reversed(anchors) if a in ids), len(nb.cells))
        nb.cells.insert(at, copy.deepcopy(cell))
        notes[ident] = "added back"
    return nb, notes


def grade(path: str | os.PathLike, source: str | os.PathLike, *, timeout: int = 300,
          kernel_name: str = "python3", strict: bool = False) -> Report:
    """Grade the learner's notebook at ``path`` with the check cells of the instructor notebook ``source``.

    The learner's answer cells run as they are; every graded check cell is the source's (so replacing
    ``hl.check`` or editing a check cell gains nothing, and the hidden tests run). A check cell earns its
    points if it runs without error; an edited one is restored and then scored like any other, a deleted
    one is added back (it fails unless the hidden tests pass). ``strict``: a deleted check cell scores 0
    whatever the answers (it is still added back and run, so the rest of the notebook runs as without
    ``strict``). The kernel runs with NBGRADER_EXECUTION set.
    """
    path, source = Path(path), Path(source)
    check_timeout(timeout)
    instructor = read_notebook(source, "--source")
    if not any(is_check_cell(cell) for cell in instructor.cells):
        raise ReleaseError(f"--source: {str(source)!r} has no graded check cell to grade with")
    nb, notes = restore_checks(read_notebook(path), instructor)
    start = time.perf_counter()
    problems = run(nb, path.parent, timeout=timeout, kernel_name=kernel_name, grading=True, name=path.name)
    report = judge(nb, student=False, path=path, seconds=time.perf_counter() - start)
    report.kind = "graded"
    report.problems = problems   # a learner's broken cell is not a problem of the grading
    hidden = {grade_id(cell) for cell in instructor.cells
              if is_check_cell(cell) and HIDDEN_TEST_MARKERS[0] in source_of(cell)}
    for check in report.checks:
        check.note = notes.get(check.name, "")
        if strict and check.note == "added back":
            check.points, check.note = 0.0, "deleted: 0 (strict)"
        check.ok = check.points == check.max_points
        if check.name not in hidden:
            check.note = ", ".join(filter(None, [check.note, "no hidden tests"]))
    return report


def notebooks_in(paths: Iterable[str | os.PathLike], *, argument: str = "PATHS") -> list[Path]:
    """The notebooks named by ``paths`` (files, or folders searched recursively), sorted, without
    checkpoints. Raises ReleaseError naming ``argument`` and a path that does not exist or holds no notebook."""
    found = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inner = sorted(p for p in path.rglob("*.ipynb") if not skipped_path(p.relative_to(path)))
            if not inner:
                raise ReleaseError(f"{argument}: folder {str(given)!r} holds no notebook (.ipynb)")
            found += inner
        elif path.is_file() and path.suffix == ".ipynb":
            found.append(path)
        else:
            raise ReleaseError(f"{argument}: {str(given)!r} is neither a notebook (.ipynb) nor a folder")
    return found
