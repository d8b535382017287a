"""A JupyterHub on 127.0.0.1 and simulated learners who use it the way a browser does.

Used by the hub test (tests/hub/test_class.py) and by the class driver (benchmarks/class_load.py, `make class N=8`).

    hub = Hub.start(workdir)                  # jupyterhub + configurable-http-proxy, own process group
    learner = Learner(hub, "learner-1")
    learner.log_in(); learner.start_server(); learner.open_kernel()
    learner.run_cells(cells_of("notebooks/04_depth_and_width.ipynb"))
    learner.measure()                         # peak RSS and CPU seconds of the learner's kernel
    hub.stop()                                # kills every process the hub started, by PID; nothing left

Learners log in through the hub's REST API (a token in exchange for name and password, DummyAuthenticator), start
their server through it, and talk to their own Jupyter server with their own token: REST for the kernel, the
kernel's websocket channel for `execute_request` messages, in the protocol JupyterLab 4 speaks (v1: every message one
binary frame, which the Jupyter server passes on without parsing it), reading every message as it comes, as a
browser tab does. Every wait polls a condition
against a deadline. Only loopback addresses are used.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil
import requests
import websocket

ROOT = Path(__file__).resolve().parents[2]
#: configurable-http-proxy (npm) goes here when it is not on PATH: inside the Python environment (make clean removes it)
PROXY_PREFIX = Path(sys.prefix) / "hub-proxy"
PROXY_PACKAGE = "configurable-http-proxy@^4"
ADMIN_SERVICE = "class-admin"
#: the environment every learner's server gets, here and in deploy/ (z2jh, TLJH): one thread per learner
LEARNER_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
#: the kernel websocket protocol of JupyterLab 4 (jupyter_server's docs, "WebSocket kernel wire protocols")
PROTOCOL = "v1.kernel.websocket.jupyter.org"


class ClassError(RuntimeError):
    """The hub, a server or a kernel did not do what a learner asked within the deadline."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, *, timeout: float, what: str, every: float = 0.25):
    """Poll ``condition()`` until it returns something truthy (returned) or ``timeout`` seconds pass (ClassError)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise ClassError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def proxy_command() -> str:
    """Path of configurable-http-proxy: on PATH, else in .hub/ (installed there with npm on first use)."""
    found = shutil.which("configurable-http-proxy")
    local = PROXY_PREFIX / "node_modules" / ".bin" / "configurable-http-proxy"
    if found:
        return found
    if not local.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise ClassError("configurable-http-proxy is not installed and npm is missing: install Node.js (npm), "
                             "or `npm install -g configurable-http-proxy`")
        PROXY_PREFIX.mkdir(parents=True, exist_ok=True)   # a one-time set-up step (npm registry), like `make setup`
        subprocess.run([npm, "install", "--prefix", str(PROXY_PREFIX), "--no-audit", "--no-fund", "--loglevel=error",
                        PROXY_PACKAGE], check=True, timeout=600)
    return str(local)


def pack(channel: str, parts: list[bytes]) -> bytes:
    """A message as one v1 frame: the number of offsets, the offsets (uint64, little-endian; where the channel and
    each part start, and the end), the channel name, the parts (header, parent header, metadata, content, buffers)."""
    offsets = [8 * (1 + 2 + len(parts))]
    for part in (channel.encode(), *parts):
        offsets.append(offsets[-1] + len(part))
    return b"".join([len(offsets).to_bytes(8, "little"), *(o.to_bytes(8, "little") for o in offsets),
                     channel.encode(), *parts])


def unpack(frame: bytes) -> tuple[str, list[bytes]]:
    """The channel and the parts of one v1 frame (``pack``'s inverse)."""
    n = int.from_bytes(frame[:8], "little")
    offsets = [int.from_bytes(frame[8 * i:8 * (i + 1)], "little") for i in range(1, n + 1)]
    return frame[offsets[0]:offsets[1]].decode(), [frame[offsets[i]:offsets[i + 1]] for i in range(1, n - 1)]


def cells_of(notebook) -> list[str]:
    """The code cells of a notebook, in order: what "run all" sends to the kernel."""
    return [cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]


CONFIG = """\
# written by tests/hub/classroom.py: a hub on loopback for simulated learners
import sys
c = get_config()  # noqa: F821
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = "sqlite:///{workdir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{workdir}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{workdir}/jupyterhub.pid"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{workdir}/home/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {args!r}
c.Spawner.environment = {env!r}
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
c.JupyterHub.allow_named_servers = True
c.JupyterHub.cleanup_servers = True
c.JupyterHub.services = [
    {{"name": "{admin}", "api_token": {token!r}}},
    {{"name": "idle-culler", "command": [sys.executable, "-m", "jupyterhub_idle_culler", {culler}]}},
]
c.JupyterHub.load_roles = [
    {{"name": "admin", "services": ["{admin}"]}},
    {{"name": "idle-culler", "services": ["idle-culler"],
      "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]}},
]
"""


@dataclass
class Hub:
    """A running JupyterHub (and its proxy, culler and learners' servers): everything a ``stop()`` ends."""

    process: subprocess.Popen | None     # None in a copy for another process (``remote()``): it cannot stop the hub
    url: str
    token: str
    workdir: Path
    log: Path
    pid: int = 0

    @classmethod
    def start(cls, workdir, *, culler_timeout: int = 3600, cull_every: int = 60, cull_default_servers: bool = True,
              timeout: float = 120) -> Hub:
        """Start a hub in ``workdir`` (created), wait until its API answers. The idle culler runs as a hub service
        with ``culler_timeout`` seconds; ``cull_default_servers=False`` lets it cull named servers only."""
        workdir = Path(workdir).resolve()
        (workdir / "home").mkdir(parents=True, exist_ok=True)
        port, hub_port, proxy_api_port = free_port(), free_port(), free_port()
        token = secrets.token_hex(24)
        bin_dir = Path(sys.executable).parent
        culler = ", ".join(repr(a) for a in (f"--timeout={culler_timeout}", f"--cull-every={cull_every}",
                                              f"--cull-default-servers={cull_default_servers}"))
        args = ["--allow-root"] if os.geteuid() == 0 else []
        config = CONFIG.format(port=port, hub_port=hub_port, proxy_api_port=proxy_api_port, proxy=proxy_command(),
                               workdir=workdir, singleuser=str(bin_dir / "jupyterhub-singleuser"), args=args,
                               env=LEARNER_ENV, admin=ADMIN_SERVICE, token=token, culler=culler)
        (workdir / "jupyterhub_config.py").write_text(config)
        env = dict(os.environ)
        # the learners' kernels import this checkout's hlkit (Spawner.env_keep passes PYTHONPATH on)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        env["PATH"] = os.pathsep.join((str(bin_dir), env.get("PATH", "")))
        log = workdir / "jupyterhub.log"
        with open(log, "ab") as out:
            process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(workdir / "jupyterhub_config.py")],
                                       cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)    # its own process group: stop() kills it whole
        hub = cls(process=process, url=f"http://127.0.0.1:{port}", token=token, workdir=workdir, log=log, pid=process.pid)
        try:
            wait_for(hub._answers, timeout=timeout, what=f"the hub's API at {hub.url} (log: {log})")
        except BaseException:
            hub.stop()
            raise
        return hub

    def remote(self) -> Hub:
        """This hub as a plain value that another process (a learner run in a process pool) can use."""
        return Hub(process=None, url=self.url, token=self.token, workdir=self.workdir, log=self.log, pid=self.pid)

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise ClassError(f"the hub exited with code {self.process.returncode}; log:\n{self.log_tail()}")
        try:
            return requests.get(f"{self.url}/hub/api/", timeout=5).ok
        except requests.RequestException:
            return False

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""

    def api(self, method: str, path: str, *, token: str | None = None, **kwargs) -> requests.Response:
        """A request to the hub's REST API (``/hub/api`` + path), with the admin token unless ``token`` is given."""
        headers = {"Authorization": f"token {token or self.token}"}
        return requests.request(method, f"{self.url}/hub/api{path}", headers=headers, timeout=60, **kwargs)

    def alive(self) -> bool:
        """The hub process runs and its API answers an authenticated request."""
        return psutil.pid_exists(self.pid) and self.api("GET", "/users").ok

    def processes(self) -> list[psutil.Process]:
        """The hub and every process below it (proxy, culler, learners' servers, their kernels)."""
        try:
            hub = psutil.Process(self.pid)
            return [hub, *hub.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def own_memory(self) -> dict:
        """Resident memory (MB) of the hub process and of its proxy: what the hub costs besides the learners."""
        hub = psutil.Process(self.pid)
        proxy = [p for p in hub.children() if "configurable-http-proxy" in " ".join(p.cmdline())]
        return {"hub_mb": rss_mb(hub), "proxy_mb": sum(rss_mb(p) for p in proxy),
                "hub_peak_mb": peak_rss_mb(hub.pid)}

    def stop(self, timeout: float = 30) -> list[int]:
        """SIGTERM the hub (it stops servers and proxy), then SIGKILL the process group of every process it had
        started that is still there. Returns the PIDs still alive afterwards (none, unless something is wrong)."""
        if self.process is None:
            raise ClassError("only the process that started the hub stops it")
        family = self.processes()
        groups = set()
        for p in family:
            try:
                groups.add(os.getpgid(p.pid))
            except ProcessLookupError:
                pass
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        for group in groups:
            if group in (0, 1, os.getpgrp()):
                continue                            # never our own group (nor init's)
            try:
                os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        gone, alive = psutil.wait_procs(family, timeout=10)
        return [p.pid for p in alive]


def rss_mb(process: psutil.Process) -> float:
    return process.memory_info().rss / 2**20


def peak_rss_mb(pid: int) -> float:
    """The kernel's high-water mark of resident memory (VmHWM, Linux), in MB: its peak, without sampling."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise ClassError(f"no VmHWM for process {pid}")


@dataclass
class Learner:
    """One simulated learner: their own token, server, kernel and websocket, and what was measured."""

    hub: Hub
    name: str
    password: str = "any password (DummyAuthenticator)"
    token: str = ""
    kernel_id: str = ""
    times: dict = field(default_factory=dict)    # seconds since log-in: server_ready, kernel_ready, lesson (duration)
    errors: list = field(default_factory=list)   # "cell N: ename: evalue" of every failed cell
    #: websocket traffic from my kernel: {"messages": n, "bytes": b} in all, and per run_cells record
    traffic: dict = field(default_factory=lambda: {"messages": 0, "bytes": 0})
    _ws: websocket.WebSocket | None = None
    _session: str = field(default_factory=lambda: uuid.uuid4().hex)
    _t0: float = 0.0

    # -- the hub ------------------------------------------------------------------------------------

    def log_in(self) -> None:
        """Exchange name and password for an API token at the hub (POST /users/NAME/tokens, no cookie)."""
        self._t0 = time.monotonic()
        if self.hub.api("GET", f"/users/{self.name}").status_code == 404:
            self.hub.api("POST", f"/users/{self.name}").raise_for_status()   # the instructor adds the class list
        r = requests.post(f"{self.hub.url}/hub/api/users/{self.name}/tokens", timeout=60,
                          json={"auth": {"username": self.name, "password": self.password}, "note": "simulated learner"})
        r.raise_for_status()
        self.token = r.json()["token"]

    def start_server(self, server: str = "", timeout: float = 300) -> None:
        """Ask the hub for my server (named ``server``, or the default one) and wait until the hub says it is ready."""
        path = f"/users/{self.name}/servers/{server}" if server else f"/users/{self.name}/server"
        r = self.hub.api("POST", path, token=self.token)
        if r.status_code not in (201, 202):
            raise ClassError(f"{self.name}: starting the server failed: {r.status_code} {r.text}")
        wait_for(lambda: self.server_ready(server), timeout=timeout, what=f"{self.name}'s server", every=0.5)
        self.times["server_ready"] = time.monotonic() - self._t0

    def servers(self) -> dict:
        r = self.hub.api("GET", f"/users/{self.name}", token=self.token)
        r.raise_for_status()
        return r.json().get("servers", {})

    def server_ready(self, server: str = "") -> bool:
        return bool(self.servers().get(server, {}).get("ready"))

    # -- my Jupyter server --------------------------------------------------------------------------

    @property
    def server_url(self) -> str:
        return f"{self.hub.url}/user/{self.name}"

    def server_api(self, method: str, path: str, **kwargs) -> requests.Response:
        r = requests.request(method, f"{self.server_url}/api{path}", headers={"Authorization": f"token {self.token}"},
                             timeout=120, **kwargs)
        r.raise_for_status()
        return r

    def open_kernel(self, timeout: float = 300) -> None:
        """Start a python3 kernel on my server, connect to its websocket and wait for its kernel_info_reply."""
        self.kernel_id = self.server_api("POST", "/kernels", json={"name": "python3"}).json()["id"]
        self._connect(timeout)
        self.times["kernel_ready"] = time.monotonic() - self._t0

    def _connect(self, timeout: float) -> None:
        if self._ws is not None:
            self._ws.close()
        url = self.server_url.replace("http://", "ws://") + f"/api/kernels/{self.kernel_id}/channels"
        # skip_utf8_validation: websocket-client checks every text frame byte by byte in pure Python (~1 MB/s on a
        # loaded core): with the legacy protocol's JSON text frames a reader of a live Playground fell minutes behind,
        # answered the server's pings too late and was dropped ("WebSocket ping timeout" in the server's log).
        self._ws = websocket.create_connection(url, header=[f"Authorization: token {self.token}"], timeout=timeout,
                                               subprotocols=[PROTOCOL], skip_utf8_validation=True)
        if self._ws.getsubprotocol() != PROTOCOL:
            raise ClassError(f"{self.name}: the server did not accept the kernel protocol {PROTOCOL} "
                             f"(it chose {self._ws.getsubprotocol()!r}): jupyter_server >= 2 speaks it")
        deadline = time.monotonic() + timeout
        while True:       # JupyterLab asks for kernel_info until the kernel answers: then it is ready
            ask = self._send("kernel_info_request", {})
            try:
                self._wait_reply(ask, "kernel_info_reply", deadline=min(deadline, time.monotonic() + 5))
                return
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise ClassError(f"{self.name}: kernel {self.kernel_id} not ready after {timeout:.0f} s") from None

    def _send(self, msg_type: str, content: dict, channel: str = "shell") -> str:
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": msg_type, "username": self.name, "session": self._session,
                  "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "version": "5.3"}
        parts = [json.dumps(part).encode() for part in (header, {}, {}, content)]
        self._ws.send_bytes(pack(channel, parts))
        return msg_id

    def _wait_reply(self, msg_id: str, reply_type: str, *, deadline: float) -> dict:
        """Read the websocket until the reply to ``msg_id`` arrived and the kernel went idle after it.
        Raises KernelGone when the server reports the kernel restarting or dead (killed or restarted)."""
        reply, idle = None, False
        while not (reply and idle):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.name}: no {reply_type} for {msg_id}")
            self._ws.settimeout(left)
            try:
                opcode, data = self._ws.recv_data()
            except websocket.WebSocketTimeoutException:
                raise TimeoutError(f"{self.name}: no {reply_type} for {msg_id}") from None
            except (websocket.WebSocketConnectionClosedException, ConnectionError) as err:
                raise KernelGone(f"{self.name}: the kernel's websocket closed ({err!r})") from None
            self.traffic["messages"] += 1
            self.traffic["bytes"] += len(data)
            if opcode == websocket.ABNF.OPCODE_CLOSE:    # the server hung up (its log says why, e.g. a ping timeout)
                raise KernelGone(f"{self.name}: the server closed the kernel's websocket (close frame {data!r})")
            if opcode != websocket.ABNF.OPCODE_BINARY:
                continue
            _, parts = unpack(data)        # only the header parts are parsed: a widget's frame is for the browser
            msg_type = json.loads(parts[0]).get("msg_type")
            state = json.loads(parts[3]).get("execution_state") if msg_type == "status" else None
            if state in ("restarting", "dead"):
                raise KernelGone(f"{self.name}: the kernel is {state}")
            if json.loads(parts[1]).get("msg_id") != msg_id:
                continue
            if msg_type == reply_type:
                reply = {"msg_type": msg_type, "content": json.loads(parts[3])}
            elif state == "idle":
                idle = True
        return reply

    def run_cells(self, cells: list[str], *, timeout: float = 900, before=None, record: str = "lesson") -> float:
        """Run the cells one after another like "Run All" (stop at the first error). ``before(i)`` is called just
        after cell i was sent (the test kills or restarts a kernel there). Returns the seconds it took (also kept
        in ``times[record]``)."""
        if self._ws is None or not self._ws.connected:
            self._connect(timeout)     # a browser tab reopened (the server drops sockets nobody reads from)
        start = time.monotonic()
        deadline = start + timeout
        messages, size = self.traffic["messages"], self.traffic["bytes"]
        for i, code in enumerate(cells):
            msg_id = self._send("execute_request", {"code": code, "silent": False, "store_history": True,
                                                    "user_expressions": {}, "allow_stdin": False,
                                                    "stop_on_error": True})
            if before is not None:
                before(i)
            reply = self._wait_reply(msg_id, "execute_reply", deadline=deadline)["content"]
            if reply["status"] != "ok":
                self.errors.append(f"cell {i}: {reply.get('ename')}: {reply.get('evalue')}")
                break
        seconds = time.monotonic() - start
        self.times[record] = seconds
        self.traffic[record] = {"messages": self.traffic["messages"] - messages, "bytes": self.traffic["bytes"] - size}
        return seconds

    def restart_kernel(self, timeout: float = 300) -> None:
        """What the Restart button does (POST .../restart), then reconnect and wait for the fresh kernel."""
        self.server_api("POST", f"/kernels/{self.kernel_id}/restart")
        self._connect(timeout)

    def reconnect(self, timeout: float = 300) -> None:
        """Reconnect to my kernel (after the server restarted it) and wait until it answers."""
        self._connect(timeout)

    def kernel_process(self, timeout: float = 60) -> psutil.Process:
        """The kernel's process (found under the hub by the kernel id in its connection file name)."""
        def find():
            for p in self.hub.processes():
                try:
                    if any(self.kernel_id in part for part in p.cmdline()):
                        return p
                except psutil.NoSuchProcess:
                    pass
            return None
        return wait_for(find, timeout=timeout, what=f"{self.name}'s kernel process")

    def measure(self) -> dict:
        """My kernel so far: peak RSS (MB), CPU seconds (user + system, its children included); and the resident
        memory and CPU seconds of my Jupyter server (the kernel's parent), which a learner's limits hold as well."""
        p = self.kernel_process()
        cpu, server = p.cpu_times(), p.parent()
        return {"peak_rss_mb": peak_rss_mb(p.pid), "rss_mb": rss_mb(p), "server_rss_mb": rss_mb(server),
                "cpu_s": cpu.user + cpu.system + cpu.children_user + cpu.children_system,
                "server_cpu_s": server.cpu_times().user + server.cpu_times().system}

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None


class KernelGone(ClassError):
    """The kernel went away under a running cell (killed, or restarted by its owner)."""
