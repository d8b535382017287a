"""What ``hl.Playground`` and ``hl.compare`` share: the buttons and state of their runner (``self._runner``) and
the widget of their controls (``self._controls``). Each subclass makes those two and says what it is called."""

from __future__ import annotations

from . import runner


class Front:
    """The public face of a runner and its controls: play, pause, step, reset, wait, close; live, closed, errors;
    the controls' buttons, problem line and widget."""

    _runner: runner.Runner
    _controls: object
    #: what it is called, and how a closed one is made again (for the error message)
    _what, _remake = "Playground", "hl.Playground(...)"

    @property
    def live(self) -> bool:
        return self._runner.live

    @property
    def closed(self) -> bool:
        return self._runner.closed

    @property
    def errors(self) -> list[str]:
        """Unexpected errors in the worker thread (each is also shown as a problem)."""
        return self._runner.errors

    @property
    def buttons(self) -> dict:
        return self._controls.buttons

    @property
    def problem(self):
        return self._controls.problem

    @property
    def widget(self):
        return self._controls.widget

    def play(self):
        self._runner.play()

    def pause(self):
        self._runner.pause()

    def step(self):
        self._runner.step()

    def reset(self):
        self._runner.reset()

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until the worker has nothing left to do (the latest run ended or is paused); True if so."""
        return self._runner.wait(timeout)

    def close(self) -> None:
        """Stop training (within a minibatch) and close the widgets. Using it afterwards raises."""
        self._runner.close()
        self._controls.close()

    def _check_open(self) -> None:
        if self._runner.closed:
            raise RuntimeError(f"this {self._what} is closed: make a new one ({self._remake}) to train again")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
