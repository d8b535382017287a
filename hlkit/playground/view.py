"""The Playground's live view: the only code that knows the browser. An anywidget whose front end (view.js, a
plain ES module shipped in this package, no build step; interact.js adds hovering, editing and the text for
screen readers) paints the pictures on canvases from binary buffers.

Every picture lives in a synced trait (bytes of uint8 / float32 arrays), so the kernel never waits for the page:
``show(frame)`` sets the traits of one frame in one message and returns; the page repaints at most once per
animation frame with the newest state it has (latest wins), and a view that connects late or missed messages
starts from the traits, that is from the final state. Only what changed is sent: the points only with new
data, the loss curve decimated to at most ``frames.LOSS_POINTS`` epochs.
"""

from __future__ import annotations

import html
import threading
from pathlib import Path

import anywidget
import numpy as np
import traitlets

from .. import viz
from . import frames


def _bytes(array, dtype) -> bytes:
    return np.ascontiguousarray(array, dtype=dtype).tobytes()


def _signed(values: np.ndarray, span: float) -> np.ndarray:
    """Values in [-span, span] as uint8 0..255 (127.5 = zero), what the page colours orange-white-blue."""
    return np.clip(np.round((np.asarray(values) / max(span, 1e-9) + 1) * 127.5), 0, 255)


class LiveView(anywidget.AnyWidget):
    """Boundary with points, loss curve and network (neuron maps inside the nodes), painted by the page."""

    # one ES module: the painting (view.js) and what a person can do with the pictures (interact.js)
    _esm = "\n".join(Path(__file__).with_name(name).read_text(encoding="utf-8") for name in ("view.js", "interact.js"))
    frame = traitlets.Int(0).tag(sync=True)               # frames shown so far (the page labels its paint)
    status = traitlets.Unicode("").tag(sync=True)         # "epoch N of E (state) · loss ... · P parameters"
    boundary = traitlets.Bytes(b"").tag(sync=True)        # uint8 RGB (res, res, 3), row 0 = lowest x2
    resolution = traitlets.Int(0).tag(sync=True)
    extent = traitlets.Float(6.0).tag(sync=True)          # the plane is [-extent, extent]²
    points = traitlets.Bytes(b"").tag(sync=True)          # float32 (n, 2): train points, then test points
    labels = traitlets.Bytes(b"").tag(sync=True)          # uint8 (n,): class, + 128 for a test point
    show_test = traitlets.Bool(True).tag(sync=True)
    discretize = traitlets.Bool(False).tag(sync=True)     # the boundary shows classes only (the legend says so)
    loss = traitlets.Bytes(b"").tag(sync=True)            # float32 (m, 5): epoch, loss train/test, accuracy train/test
    epochs = traitlets.Int(0).tag(sync=True)
    layers = traitlets.Dict({}).tag(sync=True)            # sizes shown, true sizes, input names
    weights = traitlets.Bytes(b"").tag(sync=True)         # float32: each shown W (n_out, n_in) in turn
    maps = traitlets.Bytes(b"").tag(sync=True)            # uint8 (n_maps, r, r): every shown node, signed scale
    map_resolution = traitlets.Int(0).tag(sync=True)
    colors = traitlets.List(list(viz.CLASS_COLORS)).tag(sync=True)
    biases = traitlets.Bytes(b"").tag(sync=True)          # float32: each shown layer's biases in turn (not inputs)
    panels = traitlets.List(["boundary", "loss", "network"]).tag(sync=True)   # the canvases shown (hl.compare: fewer)
    loss_b = traitlets.Bytes(b"").tag(sync=True)          # hl.compare: run B's loss rows, drawn dashed on the same plot
    names = traitlets.List([]).tag(sync=True)             # hl.compare: the two runs' labels in the loss legend

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lock = threading.Lock()   # a frame from the worker and one from the caller's thread (retrain)
        self._data = None
        self.on_edit = None             # on_edit(layer, neuron, source, value): the Playground applies an edit
        self.on_watch = None            # on_watch(watched): whether any page shows the pictures changed
        self._seen: dict[str, bool] = {}   # each view (page) that said whether it is on screen: is it?
        self.on_msg(self._on_message)

    @property
    def watched(self) -> bool:
        """Does a page show the pictures? True until a view says otherwise (a kernel without pages, a page that
        cannot tell): False only when every view that reported is off screen (scrolled away, hidden tab)."""
        return not self._seen or any(self._seen.values())

    def show(self, frame: frames.Frame, status: str) -> None:
        """Set the traits of ``frame`` in one message (only those that changed are sent)."""
        with self._lock, self.hold_sync():
            if frame.data is not self._data:
                shown = frames.thinned(frame.data)
                X = np.concatenate([shown.X_train, shown.X_test]).astype(np.float32)
                labels = np.concatenate([shown.y_train, np.asarray(shown.y_test) + 128]).astype(np.uint8)
                self.points, self.labels = _bytes(X, np.float32), _bytes(labels, np.uint8)
                self._data = frame.data
            self.show_test = frame.settings["show_test"]
            self.discretize = frame.settings["discretize"]
            self.loss, self.epochs = _bytes(frames.loss_rows(frame.history), np.float32), frame.epochs
            if frame.grid is not None:
                self.boundary = _bytes(viz.boundary_image(frame.grid.proba, discretize=frame.settings["discretize"]),
                                       np.uint8)
                self.resolution, self.extent = len(frame.grid.xs), float(frame.grid.xs[-1])
                self._show_network(frame)
            self.status = status
            self.frame += 1

    def show_losses(self, a: frames.Frame, b: frames.Frame, status: str) -> None:
        """The loss curves of two runs on the one loss plot (``hl.compare``): ``a`` solid, ``b`` dashed."""
        with self._lock, self.hold_sync():
            self.loss = _bytes(frames.loss_rows(a.history), np.float32)
            self.loss_b = _bytes(frames.loss_rows(b.history), np.float32)
            self.epochs = max(a.epochs, b.epochs)
            self.status = status
            self.frame += 1

    def _show_network(self, frame: frames.Frame) -> None:
        cap = frames.MAX_PER_LAYER
        shown_w = [W[:cap, :cap] for W, _ in frame.weights]
        maps = frame.maps
        columns = [np.asarray(maps.inputs)[:cap]]
        columns += [np.asarray(m)[:cap] for m in maps.maps]
        images = [_signed(c, float(np.abs(c).max())) for c in columns]
        images.append(_signed(2 * np.asarray(maps.output)[None] - 1, 1.0))
        self.maps = _bytes(np.concatenate(images), np.uint8)
        self.map_resolution = len(maps.xs)
        self.weights = _bytes(np.concatenate([W.ravel() for W in shown_w]), np.float32)
        self.biases = _bytes(np.concatenate([b[:cap] for _, b in frame.weights]), np.float32)
        self.layers = {"shown": [shown_w[0].shape[1]] + [W.shape[0] for W in shown_w],
                       "sizes": [frame.weights[0][0].shape[1]] + [W.shape[0] for W, _ in frame.weights],
                       "names": list(frame.names)}

    def _on_message(self, _widget, content, _buffers) -> None:
        """The page asks to set a weight or bias: {"type": "edit", "id", "layer", "neuron", "source" (None for
        the bias), "value" (the text typed)}. Answers {"type": "edited", "id", "ok", "message"}: what was set, or
        why it was refused (the page shows it beside the field)."""
        if isinstance(content, dict) and content.get("type") == "visible":
            self._on_visible(content)
            return
        if not isinstance(content, dict) or content.get("type") != "edit":
            return
        ok, message = False, ""
        try:
            value = parse_number(content.get("value"))
            layer, neuron, source = content.get("layer"), content.get("neuron"), content.get("source")
            if self.on_edit is None:
                raise RuntimeError("this view is not connected to a Playground: nothing to edit")
            self.on_edit(layer, neuron, source, value)
            ok, message = True, f"set to {value:g}"
        except (TypeError, ValueError, RuntimeError) as err:
            message = str(err)
        self.send({"type": "edited", "id": content.get("id"), "ok": ok, "message": message})

    def _on_visible(self, content: dict) -> None:
        """{"type": "visible", "view": id, "visible": bool, "closed": bool}: a view is on screen or not (closed:
        gone for good)."""
        view = content.get("view")
        if not isinstance(view, str) or not isinstance(content.get("visible"), bool):
            return
        before = self.watched
        if content.get("closed"):
            self._seen.pop(view, None)
        else:
            self._seen[view] = content["visible"]
        if self.watched != before and self.on_watch is not None:
            self.on_watch(self.watched)

    def painted(self) -> np.ndarray:
        """The boundary image this view was last given, (res, res, 3) uint8, for comparing with the page."""
        return np.frombuffer(self.boundary, np.uint8).reshape(self.resolution, self.resolution, 3)


