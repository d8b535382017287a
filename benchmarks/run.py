"""`make bench`: how fast hlkit answers a learner. Writes benchmarks/RESULTS.md (medians and min-max).

Usage: python benchmarks/run.py [--quick] [--only NAME ...]
Each benchmark runs several times; the table gives the median and the range. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from numpy_reference import NumpyMLP  # noqa: E402
from results_file import replace_section  # noqa: E402

import hlkit as hl  # noqa: E402

#: the two problems of the issue: the Playground's default and the 6x8 tanh spiral
PROBLEMS = {
    "default (circle, [4,2])": dict(dataset="circle", hidden=[4, 2]),
    "spiral 6x8": dict(dataset="spiral", hidden=[8] * 6),
}


def summary(values, unit="ms", scale=1e3, digits=1):
    values = [v * scale for v in values]
    med = statistics.median(values)
    return f"{med:.{digits}f} {unit} ({min(values):.{digits}f}-{max(values):.{digits}f})", med


def timed(fn, repeat):
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def bench_grid(repeat):
    rows = []
    for label, p in PROBLEMS.items():
        model = hl.mlp(p["hidden"])
        hl.probe.grid(model, resolution=100)
        text, _ = summary(timed(lambda m=model: hl.probe.grid(m, resolution=100), repeat * 10))
        rows.append((f"100x100 grid, {label}", text, "<= 5 ms"))
    return rows


def bench_step(repeat):
    rows = []
    data = hl.make_dataset("circle", seed=0)
    X, y = data.X_train / hl.data.DOMAIN, data.y_train.astype(np.float64)
    epochs = 300
    for hidden in ([4, 2], [8, 8], [32] * 6):
        ours, ref = [], []
        for _ in range(repeat):
            model = hl.mlp(hidden)
            history = next(hl.train.training(model, data, epochs=epochs, report_every=epochs))
            ours.append((history.seconds[-1]) / epochs)
            net = NumpyMLP([2, *hidden, 1])
            start = time.perf_counter()
            for _ in range(epochs):
                net.step(X, y)
            ref.append((time.perf_counter() - start) / epochs)
        ours_text, ours_med = summary(ours, "µs", 1e6, 0)
        ref_text, ref_med = summary(ref, "µs", 1e6, 0)
        rows.append((f"training step {hidden} ({len(data.y_train)} points, full batch): hlkit", ours_text, ""))
        rows.append((f"training step {hidden}: numpy reference", ref_text, ""))
        rows.append((f"training step {hidden}: ratio hlkit / numpy", f"{ours_med / ref_med:.2f}x", "<= 2x"))
    return rows


def bench_time_to_quality(repeat):
    """Training alone (no drawing): epochs and seconds to test accuracy >= 0.95 and test loss < 0.1."""
    rows = []
    for label, p in PROBLEMS.items():
        acc_s, acc_ep, loss_s = [], [], []
        for _ in range(repeat):
            data = hl.make_dataset(p["dataset"], seed=0)
            model = hl.mlp(p["hidden"], activation="tanh", seed=0)
            first_acc = first_loss = None
            for h in hl.train.training(model, data, epochs=3000, lr=0.03):
                if first_acc is None and h.test_acc[-1] >= 0.95:
                    first_acc = (h.epoch[-1], h.seconds[-1])
                if first_loss is None and h.test_loss[-1] < 0.1:
                    first_loss = (h.epoch[-1], h.seconds[-1])
                if first_acc and first_loss:
                    break
            if first_acc:
                acc_ep.append(first_acc[0])
                acc_s.append(first_acc[1])
            if first_loss:
                loss_s.append(first_loss[1])
        acc_text = f"{summary(acc_s, 's', 1, 3)[0]} at epoch {int(statistics.median(acc_ep))}" if acc_s else "not reached"
        rows.append((f"training to test accuracy >= 0.95, {label}", acc_text, ""))
        rows.append((f"training to test loss < 0.1, {label}", summary(loss_s, "s", 1, 3)[0] if loss_s
                     else "not reached in 3000 epochs", ""))
    return rows


def _live_runs(problem, repeat):
    """Through the Playground's own live path (worker thread, frames, the view's traits; no browser attached:
    the kernel never waits for one, frames are capped at 30 per second): change the seed as a learner
    would with the slider, then read the frame log. Yields (change time, frames after it, history, playground)."""
    from hlkit.playground import Playground

    pg = Playground(problem["dataset"], hidden=problem["hidden"], live=True)
    pg.wait(120)
    try:
        for r in range(repeat):
            before = pg.runs_completed
            start = time.perf_counter()
            pg.controls["seed"].value = 1 + r % 2          # the event path a slider takes
            deadline = start + 120
            while pg.runs_completed == before and time.perf_counter() < deadline:
                time.sleep(0.005)
            pg.wait(30)
            frames = [(t - start, epoch) for t, epoch in pg.frame_log if t >= start]
            yield frames, pg.history, pg
    finally:
        pg.close()


def bench_live(repeat):
    rows = []
    for label, problem in PROBLEMS.items():
        first, final, quality, fps = [], [], [], []
        for frames, history, _pg in _live_runs(problem, repeat):
            if not frames:
                continue
            first.append(frames[0][0])
            final.append(frames[-1][0])
            good = [e for e, acc in zip(history.epoch, history.test_acc, strict=True) if acc >= 0.95]
            if good:
                shown = [t for t, epoch in frames if epoch >= good[0]]
                if shown:
                    quality.append(shown[0])
            if len(frames) > 1:
                fps.append((len(frames) - 1) / (frames[-1][0] - frames[0][0]))
        rows.append((f"slider to first redrawn frame, {label}", summary(first)[0], ""))
        rows.append((f"slider to final boundary ({problem_epochs()} epochs), {label}", summary(final, "s", 1, 2)[0],
                     "<= 0.3 s" if "default" in label else ""))
        rows.append((f"slider to test accuracy >= 0.95 on screen, {label}",
                     summary(quality, "s", 1, 2)[0] if quality else "not reached", "<= 3 s" if "spiral" in label else ""))
        rows.append((f"live frames per second while training, {label}", summary(fps, "fps", 1, 1)[0],
                     ">= 15 fps" if "spiral" in label else ">= 30 fps"))
    return rows


def bench_seeds(repeat):
    """Each dataset's Playground defaults (settings.defaults_for; and lesson 04's 6x8 spiral, which promises nothing)
    over 10 seeds: how many reach 95 % test accuracy at the end of the default 500 epochs."""
    from hlkit.data import GENERATORS
    from hlkit.playground import Playground

    rows = []
    cases = {name: dict(dataset=name) for name in GENERATORS} | {"spiral 6x8": dict(dataset="spiral", hidden=[8] * 6)}
    for label, options in cases.items():
        accs = []
        for seed in range(10):
            pg = Playground(live=False, seed=seed, **options)
            accs.append(pg.history.test_acc[-1])
            pg.close()
        rows.append((f"Playground defaults, {label}: seeds 0-9 reaching test accuracy >= 0.95",
                     f"{sum(a >= 0.95 for a in accs)} of 10 (lowest {min(accs):.3f})",
                     ">= 9 of 10" if label in GENERATORS else ""))   # the help text promises it for the defaults
    return rows


def bench_browser(repeat):
    import browser

    return browser.run(max(2, repeat // 2))


def problem_epochs():
    from hlkit.playground import DEFAULTS

    return DEFAULTS["epochs"]


def bench_startup(repeat):
    code = ("import time; t = time.perf_counter(); import hlkit as hl; pg = hl.Playground(live=False); "
            "pg._repr_mimebundle_(); print(time.perf_counter() - t)")
    values = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                    .stdout.strip().splitlines()[-1]) for _ in range(max(1, repeat // 2))]
    return [("first Playground displayed (fresh process: imports, widgets, first training)",
             summary(values, "s", 1, 2)[0], "")]


def bench_import(repeat):
    code = ("import time; t = time.perf_counter(); import hlkit as hl; hl.mlp; hl.viz; "
            "print(time.perf_counter() - t)")
    values = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
              for _ in range(repeat)]
    return [("`import hlkit` and its torch and plotly modules (fresh process)", summary(values, "s", 1, 2)[0], "")]


def bench_lessons(repeat):
    """Run-all time of every lesson in a fresh kernel (once each: they are long), without saving."""
    import nbformat

    from hlkit.grading import run

    rows, total = [], 0.0
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        problems = run(nb, path.parent, timeout=600, stop_at_error=True, name=path.name)
        if problems:
            raise SystemExit("\n".join(problems))
        seconds = time.perf_counter() - start
        total += seconds
        rows.append((f"lesson {path.name}: run all in a fresh kernel", f"{seconds:.1f} s", "<= 45 s"))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", str(ROOT / "notebooks")], cwd=ROOT,
                          capture_output=True, text=True)
    nbval = time.perf_counter() - start
    rows.append(("all lessons, run all (sum)", f"{total:.1f} s", "<= 300 s"))
    rows.append(("the whole strict nbval run (`pytest notebooks`)",
                 f"{nbval:.1f} s ({done.stdout.strip().splitlines()[-1] if done.stdout.strip() else 'no output'})", ""))
    return rows


BENCHES = {
    "grid": bench_grid,
    "step": bench_step,
    "quality": bench_time_to_quality,
    "live": bench_live,
    "seeds": bench_seeds,
    "browser": bench_browser,
    "import": bench_import,
    "startup": bench_startup,
    "lessons": bench_lessons,
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, torch {torch.__version__}, "
            f"numpy {np.__version__}, hlkit {hl.__version__}; torch threads 1 for tiny nets")


# run.py rewrites only its own section of RESULTS.md: `make class` (class_load.py) keeps one there too
BEGIN, END = "<!-- bench: begin (benchmarks/run.py, make bench) -->", "<!-- bench: end -->"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHES), help="run only these")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else 7
    hl.train.warm_up()
    rows = []
    for name, fn in BENCHES.items():
        if args.only and name not in args.only:
            continue
        print(f"running {name} ...", flush=True)
        rows += fn(repeat)
    lines = [BEGIN, "# hlkit benchmarks", "", f"Measured {time.strftime('%Y-%m-%d')} on {machine()}.", "",
             f"Median of {repeat} runs (range in brackets). Made by `make bench` (benchmarks/run.py).", "",
             "| what | measured | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    replace_section(Path(args.out), BEGIN, END, lines + [END])
    print("\n".join(lines))
    print(json.dumps({"written": args.out}))


if __name__ == "__main__":
    main()
