"""The Playground on one screen, accessible by default (issue 13): in JupyterLab (file browser collapsed) and in the
Voila lecture page, at 1366 x 768 and 1920 x 1080, the controls, the network with its neuron maps, the boundary and
the loss curve all lie inside the visible area without scrolling (screenshots kept in test-artifacts/browser/);
axe-core finds no critical or serious violation in the Playground's own elements; a keyboard alone reaches the
controls in reading order with a visible focus ring at every stop and moves a slider that retrains the network.

The page is notebooks/lecture/playground.ipynb (only ``hl.Playground()``)."""

from __future__ import annotations

import labdriver as drv
import pytest

NOTEBOOK = "notebooks/lecture/playground.ipynb"
SIZES = {"1366x768": (1366, 768), "1920x1080": (1920, 1080)}
N_FIGURES = 3

#: everything that must be on screen at once: the three canvases and every control above the help panel
BOXES_JS = """(scroller) => {
  const root = document.querySelector('.hl-playground');
  if (!root) return null;
  const area = scroller ? document.querySelector(scroller).getBoundingClientRect()
                        : {left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight};
  const help = root.querySelector('.jupyter-widget-Accordion, .widget-accordion, .lm-Accordion');
  const named = [['boundary', '.hl-boundary'], ['network', '.hl-network'], ['loss', '.hl-loss']];
  const controls = Array.from(root.querySelectorAll(
      '.widget-slider, .widget-dropdown, .widget-toggle-button, .jupyter-button, .widget-checkbox, .widget-text'))
    .filter(e => !(help && help.contains(e)));
  const boxes = named.map(([name, sel]) => [name, root.querySelector(sel)])
    .concat(controls.map(e => [(e.querySelector('.widget-label') || e).textContent.trim().slice(0, 30), e]))
    .map(([name, e]) => { const r = e ? e.getBoundingClientRect() : null;
      return {name, box: r && [r.left, r.top, r.right, r.bottom].map(Math.round)}; });
  return {area: [area.left, area.top, area.right, area.bottom].map(Math.round), boxes,
          windowScrolled: window.scrollY, bodyTall: document.documentElement.scrollHeight > window.innerHeight + 1};
}"""

#: where keyboard focus is, and how the focus is drawn there
FOCUS_JS = """() => {
  const e = document.activeElement;
  if (!e) return null;
  const s = getComputedStyle(e), root = e.closest('.hl-playground');
  const box = e.closest('.widget-inline-hbox, .jupyter-button, .widget-toggle-button') || e;
  const label = box.querySelector ? (box.querySelector('.widget-label') || {}).textContent : '';
  return {inside: !!root, tag: e.tagName, name: e.getAttribute('aria-label') || (label || '').trim()
            || (e.textContent || '').trim().slice(0, 30),
          outline: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0, outlineColor: s.outlineColor,
          shadow: s.boxShadow};
}"""


def open_lab(page, lab, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    drv.open_notebook(page, lab, NOTEBOOK)      # collapses the file browser
    drv.restart_and_run_all(page)
    cells = drv.wait_for_figures(page, [N_FIGURES], timeout=90)
    assert cells and cells[0]["drawn"] == N_FIGURES and not cells[0]["problems"], cells
    # the notebook scrolls inside its panel: bring the Playground's top to the top of it, as a learner would
    page.locator(".hl-playground").first.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)   # let the panel's scroll settle before measuring (not a wait for the kernel)
    return ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer"


def open_voila(page, voila, size, seen_loading=None):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{voila.url}/", timeout=180_000)
    cells = []

    def rendered():
        nonlocal cells
        if seen_loading is not None and page.locator(".hl-loading").first.is_visible():
            seen_loading.append(True)
        cells = page.evaluate(drv.PROBLEMS_JS)
        return cells and (cells[0]["problems"] or cells[0]["drawn"] >= N_FIGURES)

    drv.wait_until(rendered, 180, "the Playground's figures in the Voila page", interval=0.1)
    assert not cells[0]["problems"] and cells[0]["drawn"] == N_FIGURES, cells
    drv.wait_until(lambda: drv.status_numbers(page), 30, "the Playground's status line")
    return None


def outside(found: dict) -> list:
    left, top, right, bottom = found["area"]
    bad = [b for b in found["boxes"] if b["box"] is None or b["box"][0] < left - 1 or b["box"][1] < top - 1
           or b["box"][2] > right + 1 or b["box"][3] > bottom + 1]
    return bad


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("where", ["lab", "voila"])
def test_one_screen_and_no_serious_axe_violation(where, size, request, browser, artifacts):
    page = drv.new_tab(browser)
    try:
        if where == "lab":
            scroller = open_lab(page, request.getfixturevalue("lab"), SIZES[size])
        else:
            scroller = open_voila(page, request.getfixturevalue("voila"), SIZES[size])
        drv.wait_until(lambda: drv.status_numbers(page), 30, "the Playground's status line")
        shot = artifacts / f"layout_{where}_{size}.png"
        page.screenshot(path=str(shot))
        print(f"screenshot: {shot}")
        found = page.evaluate(BOXES_JS, scroller)
        assert found, "no Playground in the page"
        names = [b["name"] for b in found["boxes"]]
        assert {"boundary", "network", "loss", "hidden layers", "dataset", "learning rate", "x1"} <= set(names), names
        assert not outside(found), f"outside the visible area {found['area']} at {size}: {outside(found)}"
        if where == "voila":
            assert not found["bodyTall"] and not found["windowScrolled"], "the Voila page scrolls"
        boundary = next(b["box"] for b in found["boxes"] if b["name"] == "boundary")
        print(f"{where} {size}: boundary {boundary[2] - boundary[0]} px wide, area {found['area']}")
        if size == "1920x1080":
            assert boundary[2] - boundary[0] >= 500, "at 1920 x 1080 the pictures grow"
        problems = drv.axe_serious(page)
        assert not problems, "\n".join(problems)
        assert not page.errors, "\n".join(page.errors)
    finally:
        page.close()
        if where == "lab":
            lab = request.getfixturevalue("lab")
            for session in lab.api("/api/sessions"):
                import urllib.request

                req = urllib.request.Request(f"{lab.url}/api/sessions/{session['id']}", method="DELETE",
                                             headers={"Authorization": f"token {lab.token}"})
                urllib.request.urlopen(req, timeout=10).read()  # noqa: S310 (loopback only)


