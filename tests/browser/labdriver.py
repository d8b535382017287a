"""Drive JupyterLab and Voila pages the way a person does (menus, dialogs, sliders with the keyboard) and read
back what the page shows: prompts, error outputs, widget errors, rendered plotly figures and the Playground's
painted canvases."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: the lessons; HLKIT_NOTEBOOKS points the tests at another folder (to try them on a scratch notebook)
NOTEBOOKS = Path(os.environ.get("HLKIT_NOTEBOOKS", ROOT / "notebooks"))
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")    # Debian's package: Playwright's own browser download cannot work here
PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
#: widgets whose (truncated) text/plain repr does not list their figures: a mark in the repr -> figures (the
#: Playground's live view paints 3 canvases: boundary, loss, network with the neuron maps in its nodes; hl.compare's
#: three live views paint one each: boundary A, boundary B, the loss of both)
WIDGET_FIGURES = {"<b>Playground</b>": 3, "Playground: a PyTorch network learning live": 3,   # old repr, new repr
                  "<b>Two networks side by side</b>": 3, "Two networks side by side: both learn live": 3}


#: console errors that say nothing about our pages: JupyterLab's own chatter, and requests we refused
CONSOLE_NOISE = ("favicon", "WebSocket connection to", "Connection lost", "Could not restore the debugger state",
                 "Failed to load resource: net::ERR_FAILED")


class PageProblem(AssertionError):
    pass


def new_tab(context):
    """A tab that may talk to 127.0.0.1 only (anything else is refused and listed in ``tab.outside_requests``) and
    collects uncaught page errors and console errors in ``tab.errors``."""
    tab = context.new_page()
    tab.errors, tab.outside_requests = [], []

    def only_loopback(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:")):
            route.continue_()
        else:
            tab.outside_requests.append(url)
            route.abort()

    tab.route("**/*", only_loopback)
    tab.on("pageerror", lambda e: tab.errors.append(f"page error: {e}\n{(e.stack or '')[:1500]}"))
    tab.on("console", lambda m: tab.errors.append(f"console {m.type}: {m.text}")
           if m.type == "error" and not any(n in m.text for n in CONSOLE_NOISE) else None)
    return tab


# --- what the notebook file promises --------------------------------------------------------------------------

def expected_figures(nb: dict) -> list[int]:
    """For each code cell, how many plotly figures its saved outputs show: plotly outputs, FigureWidgets (their
    text/plain repr starts with FigureWidget), and the figures of the known containers in WIDGET_FIGURES."""
    counts = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        n = 0
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if PLOTLY_MIME in data:
                n += 1
            elif WIDGET_MIME in data:
                text = data.get("text/plain", "")
                text = "".join(text) if isinstance(text, list) else text
                n += text.count("FigureWidget(") + sum(k for mark, k in WIDGET_FIGURES.items() if mark in text)
        counts.append(n)
    return counts


def strip_outputs(path: Path) -> dict:
    """Remove saved outputs and prompts from the served copy, so everything the page shows afterwards comes from
    the browser's own run; returns the original notebook (for expected_figures)."""
    nb = json.loads(path.read_text())
    stripped = json.loads(json.dumps(nb))
    for cell in stripped["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    stripped["metadata"].pop("widgets", None)
    path.write_text(json.dumps(stripped, indent=1))
    return nb


# --- JupyterLab ------------------------------------------------------------------------------------------------

STATE_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const cells = Array.from(panel.querySelectorAll('.jp-Notebook .jp-Cell'));
  const bar = document.querySelector('#jp-main-statusbar');
  return {
    prompts: cells.filter(c => c.classList.contains('jp-CodeCell'))
                  .map(c => (c.querySelector('.jp-InputPrompt') || {}).textContent || ''),
    statusbar: bar ? bar.innerText : '',
  };
}"""

PROBLEMS_JS = """() => {
  const root = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook') || document.body;
  const cells = root.classList.contains('jp-Notebook')
      ? Array.from(root.querySelectorAll('.jp-CodeCell')) : [root];
  return cells.map((cell, i) => {
    const problems = [];
    for (const out of cell.querySelectorAll('.jp-OutputArea-output')) {
      const mime = out.getAttribute('data-mime-type') || '';
      const text = out.innerText || '';
      if (mime === 'application/vnd.jupyter.stderr' && /Traceback|Error:|Exception/.test(text))
        problems.push('error output: ' + text.slice(0, 1500));
    }
    const text = cell.innerText || '';
    // ipywidgets' messages for a widget it cannot show (missing front-end module, failed model or view)
    for (const message of ['Error displaying widget', 'Click to show javascript error', 'Failed to load model class',
                           'Failed to load view class', 'Could not create a view for model'])
      if (text.includes(message)) problems.push(message);
    const plots = Array.from(cell.querySelectorAll('.js-plotly-plot'));
    // drawn: plotly made its SVG, the figure holds traces and some of them are on screen (an empty FigureWidget
    // shows bare axes: its data never arrived)
    const drawn = plots.filter(p => p.querySelector('svg.main-svg') && p.getBoundingClientRect().width > 50
        && (p.data || []).length > 0
        && p.querySelector('g.trace, g.hm, g.im, image, g.pielayer path, .gl-container canvas'));
    // the Playground's live view: its canvases, and how many of them its last paint filled
    const live = Array.from(cell.querySelectorAll('.hl-live'));
    const painted = live.reduce((n, v) => n + Number(v.dataset.drawn || 0), 0);
    return {problems, plots: plots.length + 3 * live.length, drawn: drawn.length + painted};
  });
}"""


def lab_url(server, path: str) -> str:
    # reset: start from an empty workspace, not the one the previous tab left (it would reopen that notebook)
    return f"{server.url}/lab/tree/{path}?reset&token={server.token}"


def wait_until(predicate, timeout: float, what: str, interval: float = 0.25, show=None):
    """Poll ``predicate`` until it returns something true; on time-out, fail saying what was awaited and what
    ``show()`` (if given) says the page shows instead."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            seen = f"; the page shows: {show()}" if show else ""
            raise PageProblem(f"timed out after {timeout:.0f} s waiting for {what}{seen}")
        time.sleep(interval)


