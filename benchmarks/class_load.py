"""`make class N=8`: a simulated class on a local JupyterHub, measured for instructors' sizing.

Usage: python benchmarks/class_load.py [--learners 1 4 8] [--lesson notebooks/04_depth_and_width.ipynb | none]
                                       [--playground-seconds 60] [--logs DIR] [--out benchmarks/RESULTS.md | --no-write]

For each class size: a fresh hub on 127.0.0.1 (tests/hub/classroom.py, the hub of the hub test); every learner logs
in, starts a server, opens a kernel and runs the lesson, all at once; then every learner plays with a live Playground
for --playground-seconds (a setting changed every 5 s, as a learner moving sliders) and leaves it idle on the page.
Every learner is its own process and reads its kernel's websocket as JupyterLab 4 does. Measured per learner: waits
(server ready, kernel ready, the lesson's run time), the kernel's peak RSS and the Jupyter server's RSS, CPU seconds
of kernel and server for the lesson and per minute of Playground, the Playground's traffic, an idle Playground's CPU;
per hub: its own memory, the failures, the load average. --logs keeps the hub's log (every server's log is in it:
look there for "WebSocket ping timeout" when a learner was dropped). The table replaces the section between the
"class" markers of RESULTS.md and nothing else. Not part of `make test` (tests/hub/ is).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "hub"))

from classroom import Hub, Learner, cells_of  # noqa: E402
from results_file import replace_section  # noqa: E402

BEGIN, END = "<!-- class: begin (benchmarks/class_load.py, make class) -->", "<!-- class: end -->"
SLIDER_EVERY = 5   # seconds between two setting changes of a learner playing with the Playground

PLAYGROUND = """\
import time
import hlkit as hl
pg = hl.Playground("spiral", hidden=[8] * 6)
display(pg)
_end, _k = time.monotonic() + {seconds}, 0
while time.monotonic() < _end:      # the learner: another learning rate every {every} s
    time.sleep({every})
    _k += 1
    pg.set(lr=(0.03, 0.1)[_k % 2])
