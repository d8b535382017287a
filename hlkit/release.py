"""Student copies of instructor notebooks, and of the folders that hold them, with no answer left.

- ``student_copy(nb)``: a pure function, notebook in, new notebook out (the input is not changed).
- ``release(sources, dest)``: student copies of notebook files or folders, plus the files beside them,
  after scanning everything that would be written for solution markers, solution lines and answer values.
- ``student_readme()``: the README of a student repository (no answers, no link to the instructor's).

The exercise format (solution and check cells, marked regions) lives in ``hlkit.exercises``; running and
judging notebooks in ``hlkit.grading``; links in ``hlkit.links``. Their public names are importable from
here too, as they were before this module was split. Never imports torch or widgets.
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import nbformat

from .exercises import (  # noqa: F401  (re-exported: the exercise format, as before the split)
    HIDDEN_TEST_MARKERS,
    SOLUTION_MARKERS,
    TEXT_STUB,
    ReleaseError,
    bound_names,
    cell_name,
    exercises,
    has_marker,
    is_check_cell,
    is_solution_cell,
    nbgrader_meta,
    read_names,
    replace_region,
    source_of,
)
from .grading import (  # noqa: F401  (re-exported for callers of hlkit.release from before the split)
    UNSOLVED_ERRORS,
    CheckResult,
    Report,
    _error,
    is_student_copy,
    judge,
    notebooks_in,
    skipped_path,
    validate,
)
from .links import (  # noqa: F401  (re-exported, as above)
    LessonLink,
    binder_url,
    check_url,
    inside,
    lesson_links,
    nbgitpuller_url,
    notebook_title,
    repo_from_git,
)

CODE_STUB = ("# your code here", "raise NotImplementedError()")   # for a region inside a function or loop


# ---------------------------------------------------------------------------------------------------------
# Notebooks


def _not_answered_stub(number: int, names: Sequence[str]) -> list[str]:
    """A top-level solution region's stub: the answers set to None (so the check cell runs and says "not
    answered" instead of raising NameError) and one printed line, so Run All goes on."""
    return ["# your code here", *[f"{name} = None" for name in names],
            f'print("exercise {number} is not answered yet")']


def student_copy(nb, *, name: str = "notebook"):
    """A student copy of the nbformat notebook ``nb`` (a new notebook; ``nb`` is not changed).

    - a top-level solution region becomes ``# your code here``, one ``NAME = None`` per answer the later
      cells read, and ``print("exercise N is not answered yet")``, so Run All reaches the last cell; a
      region inside a function or loop becomes ``raise NotImplementedError()`` (nbgrader's stub); a
      markdown answer becomes "YOUR ANSWER HERE"; a solution cell without markers is replaced whole; lines
      outside the markers stay, indented like the marker;
    - hidden tests (``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN TESTS``) are removed;
    - every output and execution count is cleared, in every code cell; solution cells lose their
      attachments (a pasted image can hold the answer);
    - widget state (``metadata.widgets``) and execution timings are dropped;
    - solution cells become undeletable, check cells undeletable and read-only (as nbgrader does).

    ``name`` only labels errors. Raises ReleaseError for a malformed region, a region in a cell not marked
    as a solution (or, for hidden tests, a graded) cell, or nbgrader metadata that is not a dict.
    """
    original, nb = nb, copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        try:
            nbgrader_meta(cell)
        except ReleaseError as error:
            raise ReleaseError(f"{name}, cell {index + 1}: {error}") from None
    found = {exercise.solution: exercise for exercise in exercises(nb)}
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("celltoolbar", None)
    for index, cell in enumerate(nb.cells):
        where = f"{name}, {cell_name(cell, index)}"
        source = source_of(cell)
        exercise = found.get(index)
        try:
            source, hidden = replace_region(source, HIDDEN_TEST_MARKERS)
            if cell.cell_type != "code":
                stub = (TEXT_STUB,)
                source, solved = replace_region(source, SOLUTION_MARKERS, stub)
            else:
                source, solved = _stub_code(source, exercise)
        except ReleaseError as error:
            raise ReleaseError(f"{where}: {error}") from None
        if hidden and not nbgrader_meta(cell).get("grade"):
            raise ReleaseError(f"{where}: hidden tests in a cell that is not graded; "
                               "set its metadata nbgrader.grade to true (or remove the markers)")
        if solved and not is_solution_cell(cell):
            raise ReleaseError(f"{where}: a solution region in a cell that is not a solution cell; "
                               "set its metadata nbgrader.solution to true (or remove the markers)")
        if is_solution_cell(cell) and not solved:
            source = "\n".join(_not_answered_stub(exercise.number, exercise.answers) if cell.cell_type == "code"
                               and exercise else (TEXT_STUB,) if cell.cell_type != "code" else CODE_STUB)
        if is_solution_cell(cell):
            cell.pop("attachments", None)
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


