"""hlkit.models: MLP and CNN builders, parameter counts, input features, activations, seeding, files."""

from __future__ import annotations

import math
import os
import pickle
import re
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from hlkit import models

RNG = np.random.default_rng(0)
POINTS = RNG.uniform(-6, 6, (50, 2))


def expected_mlp_params(n_in: int, hidden, n_classes: int) -> int:
    """sum over Linear layers of (fan_in + 1) * fan_out; the output layer has 1 unit for 2 classes."""
    sizes = [n_in, *hidden, 1 if n_classes == 2 else n_classes]
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def expected_cnn_params(channels, image_size: int, n_classes: int) -> int:
    sizes = [1, *channels]
    conv = sum((c_in * 3 * 3 + 1) * c_out for c_in, c_out in zip(sizes[:-1], sizes[1:], strict=True))
    side = image_size // 2 ** len(channels)
    return conv + (channels[-1] * side * side + 1) * n_classes


# --- parameter counts -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hidden", [[], [1], [4, 2], [8, 8, 8], [256], [3] * 10, [256, 1, 256]])
@pytest.mark.parametrize("n_classes", [2, 3, 10])
@pytest.mark.parametrize("features", [None, ["x1"], ["x1^2", "x1*x2", "sin(x2)"], list(models.FEATURES)])
def test_mlp_parameter_count_follows_the_formula(hidden, n_classes, features):
    model = models.mlp(hidden, n_classes=n_classes, features=features)
    n_in = len(features) if features else 2
    assert models.n_params(model) == expected_mlp_params(n_in, hidden, n_classes)


@pytest.mark.parametrize("n_inputs,hidden", [(1, [3]), (64, [32, 16]), (10_000, []), (5, [2] * 4)])
def test_mlp_parameter_count_raw_inputs(n_inputs, hidden):
    model = models.mlp(hidden, n_inputs=n_inputs, n_classes=4)
    assert model.features is None
    assert models.n_params(model) == expected_mlp_params(n_inputs, hidden, 4)


def test_frozen_parameters_are_not_counted():
    model = models.mlp([4, 2])
    model.hidden[0].weight.requires_grad_(False)
    assert models.n_params(model) == expected_mlp_params(2, [4, 2], 2) - 4 * 2


@pytest.mark.parametrize("channels,image_size,n_classes", [((8, 16), 8, 10), ((4,), 8, 3), ((2, 3, 4, 5), 16, 2),
                                                           ((1,), 28, 10)])
def test_cnn_parameter_count_and_shapes(channels, image_size, n_classes):
    model = models.cnn(channels, image_size=image_size, n_classes=n_classes)
    assert models.n_params(model) == expected_cnn_params(channels, image_size, n_classes)
    x = torch.zeros(3, 1, image_size, image_size, dtype=torch.float64)
    outs = model.layer_outputs(x)
    side = image_size
    expected = [(3, 1, image_size, image_size)]
    for c in channels:
        side //= 2
        expected.append((3, c, side, side))
    expected.append((3, n_classes))
    assert [tuple(o.shape) for o in outs] == expected
    assert torch.equal(model(x), outs[-1])
    assert models.input_shape(model) == (1, image_size, image_size)


def test_cnn_block_is_conv_relu_pool():
    model = models.cnn((2,), image_size=4, n_classes=2)
    x = torch.as_tensor(RNG.normal(size=(5, 1, 4, 4)))
    conv = model.conv[0]
    z = torch.nn.functional.conv2d(x, conv.weight, conv.bias, padding=1).clamp(min=0)
    pooled = z.reshape(5, 2, 2, 2, 2, 2).amax(dim=(3, 5))   # 2x2 max pooling by hand
    assert torch.allclose(model.layer_outputs(x)[1], pooled)


# --- layers and values --------------------------------------------------------------------------------------------

def test_layer_outputs_shapes():
    model = models.mlp([5, 3, 7])
    outs = model.layer_outputs(torch.as_tensor(POINTS))
    assert [tuple(o.shape) for o in outs] == [(50, 2), (50, 5), (50, 3), (50, 7), (50, 1)]
    multi = models.mlp([4], n_classes=5).layer_outputs(torch.as_tensor(POINTS))
    assert tuple(multi[-1].shape) == (50, 5)


