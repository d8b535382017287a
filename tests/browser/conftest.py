"""Fixtures for the real-browser tests: one JupyterLab (from .venv, 127.0.0.1, random token) serving a temporary
copy of notebooks/ with outputs stripped, one headless Chromium (Debian's /usr/bin/chromium through Playwright),
both stopped at the end with no process left behind.

Run: .venv/bin/python -m pytest tests/browser -p no:nbval
Screenshots land in test-artifacts/browser/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import time
import urllib.request
from pathlib import Path

import labdriver as drv
import pytest
import servers
from labdriver import ARTIFACTS, CHROMIUM, NOTEBOOKS

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium through JupyterLab or Voila")


@pytest.fixture(scope="session")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser-home")


@pytest.fixture(scope="session")
def served_root(home) -> Path:
    """A copy of notebooks/ (lessons, data files beside them, lecture/) that the browser may run and change:
    the committed notebooks are never opened by the browser."""
    root = home / "root"
    shutil.copytree(NOTEBOOKS, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root


def need_chromium() -> None:
    """The browser tests need Debian's Chromium. Under CI (which installs it) a missing one fails the run; on a
    developer's machine without it they are skipped, and say how to install it."""
    if CHROMIUM.exists():
        return
    message = "no /usr/bin/chromium: install it with `apt-get install -y chromium` (.ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def lab(home, served_root):
    need_chromium()
    server = servers.start_lab(served_root, home / "lab")
    yield server
    killed = server.stop()
    assert not killed, f"processes left after JupyterLab stopped, killed: {killed}"


@pytest.fixture(scope="module")
def voila(home, served_root, request):
    """The lecture page (notebooks/lecture/playground.ipynb) served by Voila, one server per test module."""
    need_chromium()
    server = servers.start_voila(served_root / "notebooks" / "lecture" / "playground.ipynb",
                                 home / f"voila-{request.module.__name__}")
    yield server
    killed = server.stop()
    assert not killed, f"processes left after Voila stopped, killed: {killed}"


@pytest.fixture(scope="session")
def browser(home):
    need_chromium()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    context = playwright.chromium.launch_persistent_context(
        str(home / "chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(60_000)
    yield context
    context.close()
    playwright.stop()
    time.sleep(0.5)
    left = servers.processes_mentioning(str(home / "chromium-profile"))
    for pid in left:
        servers.os.kill(pid, servers.signal.SIGKILL)
    assert not left, f"chromium processes left behind, killed: {left}"


@pytest.fixture
def page(browser):
    """A fresh tab (see labdriver.new_tab): ``page.errors``, ``page.outside_requests``."""
    tab = drv.new_tab(browser)
    yield tab
    tab.close()


def _request(server, method: str, path: str) -> None:
    req = urllib.request.Request(f"{server.url}{path}", method=method,
                                 headers={"Authorization": f"token {server.token}"})
    urllib.request.urlopen(req, timeout=10).read()  # noqa: S310 (loopback only)


@pytest.fixture
def lab_page(lab, page):
    """A tab on JupyterLab; every kernel is shut down afterwards so the next lesson has both cores."""
    yield page
    page.close()
    for session in lab.api("/api/sessions"):
        _request(lab, "DELETE", f"/api/sessions/{session['id']}")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
