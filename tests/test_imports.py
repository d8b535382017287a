"""Package structure: imports run one way (data -> models -> train -> probe -> viz -> playground, and inside the
playground package settings -> runner -> frames -> view -> controls -> front -> playground -> compare), checked by
parsing each module's source (importing ``hlkit.viz`` would run ``hlkit/__init__``, which imports torch); no private plotly
API anywhere; plus the test suite's own network guard (conftest.py)."""

from __future__ import annotations

import ast
import functools
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "hlkit"
ORDER = ["arguments", "data", "models", "train", "probe", "viz", "playground"]
#: the Playground's files, each importing only those before it (and nothing of the package after it)
PLAYGROUND = ["playground.settings", "playground.runner", "playground.frames", "playground.view",
              "playground.controls", "playground.front", "playground.playground", "playground.compare",
              "playground.__init__"]


def imports_of(path: Path) -> set[str]:
    """Every module a file imports at any level (module level or inside functions), as dotted names with
    relative imports resolved to ``hlkit.``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:   # from . import x / from .x import y
                base = "hlkit" + (f".{node.module}" if node.module else "")
                if node.module:
                    found.add(base)
                else:
                    found.update(f"hlkit.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def top_level(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


@functools.lru_cache(maxsize=1)
def modules() -> dict[str, set[str]]:
    """hlkit's modules by short name: "viz", ..., and "playground.runner" for the package's files; relative
    imports inside the playground package are resolved to hlkit.playground.x."""
    found = {p.stem: imports_of(p) for p in sorted(PACKAGE.glob("*.py"))}
    # the exercise checks' package (one module per lesson): its relative imports of the package's modules are two
    # levels up and resolve to hlkit.x already; its own modules (".core") appear as hlkit.core, which no check needs
    found.update({f"check.{p.stem}": imports_of(p) for p in sorted((PACKAGE / "check").glob("*.py"))})
    for p in sorted((PACKAGE / "playground").glob("*.py")):
        names = set()
        for name in imports_of(p):
            # "from . import x" inside the package parses as hlkit.x: map the package's own modules back
            short = name.removeprefix("hlkit.")
            inside = short.split(".")[0] in {m.split(".")[1] for m in PLAYGROUND}
            names.add(f"hlkit.playground.{short}" if inside and name.startswith("hlkit.") else name)
        found[f"playground.{p.stem}"] = names
    return found


def test_the_parser_sees_imports_of_every_kind(tmp_path):
    # the checks below are only as good as this parser: it must catch plain, from-, relative and nested imports
    source = tmp_path / "sample.py"
    source.write_text("import torch.nn\nfrom . import viz\nfrom .train import train\n"
                      "def f():\n    import ipywidgets as w\n    from plotly import graph_objects\n")
    names = imports_of(source)
    assert {"torch.nn", "hlkit.viz", "hlkit.train", "ipywidgets", "plotly", "plotly.graph_objects"} <= names
    assert top_level(names) == {"torch", "hlkit", "ipywidgets", "plotly"}


def test_core_modules_exist():
    assert set(ORDER) - {"playground"} <= set(modules()) and set(PLAYGROUND) <= set(modules())


def test_viz_imports_no_torch_no_widgets_no_training():
    names = modules()["viz"]
    assert "torch" not in top_level(names)
    assert "ipywidgets" not in top_level(names)
    assert not names & {"hlkit.train", "hlkit.playground", "hlkit.models", "hlkit.probe"}


def test_data_imports_no_torch():
    assert "torch" not in top_level(modules()["data"])


def test_only_the_controls_import_ipywidgets_and_only_view_and_controls_anywidget():
    mods = modules()
    users = sorted(name for name, names in mods.items() if "ipywidgets" in top_level(names))
    assert users == ["playground.controls"], f"ipywidgets imported outside playground/controls.py: {users}"
    # the controls' own small front end (controls.js: ARIA names and states ipywidgets 8 does not render) is an
    # anywidget too; it draws nothing
    users = sorted(name for name, names in mods.items() if top_level(names) & {"anywidget", "traitlets"})
    assert users == ["playground.controls", "playground.view"], (
        f"anywidget/traitlets imported outside playground/view.py and controls.py: {users}")


def test_settings_are_pure_and_the_runner_draws_nothing():
    mods = modules()
    assert not top_level(mods["playground.settings"]) & {"threading", "ipywidgets", "anywidget", "plotly", "torch"}
    assert not mods["playground.settings"] & {"hlkit.probe", "hlkit.viz"}
    assert not top_level(mods["playground.runner"]) & {"ipywidgets", "anywidget", "plotly", "traitlets"}
    assert not mods["playground.runner"] & {"hlkit.viz", "hlkit.probe"}


def test_the_playground_package_imports_one_way():
    mods = modules()
    for i, name in enumerate(PLAYGROUND):
        later = {f"hlkit.{m}" for m in PLAYGROUND[i + 1:]}
        backward = sorted(mods[name] & later)
        assert not backward, f"hlkit/{name}.py imports {backward}, which come after it in {' -> '.join(PLAYGROUND)}"


def test_no_module_but_the_package_imports_the_playground():
    # the check package and cli.py included: a grading or command-line run must not need a notebook front end
    mods = modules()
    assert "check.__init__" in mods and "check.lesson08" in mods and "cli" in mods
    users = sorted(name for name, names in mods.items() if any(n.startswith("hlkit.playground") for n in names)
                   and name not in ("__init__",) and not name.startswith("playground."))
    assert not users, f"these modules import hlkit.playground: {users}"


#: plotly's private names the old Playground used: figure state, edit ids, browser-message handlers
PLOTLY_PRIVATE = re.compile(r"\._(widget_data|widget_layout|js2py\w*|py2js\w*|handler_js2py\w*|last_trace_edit_id|"
                            r"layout_obj|data_objs|props)\b")


def test_nothing_uses_plotly_private_modules_or_attributes():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        for name in imports_of(path):
            if name.startswith("plotly"):
                assert not any(part.startswith("_") for part in name.split(".")), f"{path.name} imports {name}"
        found = PLOTLY_PRIVATE.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path.relative_to(PACKAGE)} uses plotly's private attributes: {found}"


def test_imports_run_one_way():
    mods = modules()
    for i, name in enumerate(ORDER):
        if name not in mods:
            continue
        later = {f"hlkit.{m}" for m in ORDER[i + 1:]}
        backward = sorted(mods[name] & later)
        assert not backward, f"hlkit/{name}.py imports {backward}, which come after it in {' -> '.join(ORDER)}"


def test_importing_hlkit_does_not_load_widgets():
    # run in a fresh interpreter: the lazy ``hl.playground`` must not be loaded by ``import hlkit``
    code = ("import sys, hlkit; bad = [m for m in ('ipywidgets', 'anywidget', 'hlkit.playground') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_package_exposes_the_notebook_names():
    import numpy as np
    import torch

    import hlkit as hl

    assert hl.make_dataset is hl.data.make_dataset and hl.mlp is hl.models.mlp and hl.cnn is hl.models.cnn
    assert hl.n_params is hl.models.n_params and hl.load_digits is hl.data.load_digits
    assert hl.from_arrays is hl.data.from_arrays and hl.from_csv is hl.data.from_csv
    with pytest.raises(AttributeError, match="module 'hlkit' has no attribute 'nothing'"):
        hl.nothing  # noqa: B018
    # set_seed seeds the global generators (hlkit itself never relies on them)
    hl.set_seed(3)
    a = (np.random.rand(), torch.rand(1).item())
    hl.set_seed(3)
    assert (np.random.rand(), torch.rand(1).item()) == a


# --- the network guard of conftest.py ----------------------------------------------------------------------

def test_network_guard_refuses_a_public_address(no_network):
    with pytest.raises(no_network, match="blocked"):
        socket.create_connection(("93.184.216.34", 80), timeout=2)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(no_network):
            sock.connect(("8.8.8.8", 53))
        with pytest.raises(no_network):
            sock.connect_ex(("1.1.1.1", 443))
    with pytest.raises(no_network):
        socket.getaddrinfo("pypi.org", 443)
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        with pytest.raises(no_network):
            sock.connect(("2001:4860:4860::8888", 53, 0, 0))


def test_network_guard_allows_loopback():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            peer, _ = server.accept()
            with peer:
                client.sendall(b"ok")
                assert peer.recv(2) == b"ok"
        with socket.create_connection(("localhost", port), timeout=5):
            server.accept()[0].close()


# --- declared dependencies ------------------------------------------------------------------------------------

ROOT = PACKAGE.parent
#: conda-forge's name where it differs from the PyPI distribution's
CONDA_NAMES = {"torch": "pytorch-cpu"}


def third_party_imports() -> set[str]:
    """The top-level names of every package hlkit imports directly (not the standard library, not hlkit)."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        names |= top_level(imports_of(path))
    return {n for n in names if n not in sys.stdlib_module_names and n not in ("hlkit", "__future__")}


