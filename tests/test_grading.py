"""hlkit.grading: grading learners' notebooks with the SOURCE notebook's check cells (``hlkit validate
--instructor``): hidden tests restored, edited check cells restored, deleted ones added back, the usual
cheats scored 0, a score per learner and check in grades.csv. Runs real kernels on the fixture lesson."""

import copy
import csv
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from hlkit import cli, grading
from hlkit import release as rel

FIXTURE = Path(__file__).resolve().parent / "data" / "lesson"
CHEAT = 'import hlkit as hl\nhl.check.close = lambda *a, **k: print("✓ all good")\nhl.check.answered = lambda *a: True'


def read(path):
    return nbformat.read(path, as_version=4)


def answer_cell(nb, grade_id):
    return next(cell for cell in nb.cells if rel.nbgrader_meta(cell).get("grade_id") == grade_id)


def submissions(tmp_path) -> Path:
    """submissions/<learner>/tiny_lesson.ipynb for six simulated learners, and the instructor source."""
    source = tmp_path / "source"
    shutil.copytree(FIXTURE, source, ignore=shutil.ignore_patterns("__pycache__"))
    instructor = read(source / "tiny_lesson.ipynb")
    student = rel.student_copy(instructor)

    def solved(nb):
        nb = copy.deepcopy(nb)
        answer_cell(nb, "l99-ex1-solution").source = ('def slope(points):\n    x, y = points[:, 0], points[:, 1]\n'
                                                       '    return float(np.polyfit(x, y, 1)[0])')
        answer_cell(nb, "l99-ex2-solution").source = "mean_y = float(np.mean(points[:, 1]))"
        return nb

    right = solved(student)
    wrong = copy.deepcopy(student)   # plausible wrong answers: the intercept instead of the slope, the x mean
    answer_cell(wrong, "l99-ex1-solution").source = ('def slope(points):\n'
                                                     '    return float(np.polyfit(points[:, 0], points[:, 1], 1)[1])')
    answer_cell(wrong, "l99-ex2-solution").source = "mean_y = float(points[:, 0].mean())"
    cheat = copy.deepcopy(wrong)      # wrong answers, and every check replaced so that it prints a tick
    cheat.cells.insert(2, new_code_cell(CHEAT))
    answer_cell(cheat, "l99-ex2-solution").source = "mean_y = 0"
    edited = solved(student)          # right answers, check cells rewritten to pass whatever happens
    answer_cell(edited, "l99-ex1-check").source = 'print("✓")'
    answer_cell(edited, "l99-ex2-check").source = "pass"
    deleted = copy.deepcopy(wrong)    # wrong answers, check cells deleted
    deleted.cells = [c for c in deleted.cells if not rel.is_check_cell(c)]
    deleted_right = copy.deepcopy(right)
    deleted_right.cells = [c for c in deleted_right.cells if not rel.is_check_cell(c)]
    folder = tmp_path / "submissions"
    for learner, nb in [("alice", right), ("bob", student), ("carol", cheat), ("dave", deleted), ("erin", edited),
                        ("frank", deleted_right), ("gina", wrong)]:
        (folder / learner).mkdir(parents=True)
        nbformat.write(nb, folder / learner / "tiny_lesson.ipynb")
        shutil.copy(FIXTURE / "points.csv", folder / learner)
    return folder


