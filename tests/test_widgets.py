"""The Playground, headless: the live view's state, controls, settings round trip, own data, multi-class,
plotly export, divergence and recovery, and the live worker under a burst of control changes. No browser.
The lifecycle (exit, cancellation mid-epoch, re-run cells, Ctrl-C, closed, thread counts) is in
test_playground_lifecycle.py."""

from __future__ import annotations

import datetime
import random
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

import hlkit as hl
import hlkit.playground as widgets
from hlkit.playground import Playground, frames

QUICK = dict(epochs=60, live=False)


def heatmaps(fig):
    return [t for t in fig.data if t.type == "heatmap"]


def loss_epochs(pg) -> list:
    """The epochs of the loss curve the view holds."""
    return np.frombuffer(pg.view.loss, np.float32).reshape(-1, 5)[:, 0].astype(int).tolist()


def curves(history) -> dict:
    return {k: list(getattr(history, k)) for k in ("epoch", "train_loss", "test_loss", "train_acc", "test_acc")}


@pytest.fixture(scope="module")
def default():
    pg = Playground(live=False)
    yield pg
    pg.close()


def test_lazy_attribute_is_the_playground():
    assert hl.Playground is Playground
    assert hl.playground is widgets
    # in a fresh interpreter, without importing hlkit.playground first (the way a notebook does it)
    code = "import hlkit as hl; print(hl.Playground.__name__, hl.playground.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["Playground", "hlkit.playground"], out.stderr[-2000:]


def test_default_problem_reaches_95_percent_and_fills_every_plot(default):
    pg = default
    h = pg.history
    assert h.status == "done" and h.epoch[-1] == widgets.DEFAULTS["epochs"]
    first = next(i for i, acc in enumerate(h.test_acc) if acc >= 0.95)
    assert first <= 150 and h.test_acc[-1] >= 0.95
    # the live view's state: what the page paints
    view = pg.view
    assert view.resolution == frames.RESOLUTION
    assert np.array_equal(view.painted(), hl.viz.boundary_image(pg.grid.proba))
    assert np.allclose(pg.grid.proba, hl.probe.grid(pg.model, resolution=frames.RESOLUTION).proba)
    n_features, hidden = len(pg.settings["features"]), pg.settings["hidden"]
    n_maps = n_features + sum(hidden) + 1                                     # inputs, hidden neurons, output
    assert len(view.maps) == n_maps * view.map_resolution ** 2
    assert view.layers["shown"] == [n_features, *hidden, 1]
    shown = view.layers["shown"]
    assert len(view.weights) == 4 * sum(a * b for a, b in zip(shown[:-1], shown[1:], strict=True))
    X = np.frombuffer(view.points, np.float32).reshape(-1, 2)
    assert len(X) == len(pg.data.y) and np.allclose(X[:len(pg.data.y_train)], pg.data.X_train, atol=1e-6)
    epochs = loss_epochs(pg)
    assert epochs[0] == 0 and epochs[-1] == 500 and len(epochs) <= frames.LOSS_POINTS
    assert f"epoch {h.epoch[-1]}" in view.status and f"{hl.n_params(pg.model)} parameters" in view.status
    assert pg.problem.value == ""
    # the same arrays as plotly figures
    boundary = pg.figure("boundary").data
    assert boundary[0].type == "heatmap" and np.shape(boundary[0].z) == (frames.RESOLUTION, frames.RESOLUTION)
    assert len(heatmaps(pg.figure("neurons"))) == n_maps
    assert [len(t.x) for t in pg.figure("loss").data] == [len(h.epoch)] * 4
    with pytest.raises(ValueError, match="'boundary'.*'maps'"):
        pg.figure("maps")


