"""The lessons work with real nbgrader: ``generate_assignment`` accepts them and releases no answer, its student
copies match ``hlkit release`` line for line (but for the stubs), and ``autograde`` (with the course set-up of
docs/instructors.md: ``add_missing_cells`` on) scores the fixture's simulated learners exactly as
``hlkit validate --instructor`` does, hlkit's own student copies included.

nbgrader is a test dependency (pyproject's ``test`` extra): if it is missing this fails, it does not skip.
Runs offline: nbgrader only reads the course folder built in tmp_path.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from test_grading import EXPECTED, submissions

from hlkit import release as rel

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "data" / "lesson"
LESSONS = sorted((ROOT / "notebooks").glob("0[1-8]*.ipynb"))
ASSIGNMENT = "hlkit"


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    # nbgrader runs the `alembic` script of its own environment: put the venv's bin first on PATH
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--force"], cwd=course, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder (nbgrader's layout) whose assignment holds the fixture and every lesson 01..08,
    released by ``nbgrader generate_assignment``."""
    import nbgrader as _  # noqa: F401  (a clear ImportError if the test extra is not installed)

    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\nc.CourseDirectory.course_id = 'hlkit'\n"
        "c.OverwriteCells.add_missing_cells = True\n")
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for path in [FIXTURE / "tiny_lesson.ipynb", FIXTURE / "points.csv", *LESSONS]:
        shutil.copy(path, source)
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    return course


def notebooks(course: Path):
    return sorted((course / "source" / ASSIGNMENT).glob("*.ipynb"))


def test_generate_assignment_releases_no_solution(course):
    released = course / "release" / ASSIGNMENT
    assert (released / "points.csv").exists()
    for source in notebooks(course):
        instructor = nbformat.read(source, as_version=4)
        student = nbformat.read(released / source.name, as_version=4)
        assert rel.solution_lines(instructor), f"{source.name}: no solution found to hide"
        assert rel.leaked_lines(instructor, student) == [], source.name
        assert rel.marker_lines(student) == [], source.name
        assert rel.is_student_copy(student), source.name


STUB = re.compile(r"^\s*(# your code here|# YOUR CODE HERE|raise NotImplementedError\(\)|\w+ = None|"
                  r'print\("exercise \d+ is not answered yet"\))$')


def test_hlkit_release_matches_nbgrader(course):
    """Same cells, same sources but for the stub lines: nbgrader's raises NotImplementedError, hlkit's sets the
    answers to None and prints "exercise N is not answered yet" (so Run All goes on)."""
    for source in notebooks(course):
        ours = rel.student_copy(nbformat.read(source, as_version=4))
        theirs = nbformat.read(course / "release" / ASSIGNMENT / source.name, as_version=4)
        assert len(ours.cells) == len(theirs.cells), source.name
        for mine, other in zip(ours.cells, theirs.cells, strict=True):
            kept = [[line for line in cell.source.split("\n") if not STUB.match(line)] for cell in (mine, other)]
            assert kept[0] == kept[1], source.name
            assert mine.metadata.get("editable") == other.metadata.get("editable")
            assert mine.metadata.get("deletable") == other.metadata.get("deletable")


@pytest.fixture(scope="module")
def autograded(course, tmp_path_factory):
    """The simulated learners of tests/test_grading.py handed in and autograded (once for this module)."""
    folder = submissions(tmp_path_factory.mktemp("learners"))
    for learner in EXPECTED:
        submitted = course / "submitted" / learner / ASSIGNMENT
        submitted.mkdir(parents=True)
        for name in ("tiny_lesson.ipynb", "points.csv"):
            shutil.copy(folder / learner / name, submitted)
    nbgrader(course, "autograde", ASSIGNMENT, "--notebook", "tiny_lesson")
    return course


def test_autograde_scores_the_simulated_learners(autograded):
    """The learners of tests/test_grading.py (right, blank hlkit copy, cheat, deleted checks, edited checks, ...)
    handed in to nbgrader: autograde gives each the points hlkit validate --instructor gives."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{autograded / 'gradebook.db'}") as gradebook:
        for learner, (ex1, ex2, _) in EXPECTED.items():
            notebook = gradebook.find_submission_notebook("tiny_lesson", ASSIGNMENT, learner)
            scores = {grade.name: grade.score for grade in notebook.grades}
            # the written answer (l99-ex3-solution) waits for a person: 0 until graded by hand
            assert scores == {"l99-ex1-check": ex1, "l99-ex2-check": ex2, "l99-ex3-solution": 0.0}, learner


def test_the_guides_per_exercise_export(autograded):
    """The snippet of docs/instructors.md that writes grades_per_exercise.csv from the gradebook works."""
    import csv

    guide = (ROOT / "docs" / "instructors.md").read_text()
    snippet = next(block for block in re.findall(r"```python\n(.*?)```", guide, re.S) if "grades_per_exercise" in block)
    cwd = os.getcwd()
    os.chdir(autograded)
    try:
        exec(snippet, {})
    finally:
        os.chdir(cwd)
    with (autograded / "grades_per_exercise.csv").open() as handle:
        rows = {(r["student"], r["cell"]): float(r["score"]) for r in csv.DictReader(handle)}
    for learner, (ex1, ex2, _) in EXPECTED.items():
        assert rows[(learner, "l99-ex1-check")] == ex1 and rows[(learner, "l99-ex2-check")] == ex2, learner
