"""The Playground as a learner sees it: real JupyterLab and the Voila lecture page in Debian's Chromium (Playwright).

For each page and problem: press the width slider's right arrow, then read the live view's paint log (view.js keeps
[performance.now(), frame, status line] per paint) to get
- slider -> first changed boundary: the first paint of the new network (its parameter count in the status line);
- slider -> converged boundary: the first paint of the new network's finished run ("(done)");
- live repaints per second while that run trained, and the browser's CPU (all Chromium processes, % of one core);
- a final-frame check: the painted boundary read back from the canvas against the same run computed in the kernel.
Each is measured idle and with a CPU burner (one busy process) beside it. Used by run.py (`--only browser`);
alone: python benchmarks/browser.py.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

import labdriver as drv  # noqa: E402
import servers  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
PROBLEMS = {"default (circle, [4,2])": "hl.Playground()",
            "spiral 6x8": 'hl.Playground("spiral", hidden=[8] * 6)'}
TARGETS = {"default": ("<= 100 ms", "<= 0.5 s", ">= 30 fps"), "spiral": ("<= 100 ms", "<= 1.5 s", ">= 15 fps")}
LOG_JS = "() => { const r = document.querySelector('.hl-live'); return r ? r.parentElement.hlParts.log : []; }"


def notebook(source: str) -> dict:
    return {"cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [],
                       "source": f"import hlkit as hl\n\n{source}"}],
            "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                        "name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}


def cpu_seconds(profile: str) -> float:
    """utime + stime of every Chromium process of this profile (and its children: renderer, GPU, utility)."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = set(servers.processes_mentioning(profile))
    for entry in Path("/proc").iterdir():   # renderers do not carry the profile path: take children too
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) in pids:
                pids.add(int(entry.name))
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except OSError:
            pass
    return total


def one_change(page, profile: str) -> dict:
    """Press the width slider once; timings from the paint log, CPU over the run, the final-frame check."""
    drv.wait_settled(page)
    before = drv.status_numbers(page)
    depth, width = int(drv.readout(page, "hidden layers")), int(drv.readout(page, "neurons/layer"))
    import hlkit as hl

    params = hl.n_params(hl.mlp(hl.models.hidden_sizes(depth, width + 1)))
    if params == before["params"]:
        raise RuntimeError("the width change does not change the parameter count")
    cpu0, wall0 = cpu_seconds(profile), time.monotonic()
    start = page.evaluate("() => performance.now()")
    drv.press(page, drv.slider(page, "neurons/layer").locator(".noUi-handle"), "ArrowRight")
    drv.wait_until(lambda: (lambda s: s.get("params") == params and s["state"] != "training")(drv.status_numbers(page)),
                   120, "the new network's run to end", interval=0.05)
    cpu = (cpu_seconds(profile) - cpu0) / (time.monotonic() - wall0)
    log = [entry for entry in page.evaluate(LOG_JS) if entry[0] >= start]
    new = [(t - start, text) for t, _, text in log if f"{params:,} parameters" in text]
    training = [t for t, text in new if "(training)" in text]
    done = next(t for t, text in new if "(done)" in text)
    fps = (len(training) - 1) / ((training[-1] - training[0]) / 1000) if len(training) > 2 else float("nan")
    # the final frame against the same run computed in the kernel
    shown, text = drv.painted_boundary(page)
    status = drv.status_numbers(page)
    settings = {"dataset": "spiral", "hidden": [width + 1] * depth} if depth == 6 else {"hidden": [width + 1] * depth}
    pg = hl.Playground(live=False, epochs=status["epoch"], **settings)
    want = hl.viz.boundary_image(pg.grid.proba)
    pg.close()
    return {"first": new[0][0] / 1000, "done": done / 1000, "fps": fps, "cpu": cpu,
            "match": bool(shown is not None and abs(shown.astype(int) - want).max() <= 1 and text == status["text"])}