def test_features_layer_values():
    model = models.mlp([3], features=list(models.FEATURES))
    feats = model.layer_outputs(torch.as_tensor(POINTS))[0].numpy()
    x1, x2 = POINTS[:, 0], POINTS[:, 1]
    expected = np.column_stack([x1 / 6, x2 / 6, x1 ** 2 / 36, x2 ** 2 / 36, x1 * x2 / 36, np.sin(x1), np.sin(x2)])
    np.testing.assert_allclose(feats, expected, rtol=1e-12, atol=1e-15)
    assert model.features.names == tuple(models.FEATURES)
    # the default for 2-D points: x1/6 and x2/6, which span -1..1 on the plane
    default = models.mlp([2]).layer_outputs(torch.as_tensor(POINTS))[0].numpy()
    np.testing.assert_allclose(default, POINTS / 6, rtol=1e-15)


def test_feature_order_follows_the_list():
    model = models.mlp([2], features=["sin(x2)", "x1"])
    feats = model.layer_outputs(torch.as_tensor(POINTS))[0].numpy()
    np.testing.assert_allclose(feats, np.column_stack([np.sin(POINTS[:, 1]), POINTS[:, 0] / 6]), rtol=1e-12)


def reference_activation(name: str, z: np.ndarray) -> np.ndarray:
    erf = np.vectorize(math.erf)
    sig = 1 / (1 + np.exp(-z))
    return {"relu": np.maximum(z, 0), "tanh": np.tanh(z), "sigmoid": sig, "linear": z,
            "leaky_relu": np.where(z > 0, z, 0.1 * z), "gelu": 0.5 * z * (1 + erf(z / np.sqrt(2))),
            "elu": np.where(z > 0, z, np.expm1(np.minimum(z, 0))), "silu": z * sig}[name]


@pytest.mark.parametrize("activation", list(models.ACTIVATIONS))
def test_each_activation(activation):
    model = models.mlp([6, 4], activation=activation, seed=3)
    with torch.no_grad():   # biases start at zero: give them values so a wrong bias handling would show
        for layer in model.hidden:
            layer.bias.copy_(torch.linspace(-1, 1, layer.bias.numel(), dtype=torch.float64))
    outs = [o.detach().numpy() for o in model.layer_outputs(torch.as_tensor(POINTS))]
    h = POINTS / 6
    for k, layer in enumerate(model.hidden):
        W, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
        h = reference_activation(activation, h @ W.T + b)
        np.testing.assert_allclose(outs[k + 1], h, rtol=1e-10, atol=1e-12)
    W, b = model.out.weight.detach().numpy(), model.out.bias.detach().numpy()
    np.testing.assert_allclose(outs[-1], h @ W.T + b, rtol=1e-10, atol=1e-12)


def test_depth_zero_is_a_linear_model():
    model = models.mlp([], n_classes=3)
    outs = model.layer_outputs(torch.as_tensor(POINTS))
    assert len(outs) == 2 and len(model.hidden) == 0
    W, b = model.out.weight.detach().numpy(), model.out.bias.detach().numpy()
    np.testing.assert_allclose(outs[1].detach().numpy(), (POINTS / 6) @ W.T + b, rtol=1e-12)


def test_initialization_biases_zero_weights_bounded():
    model = models.mlp([8, 8], activation="relu")
    for layer in [*model.hidden, model.out]:
        assert torch.all(layer.bias == 0)
        fan_in, fan_out = layer.in_features, layer.out_features
        gain = math.sqrt(2) if layer is not model.out else 1.0
        bound = gain * math.sqrt(6 / (fan_in + fan_out))   # Xavier-uniform
        assert layer.weight.abs().max() <= bound