def test_changing_depth_and_width_rebuilds_model_status_settings_and_plots():
    pg = Playground(**QUICK)
    pg.set(depth=3, width=8)
    assert [layer.out_features for layer in pg.model.hidden] == [8, 8, 8]
    assert pg.settings["hidden"] == [8, 8, 8] and pg.controls["layers"].value == "8,8,8"
    assert "177 parameters" in pg.view.status
    assert len(heatmaps(pg.figure("neurons"))) == 2 + 24 + 1 and pg.view.layers["shown"] == [2, 8, 8, 8, 1]
    assert "hidden 3<br>8" in [a.text for a in pg.figure("network").layout.annotations]
    # through the widgets' own value setters (the path a click takes)
    pg.controls["depth"].value = 1
    pg.controls["width"].value = 5
    assert pg.settings["hidden"] == [5] and "21 parameters" in pg.view.status
    assert len(heatmaps(pg.figure("neurons"))) == 2 + 5 + 1
    pg.controls["layers"].value = "6, 3"
    assert pg.settings["hidden"] == [6, 3] and pg.controls["depth"].value == 2
    assert loss_epochs(pg) == list(range(61))
    pg.close()


def test_picking_a_dataset_brings_its_defaults_unless_the_learner_changed_them():
    pg = Playground(**QUICK)                             # circle: the default network [4, 2]
    pg.controls["dataset"].value = "spiral"             # through the control, as a click does
    assert pg.settings["hidden"] == [16, 16] and pg.controls["layers"].value == "16,16"
    assert [layer.out_features for layer in pg.model.hidden] == [16, 16]
    assert pg.settings["epochs"] == 60                   # changed from the default 500: kept
    pg.controls["dataset"].value = "xor"
    assert pg.settings["hidden"] == [4, 4]
    pg.controls["width"].value = 6                       # the learner's own network stays on every dataset
    for name in ("circle", "spiral", "moons"):
        pg.set(dataset=name)
        assert pg.settings["hidden"] == [6, 6] and pg.settings["dataset"] == name
    pg.set(hidden=[4, 2], lr=0.1)                        # back at circle's network: it follows again, lr does not
    pg.set(dataset="spiral")
    assert pg.settings["hidden"] == [16, 16] and pg.settings["lr"] == 0.1
    pg.close()
    pg = Playground("xor", hidden=[3], **QUICK)         # given settings win over the dataset's defaults
    assert pg.settings["hidden"] == [3] and widgets.check_settings({"dataset": "spiral"})["hidden"] == [16, 16]
    pg.close()


def test_a_bad_layer_text_is_shown_in_the_widget_and_changes_nothing():
    pg = Playground(**QUICK)
    before = pg.runs_started
    pg.controls["layers"].value = "4,x"
    assert "layers" in pg.problem.value and "4,x" in pg.problem.value
    assert pg.runs_started == before and pg.settings["hidden"] == [4, 2]
    pg.controls["width"].value = 3                  # the widget keeps working
    assert pg.settings["hidden"] == [3, 3] and pg.problem.value == ""
    with pytest.raises(ValueError, match="layers"):
        widgets.parse_layers("300")
    assert widgets.parse_layers("") == [] and widgets.parse_layers("[8, 4]") == [8, 4]
    pg.close()


def test_no_input_feature_is_a_problem_not_a_crash():
    pg = Playground(**QUICK)
    pg.features["x1"].value = False
    pg.features["x1^2"].value = True
    assert pg.settings["features"] == ["x2", "x1^2"] and pg.model.features.names == ("x2", "x1^2")
    pg.features["x2"].value = False
    pg.features["x1^2"].value = False
    assert "at least one input feature" in pg.problem.value
    pg.close()


def test_display_options_redraw_without_training():
    pg = Playground(**QUICK)
    started = pg.runs_started
    pg.controls["discretize"].value = True
    z = np.asarray(pg.figure("boundary").data[0].z)
    assert set(np.unique(z)) <= {0.0, 1.0}
    assert np.array_equal(pg.view.painted(), hl.viz.boundary_image(pg.grid.proba, discretize=True))
    pg.controls["show_test"].value = False
    names = [t.name for t in pg.figure("boundary").data]
    assert not any(name.startswith("test") for name in names) and pg.view.show_test is False
    assert pg.runs_started == started
    pg.close()