def _stub_code(source: str, exercise) -> tuple[str, bool]:
    """A code cell's source with its solution regions stubbed: top-level regions by the "not answered"
    stub (answers bound by that region set to None), indented ones by nbgrader's."""
    kept, inside, found, region, indent = [], False, False, [], ""
    begin, end = SOLUTION_MARKERS
    for line in source.split("\n"):
        if begin in line:
            if inside:
                raise ReleaseError(f"a second '{begin}' line before '{end}'")
            inside = found = True
            region, indent = [], line[: len(line) - len(line.lstrip())]
        elif end in line:
            if not inside:
                raise ReleaseError(f"an '{end}' line without '{begin}' before it")
            inside = False
            if indent == "" and exercise is not None:
                names = [n for n in bound_names("\n".join(region)) if n in exercise.answers]
                kept.extend(_not_answered_stub(exercise.number, names))
            else:
                kept.extend(indent + stub_line for stub_line in CODE_STUB)
        elif inside:
            region.append(line)
        else:
            kept.append(line)
    if inside:
        raise ReleaseError(f"'{begin}' without a matching '{end}' line")
    return "\n".join(kept), found


def _stub_lines() -> set[str]:
    return {*CODE_STUB, TEXT_STUB, "", "# YOUR CODE HERE"}


def solution_lines(nb) -> set[str]:
    """The stripped, non-blank lines of ``nb``'s answers (solution regions, solution cells without
    markers) and hidden tests that appear nowhere else in its sources: what a student copy must not hold."""
    inside, outside = set(), set()
    for cell in nb.cells:
        source = source_of(cell)
        whole = is_solution_cell(cell) and not any(marker in source for marker in SOLUTION_MARKERS)
        rest = "" if whole else replace_region(source, SOLUTION_MARKERS)[0]
        rest = replace_region(rest, HIDDEN_TEST_MARKERS)[0]
        kept = {line.strip() for line in rest.split("\n")}
        inside |= {line.strip() for line in source.split("\n")} - kept
        outside |= kept
    return {line for line in inside - outside - _stub_lines() if not has_marker(line)}


def _texts(cell) -> list[str]:
    """Everything a cell shows or carries, as text: source, outputs, metadata, attachment names and data."""
    texts = [source_of(cell)]
    for output in cell.get("outputs", []):
        texts.append(json.dumps(output, ensure_ascii=False) if not isinstance(output, str) else output)
        texts += [str(output.get("text", "")), str(output.get("traceback", ""))]
        texts += [str(value) for value in (output.get("data") or {}).values()]
    texts.append(json.dumps(cell.get("metadata", {}), ensure_ascii=False, default=str))
    texts.append(json.dumps(cell.get("attachments", {}), ensure_ascii=False, default=str))
    return texts