def test_linear_layers_are_the_hidden_layers_then_the_output():
    model = models.mlp([5, 3], n_classes=4)
    layers = models.linear_layers(model)
    assert [(layer.in_features, layer.out_features) for layer in layers] == [(2, 5), (5, 3), (3, 4)]
    assert layers[:-1] == list(model.hidden) and layers[-1] is model.out
    linear = models.mlp([])
    assert models.linear_layers(linear) == [linear.out]
    for other in (models.cnn(), torch.nn.Sequential(torch.nn.Linear(2, 1))):
        with pytest.raises(TypeError, match=r"lrp needs an MLP built by hlkit.models.mlp \(no CNN\); got "
                                            + type(other).__name__):
            models.linear_layers(other, needed_by="lrp", instead=" (no CNN)")


def test_dtype_of_is_the_dtype_of_the_weights():
    assert models.dtype_of(models.mlp([3])) == torch.float64
    assert models.dtype_of(models.cnn(dtype=torch.float32)) == torch.float32


def test_evaluating_switches_only_models_whose_layers_care_and_restores_the_mode():
    dropout = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Dropout(0.5), torch.nn.Linear(4, 1))
    with models.evaluating(dropout):
        assert not dropout.training and not dropout[1].training
    assert dropout.training and dropout[1].training
    dropout.eval()                                   # already evaluating: left so
    with models.evaluating(dropout):
        assert not dropout.training
    assert not dropout.training
    norm = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.BatchNorm1d(4)).train()
    with pytest.raises(RuntimeError, match="inside"), models.evaluating(norm):
        assert not norm[1].training
        raise RuntimeError("inside")
    assert norm[1].training                          # restored after an error too
    mlp = models.mlp([4, 2])                         # no layer cares: not switched (it would change nothing)
    with models.evaluating(mlp):
        assert mlp.training


def test_hidden_sizes():
    assert models.hidden_sizes(3, 5) == [5, 5, 5]
    assert models.hidden_sizes(0, 7) == []
    assert models.hidden_sizes(models.MAX_DEPTH, models.MAX_WIDTH) == [models.MAX_WIDTH] * models.MAX_DEPTH
    model = models.mlp(models.hidden_sizes(2, 3))
    assert [layer.out_features for layer in model.hidden] == [3, 3]


def test_float32_option():
    model = models.mlp([3], dtype=torch.float32)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert model.spec["dtype"] == "float32"
    assert models.build(model.spec).out.weight.dtype == torch.float32


# --- seeding ----------------------------------------------------------------------------------------------------

def test_builders_leave_the_global_torch_rng_alone():
    torch.manual_seed(99)
    before = torch.get_rng_state()
    models.mlp([16, 16], seed=5)
    models.cnn((4, 8), seed=5)
    assert torch.equal(before, torch.get_rng_state())
    # and the seed is the model's own: the global seed does not change its weights
    torch.manual_seed(1)
    a = models.mlp([4], seed=5)
    torch.manual_seed(2)
    b = models.mlp([4], seed=5)
    assert torch.equal(a.hidden[0].weight, b.hidden[0].weight)


def same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_same_seed_same_weights_other_seed_other_weights():
    assert same_weights(models.mlp([5, 3], seed=11), models.mlp([5, 3], seed=11))
    assert not same_weights(models.mlp([5, 3], seed=11), models.mlp([5, 3], seed=12))
    assert same_weights(models.cnn(seed=4), models.cnn(seed=4))
    assert not same_weights(models.cnn(seed=4), models.cnn(seed=5))


# --- spec, build, save, load -----------------------------------------------------------------------------------

def test_spec_and_build():
    model = models.mlp([3, 2], activation="relu", features=["x1", "x2^2"], n_classes=4, seed=9)
    assert model.spec == dict(kind="mlp", hidden=[3, 2], activation="relu", n_inputs=2, n_classes=4,
                              features=["x1", "x2^2"], seed=9, dtype="float64")
    assert same_weights(model, models.build(model.spec))
    conv = models.cnn((4,), image_size=8, n_classes=3, seed=2)
    assert same_weights(conv, models.build(conv.spec))
    with pytest.raises(ValueError, match=r"spec must be a model's spec dict with kind 'mlp' or 'cnn'; "
                                         r"got \{'kind': 'rnn'\}"):
        models.build({"kind": "rnn"})
    with pytest.raises(ValueError, match="spec must be"):
        models.build([1, 2])


