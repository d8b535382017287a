"""Two networks side by side: ``hl.compare(a=dict(hidden=[4]), b=dict(hidden=[4, 4, 4, 4]), dataset="spiral")``.

Both train on the very same Dataset object (same points, same split) from the same seed, and differ only in the
settings given in ``a`` and ``b``. They train in lock-step in the runner's one worker thread: one epoch of A, then
one of B, so neither runs ahead and both get the same machine. Each side's boundary is painted by its own live view,
the loss curves of both by a third one, on one plot. This file only connects settings, runner, frames and views.
"""

from __future__ import annotations

import copy
import html

from .. import train
from ..arguments import check_bool, check_float
from ..data import make_dataset
from . import frames, runner
from . import settings as S
from .controls import PairControls
from .front import Front
from .playground import _by_cell, _cell_id
from .view import LiveView, status_text

#: what two compared networks may differ in: the network and how it trains (data, seed and budget are shared)
DIFFERENCES = ("hidden", "depth", "width", "activation", "features", "lr", "optimizer", "regularization",
               "reg_rate", "batch_size")
LABELS = ("A", "B")
SIDE = {"width": "345px"}     # a side's column: its status line wraps, the three columns fit a 1366 px screen


class PairRun:
    """Two ``runner.Run``s on one Dataset, advanced in lock-step (A's epoch, then B's), under one lock: to the
    runner it is one run (``advance``, ``history.status``, ``finished``, ``lock``, ...)."""

    def __init__(self, version: int, settings: dict, data, interrupt):
        self.version, self.settings, self.data = version, settings, data
        self.a = runner.Run(version, settings["a"], data, interrupt)
        self.b = runner.Run(version, settings["b"], data, interrupt)
        # one lock for both: a paused big network releases it (runner._interrupt) while it waits
        self.lock = self.b.lock = self.a.lock
        self.small = self.a.small and self.b.small
        self.history = train.History(epoch=[0])   # the pair's status ("running", "done", "stopped")
        self.finished = False

    @property
    def sides(self) -> tuple[runner.Run, runner.Run]:
        return self.a, self.b

    @property
    def epoch(self) -> int:
        return min(side.epoch for side in self.sides)

    @property
    def model(self):
        return self.a.model

    @property
    def train_seconds(self) -> float:
        return self.a.train_seconds + self.b.train_seconds

    def advance(self) -> bool:
        """One epoch of each side still training (A first); False once both ended or the pair was cancelled."""
        if self.finished:
            return False
        for side in self.sides:
            if side.finished:
                continue
            side.advance()
            if side.history.status == "stopped":      # cancelled mid-epoch: the other side does not run ahead
                self.finished = True
                self.history.status, self.history.message = "stopped", side.history.message
                return False
        self.history.epoch.append(self.epoch)
        if all(side.finished for side in self.sides):
            self.finished = True
            self.history.status = "done"
        return True


class Compare(Front):
    """Two networks on the same data and seed, trained side by side; made by ``hl.compare``."""

    _what, _remake = "comparison", "hl.compare(...)"

    def __init__(self, a: dict, b: dict, *, live: bool = True, frame_seconds: float = runner.FRAME_SECONDS,
                 names=LABELS, **shared):
        live = check_bool("live", live)
        self.names = dict(zip(LABELS, _checked_names(names), strict=True))   # shown; keys stay "A", "B"
        frame_seconds = check_float("frame_seconds", frame_seconds, 0.0, 10.0)
        base = S.check_settings(shared)
        self.differences = {label: _checked_difference(name, given) for label, name, given in
                            (("A", "a", a), ("B", "b", b))}
        pair = {}
        for name, label in (("a", "A"), ("b", "B")):
            try:
                pair[name] = S.changed(base, self.differences[label])
            except (TypeError, ValueError) as err:
                raise type(err)(f"{name}: {err}") from None
        if pair["a"] == pair["b"]:
            raise ValueError(f"a and b give the same network and training (a={a!r}, b={b!r}): there is nothing to "
                             f"compare. Make them differ in at least one of {', '.join(DIFFERENCES)}, e.g. "
                             "a=dict(hidden=[4]), b=dict(hidden=[4, 4, 4, 4])")
        self.frames: dict[str, frames.Frame] = {}
        self.views = {label: LiveView(panels=["boundary"], layout=SIDE) for label in LABELS}
        self.loss_view = LiveView(panels=["loss"], names=list(self.names.values()), layout=SIDE)
        self.labels = [f"{self.names['A']} · {_describe(pair['a'], pair['b'])}",
                       f"{self.names['B']} · {_describe(pair['b'], pair['a'])}"]
        self._controls = PairControls(_title(base, self.names.values()), self.labels, [self.views[k] for k in LABELS],
                                      self.loss_view, on_button=lambda name: getattr(self, name)())
        cell = _cell_id()
        if live and cell is not None:   # a re-run cell closes what it made before (a Playground or a Compare)
            old = _by_cell.get(cell)
            if old is not None:
                old.close()
            _by_cell[cell] = self
        self._runner = runner.Runner(pair, make_data=_make_data, on_frame=self._on_frame, on_problem=self._controls.say,
                                     live=live, frame_seconds=frame_seconds, make_run=PairRun)
        shown = [*self.views.values(), self.loss_view]
        for view in shown:   # frames slow down while none of the three pictures is on screen
            view.on_watch = lambda _watched: self._runner.watch(any(v.watched for v in shown))

    # -- public API ---------------------------------------------------------------------------------------

    @property
    def settings(self) -> dict:
        """{"a": settings of A, "b": settings of B}, each a full Playground settings dict."""
        return copy.deepcopy(self._runner.settings)

    @property
    def runs(self) -> dict:
        """{"A": run A, "B": run B} (``runner.Run``: model, history, data, settings, train_seconds)."""
        pair = self._runner.run
        return {} if pair is None else dict(zip(LABELS, pair.sides, strict=True))

    @property
    def models(self) -> dict:
        return {label: run.model for label, run in self.runs.items()}

    @property
    def histories(self) -> dict:
        self._check_open()
        return {label: run.history for label, run in self.runs.items()}

    @property
    def data(self):
        """The one Dataset both networks train on."""
        pair = self._runner.run
        return None if pair is None else pair.data

    def figure(self, side: str, name: str = "boundary"):
        """Side "A" or "B"'s picture ``name`` ("boundary", "loss", "network", "neurons") as a plotly figure."""
        if side not in LABELS:
            raise ValueError(f"side must be 'A' or 'B'; got {side!r}")
        if side not in self.frames:
            raise ValueError("nothing is drawn yet")
        return frames.figure(self.frames[side], name)

    def retrain(self) -> dict:
        """Train both from scratch to the end in this thread; returns {"A": History, "B": History}."""
        self._runner.retrain()
        return self.histories

    def __repr__(self) -> str:
        return f"compare(a={self.differences['A']!r}, b={self.differences['B']!r})"

    # -- callbacks ----------------------------------------------------------------------------------------

    def _on_frame(self, pair: PairRun, state: str, settings: dict) -> None:
        for label, run in zip(LABELS, pair.sides, strict=True):
            status = run.history.status
            side_state = state if status == "running" else {"early_stopped": "stopped early"}.get(status, status)
            frame = frames.compute(run, side_state, settings[label.lower()])
            self.frames[label] = frame
            self.views[label].show(frame, f"{self.names[label]} · {status_text(frame)}")
        a, b = self.frames["A"], self.frames["B"]
        na, nb = self.names["A"], self.names["B"]
        self.loss_view.show_losses(a, b, f"test loss: {na} {a.history.test_loss[-1]:.3f} · {nb} "
                                         f"{b.history.test_loss[-1]:.3f} (epoch {a.epoch} · {b.epoch})")
        problems = [f"{self.names[label]}: {run.history.message}" for label, run in zip(LABELS, pair.sides, strict=True)
                    if run.history.status == "diverged"]
        self._controls.say(" ".join(problems))