def leaked_lines(instructor, student) -> list[str]:
    """The ``solution_lines`` of the ``instructor`` notebook that the ``student`` notebook still shows:
    as a line of a cell's source, or (lines of 8 characters or more) inside an output, the metadata or
    an attachment. Empty for a good student copy."""
    secret = solution_lines(instructor)
    leaks = []
    for index, cell in enumerate(student.cells):
        lines = {line.strip() for line in source_of(cell).split("\n")}
        others = _texts(cell)[1:]
        leaks += [f"{cell_name(cell, index)}: {line}" for line in sorted(secret)
                  if line in lines or (len(line) >= 8 and any(line in text for text in others))]
    notebook_meta = json.dumps(student.get("metadata", {}), ensure_ascii=False, default=str)
    leaks += [f"notebook metadata: {line}" for line in sorted(secret) if len(line) >= 8 and line in notebook_meta]
    return leaks


def marker_lines(nb) -> list[str]:
    """Every line of ``nb`` (sources, outputs, metadata, attachments) that holds a solution or hidden-test
    marker."""
    found = []
    for index, cell in enumerate(nb.cells):
        for text in _texts(cell):
            found += [f"{cell_name(cell, index)}: {line.strip()[:80]}" for line in text.split("\n")
                      if has_marker(line)]
    meta = json.dumps(nb.get("metadata", {}), ensure_ascii=False, default=str)
    found += [f"notebook metadata: {line.strip()[:80]}" for line in meta.split("\n") if has_marker(line)]
    return found


def value_patterns(value) -> list[tuple[str, re.Pattern]]:
    """How an answer's value could be written: (the form, a pattern finding it) for each number of it, as
    it prints, rounded to 3 or 4 decimals, or cut after 5 or more decimals. Trivial values are left out,
    since they appear everywhere for other reasons: whole numbers below 100 (layer sizes, shapes, counts)
    and decimals of 3 characters or fewer (0.5, 2.5)."""
    if value is None or isinstance(value, (bool, str)):
        return []
    patterns = []
    for v in [float(x) for x in _flat(value)]:
        if v == round(v):
            if abs(v) >= 100:
                patterns.append((str(int(v)), re.compile(rf"(?<![\w.]){int(v)}(?![\w])")))
            continue
        if len(repr(v)) <= 4:   # 0.5, -2.5: too common to mean anything
            continue
        forms = {form.rstrip("0") for form in (repr(v), f"{v:.4f}", f"{v:.3f}")}
        patterns += [(form, re.compile(rf"(?<![\w.]){re.escape(form)}(?!\d)")) for form in sorted(forms)
                     if len(form) > 4]
        whole, _, decimals = repr(abs(v)).partition(".")
        if len(decimals) > 4 and "e" not in decimals:   # more digits of it, cut anywhere after the 4th decimal
            cut = ("-" if v < 0 else "") + f"{whole}.{decimals[:4]}"
            patterns.append((cut + "...", re.compile(rf"(?<![\w.]){re.escape(cut)}\d")))
    return patterns


def _flat(value) -> list:
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flat(item)]
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def leaked_values(student, values: dict[str, object]) -> list[str]:
    """Where the student notebook still shows an answer's value (``values``: answer name -> value, as
    ``hlkit.grading.answer_values`` returns them): in any cell's source, outputs, metadata or attachments."""
    leaks = []
    for answer, value in values.items():
        for form, pattern in value_patterns(value):
            for index, cell in enumerate(student.cells):
                if any(pattern.search(text) for text in _texts(cell)):
                    leaks.append(f"{cell_name(cell, index)} shows {form}, the value of the answer {answer}")
    return leaks


# ---------------------------------------------------------------------------------------------------------
# Files


