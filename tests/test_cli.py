"""The ``hlkit`` command line: release, validate (its table and exit codes), links (well-formed URLs)."""

import runpy
import shutil
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest

from hlkit import cli, grading
from hlkit import release as rel

FIXTURE = Path(__file__).resolve().parent / "data" / "lesson"


@pytest.fixture
def course(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "instructor", ignore=shutil.ignore_patterns("conftest.py", "__pycache__"))
    return tmp_path / "instructor"


def run(capsys, *argv):
    code = cli.main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------------------------------------------
# release


def test_release_command(capsys, course, tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    code, out, _ = run(capsys, "release", course, tmp_path / "student")   # runs the notebook: the value scan
    assert code == 0
    assert "1 student notebooks and 1 other files" in out and "hlkit validate --student" in out
    assert "running tiny_lesson.ipynb to learn its answers' values" in out and "answer values scanned" in out
    assert rel.is_student_copy(nbformat.read(tmp_path / "student" / "tiny_lesson.ipynb", as_version=4))
    code, _, err = run(capsys, "release", course, tmp_path / "student")
    assert code == 2 and "--force" in err
    assert run(capsys, "release", "--force", "--skip-values", course, tmp_path / "student")[0] == 0


def test_release_student_repo_writes_a_readme_for_learners(capsys, course, tmp_path):
    code, out, _ = run(capsys, "release", "--student-repo", "--skip-values", course, tmp_path / "repo")
    assert code == 0 and (tmp_path / "repo" / "notebooks" / "tiny_lesson.ipynb").exists()
    readme = (tmp_path / "repo" / "README.md").read_text()
    assert "pip install -e ." in readme and "jupyter lab notebooks" in readme
    assert "`notebooks/tiny_lesson.ipynb`" in readme and "not answered yet" in readme
    for secret in ("BEGIN SOLUTION", "polyfit", "github.com", "mybinder", "hlkit.git", "make setup"):
        assert secret not in readme
    code, _, err = run(capsys, "release", "--student-repo", "--skip-values", course, tmp_path / "repo")
    assert code == 2 and "--force" in err


def test_release_errors_are_one_line(capsys, course, tmp_path, monkeypatch):
    nb = nbformat.read(course / "tiny_lesson.ipynb", as_version=4)
    nb.cells[3].metadata["nbgrader"] = "solution"
    nbformat.write(nb, course / "tiny_lesson.ipynb")
    code, _, err = run(capsys, "release", "--skip-values", course, tmp_path / "student")
    assert code == 2 and err.count("\n") == 1 and "must be a dict" in err and "tiny_lesson.ipynb, cell 4" in err
    (tmp_path / "file").write_text("x")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "x.ipynb"))
    monkeypatch.setattr(grading, "validate", denied)
    code, _, err = run(capsys, "validate", tmp_path / "file")
    assert code == 2
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "x.ipynb")
    code, out, err = run(capsys, "validate", tmp_path / "x.ipynb")
    assert code == 1 and err == f"hlkit validate: error: '{tmp_path / 'x.ipynb'}' Permission denied\n"
    assert "Traceback" not in out + err


@pytest.mark.parametrize("args, message", [
    (["{course}", "{course}/inner"], "DEST"),
    (["{tmp}/nothing", "{tmp}/out"], "SRC"),
])
def test_release_command_errors_name_the_argument(capsys, course, tmp_path, args, message):
    code, out, err = run(capsys, "release", *[a.format(course=course, tmp=tmp_path) for a in args])
    assert code == 2 and err.startswith(f"hlkit release: error: {message}") and out == ""


def test_release_needs_two_paths(capsys, course):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["release", str(course)])
    assert exit_.value.code == 2
    assert "DEST" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------------
# validate: the table and the exit code (the kernel runs themselves are tested in test_release.py)


def fake_validate(reports):
    def validate(path, *, student=None, timeout=300):
        report = reports[Path(path).name]
        if student is not None:
            report.kind = "student" if student else "instructor"
        return report
    return validate


