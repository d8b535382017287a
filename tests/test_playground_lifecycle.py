"""The Playground's lifecycle, headless: exit while training, cancellation mid-epoch at the largest settings the
controls offer, a re-run cell, Ctrl-C, a closed Playground, thread counts after two Playgrounds, own data drawn
thinned, and the defaults' quality over seeds. Assertions are on state (minibatches, epochs, status), not on time."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from waiting import hlkit_threads, wait_for

import hlkit as hl
from hlkit.data import GENERATORS
from hlkit.playground import Playground, frames, settings
from hlkit.playground import playground as playground_module
from hlkit.playground import runner as runner_module

#: the largest settings the controls offer: 10 x 256 neurons, 2000 points, batch size 1 (an epoch of ~1000 steps)
LARGEST = dict(hidden=[256] * 10, n_points=2000, batch_size=1, epochs=100_000)



@pytest.mark.parametrize("hidden", [[256, 256], [4, 2]])
def test_the_interpreter_exits_cleanly_while_a_playground_trains(hidden):
    code = ("import threading, hlkit as hl\n"
            f"pg = hl.Playground(hidden={hidden}, epochs=100000)\n"
            "event = threading.Event()\n"
            "while pg._runner.minibatches < 20: event.wait(0.01)\n"
            "print('training', flush=True)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr[-3000:])   # not 134 (SIGABRT)
    assert done.stdout.strip() == "training"


def started(pg, minibatches: int = 20) -> None:
    wait_for(lambda: pg._runner.minibatches >= minibatches and pg.history is not None, 120)


def test_pause_control_change_and_close_act_within_a_minibatch_mid_epoch(tmp_path):
    pg = Playground(**LARGEST)
    try:
        started(pg)
        run = pg._runner.run
        pg.pause()
        at = pg._runner.minibatches   # read after pause() returned: a busy machine may not run us at once
        assert pg.wait(60)
        # it stopped inside the first epoch (about 1000 minibatches), at most a minibatch after being asked
        assert pg.history.epoch == [0] and pg._runner.minibatches - at <= 2
        assert "(paused)" in pg.view.status
        saved = threading.Thread(target=pg.save_model, args=(tmp_path / "paused.pt",), daemon=True)
        saved.start()                 # paused mid-epoch, the model can be saved (it used to wait for play)
        saved.join(60)
        assert not saved.is_alive() and hl.models.load(tmp_path / "paused.pt") is not None
        pg.play()
        wait_for(lambda: pg._runner.minibatches >= at + 10)
        pg.set(depth=9)                                  # a control change cancels the run mid-epoch
        wait_for(lambda: run.history.status == "stopped")
        assert run.history.epoch == [0] and "during epoch 1" in run.history.message
        started(pg, pg._runner.minibatches + 10)
        assert pg._runner.run is not run and pg.settings["hidden"] == [256] * 9
        at = pg._runner.minibatches
        pg.close()
        # read before close(): on a busy machine the worker may run a few minibatches before close() gets the lock
        assert not hlkit_threads() and pg._runner.minibatches - at < 50
    finally:
        pg.close()


def test_step_trains_one_epoch_of_a_big_network_too():
    # a network above train.SMALL_MODEL waits between minibatches when paused: the epoch step() asks for must not
    # wait there (it did: the step was taken off the count before the epoch began, and nothing trained)
    pg = Playground(hidden=[256, 256], epochs=50, batch_size=32)
    try:
        started(pg)
        pg.pause()
        assert pg.wait(60)
        at = pg.history.epoch[-1]
        for n in (1, 2, 3):   # paused mid-epoch: the step ends that epoch; then paused between epochs: one more each
            pg.step()
            wait_for(lambda n=n: pg.history.epoch[-1] >= at + n, 120)
            assert pg.wait(60) and pg.history.epoch[-1] == at + n and "(paused)" in pg.view.status
    finally:
        pg.close()


def test_a_rerun_cell_closes_the_playground_it_made_before(monkeypatch):
    monkeypatch.setattr(playground_module, "_cell_id", lambda: "cell-1")
    first = Playground(epochs=100_000)
    second = Playground(epochs=100_000)
    try:
        assert first.closed and not second.closed
        assert len(hlkit_threads()) == 1
        monkeypatch.setattr(playground_module, "_cell_id", lambda: "cell-2")   # another cell: both stay
        third = Playground(epochs=50)
        assert not second.closed and not third.closed
        third.close()
    finally:
        first.close()
        second.close()
    assert not hlkit_threads()


def interrupt_after(monkeypatch, epochs: int) -> None:
    """Ctrl-C arriving while training, after ``epochs`` epochs (KeyboardInterrupt, deterministically placed)."""
    advance = runner_module.Run.advance
    count = {"n": 0}

    def advance_then_interrupt(self):
        result = advance(self)
        count["n"] += 1
        if count["n"] == epochs:
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(runner_module.Run, "advance", advance_then_interrupt)


def test_ctrl_c_during_a_synchronous_set_leaves_everything_consistent(monkeypatch):
    pg = Playground(live=False, epochs=60)
    interrupt_after(monkeypatch, 25)
    with pytest.raises(KeyboardInterrupt):
        pg.set(epochs=5000)
    monkeypatch.undo()
    assert pg.settings["epochs"] == 5000 and pg.controls["epochs"].value == 5000
    assert pg.history.status == "stopped" and pg.history.epoch[-1] == 25 and "Ctrl-C" in pg.history.message
    assert "epoch 25 of 5000 (stopped)" in pg.view.status
    assert np.array_equal(pg.view.painted(), hl.viz.boundary_image(hl.probe.grid(pg.model, resolution=50).proba))
    pg.set(epochs=40)                                   # and it keeps working
    assert pg.history.status == "done" and "epoch 40 of 40 (done)" in pg.view.status
    pg.close()


def test_ctrl_c_during_retrain_with_the_worker_running(monkeypatch):
    pg = Playground(epochs=300)
    try:
        assert pg.wait(60)
        interrupt_after(monkeypatch, 30)
        with pytest.raises(KeyboardInterrupt):
            pg.retrain()
        monkeypatch.undo()
        assert pg.history.status == "stopped" and "(stopped)" in pg.view.status
        pg.play()                                       # the play button starts a new run
        assert pg.wait(60) and pg.history.status == "done" and pg.errors == []
        assert "epoch 300 of 300 (done)" in pg.view.status
    finally:
        pg.close()


def test_a_closed_playground_says_so():
    pg = Playground(live=False, epochs=10)
    pg.close()
    for use in (lambda: pg.history, pg.play, pg.step, pg.retrain, lambda: pg.set(lr=0.1)):
        with pytest.raises(RuntimeError, match="closed"):
            use()
    live = Playground(epochs=100_000)
    live.close()
    assert live.closed and not hlkit_threads()
    with pytest.raises(RuntimeError, match="closed"):
        live.pause()


#: in a fresh process with 2 threads: thread A enters the one-thread guard, B enters, A leaves (B still inside:
#: still 1 thread), B leaves (the 2 threads are back), 40 times after the main thread used the guard; then two
#: live Playgrounds train at once and close
OVERLAP = """
import threading, torch, hlkit as hl
from hlkit import threads as blas
def counts():   # torch's threads in this thread; the BLAS's, once the guard has given them back (it lingers)
    return torch.get_num_threads(), sorted(blas.blas_counts())