EXPECTED = {   # learner -> (ex1 points of 2, ex2 points of 1, notes)
    "alice": (2, 1, {}),
    "bob": (0, 0, {}),                                          # untouched student copy: not answered
    "carol": (0, 0, {}),                                        # the monkeypatch cheat
    "dave": (0, 0, {"l99-ex1-check": "added back", "l99-ex2-check": "added back"}),
    "erin": (2, 1, {"l99-ex1-check": "restored", "l99-ex2-check": "restored"}),
    "frank": (2, 1, {"l99-ex1-check": "added back", "l99-ex2-check": "added back"}),
    "gina": (0, 0, {}),                                         # plausible wrong answers
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    import os
    os.environ["OMP_NUM_THREADS"] = "1"
    tmp_path = tmp_path_factory.mktemp("grading")
    folder = submissions(tmp_path)
    out = tmp_path / "grades.csv"
    code = cli.main(["validate", "--instructor", str(folder), "--source", str(tmp_path / "source"),
                     "--csv", str(out), "--timeout", "120"])
    with out.open() as handle:
        return code, list(csv.DictReader(handle))


def test_every_learner_and_check_scored_in_the_csv(graded):
    code, rows = graded
    assert code == 0
    got = {(r["student"], r["check"]): (float(r["points"]), float(r["max_points"]), r["note"]) for r in rows}
    assert len(got) == 2 * len(EXPECTED)
    for learner, (ex1, ex2, notes) in EXPECTED.items():
        assert got[(learner, "l99-ex1-check")][:2] == (ex1, 2.0), learner
        assert got[(learner, "l99-ex2-check")][:2] == (ex2, 1.0), learner
        for check, note in notes.items():
            assert note in got[(learner, check)][2], (learner, check)


def test_the_cli_prints_a_score_per_learner(tmp_path, capsys):
    folder = submissions(tmp_path)
    for learner in list(EXPECTED)[2:]:
        shutil.rmtree(folder / learner)
    code = cli.main(["validate", "--instructor", str(folder), "--source", str(tmp_path / "source"),
                     "--csv", str(tmp_path / "g.csv"), "--timeout", "60"])
    out = capsys.readouterr().out
    assert code == 0
    assert "alice tiny_lesson.ipynb: 3 of 3 points" in out and "bob tiny_lesson.ipynb: 0 of 3 points" in out
    assert "OK 0 of 0" not in out


def test_restore_checks_puts_back_the_source_cells():
    source = read(FIXTURE / "tiny_lesson.ipynb")
    student = rel.student_copy(source)
    student.cells = [c for c in student.cells if rel.nbgrader_meta(c).get("grade_id") != "l99-ex2-check"]
    answer_cell(student, "l99-ex1-check").source = "pass"
    restored, notes = grading.restore_checks(student, source)
    assert notes == {"l99-ex1-check": "restored", "l99-ex2-check": "added back"}
    ids = [rel.nbgrader_meta(c).get("grade_id") for c in restored.cells]
    assert ids.index("l99-ex2-check") == ids.index("l99-ex2-solution") + 1
    assert "BEGIN HIDDEN TESTS" in answer_cell(restored, "l99-ex1-check").source   # hidden tests are back
    untouched, notes = grading.restore_checks(rel.student_copy(source), source)
    assert notes == {}


def test_grading_refuses_a_missing_or_student_source(tmp_path, capsys):
    folder = tmp_path / "subs" / "alice"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURE / "tiny_lesson.ipynb", folder)
    (tmp_path / "empty").mkdir()
    code = cli.main(["validate", "--instructor", str(tmp_path / "subs"), "--source", str(tmp_path / "nowhere")])
    assert code == 2 and "--source: " in capsys.readouterr().err
    student = tmp_path / "student"
    rel.release([FIXTURE / "tiny_lesson.ipynb"], student)
    code = cli.main(["validate", "--instructor", str(tmp_path / "subs"), "--source", str(student)])
    assert code == 2 and "is a student copy" in capsys.readouterr().err


@pytest.mark.parametrize("timeout", ["0", "-5", "x"])
def test_timeout_must_be_positive(timeout, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["validate", "--timeout", timeout])
    assert exit_.value.code == 2 and "greater than 0" in capsys.readouterr().err
    with pytest.raises(rel.ReleaseError, match="greater than 0"):
        grading.check_timeout(0)


def test_strict_scores_a_deleted_check_cell_zero(tmp_path, capsys):
    """--strict: frank (right answers, check cells deleted) gets 0 instead of full points; erin (edited check
    cells, restored) and alice keep theirs. Without --instructor it is refused."""
    folder = submissions(tmp_path)
    for learner in ("bob", "carol", "dave", "gina"):
        shutil.rmtree(folder / learner)
    out = tmp_path / "strict.csv"
    code = cli.main(["validate", "--instructor", str(folder), "--source", str(tmp_path / "source"),
                     "--csv", str(out), "--timeout", "120", "--strict"])
    assert code == 0
    with out.open() as handle:
        got = {(r["student"], r["check"]): (float(r["points"]), r["note"]) for r in csv.DictReader(handle)}
    assert got[("frank", "l99-ex1-check")] == (0.0, "deleted: 0 (strict)")
    assert got[("frank", "l99-ex2-check")] == (0.0, "deleted: 0 (strict)")
    assert got[("erin", "l99-ex1-check")] == (2.0, "restored") and got[("alice", "l99-ex2-check")] == (1.0, "")
    capsys.readouterr()
    assert cli.main(["validate", "--strict", str(folder)]) == 2
    assert "--strict: only with --instructor" in capsys.readouterr().err
