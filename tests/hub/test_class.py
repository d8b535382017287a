"""A class of simulated learners on a real JupyterHub (127.0.0.1, local spawner, dummy log-in).

Eight learners log in through the hub's API, start their servers, open a kernel each and run lesson 00 (the
first lesson of a class: data, a network, training, plots, a live Playground) over the kernel's websocket, all
at once. One of them has their kernel killed mid-lesson (as the out-of-memory killer would), another presses
Restart mid-lesson; both then "restart and run all", as a learner would. The idle culler, a hub service, stops a
server nobody uses. How the hub is started and stopped, and how a learner talks to it: classroom.py. The figures
for instructors come from benchmarks/class_load.py (`make class`).
"""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest
from classroom import ROOT, Hub, KernelGone, Learner, cells_of, wait_for

LEARNERS = 8
#: lesson 00 here (8 x lesson 04 takes ~4 min on this loaded 2-core machine: that one is `make class`'s job)
LESSON = ROOT / "notebooks" / "00_start_here.ipynb"
DISRUPT_AT = 3             # the training cell of lesson 00 (after import, data and model)
#: a learner's kernel at its peak (lesson 04 measured ~410 MB, lesson 00 less: torch alone is ~270 MB).
#: docs/instructors.md and deploy/ size a learner (kernel + Jupyter server) from this bound.
PEAK_RSS_BOUND_MB = 600
SERVER_RSS_BOUND_MB = 300  # a learner's Jupyter server, JupyterLab included (139 MB in RESULTS.md, 190-205 earlier)
CULL_TIMEOUT = 10          # seconds; the culler checks every 2 s and culls named servers only (see `hub`)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """The hub, torn down by PID at the end: the test fails if any process it started is left."""
    hub = Hub.start(tmp_path_factory.mktemp("hub"), culler_timeout=CULL_TIMEOUT, cull_every=2,
                    cull_default_servers=False)   # the learners' default servers stay; the culling test's named one goes
    yield hub
    left = hub.stop()
    assert left == [], f"processes left after stopping the hub: {left}"


def _lesson(learner: Learner, cells: list[str], disruption: str | None) -> dict:
    learner.log_in()
    learner.start_server()
    learner.open_kernel()
    report = {"disrupted": False}

    def disrupt(i):
        if i != DISRUPT_AT or report["disrupted"]:
            return
        report["disrupted"] = True
        if disruption == "kill":
            learner.kernel_process().send_signal(signal.SIGKILL)   # the kernel dies; the server restarts it
        elif disruption == "restart":
            learner.restart_kernel()
            raise KernelGone(f"{learner.name} restarted the kernel")

    try:
        learner.run_cells(cells, before=disrupt if disruption else None)
    except KernelGone:
        report["interrupted"] = True
        if disruption == "kill":
            learner.reconnect()       # the server's automatic restart gave a fresh kernel: wait until it answers
        learner.run_cells(cells)      # "Restart Kernel and Run All Cells"
    report.update(learner.measure(), errors=learner.errors, times=dict(learner.times))
    learner.close()                   # the learner leaves the tab; the final check reconnects
    print(learner.name, report)       # shown with pytest -s: what each learner cost
    return report


def test_a_class_of_eight_runs_a_lesson_at_once(hub):
    cells = cells_of(LESSON)
    assert len(cells) > DISRUPT_AT
    learners = [Learner(hub, f"learner-{i + 1}") for i in range(LEARNERS)]
    roles = {0: "kill", 1: "restart"}
    with ThreadPoolExecutor(LEARNERS) as pool:
        futures = [pool.submit(_lesson, learner, cells, roles.get(i)) for i, learner in enumerate(learners)]
        reports = [f.result() for f in futures]
    try:
        for learner, report in zip(learners, reports, strict=True):
            assert report["errors"] == [], f"{learner.name}: {report['errors']}"
            assert report["peak_rss_mb"] < PEAK_RSS_BOUND_MB, (learner.name, report)
            assert report["server_rss_mb"] < SERVER_RSS_BOUND_MB, (learner.name, report)
        for i, role in roles.items():
            assert reports[i]["disrupted"] and reports[i].get("interrupted"), (role, reports[i])
        assert hub.alive()
        # every learner still has a working server and kernel after the others' kills and restarts
        for learner in learners:
            assert learner.server_ready()
            learner.run_cells(["assert hl.n_params(hl.mlp([3])) == 13"])
            assert learner.errors == [], learner.errors
        memory = hub.own_memory()
        assert memory["hub_mb"] < 500, memory
    finally:
        for learner in learners:
            learner.close()


def test_the_idle_culler_stops_a_server_nobody_uses(hub):
    learner = Learner(hub, "idle-learner")
    learner.log_in()
    learner.start_server("forgotten")     # a named server: the culler of this hub culls named servers only
    assert learner.server_ready("forgotten")
    wait_for(lambda: "forgotten" not in learner.servers(), timeout=CULL_TIMEOUT + 120,
             what="the idle culler to stop the forgotten server")
    assert hub.alive()
    log = hub.log.read_text(errors="replace")
    assert "idle-culler" in log and "DELETE /hub/api/users/idle-learner/servers/forgotten" in log
    assert os.path.isdir(hub.workdir / "home" / "idle-learner")
