"""Networks: the MLP builder (depth, width, activation, input features, residual connections, layer
normalisation), the small CNN, parameter counts, files.

Every builder is seeded and leaves the global torch RNG as it found it. Models compute in float64 by
default, so printed numbers are the same on every CPU (tiny networks are no slower in float64).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import stat
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from .arguments import check_bool, check_choice, check_int

MAX_DEPTH = 10
MAX_WIDTH = 256

#: activation name -> module factory
ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "linear": nn.Identity,
    "leaky_relu": lambda: nn.LeakyReLU(0.1),
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "silu": nn.SiLU,
}

#: what ``mlp(norm=...)`` accepts besides None (no normalisation)
NORMS = ("layer",)

#: input feature name -> function of the two coordinates (the Playground's seven features). Each is
#: divided by a fixed scale so it spans about -1..1 on the [-6, 6] plane: inputs of that size train
#: far better (measured: the 6x8 tanh spiral reached 95 % test accuracy at epoch 160 scaled, never unscaled).
FEATURES = {
    "x1": lambda x1, x2: x1 / 6,
    "x2": lambda x1, x2: x2 / 6,
    "x1^2": lambda x1, x2: x1 * x1 / 36,
    "x2^2": lambda x1, x2: x2 * x2 / 36,
    "x1*x2": lambda x1, x2: x1 * x2 / 36,
    "sin(x1)": lambda x1, x2: torch.sin(x1),
    "sin(x2)": lambda x1, x2: torch.sin(x2),
}


class Features(nn.Module):
    """Turns points of shape (B, 2) into the chosen features, shape (B, len(names)). No weights."""

    def __init__(self, names: Sequence[str]):
        super().__init__()
        self.names = tuple(names)

    def forward(self, x):
        if self.names == ("x1", "x2"):   # the default: one op instead of five (tiny nets are overhead-bound)
            return x / 6
        x1, x2 = x[:, 0], x[:, 1]
        return torch.stack([FEATURES[name](x1, x2) for name in self.names], dim=1)

    def extra_repr(self) -> str:
        return ", ".join(self.names)


class MLP(nn.Module):
    """A multilayer perceptron: optional input features, hidden Linear+activation layers, a Linear output.

    ``forward`` returns logits of shape (B, 1) for two classes or (B, n_classes) for more.
    ``spec`` holds the builder's arguments, enough to rebuild it (see ``save`` and ``load``).

    Hidden layer k computes h_k = act(W_k h_{k-1} + b_k) (a *plain* MLP). With ``norm="layer"`` the pre-activation
    is normalised first, over the layer's own neurons and for each point separately: act(LN(W_k h_{k-1} + b_k)),
    where LN(z) = (z - mean(z)) / sqrt(var(z) + 1e-5) with no weights of its own. With ``residual`` true, a layer
    whose input and output widths match adds its input: h_k = h_{k-1} + (that layer's plain or normalised output).
    ``skips`` says which hidden layers have a skip connection (a tuple of bools, one per hidden layer); ``plain``
    is true when none has one and nothing is normalised.
    """

    def __init__(self, n_inputs: int, hidden: Sequence[int], n_classes: int, activation: str,
                 features: Sequence[str] | None, residual: bool = False, norm: str | None = None):
        super().__init__()
        self.features = Features(features) if features else None
        width = len(features) if features else n_inputs
        self.hidden = nn.ModuleList()
        skips = []
        for size in hidden:
            self.hidden.append(nn.Linear(width, size))
            skips.append(residual and size == width)
            width = size
        self.act = ACTIVATIONS[activation]()
        self.out = nn.Linear(width, 1 if n_classes == 2 else n_classes)
        self.n_classes = n_classes
        self.skips = tuple(skips)
        self.norm = norm
        self.plain = not any(skips) and norm is None

    def forward(self, x):
        h = self.features(x) if self.features is not None else x
        if self.plain:   # the default, kept to one line per layer (tiny nets are overhead-bound)
            for layer in self.hidden:
                h = self.act(layer(h))
        else:
            for k, layer in enumerate(self.hidden):
                h = self._block(k, layer, h)
        return self.out(h)

    def _block(self, k: int, layer: nn.Linear, h):
        z = layer(h)
        if self.norm == "layer":
            z = nn.functional.layer_norm(z, z.shape[-1:])
        return h + self.act(z) if self.skips[k] else self.act(z)

    def layer_outputs(self, x) -> list:
        """Every layer's output for points x: [features, hidden 1, ..., hidden L (after activation, and after
        adding the input where the layer has a skip connection), logits]."""
        h = self.features(x) if self.features is not None else x
        outs = [h]
        for k, layer in enumerate(self.hidden):
            h = self.act(layer(h)) if self.plain else self._block(k, layer, h)
            outs.append(h)
        outs.append(self.out(h))
        return outs

    def extra_repr(self) -> str:
        """What makes it more than a plain MLP, in words ('' for a plain one)."""
        skips = [str(k + 1) for k, skip in enumerate(self.skips) if skip]
        parts = [f"skip connections around hidden layer{'s' if len(skips) > 1 else ''} {', '.join(skips)}"] if skips else []
        return " and ".join(parts + (["layer normalisation"] if self.norm == "layer" else []))


class CNN(nn.Module):
    """A small convolutional network for 1-channel images: [Conv 3x3 -> ReLU -> MaxPool 2]* -> Linear.

    Input (B, 1, H, W); output logits (B, n_classes). ``conv`` holds the convolution layers, in order.
    """

    def __init__(self, channels: Sequence[int], image_size: int, n_classes: int):
        super().__init__()
        self.conv = nn.ModuleList()
        c_in, size = 1, image_size
        for c_out in channels:
            self.conv.append(nn.Conv2d(c_in, c_out, kernel_size=3, padding=1))
            c_in, size = c_out, size // 2
        self.pool = nn.MaxPool2d(2)
        self.out = nn.Linear(c_in * size * size, n_classes)
        self.n_classes = n_classes

    def forward(self, x):
        return self.layer_outputs(x)[-1]

    def layer_outputs(self, x) -> list:
        """[input, each conv block's output (after ReLU and pooling), logits]: the feature maps."""
        outs = [x]
        for conv in self.conv:
            x = self.pool(torch.relu(conv(x)))
            outs.append(x)
        outs.append(self.out(x.flatten(1)))
        return outs


def hidden_sizes(depth: int, width: int) -> list[int]:
    """[width] * depth, checked: depth 0-10 hidden layers, width 1-256 neurons each."""
    depth = check_int("depth", depth, 0, MAX_DEPTH)
    width = check_int("width", width, 1, MAX_WIDTH)
    return [width] * depth


def mlp(hidden: Sequence[int] = (4, 2), *, activation: str = "tanh", n_inputs: int = 2, n_classes: int = 2,
        features: Sequence[str] | None = None, residual: bool = False, norm: str | None = None, seed: int = 0,
        dtype=torch.float64) -> MLP:
    """Build a seeded MLP.

    hidden: neurons per hidden layer, 0-10 layers of 1-256 each (``[]`` = no hidden layer: a linear
    model). activation: one of ``ACTIVATIONS``. features: names from ``FEATURES`` computed from 2-D
    inputs (None = use the raw inputs). Weights start Xavier-uniform, biases at zero.

    residual: True adds a skip connection around every hidden layer whose input and output widths match
    (h_k = h_{k-1} + act(...)). Layers whose widths differ, such as the first layer from 2 inputs to 8 neurons,
    stay plain: no projection is added, so the parameter count does not change (``model.skips`` lists which
    layers have one). norm: None, or "layer" to normalise every hidden layer's pre-activations over its neurons
    (layer normalisation without learnable gain and shift: no extra parameters, and the same computation in
    training and evaluation). It needs at least 2 neurons per hidden layer (one neuron would always give 0).
    Models with either option compute what ``MLP`` describes; code that rebuilds a plain forward pass from the
    weights (``linear_layers`` and its users: ``probe.weights``, the network picture, LRP, ``scratch``) refuses them.
    """
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError(f"hidden must be a list of layer widths such as [4, 2]; got {hidden!r} instead")
    if len(hidden) > MAX_DEPTH:
        raise ValueError(f"hidden may have 0 to {MAX_DEPTH} layers; got {len(hidden)} layers")
    hidden = [check_int(f"hidden[{i}]", w, 1, MAX_WIDTH) for i, w in enumerate(hidden)]
    activation = str(check_choice("activation", activation, ACTIVATIONS))
    n_inputs = check_int("n_inputs", n_inputs, 1, 10_000)
    n_classes = check_int("n_classes", n_classes, 2, 100)
    if features is None and n_inputs == 2:
        features = ("x1", "x2")
    if features is not None:
        if isinstance(features, str) or not isinstance(features, Sequence):
            raise TypeError(f"features must be a list of names such as ['x1', 'x2']; got {features!r} instead")
        features = [check_choice("features", f, FEATURES) for f in features]
        if not features:
            raise ValueError(f"features must name at least one of {', '.join(FEATURES)}; got an empty list")
        if len(set(features)) != len(features):
            raise ValueError(f"features must not repeat a name; got {features}")
        if n_inputs != 2:
            raise ValueError(f"features work on 2-D points only (n_inputs=2); got n_inputs={n_inputs}")
        features = tuple(features)
    residual = check_bool("residual", residual)
    if norm is not None:
        if not isinstance(norm, str) or norm not in NORMS:
            raise (ValueError if isinstance(norm, str) else TypeError)(
                f"norm must be None or one of {', '.join(map(repr, NORMS))}; got {_show(norm)}"
                f"{'' if isinstance(norm, str) else f' ({type(norm).__name__})'} instead")
        if hidden and min(hidden) < 2:
            raise ValueError(f"norm={norm!r} needs at least 2 neurons in every hidden layer (the normalised output "
                             f"of a single neuron is always 0); got hidden={hidden}")
    spec = dict(kind="mlp", hidden=list(hidden), activation=activation, n_inputs=n_inputs,
                n_classes=n_classes, features=list(features) if features else None, seed=seed)
    if residual or norm is not None:   # only when used: a plain model's spec (and saved files) stay as they were
        spec.update(residual=residual, norm=norm)
    gain = {"relu": nn.init.calculate_gain("relu"), "tanh": nn.init.calculate_gain("tanh"),
            "leaky_relu": nn.init.calculate_gain("leaky_relu", 0.1)}.get(activation, 1.0)

    def init(model):
        for layer in [*model.hidden, model.out]:
            nn.init.xavier_uniform_(layer.weight, gain=gain if layer is not model.out else 1.0)
            nn.init.zeros_(layer.bias)

    return seeded(lambda: MLP(n_inputs, hidden, n_classes, activation, features, residual, norm), init, seed, dtype,
                   spec)


def cnn(channels: Sequence[int] = (8, 16), *, image_size: int = 8, n_classes: int = 10, seed: int = 0,
        dtype=torch.float64) -> CNN:
    """Build a seeded small CNN for (B, 1, image_size, image_size) images: one 3x3 conv block per entry
    of ``channels`` (1-4 blocks of 1-64 filters), each halving the image, then a Linear classifier."""
    if isinstance(channels, (str, bytes)) or not isinstance(channels, Sequence):
        raise TypeError(f"channels must be a list of filter counts such as [8, 16]; got {channels!r} instead")
    if not 1 <= len(channels) <= 4:
        raise ValueError(f"channels must list 1 to 4 conv blocks; got {len(channels)}")
    channels = [check_int(f"channels[{i}]", c, 1, 64) for i, c in enumerate(channels)]
    image_size = check_int("image_size", image_size, 2 ** len(channels), 512)
    n_classes = check_int("n_classes", n_classes, 2, 100)
    spec = dict(kind="cnn", channels=channels, image_size=image_size, n_classes=n_classes, seed=seed)
    return seeded(lambda: CNN(channels, image_size, n_classes), lambda m: None, seed, dtype, spec)


DTYPES = (torch.float64, torch.float32)


def seeded(build, init, seed, dtype, spec):
    """``build()`` a model with torch's RNG seeded by ``seed`` (restored afterwards), ``init`` its weights, convert
    it to ``dtype`` and record ``spec`` (with seed and dtype) as ``model.spec``."""
    seed = check_int("seed", seed, 0, 2**63 - 1)
    if not isinstance(dtype, torch.dtype) or dtype not in DTYPES:
        raise TypeError(f"dtype must be torch.float64 or torch.float32; got {dtype!r} ({type(dtype).__name__}) instead")
    with torch.random.fork_rng(devices=[]):  # the caller's global RNG stays as it was
        torch.manual_seed(seed)
        model = build()
        with torch.no_grad():
            init(model)
    model = model.to(dtype)
    # plain Python values only (a numpy seed would not survive ``load``'s weights-only reader)
    model.spec = dict(spec, seed=seed, dtype=str(dtype).removeprefix("torch."))
    return model


def input_shape(model: nn.Module) -> tuple | None:
    """Shape of one input the model takes: (n_inputs,) for an hlkit MLP, (1, size, size) for an hlkit CNN,
    None for any other module."""
    spec = getattr(model, "spec", None)
    if isinstance(model, MLP) and isinstance(spec, dict):
        return (spec["n_inputs"],)
    if isinstance(model, CNN) and isinstance(spec, dict):
        return (1, spec["image_size"], spec["image_size"])
    return None


def n_params(model: nn.Module) -> int:
    """Number of trainable numbers (weights and biases) in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def dtype_of(model: nn.Module) -> torch.dtype:
    """The dtype the model computes in (that of its first parameter): inputs must be converted to it."""
    return next(model.parameters()).dtype


def linear_layers(model: nn.Module, *, needed_by: str = "this", instead: str = "") -> list[nn.Linear]:
    """The Linear layers of a plain MLP built by ``mlp``, in order: each hidden layer, then the output layer. Any
    other model raises a TypeError saying that ``needed_by`` needs an MLP (``instead``: what to use for other models).
    So does an MLP with skip connections or normalisation: its callers rebuild the forward pass as Linear +
    activation from these layers, which would leave those out."""
    layers = [*getattr(model, "hidden", [None]), getattr(model, "out", None)]   # a CNN has .out but no .hidden
    if any(not isinstance(layer, nn.Linear) for layer in layers):
        raise TypeError(f"{needed_by} needs an MLP built by hlkit.models.mlp{instead}; got {type(model).__name__}")
    if not getattr(model, "plain", True):
        raise TypeError(f"{needed_by} needs a plain MLP (Linear + activation layers only); this one has "
                        f"{model.extra_repr()}, which {needed_by} would leave out. Build it without residual= and "
                        "norm= to use it here")
    return layers


#: layers that compute differently in training and in evaluation mode
MODE_LAYERS = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.FeatureAlphaDropout,
               nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LazyBatchNorm1d, nn.LazyBatchNorm2d,
               nn.LazyBatchNorm3d, nn.SyncBatchNorm, nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d,
               nn.LazyInstanceNorm1d, nn.LazyInstanceNorm2d, nn.LazyInstanceNorm3d)


@contextlib.contextmanager
def evaluating(model: nn.Module):
    """The model in evaluation mode for the duration, then in the mode it had. Skipped when no layer computes
    differently in the two modes (hlkit's own MLPs and CNNs): switching walks every module, a large share of a
    tiny network's epoch, and changes nothing there."""
    if not model.training or not any(isinstance(m, MODE_LAYERS) for m in model.modules()):
        yield model
        return
    model.eval()
    try:
        yield model
    finally:
        model.train()


def build(spec: dict) -> nn.Module:
    """Rebuild an untrained model from its ``spec`` (as found in ``model.spec``)."""
    if not isinstance(spec, dict) or spec.get("kind") not in ("mlp", "cnn"):
        raise ValueError(f"spec must be a model's spec dict with kind 'mlp' or 'cnn'; got {_show(spec)}")
    args = {k: v for k, v in spec.items() if k not in ("kind", "dtype")}
    dtype = {"float64": torch.float64, "float32": torch.float32}.get(spec.get("dtype", "float64"), spec.get("dtype"))
    return (mlp if spec["kind"] == "mlp" else cnn)(**args, dtype=dtype)


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _checked_path(path, verb: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name (str or pathlib.Path); got {_show(path)} ({type(path).__name__}) "
                        "instead")
    if str(path) in ("", "."):
        raise ValueError(f"path must name a file to {verb}, such as 'model.pt'; got {str(path)!r}")
    return Path(path)


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


def save(model: nn.Module, path) -> Path:
    """Write the model (its spec and weights) to ``path`` atomically: a crash leaves no half-written file.

    Writes only regular files: an existing symbolic link, FIFO, device, socket or folder at ``path`` is
    refused (the atomic replace would put a file in its place)."""
    spec = getattr(model, "spec", None)
    kind = spec.get("kind") if isinstance(spec, dict) else None
    if kind not in ("mlp", "cnn"):
        raise TypeError("model must be built by hlkit.models.mlp or hlkit.models.cnn (load() rebuilds only those); "
                        f"got {type(model).__name__}" + (f" of kind {kind!r}" if kind else " without an hlkit spec"))
    path = _checked_path(path, "write")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"path: the folder {str(path.parent)!r} does not exist")
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise ValueError(f"path: save() writes only regular files; {str(path)!r} is {_file_kind(mode)}")
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save({"spec": model.spec, "state_dict": model.state_dict()}, handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path) -> nn.Module:
    """Read a model written by ``save``. Uses torch's weights-only loader: a file cannot run code.

    Before any weights are allocated, the file must be an uncompressed zip archive (what ``torch.save``
    writes), hold a spec and a state_dict, and every tensor must have the shape the spec's architecture
    gives (checked on a weightless "meta" model): a small file cannot claim a huge network."""
    path = _checked_path(path, "read")
    if not path.is_file():
        if path.exists():
            raise ValueError(f"path: load() reads only regular files; {str(path)!r} is {_file_kind(os.stat(path).st_mode)}")
        raise FileNotFoundError(f"path: no model file at {str(path)!r}")
    what = f"path: {path.name!r} is not a model file written by hlkit.models.save"
    try:
        with zipfile.ZipFile(path) as archive:
            packed = [info.filename for info in archive.infolist() if info.compress_type != zipfile.ZIP_STORED]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        raise ValueError(f"{what}: it is not the zip archive torch.save writes ({err or type(err).__name__})") from None
    if packed:
        raise ValueError(f"{what}: torch.save stores its entries uncompressed; got compressed ones such as {packed[0]!r}")
    try:
        saved = torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as err:
        raise pickle.UnpicklingError(f"{what}: it holds objects other than tensors and plain values, which the "
                                     f"weights-only reader refuses ({str(err).splitlines()[0]})") from None
    except Exception as err:   # torch raises many kinds (EOFError, KeyError, RuntimeError, ...) for broken files
        detail = str(err)[:160] or ("its data ends too early" if isinstance(err, EOFError) else "no details")
        raise ValueError(f"{what}: torch could not read it ({type(err).__name__}: {detail})") from None
    if isinstance(saved, dict) and saved and all(isinstance(v, torch.Tensor) for v in saved.values()):
        raise ValueError(f"{what}: it holds a bare state_dict (torch.save(model.state_dict(), ...)) without "
                         "hlkit's spec. Save with hl.models.save(model, path), or build the same model and call "
                         "model.load_state_dict(torch.load(path))")
    if not isinstance(saved, dict) or not {"spec", "state_dict"} <= saved.keys():
        got = _show(sorted(map(str, saved))) if isinstance(saved, dict) else f"a {type(saved).__name__}"
        raise ValueError(f"{what}: expected a dict with 'spec' and 'state_dict'; got {got}")
    weights = saved["state_dict"]
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()):
        raise ValueError(f"{what}: its state_dict must map names to tensors; got {type(weights).__name__}")
    try:
        with torch.device("meta"):   # the architecture's shapes, without allocating a single weight
            shapes = {k: tuple(v.shape) for k, v in build(saved["spec"]).state_dict().items()}
    except (TypeError, ValueError) as err:
        raise ValueError(f"{what}: its spec is not a valid hlkit model ({err})") from None
    found = {k: tuple(v.shape) for k, v in weights.items()}
    if found != shapes:
        wrong = sorted(k for k in shapes.keys() | found.keys() if shapes.get(k) != found.get(k))
        k = wrong[0]
        raise ValueError(f"{what}: its spec declares {len(shapes)} tensors of the architecture's shapes, but the "
                         f"weights differ: {k!r} should have shape {shapes.get(k, 'none (no such tensor)')}, got "
                         f"{found.get(k, 'none (missing)')} ({len(wrong)} tensors differ)")
    model = build(saved["spec"])
    model.load_state_dict(weights)
    return model
