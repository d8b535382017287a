"""Student copies (hlkit.release): no answer left, stubs that raise, instructor copies untouched, safe paths;
validation of both copies in a real kernel; and every real lesson released and run up to its first exercise."""

import hashlib
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from hlkit import release as rel

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "data" / "lesson"
LESSONS = sorted((ROOT / "notebooks").glob("0[1-8]*.ipynb"))
SECRETS = ("np.polyfit", "points[:, 1].mean()", "secret generator", "slope of a flat line")


def read(path):
    return nbformat.read(path, as_version=4)


def digest(folder: Path) -> dict:
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def all_text(nb) -> str:
    return "\n".join(rel._source(c) + "".join(str(o) for o in c.get("outputs", [])) for c in nb.cells)


@pytest.fixture
def course(tmp_path):
    """A copy of the fixture lesson folder (instructor copies) in tmp_path."""
    shutil.copytree(FIXTURE, tmp_path / "instructor", ignore=shutil.ignore_patterns("conftest.py", "__pycache__"))
    return tmp_path / "instructor"


def sol(source, grade_id="x-solution"):
    return new_code_cell(source, metadata={"nbgrader": {"solution": True, "grade": False, "locked": False,
                                                        "grade_id": grade_id, "schema_version": 3}})


# ---------------------------------------------------------------------------------------------------------
# student_copy on one notebook


def test_fixture_is_an_executed_instructor_copy():
    nb = read(FIXTURE / "tiny_lesson.ipynb")
    text = all_text(nb)
    assert all(secret in text for secret in SECRETS)
    assert "widgets" in nb.metadata and "2.5" in text   # an output that shows an answer
    assert not rel.is_student_copy(nb)


def test_student_copy_holds_no_solution_and_keeps_the_rest():
    nb = read(FIXTURE / "tiny_lesson.ipynb")
    before = nbformat.writes(nb)
    student = rel.student_copy(nb, name="tiny_lesson.ipynb")
    assert nbformat.writes(nb) == before                       # a pure function: input unchanged
    text = all_text(student)
    for secret in SECRETS + rel.SOLUTION_MARKERS + rel.HIDDEN_TEST_MARKERS:
        assert secret not in text
    assert rel.leaked_lines(nb, student) == [] and rel.marker_lines(student) == []
    assert rel.solution_lines(nb) and rel.leaked_lines(nb, nb)     # the scan itself finds answers
    assert rel.is_student_copy(student)
    assert "widgets" not in student.metadata
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    sources = [rel._source(c) for c in student.cells]
    # indentation of the stub follows the marker; lines outside the markers stay
    assert ('def slope(points):\n    """The least-squares slope of the points\' line."""\n'
            '    # your code here\n    raise NotImplementedError()\n\n\nprint(round(slope(points), 3))') in sources
    assert "# the mean of the y column\n# your code here\nraise NotImplementedError()" in sources
    assert sources[-1].endswith("Why is the slope exactly 2.5?\n\nYOUR ANSWER HERE")
    # the visible test stays, the hidden one goes
    assert sources[4] == 'hl.check.close("slope(points)", slope(points), 2.5, hint="fit a straight line to (x, y)")'
    assert student.cells[4].metadata["editable"] is False and student.cells[3].metadata["deletable"] is False
    assert [c.cell_type for c in student.cells] == [c.cell_type for c in nb.cells]


