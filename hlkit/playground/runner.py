"""The Playground's training runs: one daemon worker thread, a run counter, cancellation between minibatches.

A request (new settings, play, pause, step, reset) only changes the state below and wakes the worker; the
worker trains the latest request with ``hlkit.train.training`` and hands a frame to ``on_frame`` at most
every ``frame_seconds`` (never waiting for anyone: whoever draws keeps only the newest). A newer request
cancels the run in flight at its next minibatch (``training``'s ``interrupt``), so pause, close and any
control change take effect within one minibatch, also mid-epoch. Without a worker (``live=False``,
``retrain()``) the same steps run in the caller's thread, to the end.

Every runner is closed at interpreter exit (atexit): a thread left inside torch while Python finalizes
aborts the process (SIGABRT, exit code 134).
"""

from __future__ import annotations

import atexit
import itertools
import threading
import time
import weakref
from collections.abc import Callable

import torch

from .. import models, train
from ..data import Dataset

# live: a frame at most every FRAME_SECONDS, start to start (a frame costs the kernel ~2-10 ms: counted from its end,
# 1/30 gave ~25 frames/s), and frames take at most half of the worker's time (on a loaded machine a frame can cost
# 20-30 ms: back to back they would leave no time to train). The page paints on its animation frames (60/s).
# Each painted frame costs headless Chromium ~15 ms of CPU (software compositing; most of it the page's own frame and
# the message, not our canvases): 36/s holds the browser at ~54 % of a core. 32/s was tried: repaints fell to 26-31/s
# on a busy machine, below the 30/s the live view is meant to keep, for a few % of CPU.
FRAME_SECONDS = 1 / 36
#: while no page shows the pictures (every view that reported is scrolled away or in a hidden tab), a frame at most
#: every UNWATCHED_FRAME_SECONDS: training goes on at full speed, the last frame is always drawn, and a view that
#: comes back asks for a redraw (``Runner.watch``)
UNWATCHED_FRAME_SECONDS = 0.5
_numbers = itertools.count(1)
_alive: weakref.WeakSet = weakref.WeakSet()   # runners with a worker thread, closed at exit


class Run:
    """One run: data, model and the training generator, advanced one epoch at a time."""

    def __init__(self, version: int, settings: dict, data: Dataset, interrupt: Callable[[], bool]):
        self.version, self.settings, self.data = version, settings, data
        self.model = models.mlp(settings["hidden"], activation=settings["activation"], n_classes=data.n_classes,
                                features=settings["features"], seed=settings["seed"])
        self.small = models.n_params(self.model) < train.SMALL_MODEL   # trains inside the one-thread guard
        self.steps = train.training(self.model, data, epochs=settings["epochs"], lr=settings["lr"],
                                    optimizer=settings["optimizer"], batch_size=settings["batch_size"],
                                    regularization=settings["regularization"], reg_rate=settings["reg_rate"],
                                    seed=settings["seed"], yield_start=True, interrupt=interrupt)
        self.history = next(self.steps)   # epoch 0, evaluated once, by the training loop itself
        self.finished = False
        self.train_seconds = 0.0           # time spent training (not drawing, not paused)
        self.lock = threading.RLock()      # held while the model changes (readers: frames, save_model)
        self.edited: dict | None = None    # loss and accuracy of the model edited at epoch ["epoch"] (Runner.edit)

    def advance(self) -> bool:
        """Train one epoch; False once the run has ended (or was cancelled)."""
        if self.finished:
            return False
        start = time.perf_counter()
        with self.lock:
            try:
                self.history = next(self.steps)
            except StopIteration:
                self.finished = True
                return False
        self.train_seconds += time.perf_counter() - start
        if self.history.status != "running":
            self.finished = True
        return self.history.status != "stopped"

    @property
    def epoch(self) -> int:
        return self.history.epoch[-1]


