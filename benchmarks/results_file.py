"""One section of benchmarks/RESULTS.md, replaced between its two marker lines: `make bench` (run.py) and
`make class` (class_load.py) each rewrite their own section and leave the rest of the file as it is."""

from __future__ import annotations

from pathlib import Path


def replace_section(path: Path, begin: str, end: str, lines: list[str]) -> None:
    """Put ``lines`` (starting with ``begin``, ending with ``end``) where that section stands in ``path``;
    appended when the markers are not there yet."""
    text = path.read_text() if path.exists() else ""
    section = "\n".join(lines)
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section + "\n"
    path.write_text(text)
