"""The Playground as a learner sees it: real JupyterLab and the Voila lecture page in Debian's Chromium (Playwright).

For each page and problem: press the width slider's right arrow, then read the live view's paint log (view.js keeps
[performance.now(), frame, status line] per paint) to get
- slider -> first changed boundary: the first paint of the new network (its parameter count in the status line);
- slider -> converged boundary: the first paint of the new network's finished run ("(done)");
- live repaints per second while that run trained, and the browser's CPU (all Chromium processes, % of one core);
- a final-frame check: the painted boundary read back from the canvas against the same run computed in the kernel.
Each is measured idle and with a CPU burner (one busy process) beside it. Used by run.py (`--only browser`);
alone: python benchmarks/browser.py [REPEAT] [--quick] [--details] (--quick: idle and the default problem only, for
before/after checks; --details: where the time goes: kernel CPU, WebSocket messages and bytes per second, Chromium
CPU per paint, the renderer's main-thread time by kind).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
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
#: every WebSocket message the page receives: [performance.now(), bytes] (the kernel's comm messages among them)
SOCKET_JS = """(() => {
  window.hlSocketLog = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", e => {
        const d = e.data, n = typeof d === "string" ? d.length : (d.byteLength ?? d.size ?? 0);
        window.hlSocketLog.push([performance.now(), n]);
        if (window.hlSocketLog.length > 20000) window.hlSocketLog.splice(0, 10000);
      });
    }
  };
})();"""
#: has the run of the network with this many parameters (text as in the status line, "1,234") ended?
RUN_ENDED_JS = """params => {
  const texts = [...document.querySelectorAll('.hl-live .hl-status')].map(e => e.textContent);
  const text = texts.find(t => t.includes('epoch') && t.includes('parameters')) || '';
  return text.includes(` ${params} parameters`) && !text.includes('(training)');
}"""
#: steady state: the same problems trained for a long time, measured over STEADY_WINDOWS windows of STEADY_SECONDS
STEADY_EPOCHS, STEADY_WINDOWS, STEADY_SECONDS = 100_000, 3, 3.0   # 100,000: the most the Playground takes
#: the renderer's main-thread time by kind (CDP Performance.getMetrics), seconds
RENDERER = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


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


def renderer_seconds(cdp) -> dict:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {name: metrics.get(name, 0.0) for name in RENDERER}


def kernel_cpu_seconds(kernels: str) -> float:
    """utime + stime of the kernels whose connection files lie in ``kernels`` (the servers' runtime folders)."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in servers.processes_mentioning(kernels):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if "ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def one_change(page, profile: str, kernels: str = "") -> dict:
    """Press the width slider once; timings from the paint log, CPU over the run, the final-frame check."""
    drv.wait_settled(page)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    before = drv.status_numbers(page)
    depth, width = int(drv.readout(page, "hidden layers")), int(drv.readout(page, "neurons/layer"))
    import hlkit as hl

    params = hl.n_params(hl.mlp(hl.models.hidden_sizes(depth, width + 1)))
    if params == before["params"]:
        raise RuntimeError("the width change does not change the parameter count")
    cpu0, kernel0, renderer0, wall0 = cpu_seconds(profile), kernel_cpu_seconds(kernels), renderer_seconds(cdp), \
        time.monotonic()
    start = page.evaluate("() => performance.now()")
    drv.press(page, drv.slider(page, "neurons/layer").locator(".noUi-handle"), "ArrowRight")
    # waited for inside the page (every 50 ms): polling from here costs the browser a round trip each time
    page.wait_for_function(RUN_ENDED_JS, arg=f"{params:,}", polling=50, timeout=120_000)
    wall = time.monotonic() - wall0
    cpu = (cpu_seconds(profile) - cpu0) / wall
    kernel = (kernel_cpu_seconds(kernels) - kernel0) / wall
    renderer = {k: (v - renderer0[k]) / wall for k, v in renderer_seconds(cdp).items()}
    cdp.detach()
    log = [entry for entry in page.evaluate(LOG_JS) if entry[0] >= start]
    end = log[-1][0] if log else start
    sockets = [n for t, n in page.evaluate("() => window.hlSocketLog || []") if start <= t <= end]
    new = [(t - start, text) for t, _, text, *_ in log if f"{params:,} parameters" in text]
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
    seconds = max((end - start) / 1000, 1e-3)
    return {"first": new[0][0] / 1000, "done": done / 1000, "fps": fps, "cpu": cpu, "kernel": kernel,
            "messages": len(sockets) / seconds, "kB": sum(sockets) / 1000 / seconds,
            "paints": len(log) / seconds, "cpu_per_paint": cpu * wall / max(len(log), 1),
            **{k: v for k, v in renderer.items()},
            "match": bool(shown is not None and abs(shown.astype(int) - want).max() <= 1 and text == status["text"])}


def measure(page, profile: str, repeat: int, kernels: str = "") -> list[dict]:
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
        results.append(one_change(page, profile, kernels))
    return results


def steady(page, profile: str, kernels: str = "") -> list[dict]:
    """A long run's live view, away from any slider press: paints per second and CPU over a few windows."""
    drv.wait_until(lambda: drv.status_numbers(page).get("epoch", 0) > 0, 180, "the long run to train", interval=0.25)
    results = []
    for _ in range(STEADY_WINDOWS):
        paints0, cpu0, kernel0 = len(page.evaluate(LOG_JS)), cpu_seconds(profile), kernel_cpu_seconds(kernels)
        wall0 = time.monotonic()
        threading.Event().wait(STEADY_SECONDS)   # a fixed measuring window, not a wait for something to happen
        wall = time.monotonic() - wall0
        paints = len(page.evaluate(LOG_JS)) - paints0
        cpu = cpu_seconds(profile) - cpu0
        results.append({"fps": paints / wall, "cpu": cpu / wall, "kernel": (kernel_cpu_seconds(kernels) - kernel0) / wall,
                        "cpu_per_paint": cpu / max(paints, 1)})
    if "(training)" not in drv.status_line(page):
        raise RuntimeError("the long run ended while it was measured: raise STEADY_EPOCHS")
    return results


def steady_rows(label: str, where: str, load: str, results: list[dict]) -> list[tuple]:
    kind = "spiral" if "spiral" in label else "default"
    values = {key: [r[key] for r in results] for key in results[0]}

    def med(key, scale, unit, digits):
        v = [x * scale for x in values[key]]
        return f"{statistics.median(v):.{digits}f}{unit} ({min(v):.{digits}f}-{max(v):.{digits}f})"

    name = f"{where}, {label}, {load}"
    return [(f"browser steady state: live repaints per second, {name}", med("fps", 1, " fps", 1), TARGETS[kind][2]),
            (f"browser steady state: Chromium CPU, {name}", med("cpu", 100, " % of a core", 0), "<= 50 %"),
            (f"details steady state: Chromium CPU per paint, {name}", med("cpu_per_paint", 1000, " ms", 1), ""),
            (f"details steady state: kernel CPU, {name}", med("kernel", 100, " % of a core", 0), "")]


def rows_for(label: str, where: str, load: str, results: list[dict], details: bool = False) -> list[tuple]:
    kind = "spiral" if "spiral" in label else "default"
    first, done, fps = TARGETS[kind]

    def med(key, scale=1.0, unit="", digits=2):
        values = [r[key] * scale for r in results if r[key] == r[key]]
        if not values:
            return "n/a"
        return f"{statistics.median(values):.{digits}f}{unit} ({min(values):.{digits}f}-{max(values):.{digits}f})"

    name = f"{where}, {label}, {load}"
    rows = [(f"browser: width slider -> first changed boundary, {name}", med("first", 1000, " ms", 0), first),
            (f"browser: width slider -> converged boundary on screen, {name}", med("done", 1, " s"), done),
            (f"browser: live repaints per second, {name}", med("fps", 1, " fps", 1), fps),
            (f"browser: Chromium CPU while it trains and paints, {name}", med("cpu", 100, " % of a core", 0),
             "<= 50 %"),
            (f"browser: final painted boundary = the kernel's, {name}",
             f"{sum(r['match'] for r in results)} of {len(results)}", "all")]
    if details:   # where the time goes (not targets)
        rows += [(f"details: kernel CPU, {name}", med("kernel", 100, " % of a core", 0), ""),
                 (f"details: WebSocket messages received per second, {name}", med("messages", 1, "/s", 0), ""),
                 (f"details: WebSocket kB received per second, {name}", med("kB", 1, " kB/s", 0), ""),
                 (f"details: paints per second (whole run), {name}", med("paints", 1, "/s", 1), ""),
                 (f"details: Chromium CPU per paint, {name}", med("cpu_per_paint", 1000, " ms", 1), "")]
        rows += [(f"details: renderer main thread {key[:-8]} (CDP), {name}", med(key, 100, " % of a core", 0), "")
                 for key in RENDERER]
    return rows


def run(repeat: int = 3, *, where=("JupyterLab", "Voila"), problems=tuple(PROBLEMS), loads=("idle", "with a CPU burner"),
        details: bool = False) -> list[tuple[str, str, str]]:
    from playwright.sync_api import sync_playwright

    rows = []
    home = Path(tempfile.mkdtemp(prefix="hlkit-bench-"))
    burner = None
    try:
        root = home / "root"
        root.mkdir()
        for i, source in enumerate(PROBLEMS.values()):
            (root / f"problem{i}.ipynb").write_text(json.dumps(notebook(source)))
            long_run = source[:-1] + (", " if source[-2] != "(" else "") + f"epochs={STEADY_EPOCHS})"
            (root / f"steady{i}.ipynb").write_text(json.dumps(notebook(long_run)))
        chosen = [(i, label) for i, label in enumerate(PROBLEMS) if label in problems]
        lab = servers.start_lab(root, home / "lab") if "JupyterLab" in where else None
        voila = {i: servers.start_voila(root / f"problem{i}.ipynb", home / f"voila{i}") for i, _ in chosen
                 if "Voila" in where}
        voila_steady = {i: servers.start_voila(root / f"steady{i}.ipynb", home / f"voila-steady{i}") for i, _ in chosen
                        if "Voila" in where}
        profile = str(home / "chromium-profile")
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(profile, executable_path=str(drv.CHROMIUM), headless=True,
                                                           args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900})
            context.set_default_timeout(120_000)
            context.add_init_script(SOCKET_JS)
            for load in loads:
                if load != "idle":
                    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for i, label in chosen:
                    if lab is not None:
                        page = drv.new_tab(context)
                        drv.open_notebook(page, lab, f"problem{i}.ipynb")
                        drv.restart_and_run_all(page)
                        rows += rows_for(label, "JupyterLab", load, measure(page, profile, repeat, str(home)), details)
                        page.close()
                        lab.stop_kernels()
                        page = drv.new_tab(context)
                        drv.open_notebook(page, lab, f"steady{i}.ipynb")
                        drv.restart_and_run_all(page)
                        rows += steady_rows(label, "JupyterLab", load, steady(page, profile, str(home)))
                        page.close()
                        lab.stop_kernels()   # both cores for the next measurement
                    if i in voila:
                        page = drv.new_tab(context)
                        page.goto(f"{voila[i].url}/", timeout=180_000)
                        drv.wait_until(lambda page=page: drv.status_numbers(page), 180, "the Voila page's Playground")
                        rows += rows_for(label, "Voila", load, measure(page, profile, repeat, str(home)), details)
                        page.close()
                        page = drv.new_tab(context)
                        page.goto(f"{voila_steady[i].url}/", timeout=180_000)
                        rows += steady_rows(label, "Voila", load, steady(page, profile, str(home)))
                        page.close()
                if burner is not None:
                    burner.kill()
                    burner.wait()
                    burner = None
            context.close()
        for server in (lab, *voila.values(), *voila_steady.values()):
            if server is not None:
                server.stop()
    finally:
        if burner is not None:
            burner.kill()
        shutil.rmtree(home, ignore_errors=True)
    return rows


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repeat", nargs="?", type=int, default=3, help="slider presses per page (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help="only idle, only the default problem (both pages): a before/after check while working")
    parser.add_argument("--where", nargs="*", choices=("JupyterLab", "Voila"), default=["JupyterLab", "Voila"])
    parser.add_argument("--details", action="store_true", help="also kernel CPU, WebSocket traffic, renderer time")
    args = parser.parse_args(argv)
    options = {"where": tuple(args.where), "details": args.details}
    if args.quick:
        options.update(problems=(next(iter(PROBLEMS)),), loads=("idle",))
    for row in run(args.repeat, **options):
        print(" | ".join(row), flush=True)


if __name__ == "__main__":
    main()