pg.wait(120)
"""
IDLE_SECONDS = 10  # then the Playground, its run ended, stays on the page this long: it should cost nothing
IDLE = f"time.sleep({IDLE_SECONDS})"
CLOSE = "pg.close()"


def one_learner(hub: Hub, name: str, lesson: list[str], playground_seconds: float) -> dict:
    learner = Learner(hub, name)
    row = {"name": name, "failed": None}
    try:
        learner.log_in()
        learner.start_server()
        learner.open_kernel()
        if lesson:
            learner.run_cells(lesson)
        after_lesson = learner.measure()
        row.update(lesson_cpu_s=after_lesson["cpu_s"], lesson_server_cpu_s=after_lesson["server_cpu_s"])
        if playground_seconds > 0 and not learner.errors:
            learner.run_cells([PLAYGROUND.format(seconds=playground_seconds, every=SLIDER_EVERY)], record="playground")
            after = learner.measure()
            # per minute of the cell: the Playground trains all along (the learner's changes, then its last run
            # to the end); on a machine short of cores that is what a learner got, not what they asked for
            played = learner.times["playground"]
            row["playground_cpu_per_min"] = (after["cpu_s"] - after_lesson["cpu_s"]) * 60 / played
            row["playground_server_cpu_per_min"] = (after["server_cpu_s"] - after_lesson["server_cpu_s"]) * 60 / played
            learner.run_cells([IDLE], record="idle")
            row["idle_cpu_per_min"] = (learner.measure()["cpu_s"] - after["cpu_s"]) * 60 / learner.times["idle"]
            learner.run_cells([CLOSE], record="close")
            sent = learner.traffic["playground"]
            row["playground_msgs_per_s"] = sent["messages"] / learner.times["playground"]
            row["playground_kb_per_s"] = sent["bytes"] / 1024 / learner.times["playground"]
        row.update(learner.measure(), **learner.times)
        if learner.errors:
            row["failed"] = "; ".join(learner.errors)
    except Exception as err:       # a failed learner is a result of the class, not a crash of the driver
        row["failed"] = repr(err)
    finally:
        learner.close()
    return row


def one_class(n: int, lesson: list[str], playground_seconds: float, logs: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"hlkit-class-{n}-") as workdir:
        load = [os.getloadavg()[0]]
        hub = Hub.start(workdir)
        try:
            start = time.monotonic()
            # one process per learner, as each browser is its own program (and one learner's reading never waits
            # for another's: a reader that falls 90 s behind misses the server's ping and is dropped)
            with ProcessPoolExecutor(n) as pool:
                rows = list(pool.map(one_learner, [hub.remote()] * n, [f"learner-{i + 1}" for i in range(n)],
                                     [lesson] * n, [playground_seconds] * n))
            memory = hub.own_memory()
            wall = time.monotonic() - start
            load.append(os.getloadavg()[0])
        finally:
            left = hub.stop()
            if logs is not None:       # the hub's log holds every learner's Jupyter server log too
                logs.mkdir(parents=True, exist_ok=True)
                shutil.copy(hub.log, logs / f"class-{n}.log")
    if left:
        raise RuntimeError(f"processes left after the hub stopped: {left}")
    return {"n": n, "rows": rows, "memory": memory, "wall": wall, "load": load}


def spread(values, digits=0) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def table(classes: list[dict], lesson_name: str, playground_seconds: float, load: tuple) -> list[str]:
    lines = [
        BEGIN,
        "## A class on one JupyterHub",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `make class` (benchmarks/class_load.py) on "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average before the run "
        f"{load[0]:.1f} (1 min), {load[1]:.1f} (5 min): "
        + ("**the machine was shared with other work, so waits and run times are longer than on an idle machine; "
           "memory and CPU seconds are not affected much**." if load[0] > 1 else "an idle machine.")
        + f" Each learner runs {lesson_name} in a fresh kernel, then plays with a live Playground (spiral 6x8) for "
        f"{playground_seconds:.0f} s, changing a setting every {SLIDER_EVERY} s, and waits for its last run to end "
        "(the Playground's CPU is per minute of that whole cell: on a machine short of cores, what a learner got "
        f"rather than what they asked for); then the Playground stays on the page, idle, for {IDLE_SECONDS} s. "
        "Hub: JupyterHub with the local spawner on 127.0.0.1, every learner's server with one thread "
        "(`OMP_NUM_THREADS=1`); the learners read their kernel's websocket as JupyterLab 4 does (its v1 protocol, "
        "every message as it comes). Median (min-max) over the learners.",
        "",
        "| learners | server ready (s) | kernel ready (s) | lesson run (s) | kernel peak RSS (MB) | Jupyter server "
        "RSS (MB) | lesson CPU (s per learner) | Playground CPU (s per learner-minute) | Jupyter server CPU: start "
        "and lesson (s), Playground (s per learner-minute) | idle Playground CPU (s per minute) | "
        "Playground traffic (kB/s) | hub + proxy RSS (MB) | failed | load (1 min) at start, end |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in classes:
        rows = c["rows"]
        def col(key, rows=rows):
            return [r.get(key) for r in rows]
        failed = [r for r in rows if r["failed"]]
        lines.append(
            f"| {c['n']} | {spread(col('server_ready'), 1)} | {spread(col('kernel_ready'), 1)} | "
            f"{spread(col('lesson'), 1)} | {spread(col('peak_rss_mb'))} | {spread(col('server_rss_mb'))} | "
            f"{spread(col('lesson_cpu_s'), 1)} | {spread(col('playground_cpu_per_min'), 1)} | "
            f"{spread(col('lesson_server_cpu_s'), 1)}, {spread(col('playground_server_cpu_per_min'), 1)} | "
            f"{spread(col('idle_cpu_per_min'), 2)} | {spread(col('playground_kb_per_s'))} | "
            f"{c['memory']['hub_mb'] + c['memory']['proxy_mb']:.0f} | {len(failed)} of {len(rows)} | "
            f"{c['load'][0]:.1f}, {c['load'][1]:.1f} |")
    for c in classes:
        for r in c["rows"]:
            if r["failed"]:
                lines.append(f"\nfailed at {c['n']} learners: {r['name']}: {r['failed']}")
    lines += ["", "What it means for a class (the sizing rule): docs/instructors.md, \"Running a class\".", END]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[1, 4, 8], help="class sizes to run (default 1 4 8)")
    parser.add_argument("--lesson", default=str(ROOT / "notebooks" / "04_depth_and_width.ipynb"),
                        help="the lesson every learner runs first; 'none': only the Playground")
    parser.add_argument("--playground-seconds", type=float, default=60)
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    parser.add_argument("--logs", type=Path, help="keep each class's hub log (servers' logs included) here")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args(argv)
    if any(n < 1 for n in args.learners):
        parser.error(f"--learners: class sizes must be >= 1; got {args.learners}")
    load = os.getloadavg()
    lesson = [] if args.lesson == "none" else cells_of(args.lesson)
    classes = []
    for n in sorted(set(args.learners)):
        print(f"{n} learners ...", flush=True)
        classes.append(one_class(n, lesson, args.playground_seconds, args.logs))
        print(f"  done in {classes[-1]['wall']:.0f} s", flush=True)
        for row in classes[-1]["rows"]:
            print("  ", row, flush=True)
    lines = table(classes, Path(args.lesson).name, args.playground_seconds, load)
    print("\n".join(lines))
    if not args.no_write:
        replace_section(Path(args.out), BEGIN, END, lines)
        print(f"written to {args.out}")
    return 1 if any(r["failed"] for c in classes for r in c["rows"]) else 0


if __name__ == "__main__":
    sys.exit(main())
