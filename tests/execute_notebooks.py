"""Execute lesson notebooks top to bottom in a fresh kernel and save them in place, the way nbval checks them.

Usage: python tests/execute_notebooks.py [NOTEBOOK ...]   (default: every notebooks/*.ipynb)
Saves without widget state (plotly's widget bundle adds megabytes), prints each notebook's run time.
"""

import sys
import time
from pathlib import Path

import nbformat

from hlkit.grading import run

ROOT = Path(__file__).resolve().parent.parent


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    # hlkit's one way to run a notebook: a fresh kernel, no widget state, no nbclient stand-in for the Output
    # widget (under load it missed cells' replies); stops at the first error, which is then not saved
    problems = run(nb, path.parent, timeout=300, stop_at_error=True, name=path.name)
    if problems:
        raise SystemExit("\n".join(problems))
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)   # state an earlier save from JupyterLab may have left (plotly's adds megabytes)
    nbformat.write(nb, path)
    return seconds


def main(args):
    paths = [Path(a) for a in args] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    total = 0.0
    for path in paths:
        seconds = execute(path)
        total += seconds
        print(f"{path.name}: {seconds:.1f} s", flush=True)
    print(f"all {len(paths)} notebooks: {total:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