def test_settings_round_trip_gives_the_same_run():
    options = dict(dataset="moons", noise=0.2, hidden=[5, 3], activation="relu", features=["x1", "x2", "x1*x2"],
                   lr=0.01, regularization="l2", reg_rate=0.001, batch_size=64, epochs=20, seed=3)
    a = Playground(live=False, **options)
    b = Playground.from_settings(a.settings, live=False)
    assert a.settings == b.settings == Playground.from_settings(a.settings, live=False).settings
    assert all(a.settings[k] == v for k, v in options.items())
    assert curves(a.history) == curves(b.history)
    for (name, wa), (_, wb) in zip(a.model.state_dict().items(), b.model.state_dict().items(), strict=True):
        assert torch.equal(wa, wb), name
    b.set(seed=4)
    assert curves(b.history) != curves(a.history)
    with pytest.raises(TypeError, match="unknown setting"):
        Playground.from_settings(dict(a.settings, colour="red"), live=False)
    a.close()
    b.close()


def test_own_data_from_arrays_outside_the_plane_is_rescaled_and_said_so():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 2)) * [50, 20] + [100, 0]
    y = (X[:, 0] > 100).astype(int)
    pg = Playground(data=hl.from_arrays(X, y), **QUICK)
    assert pg.settings["dataset"] == widgets.OWN and "own data" in pg.controls["dataset"].options
    assert np.abs(pg.data.X).max() <= hl.data.DOMAIN
    assert "scaled" in pg.note.value
    assert np.allclose(np.sort(pg.to_plane(X), axis=0), np.sort(pg.data.X, axis=0))
    assert pg.history.test_acc[-1] >= 0.9
    pg.controls["dataset"].value = "xor"              # switch to a toy set and back
    assert pg.data.name == "xor"
    pg.controls["dataset"].value = widgets.OWN
    assert pg.data.name == "own data"
    pg.close()


