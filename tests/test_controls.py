"""The Playground's controls without a browser (hlkit/playground/controls.py): what a saved notebook shows before
it runs, why a greyed-out control is greyed out (visible text and tooltip), the upload button's label, and the
reading order of the layout (the order Tab follows)."""

from __future__ import annotations

import ipywidgets as W
import pytest

import hlkit as hl
from hlkit.playground import controls


@pytest.fixture
def pg():
    pg = hl.Playground(live=False, epochs=2)
    yield pg
    pg.close()


def test_the_saved_notebook_shows_a_sentence_not_a_vbox_repr(pg):
    text = pg.widget._repr_mimebundle_()["text/plain"]
    assert text == controls.SUMMARY and len(text) <= 110      # ipywidgets cuts text/plain at 110 characters
    assert "VBox(" not in text and "Run the cell" in text


def test_greyed_out_controls_say_why(pg):
    c, why = pg.controls, pg._controls.why
    assert c["n_classes"].disabled and "circle has 2 classes" in why["n_classes"].value
    assert "Greyed out" in c["n_classes"].tooltip and "circle has 2 classes" in c["n_classes"].tooltip
    assert c["reg_rate"].disabled and why["reg_rate"].value and "Greyed out" in c["reg_rate"].tooltip
    pg.set(regularization="l2", dataset="spiral")
    assert not c["reg_rate"].disabled and why["reg_rate"].value == "" and "Greyed out" not in c["reg_rate"].tooltip
    assert not c["n_classes"].disabled and why["n_classes"].value == ""
    for key in ("n_points", "noise", "train_ratio"):
        assert not c[key].disabled and "Greyed out" not in c[key].tooltip


def test_own_data_greys_out_what_it_fixes_and_says_so():
    pg = hl.Playground(live=False, epochs=2, data=hl.make_dataset("xor", n_points=60, seed=0))
    try:
        for key in ("n_points", "noise", "train_ratio"):
            assert pg.controls[key].disabled and "own data" in pg.controls[key].tooltip
        assert "own data" in pg._controls.why["train_ratio"].value
    finally:
        pg.close()


def test_the_upload_button_reads_as_an_action_with_a_count(pg):
    # ipywidgets renders "<description> (<files>)": "upload CSV · files (0)", not "own data (CSV) (0)"
    assert pg.upload.description == "upload CSV · files" and pg.upload.icon == "upload"


def test_layout_reading_order_is_training_data_network_pictures(pg):
    def walk(widget):
        yield widget
        for child in getattr(widget, "children", ()):
            yield from walk(child)

    order = [w for w in walk(pg.widget) if not isinstance(w, (W.Box, W.HTML))]
    index = {id(w): i for i, w in enumerate(order)}
    c = pg.controls
    sequence = [pg.buttons["play"], c["epochs"], c["lr"], c["dataset"], c["n_classes"], c["seed"], pg.upload,
                pg.features["x1"], c["depth"], c["activation"], pg.view]
    positions = [index[id(w)] for w in sequence]
    assert positions == sorted(positions)
    assert "hl-playground" in pg.widget._dom_classes
