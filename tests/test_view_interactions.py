"""Editing a weight or bias from the page (issue 13, part 2): the live view's "edit" message sets exactly that
parameter of the model, training goes on from it, the frames after it show it, and bad values are refused with a
message naming what was typed. No browser: the page's message is handed to the view as the comm would."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import hlkit as hl
from hlkit.playground import runner as R
from hlkit.playground.playground import MAX_EDIT

SETTINGS = {"hidden": [3, 2], "epochs": 40, "seed": 3}


def params(model) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in model.parameters()]


def send(pg, **content) -> dict:
    """The page's message {"type": "edit", ...} through the view; returns the view's answer to the page."""
    answers = []
    pg.view.send = answers.append
    pg.view._on_message(pg.view, {"type": "edit", "id": 7, **content}, [])
    assert len(answers) == 1, answers
    assert answers[0]["id"] == 7
    return answers[0]


def shown_weight(view, layer: int, neuron: int, source: int) -> float:
    """The weight as the page reads it from the view's traits (float32, each shown W row-major in turn)."""
    shown = view.layers["shown"]
    offset = sum(shown[k] * shown[k + 1] for k in range(layer))
    return float(np.frombuffer(view.weights, np.float32)[offset + neuron * shown[layer] + source])


def shown_bias(view, layer: int, neuron: int) -> float:
    shown = view.layers["shown"]
    return float(np.frombuffer(view.biases, np.float32)[sum(shown[1:layer + 1]) + neuron])


@pytest.fixture
def paused():
    """A synchronous Playground reset to epoch 0 and paused there (step() trains one epoch in this thread)."""
    pg = hl.Playground(live=False, **SETTINGS)
    pg.reset()
    assert pg.history.epoch[-1] == 0
    yield pg
    pg.close()


@pytest.mark.parametrize(("layer", "neuron", "source", "value"),
                         [(0, 1, 0, 0.75), (1, 0, 2, -2.5), (2, 0, 1, 4.0), (-1, 0, None, -3.0), (0, 2, None, 1.5)])
def test_an_edit_sets_exactly_that_parameter_and_the_frame_shows_it(paused, layer, neuron, source, value):
    pg = paused
    pg.step()
    before, frames_before = params(pg.model), pg.view.frame
    answer = send(pg, layer=layer, neuron=neuron, source=source, value=str(value))
    assert answer["ok"], answer
    assert answer["message"] == f"set to {value:g}"
    after = params(pg.model)
    layers = [*pg.model.hidden, pg.model.out]
    target = layers[layer].weight if source is not None else layers[layer].bias
    index = (neuron, source) if source is not None else (neuron,)
    changed = [name for (name, p), b, a in zip(pg.model.named_parameters(), before, after, strict=True)
               if not np.array_equal(a, b)]
    assert changed == [name for name, p in pg.model.named_parameters() if p is target]
    expected = [b.copy() for b in before]
    k = [p is target for p in pg.model.parameters()].index(True)
    expected[k][index] = value
    for a, e in zip(after, expected, strict=True):
        np.testing.assert_array_equal(a, e)
    # paused: no epoch trained, but a new frame of the edited model was drawn
    assert pg.history.epoch[-1] == 1
    assert pg.view.frame == frames_before + 1
    lay = layer % 3
    W, b = pg.frame.weights[lay]
    assert (W[neuron, source] if source is not None else b[neuron]) == value
    got = shown_weight(pg.view, lay, neuron, source) if source is not None else shown_bias(pg.view, lay, neuron)
    assert got == np.float32(value)
    want = hl.viz.boundary_image(hl.probe.grid(pg.model, resolution=len(pg.grid.xs)).proba)
    np.testing.assert_array_equal(pg.view.painted(), want)


def test_an_edit_changes_the_boundary_and_the_status_says_the_edited_networks_numbers(paused):
    pg = paused
    for _ in range(5):
        pg.step()
    before, status = pg.view.painted().copy(), pg.view.status
    assert "edited" not in status
    assert send(pg, layer=-1, neuron=0, source=None, value="3")["ok"]
    after = pg.view.painted()
    assert np.abs(after.astype(int) - before).max() > 50
    # the status line gives the edited network's loss and accuracy (the history keeps the epoch's own)
    d = pg.data
    (train_loss, train_acc), (test_loss, test_acc) = (hl.train.evaluate(pg.model, d.X_train, d.y_train),
                                                      hl.train.evaluate(pg.model, d.X_test, d.y_test))
    assert pg.view.status.startswith(
        f"epoch 5 of {SETTINGS['epochs']} (paused) · edited: loss train {train_loss:.3f} / test {test_loss:.3f} · "
        f"accuracy train {train_acc:.1%} / test {test_acc:.1%} · "), pg.view.status
    assert pg.history.train_loss[-1] != pytest.approx(train_loss)
    pg.step()   # a trained epoch: its own numbers again, and training goes on (not "diverged")
    assert pg.view.status.startswith(f"epoch 6 of {SETTINGS['epochs']} (paused) · loss train "), pg.view.status
    assert f"loss train {pg.history.train_loss[-1]:.3f}" in pg.view.status


