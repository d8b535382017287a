"""The Playground: settings, runner, live view and controls joined by callbacks (this file holds no widget code,
no thread code and no drawing: it only connects them)."""

from __future__ import annotations

import copy
import tempfile
import weakref
from pathlib import Path

import numpy as np

from .. import models, train
from ..arguments import check_bool, check_float, check_int
from ..data import Dataset, from_csv, make_dataset
from . import frames, runner
from . import settings as S
from .controls import Controls
from .front import Front
from .view import LiveView, status_text

#: the Playground made by each notebook cell (JupyterLab's cell id): running the cell again closes the old one
_by_cell: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
#: an edited weight or bias may lie in [-MAX_EDIT, MAX_EDIT] (trained ones stay within a few units; beyond this
#: every activation saturates and the loss overflows)
MAX_EDIT = 100.0


def _cell_id() -> str | None:
    """The id of the notebook cell running now (JupyterLab and Voila send it), None outside a notebook."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    parent = getattr(shell, "parent_header", None) or {}
    return (parent.get("metadata") or {}).get("cellId")


class Playground(Front):
    """An interactive playground: pick data, network and training settings; watch the network learn.

    Any setting of ``settings.DEFAULTS`` can be given as a keyword (``Playground(**pg.settings)`` repeats a run
    exactly). dataset: "circle", "xor", "gauss", "spiral", "moons", "linear" or "blobs" (n_classes: 2-6 spiral
    arms, 2-8 blobs); settings not given take that dataset's defaults (``settings.defaults_for``). data: your own
    Dataset with 2 features instead (``hl.from_arrays(X, y)``, ``hl.from_csv``).
    hidden: neurons per hidden layer, e.g. [4, 2]; or depth and width (hidden = [width] * depth).
    live: True trains in a background thread and the page paints it live; False trains synchronously (lessons,
    tests). A Playground made again by the same notebook cell closes the one that cell made before.
    """

    def __init__(self, dataset: str | None = None, *, data: Dataset | None = None, hidden=None, depth: int | None = None,
                 width: int | None = None, live: bool = True, frame_seconds: float = runner.FRAME_SECONDS, **settings):
        live = check_bool("live", live)
        frame_seconds = check_float("frame_seconds", frame_seconds, 0.0, 10.0)
        self._own, self._plane, note = (None, None, "") if data is None else S.plane_data(data)
        if dataset is None:
            dataset = S.OWN if data is not None else S.DEFAULTS["dataset"]
        if hidden is not None and (depth is not None or width is not None):
            raise ValueError(f"give either hidden (neurons per layer) or depth and width, not both; got hidden={hidden!r}, "
                             f"depth={depth!r}, width={width!r}")
        if hidden is None and (depth is not None or width is not None):
            hidden = models.hidden_sizes(2 if depth is None else depth, 4 if width is None else width)
        settings = dict(settings, dataset=dataset)
        if hidden is not None:
            settings["hidden"] = hidden
        if dataset == S.OWN and data is None:
            raise ValueError(f"dataset {S.OWN!r} needs your data: Playground(data=hl.from_arrays(X, y)); got data=None")
        checked = S.check_settings(settings, own=self._own)
        self.frame: frames.Frame | None = None   # the arrays last drawn
        self.view = LiveView()
        self.view.on_edit = self._on_edit
        self._controls = Controls(checked, self.view, own=self._own is not None, on_change=self._on_control,
                                  on_button=lambda name: getattr(self, name)(), on_upload=self._on_upload)
        self._controls.say(note=note)
        cell = _cell_id()
        if live and cell is not None:
            old = _by_cell.get(cell)
            if old is not None:
                old.close()
            _by_cell[cell] = self
        self._runner = runner.Runner(checked, make_data=self._make_data, on_frame=self._on_frame,
                                     on_problem=self._on_problem, live=live, frame_seconds=frame_seconds)
        self.view.on_watch = self._runner.watch   # frames slow down while no page shows the pictures

    # -- public API ---------------------------------------------------------------------------------------

    @classmethod
    def from_settings(cls, settings: dict, *, data: Dataset | None = None, live: bool = True, **options) -> Playground:
        """A Playground with the settings of another one (``pg.settings``): the same run, exactly."""
        if not isinstance(settings, dict):
            raise TypeError(f"settings must be a dict such as pg.settings; got {type(settings).__name__}")
        return cls(data=data, live=live, **options, **settings)

    @property
    def settings(self) -> dict:
        """Every setting as a plain dict; ``Playground(**settings)`` (plus data=... for own data) repeats the run."""
        return copy.deepcopy(self._runner.settings)

    @property
    def model(self):
        """The trained (or training) torch module."""
        run = self._runner.run
        return None if run is None else run.model

    @property
    def history(self) -> train.History | None:
        """The current run's History (epoch, losses, accuracies per epoch; status, message)."""
        self._check_open()
        run = self._runner.run
        return None if run is None else run.history

    @property
    def data(self) -> Dataset | None:
        """The Dataset the current run trains on (own data: as rescaled into the plane, see ``to_plane``)."""
        run = self._runner.run
        return None if run is None else run.data

    @property
    def grid(self):
        """The boundary grid last drawn (a ``probe.Grid``)."""
        return None if self.frame is None else self.frame.grid

    @property
    def runs_started(self) -> int:
        return self._runner.runs_started

    @property
    def runs_completed(self) -> int:
        return self._runner.runs_completed

    @property
    def frame_log(self) -> list[tuple[float, int]]:
        """(time.perf_counter(), epoch) of the recent frames."""
        return self._runner.frame_log

    @property
    def controls(self) -> dict:
        return self._controls.controls

    @property
    def features(self) -> dict:
        return self._controls.features

    @property
    def note(self):
        return self._controls.note

    @property
    def upload(self):
        return self._controls.upload

    def figure(self, name: str = "boundary"):
        """The picture ``name`` ("boundary", "loss", "network" or "neurons") as a plotly figure (hlkit.viz), made
        from the same arrays the live view last painted: for lessons and export."""
        if self.frame is None:
            raise ValueError("nothing is drawn yet: the settings could not build a network (see the widget's message)")
        return frames.figure(self.frame, name)

    def to_plane(self, X) -> np.ndarray:
        """Points of your own data (n, 2) mapped the way the Playground mapped your data (identity if it did not)."""
        X = np.asarray(X, dtype=np.float64)
        if self._plane is None:
            return X
        center, scale = self._plane
        return (X - center) * scale

    def save_model(self, path):
        """Save the current model with ``hl.models.save`` (reload it with ``hl.models.load``)."""
        run = self._runner.run
        if run is None:
            raise ValueError("there is no model yet: the settings could not build one (see the widget's message)")
        with run.lock:
            return models.save(run.model, path)

    def edit(self, layer: int, neuron: int, value: float, *, source: int | None = None) -> None:
        """Set one weight or bias of the model, as clicking it in the picture does; training goes on from the new
        value (paused or finished: the pictures show it). layer: 0 = the first hidden layer, ..., -1 = the output
        layer (the order of ``hl.probe.weights``); neuron: which neuron of that layer (from 0); source: which
        neuron of the layer before (an input for layer 0) sends the weight, None for the neuron's bias; value:
        a number in [-MAX_EDIT, MAX_EDIT]."""
        self._check_open()
        run = self._runner.run
        if run is None:
            raise ValueError("there is no model to edit: the settings could not build one (see the widget's message)")
        sizes = [run.model.hidden[0].in_features if len(run.model.hidden) else run.model.out.in_features]
        sizes += [m.out_features for m in [*run.model.hidden, run.model.out]]
        n = len(sizes) - 1
        layer = check_int("layer", layer, -n, n - 1)
        layer %= n
        neuron = check_int("neuron", neuron, 0, sizes[layer + 1] - 1)
        if source is not None:
            source = check_int("source", source, 0, sizes[layer] - 1)
        value = check_float("value", value, -MAX_EDIT, MAX_EDIT)
        self._runner.edit(layer, neuron, source, value)

    def set(self, **changes) -> None:
        """Change settings as if by the controls, e.g. ``pg.set(depth=3, width=8)`` or ``pg.set(lr=0.1)``: one
        retraining (synchronous without the worker thread). depth/width set hidden = [width] * depth."""
        self._check_open()
        old = self._runner.settings
        new = S.changed(old, changes, own=self._own)
        self._apply(new, retrain=S.needs_training(old, new))

    def retrain(self) -> train.History:
        """Train the current settings from scratch to the end in this thread (cancelling any live run) and
        return the History."""
        return self._runner.retrain()

    def close(self) -> None:
        """Stop training (within a minibatch) and close the widgets. Using the Playground afterwards raises."""
        super().close()
        self.view.close()

    def __repr__(self) -> str:
        return f"Playground({', '.join(f'{k}={v!r}' for k, v in self.settings.items())})"

    # -- callbacks ----------------------------------------------------------------------------------------

    def _apply(self, new: dict, *, retrain: bool) -> None:
        self._controls.show(new)
        self._runner.request(new, retrain=retrain)

    def _make_data(self, s: dict) -> Dataset:
        if s["dataset"] == S.OWN:
            return self._own
        return make_dataset(s["dataset"], n_points=s["n_points"], noise=s["noise"], train_ratio=s["train_ratio"],
                            seed=s["seed"], n_classes=s["n_classes"])

    def _on_frame(self, run, state: str, settings: dict) -> None:
        frame = frames.compute(run, state, settings)
        self.frame = frame
        edited = run.edited if run.edited is not None and run.edited["epoch"] == frame.epoch else None
        self.view.show(frame, status_text(frame, edited=edited))
        h = run.history
        if h.status == "diverged":
            self._controls.say(problem=h.message)
        elif self._controls.problem.value and "diverged" in self._controls.problem.value:
            self._controls.say(problem="")

    def _on_edit(self, layer: int, neuron: int, source: int | None, value: float) -> None:
        """The page's edit of a weight or bias (LiveView has read the message); raises what ``edit`` raises."""
        self.edit(layer, neuron, value, source=source)

    def _on_problem(self, text: str) -> None:
        self._controls.say(problem=text)

    def _on_control(self, key: str, value) -> None:
        if self._runner.closed:
            return
        old = self._runner.settings
        try:
            if key == "layers":
                change = {"hidden": S.parse_layers(value)}
            elif key == "depth":
                change = {"hidden": [self.controls["width"].value] * value}
            elif key == "width":
                change = {"hidden": [value] * len(old["hidden"])}
            elif key == "features" and not value:
                raise ValueError("features: switch on at least one input feature (x1, x2, ...); "
                                 "the network has nothing to look at")
            else:
                change = {key: value}
            new = S.changed(old, change, own=self._own)
        except (TypeError, ValueError) as err:
            self._controls.say(problem=str(err))
            return
        self._controls.say(problem="")
        if new != old:
            self._apply(new, retrain=S.needs_training(old, new))

    def _on_upload(self, name: str, content: bytes) -> None:
        name = Path(name).name
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / name
                path.write_bytes(content)
                own, plane, note = S.plane_data(from_csv(path))
        except (OSError, TypeError, ValueError) as err:
            self._controls.say(problem=f"Could not use {name!r}: {err}")
            return
        self._own, self._plane = own, plane
        self._controls.say(problem="", note=note)
        new = S.check_settings(dict(self._runner.settings, dataset=S.OWN), own=own)
        self._controls.show(new, own=True)
        self._runner.request(new, retrain=True)