def test_stub_raises_not_implemented():
    student = rel.student_copy(new_notebook(cells=[sol("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                                                       "    ### END SOLUTION\n\nresult = f(3)")]))
    with pytest.raises(NotImplementedError):
        exec(student.cells[0].source, {})


def test_solution_cell_without_markers_is_replaced_whole():
    student = rel.student_copy(new_notebook(cells=[sol("answer = 42")]))
    assert student.cells[0].source == "# your code here\nraise NotImplementedError()"


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1", "without a matching"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "second"),
    ("x = 1\n### END SOLUTION", "without '"),
])
def test_malformed_regions_are_refused(source, message):
    with pytest.raises(rel.ReleaseError, match=message) as error:
        rel.student_copy(new_notebook(cells=[sol(source, "l09-ex1-solution")]), name="lesson.ipynb")
    assert "lesson.ipynb, l09-ex1-solution" in str(error.value)


def test_regions_outside_marked_cells_are_refused():
    with pytest.raises(rel.ReleaseError, match="not a solution cell"):
        rel.student_copy(new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")]))
    with pytest.raises(rel.ReleaseError, match="not graded"):
        rel.student_copy(new_notebook(cells=[new_code_cell("### BEGIN HIDDEN TESTS\nassert 1\n### END HIDDEN TESTS")]))


def test_notebook_without_exercises_only_loses_outputs():
    nb = new_notebook(cells=[new_markdown_cell("# Start"), new_code_cell("print(1)", execution_count=1,
                      outputs=[nbformat.v4.new_output("stream", text="1\n")])])
    student = rel.student_copy(nb)
    assert student.cells[1].source == "print(1)" and student.cells[1].outputs == []
    assert not rel.is_student_copy(student)   # nothing to solve: validated like an instructor copy


# ---------------------------------------------------------------------------------------------------------
# release on folders


def test_release_folder(course, tmp_path):
    before = digest(course)
    written = rel.release([course], tmp_path / "student")
    assert digest(course) == before                       # instructor copies byte-identical
    assert sorted(p.name for p in written) == ["points.csv", "tiny_lesson.ipynb"]
    assert (tmp_path / "student" / "points.csv").read_bytes() == (course / "points.csv").read_bytes()
    student = read(tmp_path / "student" / "tiny_lesson.ipynb")
    assert rel.leaked_lines(read(course / "tiny_lesson.ipynb"), student) == []
    # an existing copy is replaced only on request
    with pytest.raises(rel.ReleaseError, match="--force"):
        rel.release([course], tmp_path / "student")
    rel.release([course], tmp_path / "student", force=True)
    assert digest(course) == before


def test_release_skips_checkpoints_and_single_files(course, tmp_path):
    (course / ".ipynb_checkpoints").mkdir()
    shutil.copy(course / "tiny_lesson.ipynb", course / ".ipynb_checkpoints" / "tiny_lesson-checkpoint.ipynb")
    written = rel.release([course], tmp_path / "a")
    assert not any(".ipynb_checkpoints" in str(p) for p in written)
    written = rel.release([course / "tiny_lesson.ipynb"], tmp_path / "b")
    assert written == [(tmp_path / "b" / "tiny_lesson.ipynb").resolve()]


def test_release_refuses_bad_arguments(course, tmp_path):
    cases = [
        (([course], course), "DEST .* same folder as SRC"),
        (([course], course / "student"), "DEST .* inside SRC"),
        (([course / "tiny_lesson.ipynb"], course), "DEST .* is the folder of SRC"),
        (([course / "tiny_lesson.ipynb"], course / "student"), "DEST .* inside the folder of SRC"),
        (([tmp_path / "missing"], tmp_path / "out"), "SRC .*missing.* does not exist"),
        (([course / "points.csv"], tmp_path / "out"), "SRC .* not a notebook"),
        (([], tmp_path / "out"), "SRC: give at least one"),
        (([course, course / "tiny_lesson.ipynb"], tmp_path / "out"), "SRC: two sources"),
        (([course], course / "points.csv"), "DEST must be a folder"),
    ]
    before = digest(course)
    for (sources, dest), message in cases:
        with pytest.raises(rel.ReleaseError, match=message):
            rel.release(sources, dest)
    assert digest(course) == before
    assert not (tmp_path / "out").exists() and not (course / "student").exists()


def test_release_never_writes_outside_dest(course, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "student").mkdir()
    (course / "sub").mkdir()
    shutil.copy(course / "tiny_lesson.ipynb", course / "sub" / "more.ipynb")
    (tmp_path / "student" / "sub").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(rel.ReleaseError, match="outside DEST"):
        rel.release([course], tmp_path / "student")
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_malformed_notebook_leaves_dest_empty(course, tmp_path):
    nbformat.write(new_notebook(cells=[sol("### BEGIN SOLUTION\nx = 1")]), course / "zz_broken.ipynb")
    with pytest.raises(rel.ReleaseError, match="zz_broken.ipynb"):
        rel.release([course], tmp_path / "student")
    assert not (tmp_path / "student").exists()


# ---------------------------------------------------------------------------------------------------------
# judging executed notebooks (no kernel) and validating in a kernel


def test_judge_the_executed_fixture():
    nb = read(FIXTURE / "tiny_lesson.ipynb")   # saved with its outputs: every check printed "✓"
    report = rel.judge(nb, student=False)
    assert report.ok and [c.name for c in report.checks] == ["l99-ex1-check", "l99-ex2-check"]
    assert report.checks[0].message == "✓ slope(points): correct"
    wrong = rel.judge(nb, student=True)        # a student copy whose checks pass: something leaked
    assert not wrong.ok and not any(c.ok for c in wrong.checks)


def test_validate_instructor_and_student_copies(course, tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    rel.release([course], tmp_path / "student")
    instructor = rel.validate(course / "tiny_lesson.ipynb", timeout=120)
    assert instructor.kind == "instructor" and instructor.ok, instructor
    assert all(c.ok and c.error == "" for c in instructor.checks) and len(instructor.checks) == 2
    student = rel.validate(tmp_path / "student" / "tiny_lesson.ipynb", timeout=120)
    assert student.kind == "student" and student.ok, student
    assert [c.error for c in student.checks] == ["NotImplementedError", "NameError"]
    assert student.problems == []


# ---------------------------------------------------------------------------------------------------------
# the real lessons


@pytest.mark.skipif(not LESSONS, reason="no lesson notebooks yet (notebooks/01..08)")
def test_release_all_lessons_leaks_nothing(tmp_path):
    before = digest(ROOT / "notebooks")
    rel.release([ROOT / "notebooks"], tmp_path / "student")
    assert digest(ROOT / "notebooks") == before
    for lesson in sorted((ROOT / "notebooks").glob("*.ipynb")):
        instructor, student = read(lesson), read(tmp_path / "student" / lesson.name)
        assert rel.leaked_lines(instructor, student) == [], lesson.name
        assert rel.marker_lines(student) == [], lesson.name
        assert all(c.get("outputs", []) == [] for c in student.cells), lesson.name
        assert "widgets" not in student.metadata


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_student_lesson_runs_until_first_exercise(lesson, monkeypatch):
    """The student copy runs top to bottom and stops at its first exercise's NotImplementedError.
    Only the cells up to the first solution cell are executed, to keep this test short."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")   # the kernel inherits it: one thread, as on a shared hub
    student = rel.student_copy(read(lesson), name=lesson.name)
    first = next((i for i, cell in enumerate(student.cells) if rel.is_solution_cell(cell)), None)
    assert first is not None, f"{lesson.name} has no exercise (no nbgrader solution cell)"
    assert student.cells[first].cell_type == "code", f"{lesson.name}: the first exercise is not a code cell"
    student.cells = student.cells[: first + 1]
    client = NotebookClient(student, timeout=120, kernel_name="python3", allow_errors=False,
                            store_widget_state=False, resources={"metadata": {"path": str(lesson.parent)}})
    with pytest.raises(CellExecutionError) as error:
        client.execute()
    assert error.value.ename == "NotImplementedError", f"{lesson.name}: {error.value}"
    failed = [i for i, cell in enumerate(student.cells) if rel._error(cell)]
    assert failed == [first], f"{lesson.name}: the first error is in cell {failed[:1]}, not the first solution cell"
