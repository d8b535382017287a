"""hlkit: a Jupyter-native teaching kit about the hidden layers of neural networks.

In a notebook: ``import hlkit as hl``, then ``hl.data``, ``hl.models``, ``hl.train``, ``hl.probe``,
``hl.viz``, ``hl.check`` and ``hl.Playground()``. Modules import one way:
data -> models -> train -> probe -> viz -> playground (a package: settings, runner, frames, view, controls).

Submodules load on first use, so ``import hlkit`` (and the ``hlkit`` command line) starts without
paying for torch and plotly until a function needs them.
"""

import importlib

__version__ = "0.1.0"

#: submodules, loaded on first attribute access
_MODULES = ("check", "compress", "data", "explain", "models", "probe", "playground", "release", "scratch", "sweep",
            "train", "viz", "surface", "init_scale", "sequences")
#: short names for the functions a notebook uses most: name -> module
_SHORTCUTS = {"from_arrays": "data", "from_csv": "data", "load_digits": "data", "make_dataset": "data",
              "cnn": "models", "mlp": "models", "n_params": "models", "Playground": "playground",
              "compare": "playground"}

__all__ = [*_MODULES, *_SHORTCUTS, "set_seed"]


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
    # import_module, not "from . import x": that asks hasattr(hlkit, "x") first, which calls this function
    # again, forever (RecursionError)
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _SHORTCUTS:
        return getattr(importlib.import_module(f"{__name__}.{_SHORTCUTS[name]}"), name)
    raise AttributeError(f"module 'hlkit' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
