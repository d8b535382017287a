"""The Playground in JupyterLab, driven with the keyboard like a person would: the depth and width sliders
retrain the network and the boundary follows; a burst of key presses ends on the plot of the final value; the
widgets render again after a second Restart Kernel and Run All Cells.

The page is notebooks/lecture/playground.ipynb (only ``hl.Playground()``), so this runs in seconds."""

from __future__ import annotations

import time

import labdriver as drv
import numpy as np
import pytest

NOTEBOOK = "notebooks/lecture/playground.ipynb"
N_FIGURES = 3          # the live view's canvases: boundary, loss, network (neuron maps in its nodes)
SECONDS_TO_REACT = 20  # slider moved -> boundary changed (a loaded 2-core machine: usually 1-3 s)


def n_params(depth: int, width: int) -> int:
    import hlkit as hl

    return hl.n_params(hl.mlp(hl.models.hidden_sizes(depth, width)))


def oracle_boundary(depth: int, width: int, epochs: int) -> np.ndarray:
    """The boundary image of the same run computed without a browser: the Playground is deterministic, so the
    page must paint exactly this after ``epochs`` epochs."""
    import hlkit as hl

    pg = hl.Playground(live=False, depth=depth, width=width, epochs=epochs)
    try:
        return hl.viz.boundary_image(pg.grid.proba)
    finally:
        pg.close()


@pytest.fixture(scope="module")
def pg_page(lab, browser):
    page = drv.new_tab(browser)
    drv.open_notebook(page, lab, NOTEBOOK)
    drv.restart_and_run_all(page)
    yield page
    page.close()
    lab.stop_kernels()


def wait_rendered(page, timeout=60.0) -> list[dict]:
    cells = drv.wait_for_figures(page, [N_FIGURES], timeout=timeout)
    problems = [p for c in cells for p in c["problems"]]
    assert not problems, problems
    assert cells and cells[0]["drawn"] == N_FIGURES, f"Playground figures drawn: {cells}"
    drv.wait_until(lambda: drv.status_numbers(page), 30, "the Playground's status line")
    return cells


def test_playground_renders(pg_page, artifacts):
    wait_rendered(pg_page)
    drv.full_screenshot(pg_page, artifacts / "playground_lab.png")


def test_sliders_retrain_and_boundary_follows(pg_page, artifacts):
    page = pg_page
    wait_rendered(page)
    drv.wait_settled(page)
    depth, width = int(drv.readout(page, "hidden layers")), int(drv.readout(page, "neurons/layer"))
    before = drv.boundary_fingerprint(page)

    # one key press on the depth slider: the boundary changes within a few seconds
    start = time.monotonic()
    drv.press(page, drv.slider(page, "hidden layers").locator(".noUi-handle"), "ArrowRight")
    assert int(drv.readout(page, "hidden layers")) == depth + 1
    drv.wait_until(lambda: drv.boundary_fingerprint(page) != before, SECONDS_TO_REACT,
                   "the boundary figure to change after the depth slider moved")
    reacted = time.monotonic() - start
    drv.wait_until(lambda: drv.status_numbers(page).get("params") == n_params(depth + 1, width), SECONDS_TO_REACT,
                   f"the status line to show {n_params(depth + 1, width)} parameters",
                   show=lambda: drv.status_line(page))
    print(f"depth {depth} -> {depth + 1}: boundary changed after {reacted:.1f} s")

    # a burst of 10 quick presses on the width slider: the last value wins
    drv.press(page, drv.slider(page, "neurons/layer").locator(".noUi-handle"), "ArrowRight", times=10)
    final_depth, final_width = int(drv.readout(page, "hidden layers")), int(drv.readout(page, "neurons/layer"))
    assert (final_depth, final_width) == (depth + 1, width + 10)
    expected = n_params(final_depth, final_width)
    drv.wait_until(lambda: drv.status_numbers(page).get("params") == expected, SECONDS_TO_REACT * 2,
                   f"the status line to show the final network's {expected} parameters",
                   show=lambda: (drv.readout(page, "hidden layers"), drv.readout(page, "neurons/layer"),
                                 drv.status_line(page)))
    drv.wait_until(lambda: drv.status_numbers(page).get("epoch", 0) >= 20, 60, "20 epochs of the final network")

    # pause (unless the run already ended), then the page must show exactly the boundary of that network after
    # the number of epochs its status line says
    if drv.status_numbers(page).get("state") == "training":
        page.locator("button", has_text="pause").first.click()
    drv.wait_until(lambda: drv.status_numbers(page).get("state") not in (None, "training"), 20,
                   "the paused (or finished) state", show=lambda: drv.status_line(page))
    # the status line and the boundary are painted together, from one frame: read both at once
    shown, text = drv.wait_until(lambda: (lambda got: got if got[0] is not None and "training" not in got[1]
                                          else None)(drv.painted_boundary(page)), 20, "a painted paused frame")
    status = drv.status_numbers(page)
    assert status["text"] == text
    drv.full_screenshot(page, artifacts / "playground_lab_after_keys.png")
    assert status["params"] == expected, status["text"]
    want = oracle_boundary(final_depth, final_width, status["epoch"])
    print(f"after 10 presses: depth {final_depth}, width {final_width}; page: {status['text']}")
    assert shown.shape == want.shape
    assert np.abs(shown.astype(int) - want).max() <= 1, (
        f"the boundary shown is not that of depth {final_depth}, width {final_width} after {status['epoch']} "
        f"epochs (max difference {np.abs(shown.astype(int) - want).max()}); status: {status['text']}")
    assert not page.errors, "\n".join(page.errors)
    assert not page.outside_requests, page.outside_requests


def test_widgets_render_again_after_second_restart(pg_page, artifacts):
    """A second Restart Kernel and Run All Cells: the old views go, new ones render (no 'Error displaying
    widget')."""
    drv.restart_and_run_all(pg_page)
    cells = wait_rendered(pg_page)
    assert cells[0]["plots"] == N_FIGURES, cells

    import hlkit as hl

    default = hl.n_params(hl.mlp(hl.playground.DEFAULTS["hidden"]))
    drv.wait_until(lambda: drv.status_numbers(pg_page).get("params") == default, 30,
                   f"the status line of a new default Playground ({default} parameters)")
    assert not pg_page.errors, "\n".join(pg_page.errors)
