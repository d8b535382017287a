"""The Playground: TensorFlow Playground's controls and plots on a real PyTorch network, inside JupyterLab.

    pg = hl.Playground()                                   # circle, hidden [4, 2], tanh: trains live
    pg = hl.Playground("spiral", hidden=[8] * 6)           # any setting as a keyword
    pg = hl.Playground(data=hl.from_arrays(X, y))          # your own 2-D data
    pg = hl.Playground(live=False)                         # synchronous: lessons and tests
    pg.set(depth=3, width=8); pg.retrain(); pg.settings; pg.model; pg.history; pg.save_model("net.pt")

Every control change retrains from scratch with ``hlkit.train.training`` (the one training loop) and the plots
update in place while it trains. How (machine-tested in JupyterLab):

- One daemon worker thread per Playground owns training and drawing. A control's callback only records the
  new settings, bumps a run counter and wakes the worker; the worker stops iterating a run whose number is no
  longer the latest (that cancels it), so the latest settings win and nothing queues up.
- Each plot is a plotly ``FigureWidget`` made once and updated in place under one lock (a new FigureWidget
  re-sends plotly's 5 MB script; FigureWidget is not thread-safe). Frames are paced on the browser's reply to
  the previous frame (plotly's trace-delta message) when it replies, and capped at about 12 per second.
- ``live=False`` (or ``retrain()``) runs the same steps in the caller's thread, to the end, drawing once: saved
  notebook outputs stay deterministic and tests need no browser.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import html
import itertools
import tempfile
import threading
import time
from pathlib import Path

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
from traitlets import observe

from . import models, probe, train, viz
from .data import DOMAIN, GENERATORS, MAX_POINTS, Dataset, from_csv, make_dataset
from .validate import check_bool, check_choice, check_float, check_int

OWN = "own data"     # the dataset name shown for data passed in with data=...
#: every setting with its default: the keys of ``Playground.settings``
DEFAULTS = dict(dataset="circle", n_classes=2, n_points=500, noise=0.0, train_ratio=0.5, hidden=[4, 2],
                activation="tanh", features=["x1", "x2"], lr=0.03, optimizer="adam", regularization="none",
                reg_rate=0.0, batch_size=None, epochs=500, seed=0, discretize=False, show_test=True)
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
RESOLUTION = 50          # decision-boundary grid (50 x 50 cells); RESOLUTION_BIG for nets over BIG_PARAMS weights
RESOLUTION_BIG = 30
BIG_PARAMS = 50_000
MAP_RESOLUTION = 30      # neuron-map grid; MAP_RESOLUTION_BIG when more than BIG_NET maps are drawn
MAP_RESOLUTION_BIG = 20
BIG_NET = 40
MAX_PER_LAYER = 8        # neurons drawn per layer in the neuron maps and the network view
FRAME_EVERY = 10         # live: a frame every 10 epochs
MIN_FRAME_SECONDS = 1 / 12
RESYNC_SECONDS = 5.0     # at most one full resend of the plots per 5 s
ACK_TIMEOUT = 3.0        # seconds to wait for a view's reply to a frame before no longer waiting for that view
CATCH_UP = 5             # while the browser is busy, train on up to 5 x frame_every epochs before waiting
_numbers = itertools.count(1)

#: one line per control and plot, for beginners (tooltips and the help panel)
HELP = {
    "dataset": "Which toy problem to learn: points in a plane, coloured by class.",
    "n_classes": "How many classes (spiral arms or blobs); the other datasets have 2.",
    "n_points": "How many points to generate in all (training + test).",
    "noise": "How much the points are jittered across the class borders (0 = clean).",
    "train_ratio": "Share of the points the network learns from; the rest test it on unseen points.",
    "seed": "Random seed for the points, the starting weights and the batch order: same seed, same run.",
    "show_test": "Also draw the test points (diamonds with a dark rim).",
    "discretize": "Colour the plane by the predicted class only, without the confidence shading.",
    "depth": "Number of hidden layers (0 = a linear model: one straight boundary).",
    "width": "Neurons in each hidden layer.",
    "layers": "Neurons per hidden layer, comma separated (e.g. 8,4,2); overrides depth and width.",
    "activation": "The non-linearity each hidden neuron applies to its weighted sum.",
    "features": "What the first layer sees: the coordinates x1, x2 and optional computed features.",
    "lr": "Learning rate: the size of each weight update. Too big and training diverges.",
    "optimizer": "Adam adapts the step per weight; SGD takes plain gradient steps.",
    "regularization": "A penalty on large weights (L1: sum of |w|, pushes weights to 0; L2: sum of w²).",
    "reg_rate": "How strongly the penalty counts against the loss.",
    "batch_size": "Points per weight update (full batch = all training points at once).",
    "epochs": "Training budget: how many passes over the training points.",
    "upload": "Your own data: a CSV file with a header row, two number columns (x1, x2) and the label column last.",
    "play": "Train (continue a paused run, or start again after the end).",
    "pause": "Stop training here; play continues from this point.",
    "step": "Train one more epoch.",
    "reset": "Back to the untrained network (epoch 0) with these settings.",
}
PLOT_HELP = {
    "boundary": "<b>Decision boundary</b>: the network's prediction at every point of the plane (blue = class 1, "
                "orange = class 0; pale = unsure), with the training points (circles) on top.",
    "loss": "<b>Loss curve</b>: the error on training (black) and test points (red) per epoch; dotted: accuracy "
            "(right axis). Test loss rising while training loss falls means overfitting.",
    "network": "<b>Network</b>: every neuron and weight; blue links are positive weights, orange negative, "
               "thicker = larger.",
    "maps": "<b>Neuron maps</b>: what every neuron outputs over the plane (blue positive, orange negative). "
            "Later layers combine earlier shapes into more complex ones.",
}


# ---------------------------------------------------------------------------------------------------
# settings


def _caption(text: str) -> str:
    """HTML for the small explanatory text under a plot or a control group."""
    return f"<div style='font-size:12px;line-height:1.35;margin:2px 0'>{text}</div>"


def parse_layers(text: str) -> list[int]:
    """Neurons per hidden layer from text such as "4,2" ("" or "0" = no hidden layer)."""
    cleaned = str(text).strip().strip("[]()").replace(";", ",").replace(" ", ",")
    parts = [p for p in cleaned.split(",") if p]
    if parts in ([], ["0"]):
        return []
    try:
        hidden = [int(p) for p in parts]
    except ValueError:
        hidden = None
    if hidden is None or len(hidden) > models.MAX_DEPTH or any(not 1 <= h <= models.MAX_WIDTH for h in hidden):
        raise ValueError(f"layers: write the neurons of each hidden layer separated by commas, e.g. 4,2 "
                         f"(1 to {models.MAX_WIDTH} each, at most {models.MAX_DEPTH} layers; empty = no hidden "
                         f"layer); got {str(text)!r}")
    return hidden


def _check_hidden(hidden) -> list[int]:
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, (list, tuple)):
        raise TypeError(f"hidden must be a list of layer widths such as [4, 2]; got {hidden!r} instead")
    if len(hidden) > models.MAX_DEPTH:
        raise ValueError(f"hidden may have 0 to {models.MAX_DEPTH} layers; got {len(hidden)} layers")
    return [check_int(f"hidden[{i}]", w, 1, models.MAX_WIDTH) for i, w in enumerate(hidden)]


def check_settings(settings: dict, *, own: Dataset | None = None) -> dict:
    """A checked copy of a settings dict (all keys of ``DEFAULTS``); errors name the setting."""
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        raise TypeError(f"unknown setting(s) {', '.join(map(repr, unknown))}; the settings are {', '.join(DEFAULTS)}")
    s = {**copy.deepcopy(DEFAULTS), **copy.deepcopy(settings)}
    names = [*GENERATORS, OWN] if own is not None else list(GENERATORS)
    s["dataset"] = check_choice("dataset", s["dataset"], names)
    if s["dataset"] == OWN:
        s["n_classes"] = int(own.n_classes)
    else:
        s["n_classes"] = check_int("n_classes", s["n_classes"], 2, None)
        allowed = GENERATORS[s["dataset"]][1]
        if s["n_classes"] not in allowed:
            raise ValueError(f"n_classes for dataset {s['dataset']!r} must be one of {list(allowed)}; "
                             f"got {s['n_classes']} instead")
    s["n_points"] = check_int("n_points", s["n_points"], 10, MAX_POINTS)
    s["noise"] = check_float("noise", s["noise"], 0.0, 1.0)
    s["train_ratio"] = check_float("train_ratio", s["train_ratio"], 0.1, 0.9)
    s["hidden"] = _check_hidden(s["hidden"])
    s["activation"] = check_choice("activation", s["activation"], models.ACTIVATIONS)
    features = s["features"]
    if isinstance(features, str) or not isinstance(features, (list, tuple)):
        raise TypeError(f"features must be a list of names such as ['x1', 'x2']; got {features!r} instead")
    features = [check_choice("features", f, models.FEATURES) for f in features]
    if not features:
        raise ValueError(f"features must name at least one of {', '.join(models.FEATURES)}; got an empty list")
    s["features"] = [f for f in models.FEATURES if f in features]   # one canonical order
    s["lr"] = check_float("lr", s["lr"], 0.0, 100.0, low_open=True)
    s["optimizer"] = check_choice("optimizer", s["optimizer"], train.OPTIMIZERS)
    s["regularization"] = check_choice("regularization", s["regularization"], train.REGULARIZATIONS)
    s["reg_rate"] = check_float("reg_rate", s["reg_rate"], 0.0, 1.0)
    if s["batch_size"] is not None:
        s["batch_size"] = check_int("batch_size", s["batch_size"], 1, None)
    s["epochs"] = check_int("epochs", s["epochs"], 1, train.MAX_EPOCHS)
    s["seed"] = check_int("seed", s["seed"], 0, 2**32 - 1)
    s["discretize"] = check_bool("discretize", s["discretize"])
    s["show_test"] = check_bool("show_test", s["show_test"])
    return s


def _plane_data(data) -> tuple[Dataset, tuple[np.ndarray, float] | None, str]:
    """Own data checked for the plane plots, rescaled into [-6, 6]² when it lies outside it (or fills less
    than a sixth of it): (data, (center, scale) or None, a note saying what was done)."""
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be an hlkit Dataset (from hl.from_arrays(X, y) or hl.from_csv(path)); "
                        f"got {type(data).__name__}")
    shape = np.asarray(data.X_train).shape
    if len(shape) != 2 or shape[1] != 2:
        raise ValueError(f"data must have exactly 2 features (x1, x2) for the Playground's plane plots; got points "
                         f"of shape {shape[1:]}. Train it without the Playground: hl.train.train(hl.mlp(..., "
                         f"n_inputs={int(np.prod(shape[1:]))}, n_classes={data.n_classes}), data)")
    X = data.X
    biggest = float(np.abs(X).max())
    if 1.0 <= biggest <= DOMAIN:
        return data, None, ""
    lo, hi = X.min(axis=0), X.max(axis=0)
    center = (lo + hi) / 2
    scale = 5.5 / max(float((hi - lo).max()) / 2, 1e-12)
    moved = dataclasses.replace(data, X_train=(data.X_train - center) * scale, X_test=(data.X_test - center) * scale)
    note = (f"Your data spans x1 from {lo[0]:.3g} to {hi[0]:.3g} and x2 from {lo[1]:.3g} to {hi[1]:.3g}; the "
            f"Playground shows and trains on it shifted and scaled into its square [-6, 6]: x ↦ (x − "
            f"({center[0]:.3g}, {center[1]:.3g})) × {scale:.3g}. New points: pg.to_plane(X).")
    return moved, (center, scale), note


# ---------------------------------------------------------------------------------------------------
# one training run


class _Run:
    """One run: data, model and the training generator, advanced one epoch at a time."""

    def __init__(self, version: int, settings: dict, data: Dataset):
        self.version, self.settings, self.data = version, settings, data
        self.model = models.mlp(settings["hidden"], activation=settings["activation"], n_classes=data.n_classes,
                                features=settings["features"], seed=settings["seed"])
        self.steps = train.training(self.model, data, epochs=settings["epochs"], lr=settings["lr"],
                                    optimizer=settings["optimizer"], batch_size=settings["batch_size"],
                                    regularization=settings["regularization"], reg_rate=settings["reg_rate"],
                                    seed=settings["seed"])
        # epoch 0 (the untrained model), as the training loop itself records it
        train_loss, train_acc = train.evaluate(self.model, data.X_train, data.y_train)
        test_loss, test_acc = train.evaluate(self.model, data.X_test, data.y_test)
        self.history = train.History(epoch=[0], train_loss=[train_loss], test_loss=[test_loss], train_acc=[train_acc],
                                     test_acc=[test_acc], seconds=[0.0], status="running")
        self.finished = False
        self.train_seconds = 0.0     # time spent training (not drawing, not paused)
        self.lock = threading.Lock()

    def advance(self) -> bool:
        """Train one epoch; False once the run has ended."""
        if self.finished:
            return False
        start = time.perf_counter()
        with self.lock:
            try:
                self.history = next(self.steps)
            except StopIteration:
                self.finished = True
                return False
        self.train_seconds += time.perf_counter() - start
        if self.history.status != "running":
            self.finished = True
        return True

    @property
    def epoch(self) -> int:
        return self.history.epoch[-1]


class _Figure(go.FigureWidget):
    """A FigureWidget whose handlers of browser messages (replies to frames, zooms) take the Playground's push
    lock: they change the figure's Python state on a kernel thread while the worker may be pushing a frame."""

    def __init__(self, *args, lock, **kwargs):
        self._hl_lock = lock
        super().__init__(*args, **kwargs)

    @observe("_js2py_traceDeltas")
    def _handler_js2py_traceDeltas(self, change):
        with self._hl_lock:
            go.FigureWidget._handler_js2py_traceDeltas(self, change)

    @observe("_js2py_restyle")
    def _handler_js2py_restyle(self, change):
        with self._hl_lock:
            go.FigureWidget._handler_js2py_restyle(self, change)

    @observe("_js2py_relayout")
    def _handler_js2py_relayout(self, change):
        with self._hl_lock:
            go.FigureWidget._handler_js2py_relayout(self, change)

    @observe("_js2py_update")
    def _handler_js2py_update(self, change):
        with self._hl_lock:
            go.FigureWidget._handler_js2py_update(self, change)


