"""Lecture mode: Voila serves notebooks/lecture/playground.ipynb as a page without code; the Playground renders
and follows its sliders."""

from __future__ import annotations

import time

import labdriver as drv
import numpy as np

N_FIGURES = 3          # the live view's canvases


def test_lecture_page_in_voila(voila, page, artifacts):
    start = time.monotonic()
    page.goto(f"{voila.url}/", timeout=180_000)
    cells = []

    def rendered():
        nonlocal cells
        cells = page.evaluate(drv.PROBLEMS_JS)
        return cells and (cells[0]["problems"] or cells[0]["drawn"] >= N_FIGURES)

    try:
        drv.wait_until(rendered, 180, "the Playground's figures in the Voila page")
    finally:
        drv.full_screenshot(page, artifacts / "lecture_voila.png")
    seconds = time.monotonic() - start
    assert not cells[0]["problems"], cells[0]["problems"]
    assert cells[0]["drawn"] == N_FIGURES, cells
    print(f"Voila page with the Playground drawn after {seconds:.1f} s")

    # no code: sources are stripped, only the title, the sentence and the widget
    body = page.inner_text("body")
    assert "import hlkit" not in body and "hl.Playground" not in body, "the page shows code"
    assert page.locator(".jp-InputArea-editor, .CodeMirror, .cm-editor").count() == 0, "the page shows code"
    assert "Hidden layers, live" in body

    # a slider moved with the keyboard retrains: the boundary changes
    drv.wait_settled(page)
    before = drv.boundary_fingerprint(page)
    depth, width = int(drv.readout(page, "hidden layers")), int(drv.readout(page, "neurons/layer"))
    drv.press(page, drv.slider(page, "hidden layers").locator(".noUi-handle"), "ArrowRight")
    assert int(drv.readout(page, "hidden layers")) == depth + 1
    moved = time.monotonic()
    drv.wait_until(lambda: drv.boundary_fingerprint(page) != before, 20,
                   "the boundary figure to change after the depth slider moved", show=lambda: drv.status_line(page))
    print(f"Voila: boundary changed {time.monotonic() - moved:.1f} s after the key press")
    import hlkit as hl

    params = hl.n_params(hl.mlp(hl.models.hidden_sizes(depth + 1, width)))
    drv.wait_until(lambda: drv.status_numbers(page).get("params") == params, 20,
                   f"the status line to show {params} parameters", show=lambda: drv.status_line(page))
    # the run ends on the page as in the kernel: the final painted boundary is that of the same run computed
    # without a browser (the Voila case of issue 12: a finished status line over a stale boundary)
    status = drv.wait_settled(page)
    shown, text = drv.painted_boundary(page)
    assert text == status["text"] and status["epoch"] == status["epochs"], status
    pg = hl.Playground(live=False, hidden=hl.models.hidden_sizes(depth + 1, width), epochs=status["epoch"])
    want = hl.viz.boundary_image(pg.grid.proba)
    pg.close()
    assert np.abs(shown.astype(int) - want).max() <= 1, "the final painted boundary is not the kernel's"
    assert not page.errors, "\n".join(page.errors)
    # Voila's page template links Font Awesome's CSS on a CDN (icons only; the Playground uses none): refused here
    others = [u for u in page.outside_requests if "@fortawesome/fontawesome-free" not in u]
    assert not others, f"the page asked for outside addresses: {others}"