def parse_number(text) -> float:
    """A number typed in the page ("0.5", "-1e-2", " 3 ") as a float; a float or int passes as it is. Anything
    else is a ValueError saying what was typed (the range is checked by ``Playground.edit``)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    if isinstance(text, str):
        try:
            return float(text.strip().replace("\u2212", "-"))   # a typographic minus sign, as some keyboards type
        except ValueError:
            pass
    raise ValueError(f"value must be a number such as 0.5 or -1.2; got {text!r}")


def status_text(frame: frames.Frame, *, edited: dict | None = None) -> str:
    """One line: epoch, state, losses, accuracies, speed, parameters (HTML-escaped plain text). edited: the loss
    and accuracy of the network as edited by hand at this epoch (Playground.edit), shown instead of the epoch's."""
    h = frame.history
    per_epoch = f"{1000 * frame.train_seconds / frame.epoch:.2g} ms per epoch" if frame.epoch else "untrained"
    n = h.last() if edited is None else edited
    return html.escape(f"epoch {frame.epoch} of {frame.epochs} ({frame.state}) · {'edited: ' if edited else ''}"
                       f"loss train {n['train_loss']:.3f} / test {n['test_loss']:.3f} · accuracy train "
                       f"{n['train_acc']:.1%} / test {n['test_acc']:.1%} · {per_epoch} · {frame.n_params:,} parameters")