def test_validate_table_and_exit_codes(capsys, course, monkeypatch):
    good = rel.Report(course / "tiny_lesson.ipynb", "instructor", 1.5, [
        rel.CheckResult("l99-ex1-check", 4, "", "✓ slope(points): correct", True),
        rel.CheckResult("l99-ex2-check", 7, "", "✓ mean_y: correct", True)])
    monkeypatch.setattr(grading, "validate", fake_validate({"tiny_lesson.ipynb": good}))
    code, out, _ = run(capsys, "validate", course)
    assert code == 0
    assert "l99-ex1-check  passes    passes  ok  ✓ slope(points): correct" in out
    assert "OK: " in out and "2 of 2 graded checks pass as expected" in out
    bad = rel.Report(course / "tiny_lesson.ipynb", "student", 1.5, [
        rel.CheckResult("l99-ex1-check", 4, "NotImplementedError", "", True),
        rel.CheckResult("l99-ex2-check", 7, "", "✓ mean_y: correct", False)], ["cell 2 failed: OSError: x"])
    monkeypatch.setattr(grading, "validate", fake_validate({"tiny_lesson.ipynb": bad}))
    code, out, _ = run(capsys, "validate", "--student", course / "tiny_lesson.ipynb")
    assert code == 1
    assert "l99-ex2-check  fails     passes               WRONG" in out
    assert "NOT OK" in out and "problem: cell 2 failed" in out


def test_validate_never_says_ok_for_no_checks(capsys, course, monkeypatch):
    empty = rel.Report(course / "tiny_lesson.ipynb", "instructor", 1.0, [])
    monkeypatch.setattr(grading, "validate", fake_validate({"tiny_lesson.ipynb": empty}))
    code, out, _ = run(capsys, "validate", course)
    assert code == 1 and "NOT OK" in out and "no graded check cell" in out
    assert not any(line.startswith("OK") for line in out.splitlines())


def test_validate_errors(capsys, tmp_path):
    code, _, err = run(capsys, "validate", tmp_path)
    assert code == 2 and "PATHS: folder" in err and "holds no notebook" in err
    code, _, err = run(capsys, "validate", tmp_path / "x.txt")
    assert code == 2 and "PATHS:" in err
    with pytest.raises(SystemExit):
        cli.main(["validate", "--student", "--instructor", str(tmp_path)])


# ---------------------------------------------------------------------------------------------------------
# links


def lesson_folder(tmp_path):
    notebooks = tmp_path / "repo" / "notebooks"
    notebooks.mkdir(parents=True)
    for name, title in [("00_start_here", "Start here"), ("01_what_a_hidden_layer_does", "What a hidden layer does")]:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {title}\n\nText.")])
        nbformat.write(nb, notebooks / f"{name}.ipynb")
    return notebooks


def test_links(capsys, tmp_path, monkeypatch):
    lesson_folder(tmp_path)
    monkeypatch.chdir(tmp_path / "repo")
    code, out, _ = run(capsys, "links", "--hub", "https://hub.example.edu/", "--repo",
                       "https://github.com/someone/hlkit.git", "--branch", "main")
    assert code == 0
    urls = [line.split(": ", 1)[1].strip() for line in out.splitlines() if line.startswith("  ")]
    assert len(urls) == 4 and "What a hidden layer does" in out
    binder, hub = urls[2], urls[3]
    parts = urlsplit(binder)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "mybinder.org", "/v2/gh/someone/hlkit/main")
    assert parse_qs(parts.query) == {"urlpath": ["lab/tree/notebooks/01_what_a_hidden_layer_does.ipynb"]}
    parts = urlsplit(hub)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "hub.example.edu", "/hub/user-redirect/git-pull")
    assert parse_qs(parts.query, strict_parsing=True) == {
        "repo": ["https://github.com/someone/hlkit"],
        "urlpath": ["lab/tree/hlkit/notebooks/01_what_a_hidden_layer_does.ipynb"],
        "branch": ["main"]}
    assert "%2F" in parts.query and "/" not in parts.query   # encoded the way nbgitpuller's link generator does
    code, out, _ = run(capsys, "links", "--markdown", "--repo", "https://github.com/someone/hlkit")
    assert code == 0 and out.splitlines()[0] == "| lesson | Binder |"
    assert "| Start here | [open](https://mybinder.org/v2/gh/someone/hlkit/main?urlpath=" in out


