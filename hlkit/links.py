"""Links to hand out: one Binder link and (with a JupyterHub) one nbgitpuller link per lesson.

Also the guard that keeps instructor copies from being linked: ``holds_solutions`` says whether a notebook
still holds answers (``hlkit links`` refuses those unless forced).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import nbformat

from .exercises import has_marker, is_solution_cell, source_of


def inside(path: Path, folder: Path) -> bool:
    """True when ``path`` is ``folder`` or lies below it."""
    return path == folder or folder in path.parents


def holds_solutions(nb) -> bool:
    """True if ``nb`` still holds answers: solution or hidden-test markers, or a solution cell that is not
    a stub (an instructor copy, not a student copy)."""
    from .grading import is_student_copy

    if any(has_marker(source_of(cell)) for cell in nb.cells):
        return True
    return any(is_solution_cell(cell) for cell in nb.cells) and not is_student_copy(nb)


@dataclass(frozen=True)
class LessonLink:
    notebook: str          # path inside the repository, e.g. "notebooks/01_what_a_hidden_layer_does.ipynb"
    title: str
    binder: str
    hub: str | None


def check_url(name: str, url: str) -> str:
    """``url`` without a trailing slash, or ValueError naming ``name`` unless it is an http(s) URL with a host."""
    if not isinstance(url, str):
        raise TypeError(f"{name} must be a URL (str); got {type(url).__name__} instead")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be a web address starting with http:// or https://, e.g. "
                         f"https://github.com/OWNER/REPO; got {url!r} instead")
    if parts.query or parts.fragment:
        raise ValueError(f"{name} must be a plain address without '?' or '#' parts; got {url!r} instead")
    return url.strip().rstrip("/")


def repo_from_git(url: str) -> str:
    """An https address for a git remote: ``git@github.com:owner/repo.git`` -> ``https://github.com/owner/repo``."""
    match = re.fullmatch(r"(?:ssh://)?git@([^:/]+)[:/](.+?)(?:\.git)?/?", url.strip())
    if match:
        return f"https://{match.group(1)}/{match.group(2)}"
    return re.sub(r"\.git/?$", "", url.strip())


def binder_url(repo: str, notebook: str, *, branch: str = "main", binder: str = "https://mybinder.org") -> str:
    """A Binder link that builds ``repo`` at ``branch`` (from its binder/ folder) and opens ``notebook``
    (a path inside the repository) in JupyterLab. GitHub and GitLab repositories get their short form,
    any other git host the generic ``/v2/git/`` one."""
    repo, binder = check_url("repo", repo), check_url("binder", binder)
    host, path = urlsplit(repo).netloc.lower(), urlsplit(repo).path.strip("/")
    path = re.sub(r"\.git$", "", path)
    ref = quote(branch, safe="")
    if host == "github.com" and path.count("/") == 1:
        spec = f"gh/{path}/{ref}"
    elif host == "gitlab.com":
        spec = f"gl/{quote(path, safe='')}/{ref}"
    else:
        spec = f"git/{quote(repo, safe='')}/{ref}"
    return f"{binder}/v2/{spec}?" + urlencode({"urlpath": f"lab/tree/{notebook}"}, quote_via=quote, safe="")


def nbgitpuller_url(hub: str, repo: str, notebook: str, *, branch: str = "main") -> str:
    """An nbgitpuller link: opening it on the JupyterHub ``hub`` clones (first time) or merges (later)
    ``repo`` into the user's home as a folder named like the repository, then opens ``notebook`` (a path
    inside the repository) in JupyterLab. The hub must have nbgitpuller installed."""
    hub, repo = check_url("hub", hub), check_url("repo", repo)
    hub = re.sub(r"/hub$", "", hub)
    folder = re.sub(r"\.git$", "", urlsplit(repo).path.rstrip("/").split("/")[-1])
    query = urlencode({"repo": repo, "urlpath": f"lab/tree/{folder}/{notebook}", "branch": branch},
                      quote_via=quote, safe="")
    return f"{hub}/hub/user-redirect/git-pull?{query}"


def notebook_title(nb) -> str:
    """The first markdown heading of ``nb`` (without the #s), or "" if it has none."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in source_of(cell).split("\n"):
                if line.lstrip().startswith("#"):
                    return line.lstrip("# ").strip()
    return ""


def lesson_links(notebooks: Iterable[str | os.PathLike], *, repo: str, branch: str = "main",
                 hub: str | None = None, binder: str = "https://mybinder.org",
                 root: str | os.PathLike = ".") -> list[LessonLink]:
    """One ``LessonLink`` per notebook: its Binder link and, with ``hub``, its nbgitpuller link.

    ``notebooks`` are files inside the repository checkout at ``root``; their paths relative to ``root``
    are the paths in the links. ``repo`` is the repository's https address; ``branch`` the one to open.
    """
    repo = check_url("repo", repo_from_git(repo) if isinstance(repo, str) else repo)
    if not isinstance(branch, str) or not re.fullmatch(r"[\w./-]+", branch) or ".." in branch:
        raise ValueError(f"branch must be a git branch name such as 'main'; got {branch!r} instead")
    if hub is not None:
        check_url("hub", hub)
    root = Path(root).resolve()
    links = []
    for given in notebooks:
        path = Path(given).resolve()
        if not inside(path, root):
            raise ValueError(f"notebooks must lie inside the repository checkout {str(root)!r}; "
                             f"got {str(given)!r} (run hlkit links from the repository root)")
        relative = path.relative_to(root).as_posix()
        title = notebook_title(nbformat.read(path, as_version=4)) if path.exists() else ""
        links.append(LessonLink(relative, title, binder_url(repo, relative, branch=branch, binder=binder),
                                nbgitpuller_url(hub, repo, relative, branch=branch) if hub else None))
    return links