def compare(a: dict, b: dict, *, live: bool = True, names=LABELS, **shared) -> Compare:
    """Two networks side by side on the same data and seed, trained in lock-step; their boundaries side by side,
    their losses on one plot, their time per epoch and parameters in their status lines.

    a, b: the settings the two differ in (any of ``DIFFERENCES``: hidden or depth/width, activation, features,
    lr, optimizer, regularization, reg_rate, batch_size), e.g. ``a=dict(hidden=[4]), b=dict(hidden=[4, 4, 4, 4])``.
    shared: every other Playground setting (dataset, n_points, noise, seed, epochs, ...), the same for both.
    live: False trains synchronously (lessons, tests).
    names: the two sides' names in the status lines and the loss legend, e.g. ("no L2", "L2") (default ("A", "B"));
    ``runs``, ``histories`` and ``figure`` keep the keys "A" and "B".
    """
    return Compare(a, b, live=live, names=names, **shared)


def _checked_names(names) -> tuple[str, str]:
    if not isinstance(names, (tuple, list)):
        raise TypeError(f"names must be a pair of short strings, e.g. names=('no L2', 'L2'); got {names!r} "
                        f"({type(names).__name__})")
    if (len(names) != 2
            or not all(isinstance(n, str) and 0 < len(n.strip()) <= 20 for n in names) or names[0] == names[1]):
        raise ValueError(f"names must be two different short strings (1 to 20 characters), e.g. names=('no L2', 'L2'); "
                         f"got {names!r}")
    return tuple(names)


def _checked_difference(name: str, given) -> dict:
    if not isinstance(given, dict):
        raise TypeError(f"{name} must be a dict of the settings this network differs in, e.g. {name}=dict(hidden=[4]); "
                        f"got {given!r} ({type(given).__name__})")
    for key in given:
        if key in S.DEFAULTS and key not in DIFFERENCES:
            raise ValueError(f"{name}: {key!r} is shared by both networks (same data, seed, budget and display); give "
                             f"it once, outside a and b: hl.compare(a=..., b=..., {key}=...). {name} may set "
                             f"{', '.join(DIFFERENCES)}")
        if key not in DIFFERENCES:
            raise TypeError(f"{name}: unknown setting {key!r}; a network may differ in {', '.join(DIFFERENCES)}")
    return copy.deepcopy(given)


def _make_data(pair: dict):
    s = pair["a"]   # the data settings are the same on both sides (checked: a and b may not set them)
    return make_dataset(s["dataset"], n_points=s["n_points"], noise=s["noise"], train_ratio=s["train_ratio"],
                        seed=s["seed"], n_classes=s["n_classes"])


def _describe(side: dict, other: dict) -> str:
    """A side's settings where it differs from the other side."""
    keys = [k for k in S.DEFAULTS if side[k] != other[k]]
    return ", ".join(f"{k}={side[k]!r}" for k in keys)


def _title(base: dict, names) -> str:
    first, second = (html.escape(str(n)) for n in names)
    return (f"<b>Two networks side by side</b> on the same data ({base['dataset']}, {base['n_points']} points, noise "
            f"{base['noise']:g}) and seed {base['seed']}, {base['epochs']:,} epochs each, trained in turns (one epoch of "
            f"{first}, then one of {second}). Solid {first}, dashed {second} in the loss plot.")