def declared(text: str, pattern: str) -> set[str]:
    """Lower-case distribution names of the requirement lines matched by ``pattern`` (version pins dropped)."""
    return {re.split(r"[<>=!~\[ ]", m.strip().strip('"'), maxsplit=1)[0].lower() for m in re.findall(pattern, text)}


def test_every_package_hlkit_imports_is_declared_everywhere():
    from importlib.metadata import packages_distributions

    distributions = packages_distributions()
    imported = third_party_imports()
    assert {"torch", "numpy", "plotly", "ipywidgets", "anywidget", "traitlets", "threadpoolctl"} <= imported
    needed = {(distributions.get(name) or [name])[0].lower() for name in imported}
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    dependencies = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    missing = needed - declared(dependencies, r'(?m)^\s*("[^"]+")')
    assert not missing, f"pyproject.toml [project] dependencies lack {sorted(missing)}"
    for env in ("environment.yml", "binder/environment.yml"):
        listed = declared((ROOT / env).read_text(encoding="utf-8"), r"(?m)^\s{2}- ([A-Za-z][\w.-]*)")
        missing = {CONDA_NAMES.get(name, name) for name in needed} - listed
        assert not missing, f"{env} lacks {sorted(missing)}"


def test_the_dependency_check_sees_a_missing_package():
    # the test above is only as good as its parsing: an undeclared name must show up as missing
    assert declared('    "numpy>=1.24",\n    "torch>=2.2",   # x\n', r'(?m)^\s*("[^"]+")') == {"numpy", "torch"}
    assert declared("  - pytorch-cpu   # CPU\n  - plotly>=6\n  - pip:\n      - -e .\n",
                    r"(?m)^\s{2}- ([A-Za-z][\w.-]*)") == {"pytorch-cpu", "plotly", "pip"}
