"""The Playground's controls: the only ipywidgets code. Sliders, dropdowns, feature toggles, buttons, the
upload box and the messages, laid out around the live view like TF Playground (training on top; data, features
and network settings, then the network and the output from left to right; help below). Every user change goes to
a callback; ``show`` makes the controls show given settings without calling back.

Accessibility: ipywidgets 8 gives its sliders' handles (noUiSlider's ``role="slider"`` divs) no accessible name
and its toggle buttons no ``aria-pressed``; the small front end in ``controls.js`` (an anywidget, no build step)
names each handle after its visible label, exposes the toggles' state and each disabled control's reason. The
focus ring and the compact sizes are CSS scoped to the Playground's class ``hl-playground``."""

from __future__ import annotations

import functools
import html
import threading
from collections.abc import Callable
from pathlib import Path

import anywidget
import ipywidgets as W

from .. import models, train
from ..data import GENERATORS
from .settings import BATCH_SIZES, HELP, LEARNING_RATES, OWN, PLOT_HELP, REG_RATES, caption, parse_layers

INTRO = ("<b>Playground</b>: a real PyTorch network learns to separate the coloured points. Change any "
         "control and it trains again from scratch; the plots follow it live.")
#: the widget's text/plain (what a saved notebook shows before it runs; ipywidgets cuts it at 110 characters)
SUMMARY = "Playground: a PyTorch network learning live (data, network, boundary, loss). Run the cell to use it."

#: scoped to the Playground: compact controls, a focus ring of at least 3:1 contrast on any background (dark
#: ring, white halo), and the "starting..." note of a lecture page hidden once the Playground is there
STYLE = """<style>
.hl-playground { --jp-widgets-inline-height: 26px; --jp-widgets-inline-margin: 2px; }
.hl-playground :focus-visible, .hl-playground .noUi-handle:focus, .hl-playground select:focus,
.hl-playground input:focus, .hl-playground button:focus-visible {
  outline: 3px solid #1a1a1a !important; outline-offset: 1px !important; box-shadow: 0 0 0 5px #ffffff !important; }
.hl-playground .hl-why { font-size: 11px; color: #444; margin: -2px 0 2px 8px; line-height: 1.3; max-width: 240px; }
.hl-playground .hl-head { font-weight: bold; margin: 2px 0 0 0; }
.hl-playground .hl-column { margin-right: 10px; }
.hl-playground .widget-toggle-button.mod-active { background: #0b4f79; color: #ffffff; }
.hl-playground .jupyter-widget-Collapse-header, .hl-playground .jupyter-widget-Collapse-header span { color: #1a1a1a; }
.hl-loading { display: none !important; }
</style>"""


class Access(anywidget.AnyWidget):
    """Invisible: names the Playground's sliders after their labels, gives its toggles aria-pressed, its disabled
    controls their reason and the icon-only buttons of an ``ipywidgets.Play`` their names (see the module docstring
    and controls.js). A lesson's widget gets the same: put an ``Access()`` in its box and give the box the class
    ``hl-access``."""

    _esm = Path(__file__).with_name("controls.js")


#: hl.compare's text/plain
PAIR_SUMMARY = "Two networks side by side: both learn live on the same data (boundaries, one loss plot). Run the cell."


class Panel(W.VBox):
    """The Playground's outer box: its text repr says what will appear (instead of ``VBox(children=(HTML(...``)."""

    summary = SUMMARY

    def __repr__(self) -> str:
        return self.summary


