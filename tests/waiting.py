"""Waiting on conditions in tests of live Playgrounds (never on sleeps), and their worker threads."""

from __future__ import annotations

import threading


def hlkit_threads() -> list[str]:
    """The names of the live Playground (and hl.compare) worker threads."""
    return [t.name for t in threading.enumerate() if t.name.startswith("hlkit-playground") and t.is_alive()]


def wait_for(predicate, timeout: float = 60.0) -> None:
    """Return once predicate() is true (checked every 10 ms); AssertionError after ``timeout`` seconds."""
    event = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        event.wait(0.01)
    raise AssertionError("condition not reached")
