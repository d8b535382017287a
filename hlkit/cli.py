"""The ``hlkit`` command line, for instructors: release student copies, validate copies, print links.

    hlkit release SRC [SRC ...] DEST     student copies of notebooks (or folders) in DEST
    hlkit validate [PATHS ...]           run notebooks; instructor copies pass every check, student copies fail
    hlkit links --repo URL [--hub URL]   Binder and JupyterHub (nbgitpuller) links, one per lesson

Also ``python -m hlkit ...``. The work is done by ``hlkit.release``; this file only parses and prints.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from . import release as rel

EPILOG = "Guide: docs/instructors.md in the hlkit repository."


def _release(args) -> int:
    written = rel.release(args.src, args.dest, force=args.force)
    notebooks = [path for path in written if path.suffix == ".ipynb"]
    for path in notebooks:
        print(f"student copy: {path}")
    print(f"{len(notebooks)} student notebooks and {len(written) - len(notebooks)} other files written to "
          f"{Path(args.dest).resolve()}\nNext: hlkit validate --student {args.dest}")
    return 0


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def _validate(args) -> int:
    paths = rel.notebooks_in(args.paths or ["notebooks"])
    student = True if args.student else False if args.instructor else None
    all_ok = True
    for path in paths:
        print(f"running {path} ...", flush=True)
        report = rel.validate(path, student=student, timeout=args.timeout)
        expected = "fails" if report.kind == "student" else "passes"
        rows = [("check", "expected", "got", "ok", "detail")]
        for check in report.checks:
            got = check.error or "passes"
            rows.append((check.name, expected, got, "ok" if check.ok else "WRONG", check.message))
        if report.checks:
            print(_table(rows))
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
    notebooks = rel.notebooks_in([args.notebooks], argument="--notebooks")
    links = rel.lesson_links(notebooks, repo=repo, branch=args.branch, hub=args.hub, binder=args.binder)
    if args.markdown:
        print("| lesson | Binder |" + (" JupyterHub |" if args.hub else ""))
        print("|---|---|" + ("---|" if args.hub else ""))
        for link in links:
            name = link.title or Path(link.notebook).stem
            print(f"| {name} | [open]({link.binder}) |" + (f" [open]({link.hub}) |" if link.hub else ""))
        return 0
    for link in links:
        print(f"{Path(link.notebook).name}  {link.title}")
        print(f"  Binder:     {link.binder}")
        if link.hub:
            print(f"  JupyterHub: {link.hub}")
    return 0


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
    p.set_defaults(run=_release)

    p = commands.add_parser("validate", help="run notebooks and check every graded exercise check",
                            description="Run each notebook in a fresh kernel. Instructor copies must pass every "
                            "graded check; student copies (told apart by their stubs, or forced with --student) "
                            "must fail every one. Exit code 0 when every notebook behaves as expected.",
                            epilog=EPILOG)
    p.add_argument("paths", nargs="*", metavar="PATHS", help="notebooks or folders (default: notebooks)")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--student", action="store_true", help="expect every check to fail (student copies)")
    kind.add_argument("--instructor", action="store_true", help="expect every check to pass (instructor copies)")
    p.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell (default 300)")
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
    p.set_defaults(run=_links)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError) as error:   # ReleaseError is a ValueError; both name the argument
        print(f"hlkit {args.command}: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:   # `hlkit links | head`: the reader left; not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (Python's recipe: no second error at exit)
        return 0


if __name__ == "__main__":
    sys.exit(main())