def test_spec_holds_plain_python_values():
    model = models.mlp([np.int64(3)], seed=np.int64(4), activation=np.str_("relu"))
    assert type(model.spec["seed"]) is int and type(model.spec["hidden"][0]) is int
    assert type(model.spec["activation"]) is str


def test_save_load_round_trip(tmp_path):
    for model in (models.mlp([5, 3], activation="gelu", features=["x1", "sin(x2)"], n_classes=3, seed=1),
                  models.cnn((4, 6), seed=2)):
        with torch.no_grad():   # trained-looking weights, not the ones build(spec) would give
            for p in model.parameters():
                p.add_(0.01)
        path = models.save(model, tmp_path / "model.pt")
        loaded = models.load(path)
        assert type(loaded) is type(model) and loaded.spec == model.spec
        assert same_weights(loaded, model)
        x = torch.as_tensor(POINTS) if model.spec["kind"] == "mlp" else torch.ones(2, 1, 8, 8, dtype=torch.float64)
        assert torch.equal(loaded(x), model(x))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]   # no .part file left behind


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    models.save(models.mlp([2], seed=1), path)
    original = path.read_bytes()

    def crash(obj, handle):
        handle.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        models.save(models.mlp([2], seed=2), path)
    assert path.read_bytes() == original                    # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]


def test_save_refuses_bad_targets(tmp_path):
    with pytest.raises(TypeError, match=r"model must be built by hlkit.models.mlp or hlkit.models.cnn"):
        models.save(torch.nn.Linear(2, 1), tmp_path / "m.pt")
    with pytest.raises(FileNotFoundError, match=r"path: the folder .*missing.* does not exist"):
        models.save(models.mlp(), tmp_path / "missing" / "m.pt")
    with pytest.raises(FileNotFoundError, match=r"path: no model file at .*nothing.pt"):
        models.load(tmp_path / "nothing.pt")


