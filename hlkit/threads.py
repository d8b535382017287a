"""numpy's BLAS on one thread while small models compute (train.one_thread_if_small holds it).

OpenBLAS 0.3.31 (numpy's, pthreads) ignores ``openblas_set_num_threads`` from any thread but the one that set it
first, while that thread lives (checked here: after the kernel's main thread set it, a worker's limit did nothing;
after a worker limited it, nobody could restore it until the worker ended, and the process kept 1 BLAS thread).
So one thread of ours makes every change. It limits the BLAS when a guard is entered and restores it once no guard
has been held for ``LINGER`` seconds: a Playground enters the guard once per epoch, and a hand-off to another
thread and back each time cost it more than its training on a busy machine.
"""

from __future__ import annotations

import functools
import threading

LINGER = 0.2   # seconds without a guard before the BLAS gets its threads back

_state = threading.Condition()
_held = {"depth": 0, "limited": False, "limiter": None, "setter": None}


def hold() -> None:
    """Enter: the BLAS runs on one thread until the matching ``release``."""
    with _state:
        _held["depth"] += 1
        if _held["limited"]:
            return
        if _held["setter"] is None:
            _held["setter"] = threading.Thread(target=_set_counts, name="hlkit-blas", daemon=True)
            _held["setter"].start()
        _state.notify_all()
        _state.wait_for(lambda: _held["limited"])


def release() -> None:
    """Leave: the last one out lets the setter restore the BLAS's count after ``LINGER`` idle seconds."""
    with _state:
        _held["depth"] -= 1
        _state.notify_all()


def wait_restored(timeout: float) -> bool:
    """Wait until no guard is held and the BLAS has its threads back; False if ``timeout`` seconds passed first."""
    with _state:
        return _state.wait_for(lambda: _held["depth"] == 0 and not _held["limited"], timeout)


def _set_counts() -> None:   # the one thread that ever changes the BLAS's thread count
    with _state:
        while True:
            _state.wait_for(lambda: (_held["depth"] > 0) != _held["limited"])
            if _held["depth"] > 0:
                _held["limiter"] = _controller().limit(limits=1, user_api="blas")
                _held["limited"] = True
            elif not _state.wait_for(lambda: _held["depth"] > 0, LINGER):
                _held["limiter"].restore_original_limits()
                _held["limited"] = False
            _state.notify_all()


@functools.cache
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def blas_counts() -> list[int]:
    """The thread count of each BLAS numpy loaded (what the guard changes), in threadpoolctl's order."""
    return [i["num_threads"] for i in _controller().info() if i["user_api"] == "blas"]
