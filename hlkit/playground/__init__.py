"""The Playground: TensorFlow Playground's controls and pictures on a real PyTorch network, inside JupyterLab.

    pg = hl.Playground()                                   # circle, hidden [4, 2], tanh: trains live
    pg = hl.Playground("spiral", hidden=[8] * 6)           # any setting as a keyword
    pg = hl.Playground(data=hl.from_arrays(X, y))          # your own 2-D data
    pg = hl.Playground(live=False)                         # synchronous: lessons and tests
    pg.set(depth=3, width=8); pg.retrain(); pg.settings; pg.model; pg.history; pg.figure("boundary")

A small package joined by callbacks, one job per file (imports run down this list):

- ``settings``: defaults, help texts, checks, depth/width <-> hidden (pure: no widgets, no threads);
- ``runner``: one daemon worker thread, the run counter, cancellation between minibatches;
- ``frames``: the arrays of one picture (hlkit.probe), and the same picture as a plotly figure (hlkit.viz);
- ``view`` (+ ``view.js``, ``interact.js``): the live view, painted by the page on canvases from binary traits;
- ``controls``: the ipywidgets controls around the view;
- ``playground``: the ``Playground`` class, which connects them;
- ``compare``: ``hl.compare(a=..., b=...)``, two networks on the same data side by side, trained in lock-step.
"""

from .compare import compare
from .playground import Playground
from .settings import DEFAULTS, HELP, OWN, check_settings, parse_layers

__all__ = ["Playground", "compare", "DEFAULTS", "HELP", "OWN", "check_settings", "parse_layers"]