class RunsCode:
    """Unpickling this object would call ``_mark`` (a stand-in for arbitrary code in a hostile file)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (_mark, (self.marker,))


def _mark(marker):
    with open(marker, "w") as handle:
        handle.write("code ran")
    return {}


def test_load_uses_the_weights_only_reader(tmp_path):
    marker = tmp_path / "marker.txt"
    path = tmp_path / "hostile.pt"
    model = models.mlp()
    torch.save({"spec": model.spec, "state_dict": model.state_dict(), "extra": RunsCode(str(marker))}, path)
    with pytest.raises(pickle.UnpicklingError):
        models.load(path)
    assert not marker.exists()
    # the same file through a plain pickle reader would have run the code: the test can fail
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_input_shape():
    assert models.input_shape(models.mlp()) == (2,)
    assert models.input_shape(models.mlp([3], n_inputs=7)) == (7,)
    assert models.input_shape(models.cnn(image_size=12)) == (1, 12, 12)
    assert models.input_shape(torch.nn.Linear(2, 1)) is None


# --- files that are not what load() and save() expect (issue 14) ------------------------------------------------

def test_save_writes_only_regular_files(tmp_path):
    model = models.mlp()
    target = models.save(model, tmp_path / "real.pt")
    before = target.read_bytes()
    link = tmp_path / "link.pt"
    link.symlink_to(target)
    fifo = tmp_path / "pipe.pt"
    os.mkfifo(fifo)
    for path, kind in ((link, "a symbolic link"), (fifo, "a FIFO \\(named pipe\\)"), (tmp_path, "a folder")):
        with pytest.raises(ValueError, match=rf"path: save\(\) writes only regular files; .* is {kind}$"):
            models.save(models.mlp(seed=1), path)
    assert link.is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)     # both left as they were
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.pt", "pipe.pt", "real.pt"]   # no .part left
    with pytest.raises(ValueError, match=r"path must name a file to write, such as 'model.pt'; got ''"):
        models.save(model, "")
    with pytest.raises(TypeError, match=r"path must be a file name \(str or pathlib.Path\); got 3 \(int\)"):
        models.save(model, 3)
    models.save(models.mlp(seed=2), target)                  # a regular file is still replaced, atomically
    assert target.read_bytes() != before


def torch_zip_with(tmp_path, name, pickle_bytes):
    """A copy of a real model file whose data.pkl is replaced (what a hostile or broken file could hold)."""
    source = models.save(models.mlp(), tmp_path / "source.pt")
    path = tmp_path / name
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, pickle_bytes if info.filename.endswith("/data.pkl") else zin.read(info))
    return path


def test_load_says_what_a_file_is_and_what_was_expected(tmp_path):
    model = models.mlp([3])
    not_hlkit = r"path: '{}' is not a model file written by hlkit.models.save: "
    good = models.save(model, tmp_path / "good.pt")
    cases = {
        "empty.pt": (b"", "it is not the zip archive torch.save writes"),
        "text.pt": (b"hello, model\n", "it is not the zip archive torch.save writes"),
        "half.pt": (good.read_bytes()[: good.stat().st_size // 2], "it is not the zip archive torch.save writes"),
    }
    for name, (content, says) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match=re.escape(not_hlkit.format(name) + says)):
            models.load(tmp_path / name)
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    with pytest.raises(ValueError, match=r"'weights.pt' .*: it holds a bare state_dict \(torch.save\(model.state_dict"
                                         r"\(\), ...\)\) without hlkit's spec"):
        models.load(tmp_path / "weights.pt")
    torch.save({"spec": model.spec}, tmp_path / "nospec.pt")
    with pytest.raises(ValueError, match=r"expected a dict with 'spec' and 'state_dict'; got \['spec'\]"):
        models.load(tmp_path / "nospec.pt")
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(ValueError, match=r"expected a dict with 'spec' and 'state_dict'; got a list"):
        models.load(tmp_path / "list.pt")
    torch.save({"spec": dict(model.spec, activation="swish"), "state_dict": model.state_dict()}, tmp_path / "spec.pt")
    with pytest.raises(ValueError, match=r"its spec is not a valid hlkit model \(activation must be one of 'relu'"):
        models.load(tmp_path / "spec.pt")
    torch.save({"spec": model.spec, "state_dict": models.mlp([4]).state_dict()}, tmp_path / "shape.pt")
    with pytest.raises(ValueError, match=r"the weights differ: 'hidden.0.bias' should have shape \(3,\), got \(4,\) "
                                         r"\(3 tensors differ\)"):
        models.load(tmp_path / "shape.pt")
    # a pickle that refers to a memo entry it never stored: torch raised a bare "KeyError: 101"
    with pytest.raises(ValueError, match=r"'memo.pt' .*: torch could not read it \(KeyError: 101\)"):
        models.load(torch_zip_with(tmp_path, "memo.pt", b"\x80\x02he."))
    with pytest.raises(ValueError, match=r"'cut.pt' .*: torch could not read it \(EOFError: its data ends too early\)"):
        models.load(torch_zip_with(tmp_path, "cut.pt", b"\x80\x02}"))
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(tmp_path / "packed.pt", "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
    with pytest.raises(ValueError, match=r"torch.save stores its entries uncompressed; got compressed ones"):
        models.load(tmp_path / "packed.pt")
    os.mkfifo(tmp_path / "pipe.pt")
    with pytest.raises(ValueError, match=r"path: load\(\) reads only regular files; .*pipe.pt' is a FIFO"):
        models.load(tmp_path / "pipe.pt")
    with pytest.raises(ValueError, match=r"path must name a file to read, such as 'model.pt'; got ''"):
        models.load("")
    assert same_weights(models.load(good), model)             # and a good file still loads


HUGE_SPEC = dict(kind="cnn", channels=[64], image_size=512, n_classes=23, seed=0, dtype="float64")   # 771 MB


def test_a_small_file_cannot_make_load_build_a_huge_network(tmp_path, monkeypatch):
    path = tmp_path / "claims.pt"
    torch.save({"spec": HUGE_SPEC, "state_dict": models.mlp().state_dict()}, path)
    assert path.stat().st_size < 10_000
    devices = []
    real_build = models.build

    def spy(spec):
        devices.append(torch.empty(0).device.type)   # the default device build() allocates on
        return real_build(spec)

    monkeypatch.setattr(models, "build", spy)
    with pytest.raises(ValueError, match=r"'claims.pt' .*: its spec declares 4 tensors of the architecture's shapes, "
                                         r"but the weights differ: 'conv.0.bias' should have shape \(64,\)"):
        models.load(path)
    assert devices == ["meta"]                           # the shapes were checked on a weightless model only


def test_loading_a_hostile_file_stays_small_in_memory(tmp_path):
    """The same file in a fresh process: its peak memory (resource) grows by less than 100 MB, where building
    the network the file claims would take 771 MB."""
    path = tmp_path / "claims.pt"
    torch.save({"spec": HUGE_SPEC, "state_dict": models.mlp().state_dict()}, path)
    script = (
        "import resource, sys\n"
        "from hlkit import models\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        f"    models.load({str(path)!r})\n"
        "except ValueError:\n"
        "    pass\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n")
    env = dict(os.environ, PYTHONPATH=str(Path(models.__file__).parents[1]))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    grown_mb = int(out.stdout.strip()) / 1024             # ru_maxrss is in kB on Linux
    assert grown_mb < 100, f"load() grew the process by {grown_mb:.0f} MB"


# --- residual connections and layer normalisation -------------------------------------------------------------------

def manual_forward(model, X: np.ndarray, *, residual: bool, norm: bool) -> tuple[np.ndarray, list[np.ndarray]]:
    """The MLP's forward pass in numpy from its weights, written from the docstring's formulas: z = W h + b,
    optionally LN(z) = (z - mean) / sqrt(var + 1e-5) over the layer's neurons, a = act(z), h = h + a where the
    layer's input and output widths match. Returns (logits, [h_1, ..., h_L])."""
    act = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "linear": lambda z: z}[model.spec["activation"]]
    h, hs = X / 6, []
    for layer in model.hidden:
        W, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
        z = h @ W.T + b
        if norm:
            z = (z - z.mean(axis=1, keepdims=True)) / np.sqrt(z.var(axis=1, keepdims=True) + 1e-5)
        a = act(z)
        h = h + a if residual and W.shape[0] == W.shape[1] else a
        hs.append(h)
    return h @ model.out.weight.detach().numpy().T + model.out.bias.detach().numpy(), hs


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("residual,norm", [(True, None), (False, "layer"), (True, "layer"), (False, None)])
def test_residual_and_norm_forward_matches_the_formulas(activation, residual, norm):
    model = models.mlp([8, 8, 8, 5, 5], activation=activation, residual=residual, norm=norm, seed=3)
    logits, hs = manual_forward(model, POINTS, residual=residual, norm=norm == "layer")
    outs = model.layer_outputs(torch.as_tensor(POINTS))
    assert np.allclose(model(torch.as_tensor(POINTS)).detach().numpy(), logits, rtol=0, atol=1e-12)
    for h, out in zip(hs, outs[1:-1], strict=True):
        assert np.allclose(out.detach().numpy(), h, rtol=0, atol=1e-12)
    assert model.skips == ((False, True, True, False, True) if residual else (False,) * 5)
    assert model.plain == (not residual and norm is None)