class Controls:
    """on_change(key, value) for a control ("features": the list switched on); on_button(name); on_upload(name,
    content bytes)."""

    def __init__(self, settings: dict, view, *, own: bool, on_change: Callable, on_button: Callable,
                 on_upload: Callable):
        self._on_change, self._on_upload = on_change, on_upload
        self._local = threading.local()        # per thread: is this thread showing settings in the controls?
        s = settings
        style, box = {"description_width": "100px"}, W.Layout(width="250px")
        top, narrow = {"description_width": "initial"}, W.Layout(width="auto", max_width="190px")

        def slider(kind, key, label, **kw):
            return kind(description=label, continuous_update=False, style=style, layout=box, tooltip=HELP[key], **kw)

        def dropdown(key, label, options, value, *, bar=False):
            return W.Dropdown(description=label, options=options, value=value, style=top if bar else style,
                              layout=narrow if bar else box, tooltip=HELP[key])

        def rates(base, value):
            return [(f"{v:g}", v) for v in sorted(set(base) | {value})]

        c = {}
        c["dataset"] = dropdown("dataset", "dataset", list(GENERATORS) + ([OWN] if own else []), s["dataset"])
        c["n_classes"] = slider(W.IntSlider, "n_classes", "classes", min=2, max=8, value=s["n_classes"])
        c["n_points"] = slider(W.IntSlider, "n_points", "points", min=min(50, s["n_points"]),
                               max=max(2000, s["n_points"]), step=10, value=s["n_points"])
        c["noise"] = slider(W.FloatSlider, "noise", "noise", min=0.0, max=1.0, step=0.05, value=s["noise"])
        c["train_ratio"] = slider(W.FloatSlider, "train_ratio", "train ratio", min=0.1, max=0.9, step=0.05,
                                  value=s["train_ratio"])
        c["seed"] = W.BoundedIntText(description="seed", min=0, max=2**32 - 1, value=s["seed"], style=style, layout=box,
                                     tooltip=HELP["seed"])
        c["show_test"] = W.Checkbox(description="show test data", value=s["show_test"], indent=False,
                                    tooltip=HELP["show_test"], layout=box)
        c["discretize"] = W.Checkbox(description="discretize output", value=s["discretize"], indent=False,
                                     tooltip=HELP["discretize"], layout=box)
        hidden = s["hidden"]
        c["depth"] = slider(W.IntSlider, "depth", "hidden layers", min=0, max=models.MAX_DEPTH, value=len(hidden))
        c["width"] = slider(W.IntSlider, "width", "neurons/layer", min=1, max=models.MAX_WIDTH,
                            value=hidden[0] if hidden else 4)
        c["layers"] = W.Text(description="per layer", value=",".join(map(str, hidden)), continuous_update=False,
                             placeholder="e.g. 8,4,2", style=style, layout=box, tooltip=HELP["layers"])
        c["activation"] = dropdown("activation", "activation", list(models.ACTIVATIONS), s["activation"])
        c["lr"] = dropdown("lr", "learning rate", rates(LEARNING_RATES, s["lr"]), s["lr"], bar=True)
        c["optimizer"] = dropdown("optimizer", "optimizer", list(train.OPTIMIZERS), s["optimizer"], bar=True)
        c["regularization"] = dropdown("regularization", "regularization", list(train.REGULARIZATIONS),
                                       s["regularization"], bar=True)
        c["reg_rate"] = dropdown("reg_rate", "reg. rate", rates(REG_RATES, s["reg_rate"]), s["reg_rate"], bar=True)
        batches = [("full batch", 0)] + [(str(v), v) for v in sorted(set(BATCH_SIZES) | {s["batch_size"] or 1})]
        c["batch_size"] = dropdown("batch_size", "batch size", batches, s["batch_size"] or 0, bar=True)
        c["epochs"] = W.BoundedIntText(description="epochs", min=1, max=train.MAX_EPOCHS, value=s["epochs"], style=top,
                                       layout=W.Layout(width="130px"), tooltip=HELP["epochs"])
        self.controls = c
        self.features = {name: W.ToggleButton(description=name, value=name in s["features"], tooltip=HELP["features"],
                                              layout=W.Layout(width="auto", min_width="44px"))
                         for name in models.FEATURES}
        # ipywidgets appends the number of files uploaded: "upload CSV · files (0)"
        self.upload = W.FileUpload(accept=".csv", multiple=False, description="upload CSV · files", icon="upload",
                                   tooltip=HELP["upload"], layout=W.Layout(width="auto"))
        self.upload.observe(self._uploaded, names="value")
        for key, widget in c.items():
            widget.observe(functools.partial(self._changed, key), names="value")
        for toggle in self.features.values():
            toggle.observe(functools.partial(self._changed, "features"), names="value")
        self.buttons = play_buttons(on_button)
        self.problem = W.HTML()
        self.note = W.HTML()
        #: why a control is greyed out, right below it (empty while it is usable)
        self.why = {key: W.HTML().add_class("hl-why") for key in ("n_classes", "train_ratio", "reg_rate")}
        self.widget = self._layout(view)
        self.show(settings)

    def _layout(self, view) -> W.VBox:
        c, why = self.controls, self.why

        def column(title, children):
            return W.VBox([W.HTML(title).add_class("hl-head"), *children]).add_class("hl-column")

        toggles = list(self.features.values())
        wrap = W.Layout(flex_flow="row wrap", align_items="center")
        # reading order = Tab order: train, data, features and network, the pictures; the help last
        bar = W.HBox([*self.buttons.values(), c["epochs"], c["lr"], c["optimizer"], c["regularization"],
                      c["reg_rate"], why["reg_rate"], c["batch_size"]], layout=wrap)
        data = column("Data", [c["dataset"], c["n_classes"], why["n_classes"], c["n_points"], c["noise"],
                               c["train_ratio"], why["train_ratio"], c["seed"], self.upload, c["show_test"],
                               c["discretize"]])
        network = column("Features", [W.HBox(toggles[:4]), W.HBox(toggles[4:]),
                                      W.HTML("<b>Network</b>").add_class("hl-head"), c["depth"], c["width"],
                                      c["layers"], c["activation"]])
        # the pictures take the room left of the columns (their status line wraps there instead of pushing them
        # below); a window too narrow for them puts them under the controls
        view.layout.flex, view.layout.min_width = "1 1 560px", "0"
        main = W.HBox([data, network, view], layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))
        captions = W.HTML(caption(" ".join(PLOT_HELP[k] for k in ("network", "boundary", "loss"))))
        items = "".join(f"<li><b>{html.escape(k.replace('_', ' '))}</b>: {html.escape(v)}</li>" for k, v in HELP.items())
        help_box = W.Accordion([W.HTML(f"<ul>{items}</ul>")])
        help_box.set_title(0, "What do the controls mean?")
        help_box.selected_index = None
        self.access = Access()
        return Panel([W.HTML(STYLE + INTRO), self.access, bar, self.problem, self.note, main, captions,
                      help_box]).add_class("hl-playground")

    @property
    def _quiet(self) -> bool:
        return getattr(self._local, "quiet", False)

    def _changed(self, key: str, change) -> None:
        if self._quiet:
            return
        if key == "features":
            value = [name for name, toggle in self.features.items() if toggle.value]
        elif key == "batch_size":
            value = self.controls[key].value or None
        else:
            value = self.controls[key].value   # the value now: with two callback threads the latest wins
        self._on_change(key, value)

    def _uploaded(self, change) -> None:
        files = change["new"]
        if files and not self._quiet:
            self._on_upload(str(files[0].get("name") or "data.csv"), bytes(files[0]["content"]))

    def show(self, s: dict, *, own: bool | None = None) -> None:
        """Make the controls show settings ``s`` (and offer own data if ``own``), without calling back."""
        self._local.quiet = True
        try:
            c = self.controls
            if own:
                c["dataset"].options = [*GENERATORS, OWN]
            is_own = s["dataset"] == OWN
            allowed = (s["n_classes"],) if is_own else GENERATORS[s["dataset"]][1]
            low, high = min(allowed), max(max(allowed), min(allowed) + 1)
            c["n_classes"].max = max(high, c["n_classes"].min)   # in this order min <= max holds at every step
            c["n_classes"].min = low
            c["n_classes"].max = high
            reasons = {
                "n_classes": "" if len(allowed) > 1 else (
                    f"fixed: your data has {s['n_classes']} classes" if is_own else
                    f"fixed: {s['dataset']} has {allowed[0]} classes (spiral and blobs have more)"),
                "train_ratio": "fixed: your own data brings its points and its train/test split" if is_own else "",
                "reg_rate": "off: pick L1 or L2 first" if s["regularization"] == "none" else "",
            }
            for key, covers in (("n_classes", ["n_classes"]), ("train_ratio", ["n_points", "noise", "train_ratio"]),
                                ("reg_rate", ["reg_rate"])):
                self.why[key].value = html.escape(reasons[key])
                for name in covers:   # the reason in the tooltip too; the page names the control after it
                    c[name].disabled = bool(reasons[key])
                    c[name].tooltip = HELP[name] + (f" Greyed out: {reasons[key]}." if reasons[key] else "")
            c["n_points"].max, c["n_points"].min = max(c["n_points"].max, s["n_points"]), min(c["n_points"].min,
                                                                                              s["n_points"])
            for key in ("dataset", "n_classes", "n_points", "noise", "train_ratio", "seed", "show_test", "discretize",
                        "activation", "optimizer", "regularization", "epochs"):
                c[key].value = s[key]
            for key, base in (("lr", LEARNING_RATES), ("reg_rate", REG_RATES)):
                if s[key] not in [v for _, v in c[key].options]:
                    c[key].options = [(f"{v:g}", v) for v in sorted(set(base) | {s[key]})]
                c[key].value = s[key]
            batch = s["batch_size"] or 0
            if batch not in [v for _, v in c["batch_size"].options]:
                c["batch_size"].options = [("full batch", 0)] + [(str(v), v) for v in sorted(set(BATCH_SIZES) | {batch})]
            c["batch_size"].value = batch
            hidden = s["hidden"]
            c["depth"].value = len(hidden)
            if hidden:
                c["width"].value = hidden[0] if len(set(hidden)) == 1 else max(hidden)
            try:
                same = parse_layers(c["layers"].value) == hidden
            except ValueError:
                same = False
            if not same:
                c["layers"].value = ",".join(map(str, hidden))
            for name, toggle in self.features.items():
                toggle.value = name in s["features"]
        finally:
            self._local.quiet = False

    def say(self, problem: str | None = None, note: str | None = None) -> None:
        """Show a problem (red) or a note (blue); "" clears it, None leaves it."""
        if problem is not None:
            self.problem.value = problem_html(problem)
        if note is not None:
            self.note.value = "" if not note else (
                "<div style='color:#0b4f79;background:#eaf3fa;padding:4px 8px;border-radius:4px'>"
                f"ℹ {html.escape(note)}</div>")

    def close(self) -> None:
        close_tree(self.widget)