def restored():
    assert blas.wait_restored(30)
    return counts()
print(counts())
small = hl.mlp([4, 2])
def overlap():   # a enters, b enters, a leaves, b leaves: b's exit must restore what was there before a's entry
    a_in, b_in, a_out, inside = threading.Event(), threading.Event(), threading.Event(), []
    def a():
        with hl.train.one_thread_if_small(small):
            a_in.set(); b_in.wait(30)
        a_out.set()
    def b():
        a_in.wait(30)
        with hl.train.one_thread_if_small(small):
            b_in.set(); a_out.wait(30)
            inside.append(counts())
    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads: t.start()
    for t in threads: t.join(60)
    return inside[0], restored()
with hl.train.one_thread_if_small(small):   # the kernel's own thread first: OpenBLAS then ignored other threads
    pass
seen = [overlap() for _ in range(40)]   # a restore from the wrong thread failed 1 run in 4
print(sorted({str(i) for i, _ in seen}))
print(sorted({str(o) for _, o in seen}))
one, two = hl.Playground(epochs=1500), hl.Playground("xor", epochs=1500)
assert one.wait(120) and two.wait(120)
one.close(); two.close()
for t in threading.enumerate():
    if t.name.startswith("hlkit-playground"): t.join()
print(restored())
"""


def test_thread_counts_are_restored_after_two_playgrounds_train_at_once():
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")
    done = subprocess.run([sys.executable, "-c", OVERLAP], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    start, inside, after_threads, after_playgrounds = done.stdout.split("\n")[:4]
    assert start == "(2, [2])" and inside == "['(1, [1])']"
    assert after_threads == "['(2, [2])']" and after_playgrounds == start


def test_own_data_is_drawn_thinned_like_the_toy_sets():
    rng = np.random.default_rng(0)
    X = rng.uniform(-5, 5, (50_000, 2))
    pg = Playground(data=hl.from_arrays(X, (X[:, 0] > 0).astype(int)), epochs=2, live=False)
    drawn = np.frombuffer(pg.view.labels, np.uint8)
    assert len(drawn) == 2 * frames.MAX_POINTS_DRAWN and len(pg.data.y) == 50_000    # trains on all of it
    points = sum(len(t.x) for t in pg.figure("boundary").data[1:])
    assert points == 2 * frames.MAX_POINTS_DRAWN
    pg.close()


@pytest.mark.parametrize("dataset", sorted(GENERATORS))
def test_each_datasets_defaults_reach_the_promised_quality_on_9_of_10_seeds(dataset):
    # measured on seeds 0-9 (settings.DATASET_DEFAULTS): 10 of 10 for every dataset, lowest circle 0.956,
    # xor 0.984, spiral 0.964, the others 1.000; the help text promises QUALITY on 9 or more of 10
    accuracies = []
    for seed in range(10):
        pg = Playground(dataset, live=False, seed=seed)
        assert pg.settings == {**settings.defaults_for(dataset), "seed": seed}
        accuracies.append(pg.history.test_acc[-1])
        pg.close()
    assert sum(acc >= settings.QUALITY for acc in accuracies) >= 9, accuracies
    assert f"{settings.QUALITY * 100:g} % on 9 or more of 10 seeds" in settings.HELP["dataset_defaults"]