def test_residual_adds_the_layer_input_to_the_plain_output():
    """Same seed, same weights: the residual network's hidden layer 2 is its input plus the plain layer's output."""
    plain, res = models.mlp([6, 6, 6], seed=1), models.mlp([6, 6, 6], residual=True, seed=1)
    assert same_weights(plain, res) and models.n_params(res) == models.n_params(plain)
    x = torch.as_tensor(POINTS)
    h1 = res.layer_outputs(x)[1]
    assert torch.equal(h1, plain.layer_outputs(x)[1])                       # layer 1 (2 -> 6): no skip
    h2 = res.layer_outputs(x)[2]
    assert torch.allclose(h2, h1 + torch.tanh(res.hidden[1](h1)), rtol=0, atol=1e-15)
    assert not torch.allclose(h2, torch.tanh(res.hidden[1](h1)))             # the input really is added
    same_width = models.mlp([2, 2], residual=True, seed=0)                    # 2 inputs -> 2 neurons: a skip too
    assert same_width.skips == (True, True)
    feats = torch.as_tensor(POINTS) / 6
    assert torch.allclose(same_width.layer_outputs(torch.as_tensor(POINTS))[1],
                          feats + torch.tanh(same_width.hidden[0](feats)), rtol=0, atol=1e-15)