def _walk(src: Path, notes: list[str]) -> list[Path]:
    """Every file under ``src`` (skipping hidden and cache folders), following symlinked folders (each
    one followed is named in ``notes``; a loop or a broken link is refused)."""
    files, seen = [], {src.resolve()}
    for folder, dirs, names in os.walk(src, followlinks=True):
        folder = Path(folder)
        for d in list(dirs):
            path = folder / d
            if skipped_path(path.relative_to(src)):
                dirs.remove(d)
            elif path.is_symlink():
                target = path.resolve()
                if target in seen or inside(src.resolve(), target):
                    raise ReleaseError(f"SRC: the symlinked folder {str(path)!r} points back into "
                                       f"{str(target)!r} (a loop); remove the link or release its target")
                seen.add(target)
                notes.append(f"followed the symlinked folder {path} -> {target}: its files are copied")
        for n in names:
            path = folder / n
            if skipped_path(path.relative_to(src)):
                continue
            if path.is_symlink() and not path.exists():
                raise ReleaseError(f"SRC: {str(path)!r} is a broken symlink (it points to "
                                   f"{os.readlink(path)!r}); remove it or fix its target")
            files.append(path)
    return sorted(files)


def release_plan(sources: Sequence[str | os.PathLike], dest: str | os.PathLike,
                 notes: list[str] | None = None) -> list[tuple[Path, Path]]:
    """The (source file, target file) pairs ``release`` would write, after checking every argument.

    A folder source contributes every file under it (notebooks and data alike, symlinked folders
    followed and named in ``notes``) at the same relative path; a file source goes to the top of
    ``dest``. Raises ReleaseError naming SRC or DEST for a missing source, a DEST equal to or inside a
    source folder (or the folder of a source notebook), a DEST that is a file, or two sources that would
    land on the same target.
    """
    notes = [] if notes is None else notes
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
        if inside(dest, folder):
            where = ("the same folder as SRC" if src.is_dir() else "the folder of SRC") if dest == folder \
                else ("inside SRC" if src.is_dir() else "inside the folder of SRC")
            raise ReleaseError(f"DEST {str(dest)!r} is {where} {str(given)!r}: student copies would mix with "
                               "the instructor copies; choose a folder outside it, e.g. ../student")
        files = _walk(src, notes) if src.is_dir() else [src]
        for file in files:
            target = dest / file.relative_to(folder if src.is_dir() else src.parent)
            if target in plan.values():
                raise ReleaseError(f"SRC: two sources would both be written to {str(target)!r}")
            plan[file] = target
    originals = {file.resolve() for file in plan}
    for target in plan.values():
        if not inside(target.resolve(), dest):   # a symlinked folder under DEST pointing elsewhere
            raise ReleaseError(f"DEST: {str(target)!r} would be written outside DEST {str(dest)!r}")
        if target.resolve() in originals:
            raise ReleaseError(f"DEST: {str(target)!r} is one of the sources; it would be overwritten")
    if not any(file.suffix == ".ipynb" for file in plan):
        raise ReleaseError(f"SRC {', '.join(map(str, sources))}: no notebook (.ipynb) to release")
    return list(plan.items())


def _as_text(file: Path) -> str | None:
    """The file's text (HTML without its tags, entities decoded), or None for a binary file."""
    data = file.read_bytes()
    if b"\0" in data[:8192]:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if file.suffix.lower() in (".html", ".htm", ".xml", ".svg"):
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return text


def file_leaks(file: Path, secrets: set[str]) -> list[str]:
    """Why the text file ``file`` must not be handed out: lines holding solution or hidden-test markers,
    or lines of a solution (``secrets``, as ``solution_lines`` gives them). Empty for a clean or binary file."""
    text = _as_text(file)
    if text is None:
        return []
    lines = [line.strip() for line in text.split("\n")]
    found = [f"a marker line: {line[:80]}" for line in lines if has_marker(line)]
    found += [f"a line of a solution: {line[:80]}" for line in sorted(secrets) if line in lines
              or (len(line) >= 12 and line in text)]
    return found