def lab_state(page) -> dict:
    return page.evaluate(STATE_JS) or {"prompts": [], "statusbar": ""}


def kernel_idle(page) -> bool:
    return "| Idle" in lab_state(page)["statusbar"]


def open_notebook(page, server, path: str, timeout: float = 90.0) -> None:
    page.goto(lab_url(server, path))
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell", timeout=timeout * 1000)
    wait_until(lambda: kernel_idle(page), timeout, "the kernel to start (status bar 'Idle')")
    # wider notebook, nothing else in the screenshot
    page.evaluate("() => { const app = window.jupyterapp; if (app) { app.shell.collapseLeft(); "
                  "app.shell.collapseRight(); } }")


def menu(page, top: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=top).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def restart_and_run_all(page, timeout: float = 240.0) -> float:
    """Run > Restart Kernel and Run All Cells, confirm, wait until every code cell ran and the kernel is idle.
    Returns the seconds it took."""
    start = time.monotonic()
    menu(page, "Run", "Restart Kernel and Run All Cells")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()

    def done():
        state = lab_state(page)
        prompts = state["prompts"]
        running = any("*" in p for p in prompts)
        numbered = [p for p in prompts if any(ch.isdigit() for ch in p)]
        return (not running and len(numbered) == len(prompts) and "| Idle" in state["statusbar"]
                and time.monotonic() - start > 1.0)

    def finished_or_stuck():
        if done():
            return True
        state = lab_state(page)
        # run-all stops at a failing cell: the later cells keep an empty prompt, nothing runs any more
        if not any("*" in p for p in state["prompts"]) and "| Idle" in state["statusbar"] \
                and time.monotonic() - start > 3.0 and page.locator(
                    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').count():
            return True
        return False

    wait_until(finished_or_stuck, timeout, "Restart Kernel and Run All Cells to finish")
    # settle: nothing starts again within a second (a cell queued behind a slow one)
    time.sleep(1.0)
    wait_until(finished_or_stuck, timeout, "Restart Kernel and Run All Cells to finish")
    return time.monotonic() - start


def page_cells(page) -> list[dict]:
    return page.evaluate(PROBLEMS_JS)


def wait_for_figures(page, expected: list[int], timeout: float = 30.0) -> list[dict]:
    """Wait until every code cell shows at least the figures the saved notebook has; return the cells."""
    cells = []

    def enough():
        nonlocal cells
        cells = page_cells(page)
        return len(cells) == len(expected) and all(c["drawn"] >= n for c, n in zip(cells, expected, strict=True))

    try:
        wait_until(enough, timeout, "plotly figures to render")
    except PageProblem:
        pass  # the caller reports which cell lacks which figure
    return cells


def full_screenshot(page, path: Path, max_height: int = 15000, tile: int = 1600) -> list[Path]:
    """Screenshot the whole notebook: JupyterLab scrolls inside a fixed-size page, so make the window as tall
    as the notebook's content and scroll it to the top first (capped: Chromium refuses images taller than about
    16k pixels). A tall page is also saved in readable tiles NAME-1.png, NAME-2.png, ...; returns all files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("""() => {
      const outer = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');
      const cells = outer ? outer.querySelectorAll('.jp-Cell') : [];
      // another page (Voila) may scroll inside an inner element: take the tallest content there is
      if (!cells.length) return Math.max(document.documentElement.scrollHeight,
        ...Array.from(document.querySelectorAll('.jp-Cell, .jp-OutputArea'))
           .map(e => e.getBoundingClientRect().bottom + window.scrollY + 40));
      return cells[cells.length - 1].getBoundingClientRect().bottom + outer.scrollTop + 80; }""")
    height = int(min(max(height, size["height"]), max_height))
    page.set_viewport_size({"width": size["width"], "height": height})
    time.sleep(1.0)
    page.evaluate("""() => { const outer = document.querySelector(
      '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer'); if (outer) outer.scrollTop = 0; }""")
    time.sleep(0.5)
    page.screenshot(path=str(path), full_page=True)
    files = [path]
    for old in path.parent.glob(f"{path.stem}-*.png"):
        old.unlink()
    if height > tile * 1.25:
        for i, top in enumerate(range(0, height, tile)):
            part = path.with_name(f"{path.stem}-{i + 1}.png")
            page.screenshot(path=str(part), clip={"x": 0, "y": top, "width": size["width"],
                                                  "height": min(tile, height - top)})
            files.append(part)
    page.set_viewport_size(size)
    return files


# --- plotly figures in any page ------------------------------------------------------------------------------

FIGURES_JS = """(selector) => Array.from(document.querySelectorAll(selector || '.js-plotly-plot')).map(gd => {
  const data = (gd.data || []).map(t => ({type: t.type, z: t.z, source: t.source, x: t.x, y: t.y}));
  const layout = gd.layout || {};
  const title = layout.title ? (layout.title.text || layout.title) : '';
  return {json: JSON.stringify(data), title: String(title), svg: !!gd.querySelector('svg.main-svg')};
})"""


def figure_fingerprints(page, selector: str | None = None) -> list[str]:
    """One hash per plotly figure in the page, from the figure's own data (what plotly draws)."""
    return [hashlib.sha1(f["json"].encode()).hexdigest()[:12] for f in page.evaluate(FIGURES_JS, selector)]


def press(page, locator, key: str, times: int = 1, delay_ms: int = 0) -> None:
    locator.focus()
    for _ in range(times):
        locator.press(key, delay=delay_ms)


# --- the Playground (hlkit/playground) ------------------------------------------------------------------------

def slider(page, label: str):
    """An ipywidgets slider by its label, e.g. "hidden layers"; .locator('.noUi-handle') is what takes keys."""
    return page.locator(".widget-slider", has=page.locator(".widget-label", has_text=label)).first


def readout(page, label: str) -> str:
    return slider(page, label).locator(".widget-readout").inner_text().strip()


def status_line(page) -> str:
    """The Playground's status line, painted by its live view: 'epoch N of E (state) · loss ... · P parameters'."""
    texts = page.locator(".hl-live .hl-status").all_inner_texts()
    found = [t for t in texts if "epoch" in t and "parameters" in t]
    return found[0] if found else ""


def status_numbers(page) -> dict:
    """epoch, state and parameter count from the status line (empty dict if there is none yet)."""
    import re

    text = status_line(page)
    match = re.search(r"epoch (\d+) of (\d+) \(([^)]*)\).*?([\d,]+) parameters", text)
    if not match:
        return {}
    return {"epoch": int(match[1]), "epochs": int(match[2]), "state": match[3],
            "params": int(match[4].replace(",", "")), "text": text}


def wait_settled(page, timeout: float = 120.0) -> dict:
    """Wait until the Playground's run is over (done, stopped, diverged): no live frame changes the plots any more,
    so a change seen afterwards comes from the control that was moved."""
    return wait_until(lambda: (lambda st: st if st and st["state"] not in ("training",) else None)(
        status_numbers(page)), timeout, "the Playground's run to end", show=lambda: status_line(page))


#: the boundary the first live view last painted, read back from its canvas: {res, rgb (res*res*3, top row
#: first), frame, paints, status}; the status line and the image come from the same paint
BOUNDARY_JS = """() => {
  const root = document.querySelector('.hl-live');
  const parts = root && root.parentElement.hlParts;
  const image = parts && parts.boundaryImage;
  if (!image) return null;
  const res = image.width, data = image.getContext('2d').getImageData(0, 0, res, res).data;
  const rgb = [];
  for (let i = 0; i < data.length; i += 4) rgb.push(data[i], data[i + 1], data[i + 2]);
  return {res, rgb, frame: Number(root.dataset.frame), paints: Number(root.dataset.paints),
          status: root.querySelector('.hl-status').textContent};
}"""


def painted_boundary(page):
    """The painted boundary as a (res, res, 3) uint8 array with row 0 = the lowest x2 (the kernel's order), and the
    status line painted with it; (None, "") before the first paint."""
    import numpy as np

    got = page.evaluate(BOUNDARY_JS)
    if not got:
        return None, ""
    image = np.asarray(got["rgb"], dtype=np.uint8).reshape(got["res"], got["res"], 3)[::-1]
    return image, got["status"]


def boundary_fingerprint(page) -> str:
    got = page.evaluate(BOUNDARY_JS)
    return hashlib.sha1(json.dumps(got and got["rgb"]).encode()).hexdigest()[:12]


def axe_serious(page, context: str = ".hl-playground") -> list[str]:
    """axe-core's critical and serious violations inside ``context`` (the Playground's or hl.compare's elements)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=context)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
            for v in results.response["violations"] if v["impact"] in ("critical", "serious")]