class Runner:
    """Runs of the latest settings, in a worker thread (``live``) or in the caller's thread.

    make_data(settings) -> Dataset; on_frame(run, state, settings) draws (state: "training", "paused", "done",
    ...; settings: the latest, for the display options);
    on_problem(text) shows a message ("" clears it); make_run(version, settings, data, interrupt) builds a run
    (``Run``, or anything with its attributes and ``advance``: hl.compare's pair of runs).
    """

    def __init__(self, settings, *, make_data: Callable, on_frame: Callable, on_problem: Callable,
                 live: bool, frame_seconds: float = FRAME_SECONDS, make_run: Callable = Run):
        self._make_data, self._on_frame, self._on_problem = make_data, on_frame, on_problem
        self._make_run = make_run
        self.frame_seconds = frame_seconds
        self._cond = threading.Condition()
        self.settings = settings
        self.version = 1                # the run counter: a newer request cancels the run in flight
        self.playing = not live
        self.watched = True             # does a page show the pictures? (frames slow down when not: watch())
        self.steps = 0                  # single epochs asked for by step()
        self._stepping = False          # the epoch being trained was one of them (a pause ends it)
        self.closed = False
        self._redraw = False
        self._served = 0                # the latest version the worker took up
        self._sync_version = 0          # the version retrain() trains in the caller's thread
        self._busy = False
        self.run: Run | None = None
        self.runs_started = self.runs_completed = 0
        self.minibatches = 0            # minibatches trained by the worker (each one asks whether to go on)
        self.errors: list[str] = []     # unexpected errors in the worker (also shown as a problem)
        self.frame_log: list[tuple[float, int]] = []   # (time.perf_counter(), epoch) of recent frames
        self._thread = None
        if not live:
            train.warm_up()   # the first optimizer step in a process costs 1-2 s: keep it out of the run's timing
            self._serve(sync=True)
            return
        self.playing = True             # epoch 0 is drawn as the start of the run it is ("training")
        self._serve(sync=True, draw_only=True)   # builds the run and draws epoch 0 before the view is shown
        self._thread = threading.Thread(target=self._work, name=f"hlkit-playground-{next(_numbers)}", daemon=True)
        _alive.add(self)
        self._thread.start()

    # -- requests (any thread) ----------------------------------------------------------------------------

    @property
    def live(self) -> bool:
        return self._thread is not None

    def request(self, settings: dict, *, retrain: bool) -> None:
        """New settings: a new run (retrain) or only a new picture of the current one."""
        self._change(settings=settings, new_run=retrain, playing=True if retrain else None, redraw=not retrain)

    def play(self) -> None:
        run = self.run
        self._change(new_run=run is None or run.finished, playing=True)

    def pause(self) -> None:
        self._change(playing=False, steps=0, redraw=True)

    def step(self) -> None:
        with self._cond:
            steps = self.steps + 1
        self._change(playing=False, steps=steps)

    def reset(self) -> None:
        self._change(new_run=True, playing=False, steps=0)

    def _change(self, *, settings=None, new_run=False, playing=None, steps=None, redraw=False) -> None:
        self._check_open()
        with self._cond:
            if settings is not None:
                self.settings = settings
            if new_run:
                self.version += 1
            if playing is not None:
                self.playing = playing
            if steps is not None:
                self.steps = steps
                self._stepping = self._stepping and steps > 0
            self._redraw = self._redraw or redraw
            self._cond.notify_all()
        if self._thread is None:
            self._serve(sync=True)

    def watch(self, watched: bool) -> None:
        """Whether a page shows the pictures now: when none does, frames come at most every
        UNWATCHED_FRAME_SECONDS; when one shows them again, the newest state is drawn at once."""
        with self._cond:
            was, self.watched = self.watched, bool(watched)
        if self.watched and not was and not self.closed:
            self._change(redraw=True)

    def edit(self, layer: int, neuron: int, source: int | None, value: float) -> None:
        """Set one parameter of the current model: the weight from neuron ``source`` of the layer before into
        ``neuron`` of ``layer`` (an index into ``probe.weights``), or that neuron's bias (``source`` None); the
        caller has checked the indices and the value. Written under the run's lock, that is between two epochs
        (or two minibatches of a big paused network): the run trains on from the new value, and the view redraws
        it (also when paused or finished)."""
        self._check_open()
        run = self.run
        if run is None:
            raise ValueError("there is no model to edit: the settings could not build one (see the widget's message)")
        with run.lock, torch.no_grad(), train.one_thread_if_small(run.model):
            target = [*run.model.hidden, run.model.out][layer]
            where = (neuron,) if source is None else (neuron, source)
            tensor = target.bias if source is None else target.weight
            old = float(tensor[where])
            tensor[where] = value                  # in place: the optimizer (and fast_step's views) see it
            # the history holds the epoch's numbers before the edit: the edited network's own, for the status line
            (train_loss, train_acc), (test_loss, test_acc) = (
                train.evaluate(run.model, run.data.X_train, run.data.y_train),
                train.evaluate(run.model, run.data.X_test, run.data.y_test))
            limit = train.divergence_limit(run.history.train_loss[0])
            if not train_loss <= limit:            # training would stop at once, blaming the learning rate
                tensor[where] = old
                raise ValueError(f"value {value:g} would raise the training loss to {train_loss:.3g}, above "
                                 f"{limit:.3g}, where training stops as diverged; try a value nearer {old:.3g}")
            run.edited = {"epoch": run.epoch, "train_loss": train_loss, "test_loss": test_loss,
                          "train_acc": train_acc, "test_acc": test_acc}
        self._change(redraw=True)

    def retrain(self) -> train.History:
        """Train the current settings from scratch to the end in this thread (the worker's run is cancelled)."""
        self._check_open()
        with self._cond:
            self.version += 1
            self.playing, self.steps = True, 0
            self._served = self._sync_version = self.version    # the worker leaves this version alone
        self._serve(sync=True)
        return self.run.history

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until the worker has nothing left to do (the latest run ended or is paused); True if so."""
        end = time.perf_counter() + timeout
        with self._cond:
            while self._thread is not None and not self.closed and (self._pending() or self._busy):
                left = end - time.perf_counter()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def close(self, timeout: float = 30.0) -> bool:
        """Stop the worker (within a minibatch) and join it; True if it ended."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _check_open(self) -> None:
        if self.closed:
            raise RuntimeError("this Playground is closed: make a new one (hl.Playground(...)) to train again")

    # -- the worker ---------------------------------------------------------------------------------------

    def _pending(self) -> bool:
        """Is there work for the worker? (with self._cond held)"""
        run = self.run
        if self.version == self._sync_version:
            return False
        if self.version != self._served or self._redraw:
            return True
        return run is not None and not run.finished and run.version == self.version and (self.playing or self.steps > 0)

    def _work(self) -> None:
        train.warm_up()
        while True:
            with self._cond:
                while not (self.closed or self._pending()):
                    self._cond.wait()
                if self.closed:
                    return
                self._busy = True
            try:
                self._serve(sync=False)
            except Exception as err:   # keep the Playground alive; say what happened
                self.errors.append(repr(err))
                self._on_problem(f"Something went wrong: {err!r}. Change a setting to try again.")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _cancelled(self, version: int) -> bool:
        return self.closed or self.version != version

    def _interrupt(self, version: int) -> Callable[[], bool]:
        """``training``'s interrupt for run ``version``: True (stop) once a newer request came. Paused mid-epoch,
        a big network waits here (it holds no thread guard); a small one finishes its epoch (a few ms)."""
        def interrupted() -> bool:
            self.minibatches += 1
            if self.version == version and not self.closed and (self.playing or self._stepping):
                return False          # the common case, without taking the lock
            run = self.run
            if self._cancelled(version) or run is None or run.version != version or run.small \
                    or threading.current_thread() is not self._thread:
                return self._cancelled(version)
            drawn = False             # show "paused" now, then wait for play, step or a newer request
            # between two minibatches the model is whole: readers (save_model, figures) may take the run's lock
            # while we wait (Run.advance holds it once, around the training step this call belongs to)
            run.lock.release()
            try:
                with self._cond:      # (an RLock: _frame may take it again)
                    while not self._cancelled(version) and not (self.playing or self.steps > 0 or self._stepping):
                        if not drawn or self._redraw:
                            self._redraw, drawn = False, True
                            self._frame(run)
                            continue
                        self._busy = False
                        self._cond.notify_all()
                        self._cond.wait()
                    if not (self.playing or self._stepping) and self.steps > 0:   # paused mid-epoch: the step
                        self.steps -= 1                                          # asked for is this epoch's end
                        self._stepping = True
                    self._busy = True
            finally:
                run.lock.acquire()
            return self._cancelled(version)
        return interrupted

    def _serve(self, *, sync: bool, draw_only: bool = False) -> None:
        """Take up the latest request: a new run if asked for, a redraw, and training while playing (a frame at
        most every ``frame_seconds`` live, once at the end in sync mode). Returns early when cancelled.
        draw_only: only build the run and draw it (a live Playground's first frame, before its worker starts)."""
        with self._cond:
            version, settings = self.version, self.settings
            if not sync and version == self._sync_version:
                return
            self._served = version if not sync else self._served
            redraw, self._redraw = self._redraw, False
            run = self.run
        if run is None or run.version != version:
            run = self._start(version, settings)
            if run is None:
                return
            redraw = True
        due = 0.0
        if redraw and not sync:
            due = self._paced_frame(run)
        if draw_only:
            self._frame(run)
            return
        try:
            with train.one_thread_if_small(run.model):   # once per run, not per epoch: entering costs ~0.1-2 ms
                self._train(run, version, sync, due)
        except KeyboardInterrupt:    # Ctrl-C in retrain() or a synchronous set(): end the run there, consistently
            run.finished = True
            run.history.status, run.history.message = "stopped", f"Interrupted at epoch {run.epoch} (Ctrl-C)."
            with self._cond:
                self.playing, self.steps = False, 0
            self._frame(run)
            raise

    def _train(self, run: Run, version: int, sync: bool, due: float) -> None:
        trained = False
        while True:
            with self._cond:
                if self._cancelled(version):
                    return
                self._stepping = self.steps > 0 and not self.playing
                if self.steps > 0:
                    self.steps -= 1
                elif not self.playing:
                    break
            advanced = run.advance()
            self._stepping = False
            if not advanced:
                if run.finished and run.history.status != "stopped":
                    with self._cond:
                        self.runs_completed += 1
                trained = True
                break
            trained = True
            if run.finished:
                with self._cond:
                    self.runs_completed += 1
                break
            if not sync and time.perf_counter() >= due:
                due = self._paced_frame(run)
                trained = False
        if self._cancelled(version):
            return
        if trained or sync or due == 0.0:
            self._frame(run)

    def _paced_frame(self, run: Run) -> float:
        """Draw a frame; return when the next one is due (frame_seconds after this one started, and no sooner
        than this one took again: at least half of the time trains)."""
        start = time.perf_counter()
        self._frame(run)
        every = self.frame_seconds if self.watched else max(self.frame_seconds, UNWATCHED_FRAME_SECONDS)
        return start + max(every, 2 * (time.perf_counter() - start))

    def _start(self, version: int, settings: dict) -> Run | None:
        try:
            run = self._make_run(version, settings, self._make_data(settings), self._interrupt(version))
        except (TypeError, ValueError) as err:
            self._on_problem(f"These settings cannot train: {err}")
            return None
        with self._cond:
            if self._cancelled(version):
                return None
            self.run = run
            self.runs_started += 1
        self._on_problem("")
        return run

    def _frame(self, run: Run) -> None:
        with self._cond:
            if run is not self.run:
                return
            playing = self.playing or self.steps > 0
        status = run.history.status
        state = {"done": "done", "diverged": "diverged", "early_stopped": "stopped early", "stopped": "stopped"}.get(
            status, "training" if playing and not run.finished else "paused")
        self._on_frame(run, state, self.settings)
        self.frame_log.append((time.perf_counter(), run.epoch))
        del self.frame_log[:-500]


@atexit.register
def _close_all() -> None:
    """At interpreter (kernel) exit: cancel every run and join every worker before Python finalizes."""
    for runner in list(_alive):
        runner.close(timeout=5.0)