@pytest.mark.parametrize("hidden,n_classes", [([8, 8], 2), ([4, 4, 4], 5), ([16], 3), ([], 2), ([3, 7, 7, 2], 2)])
def test_residual_and_norm_keep_shapes_and_parameter_counts(hidden, n_classes):
    for residual, norm in [(True, None), (False, "layer"), (True, "layer")]:
        model = models.mlp(hidden, residual=residual, norm=norm, n_classes=n_classes)
        assert models.n_params(model) == expected_mlp_params(2, hidden, n_classes)   # no new parameters
        outs = model.layer_outputs(torch.as_tensor(POINTS))
        assert [o.shape[1] for o in outs] == [2, *hidden, 1 if n_classes == 2 else n_classes]
        assert model(torch.as_tensor(POINTS)).shape == (50, 1 if n_classes == 2 else n_classes)


def test_layer_norm_standardises_each_point_over_the_layer():
    """With the identity as activation, each hidden layer's output is its normalised pre-activation: for every
    point, mean 0 and (biased) variance var / (var + 1e-5) over the layer's neurons."""
    model = models.mlp([6, 5], activation="linear", norm="layer", seed=2)
    x = torch.as_tensor(POINTS)
    outs = model.layer_outputs(x)
    for k, layer in enumerate(model.hidden):
        h = outs[k + 1].detach().numpy()
        z = layer(outs[k]).detach().numpy()
        assert np.allclose(h.mean(axis=1), 0, atol=1e-12)
        var = z.var(axis=1)
        assert np.allclose(h.var(axis=1), var / (var + 1e-5), rtol=0, atol=1e-12)
    # the scale of the weights no longer matters to a normalised layer, but for its eps: weights and bias x 100 give
    # (z - mean) / sqrt(var + 1e-5 / 100^2), the unscaled z with a 10,000x smaller eps
    scaled = models.mlp([6, 5], activation="linear", norm="layer", seed=2)
    with torch.no_grad():
        scaled.hidden[0].weight.mul_(100)
        scaled.hidden[0].bias.mul_(100)
    z = model.hidden[0](outs[0]).detach().numpy()
    expected = (z - z.mean(axis=1, keepdims=True)) / np.sqrt(z.var(axis=1, keepdims=True) + 1e-5 / 100**2)
    assert np.allclose(scaled.layer_outputs(x)[1].detach().numpy(), expected, rtol=0, atol=1e-9)


def test_residual_norm_gradients_agree_with_finite_differences():
    model = models.mlp([4, 4, 4], activation="tanh", residual=True, norm="layer", seed=5)
    x = torch.as_tensor(POINTS[:6])
    params = tuple(model.parameters())
    names = [n for n, _ in model.named_parameters()]

    def loss(*ps):
        return torch.func.functional_call(model, dict(zip(names, ps, strict=True)), (x,)).pow(2).sum()

    assert torch.autograd.gradcheck(loss, tuple(p.detach().clone().requires_grad_() for p in params))
    assert torch.autograd.gradcheck(lambda xx: model(xx).sum(), (x.clone().requires_grad_(),))


def test_default_models_are_unchanged_plain_mlps():
    model = models.mlp([5, 3])
    assert model.plain and model.skips == (False, False) and model.norm is None
    assert "residual" not in model.spec and "norm" not in model.spec      # saved files and specs stay as they were
    assert model.extra_repr() == ""
    off = models.mlp([5, 3], residual=False, norm=None)
    assert off.spec == model.spec and same_weights(off, model)


