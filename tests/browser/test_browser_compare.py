"""hl.compare in JupyterLab (its own workspace): both sides paint their boundary, the loss plot paints two runs, it
fits a 1366 x 768 screen, the pause button works from the keyboard, and once paused each side shows exactly the
boundary its settings give after the epochs its status line says (the kernel's own run, repeated without a browser).

The page is a one-cell notebook written into the served copy, so this runs in seconds."""

from __future__ import annotations

import labdriver as drv
import nbformat
import numpy as np
import pytest
import servers

NOTEBOOK = "notebooks/compare_check.ipynb"
SETTINGS = dict(a=dict(hidden=[4]), b=dict(hidden=[4, 4, 4, 4]), dataset="spiral")
SOURCE = ("import hlkit as hl\n"
          "hl.compare(a=dict(hidden=[4]), b=dict(hidden=[4, 4, 4, 4]), dataset='spiral', epochs=2000)")

#: each live view of the page: its status line, what its last paint drew, its boundary image (top row first), and
#: whether its loss plot held two runs
VIEWS_JS = """() => Array.from(document.querySelectorAll('.hl-live')).map(root => {
  const parts = root.parentElement.hlParts, image = parts && parts.boundaryImage;
  let rgb = null, res = 0;
  if (image) {
    res = image.width;
    const data = image.getContext('2d').getImageData(0, 0, res, res).data;
    rgb = [];
    for (let i = 0; i < data.length; i += 4) rgb.push(data[i], data[i + 1], data[i + 2]);
  }
  return {status: root.querySelector('.hl-status').textContent, drawn: Number(root.dataset.drawn || 0),
          canvases: root.querySelectorAll('canvas.hl-boundary, canvas.hl-loss, canvas.hl-network').length,
          res, rgb, lossRuns: parts ? parts.lossRuns || 0 : 0};
})"""


@pytest.fixture(scope="module")
def compare_page(lab, browser, served_root):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(SOURCE)]
    nbformat.write(nb, served_root / NOTEBOOK)
    page = drv.new_tab(browser)
    drv.open_notebook(page, lab, NOTEBOOK)   # ?reset: a workspace of its own
    drv.restart_and_run_all(page)
    yield page
    page.close()
    lab.stop_kernels()


def views(page) -> list[dict]:
    return page.evaluate(VIEWS_JS)


def epoch_of(status: str) -> tuple[int, str] | None:
    import re

    match = re.search(r"epoch (\d+) of \d+ \(([^)]*)\)", status)
    return (int(match[1]), match[2]) if match else None


def test_both_sides_paint_and_the_loss_plot_holds_two_runs(compare_page, artifacts):
    page = compare_page
    got = drv.wait_until(lambda: (lambda v: v if len(v) == 3 and all(x["drawn"] == 1 for x in v)
                                  and all(epoch_of(x["status"]) and epoch_of(x["status"])[0] >= 5 for x in v[:2])
                                  else None)(views(page)), 120, "both boundaries and the loss plot painted, 5 epochs in",
                         show=lambda: [(x["status"], x["drawn"]) for x in views(page)])
    a, b, loss = got
    assert a["status"].startswith("A · ") and b["status"].startswith("B · "), (a["status"], b["status"])
    assert [x["canvases"] for x in got] == [1, 1, 1]
    assert a["rgb"] and b["rgb"] and a["rgb"] != b["rgb"]           # two networks, two boundaries
    assert loss["lossRuns"] == 2 and "A" in loss["status"] and "B" in loss["status"]
    assert not page.errors, "\n".join(page.errors)
    assert not page.outside_requests, page.outside_requests

    # one screen at 1366 x 768: the buttons and the three canvases are all in view at once
    page.set_viewport_size({"width": 1366, "height": 768})
    page.evaluate("() => document.querySelector('.hl-live').closest('.widget-vbox').parentElement"
                  ".closest('.widget-vbox').scrollIntoView()")
    boxes = page.evaluate("""() => Array.from(document.querySelectorAll('.hl-live .hl-boundary, .hl-live .hl-loss'))
        .concat(Array.from(document.querySelectorAll('.jp-OutputArea button'))).map(e => {
          const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""")
    page.screenshot(path=str(artifacts / "compare_lab_1366.png"))
    assert len(boxes) == 3 + 4
    for left, top, right, bottom in boxes:
        assert left >= 0 and top >= 0 and right <= 1366 and bottom <= 768, boxes
    page.set_viewport_size({"width": 1280, "height": 900})


def test_pause_by_keyboard_then_each_side_shows_its_own_run(compare_page, artifacts):
    import hlkit as hl

    page = compare_page
    pause = page.locator(".jp-OutputArea button", has_text="pause").first
    pause.focus()
    page.keyboard.press("Enter")
    # paused (or, on a slow machine, already done with the 2000 epochs)
    got = drv.wait_until(lambda: (lambda v: v if len(v) == 3 and all(epoch_of(x["status"]) and epoch_of(x["status"])[1]
                                                                    in ("paused", "done") for x in v[:2]) else None)(
                             views(page)), 60, "both sides paused", show=lambda: [x["status"] for x in views(page)])
    page.locator(".jp-OutputArea-output").first.screenshot(path=str(artifacts / "compare_widget.png"))
    (epoch_a, _), (epoch_b, _) = epoch_of(got[0]["status"]), epoch_of(got[1]["status"])
    assert epoch_a == epoch_b                                       # lock-step: paused between two pair epochs
    oracle = hl.compare(**SETTINGS, epochs=epoch_a, live=False)
    try:
        for shown, label in zip(got[:2], "AB", strict=True):
            image = np.asarray(shown["rgb"], np.uint8).reshape(shown["res"], shown["res"], 3)[::-1]
            want = oracle.views[label].painted()
            assert image.shape == want.shape
            assert np.abs(image.astype(int) - want).max() <= 1, f"side {label} after {epoch_a} epochs"
    finally:
        oracle.close()
    assert not page.errors, "\n".join(page.errors)


def test_no_serious_axe_violation(compare_page):
    assert compare_page.locator(".hl-playground").count() == 1
    assert drv.axe_serious(compare_page) == []


def test_no_serious_axe_violation_in_voila(home, served_root, browser, artifacts):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(SOURCE)]
    path = served_root / "notebooks" / "compare_voila.ipynb"
    nbformat.write(nb, path)
    server = servers.start_voila(path, home / "voila-compare")
    page = drv.new_tab(browser)
    try:
        page.set_viewport_size({"width": 1366, "height": 768})
        page.goto(f"{server.url}/", timeout=180_000)
        drv.wait_until(lambda: [v["drawn"] for v in views(page)] == [1, 1, 1], 180, "hl.compare's three pictures")
        page.screenshot(path=str(artifacts / "compare_voila_1366.png"))
        assert drv.axe_serious(page) == []
    finally:
        page.close()
        killed = server.stop()
    assert not killed, f"processes left after Voila stopped, killed: {killed}"
