"""Property-based tests (hypothesis): any valid arguments give a valid result. Examples are few and
derandomized (the same examples on every run), so the suite stays fast and reproducible."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hlkit import arguments, data, models, probe, train

FAST = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
STATUSES = {"done", "early_stopped", "diverged"}   # "stopped" needs a caller's stop(); "running" never ends a run


@st.composite
def dataset_args(draw, max_points=2000):
    name = draw(st.sampled_from(sorted(data.GENERATORS)))
    allowed = data.GENERATORS[name][1]
    return dict(name=name, n_classes=draw(st.sampled_from(allowed)),
                n_points=draw(st.integers(10, max_points)),
                noise=draw(st.floats(0, 1)), train_ratio=draw(st.floats(0.1, 0.9)),
                seed=draw(st.integers(0, 2**32 - 1)))


@FAST
@given(dataset_args())
def test_any_valid_dataset_arguments_give_a_valid_dataset(args):
    d = data.make_dataset(args["name"], n_points=args["n_points"], noise=args["noise"], train_ratio=args["train_ratio"],
                          seed=args["seed"], n_classes=args["n_classes"])
    n, k = args["n_points"], args["n_classes"]
    n_train = min(max(int(round(args["train_ratio"] * n)), 1), n - 1)
    # every class is trained on, and tested when it has 2+ points (issue 14); where the plain shuffle's cut
    # would leave one out, the cut moves just enough: to at least one point per class, one test point per class
    counts = np.bincount(d.y, minlength=k)
    moved = min(max(n_train, int(np.sum(counts > 0))), n - int(np.sum(counts >= 2)))
    assert len(d.y_train) in (n_train, moved)
    n_train = len(d.y_train)
    assert set(d.y_train) == set(d.y) and set(np.flatnonzero(counts >= 2)) <= set(d.y_test)
    assert d.X_train.shape == (n_train, 2) and d.X_test.shape == (n - n_train, 2)
    assert d.y_train.shape == (n_train,) and d.y_test.shape == (n - n_train,)
    assert np.all(np.isfinite(d.X)) and d.X.dtype == np.float64
    assert d.y.dtype == np.int64 and d.y.min() >= 0 and d.y.max() < k and d.n_classes == k
    assert len(d.class_names) == k
    again = data.make_dataset(args["name"], n_points=n, noise=args["noise"], train_ratio=args["train_ratio"],
                              seed=args["seed"], n_classes=k)
    assert np.array_equal(d.X_train, again.X_train) and np.array_equal(d.y_test, again.y_test)


@FAST
@given(st.integers(4, 60).flatmap(lambda n: st.tuples(
    st.lists(st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=3), min_size=n, max_size=n),
    st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n).filter(lambda y: len(set(y)) >= 2))),
    st.floats(0.1, 0.9), st.integers(0, 2**32 - 1))
def test_from_arrays_keeps_every_row_with_its_label(rows_labels, train_ratio, seed):
    rows, labels = rows_labels
    X = np.array(rows)
    d = data.from_arrays(X, labels, train_ratio=train_ratio, seed=seed)
    assert len(d.y_train) + len(d.y_test) == len(labels) and len(d.y_train) >= 1 and len(d.y_test) >= 1
    assert d.class_names == tuple(sorted(set(labels)))
    original = sorted(zip(map(tuple, X), labels, strict=True))
    shuffled = sorted(zip(map(tuple, d.X), (d.class_names[c] for c in d.y), strict=True))
    assert original == shuffled


@st.composite
def mlp_args(draw):
    n_classes = draw(st.integers(2, 6))
    use_features = draw(st.booleans())
    features = draw(st.lists(st.sampled_from(list(models.FEATURES)), min_size=1, max_size=7, unique=True)) \
        if use_features else None
    return dict(hidden=draw(st.lists(st.integers(1, 16), max_size=4)),
                activation=draw(st.sampled_from(list(models.ACTIVATIONS))),
                n_classes=n_classes, features=features, seed=draw(st.integers(0, 2**63 - 1)))


@FAST
@given(mlp_args(), st.integers(1, 20))
def test_any_valid_mlp_has_the_formula_parameter_count_and_output_shape(args, batch):
    model = models.mlp(**args)
    n_in = len(args["features"]) if args["features"] else 2
    n_out = 1 if args["n_classes"] == 2 else args["n_classes"]
    sizes = [n_in, *args["hidden"], n_out]
    assert models.n_params(model) == sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    X = torch.as_tensor(np.random.default_rng(0).uniform(-6, 6, (batch, 2)))
    outs = model.layer_outputs(X)
    assert [tuple(o.shape) for o in outs] == [(batch, s) for s in sizes]
    assert torch.all(torch.isfinite(outs[-1]))
    assert models.build(model.spec).spec == model.spec


@FAST
@given(st.lists(st.integers(1, 16), min_size=1, max_size=4), st.sampled_from([8, 12, 16]), st.integers(2, 10))
def test_any_valid_cnn_maps_images_to_logits(channels, image_size, n_classes):
    channels = channels[:{8: 3, 12: 2, 16: 4}[image_size]]   # each block halves the image
    model = models.cnn(channels, image_size=image_size, n_classes=n_classes)
    out = model(torch.zeros(2, 1, image_size, image_size, dtype=torch.float64))
    assert tuple(out.shape) == (2, n_classes)


@st.composite
def training_args(draw):
    args = draw(dataset_args(max_points=80))
    options = dict(epochs=draw(st.integers(1, 5)), lr=draw(st.floats(1e-4, 100)),
                   optimizer=draw(st.sampled_from(train.OPTIMIZERS)),
                   batch_size=draw(st.none() | st.integers(1, 64)),
                   regularization=draw(st.sampled_from(train.REGULARIZATIONS)), reg_rate=draw(st.floats(0, 1)),
                   patience=draw(st.none() | st.integers(1, 3)), seed=draw(st.integers(0, 2**63 - 1)),
                   report_every=draw(st.integers(1, 3)))
    hidden = draw(st.lists(st.integers(1, 8), max_size=3))
    activation = draw(st.sampled_from(list(models.ACTIVATIONS)))
    return args, hidden, activation, options


@settings(FAST, max_examples=30)
@given(training_args())
def test_a_few_epochs_on_any_valid_settings_never_raise(settings_):
    args, hidden, activation, options = settings_
    d = data.make_dataset(args["name"], n_points=args["n_points"], noise=args["noise"],
                          train_ratio=args["train_ratio"], seed=args["seed"], n_classes=args["n_classes"])
    model = models.mlp(hidden, activation=activation, n_classes=args["n_classes"])
    threads = torch.get_num_threads()
    yields = list(train.training(model, d, **options))
    history = yields[-1]
    assert all(h is history for h in yields)        # one History, growing
    assert history.status in STATUSES and isinstance(history.message, str)
    lengths = {len(getattr(history, name)) for name in ("epoch", "train_loss", "test_loss", "train_acc", "test_acc",
                                                        "seconds")}
    assert len(lengths) == 1
    assert history.epoch[0] == 0 and all(np.diff(history.epoch) > 0) and history.epoch[-1] <= options["epochs"]
    if history.status == "done":
        assert history.epoch[-1] == options["epochs"] and history.message == ""
        assert all(np.isfinite(history.train_loss))
    if history.status == "diverged":
        assert "learning rate" in history.message
    if history.status == "early_stopped":
        assert options["patience"] is not None
    assert all(0 <= a <= 1 for a in history.train_acc + history.test_acc)
    assert torch.get_num_threads() == threads


@FAST
@given(mlp_args(), st.integers(2, 12), st.floats(0.5, 50))
def test_grid_probabilities_are_distributions(args, resolution, extent):
    g = probe.grid(models.mlp(**args), resolution=resolution, extent=extent)
    assert g.proba.shape == (resolution, resolution, args["n_classes"])
    assert np.all(g.proba >= 0) and np.allclose(g.proba.sum(axis=-1), 1)
    assert g.xs[0] == -extent and g.xs[-1] == extent


@FAST
@given(st.integers(-100, 100), st.integers(-50, 0), st.integers(0, 50))
def test_check_int_accepts_exactly_the_range(value, low, high):
    if low <= value <= high:
        assert arguments.check_int("v", value, low, high) == value
    else:
        try:
            arguments.check_int("v", value, low, high)
        except ValueError as err:
            assert str(err) == f"v must be an integer from {low} to {high}; got {value} instead"
        else:
            raise AssertionError("out-of-range value accepted")


# --- own data: CSV parsing and label encoding (issue 14) ---------------------------------------------------------

#: text labels: never numbers (no digits) and never "nan"/"inf" (no n, i), but with separators, quotes and newlines
TEXT_LABEL = st.text(alphabet="abcdefghjklm ,;|\t\"'\nXYZ-_é", min_size=1, max_size=6).filter(
    lambda s: s == s.strip() and s.strip())
INT_LABEL = st.integers(-(10**20), 10**20)


@st.composite
def csv_tables(draw):
    n = draw(st.integers(4, 25))
    n_features = draw(st.integers(1, 3))
    numeric = draw(st.booleans())
    pool = draw(st.lists(INT_LABEL if numeric else TEXT_LABEL, min_size=2, max_size=4, unique=True))
    labels = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n).filter(lambda ls: len(set(ls)) >= 2))
    # column 0 is the row number, so rows can be traced through the shuffle; the others any finite float
    rows = [[float(i)] + draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n_features - 1,
                                       max_size=n_features - 1)) for i in range(n)]
    spelled = [draw(st.sampled_from([str(v), f"{v}.0", f" {v} "])) if numeric else v for v in labels]
    return dict(rows=rows, labels=labels, spelled=spelled, numeric=numeric,
                delimiter=draw(st.sampled_from(data.DELIMITERS)),
                quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])),
                bom=draw(st.booleans()), newline=draw(st.sampled_from(["\n", "\r\n"])),
                blank_after=draw(st.sets(st.integers(0, n))), label_first=draw(st.booleans()))


def write_table(path, t) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=t["delimiter"], quoting=t["quoting"], lineterminator=t["newline"])
    n_features = len(t["rows"][0])
    header = [f"x{j}" for j in range(n_features)]
    header = ["label", *header] if t["label_first"] else [*header, "label"]
    writer.writerow(header)
    for i, (row, label) in enumerate(zip(t["rows"], t["spelled"], strict=True)):
        if i in t["blank_after"]:
            buffer.write(t["newline"])
        writer.writerow([label, *row] if t["label_first"] else [*row, label])
    path.write_bytes(("\ufeff" if t["bom"] else "").encode() + buffer.getvalue().encode("utf-8"))


@FAST
@given(csv_tables())
def test_any_csv_layout_reads_back_every_row_with_its_label(tmp_path_factory, t):
    path = tmp_path_factory.mktemp("csv") / "table.csv"
    write_table(path, t)
    for delimiter in (None, t["delimiter"]):          # detected, and given
        d = data.from_csv(path, label="label", delimiter=delimiter, train_ratio=0.5)
        expected_names = sorted({str(v) for v in t["labels"]}, key=int) if t["numeric"] else sorted(set(t["labels"]))
        assert list(d.class_names) == expected_names       # numbers in numeric order, text in text order
        assert sorted(d.X[:, 0]) == list(range(len(t["rows"])))   # every row once
        for x, code in zip(d.X, d.y, strict=True):
            i = int(x[0])
            assert list(x) == t["rows"][i]                 # the numbers exactly
            assert d.class_names[code] == str(t["labels"][i])   # "7", "7.0" and " 7 " are the class "7"
        assert set(d.y_train) == set(d.y)                  # every class is trained on


@st.composite
def label_columns(draw):
    """Labels of one kind in several spellings, each with the class it must end in (its canonical value)."""
    kind = draw(st.sampled_from(["int", "float", "numeric text", "mixed numbers", "text", "bool"]))
    if kind == "bool":
        values = draw(st.lists(st.booleans(), min_size=2, max_size=30))
        return kind, values, [str(v) for v in values]
    if kind == "text":
        values = draw(st.lists(TEXT_LABEL, min_size=2, max_size=30))
        return kind, values, values
    ints = draw(st.lists(INT_LABEL if kind != "float" else st.integers(-(2**60), 2**60), min_size=2, max_size=30))
    spell = {"int": lambda v: v, "float": float, "numeric text": lambda v: f"{v}.0",
             "mixed numbers": lambda v: draw(st.sampled_from([v, str(v), f"{v}.0", np.int64(v) if abs(v) < 2**62 else v]))}
    values = [spell[kind](v) for v in ints]
    return kind, values, [str(int(float(v)) if kind == "float" else v) for v in ints]


@FAST
@given(label_columns(), st.data())
def test_every_label_encoding_round_trips_and_a_missing_label_is_never_a_class(column, draw):
    kind, values, canonical = column
    y = np.empty(len(values), dtype=object)
    y[:] = values
    if kind in ("int", "bool"):
        y = np.array(values) if kind == "bool" or all(abs(v) < 2**62 for v in values) else y
    n_distinct = len(set(canonical))
    if n_distinct < 2:
        with pytest.raises(ValueError, match="must hold at least 2 classes"):
            data.encode_labels(y)
    elif n_distinct > data.MAX_OWN_CLASSES:
        with pytest.raises(ValueError, match=rf"may hold at most {data.MAX_OWN_CLASSES} classes .*; got {n_distinct} "):
            data.encode_labels(y)
    else:
        codes, names = data.encode_labels(y)
        assert [names[c] for c in codes] == canonical        # decoding gives each label's class back
        assert len(names) == n_distinct and codes.dtype == np.int64
        order = (lambda s: s == "True") if kind == "bool" else (int if kind != "text" else str)
        assert list(names) == sorted(names, key=order)      # numbers sort as numbers
    # NaN or None anywhere: refused, with the count, whatever else the column holds
    holes = draw.draw(st.sets(st.integers(0, len(values) - 1), min_size=1))
    spoiled = np.empty(len(values), dtype=object)
    spoiled[:] = [draw.draw(st.sampled_from([None, float("nan"), np.nan, "nan", "NaN"])) if i in holes else v
                  for i, v in enumerate(values)]
    with pytest.raises(ValueError, match=rf"got {len(holes)} missing labels .* the first at row {min(holes)}\."):
        data.encode_labels(spoiled)