def test_residual_and_norm_specs_rebuild_and_round_trip(tmp_path):
    model = models.mlp([6, 6, 6], activation="relu", residual=True, norm="layer", seed=4)
    assert model.spec["residual"] is True and model.spec["norm"] == "layer"
    rebuilt = models.build(model.spec)
    assert rebuilt.skips == model.skips and rebuilt.norm == "layer" and same_weights(rebuilt, model)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01)
    loaded = models.load(models.save(model, tmp_path / "deep.pt"))
    assert loaded.spec == model.spec
    x = torch.as_tensor(POINTS)
    assert torch.equal(loaded(x), model(x))


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(residual="yes"), TypeError, r"residual must be True or False; got 'yes' \(str\) instead"),
    (dict(residual=1), TypeError, r"residual must be True or False; got 1 \(int\) instead"),
    (dict(norm="batch"), ValueError, r"norm must be None or one of 'layer'; got 'batch' instead"),
    (dict(norm="Layer"), ValueError, r"norm must be None or one of 'layer'; got 'Layer' instead"),
    (dict(norm=True), TypeError, r"norm must be None or one of 'layer'; got True \(bool\) instead"),
    (dict(norm="layer", hidden=[8, 1, 8]), ValueError,
     r"norm='layer' needs at least 2 neurons in every hidden layer .*; got hidden=\[8, 1, 8\]"),
])
def test_residual_and_norm_bad_values_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        models.mlp(**{"hidden": [4, 4], **kwargs})


def test_code_that_rebuilds_a_plain_forward_pass_refuses_residual_and_norm_models():
    from hlkit import explain, fast_step, probe, scratch

    for model, has in [(models.mlp([4, 4, 4], residual=True), "skip connections around hidden layers 2, 3"),
                       (models.mlp([4, 4], norm="layer"), "layer normalisation"),
                       (models.mlp([4, 4], residual=True, norm="layer"),
                        "skip connections around hidden layer 2 and layer normalisation")]:
        assert not fast_step.supports(model)            # hl.train steps it with torch's autograd instead
        for call, name in [(lambda m: probe.weights(m), "weights()"), (scratch.params_from_torch, "params_from_torch"),
                           (lambda m: explain.lrp(m, POINTS[:3]), "lrp")]:
            with pytest.raises(TypeError, match=re.escape(f"{name} needs a plain MLP (Linear + activation layers "
                                                          f"only); this one has {has}, which {name} would leave out")):
                call(model)
        # what works from the model's own forward pass keeps working
        assert [m.shape[0] for m in probe.neuron_maps(model, resolution=5).maps] == model.spec["hidden"]
        assert probe.hidden_space(model, POINTS, len(model.hidden)).shape == (50, model.spec["hidden"][-1])
        assert probe.predict_proba(model, POINTS).shape == (50, 2)
    assert fast_step.supports(models.mlp([4, 4]))
    # residual=True where no widths match leaves a plain network, which everything accepts
    assert models.mlp([4, 2], residual=True).plain and len(probe.weights(models.mlp([4, 2], residual=True))) == 3


def test_training_a_residual_norm_model_is_torch_adam_on_its_forward_pass():
    """hl.train on a residual + layer-norm model = a hand-written full-batch Adam loop on the same loss."""
    from hlkit import data, train

    dataset = data.make_dataset("spiral", n_points=60, seed=0)
    model = models.mlp([5, 5, 5], activation="relu", residual=True, norm="layer", seed=1)
    twin = models.build(model.spec)
    history = train.train(model, dataset, epochs=5, lr=0.02)
    X, y = torch.as_tensor(dataset.X_train), torch.as_tensor(dataset.y_train, dtype=torch.float64)
    opt = torch.optim.Adam(twin.parameters(), lr=0.02)
    losses = []
    for _ in range(5):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(twin(X)[:, 0], y)
        losses.append(float(loss.detach()))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert np.allclose(history.train_loss[:5], losses, rtol=0, atol=1e-10)
    assert same_weights(model, twin) or all(torch.allclose(a, b, atol=1e-10)
                                            for a, b in zip(model.parameters(), twin.parameters(), strict=True))
