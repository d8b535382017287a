"""hlkit: a Jupyter-native teaching kit about the hidden layers of neural networks.

In a notebook: ``import hlkit as hl``, then ``hl.data``, ``hl.models``, ``hl.train``, ``hl.probe``,
``hl.viz`` and (in a notebook) ``hl.Playground()``. Modules import one way:
data -> models -> train -> probe -> viz -> widgets.
"""

from . import check, compress, data, explain, models, probe, scratch, sweep, train, viz
from .data import from_arrays, from_csv, load_digits, make_dataset
from .models import cnn, mlp, n_params

__version__ = "0.1.0"


def set_seed(seed: int) -> None:
    """Seed Python's, numpy's and torch's global RNGs (for learners' own experiments; hlkit itself
    never needs it: every hlkit function takes its own seed)."""
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def __getattr__(name):
    # widgets import ipywidgets and plotly's FigureWidget: load them only when a notebook asks
    if name in ("widgets", "Playground"):
        # import_module, not "from . import widgets": that asks hasattr(hlkit, "widgets") first, which calls
        # this function again, forever (RecursionError) until something else has imported hlkit.widgets
        import importlib

        widgets = importlib.import_module(f"{__name__}.widgets")
        return widgets if name == "widgets" else widgets.Playground
    raise AttributeError(f"module 'hlkit' has no attribute {name!r}")