def test_own_data_from_csv(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.uniform(-4, 4, (120, 2))
    labels = np.where(np.linalg.norm(X, axis=1) < 2.5, "inner", "outer")
    path = tmp_path / "rings.csv"
    path.write_text("a,b,kind\n" + "".join(f"{a:.4f},{b:.4f},{k}\n" for (a, b), k in zip(X, labels, strict=True)))
    pg = Playground(data=hl.from_csv(path), **QUICK)
    assert pg.data.class_names == ("inner", "outer") and pg.note.value == ""
    assert np.allclose(pg.data.X, hl.from_csv(path).X)   # inside the plane already: used as is
    pg.close()


def upload(pg, name: str, text: str) -> None:
    """What the FileUpload control holds after a person picks a file."""
    pg.upload.value = ({"name": name, "type": "text/csv", "size": len(text), "content": memoryview(text.encode()),
                        "last_modified": datetime.datetime.now(datetime.timezone.utc)},)


def test_own_data_uploaded_in_the_widget_and_bad_files_shown_there():
    pg = Playground(**QUICK)
    upload(pg, "three.csv", "a,b,c,label\n" + "".join(f"{i},{i % 3},{i % 5},{i % 2}\n" for i in range(20)))
    assert "three.csv" in pg.problem.value and "2 features" in pg.problem.value
    upload(pg, "typo.csv", "x1,x2,label\n1,2,0\n3,four,1\n5,6,0\n7,8,1\n")
    assert "line 3" in pg.problem.value and "four" in pg.problem.value
    assert pg.settings["dataset"] == "circle"                 # still the old data, still working
    rng = np.random.default_rng(2)
    X = rng.uniform(-3, 3, (100, 2))
    upload(pg, "halves.csv", "x1,x2,side\n" + "".join(f"{a:.3f},{b:.3f},{'L' if a < 0 else 'R'}\n" for a, b in X))
    assert pg.settings["dataset"] == widgets.OWN and pg.problem.value == ""
    assert pg.data.class_names == ("L", "R") and pg.controls["dataset"].value == widgets.OWN
    assert pg.history.test_acc[-1] >= 0.9
    pg.close()


def test_own_data_must_be_a_2d_dataset():
    data3 = hl.from_arrays(np.random.default_rng(0).normal(size=(30, 3)), np.arange(30) % 2)
    with pytest.raises(ValueError, match=r"data must have exactly 2 features.*got points of shape \(3,\)"):
        Playground(data=data3, live=False)
    with pytest.raises(TypeError, match="data must be an hlkit Dataset"):
        Playground(data=np.zeros((10, 2)), live=False)
    with pytest.raises(ValueError, match="own data"):
        Playground(dataset=widgets.OWN, live=False)


def test_three_spiral_arms_give_three_classes_on_the_plane():
    pg = Playground("spiral", n_classes=3, hidden=[8, 8], epochs=150, live=False)
    assert pg.figure("boundary").data[0].type == "image"
    assert set(np.frombuffer(pg.view.labels, np.uint8) % 128) == {0, 1, 2}
    assert sorted(np.unique(pg.grid.predicted)) == [0, 1, 2]
    assert pg.model.out.out_features == 3 and pg.controls["n_classes"].value == 3
    pg.controls["dataset"].value = "circle"           # a 2-class set: classes drop back to 2
    assert pg.settings["n_classes"] == 2 and pg.controls["n_classes"].disabled
    pg.close()


def test_saved_model_predicts_the_same(default, tmp_path):
    path = default.save_model(tmp_path / "net.pt")
    loaded = hl.models.load(path)
    X = default.data.X_test
    assert np.array_equal(hl.probe.predict_proba(loaded, X), hl.probe.predict_proba(default.model, X))


def test_divergence_is_shown_in_the_widget_and_a_lower_rate_recovers():
    pg = Playground(**QUICK)
    pg.set(lr=10)
    assert pg.history.status == "diverged"
    assert "diverged" in pg.view.status and "Lower the learning rate" in pg.problem.value
    pg.controls["lr"].value = 0.03
    assert pg.history.status == "done" and pg.problem.value == "" and pg.history.test_acc[-1] > 0.8
    pg.close()


def test_buttons_reset_step_play():
    pg = Playground(**QUICK)
    pg.reset()
    assert pg.history.epoch == [0] and "epoch 0" in pg.view.status
    pg.step()
    pg.step()
    assert pg.history.epoch[-1] == 2
    pg.play()
    assert pg.history.epoch[-1] == 60 and pg.history.status == "done"
    assert pg.retrain().epoch[-1] == 60
    pg.close()


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(dataset="nope"), ValueError, ["dataset", "'circle'", "'nope'"]),
    (dict(depth=11), ValueError, ["depth", "0 to 10", "11"]),
    (dict(width=0), ValueError, ["width", "1 to 256"]),
    (dict(hidden=[4], depth=2), ValueError, ["hidden", "depth"]),
    (dict(hidden="4,2"), TypeError, ["hidden"]),
    (dict(lr="fast"), TypeError, ["lr", "'fast'"]),
    (dict(lr=0), ValueError, ["lr", "greater than 0"]),
    (dict(activation="swish"), ValueError, ["activation", "'tanh'", "'swish'"]),
    (dict(n_classes=3), ValueError, ["n_classes", "'circle'", "[2]", "3"]),
    (dict(features=[]), ValueError, ["features"]),
    (dict(batch_size=0), ValueError, ["batch_size"]),
    (dict(live="yes"), TypeError, ["live"]),
])
def test_bad_arguments_name_the_parameter(kwargs, error, words):
    with pytest.raises(error) as info:
        Playground(**kwargs)
    for word in words:
        assert word in str(info.value)