def measure(page, profile: str, repeat: int) -> list[dict]:
    results = []
    for i in range(repeat):
        if i % 2:   # alternate: up, then down again, so the network stays near the problem's own
            import hlkit as hl

            depth, width = int(drv.readout(page, "hidden layers")), int(drv.readout(page, "neurons/layer"))
            drv.press(page, drv.slider(page, "neurons/layer").locator(".noUi-handle"), "ArrowLeft", times=2)
            params = hl.n_params(hl.mlp(hl.models.hidden_sizes(depth, width - 2)))
            # the runs of these presses must be over before the next measurement starts
            drv.wait_until(lambda p=params: (lambda s: s.get("params") == p and s["state"] != "training")(
                drv.status_numbers(page)), 120, "the runs after stepping back", interval=0.05)
        results.append(one_change(page, profile))
    return results


def rows_for(label: str, where: str, load: str, results: list[dict]) -> list[tuple[str, str, str]]:
    kind = "spiral" if "spiral" in label else "default"
    first, done, fps = TARGETS[kind]

    def med(key, scale=1.0, unit="", digits=2):
        values = [r[key] * scale for r in results if r[key] == r[key]]
        if not values:
            return "n/a"
        return f"{statistics.median(values):.{digits}f}{unit} ({min(values):.{digits}f}-{max(values):.{digits}f})"

    name = f"{where}, {label}, {load}"
    return [(f"browser: width slider -> first changed boundary, {name}", med("first", 1000, " ms", 0), first),
            (f"browser: width slider -> converged boundary on screen, {name}", med("done", 1, " s"), done),
            (f"browser: live repaints per second, {name}", med("fps", 1, " fps", 1), fps),
            (f"browser: Chromium CPU while it trains and paints, {name}", med("cpu", 100, " % of a core", 0),
             "<= 50 %"),
            (f"browser: final painted boundary = the kernel's, {name}",
             f"{sum(r['match'] for r in results)} of {len(results)}", "all")]


def run(repeat: int = 3) -> list[tuple[str, str, str]]:
    from playwright.sync_api import sync_playwright

    rows = []
    home = Path(tempfile.mkdtemp(prefix="hlkit-bench-"))
    burner = None
    try:
        root = home / "root"
        root.mkdir()
        for i, source in enumerate(PROBLEMS.values()):
            (root / f"problem{i}.ipynb").write_text(json.dumps(notebook(source)))
        lab = servers.start_lab(root, home / "lab")
        voila = [servers.start_voila(root / f"problem{i}.ipynb", home / f"voila{i}") for i in range(len(PROBLEMS))]
        profile = str(home / "chromium-profile")
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(profile, executable_path=str(drv.CHROMIUM), headless=True,
                                                           args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900})
            context.set_default_timeout(120_000)
            for load in ("idle", "with a CPU burner"):
                if load != "idle":
                    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for i, label in enumerate(PROBLEMS):
                    page = drv.new_tab(context)
                    drv.open_notebook(page, lab, f"problem{i}.ipynb")
                    drv.restart_and_run_all(page)
                    rows += rows_for(label, "JupyterLab", load, measure(page, profile, repeat))
                    page.close()
                    for session in lab.api("/api/sessions"):   # shut the kernel down: both cores for the next
                        request = urllib.request.Request(f"{lab.url}/api/sessions/{session['id']}", method="DELETE",
                                                         headers={"Authorization": f"token {lab.token}"})
                        urllib.request.urlopen(request, timeout=10).read()  # noqa: S310 (loopback only)
                    page = drv.new_tab(context)
                    page.goto(f"{voila[i].url}/", timeout=180_000)
                    drv.wait_until(lambda page=page: drv.status_numbers(page), 180, "the Voila page's Playground")
                    rows += rows_for(label, "Voila", load, measure(page, profile, repeat))
                    page.close()
                if burner is not None:
                    burner.kill()
                    burner.wait()
                    burner = None
            context.close()
        for server in (lab, *voila):
            server.stop()
    finally:
        if burner is not None:
            burner.kill()
        shutil.rmtree(home, ignore_errors=True)
    return rows


if __name__ == "__main__":
    for row in run(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        print(" | ".join(row), flush=True)
