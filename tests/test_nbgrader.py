"""The lessons work with real nbgrader: ``generate_assignment`` accepts them and releases no answer, its student
copies match ``hlkit release`` line for line, and ``autograde`` scores a solved and an unsolved submission.

nbgrader is a test dependency (pyproject's ``test`` extra): if it is missing this fails, it does not skip.
Runs offline: nbgrader only reads the course folder built in tmp_path.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

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
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\nc.CourseDirectory.course_id = 'hlkit'\n")
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


def test_hlkit_release_matches_nbgrader(course):
    """Same cells, same sources: hlkit's stub comment is lower case, nbgrader's upper case."""
    for source in notebooks(course):
        ours = rel.student_copy(nbformat.read(source, as_version=4))
        theirs = nbformat.read(course / "release" / ASSIGNMENT / source.name, as_version=4)
        assert len(ours.cells) == len(theirs.cells), source.name
        for mine, other in zip(ours.cells, theirs.cells, strict=True):
            assert mine.source == other.source.replace("# YOUR CODE HERE", "# your code here"), source.name
            assert mine.metadata.get("editable") == other.metadata.get("editable")
            assert mine.metadata.get("deletable") == other.metadata.get("deletable")


def test_autograde_scores_solved_and_unsolved(course):
    """alice hands in the instructor copy, bob the untouched student copy; only the fixture is graded
    (running every lesson twice would take minutes)."""
    from nbgrader.api import Gradebook

    for student, folder in [("alice", course / "source" / ASSIGNMENT), ("bob", course / "release" / ASSIGNMENT)]:
        submitted = course / "submitted" / student / ASSIGNMENT
        submitted.mkdir(parents=True)
        for name in ("tiny_lesson.ipynb", "points.csv"):
            shutil.copy(folder / name, submitted)
    nbgrader(course, "autograde", ASSIGNMENT, "--notebook", "tiny_lesson")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {}
        for student in ("alice", "bob"):
            notebook = gradebook.find_submission_notebook("tiny_lesson", ASSIGNMENT, student)
            scores[student] = {grade.name: grade.score for grade in notebook.grades}
    # l99-ex1-check also runs the hidden test, restored by autograde; the written answer waits for a person
    assert scores["alice"] == {"l99-ex1-check": 2.0, "l99-ex2-check": 1.0, "l99-ex3-solution": 0.0}
    assert scores["bob"] == {"l99-ex1-check": 0.0, "l99-ex2-check": 0.0, "l99-ex3-solution": 0.0}