def test_an_edit_that_training_would_call_diverged_is_refused(paused):
    """An output bias of 40 makes the training loss 20.9, far above the limit at which ``train.training`` ends a
    run as diverged (and blames the learning rate): refused, saying why, and the model is left as it was."""
    pg = paused
    for _ in range(5):
        pg.step()
    before, status = params(pg.model), pg.view.status
    answer = send(pg, layer=-1, neuron=0, source=None, value="40")
    limit = hl.train.divergence_limit(pg.history.train_loss[0])
    assert not answer["ok"]
    assert answer["message"].startswith("value 40 would raise the training loss to ")
    assert f"above {limit:.3g}, where training stops as diverged; try a value nearer " in answer["message"]
    for a, b in zip(params(pg.model), before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert pg.view.status == status
    pg.step()
    assert pg.history.status == "running"


def test_training_goes_on_from_the_edited_value(paused):
    pg = paused
    for _ in range(3):
        pg.step()
    assert send(pg, layer=0, neuron=1, source=0, value="0.75")["ok"]
    pg.step()
    assert pg.history.epoch[-1] == 4

    def replay(edit: bool) -> list[np.ndarray]:
        run = R.Run(1, pg.settings, pg.data, lambda: False)
        for _ in range(3):
            run.advance()
        if edit:
            with torch.no_grad():
                run.model.hidden[0].weight[1, 0] = 0.75
        run.advance()
        return params(run.model)

    for got, want in zip(params(pg.model), replay(edit=True), strict=True):
        np.testing.assert_array_equal(got, want)
    assert any(not np.array_equal(g, w) for g, w in zip(params(pg.model), replay(edit=False), strict=True))
    # and the history goes on: the loss of epoch 4 is that of the edited network
    assert len(pg.history.train_loss) == 5


@pytest.mark.parametrize(("content", "words"), [
    ({"value": "abc"}, ["value must be a number", "'abc'"]),
    ({"value": ""}, ["value must be a number", "''"]),
    ({"value": None}, ["value must be a number", "None"]),
    ({"value": True}, ["value must be a number", "True"]),
    ({"value": "inf"}, ["value must be", "got inf"]),
    ({"value": "-inf"}, ["value must be", "got -inf"]),
    ({"value": "nan"}, ["value must be", "got nan"]),
    ({"value": "1e400"}, ["value must be", "got inf"]),
    ({"value": str(MAX_EDIT * 2)}, ["value must be", "100", "200"]),
    ({"layer": 3}, ["layer must be", "3"]),
    ({"layer": "0"}, ["layer must be an integer", "'0'"]),
    ({"neuron": 3}, ["neuron must be", "from 0 to 2", "got 3"]),
    ({"neuron": -1}, ["neuron must be", "got -1"]),
    ({"source": 2}, ["source must be", "from 0 to 1", "got 2"]),
    ({"source": 0.5}, ["source must be an integer", "0.5"]),
])
def test_bad_edits_are_refused_and_change_nothing(paused, content, words):
    pg = paused
    pg.step()
    before, frames_before = params(pg.model), pg.view.frame
    answer = send(pg, **{"layer": 0, "neuron": 1, "source": 0, "value": "0.5", **content})
    assert not answer["ok"]
    for word in words:
        assert word in answer["message"], answer["message"]
    for a, b in zip(params(pg.model), before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert pg.view.frame == frames_before


def test_the_public_edit_names_the_parameter_and_a_closed_playground_refuses(paused):
    pg = paused
    with pytest.raises(ValueError, match=r"value must be a number from -100.0 to 100.0; got 101 instead"):
        pg.edit(0, 0, 101.0, source=0)
    with pytest.raises(TypeError, match="neuron must be an integer"):
        pg.edit(0, "first", 1.0)
    pg.edit(1, 1, -0.5)          # the bias of hidden layer 2's second neuron
    assert pg.model.hidden[1].bias[1].item() == -0.5
    pg.close()
    answer = send(pg, layer=0, neuron=0, source=0, value="1")
    assert not answer["ok"] and "closed" in answer["message"]
    with pytest.raises(RuntimeError, match="closed"):
        pg.edit(0, 0, 1.0)


def test_the_view_says_whether_the_boundary_is_discretized(paused):
    pg = paused
    assert pg.view.discretize is False
    pg.set(discretize=True)
    assert pg.view.discretize is True   # the page's legend then drops "paler where unsure"


def test_other_messages_are_ignored(paused):
    pg = paused
    answers = []
    pg.view.send = answers.append
    pg.view._on_message(pg.view, {"type": "something else"}, [])
    pg.view._on_message(pg.view, "not a dict", [])
    assert answers == []


def test_an_edit_while_the_worker_trains_lands_between_epochs_and_training_goes_on():
    """Live: edits from this thread while the worker trains are taken under the run's lock; the run keeps
    training after them and ends normally; paused, an edit shows at once in the next frame."""
    pg = hl.Playground(live=True, hidden=[6, 6], epochs=300, seed=1, frame_seconds=0.0)
    try:
        edits = 0
        while pg.history.status == "running" and edits < 20:
            epoch = pg.history.epoch[-1]
            assert send(pg, layer=1, neuron=edits % 6, source=0, value=str(0.1 * edits))["ok"]
            edits += 1
            assert pg.history.epoch[-1] >= epoch
        assert pg.wait(120)
        assert pg.errors == []
        assert pg.history.status == "done" and pg.history.epoch[-1] == 300
        assert all(np.isfinite(p).all() for p in params(pg.model))

        pg.reset()
        assert pg.wait(30)
        frames = pg.view.frame
        assert send(pg, layer=0, neuron=2, source=1, value="-1.25")["ok"]
        assert pg.wait(30)
        assert pg.model.hidden[0].weight[2, 1].item() == -1.25
        assert pg.history.epoch[-1] == 0
        assert pg.view.frame > frames
        assert shown_weight(pg.view, 0, 2, 1) == np.float32(-1.25)
    finally:
        pg.close()
