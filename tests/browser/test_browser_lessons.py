"""Every lesson, run in JupyterLab in a real browser: Run > Restart Kernel and Run All Cells must end with no
error output, no broken widget, and every plotly figure of the saved notebook drawn on the page."""

from __future__ import annotations

import time

import labdriver as drv
import pytest
from labdriver import NOTEBOOKS

LESSONS = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


def check_page(page, nb: dict) -> list[str]:
    """Problems the page shows, cell by cell (empty list: all good)."""
    expected = drv.expected_figures(nb)
    cells = drv.wait_for_figures(page, expected)
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    problems = []
    if len(cells) != len(code_cells):
        return [f"page shows {len(cells)} code cells, the notebook has {len(code_cells)}"]
    for i, (cell, seen, n) in enumerate(zip(code_cells, cells, expected, strict=True)):
        source = "".join(cell["source"]).strip().splitlines()
        where = f"code cell {i + 1} ({source[0][:60] if source else 'empty'})"
        allowed_error = "raises-exception" in cell.get("metadata", {}).get("tags", [])
        for p in seen["problems"]:
            if not (allowed_error and p.startswith("error output")):
                problems.append(f"{where}: {p}")
        if seen["drawn"] < n:
            problems.append(f"{where}: {seen['drawn']} plotly figures drawn of {n} in the saved notebook "
                            f"({seen['plots']} figure containers)")
    return problems


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_runs_clean_in_jupyterlab(lab, lab_page, served_root, artifacts, name):
    # the browser works on a copy: the committed notebook can be neither run nor saved by it
    assert not served_root.resolve().is_relative_to(drv.ROOT)
    nb = drv.strip_outputs(served_root / "notebooks" / name)
    drv.open_notebook(lab_page, lab, f"notebooks/{name}")
    seconds = drv.restart_and_run_all(lab_page)
    problems = check_page(lab_page, nb)
    drv.full_screenshot(lab_page, artifacts / name.replace(".ipynb", ".png"))
    print(f"{name}: run all {seconds:.1f} s")
    assert not problems, "\n".join(problems)
    if lab_page.locator(".hl-access").count():   # a lesson widget with hlkit's accessibility fixes (controls.Access)
        play_buttons = lab_page.locator(".hl-access .widget-play > button")
        drv.wait_until(lambda: play_buttons.count() == 0 or all(play_buttons.nth(i).get_attribute("aria-label")
                                                                 for i in range(play_buttons.count())),
                       30, "names on the Play buttons")
        assert drv.axe_serious(lab_page, ".hl-access") == []
    assert not lab_page.errors, "\n".join(lab_page.errors)
    assert not lab_page.outside_requests, f"the page asked for outside addresses: {lab_page.outside_requests}"


def test_no_news_prompt(lab, lab_page):
    """JupyterLab's 'Would you like to get notified about official Jupyter news?' toast must not appear."""
    lab_page.goto(f"{lab.url}/lab?token={lab.token}")
    lab_page.wait_for_selector("#jp-main-statusbar")
    time.sleep(4)  # the prompt comes a moment after start-up
    toasts = lab_page.locator(".Toastify__toast, .jp-Notification-Toast").all_inner_texts()
    assert not any("news" in t.lower() or "update" in t.lower() for t in toasts), toasts
    assert lab_page.locator(".jp-Dialog").count() == 0