def test_narrow_window_stacks_in_reading_order(voila, page, artifacts):
    open_voila(page, voila, (420, 900))   # a phone held upright, or a narrow split window
    page.screenshot(path=str(artifacts / "layout_voila_narrow.png"), full_page=True)
    tops = page.evaluate("""() => Object.fromEntries([['data', '.hl-column'], ['network', '.hl-network'],
        ['boundary', '.hl-boundary'], ['loss', '.hl-loss']].map(([k, s]) => {
          const r = document.querySelector('.hl-playground ' + s).getBoundingClientRect();
          return [k, [r.left, r.top, r.right]]; }))""")
    assert tops["data"][1] < tops["network"][1] < tops["boundary"][1] < tops["loss"][1], tops
    assert all(right <= 420 + 1 for _, _, right in tops.values()), f"wider than the window: {tops}"


def test_voila_shows_progress_until_the_playground_is_there(voila, page):
    seen = []
    open_voila(page, voila, SIZES["1366x768"], seen_loading=seen)
    assert seen, "the page never said it was starting (the .hl-loading note)"
    assert not page.locator(".hl-loading").first.is_visible(), "the 'starting' note stays after the Playground came"


def test_keyboard_only(voila, page, artifacts):
    """Tab from the page's top through the controls: each stop inside the Playground shows a focus ring (a solid
    outline of 2 px or more); the order follows the reading order; arrows move the depth slider and the boundary
    changes."""
    open_voila(page, voila, SIZES["1366x768"])
    drv.wait_settled(page)
    page.locator("h1").first.click()     # start from the title, like a person who clicked into the page
    stops = []
    for _ in range(60):
        page.keyboard.press("Tab")
        where = page.evaluate(FOCUS_JS)
        if where and where["inside"]:
            stops.append(where)
            if where["name"] == "hidden layers":
                break
    names = [s["name"] for s in stops]
    assert names and names[-1] == "hidden layers", f"Tab never reached the depth slider: {names}"
    faint = [s for s in stops if s["outline"] in ("none", "") or s["outlineWidth"] < 2]
    assert not faint, f"focus not visible at: {faint}"
    order = [next(i for i, n in enumerate(names) if n.startswith(want))
             for want in ("play", "epochs", "learning rate", "dataset", "classes", "seed", "x1", "hidden layers")]
    assert order == sorted(order), f"Tab order is not the reading order: {names}"
    page.screenshot(path=str(artifacts / "layout_voila_keyboard.png"))
    # what a screen reader hears: sliders named after their labels, toggles with their state, and a greyed-out
    # slider's reason
    aria = page.evaluate("""() => ({
      handles: Array.from(document.querySelectorAll('.hl-playground .noUi-handle')).map(h => h.getAttribute('aria-label')),
      pressed: Object.fromEntries(Array.from(document.querySelectorAll('.hl-playground .widget-toggle-button'))
                 .map(b => [b.textContent.trim(), b.getAttribute('aria-pressed')])),
      classes: (document.querySelector('.hl-playground .widget-slider .noUi-handle[aria-label="classes"]')
                || {getAttribute: () => null}).getAttribute('aria-description')})""")
    assert {"classes", "points", "noise", "train ratio", "hidden layers", "neurons/layer"} <= set(aria["handles"]), aria
    assert aria["pressed"]["x1"] == "true" and aria["pressed"]["x1^2"] == "false", aria["pressed"]
    assert aria["classes"] and "circle has 2 classes" in aria["classes"], aria
    depth = int(drv.readout(page, "hidden layers"))
    before = drv.boundary_fingerprint(page)
    page.keyboard.press("ArrowRight")
    assert int(drv.readout(page, "hidden layers")) == depth + 1
    drv.wait_until(lambda: drv.boundary_fingerprint(page) != before, 30,
                   "the boundary to change after the depth slider moved by keyboard",
                   show=lambda: drv.status_line(page))
    # Space on a feature toggle switches it, and aria-pressed follows
    square = page.locator(".hl-playground .widget-toggle-button", has_text="x1^2").first
    square.focus()
    page.keyboard.press("Space")
    drv.wait_until(lambda: square.get_attribute("aria-pressed") == "true", 10, "x1^2 to be pressed by Space")
    assert not page.errors, "\n".join(page.errors)
