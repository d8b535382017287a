"""hl.compare, headless: both sides train on the very same data and seed, differ in the chosen settings and in
nothing else (each side equals a Playground of its settings, number for number), train in lock-step, their losses
go to one plot (the arrays sent to the view), pause/step/close act on both, a re-run cell closes the old one, and
bad input is refused naming the parameter. Assertions are on state, not on time."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from waiting import hlkit_threads, wait_for

import hlkit as hl
from hlkit.playground import Playground, frames
from hlkit.playground import playground as playground_module
from hlkit.playground import runner as runner_module

compare_module = importlib.import_module("hlkit.playground.compare")   # hl.playground.compare is the function

DEEP_WIDE = dict(a=dict(hidden=[4]), b=dict(hidden=[4, 4, 4, 4]), dataset="spiral")



def rows(view, name: str) -> np.ndarray:
    return np.frombuffer(getattr(view, name), np.float32).reshape(-1, 5)


def test_both_sides_train_on_the_same_data_and_each_is_the_playground_of_its_settings():
    c = hl.compare(**DEEP_WIDE, epochs=40, live=False)
    try:
        a, b = c.runs["A"], c.runs["B"]
        assert a.data is b.data is c.data                       # one Dataset object: the same arrays
        assert c.data.name == "spiral"
        assert a.history.epoch[-1] == b.history.epoch[-1] == 40
        assert a.history.status == b.history.status == "done"
        assert hl.n_params(a.model) == hl.n_params(hl.mlp([4])) and hl.n_params(b.model) == hl.n_params(hl.mlp([4] * 4))
        for label, run in c.runs.items():
            # the same seed and settings alone, in a Playground: the very same numbers (nothing else differs)
            pg = Playground(live=False, **run.settings)
            try:
                assert np.array_equal(pg.data.X_train, c.data.X_train) and np.array_equal(pg.data.y_test, c.data.y_test)
                assert pg.history.train_loss == run.history.train_loss, label
                assert pg.history.test_acc == run.history.test_acc, label
            finally:
                pg.close()
        # time per epoch and parameters side by side: each side's status line
        for label, run in c.runs.items():
            status = c.views[label].status
            assert status.startswith(f"{label} · epoch 40 of 40 (done)")
            assert f"{hl.n_params(run.model):,} parameters" in status and "ms per epoch" in status
    finally:
        c.close()


@pytest.mark.parametrize("a, b, differ", [
    (dict(depth=1), dict(depth=4), {"hidden"}),
    (dict(activation="relu"), dict(activation="tanh"), {"activation"}),
    ({}, dict(regularization="l2", reg_rate=0.01), {"regularization", "reg_rate"}),
    (dict(hidden=[2]), dict(hidden=[16, 16], lr=0.01), {"hidden", "lr"}),
])
def test_the_chosen_differences_are_applied_and_nothing_else(a, b, differ):
    c = hl.compare(a=a, b=b, dataset="gauss", noise=0.5, seed=3, epochs=3, live=False)
    try:
        sa, sb = c.settings["a"], c.settings["b"]
        assert {k for k in sa if sa[k] != sb[k]} == differ
        shared = hl.playground.check_settings(dict(dataset="gauss", noise=0.5, seed=3, epochs=3))
        for side, given in ((sa, a), (sb, b)):
            assert {k: v for k, v in side.items() if k not in differ} == {k: v for k, v in shared.items()
                                                                         if k not in differ}
            for key, value in given.items():
                if key == "depth":
                    assert len(side["hidden"]) == value
                else:
                    assert side[key] == value
        for label, side in (("A", sa), ("B", sb)):
            assert c.runs[label].settings == side
        # the labels say what differs
        assert all(k in c.labels[0] and k in c.labels[1] for k in differ)
    finally:
        c.close()


def test_lock_step_epoch_counts_never_differ_by_more_than_one(monkeypatch):
    seen = []
    advance = runner_module.Run.advance

    def recording(self):
        result = advance(self)
        pair = compare_pair[0]
        if pair is not None:
            seen.append((self is pair.a, pair.a.epoch, pair.b.epoch))
        return result

    compare_pair = [None]
    monkeypatch.setattr(runner_module.Run, "advance", recording)
    original = compare_module.PairRun.__init__

    def remember(self, *args):
        original(self, *args)
        compare_pair[0] = self

    monkeypatch.setattr(compare_module.PairRun, "__init__", remember)
    c = hl.compare(**DEEP_WIDE, epochs=150)
    try:
        assert c.wait(120) and c.errors == []
        assert len(seen) == 300
        assert all(abs(ea - eb) <= 1 for _, ea, eb in seen)
        assert [first for first, _, _ in seen] == [True, False] * 150     # A's epoch, then B's, in turns
        assert c.histories["A"].epoch[-1] == c.histories["B"].epoch[-1] == 150
    finally:
        c.close()


def test_one_loss_plot_holds_both_runs_and_each_side_paints_its_boundary():
    c = hl.compare(**DEEP_WIDE, epochs=30, live=False)
    try:
        assert c.loss_view.panels == ["loss"] and c.loss_view.names == ["A", "B"]
        assert c.views["A"].panels == c.views["B"].panels == ["boundary"]
        assert np.array_equal(rows(c.loss_view, "loss"), frames.loss_rows(c.histories["A"]))
        assert np.array_equal(rows(c.loss_view, "loss_b"), frames.loss_rows(c.histories["B"]))
        assert not np.array_equal(rows(c.loss_view, "loss"), rows(c.loss_view, "loss_b"))
        assert c.loss_view.epochs == 30 and len(rows(c.loss_view, "loss")) == 31
        for label, run in c.runs.items():
            want = hl.viz.boundary_image(hl.probe.grid(run.model, resolution=frames.RESOLUTION).proba)
            assert np.array_equal(c.views[label].painted(), want), label
        # the widget holds the three views, once each, and the buttons
        def walk(w):
            yield w
            for child in getattr(w, "children", ()):
                yield from walk(child)
        inside = list(walk(c.widget))
        assert sum(w is c.loss_view for w in inside) == 1
        assert all(sum(w is v for w in inside) == 1 for v in c.views.values())
        assert all(button in inside for button in c.buttons.values())
        assert c.figure("B", "loss").data and c.figure("A").data
    finally:
        c.close()


def test_names_label_the_sides_in_the_status_lines_and_the_legend_and_the_keys_stay():
    c = hl.compare(**DEEP_WIDE, epochs=5, live=False, names=("one layer", "<4> layers"))
    try:
        assert c.loss_view.names == ["one layer", "<4> layers"]
        title = c._controls.widget.children[0].value   # the title says which side is which by name, HTML-escaped
        assert "one epoch of one layer, then one of &lt;4&gt; layers" in title
        assert "Solid one layer, dashed &lt;4&gt;" in title
        assert c.labels[0].startswith("one layer · ") and c.labels[1].startswith("<4> layers · ")
        assert c.views["A"].status.startswith("one layer · ") and c.views["B"].status.startswith("<4> layers · ")
        assert c.loss_view.status.startswith("test loss: one layer ") and " · <4> layers " in c.loss_view.status
        assert set(c.histories) == {"A", "B"}
    finally:
        c.close()


def test_pause_step_and_play_act_on_both_sides():
    c = hl.compare(**DEEP_WIDE, epochs=100_000)
    try:
        wait_for(lambda: c.histories["B"].epoch[-1] >= 3)
        c.buttons["pause"].click()
        assert c.wait(60)
        a, b = c.histories["A"].epoch[-1], c.histories["B"].epoch[-1]
        assert a == b and "(paused)" in c.views["A"].status and "(paused)" in c.views["B"].status
        c.buttons["step"].click()
        assert c.wait(60)
        assert c.histories["A"].epoch[-1] == c.histories["B"].epoch[-1] == a + 1
        c.play()
        wait_for(lambda: c.histories["B"].epoch[-1] >= a + 5)
    finally:
        c.close()


def test_close_stops_both_sides_and_the_thread():
    c = hl.compare(a=dict(hidden=[64, 64]), b=dict(hidden=[8]), n_points=2000, batch_size=1, epochs=100_000)
    try:
        wait_for(lambda: c._runner.minibatches >= 20, 120)
        assert len(hlkit_threads()) == 1                    # one worker for both sides
    finally:
        c.close()
    assert c.closed and not hlkit_threads()
    a, b = c.runs["A"].history.epoch[-1], c.runs["B"].history.epoch[-1]
    assert abs(a - b) <= 1
    for use in (c.play, c.step, lambda: c.histories):
        with pytest.raises(RuntimeError, match="closed"):
            use()
    assert (c.runs["A"].history.epoch[-1], c.runs["B"].history.epoch[-1]) == (a, b)


def test_a_rerun_cell_closes_what_it_made_before(monkeypatch):
    for module in (playground_module, compare_module):
        monkeypatch.setattr(module, "_cell_id", lambda: "cell-1")
    pg = Playground(epochs=100_000)
    first = hl.compare(**DEEP_WIDE, epochs=100_000)
    second = hl.compare(**DEEP_WIDE, epochs=100_000)
    try:
        assert pg.closed and first.closed and not second.closed
        assert len(hlkit_threads()) == 1
    finally:
        for made in (pg, first, second):
            made.close()
    assert not hlkit_threads()


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(a=[4], b=dict(hidden=[4])), TypeError, r"a must be a dict of the settings this network differs in.*got \[4\]"),
    (dict(a=dict(hiden=[4]), b={}), TypeError, r"a: unknown setting 'hiden'; a network may differ in hidden, depth"),
    (dict(a={}, b=dict(seed=1)), ValueError, r"b: 'seed' is shared by both networks.*hl.compare\(a=..., b=..., seed=...\)"),
    (dict(a=dict(dataset="xor"), b={}), ValueError, r"a: 'dataset' is shared by both networks"),
    (dict(a={}, b={}), ValueError, r"a and b give the same network and training.*nothing to compare"),
    (dict(a=dict(hidden=[4, 2]), b={}), ValueError, r"a and b give the same network"),   # [4, 2] is the default
    (dict(a=dict(lr=0.03), b=dict(lr=-1)), ValueError, r"b: lr must be a number greater than 0.0 and at most 100.0; got -1"),
    (dict(a=dict(depth=2, hidden=[3]), b={}), ValueError, r"a: give either hidden or depth and width, not both"),
    (dict(a=dict(activation="cosh"), b={}), ValueError, r"a: activation must be one of"),
    (dict(a={}, b=dict(lr=0.1), colour="red"), TypeError, r"unknown setting\(s\) 'colour'"),
    (dict(a={}, b=dict(lr=0.1), live="yes"), TypeError, r"live must be"),
    (dict(a={}, b=dict(lr=0.1), names=("x", "x")), ValueError, r"names must be two different.*got \('x', 'x'\)"),
    (dict(a={}, b=dict(lr=0.1), names="AB"), TypeError, r"names must be a pair of short strings.*got 'AB' \(str\)"),
    (dict(a={}, b=dict(lr=0.1), names=("A", "B", "C")), ValueError, r"names must be two different short strings"),
])
def test_bad_input_names_the_parameter(kwargs, error, message):
    with pytest.raises(error, match=message):
        hl.compare(**kwargs)
    assert not hlkit_threads()