def play_buttons(on_button: Callable) -> dict:
    """The play, pause, step and reset buttons; a click calls on_button(name)."""
    buttons = {name: W.Button(description=name, icon=icon, tooltip=HELP[name], layout=W.Layout(width="auto"))
               for name, icon in (("play", "play"), ("pause", "pause"), ("step", "step-forward"), ("reset", "undo"))}
    for name, button in buttons.items():
        button.on_click(lambda _b, name=name: on_button(name))
    return buttons


def close_tree(widget) -> None:
    """Close a widget and every widget inside it."""
    def walk(w):
        yield w
        for child in getattr(w, "children", ()):
            yield from walk(child)

    for w in list(walk(widget)):
        w.close()


class PairControls:
    """hl.compare's widget around three live views: a title saying what differs, the buttons, each side's boundary
    under its label, and the one loss plot of both runs (all on one screen). on_button(name) as for Controls."""

    def __init__(self, title: str, labels: list[str], sides: list, loss, *, on_button: Callable):
        self.buttons = play_buttons(on_button)
        self.problem = W.HTML()
        column = W.Layout(margin="0 10px 0 0")
        columns = [W.VBox([W.HTML(f"<b>{html.escape(label)}</b>"), view], layout=column)
                   for label, view in zip(labels, sides, strict=True)]
        columns.append(W.VBox([W.HTML("<b>loss of both</b>"), loss], layout=column))
        self.widget = Panel([W.HTML(STYLE + title), W.HBox(list(self.buttons.values())), self.problem,
                             W.HBox(columns, layout=W.Layout(flex_flow="row wrap"))]).add_class("hl-playground")
        self.widget.summary = PAIR_SUMMARY

    def say(self, problem: str) -> None:
        """Show a problem (red); "" clears it."""
        self.problem.value = problem_html(problem)

    def close(self) -> None:
        close_tree(self.widget)


def problem_html(problem: str) -> str:
    """A problem in red ("" for none)."""
    return "" if not problem else ("<div style='border:1px solid #d62728;background:#fdecea;color:#a31515;"
                                   f"padding:4px 8px;border-radius:4px'>⚠ {html.escape(problem)}</div>")
