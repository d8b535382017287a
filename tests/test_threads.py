"""hlkit/threads.py: numpy's BLAS on one thread while a guard is held, its own count back after."""

import threading

import hlkit as hl
from hlkit import threads


def test_guards_in_quick_succession_limit_once_and_the_count_comes_back():
    assert threads.wait_restored(30)
    before = threads.blas_counts()
    small, limiters, inside = hl.mlp([4, 2]), set(), set()
    for _ in range(50):   # a Playground's epochs: one guard each, back to back
        with hl.train.one_thread_if_small(small):
            limiters.add(id(threads._held["limiter"]))
            inside.update(threads.blas_counts())
    assert len(limiters) == 1 and inside == {1}   # limited once, not restored between the epochs
    assert threads.wait_restored(30) and threads.blas_counts() == before


def test_a_guard_held_in_another_thread_keeps_the_blas_limited():
    assert threads.wait_restored(30)
    small, entered, leave = hl.mlp([4, 2]), threading.Event(), threading.Event()

    def hold():
        with hl.train.one_thread_if_small(small):
            entered.set()
            leave.wait(30)

    worker = threading.Thread(target=hold)
    worker.start()
    assert entered.wait(30)
    with hl.train.one_thread_if_small(small):
        pass
    assert not threads.wait_restored(2 * threads.LINGER) and threads.blas_counts() == [1] * len(threads.blas_counts())
    leave.set()
    worker.join(30)
    assert threads.wait_restored(30)