def test_spiral_six_by_eight_reaches_95_percent():
    pg = Playground("spiral", hidden=[8] * 6, live=False)
    h = pg.history
    assert h.status == "done" and h.test_acc[-1] >= 0.95
    assert next(i for i, acc in enumerate(h.test_acc) if acc >= 0.95) <= 400
    pg.close()


def test_live_worker_takes_the_latest_of_a_burst_of_changes_and_stops_on_close():
    pg = Playground(epochs=80)
    assert pg.live and any(t.name.startswith("hlkit-playground") for t in threading.enumerate())
    assert pg.wait(60)
    completed = pg.runs_completed
    rng = random.Random(0)
    for _ in range(67):                              # 201 changes through the widgets' own setters
        pg.controls["width"].value = rng.randint(1, 8)
        pg.controls["depth"].value = rng.randint(1, 4)
        pg.controls["lr"].value = rng.choice([0.01, 0.03, 0.1])
    final = dict(width=pg.controls["width"].value, depth=pg.controls["depth"].value, lr=pg.controls["lr"].value)
    assert pg.wait(60)
    s = pg.settings
    assert s["hidden"] == [final["width"]] * final["depth"] and s["lr"] == final["lr"]
    assert pg.history.status == "done" and pg.history.epoch[-1] == 80
    assert [layer.out_features for layer in pg.model.hidden] == s["hidden"]
    assert pg.runs_completed - completed <= 2 and pg.errors == []
    assert loss_epochs(pg) == list(range(81)) and "epoch 80 of 80 (done)" in pg.view.status
    assert np.array_equal(pg.view.painted(), hl.viz.boundary_image(hl.probe.grid(pg.model, resolution=50).proba))
    reference = Playground(live=False, **s)         # the live run is the same run as the synchronous one
    assert curves(reference.history) == curves(pg.history)
    reference.close()
    # pause, step, play and retrain() with the worker running
    pg.set(depth=2, width=3, epochs=20_000)       # long enough that the pause lands before the end
    pg.pause()
    assert pg.wait(30)
    paused_at = pg.history.epoch[-1]
    assert "paused" in pg.view.status and paused_at < 20_000
    pg.step()
    assert pg.wait(30) and pg.history.epoch[-1] == paused_at + 1
    pg.set(epochs=80)
    pg.play()
    assert pg.wait(60) and pg.history.status == "done" and pg.history.epoch[-1] == 80
    history = pg.retrain()
    assert history.status == "done" and curves(history) == curves(pg.history)
    assert pg.wait(30) and pg.errors == []
    pg.close()
    assert not [t.name for t in threading.enumerate() if t.name.startswith("hlkit-playground") and t.is_alive()]


def test_a_view_that_connects_late_gets_the_final_state():
    # the page paints from the view's synced state: a view made after (or while) training, or one that missed
    # messages, starts from the state, which after the run is the final frame (the Voila late-view case)
    pg = Playground(live=True, epochs=300)
    try:
        assert pg.wait(60)
        state = pg.view.get_state()
        assert "epoch 300 of 300 (done)" in state["status"]
        final = hl.viz.boundary_image(hl.probe.grid(pg.model, resolution=frames.RESOLUTION).proba)
        assert bytes(state["boundary"]) == final.tobytes()
        assert np.frombuffer(bytes(state["loss"]), np.float32).reshape(-1, 5)[-1, 0] == 300
    finally:
        pg.close()


def test_the_loss_curve_sent_per_frame_stays_small():
    h = hl.train.History(epoch=list(range(100_001)), train_loss=[1.0] * 100_001, test_loss=[1.0] * 100_001,
                         train_acc=[0.5] * 100_001, test_acc=[0.5] * 100_001)
    rows = frames.loss_rows(h)
    assert rows.shape == (frames.LOSS_POINTS, 5) and rows[0, 0] == 0 and rows[-1, 0] == 100_000
    assert rows.nbytes <= 6_000          # instead of 6.7 MB per frame
