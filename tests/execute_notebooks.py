"""Execute lesson notebooks top to bottom in a fresh kernel and save them in place, the way nbval checks them.

Usage: python tests/execute_notebooks.py [NOTEBOOK ...]   (default: every notebooks/*.ipynb)
Saves without widget state (plotly's widget bundle adds megabytes), prints each notebook's run time.
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    # store_widget_state=False crashes nbclient (KeyError) on widgets that print into an Output area, so the
    # state is recorded while running and dropped before saving: the saved file holds no widget state
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                   store_widget_state=True).execute()
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
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
