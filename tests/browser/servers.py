"""Start and stop the servers the browser tests talk to: JupyterLab and Voila from .venv, on 127.0.0.1 only.

Each server runs in its own process group with its own Jupyter runtime, config and settings folders under a
temporary directory, so a test run neither reads nor changes the user's Jupyter state, and stopping the group
(plus any kernel whose connection file lies in that runtime folder) leaves no process behind.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

#: JupyterLab user settings: no news/update prompt, every cell attached to the page (windowing would leave cells
#: that are scrolled out of view out of the DOM, so their figures could not be counted), no autosave.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}


#: front-end extensions installed in .venv that fail inside Voila (they need JupyterLab's own services): the lecture
#: page leaves them out; the Playground needs only the widget manager, anywidget and plotly
VOILA_DENY = ("@jupyter-notebook/lab-extension", "@jupyter/nbgrader", "@voila-dashboards/jupyterlab-preview")
VOILA_FLAGS = tuple(f"--VoilaConfiguration.extension_denylist={name}" for name in VOILA_DENY) + (
    # the page (title, "starting..." note) shows at once and each output as its cell finishes, as `make app` does
    "--VoilaConfiguration.progressive_rendering=True",)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 2.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
        return response.read()


class Server:
    """A server process started with ``start_new_session`` so its whole group can be stopped at once."""

    def __init__(self, argv: list[str], *, url: str, token: str, home: Path, env: dict, log: Path):
        self.url, self.token, self.home, self.log = url, token, home, log
        self._log_file = open(log, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(argv, env=env, cwd=home, stdout=self._log_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)

    def api(self, path: str):
        sep = "&" if "?" in path else "?"
        return json.loads(_get(f"{self.url}{path}{sep}token={self.token}"))

    def stop_kernels(self) -> None:
        """Delete every session (its kernel stops): a test's Playground stops training for the next test."""
        for session in self.api("/api/sessions"):
            req = urllib.request.Request(f"{self.url}/api/sessions/{session['id']}", method="DELETE",
                                         headers={"Authorization": f"token {self.token}"})
            urllib.request.urlopen(req, timeout=10).read()  # noqa: S310 (loopback only)

    def wait_ready(self, probe: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                _get(f"{self.url}{probe}", timeout=2.0)
                return
            except urllib.error.HTTPError:
                return      # it answers (Voila redirects unknown paths to a 403)
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise TimeoutError(f"server did not answer {probe} within {timeout:.0f} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> list[int]:
        """Stop the server group, then any kernel it started (kernels run in their own session): returns the
        pids that had to be killed after the polite stop."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._log_file.close()
        killed = []
        for pid in processes_mentioning(str(self.home)):
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
        return killed


def processes_mentioning(text: str) -> list[int]:
    """Pids of live processes whose command line contains ``text`` (our temporary folder): kernels started by
    our server carry their connection file's path, which lies in our runtime folder."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry.name))
    return found


def _jupyter_env(home: Path) -> dict:
    env = dict(os.environ)
    for name, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                      ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"), ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"),
                      ("IPYTHONDIR", "ipython")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[name] = str(home / sub)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("OMP_NUM_THREADS", "1")  # 2 shared cores: one thread per kernel, like the lessons assume
    return env


def start_lab(root_dir: Path, home: Path) -> Server:
    """JupyterLab serving ``root_dir`` at http://127.0.0.1:PORT/ with a random token; returns once it answers."""
    env = _jupyter_env(home)
    for plugin, values in LAB_SETTINGS.items():
        path = home / "lab-settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    argv = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--ServerApp.port={port}",
            "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root_dir}", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.expose_app_in_browser=True"]
    server = Server(argv, url=f"http://127.0.0.1:{port}", token=token, home=home, env=env, log=home / "lab.log")
    server.wait_ready(f"/api/status?token={token}")
    return server


def start_voila(notebook: Path, home: Path) -> Server:
    """Voila serving one notebook (the lecture page) at http://127.0.0.1:PORT/."""
    env = _jupyter_env(home)
    port = free_port()
    argv = [sys.executable, "-m", "voila", str(notebook), f"--port={port}", "--no-browser", "--Voila.ip=127.0.0.1",
            *VOILA_FLAGS, f"--Voila.connection_dir_root={home / 'runtime'}"]
    server = Server(argv, url=f"http://127.0.0.1:{port}", token="", home=home, env=env, log=home / "voila.log")
    server.wait_ready("/voila/static/extension.js")
    return server
