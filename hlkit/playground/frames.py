"""What one picture of a run holds, as arrays: the boundary grid, every neuron's map, the weights, the loss
series, the points. Computed with ``hlkit.probe`` from a run; drawn by the live view (in the page) or by
``hlkit.viz`` (plotly figures, ``Playground.figure``). No widgets, no threads."""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import models, probe, train, viz
from ..data import Dataset
from .settings import DISPLAY

RESOLUTION = 50          # decision-boundary grid (50 x 50 cells); RESOLUTION_BIG for nets over BIG_PARAMS weights
RESOLUTION_BIG = 30
BIG_PARAMS = 50_000
MAP_RESOLUTION = 30      # neuron-map grid; MAP_RESOLUTION_BIG when more than BIG_NET maps are drawn
MAP_RESOLUTION_BIG = 20
BIG_NET = 40
MAX_PER_LAYER = 8        # neurons drawn per layer in the neuron maps and the network
MAX_POINTS_DRAWN = 1000  # points drawn per split (train, test): own data may hold a million
LOSS_POINTS = 300        # the loss curve is sent decimated to at most this many epochs


@dataclasses.dataclass
class Frame:
    """One picture: run number, epoch, state ("training", "paused", "done", ...) and the arrays to draw.
    grid, maps, weights and names are None when the model's weights are not finite (diverged): the view keeps
    its last good pictures."""

    version: int
    epoch: int
    epochs: int
    state: str
    history: train.History
    data: Dataset
    settings: dict
    n_params: int
    train_seconds: float
    grid: probe.Grid | None
    maps: probe.NeuronMaps | None
    weights: list | None
    names: list | None


def compute(run, state: str, settings: dict) -> Frame:
    """The frame of ``run`` (a runner.Run) now, drawn with the display options of ``settings``; call it in the
    thread that trains the run (or hold run.lock)."""
    model = run.model
    grid = maps = weights = names = None
    with run.lock, np.errstate(over="ignore", under="ignore"):   # saturated outputs are fine to draw
        if all(np.isfinite(p.detach().numpy()).all() for p in model.parameters()):
            big = models.n_params(model) > BIG_PARAMS
            grid = probe.grid(model, resolution=RESOLUTION_BIG if big else RESOLUTION)
            n_maps = sum(min(h, MAX_PER_LAYER) for h in run.settings["hidden"])
            maps = probe.neuron_maps(model, resolution=MAP_RESOLUTION if n_maps <= BIG_NET else MAP_RESOLUTION_BIG)
            weights = probe.weights(model)
            names = probe.layer_names(model)
    h = run.history
    shown = dict(run.settings, **{key: settings[key] for key in DISPLAY})
    return Frame(run.version, h.epoch[-1], run.settings["epochs"], state, h, run.data, shown,
                 models.n_params(model), run.train_seconds, grid, maps, weights, names)


def thinned(data: Dataset, cap: int = MAX_POINTS_DRAWN) -> Dataset:
    """The points to draw: at most ``cap`` per split, an even, seeded sample (the model trains on all)."""
    def pick(X, y):
        if len(y) <= cap:
            return X, y
        rows = np.sort(np.random.default_rng(0).choice(len(y), cap, replace=False))
        return np.asarray(X)[rows], np.asarray(y)[rows]

    X_train, y_train = pick(data.X_train, data.y_train)
    X_test, y_test = pick(data.X_test, data.y_test)
    return dataclasses.replace(data, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)


def loss_rows(history: train.History, cap: int = LOSS_POINTS) -> np.ndarray:
    """(m, 5) float32 rows of epoch, train loss, test loss, train accuracy, test accuracy, m <= cap: every epoch
    while they fit, then an even selection that always keeps the first and the latest epoch."""
    n = len(history.epoch)
    rows = np.arange(n) if n <= cap else np.unique(np.linspace(0, n - 1, cap).round().astype(int))
    columns = [history.epoch, history.train_loss, history.test_loss, history.train_acc, history.test_acc]
    return np.stack([np.asarray(c, dtype=np.float64)[rows] for c in columns], axis=1).astype(np.float32)


def figure(frame: Frame, name: str):
    """The frame's picture ``name`` ("boundary", "loss", "network", "neurons") as a plotly figure (hlkit.viz)."""
    names = ("boundary", "loss", "network", "neurons")
    if name not in names:
        raise ValueError(f"name must be one of {', '.join(map(repr, names))}; got {name!r}")
    if name == "loss":
        return viz.loss_curves(frame.history)
    if frame.grid is None:
        raise ValueError("the model's weights are not finite (the run diverged): there is no picture to export")
    s = frame.settings
    if name == "boundary":
        return viz.decision_boundary(frame.grid, thinned(frame.data), discretize=s["discretize"],
                                     show_test=s["show_test"])
    if name == "network":
        return viz.network(frame.weights, input_names=frame.names, max_per_layer=MAX_PER_LAYER)
    return viz.neuron_maps(frame.maps, input_names=frame.names, max_per_layer=MAX_PER_LAYER)