def test_link_functions():
    url = rel.binder_url("https://gitlab.com/group/sub/hlkit", "notebooks/01.ipynb", branch="dev/x")
    assert url == "https://mybinder.org/v2/gl/group%2Fsub%2Fhlkit/dev%2Fx?urlpath=lab%2Ftree%2Fnotebooks%2F01.ipynb"
    url = rel.binder_url("https://git.example.org/hlkit.git", "notebooks/01.ipynb", binder="https://binder.example.org/")
    assert url.startswith("https://binder.example.org/v2/git/https%3A%2F%2Fgit.example.org%2Fhlkit.git/main?")
    url = rel.nbgitpuller_url("https://example.org/jupyter/hub", "https://github.com/a/b", "notebooks/02.ipynb")
    assert url.startswith("https://example.org/jupyter/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fa%2Fb&")
    assert rel.repo_from_git("git@github.com:someone/hlkit.git") == "https://github.com/someone/hlkit"


@pytest.mark.parametrize("argv, message", [
    (["--hub", "hub.example.edu"], "hub must be a web address starting with http:// or https://"),
    (["--hub", "ftp://hub.example.edu"], "hub must be"),
    (["--repo", "file:///srv/hlkit"], "repo must be"),
    (["--hub", "https://hub.example.edu/?next=x"], "without '?'"),
    (["--branch", "main;rm"], "branch must be"),
    (["--notebooks", "missing"], "--notebooks: 'missing' is neither"),
])
def test_links_refuse_bad_urls(capsys, tmp_path, monkeypatch, argv, message):
    lesson_folder(tmp_path)
    monkeypatch.chdir(tmp_path / "repo")
    args = ["links", *argv] + ([] if "--repo" in argv else ["--repo", "https://github.com/someone/hlkit"])
    code, out, err = run(capsys, *args)
    assert code == 2 and message in err and out == ""


def test_links_refuse_notebooks_that_hold_solutions(capsys, tmp_path, monkeypatch):
    notebooks = lesson_folder(tmp_path)
    shutil.copy(FIXTURE / "tiny_lesson.ipynb", notebooks / "02_tiny.ipynb")
    monkeypatch.chdir(tmp_path / "repo")
    code, out, err = run(capsys, "links", "--repo", "https://github.com/someone/hlkit")
    assert code == 2 and out == "" and "still hold solutions" in err and "02_tiny.ipynb" in err
    code, out, err = run(capsys, "links", "--force", "--repo", "https://github.com/someone/hlkit")
    assert code == 0 and "WARNING" in err and "02_tiny.ipynb" in out
    rel.release([FIXTURE / "tiny_lesson.ipynb"], tmp_path / "student")
    shutil.copy(tmp_path / "student" / "tiny_lesson.ipynb", notebooks / "02_tiny.ipynb")   # a student copy: fine
    code, _, err = run(capsys, "links", "--repo", "https://github.com/someone/hlkit")
    assert code == 0 and err == ""


def test_links_without_repo_or_remote(capsys, tmp_path, monkeypatch):
    lesson_folder(tmp_path)
    monkeypatch.chdir(tmp_path / "repo")
    monkeypatch.setattr(cli, "_git_origin", lambda: None)
    code, _, err = run(capsys, "links")
    assert code == 2 and "--repo" in err


def test_python_dash_m_and_console_script(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["hlkit", "--help"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module("hlkit", run_name="__main__")   # what `python -m hlkit --help` runs, in this process
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and "release" in out and "validate" in out and "links" in out
    script = Path(sys.executable).parent / "hlkit"
    assert script.exists(), "the hlkit console script is not installed (pip install -e .)"
    assert "hlkit.cli" in script.read_text()


@pytest.mark.parametrize("text", ['{"cells": 5}', "not json", ""])
def test_a_damaged_notebook_is_one_line_naming_it(capsys, tmp_path, text):
    (tmp_path / "bad.ipynb").write_text(text)
    code, _, err = run(capsys, "validate", tmp_path / "bad.ipynb")
    assert code == 2 and err.count("\n") == 1 and "bad.ipynb" in err and "cannot read" in err
