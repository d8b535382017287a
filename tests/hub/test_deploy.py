"""What can be checked here of the deployment recipes (deploy/): no Kubernetes, helm, docker or TLJH server runs.

- deploy/z2jh/config.yaml: every key against the chart's schema (the subset restated in
  z2jh_values_schema_subset.yaml, with its source), culling on, memory and CPU per learner consistent with what
  the hub test measures and bounds, the learners' environment the one the hub test runs with.
- the image: `repo2docker --no-build` (through deploy/z2jh/build-image.sh --plan) gives the Dockerfile; it builds
  from binder/ (CPU-only PyTorch), puts the repository outside the home folder, adds nbgitpuller and brings
  jupyterhub-singleuser.
- deploy/tljh/setup.sh: the same sizing and culling as on Kubernetes.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from classroom import LEARNER_ENV, ROOT
from test_class import PEAK_RSS_BOUND_MB, SERVER_RSS_BOUND_MB

Z2JH = ROOT / "deploy" / "z2jh"
HERE = Path(__file__).resolve().parent
UNITS = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}   # KubeSpawner's byte suffixes (1024-based)


def mb(value) -> float:
    """KubeSpawner's memory specification ("600M", "1.2G", or bytes) in MB (2**20 bytes)."""
    if isinstance(value, (int, float)):
        return value / 2**20
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT])", value)
    assert match, f"not a KubeSpawner memory size: {value!r}"
    return float(match[1]) * UNITS[match[2]] / 2**20


@pytest.fixture(scope="module")
def values():
    return yaml.safe_load((Z2JH / "config.yaml").read_text())


def test_the_z2jh_values_use_only_keys_of_the_chart_with_their_types(values):
    schema = yaml.safe_load((HERE / "z2jh_values_schema_subset.yaml").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(values, schema)
    # the check can fail: a misspelt key and a wrong type are refused
    for bad in ({"cull": {"enabled": True, "timout": 3600}}, {"singleuser": {"cpu": {"limit": "1"}}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_the_z2jh_values_size_a_learner_from_the_hub_test(values):
    s = values["singleuser"]
    guarantee, limit = mb(s["memory"]["guarantee"]), mb(s["memory"]["limit"])
    assert guarantee <= limit
    # a learner within the hub test's bounds (kernel + server) stays below the limit
    assert PEAK_RSS_BOUND_MB + SERVER_RSS_BOUND_MB <= limit
    # and the guarantee holds the most one learner measured with lesson 04 (`make class`: kernel 425 MB + server
    # 190-205 MB in an earlier run, 384 + 139 MB in benchmarks/RESULTS.md's; MB of 2**20 bytes)
    assert guarantee >= 425 + 205
    assert 0 < s["cpu"]["guarantee"] <= s["cpu"]["limit"]
    assert s["cpu"]["limit"] >= 1     # one thread per learner: a limit below one core slows every lesson
    assert s["extraEnv"] == LEARNER_ENV
    assert s["defaultUrl"] == "/lab"  # nbgitpuller links (`hlkit links --hub`) open lab/tree/...


def test_the_z2jh_values_cull_idle_servers(values):
    cull = values["cull"]
    assert cull["enabled"] is True
    assert 0 < cull["every"] < cull["timeout"] <= 2 * 3600
    assert cull["users"] is False      # servers are stopped, accounts stay


def test_the_image_plan_is_the_binder_environment_with_cpu_only_torch():
    env = dict(os.environ, PATH=os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", ""))))
    run = subprocess.run(["bash", str(Z2JH / "build-image.sh"), "--plan"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    dockerfile = run.stdout
    assert 'env update -p ${NB_PYTHON_PREFIX} --file "binder/environment.yml"' in dockerfile
    assert "RUN ./binder/postBuild" in dockerfile                    # hlkit itself, editable, no dependencies
    # the repository outside the learners' home volume: a build argument (REPO_DIR) that the build sets from
    # --target-repo-dir; the plan shows the argument, the script the value
    assert "ARG REPO_DIR=" in dockerfile and "WORKDIR ${REPO_DIR}" in dockerfile
    assert re.search(r"^common=\(--target-repo-dir /srv/hlkit ", (Z2JH / "build-image.sh").read_text(), re.M)
    assert re.search(r"^RUN .*pip install .*nbgitpuller", dockerfile, re.M)
    assert not re.search(r"torch|cuda", dockerfile, re.I)           # PyTorch comes from binder/environment.yml only
    deps = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text())["dependencies"]
    names = [re.split(r"[<>=! ]", d)[0] for d in deps if isinstance(d, str)]
    assert "pytorch-cpu" in names
    assert not [n for n in names if re.search(r"torch|cuda", n) and n != "pytorch-cpu"], names
    # repo2docker's base environment (the lock file it copies in) brings jupyterhub-singleuser, which the chart runs
    lock = re.search(r"^COPY .* /tmp/env/environment\.lock$", dockerfile, re.M)
    assert lock, "no base environment in the plan"
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python="))[len("python="):]
    package = Path(importlib.util.find_spec("repo2docker").submodule_search_locations[0])   # found, not imported
    base = package / "buildpacks" / "conda" / f"environment.py-{python}-linux-64.lock"
    assert "/jupyterhub-singleuser-" in base.read_text()


def test_the_tljh_recipe_sizes_and_culls_as_on_kubernetes(values):
    script = (ROOT / "deploy" / "tljh" / "setup.sh").read_text()
    settings = dict(re.findall(r"^tljh-config set (\S+) (\S+)$", script, re.M))
    assert mb(settings["limits.memory"]) == mb(values["singleuser"]["memory"]["limit"])
    assert float(settings["limits.cpu"]) == values["singleuser"]["cpu"]["limit"]
    assert settings["services.cull.enabled"] == "true"
    assert int(settings["services.cull.timeout"]) == values["cull"]["timeout"]
    assert int(settings["services.cull.every"]) == values["cull"]["every"]
    assert "download.pytorch.org/whl/cpu" in script                  # CPU-only PyTorch before hlkit
    assert all(f'"{k}": "{v}"' in script for k, v in LEARNER_ENV.items())
