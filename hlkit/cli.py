"""The ``hlkit`` command line, for instructors: release student copies, validate copies, print links.

    hlkit release SRC [SRC ...] DEST     student copies of notebooks (or folders) in DEST
    hlkit validate [PATHS ...]           run notebooks; instructor copies pass every check, student copies fail
    hlkit validate --instructor DIR      grade learners' notebooks with the source's check cells; grades.csv
    hlkit links --repo URL [--hub URL]   Binder and JupyterHub (nbgitpuller) links, one per lesson

Also ``python -m hlkit ...``. The work is done by ``hlkit.release`` (student copies), ``hlkit.grading``
(running and grading notebooks) and ``hlkit.links``; this file only parses and prints. Every error ends
in one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
from pathlib import Path

from . import grading, links
from . import release as rel

EPILOG = "Guide: docs/instructors.md in the hlkit repository."


def _release(args) -> int:
    dest = Path(args.dest) / "notebooks" if args.student_repo else Path(args.dest)
    readme = Path(args.dest) / "README.md"
    if args.student_repo and readme.exists() and not args.force:
        raise rel.ReleaseError(f"DEST already holds {readme}; pass --force to replace it")
    written = rel.release(args.src, dest, force=args.force, values=not args.skip_values, timeout=args.timeout,
                          log=lambda message: print(message, flush=True))
    notebooks = [path for path in written if path.suffix == ".ipynb"]
    for path in notebooks:
        print(f"student copy: {path}")
    if args.student_repo:
        root = Path(args.dest).resolve()
        readme.write_text(rel.student_readme([p.relative_to(root).as_posix() for p in notebooks]), encoding="utf-8")
        print(f"learners' README: {readme}")
    print(f"{len(notebooks)} student notebooks and {len(written) - len(notebooks)} other files written to "
          f"{dest.resolve()}" + ("" if args.skip_values else " (answer values scanned: none left)")
          + f"\nNext: hlkit validate --student {dest}")
    return 0


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def _validate(args) -> int:
    given = args.paths or ["notebooks"]
    if args.strict and not args.instructor:
        raise rel.ReleaseError("--strict: only with --instructor (it says how deleted check cells are graded)")
    paths = grading.notebooks_in(given)
    if args.instructor:
        return _grade(args, given, paths)
    student = True if args.student else None
    all_ok = True
    for path in paths:
        print(f"running {path} ...", flush=True)
        report = grading.validate(path, student=student, timeout=args.timeout)
        expected = "fails" if report.kind == "student" else "passes"
        rows = [("check", "expected", "got", "ok", "detail")]
        for check in report.checks:
            got = check.error or "passes"
            rows.append((check.name, expected, got, "ok" if check.ok else "WRONG", check.message))
        if report.checks:
            print(_table(rows))
        else:
            report.problems.append("no graded check cell: nothing was checked")
        for problem in report.problems:
            print(f"  problem: {problem}")
        n_ok = sum(check.ok for check in report.checks)
        verdict = "OK" if report.ok else "NOT OK"
        print(f"{verdict}: {path} ({report.kind} copy, {report.seconds:.1f} s): "
              f"{n_ok} of {len(report.checks)} graded checks {'fail' if report.kind == 'student' else 'pass'} "
              f"as expected" + (f", {len(report.problems)} other problems" if report.problems else "") + "\n")
        all_ok &= report.ok
    print("all notebooks behave as expected" if all_ok else "some notebooks do not behave as expected (see above)")
    return 0 if all_ok else 1


def _student_of(path: Path, given: list[str]) -> str:
    """The learner a submission belongs to: the first folder under the PATHS folder that holds it."""
    for folder in map(Path, given):
        if folder.is_dir() and folder.resolve() in path.resolve().parents:
            parts = path.resolve().relative_to(folder.resolve()).parts
            return parts[0] if len(parts) > 1 else folder.resolve().name
    return path.resolve().parent.name


def _grade(args, given: list[str], paths: list[Path]) -> int:
    source_dir = Path(args.source)
    if not source_dir.is_dir():
        raise rel.ReleaseError(f"--source: {str(args.source)!r} is not a folder; give the folder of the instructor "
                               "notebooks (with their check cells and hidden tests), e.g. --source notebooks")
    sources = {path.name: path for path in grading.notebooks_in([source_dir], argument="--source")}
    for path in paths:
        if path.name not in sources:
            raise rel.ReleaseError(f"--source: no instructor notebook named {path.name!r} in {str(source_dir)!r} "
                                   f"to grade {str(path)!r} with")
        if not links.holds_solutions(grading.read_notebook(sources[path.name], "--source")):
            raise rel.ReleaseError(f"--source: {str(sources[path.name])!r} is a student copy; grading needs the "
                                   "instructor notebooks (their check cells hold the hidden tests)")
    rows, problems = [], 0
    for path in paths:
        student = _student_of(path, given)
        print(f"grading {path} (learner {student}) ...", flush=True)
        report = grading.grade(path, sources[path.name], timeout=args.timeout, strict=args.strict)
        table = [("check", "points", "of", "result", "note", "detail")]
        for check in report.checks:
            table.append((check.name, f"{check.points:g}", f"{check.max_points:g}", "ok" if check.ok else "FAILED",
                          check.note, check.error + (": " if check.error and check.message else "") + check.message
                          if check.error else check.message))
            rows.append([student, path.name, check.name, check.points, check.max_points,
                         "passed" if check.ok else "failed", check.note])
        print(_table(table))
        for problem in report.problems:
            print(f"  problem: {problem}")
        problems += len(report.problems)
        print(f"{student} {path.name}: {report.score:g} of {report.max_score:g} points ({report.seconds:.1f} s)\n")
    totals: dict[str, list[float]] = {}
    for student, _, _, points, max_points, _, _ in rows:
        total = totals.setdefault(student, [0.0, 0.0])
        total[0] += points
        total[1] += max_points
    print(_table([("learner", "points", "of")] + [(s, f"{p:g}", f"{m:g}") for s, (p, m) in sorted(totals.items())]))
    out = Path(args.csv)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "notebook", "check", "points", "max_points", "result", "note"])
        writer.writerows(rows)
    print(f"grades written to {out.resolve()} (one row per learner, notebook and check)")
    unguarded = sorted({f"{row[1]} {row[2]}" for row in rows if "no hidden tests" in row[6]})
    if unguarded:
        print(f"warning: {len(unguarded)} check cells of the source have no hidden tests ({unguarded[0]}"
              f"{', ...' if len(unguarded) > 1 else ''}): their points come from hl.check alone, which a learner "
              "can replace; add hidden tests (docs/instructors.md, section 1)", file=sys.stderr)
    return 1 if problems else 0


def _git_origin() -> str | None:
    try:
        out = subprocess.run(["git", "remote", "get-url", "origin"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _links(args) -> int:
    repo = args.repo or _git_origin()
    if repo is None:
        raise rel.ReleaseError("--repo: give the repository's address, e.g. --repo https://github.com/OWNER/hlkit "
                               "(this folder has no git remote 'origin' to take it from)")
    notebooks = grading.notebooks_in([args.notebooks], argument="--notebooks")
    answered = [path for path in notebooks if links.holds_solutions(grading.read_notebook(path, "--notebooks"))]
    if answered:
        warning = (f"{len(answered)} of the notebooks still hold solutions ({answered[0]}"
                   f"{', ...' if len(answered) > 1 else ''}): these are instructor copies, and links to them hand "
                   "out the answers; link the student repository instead (hlkit release --student-repo)")
        if not args.force:
            raise rel.ReleaseError(f"--notebooks: {warning}; --force links them anyway")
        print(f"hlkit links: WARNING: {warning}", file=sys.stderr)
    found = links.lesson_links(notebooks, repo=repo, branch=args.branch, hub=args.hub, binder=args.binder)
    if args.markdown:
        print("| lesson | Binder |" + (" JupyterHub |" if args.hub else ""))
        print("|---|---|" + ("---|" if args.hub else ""))
        for link in found:
            name = link.title or Path(link.notebook).stem
            print(f"| {name} | [open]({link.binder}) |" + (f" [open]({link.hub}) |" if link.hub else ""))
        return 0
    for link in found:
        print(f"{Path(link.notebook).name}  {link.title}")
        print(f"  Binder:     {link.binder}")
        if link.hub:
            print(f"  JupyterHub: {link.hub}")
    return 0


def _seconds(text: str) -> int:
    """--timeout: a whole number of seconds greater than 0 (0 or less would mean no limit at all)."""
    try:
        return grading.check_timeout(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of seconds greater than 0; got {text!r}") from None


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="hlkit", description="hlkit for instructors: release, validate, links.",
                                  epilog=EPILOG)
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = commands.add_parser("release", help="write student copies (solutions, hidden tests and outputs removed)",
                            description="Write student copies of instructor notebooks: solution regions become "
                            "'raise NotImplementedError()' stubs, hidden tests and all outputs are removed; data "
                            "files beside the notebooks are copied. The instructor copies are only read.",
                            epilog=EPILOG)
    p.add_argument("src", nargs="+", metavar="SRC", help="instructor notebooks, or folders of them")
    p.add_argument("dest", metavar="DEST", help="folder for the student copies (outside every SRC folder)")
    p.add_argument("--force", action="store_true", help="replace files already in DEST")
    p.add_argument("--student-repo", action="store_true",
                   help="DEST is a student repository: copies go to DEST/notebooks, and DEST/README.md is a README "
                   "for learners (set-up commands, no answers, no link to this repository)")
    p.add_argument("--skip-values", action="store_true",
                   help="do not run the notebooks to scan the copies for answer values (faster, less safe)")
    p.add_argument("--timeout", type=_seconds, default=300,
                   help="seconds allowed per cell when running notebooks for the value scan (default 300)")
    p.set_defaults(run=_release)

    p = commands.add_parser("validate", help="run notebooks and check every graded exercise check",
                            description="Run each notebook in a fresh kernel. Instructor copies must pass every "
                            "graded check; student copies (told apart by their stubs, or forced with --student) "
                            "must fail every one. Exit code 0 when every notebook behaves as expected.",
                            epilog=EPILOG)
    p.add_argument("paths", nargs="*", metavar="PATHS", help="notebooks or folders (default: notebooks)")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--student", action="store_true", help="expect every check to fail (student copies)")
    kind.add_argument("--instructor", action="store_true",
                      help="grade: run each notebook with the check cells (and hidden tests) of the notebook of "
                      "the same name in --source, score every check, write --csv")
    p.add_argument("--source", default="notebooks",
                   help="with --instructor: folder of the instructor notebooks to grade with (default notebooks)")
    p.add_argument("--csv", default="grades.csv",
                   help="with --instructor: the CSV file to write (default grades.csv)")
    p.add_argument("--strict", action="store_true",
                   help="with --instructor: a check cell the learner deleted scores 0 (default: it is added back "
                   "and scored on the answers, as nbgrader does with add_missing_cells)")
    p.add_argument("--timeout", type=_seconds, default=300, help="seconds allowed per cell (default 300)")
    p.set_defaults(run=_validate)

    p = commands.add_parser("links", help="print Binder and JupyterHub (nbgitpuller) links, one per lesson",
                            description="Print, for every lesson notebook, a Binder link and (with --hub) an "
                            "nbgitpuller link for your JupyterHub. Run it from the repository root.",
                            epilog=EPILOG)
    p.add_argument("--hub", help="your JupyterHub's address, e.g. https://hub.example.edu (needs nbgitpuller)")
    p.add_argument("--repo", help="the repository's https address (default: this checkout's git remote origin)")
    p.add_argument("--branch", default="main", help="branch to open (default main)")
    p.add_argument("--binder", default="https://mybinder.org", help="BinderHub address (default mybinder.org)")
    p.add_argument("--notebooks", default="notebooks", help="folder of lesson notebooks (default notebooks)")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table (for a course page)")
    p.add_argument("--force", action="store_true", help="link notebooks that still hold solutions (warns)")
    p.set_defaults(run=_links)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError) as error:   # ReleaseError is a ValueError; both name the argument
        print(f"hlkit {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except BrokenPipeError:   # `hlkit links | head`: the reader left; not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (Python's recipe: no second error at exit)
        return 0
    except OSError as error:   # a file that cannot be read or written, a full disk, ...: one line, no traceback
        where = f" {error.filename!r}" if getattr(error, "filename", None) else ""
        print(f"hlkit {args.command}: error:{where} {error.strerror or _one_line(error)}", file=sys.stderr)
        return 1


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 400 else text[:397] + "..."


if __name__ == "__main__":
    sys.exit(main())