# ---------------------------------------------------------------------------------------------------
# the widget


class Playground:
    """An interactive playground: pick data, network and training settings; watch the network learn.

    Any setting of ``DEFAULTS`` can be given as a keyword (``Playground(**pg.settings)`` repeats a run exactly).
    dataset: "circle", "xor", "gauss", "spiral", "moons", "linear" or "blobs" (n_classes: 2-6 spiral arms,
    2-8 blobs). data: your own Dataset with 2 features instead (``hl.from_arrays(X, y)``, ``hl.from_csv``).
    hidden: neurons per hidden layer, e.g. [4, 2]; or depth and width (hidden = [width] * depth).
    live: True trains in a background thread with live plots; False trains synchronously (lessons, tests).
    frame_every: epochs between live frames.
    """

    def __init__(self, dataset: str | None = None, *, data: Dataset | None = None, hidden=None, depth: int | None = None,
                 width: int | None = None, live: bool = True, frame_every: int = FRAME_EVERY, **settings):
        live = check_bool("live", live)
        self._frame_every = check_int("frame_every", frame_every, 1, train.MAX_EPOCHS)
        self._own, self._plane, self._note = (None, None, "") if data is None else _plane_data(data)
        if dataset is None:
            dataset = OWN if data is not None else DEFAULTS["dataset"]
        if hidden is not None and (depth is not None or width is not None):
            raise ValueError(f"give either hidden (neurons per layer) or depth and width, not both; got hidden={hidden!r}, "
                             f"depth={depth!r}, width={width!r}")
        if hidden is None and (depth is not None or width is not None):
            hidden = models.hidden_sizes(2 if depth is None else depth, 4 if width is None else width)
        settings = dict(settings, dataset=dataset)
        if hidden is not None:
            settings["hidden"] = hidden
        if dataset == OWN and data is None:
            raise ValueError(f"dataset {OWN!r} needs your data: Playground(data=hl.from_arrays(X, y)); got data=None")
        self._settings = check_settings(settings, own=self._own)

        self._cond = threading.Condition()    # guards the request state below
        self._push = threading.RLock()         # one push to the figures and status at a time
        self._version = 0                      # the run counter: a newer request cancels the run in flight
        self._served = -1                      # the latest version a training thread has taken up
        self._sync_version = -1                # the version retrain() trains in the caller's thread
        self._playing = False
        self._steps = 0
        self._redraw = False
        self._closing = False
        self._run: _Run | None = None
        self._problem = ""
        self._local = threading.local()        # per thread: is this thread showing settings in the controls?
        self._control_lock = threading.RLock()  # one control change at a time (callbacks may come on two threads)
        self._keys: dict = {}                   # per figure: what its current structure was drawn for
        self._last_push = 0.0                  # when the last frame was pushed (for the browser's reply)
        self._last_resync = 0.0
        self._resync = False                   # next frame: send everything in full (a view missed frames)
        self._frame_started = 0.0              # when the last frame began: frames are due 1/12 s apart
        self._awaiting: dict = {}              # figure id -> edit id of its last frame, until the browser answers
        self._answering: set = set()           # figures whose browser views answer frames (pace on those)
        self._ack_lock = threading.Lock()
        self._acked = threading.Event()
        self.runs_started = 0
        self.runs_completed = 0                # runs that reached their end (done, diverged, early stopped)
        self.frame_seconds: list[float] = []   # time to compute and push each frame
        self.frame_log: list[tuple[float, int]] = []   # (time.perf_counter() of each frame, its epoch)
        self.errors: list[str] = []            # unexpected errors in the worker (also shown in the widget)
        self.grid = None                       # the arrays last drawn (probe.Grid, probe.NeuronMaps)
        self.neuron_maps = None
        self._build_widget()
        self._worker = None
        with self._cond:
            self._version = 1
            self._playing = not live
        if not live:
            train.warm_up()   # the first optimizer step in a process costs 1-2 s: keep it out of the run's timing
        self._serve(frames=False)            # live: builds the run and draws epoch 0; else trains to the end
        if live:
            with self._cond:
                self._playing = True
            self._worker = threading.Thread(target=self._work, name=f"hlkit-playground-{next(_numbers)}", daemon=True)
            self._worker.start()

    # -- public API ---------------------------------------------------------------------------------

    @classmethod
    def from_settings(cls, settings: dict, *, data: Dataset | None = None, live: bool = True, **options) -> Playground:
        """A Playground with the settings of another one (``pg.settings``): the same run, exactly."""
        if not isinstance(settings, dict):
            raise TypeError(f"settings must be a dict such as pg.settings; got {type(settings).__name__}")
        return cls(data=data, live=live, **options, **settings)

    @property
    def settings(self) -> dict:
        """Every setting as a plain dict; ``Playground(**settings)`` (plus data=... for own data) repeats the run."""
        with self._cond:
            return copy.deepcopy(self._settings)

    @property
    def model(self):
        """The trained (or training) torch module."""
        return None if self._run is None else self._run.model

    @property
    def history(self) -> train.History | None:
        """The current run's History (epoch, losses, accuracies per epoch; status, message)."""
        return None if self._run is None else self._run.history

    @property
    def data(self) -> Dataset | None:
        """The Dataset the current run trains on (own data: as rescaled into the plane, see ``to_plane``)."""
        return None if self._run is None else self._run.data

    @property
    def live(self) -> bool:
        return self._worker is not None

    def to_plane(self, X) -> np.ndarray:
        """Points of your own data (n, 2) mapped the way the Playground mapped your data (identity if it did not)."""
        X = np.asarray(X, dtype=np.float64)
        if self._plane is None:
            return X
        center, scale = self._plane
        return (X - center) * scale

    def save_model(self, path):
        """Save the current model with ``hl.models.save`` (reload it with ``hl.models.load``)."""
        run = self._run
        if run is None:
            raise ValueError("there is no model yet: the settings could not build one (see the widget's message)")
        with run.lock:
            return models.save(run.model, path)

    def set(self, **changes) -> None:
        """Change settings as if by the controls, e.g. ``pg.set(depth=3, width=8)`` or ``pg.set(lr=0.1)``: one
        retraining (synchronous without the worker thread). depth/width set hidden = [width] * depth."""
        with self._control_lock:
            self._set(changes)

    def _set(self, changes: dict) -> None:
        with self._cond:
            s = copy.deepcopy(self._settings)
        depth, width = changes.pop("depth", None), changes.pop("width", None)
        if depth is not None or width is not None:
            if "hidden" in changes:
                raise ValueError("give either hidden or depth and width, not both")
            old = s["hidden"]
            changes["hidden"] = models.hidden_sizes(len(old) if depth is None else depth,
                                                    (old[0] if old else 4) if width is None else width)
        s.update(changes)
        checked = check_settings(s, own=self._own)
        retrain = any(checked[k] != self._settings[k] for k in checked if k not in ("discretize", "show_test"))
        self._apply(checked, retrain=retrain)

    def retrain(self) -> train.History:
        """Train the current settings from scratch to the end in this thread (cancelling any live run) and
        return the History."""
        with self._cond:
            self._version += 1
            self._sync_version = self._version
            self._playing, self._steps = True, 0
        self._serve(frames=False)
        return self.history

    def play(self):
        with self._cond:
            if self._run is None or self._run.finished:
                self._version += 1
            self._playing = True
            self._cond.notify_all()
        self._after_request()

    def pause(self):
        with self._cond:
            self._playing = False
            self._steps = 0
            self._redraw = True
            self._cond.notify_all()
        self._after_request()

    def step(self):
        with self._cond:
            self._playing = False
            self._steps += 1
            self._cond.notify_all()
        self._after_request()

    def reset(self):
        with self._cond:
            self._version += 1
            self._playing, self._steps = False, 0
            self._cond.notify_all()
        self._after_request()

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until the worker has nothing left to do (the latest run ended or is paused); True if so."""
        end = time.perf_counter() + timeout
        with self._cond:
            while self._worker is not None and (self._pending() or self._busy):
                left = end - time.perf_counter()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def close(self) -> None:
        """Stop the training thread and close the widget."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=10)
        for child in self._all_widgets:
            child.close()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"Playground({', '.join(f'{k}={v!r}' for k, v in self.settings.items())})"

    # -- requests -------------------------------------------------------------------------------------

    def _apply(self, settings: dict, *, retrain: bool) -> None:
        with self._cond:
            self._settings = settings
            self._show_settings()
            if retrain:
                self._version += 1
                self._playing, self._steps = True, 0
            else:
                self._redraw = True
            self._cond.notify_all()
        self._after_request()

    def _after_request(self):
        if self._worker is None and not self._closing:
            self._serve(frames=False)

    def _pending(self) -> bool:
        """Is there work for the worker? (called with self._cond held)"""
        if self._version != self._served and self._version != self._sync_version:
            return True
        run = self._run
        if self._redraw and run is not None and run.version != self._sync_version:
            return True
        return (run is not None and (self._playing or self._steps > 0) and not run.finished
                and run.version == self._version and run.version != self._sync_version)

    def _work(self):
        train.warm_up()
        self._busy = False
        while True:
            with self._cond:
                while not (self._closing or self._pending()):
                    self._cond.wait()
                if self._closing:
                    return
                self._busy = True
            try:
                self._serve(frames=True)
            except Exception as err:   # keep the widget alive; say what happened
                self.errors.append(repr(err))
                self._set_problem(f"Something went wrong: {err!r}. Change a setting to try again.")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    _busy = False

    def _serve(self, *, frames: bool) -> None:
        """Take up the latest request: start a new run if the settings changed, redraw, and train while playing
        (drawing a frame every ``frame_every`` epochs if ``frames``, else once at the end). Returns early when a
        newer request arrives: that cancels this run."""
        with self._cond:
            version = self._version
            new = version != self._served and (frames is False or version != self._sync_version)
            if frames and version == self._sync_version:
                return
            self._served = max(self._served, version)
            settings = copy.deepcopy(self._settings)
            redraw, self._redraw = self._redraw, False
        if new:
            try:
                data = self._own if settings["dataset"] == OWN else make_dataset(
                    settings["dataset"], n_points=settings["n_points"], noise=settings["noise"],
                    train_ratio=settings["train_ratio"], seed=settings["seed"], n_classes=settings["n_classes"])
                run = _Run(version, settings, data)
            except (TypeError, ValueError) as err:
                self._set_problem(f"These settings cannot train: {err}")
                return
            with self._cond:
                if self._version != version:
                    return
                self._run = run
                self.runs_started += 1
            self._set_problem("")
        else:
            run = self._run
            if run is None or run.version != version:
                return
        drawn = not (new or redraw)
        with self._cond:
            will_train = (self._playing or self._steps > 0) and not run.finished
        if not drawn and (frames or not will_train):   # synchronous training draws once, at the end
            if frames and not self._pace(version):
                return
            self._draw(run)
            drawn = True
        chunk = self._frame_every if frames else train.MAX_EPOCHS + 1
        since_frame = 0
        while True:
            n = self._train(run, chunk)
            if n is None:
                return
            if n == 0:
                break
            drawn = False
            if frames:
                since_frame += n
                now = time.perf_counter()
                browser_busy = not self._acked.is_set() and now - self._last_push < ACK_TIMEOUT
                if not run.finished and now - self._frame_started < MIN_FRAME_SECONDS:
                    continue      # the next frame is not due yet: train on rather than wait (more epochs per frame)
                if browser_busy and not run.finished and since_frame < CATCH_UP * chunk:
                    continue      # a slow browser still draws the last frame: train on, show more epochs per frame
                if not self._pace(version):
                    return
                self._draw(run)
                drawn = True
                since_frame = 0
        if not drawn:
            self._draw(run)
        self._keep_state(run)

    def _keep_state(self, run: _Run, names=None) -> None:
        """Store each figure's current content in the state a new browser view starts from. Plotly's Python side
        sets that state only when a FigureWidget is made, and the browser drops frames sent before a view has
        loaded plotly's script: without this, a Playground shown after (or while) it trained shows empty plots."""
        with self._push:
            if run is not self._run:
                return
            for name in names or self.figures:
                fig = self.figures[name]
                fig._widget_data = copy.deepcopy(fig._data)
                fig._widget_layout = copy.deepcopy(fig._layout_obj._props)

    def _train(self, run: _Run, epochs: int) -> int | None:
        """Up to ``epochs`` epochs while playing (or stepping); None if a newer request cancelled the run."""
        done = 0
        while done < epochs:
            with self._cond:
                if self._closing or self._version != run.version:
                    return None
                if self._steps > 0:
                    self._steps -= 1
                elif not self._playing:
                    break
            if not run.advance():
                break
            done += 1
            if run.finished:
                with self._cond:
                    self.runs_completed += 1
                break
        return done

    # -- drawing --------------------------------------------------------------------------------------

    def _pace(self, version: int) -> bool:
        """Wait until the browser has drawn the last frame (if it answers) and 1/12 s has passed; False if a
        newer request arrived meanwhile."""
        start = time.perf_counter()
        while True:
            now = time.perf_counter()
            waiting_ack = not self._acked.is_set()
            if waiting_ack and now - self._last_push > ACK_TIMEOUT:
                with self._ack_lock:          # these views stopped answering (tab closed?): stop waiting for them
                    self._answering -= set(self._awaiting)
                    self._acked.set()
                waiting_ack = False
            if not waiting_ack and now - self._frame_started >= MIN_FRAME_SECONDS:
                return True
            with self._cond:
                if self._closing or self._version != version:
                    return False
                self._cond.wait(0.01 if now - start < 0.2 else 0.03)

    def _on_ack(self, change):
        msg = change.get("new")
        if not msg:
            return
        fig = change.get("owner")
        owner = id(fig)
        edit = msg.get("trace_edit_id", -1)
        with self._ack_lock:
            self._answering.add(owner)
            wanted = self._awaiting.get(owner)
            if wanted is not None and edit >= wanted:
                del self._awaiting[owner]
            if not set(self._awaiting) & self._answering:
                self._acked.set()
        # A view that answers with an old edit long after the last frame was built from a stale state and missed the
        # frames since: a page still loading (Voila, a slow browser) drops frames sent before its figure exists.
        if edit < getattr(fig, "_last_trace_edit_id", edit) and time.perf_counter() - self._last_push > ACK_TIMEOUT:
            self._request_resync()

    def _request_resync(self) -> None:
        """Send every figure and text again in full, at most every RESYNC_SECONDS (and only with a worker)."""
        with self._cond:
            now = time.perf_counter()
            if self._worker is None or now - self._last_resync < RESYNC_SECONDS:
                return
            self._last_resync = now
            self._resync = self._redraw = True
            self._cond.notify_all()

    def _draw(self, run: _Run) -> None:
        """Compute the plots' arrays (hl.probe) and copy them into the figures: only the changed numbers when the
        figure's structure is unchanged, else a figure made by hl.viz."""
        start = time.perf_counter()
        with self._cond:
            s = copy.deepcopy(self._settings)
            resync, self._resync = self._resync, False
        history, model = run.history, run.model
        with run.lock, np.errstate(over="ignore", under="ignore"):   # saturated outputs are fine to draw
            finite = all(np.isfinite(p.detach().numpy()).all() for p in model.parameters())
            if finite:    # a diverged model keeps its last good pictures
                big = models.n_params(model) > BIG_PARAMS
                grid = probe.grid(model, resolution=RESOLUTION_BIG if big else RESOLUTION)
                n_maps = sum(min(h, MAX_PER_LAYER) for h in run.settings["hidden"])
                maps = probe.neuron_maps(model, resolution=MAP_RESOLUTION if n_maps <= BIG_NET else MAP_RESOLUTION_BIG)
                weights = probe.weights(model)
                names = probe.layer_names(model)
        status = self._status_html(run)
        with self._push:
            with self._cond:
                if run is not self._run or self._closing:
                    return
            figs = self.figures
            if resync:
                self._keys.clear()
                for text in (self.status, self.problem, self._maps_note):
                    text.send_state()
            before = {name: fig._last_trace_edit_id for name, fig in figs.items()}
            rebuilt = []
            if self._keys.get("loss") is None:
                viz.update_figure(figs["loss"], viz.loss_curves(history), replace=resync)
                self._keys["loss"] = True
                rebuilt.append("loss")
            else:
                with figs["loss"].batch_update():
                    for trace, (x, y) in zip(figs["loss"].data, viz.loss_curve_data(history), strict=True):
                        trace.update(x=x, y=y)
            if finite:
                key = (run.version, s["discretize"], s["show_test"])
                if self._keys.get("boundary") != key:
                    viz.update_figure(figs["boundary"], viz.decision_boundary(
                        grid, run.data, discretize=s["discretize"], show_test=s["show_test"]), replace=resync)
                    self._keys["boundary"] = key
                    rebuilt.append("boundary")
                else:
                    figs["boundary"].data[0].z = viz.boundary_z(grid, discretize=s["discretize"])
                key = (tuple(W.shape for W, _ in weights), tuple(names))
                if self._keys.get("network") != key:
                    viz.update_figure(figs["network"], viz.network(weights, input_names=names, max_per_layer=MAX_PER_LAYER,
                                                                   fixed_traces=True), replace=resync)
                    self._keys["network"] = key
                    rebuilt.append("network")
                else:
                    links = viz.network_links(weights, max_per_layer=MAX_PER_LAYER)
                    with figs["network"].batch_update():
                        for trace, (_, _, xs, ys) in zip(figs["network"].data, links, strict=False):
                            trace.update(x=xs, y=ys)
                key = (tuple(len(m) for m in maps.maps), tuple(names), len(maps.xs), run.data.n_classes)
                if self._keys.get("maps") != key:
                    viz.update_figure(figs["maps"], viz.neuron_maps(maps, input_names=names, max_per_layer=MAX_PER_LAYER),
                                      replace=resync)
                    self._keys["maps"] = key
                    rebuilt.append("maps")
                else:
                    with figs["maps"].batch_update():
                        for trace, (z, zmin, zmax) in zip(figs["maps"].data, viz.neuron_map_z(
                                maps, max_per_layer=MAX_PER_LAYER), strict=True):
                            trace.update(z=z, zmin=zmin, zmax=zmax)
                self.grid, self.neuron_maps = grid, maps
                self._maps_note.value = self._maps_caption(run, len(maps.xs))
            if rebuilt:
                self._keep_state(run, rebuilt)
            self.status.value = status
            if history.status == "diverged":
                self._show_problem(history.message)
            elif self._problem.startswith("Training diverged"):
                self._show_problem("")
            with self._ack_lock:
                self._awaiting = {id(fig): fig._last_trace_edit_id for name, fig in figs.items()
                                  if fig._last_trace_edit_id != before[name]}
                if set(self._awaiting) & self._answering:
                    self._acked.clear()
                else:
                    self._acked.set()
            self._last_push = time.perf_counter()
            self._frame_started = start
        self.frame_seconds.append(self._last_push - start)
        self.frame_log.append((self._last_push, history.epoch[-1]))
        del self.frame_seconds[:-200], self.frame_log[:-200]

    def _status_html(self, run: _Run) -> str:
        h = run.history
        epochs_run = h.epoch[-1]
        per_epoch = f"{1000 * run.train_seconds / epochs_run:.2g} ms per epoch" if epochs_run else "untrained"
        with self._cond:
            playing = self._playing
        state = {"done": "done", "diverged": "diverged", "early_stopped": "stopped early", "stopped": "stopped"}.get(
            h.status, "training" if playing else "paused")
        return (f"<div style='font-family:monospace'><b>epoch {epochs_run}</b> of {run.settings['epochs']} ({state}) · "
                f"loss train {h.train_loss[-1]:.3f} / test {h.test_loss[-1]:.3f} · "
                f"accuracy train {h.train_acc[-1]:.1%} / test {h.test_acc[-1]:.1%} · {per_epoch} · "
                f"{models.n_params(run.model):,} parameters</div>")

    def _maps_caption(self, run: _Run, resolution: int) -> str:
        hidden = run.settings["hidden"]
        text = PLOT_HELP["maps"]
        if any(h > MAX_PER_LAYER for h in hidden):
            text += (f" Only the first {MAX_PER_LAYER} neurons of each layer are drawn (here and in the network), "
                     f"on a {resolution}×{resolution} grid.")
        return _caption(text)

    def _set_problem(self, text: str) -> None:
        with self._push:
            self._show_problem(text)

    def _show_problem(self, text: str) -> None:
        self._problem = text
        if not text:
            self.problem.value = ""
            return
        self.problem.value = ("<div style='border:1px solid #d62728;background:#fdecea;color:#a31515;padding:4px 8px;"
                              f"border-radius:4px'>⚠ {html.escape(text)}</div>")

    # -- controls -------------------------------------------------------------------------------------

    def _build_widget(self) -> None:
        s = self._settings
        style = {"description_width": "95px"}
        box = W.Layout(width="275px")

        def slider(kind, key, label, **kw):
            w = kind(description=label, continuous_update=False, style=style, layout=box, tooltip=HELP[key], **kw)
            return w

        def dropdown(key, label, options, value):
            return W.Dropdown(description=label, options=options, value=value, style=style, layout=box,
                              tooltip=HELP[key])

        def with_value(options, value):
            return tuple(sorted(set(options) | {value}))

        c = {}
        datasets = list(GENERATORS) + ([OWN] if self._own is not None else [])
        c["dataset"] = dropdown("dataset", "dataset", datasets, s["dataset"])
        c["n_classes"] = slider(W.IntSlider, "n_classes", "classes", min=2, max=8, value=s["n_classes"])
        c["n_points"] = slider(W.IntSlider, "n_points", "points", min=min(50, s["n_points"]),
                               max=max(2000, s["n_points"]), step=10, value=s["n_points"])
        c["noise"] = slider(W.FloatSlider, "noise", "noise", min=0.0, max=1.0, step=0.05, value=s["noise"])
        c["train_ratio"] = slider(W.FloatSlider, "train_ratio", "train ratio", min=0.1, max=0.9, step=0.05,
                                  value=s["train_ratio"])
        c["seed"] = W.BoundedIntText(description="seed", min=0, max=2**32 - 1, value=s["seed"], style=style, layout=box,
                                     tooltip=HELP["seed"])
        c["show_test"] = W.Checkbox(description="show test data", value=s["show_test"], indent=False,
                                    tooltip=HELP["show_test"], layout=box)
        c["discretize"] = W.Checkbox(description="discretize output", value=s["discretize"], indent=False,
                                     tooltip=HELP["discretize"], layout=box)
        hidden = s["hidden"]
        c["depth"] = slider(W.IntSlider, "depth", "hidden layers", min=0, max=models.MAX_DEPTH, value=len(hidden))
        c["width"] = slider(W.IntSlider, "width", "neurons/layer", min=1, max=models.MAX_WIDTH,
                            value=hidden[0] if hidden else 4)
        c["layers"] = W.Text(description="per layer", value=",".join(map(str, hidden)), continuous_update=False,
                             placeholder="e.g. 8,4,2", style=style, layout=box, tooltip=HELP["layers"])
        c["activation"] = dropdown("activation", "activation", list(models.ACTIVATIONS), s["activation"])
        self.features = {name: W.ToggleButton(description=name, value=name in s["features"], tooltip=HELP["features"],
                                              layout=W.Layout(width="68px"))
                         for name in models.FEATURES}
        c["lr"] = dropdown("lr", "learning rate", [(f"{v:g}", v) for v in with_value(LEARNING_RATES, s["lr"])], s["lr"])
        c["optimizer"] = dropdown("optimizer", "optimizer", list(train.OPTIMIZERS), s["optimizer"])
        c["regularization"] = dropdown("regularization", "regularization", list(train.REGULARIZATIONS),
                                       s["regularization"])
        c["reg_rate"] = dropdown("reg_rate", "reg. rate", [(f"{v:g}", v) for v in with_value(REG_RATES, s["reg_rate"])],
                                 s["reg_rate"])
        batches = [("full batch", 0)] + [(str(v), v) for v in with_value(BATCH_SIZES, s["batch_size"] or 1)]
        c["batch_size"] = dropdown("batch_size", "batch size", batches, s["batch_size"] or 0)
        c["epochs"] = W.BoundedIntText(description="epochs", min=1, max=train.MAX_EPOCHS, value=s["epochs"], style=style,
                                       layout=box, tooltip=HELP["epochs"])
        self.controls = c
        self.upload = W.FileUpload(accept=".csv", multiple=False, description="own data (CSV)", tooltip=HELP["upload"],
                                   layout=W.Layout(width="180px"))
        self.upload.observe(self._on_upload, names="value")
        for key, widget in c.items():
            widget.observe(functools.partial(self._on_control, key), names="value")
        for toggle in self.features.values():
            toggle.observe(functools.partial(self._on_control, "features"), names="value")

        self.buttons = {name: W.Button(description=name, icon=icon, tooltip=HELP[name], layout=W.Layout(width="90px"))
                        for name, icon in (("play", "play"), ("pause", "pause"), ("step", "step-forward"),
                                           ("reset", "undo"))}
        for name, button in self.buttons.items():
            button.on_click(lambda _b, name=name: getattr(self, name)())

        self.figures = {name: _Figure(lock=self._push) for name in ("boundary", "loss", "network", "maps")}
        for fig in self.figures.values():
            fig.observe(self._on_ack, names="_js2py_traceDeltas")
        self.status = W.HTML()
        self.problem = W.HTML()
        self.note = W.HTML(self._note_html())
        self._maps_note = W.HTML(_caption(PLOT_HELP['maps']))

        def section(title, children):
            return W.VBox([W.HTML(f"<b>{title}</b>"), *children], layout=W.Layout(margin="0 8px 0 0"))

        features_box = W.VBox([W.HTML(_caption("input features")),
                               W.HBox(list(self.features.values())[:4]), W.HBox(list(self.features.values())[4:])])
        controls = W.HBox([
            section("Data", [c["dataset"], c["n_classes"], c["n_points"], c["noise"], c["train_ratio"], c["seed"],
                             c["show_test"], c["discretize"], self.upload]),
            section("Network", [c["depth"], c["width"], c["layers"], c["activation"], features_box]),
            section("Training", [c["lr"], c["optimizer"], c["regularization"], c["reg_rate"], c["batch_size"],
                                 c["epochs"]]),
        ])

        def plot(name, caption):
            caption.layout = W.Layout(max_width="470px")
            return W.VBox([self.figures[name], caption], layout=W.Layout(flex="0 0 auto", margin="0 10px 0 0"))

        wrap = W.Layout(flex_flow="row wrap")    # a wide network or many neuron maps go below, not off screen

        help_items = "".join(f"<li><b>{html.escape(k.replace('_', ' '))}</b>: {html.escape(v)}</li>"
                             for k, v in HELP.items())
        help_box = W.Accordion([W.HTML(f"<ul>{help_items}</ul>")])
        help_box.set_title(0, "What do the controls mean?")
        help_box.selected_index = None
        self.widget = W.VBox([
            W.HTML("<b>Playground</b>: a real PyTorch network learns to separate the coloured points. Change any "
                   "control and it trains again from scratch; the plots follow it live."),
            controls,
            W.HBox(list(self.buttons.values())),
            self.status, self.problem, self.note,
            W.HBox([plot("boundary", W.HTML(_caption(PLOT_HELP['boundary']))),
                    plot("loss", W.HTML(_caption(PLOT_HELP['loss'])))], layout=wrap),
            W.HBox([plot("network", W.HTML(_caption(PLOT_HELP['network']))),
                    plot("maps", self._maps_note)], layout=wrap),
            help_box,
        ])
        self._quiet = True
        try:
            self._enable_controls()
        finally:
            self._quiet = False

        def walk(widget):
            yield widget
            for child in getattr(widget, "children", ()):
                yield from walk(child)

        self._all_widgets = list(walk(self.widget))

    def _note_html(self) -> str:
        if not self._note:
            return ""
        return ("<div style='color:#0b4f79;background:#eaf3fa;padding:4px 8px;border-radius:4px'>"
                f"ℹ {html.escape(self._note)}</div>")

    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files or self._closing or self._quiet:
            return
        item = files[0]
        name = Path(str(item.get("name") or "data.csv")).name
        with self._control_lock:
            try:
                with tempfile.TemporaryDirectory() as folder:
                    path = Path(folder) / name
                    path.write_bytes(bytes(item["content"]))
                    own, plane, note = _plane_data(from_csv(path))
            except (OSError, TypeError, ValueError) as err:
                self._set_problem(f"Could not use {name!r}: {err}")
                return
            with self._cond:
                self._own, self._plane, self._note = own, plane, note
                s = copy.deepcopy(self._settings)
            s["dataset"] = OWN
            self.note.value = self._note_html()
            self._quiet = True
            try:
                self.controls["dataset"].options = [*GENERATORS, OWN]
            finally:
                self._quiet = False
            self._apply(check_settings(s, own=own), retrain=True)

    def _enable_controls(self) -> None:
        s = self._settings
        own = s["dataset"] == OWN
        allowed = (s["n_classes"],) if own else GENERATORS[s["dataset"]][1]
        c = self.controls
        low, high = min(allowed), max(max(allowed), min(allowed) + 1)
        slider = c["n_classes"]
        slider.max = max(high, slider.min)   # in this order min <= max holds at every step
        slider.min = low
        slider.max = high
        c["n_classes"].disabled = len(allowed) == 1
        for key in ("n_points", "noise", "train_ratio"):
            c[key].disabled = own
        c["reg_rate"].disabled = s["regularization"] == "none"

    def _show_settings(self) -> None:
        """Make the controls show self._settings, without triggering their callbacks."""
        s = self._settings
        c = self.controls
        self._quiet = True
        try:
            self._enable_controls()
            for key in ("dataset", "n_classes", "n_points", "noise", "train_ratio", "seed", "show_test", "discretize",
                        "activation", "optimizer", "regularization", "epochs"):
                if c[key].value != s[key]:
                    if key == "n_points":
                        c[key].max = max(c[key].max, s[key])
                        c[key].min = min(c[key].min, s[key])
                    c[key].value = s[key]
            for key, value, base in (("lr", s["lr"], LEARNING_RATES), ("reg_rate", s["reg_rate"], REG_RATES)):
                if value not in [v for _, v in c[key].options]:
                    c[key].options = [(f"{v:g}", v) for v in sorted(set(base) | {value})]
                c[key].value = value
            batch = s["batch_size"] or 0
            if batch not in [v for _, v in c["batch_size"].options]:
                c["batch_size"].options = [("full batch", 0)] + [(str(v), v) for v in sorted(set(BATCH_SIZES) | {batch})]
            c["batch_size"].value = batch
            hidden = s["hidden"]
            c["depth"].value = len(hidden)
            if hidden:
                c["width"].value = hidden[0] if len(set(hidden)) == 1 else max(hidden)
            text = ",".join(map(str, hidden))
            try:
                same = parse_layers(c["layers"].value) == hidden
            except ValueError:
                same = False
            if not same:
                c["layers"].value = text
            for name, toggle in self.features.items():
                toggle.value = name in s["features"]
        finally:
            self._quiet = False

    @property
    def _quiet(self) -> bool:
        return getattr(self._local, "quiet", False)

    @_quiet.setter
    def _quiet(self, value: bool) -> None:
        self._local.quiet = value

    def _on_control(self, key: str, change) -> None:
        if self._quiet or self._closing:
            return
        with self._control_lock:   # the control's value now: with two callback threads the latest value wins
            self._control_changed(key, self.controls[key].value if key in self.controls else None)

    def _control_changed(self, key: str, value) -> None:
        with self._cond:
            s = copy.deepcopy(self._settings)
        try:
            if key == "depth":
                s["hidden"] = [self.controls["width"].value] * value
            elif key == "width":
                s["hidden"] = [value] * len(s["hidden"])
            elif key == "layers":
                s["hidden"] = parse_layers(value)
            elif key == "features":
                s["features"] = [name for name, toggle in self.features.items() if toggle.value]
                if not s["features"]:
                    raise ValueError("features: switch on at least one input feature (x1, x2, ...); "
                                     "the network has nothing to look at")
            elif key == "batch_size":
                s["batch_size"] = value or None
            elif key == "dataset" and value != OWN:
                allowed = GENERATORS[value][1]
                s["dataset"], s["n_classes"] = value, min(max(s["n_classes"], min(allowed)), max(allowed))
            else:
                s[key] = value
            checked = check_settings(s, own=self._own)
        except (TypeError, ValueError) as err:
            self._set_problem(str(err))
            return
        retrain = key not in ("discretize", "show_test")
        if key == "regularization" or key == "reg_rate":
            retrain = checked != self._settings
        self._apply(checked, retrain=retrain)
