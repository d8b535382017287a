"""Preparing lessons for a class: student copies, a check that both copies behave, links to hand out.

The exercise format is nbgrader's: a solution cell (metadata ``nbgrader.solution``) holds its answer between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` lines; the graded check cell after it (``nbgrader.grade``,
not a solution) calls an ``hl.check`` function and may hold hidden tests between ``### BEGIN HIDDEN TESTS``
and ``### END HIDDEN TESTS``. Markers are found the way nbgrader finds them (the words anywhere in a line),
so a notebook that hlkit accepts is one that ``nbgrader generate_assignment`` accepts, and the student copies
match line for line (only the stub comment's case differs).

- ``student_copy(nb)``: a pure function, notebook in, new notebook out (the input is not changed).
- ``release(sources, dest)``: student copies of notebook files or folders, plus the data files beside them.
- ``validate(path)``: run a notebook in a fresh kernel; instructor copies must pass every graded check,
  student copies must fail every one (nbgrader's ``validate`` and ``validate --invert``).
- ``lesson_links(notebooks, repo=..., hub=...)``: Binder and nbgitpuller links, one per lesson.

Never imports torch or widgets: executing a notebook happens in its own kernel.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import nbformat

CODE_STUB = ("# your code here", "raise NotImplementedError()")
TEXT_STUB = "YOUR ANSWER HERE"
SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_TEST_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# the errors a graded check of an unsolved exercise ends in: the stub itself, a failed check
# (hl.check's CheckFailed is an AssertionError), or an answer variable the stub never defined
UNSOLVED_ERRORS = ("NotImplementedError", "AssertionError", "CheckFailed", "NameError")
SKIPPED_PARTS = ("__pycache__",)   # plus every name starting with "." (.ipynb_checkpoints, .git)


class ReleaseError(ValueError):
    """A notebook or an argument that cannot be released; the message names it and says what to change."""


# ---------------------------------------------------------------------------------------------------------
# Cells


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_solution_cell(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_check_cell(cell) -> bool:
    """A graded test cell: code, ``grade`` true, not itself a solution (nbgrader's "autograder tests")."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def cell_name(cell, index: int) -> str:
    """The cell's nbgrader ``grade_id`` if it has one, else ``cell N`` (N counts from 1, as in the Lab)."""
    return nbgrader_meta(cell).get("grade_id") or f"cell {index + 1}"


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


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


def has_marker(source: str) -> bool:
    return any(marker in source for marker in SOLUTION_MARKERS + HIDDEN_TEST_MARKERS)


# ---------------------------------------------------------------------------------------------------------
# Notebooks


def student_copy(nb, *, name: str = "notebook"):
    """A student copy of the nbformat notebook ``nb`` (a new notebook; ``nb`` is not changed).

    - each solution region becomes ``# your code here`` + ``raise NotImplementedError()`` (markdown:
      "YOUR ANSWER HERE"), indented like its ``### BEGIN SOLUTION`` line; a solution cell without
      markers is replaced whole; lines outside the markers stay;
    - hidden tests (``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN TESTS``) are removed;
    - every output and execution count is cleared, in every code cell: a figure or a printed number
      after an exercise can give its answer away, and students run the notebook anyway;
    - widget state (``metadata.widgets``) and execution timings are dropped;
    - solution cells become undeletable, check cells undeletable and read-only (as nbgrader does).

    ``name`` only labels errors. Raises ReleaseError for a malformed region, or for a region in a cell
    that is not marked as a solution (or, for hidden tests, a graded) cell: nbgrader refuses those too.
    """
    original, nb = nb, copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("celltoolbar", None)
    for index, cell in enumerate(nb.cells):
        where = f"{name}, {cell_name(cell, index)}"
        source = _source(cell)
        try:
            source, hidden = replace_region(source, HIDDEN_TEST_MARKERS)
            stub = CODE_STUB if cell.cell_type == "code" else (TEXT_STUB,)
            source, solved = replace_region(source, SOLUTION_MARKERS, stub)
        except ReleaseError as error:
            raise ReleaseError(f"{where}: {error}") from None
        if hidden and not nbgrader_meta(cell).get("grade"):
            raise ReleaseError(f"{where}: hidden tests in a cell that is not graded; "
                               "set its metadata nbgrader.grade to true (or remove the markers)")
        if solved and not is_solution_cell(cell):
            raise ReleaseError(f"{where}: a solution region in a cell that is not a solution cell; "
                               "set its metadata nbgrader.solution to true (or remove the markers)")
        if is_solution_cell(cell) and not solved:
            source = "\n".join(stub)
        cell.source = source
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if is_solution_cell(cell) or nbgrader_meta(cell).get("grade") or nbgrader_meta(cell).get("locked"):
            cell.metadata["deletable"] = False
            if not is_solution_cell(cell):
                cell.metadata["editable"] = False
    # cannot happen with the code above; a last guard because a leaked answer is the one unforgivable bug
    leaks = marker_lines(nb) + leaked_lines(original, nb)
    if leaks:
        raise ReleaseError(f"{name}: the student copy would still show a solution: {leaks[0]}")
    return nb


def solution_lines(nb) -> set[str]:
    """The stripped, non-blank lines of ``nb``'s answers (solution regions, solution cells without
    markers) and hidden tests that appear nowhere else in its sources: what a student copy must not hold."""
    inside, outside = set(), set()
    for cell in nb.cells:
        source = _source(cell)
        whole = is_solution_cell(cell) and not any(marker in source for marker in SOLUTION_MARKERS)
        rest = "" if whole else replace_region(source, SOLUTION_MARKERS)[0]
        rest = replace_region(rest, HIDDEN_TEST_MARKERS)[0]
        kept = {line.strip() for line in rest.split("\n")}
        inside |= {line.strip() for line in source.split("\n")} - kept
        outside |= kept
    return {line for line in inside - outside - set(CODE_STUB) - {TEXT_STUB, ""} if not has_marker(line)}


def leaked_lines(instructor, student) -> list[str]:
    """The ``solution_lines`` of the ``instructor`` notebook that the ``student`` notebook still shows:
    as a line of a cell's source, or (lines of 8 characters or more) inside an output. Empty for a good
    student copy."""
    secret = solution_lines(instructor)
    leaks = []
    for index, cell in enumerate(student.cells):
        lines = {line.strip() for line in _source(cell).split("\n")}
        outputs = [str(output) for output in cell.get("outputs", [])]
        leaks += [f"{cell_name(cell, index)}: {line}" for line in sorted(secret)
                  if line in lines or (len(line) >= 8 and any(line in text for text in outputs))]
    return leaks


def marker_lines(nb) -> list[str]:
    """Every line of ``nb`` (sources and outputs) that holds a solution or hidden-test marker."""
    found = []
    for index, cell in enumerate(nb.cells):
        texts = [_source(cell)]
        for output in cell.get("outputs", []):
            texts.append(str(output.get("text", "")) + str(output.get("data", "")) + str(output.get("traceback", "")))
        for text in texts:
            found += [f"{cell_name(cell, index)}: {line.strip()}" for line in text.split("\n") if has_marker(line)]
    return found


def is_student_copy(nb) -> bool:
    """True if ``nb`` has solution cells and none of them still holds an answer (no markers, only stubs)."""
    solutions = [cell for cell in nb.cells if is_solution_cell(cell)]
    if not solutions or any(has_marker(_source(cell)) for cell in nb.cells):
        return False
    return all(CODE_STUB[1] in _source(cell) or TEXT_STUB in _source(cell) for cell in solutions)


# ---------------------------------------------------------------------------------------------------------
# Files


def _skipped(relative: Path) -> bool:
    return any(part.startswith(".") or part in SKIPPED_PARTS for part in relative.parts)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def release_plan(sources: Sequence[str | os.PathLike], dest: str | os.PathLike) -> list[tuple[Path, Path]]:
    """The (source file, target file) pairs ``release`` would write, after checking every argument.

    A folder source contributes every file under it (notebooks and data alike) at the same relative path;
    a file source goes to the top of ``dest``. Raises ReleaseError naming SRC or DEST for a missing
    source, a DEST equal to or inside a source folder (or the folder of a source notebook), a DEST that
    is a file, or two sources that would land on the same target.
    """
    if not sources:
        raise ReleaseError("SRC: give at least one notebook or folder to release")
    dest = Path(dest).resolve()
    if dest.exists() and not dest.is_dir():
        raise ReleaseError(f"DEST must be a folder; {str(dest)!r} is a file")
    plan: dict[Path, Path] = {}
    for given in sources:
        src = Path(given).resolve()
        if not src.exists():
            raise ReleaseError(f"SRC {str(given)!r} does not exist")
        if src.is_file() and src.suffix != ".ipynb":
            raise ReleaseError(f"SRC {str(given)!r} is not a notebook (.ipynb) or a folder")
        folder = src if src.is_dir() else src.parent
        if _inside(dest, folder):
            where = ("the same folder as SRC" if src.is_dir() else "the folder of SRC") if dest == folder \
                else ("inside SRC" if src.is_dir() else "inside the folder of SRC")
            raise ReleaseError(f"DEST {str(dest)!r} is {where} {str(given)!r}: student copies would mix with "
                               "the instructor copies; choose a folder outside it, e.g. ../student")
        files = sorted(p for p in src.rglob("*") if p.is_file() and not _skipped(p.relative_to(src))) \
            if src.is_dir() else [src]
        for file in files:
            target = dest / file.relative_to(folder if src.is_dir() else src.parent)
            if target in plan.values():
                raise ReleaseError(f"SRC: two sources would both be written to {str(target)!r}")
            plan[file] = target
    originals = set(plan)
    for target in plan.values():
        if not _inside(target.resolve(), dest):   # a symlinked folder under DEST pointing elsewhere
            raise ReleaseError(f"DEST: {str(target)!r} would be written outside DEST {str(dest)!r}")
        if target.resolve() in originals:
            raise ReleaseError(f"DEST: {str(target)!r} is one of the sources; it would be overwritten")
    if not any(file.suffix == ".ipynb" for file in plan):
        raise ReleaseError(f"SRC {', '.join(map(str, sources))}: no notebook (.ipynb) to release")
    return list(plan.items())


def release(sources: Sequence[str | os.PathLike], dest: str | os.PathLike, *, force: bool = False) -> list[Path]:
    """Write student copies of ``sources`` (notebooks or folders of them) into ``dest``; return the
    files written. Data files beside the notebooks are copied unchanged; hidden files and folders
    (``.ipynb_checkpoints``) and ``__pycache__`` are skipped. Existing files in ``dest`` are replaced
    only with ``force=True``. Every notebook is converted before anything is written, so a malformed
    notebook leaves ``dest`` as it was. The sources are only read.
    """
    plan = release_plan(sources, dest)
    existing = [target for _, target in plan if target.exists()]
    if existing and not force:
        raise ReleaseError(f"DEST already holds {existing[0]} (and {len(existing) - 1} more files); "
                           "pass --force (force=True) to replace them")
    copies = {}
    for file, _ in plan:
        if file.suffix == ".ipynb":
            try:
                nb = nbformat.read(file, as_version=4)
            except Exception as error:   # nbformat raises several types for a damaged file
                raise ReleaseError(f"SRC: cannot read {str(file)!r} as a notebook: {error}") from None
            copies[file] = student_copy(nb, name=file.name)
    for file, target in plan:
        target.parent.mkdir(parents=True, exist_ok=True)
        if file in copies:
            nbformat.write(copies[file], target)
        else:
            shutil.copy2(file, target)
    return [target for _, target in plan]


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


@dataclass
class Report:
    """What ``validate`` found in one notebook. ``ok`` says whether it behaved as ``expected``."""

    path: Path
    kind: str                 # "instructor" or "student"
    seconds: float
    checks: list[CheckResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # errors outside the checks, a dead kernel, ...

    @property
    def ok(self) -> bool:
        return not self.problems and all(check.ok for check in self.checks)


def _first_line(text: str, limit: int = 90) -> str:
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


def validate(path: str | os.PathLike, *, student: bool | None = None, timeout: int = 300,
             kernel_name: str = "python3") -> Report:
    """Run the notebook at ``path`` top to bottom in a fresh kernel (errors do not stop the run; nothing
    is saved), then ``judge`` it. ``student=None`` tells the kinds apart by their solution cells (stubs
    only: a student copy). ``timeout`` is in seconds per cell.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    student = is_student_copy(nb) if student is None else student
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, allow_errors=True,
                            interrupt_on_timeout=True, store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    problems = []
    try:
        client.execute()
    except DeadKernelError as error:
        problems.append(f"the kernel died: {_first_line(error)}")
    report = judge(nb, student=student, path=path, seconds=time.perf_counter() - start)
    report.problems[:0] = problems
    return report


def judge(nb, *, student: bool, path: str | os.PathLike = "notebook.ipynb", seconds: float = 0.0) -> Report:
    """The verdict on an executed notebook ``nb`` (outputs in place, as nbclient leaves them).

    An instructor copy (``student=False``) must hold no error anywhere, so every graded check passes.
    A student copy must fail every graded check with NotImplementedError, AssertionError (hl.check's
    CheckFailed) or NameError, and hold no error before its first solution cell (a broken setup).
    """
    report = Report(Path(path), "student" if student else "instructor", seconds)
    first_solution = next((i for i, cell in enumerate(nb.cells) if is_solution_cell(cell)), len(nb.cells))
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        error = _error(cell)
        if is_check_cell(cell):
            if error is None:
                report.checks.append(CheckResult(cell_name(cell, index), index, "", _printed(cell), not student))
            else:
                ok = student and error[0] in UNSOLVED_ERRORS
                report.checks.append(CheckResult(cell_name(cell, index), index, error[0], error[1], ok))
        elif error is not None and (not student or index < first_solution):
            report.problems.append(f"{cell_name(cell, index)} failed: " + ": ".join(filter(None, error)))
    return report


def notebooks_in(paths: Iterable[str | os.PathLike], *, argument: str = "PATHS") -> list[Path]:
    """The notebooks named by ``paths`` (files, or folders searched recursively), sorted, without
    checkpoints. Raises ReleaseError naming ``argument`` and a path that does not exist or holds no notebook."""
    found = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inner = sorted(p for p in path.rglob("*.ipynb") if not _skipped(p.relative_to(path)))
            if not inner:
                raise ReleaseError(f"{argument}: folder {str(given)!r} holds no notebook (.ipynb)")
            found += inner
        elif path.is_file() and path.suffix == ".ipynb":
            found.append(path)
        else:
            raise ReleaseError(f"{argument}: {str(given)!r} is neither a notebook (.ipynb) nor a folder")
    return found


# ---------------------------------------------------------------------------------------------------------
# Links to hand out


@dataclass(frozen=True)
class LessonLink:
    notebook: str          # path inside the repository, e.g. "notebooks/01_what_a_hidden_layer_does.ipynb"
    title: str
    binder: str
    hub: str | None


def check_url(name: str, url: str) -> str:
    """``url`` without a trailing slash, or ValueError naming ``name`` unless it is an http(s) URL with a host."""
    if not isinstance(url, str):
        raise TypeError(f"{name} must be a URL (str); got {type(url).__name__} instead")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be a web address starting with http:// or https://, e.g. "
                         f"https://github.com/OWNER/REPO; got {url!r} instead")
    if parts.query or parts.fragment:
        raise ValueError(f"{name} must be a plain address without '?' or '#' parts; got {url!r} instead")
    return url.strip().rstrip("/")


def repo_from_git(url: str) -> str:
    """An https address for a git remote: ``git@github.com:owner/repo.git`` -> ``https://github.com/owner/repo``."""
    match = re.fullmatch(r"(?:ssh://)?git@([^:/]+)[:/](.+?)(?:\.git)?/?", url.strip())
    if match:
        return f"https://{match.group(1)}/{match.group(2)}"
    return re.sub(r"\.git/?$", "", url.strip())


def binder_url(repo: str, notebook: str, *, branch: str = "main", binder: str = "https://mybinder.org") -> str:
    """A Binder link that builds ``repo`` at ``branch`` (from its binder/ folder) and opens ``notebook``
    (a path inside the repository) in JupyterLab. GitHub and GitLab repositories get their short form,
    any other git host the generic ``/v2/git/`` one."""
    repo, binder = check_url("repo", repo), check_url("binder", binder)
    host, path = urlsplit(repo).netloc.lower(), urlsplit(repo).path.strip("/")
    path = re.sub(r"\.git$", "", path)
    ref = quote(branch, safe="")
    if host == "github.com" and path.count("/") == 1:
        spec = f"gh/{path}/{ref}"
    elif host == "gitlab.com":
        spec = f"gl/{quote(path, safe='')}/{ref}"
    else:
        spec = f"git/{quote(repo, safe='')}/{ref}"
    return f"{binder}/v2/{spec}?" + urlencode({"urlpath": f"lab/tree/{notebook}"}, quote_via=quote, safe="")


def nbgitpuller_url(hub: str, repo: str, notebook: str, *, branch: str = "main") -> str:
    """An nbgitpuller link: opening it on the JupyterHub ``hub`` clones (first time) or merges (later)
    ``repo`` into the user's home as a folder named like the repository, then opens ``notebook`` (a path
    inside the repository) in JupyterLab. The hub must have nbgitpuller installed."""
    hub, repo = check_url("hub", hub), check_url("repo", repo)
    hub = re.sub(r"/hub$", "", hub)
    folder = re.sub(r"\.git$", "", urlsplit(repo).path.rstrip("/").split("/")[-1])
    query = urlencode({"repo": repo, "urlpath": f"lab/tree/{folder}/{notebook}", "branch": branch},
                      quote_via=quote, safe="")
    return f"{hub}/hub/user-redirect/git-pull?{query}"


def notebook_title(nb) -> str:
    """The first markdown heading of ``nb`` (without the #s), or "" if it has none."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in _source(cell).split("\n"):
                if line.lstrip().startswith("#"):
                    return line.lstrip("# ").strip()
    return ""


def lesson_links(notebooks: Iterable[str | os.PathLike], *, repo: str, branch: str = "main",
                 hub: str | None = None, binder: str = "https://mybinder.org",
                 root: str | os.PathLike = ".") -> list[LessonLink]:
    """One ``LessonLink`` per notebook: its Binder link and, with ``hub``, its nbgitpuller link.

    ``notebooks`` are files inside the repository checkout at ``root``; their paths relative to ``root``
    are the paths in the links. ``repo`` is the repository's https address; ``branch`` the one to open.
    """
    repo = check_url("repo", repo_from_git(repo) if isinstance(repo, str) else repo)
    if not isinstance(branch, str) or not re.fullmatch(r"[\w./-]+", branch) or ".." in branch:
        raise ValueError(f"branch must be a git branch name such as 'main'; got {branch!r} instead")
    if hub is not None:
        check_url("hub", hub)
    root = Path(root).resolve()
    links = []
    for given in notebooks:
        path = Path(given).resolve()
        if not _inside(path, root):
            raise ValueError(f"notebooks must lie inside the repository checkout {str(root)!r}; "
                             f"got {str(given)!r} (run hlkit links from the repository root)")
        relative = path.relative_to(root).as_posix()
        title = notebook_title(nbformat.read(path, as_version=4)) if path.exists() else ""
        links.append(LessonLink(relative, title, binder_url(repo, relative, branch=branch, binder=binder),
                                nbgitpuller_url(hub, repo, relative, branch=branch) if hub else None))
    return links
