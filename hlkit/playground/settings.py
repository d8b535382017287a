"""The Playground's settings: defaults, help texts, checks, and the depth/width <-> hidden mapping.

Pure: no widgets, no threads. ``check_settings`` returns a checked copy or raises an error naming the setting;
``changed`` applies a change as a control or ``pg.set`` would.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np

from .. import models, train
from ..arguments import check_bool, check_choice, check_float, check_int
from ..data import DOMAIN, GENERATORS, MAX_POINTS, Dataset

OWN = "own data"     # the dataset name shown for data passed in with data=...
#: every setting with its default: the keys of ``Playground.settings``
DEFAULTS = dict(dataset="circle", n_classes=2, n_points=500, noise=0.0, train_ratio=0.5, hidden=[4, 2],
                activation="tanh", features=["x1", "x2"], lr=0.03, optimizer="adam", regularization="none",
                reg_rate=0.0, batch_size=None, epochs=500, seed=0, discretize=False, show_test=True)
#: each dataset's own defaults where the default problem's do not learn it: [4, 2] reached 95 % test accuracy on 7 of
#: seeds 0-9 on xor, 0 of 10 on the spiral (6 x 8 neurons: 5 of 10). Measured over seeds 0-9 (2 classes, no noise,
#: the other settings as in DEFAULTS): every dataset's defaults reach QUALITY on 10 of 10, lowest test accuracy circle
#: 0.956, xor ([4, 4]) 0.984, spiral ([16, 16]) 0.964, gauss, moons, linear and blobs 1.000.
#: tests/test_playground_lifecycle.py holds it (at least 9 of 10 seeds).
DATASET_DEFAULTS = {"xor": dict(hidden=[4, 4]), "spiral": dict(hidden=[16, 16])}
#: the settings that follow the dataset when another one is picked, unless the learner changed them
FOLLOW_DATASET = ("hidden", "lr", "epochs", "noise")
#: the test accuracy each dataset's defaults reach on at least 9 of 10 seeds (the help text says so)
QUALITY = 0.95


def defaults_for(dataset) -> dict:
    """Every setting's default for ``dataset`` (DEFAULTS, with the dataset's own from DATASET_DEFAULTS)."""
    own = DATASET_DEFAULTS.get(dataset, {}) if isinstance(dataset, str) else {}
    return copy.deepcopy({**DEFAULTS, **own, "dataset": dataset})


def _defaults_text() -> str:
    def say(key, value):
        return {"hidden": lambda: "layers " + ",".join(map(str, value)), "lr": lambda: f"learning rate {value:g}",
                "epochs": lambda: f"{value} epochs", "noise": lambda: f"noise {value:g}"}[key]()

    common = ", ".join(say(key, DEFAULTS[key]) for key in FOLLOW_DATASET)
    own = "; ".join(f"{name}: " + ", ".join(say(k, v) for k, v in extra.items()) for name, extra in DATASET_DEFAULTS.items())
    return (f"Each dataset starts with settings that learn it: {common} ({own}). With them the test accuracy reaches "
            f"at least {QUALITY * 100:g} % on 9 or more of 10 seeds (2 classes). Picking another dataset switches these "
            "settings to its own, except those you changed yourself.")


LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)

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
    "dataset_defaults": _defaults_text(),
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


def caption(text: str) -> str:
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


def check_hidden(hidden) -> list[int]:
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
    s = {**defaults_for(settings.get("dataset", DEFAULTS["dataset"])), **copy.deepcopy(settings)}
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
    s["hidden"] = check_hidden(s["hidden"])
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


def plane_data(data) -> tuple[Dataset, tuple[np.ndarray, float] | None, str]:
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


def changed(settings: dict, changes: dict, *, own: Dataset | None = None) -> dict:
    """The checked settings after ``changes`` (any setting, or depth/width: hidden = [width] * depth, the
    missing one kept from the current network). Another dataset brings its own defaults (``defaults_for``) for
    the settings of FOLLOW_DATASET that are still at the old dataset's defaults and not in ``changes``."""
    s = copy.deepcopy(settings)
    changes = dict(changes)
    depth, width = changes.pop("depth", None), changes.pop("width", None)
    if depth is not None or width is not None:
        if "hidden" in changes:
            raise ValueError(f"give either hidden or depth and width, not both; got hidden={changes['hidden']!r}, "
                             f"depth={depth!r}, width={width!r}")
        old = s["hidden"]
        changes["hidden"] = models.hidden_sizes(len(old) if depth is None else depth,
                                                (old[0] if old else 4) if width is None else width)
    if changes.get("dataset") not in (None, OWN, s["dataset"]) and "n_classes" not in changes:
        allowed = GENERATORS[check_choice("dataset", changes["dataset"], [*GENERATORS, OWN])][1]
        changes["n_classes"] = min(max(s["n_classes"], min(allowed)), max(allowed))
    if changes.get("dataset", s["dataset"]) != s["dataset"]:
        # the settings the learner left at the old dataset's defaults follow the new dataset's
        before, after = defaults_for(s["dataset"]), defaults_for(changes["dataset"])
        for key in FOLLOW_DATASET:
            if key not in changes and s[key] == before[key]:
                changes[key] = after[key]
    s.update(changes)
    return check_settings(s, own=own)


def needs_training(old: dict, new: dict) -> bool:
    """False when only display options changed (they redraw without training)."""
    return any(old[k] != new[k] for k in new if k not in DISPLAY)


#: settings that change the picture only
DISPLAY = ("discretize", "show_test")