def release(sources: Sequence[str | os.PathLike], dest: str | os.PathLike, *, force: bool = False,
            values: bool = False, timeout: int = 300, log: Callable[[str], None] | None = None) -> list[Path]:
    """Write student copies of ``sources`` (notebooks or folders of them) into ``dest``; return the
    files written. Files beside the notebooks are copied unchanged, after a scan: a text file that holds a
    solution marker or a solution line (a jupytext-paired ``.py``/``.md``, a ``solutions.py``, an exported
    ``.html``) is refused, naming it. Hidden files and folders (``.ipynb_checkpoints``) and ``__pycache__``
    are skipped; symlinked folders are followed (``log`` says which). Existing files in ``dest`` are replaced
    only with ``force=True``.

    With ``values=True`` every instructor notebook is first run in a kernel (``timeout`` seconds per cell)
    to learn its answers' values, and a student copy that still shows one anywhere (a number in prose or
    in non-solution code) is refused. Everything is checked before anything is written, so a refusal
    leaves ``dest`` as it was. The sources are only read.
    """
    say = log or (lambda message: None)
    notes: list[str] = []
    plan = release_plan(sources, dest, notes)
    for note in notes:
        say(note)
    existing = [target for _, target in plan if target.exists()]
    if existing and not force:
        raise ReleaseError(f"DEST already holds {existing[0]} (and {len(existing) - 1} more files); "
                           "pass --force (force=True) to replace them")
    copies, secrets = {}, set()
    for file, _ in plan:
        if file.suffix == ".ipynb":
            try:
                nb = nbformat.read(file, as_version=4)
            except Exception as error:   # nbformat raises several types for a damaged file
                raise ReleaseError(f"SRC: cannot read {str(file)!r} as a notebook: {error}") from None
            copies[file] = student_copy(nb, name=file.name)
            secrets |= solution_lines(nb)
            if values:
                from .grading import answer_values

                say(f"running {file.name} to learn its answers' values ...")
                leaks = leaked_values(copies[file], answer_values(nb, file.parent, timeout=timeout,
                                                                         name=file.name))
                if leaks:
                    raise ReleaseError(f"SRC {file.name}: the student copy would still show an answer: {leaks[0]}"
                                       f"{f' (and {len(leaks) - 1} more)' if len(leaks) > 1 else ''}; "
                                       "reword that cell so it does not state the answer")
    for file, _ in plan:
        if file not in copies:
            leaks = file_leaks(file, secrets)
            if leaks:
                raise ReleaseError(f"SRC: {str(file)!r} holds {leaks[0]}; it would hand out answers (a "
                                   "paired script, an export or a solutions file?): delete or move it, then "
                                   "release again")
    written = []
    for file, target in plan:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if file in copies:
                nbformat.write(copies[file], target)
            else:
                shutil.copy2(file, target)
        except OSError as error:
            raise ReleaseError(f"DEST: cannot write {str(target)!r}: {error.strerror or error}"
                               f"{f' ({len(written)} files written before it)' if written else ''}") from None
        written.append(target)
    return written


# ---------------------------------------------------------------------------------------------------------
# A student repository's README


def student_readme(notebooks: Sequence[str], *, title: str = "Hidden layers: lessons") -> str:
    """The README of a repository that holds student copies: what is in it and how to set it up, with
    no link to the instructor's repository and no answer. ``notebooks``: paths inside the repository."""
    lessons = "\n".join(f"- `{path}`" for path in notebooks)
    return f"""# {title}

The lessons of this course, as Jupyter notebooks, with the hlkit package they use. Each lesson ends
with exercises: write your answer where a cell says `# your code here`, run it, then run the check
cell below it. A check prints ✓ when your answer is right, or says what kind of mistake it sees.

## Set up (once)

You need Python 3.10 or newer. In a terminal, inside this folder:

```bash
python -m venv .venv
source .venv/bin/activate        # Windows: .venv\\Scripts\\activate
pip install torch --index-url https://download.pytorch.org/whl/cpu
pip install -e .
jupyter lab notebooks
```

If your course gives you a Binder or JupyterHub link, you need none of this: open the link.

## Lessons

{lessons}

Run each notebook from the top (*Run → Run All Cells*). An exercise you have not answered yet prints
"exercise N is not answered yet" and the rest of the lesson still runs. Save your work often and hand in
the notebooks the way your instructor asked.
"""
