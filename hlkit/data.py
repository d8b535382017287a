"""Datasets: the Playground's 2-D toy problems (one name -> function table), your own data, the 8x8 digits.

Every 2-D set lives in the square [-6, 6] x [-6, 6], like TensorFlow Playground's, and is generated from
a local ``numpy.random.Generator``: the same seed gives the same points and the global RNG is untouched.
Labels are integers 0 .. n_classes-1.
"""

from __future__ import annotations

import array
import csv
import gzip
import itertools
import math
import numbers
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

import numpy as np

from .arguments import check_choice, check_float, check_int

DOMAIN = 6.0            # the plane shown by every plot: [-DOMAIN, DOMAIN] on both axes
MAX_POINTS = 20_000     # a toy set larger than this only slows the widget down
MAX_OWN_ROWS = 1_000_000
MAX_OWN_FEATURES = 10_000     # hl.mlp's largest n_inputs
MAX_OWN_VALUES = 25_000_000   # numbers in X: 200 MB as float64 (400 MB while a CSV's chunks are joined)
#: own data's class limit: viz.CLASS_COLORS has 10 distinct colours; more classes would share a colour
MAX_OWN_CLASSES = 10
#: own data's largest |value|: the square of anything larger overflows float64 (1.8e308): x1^2 features,
#: variances, the Playground's rescaling (a range of ±1e308 is infinite, and every point landed on (0, 0))
MAX_ABS_VALUE = 1e150
_WHY_MAX_ABS = "squares and ranges of larger numbers overflow 64-bit floats"
MAX_CSV_BYTES = 200 * 2**20   # 200 MB: far more than a teaching set needs, little enough to read in memory
MAX_LINE_CHARS = 1_000_000    # a CSV line: 10,001 columns of ~100 characters
MAX_RAW_LABELS = 1_000        # different label texts a CSV may hold before it is refused as a regression target
CSV_CHUNK_VALUES = 65_536     # cells parsed into numbers at once (memory: one chunk of text, ~6 MB at most)
DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class Dataset:
    """A train/test split. ``X_*`` has shape (n, n_features) (images: (n, 1, 8, 8)); ``y_*`` has shape (n,)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    name: str = "data"
    class_names: tuple = field(default=())

    @property
    def X(self) -> np.ndarray:
        """All points, train first, of shape (n_train + n_test, ...)."""
        return np.concatenate([self.X_train, self.X_test])

    @property
    def y(self) -> np.ndarray:
        return np.concatenate([self.y_train, self.y_test])

    @property
    def n_features(self) -> int:
        return int(np.prod(self.X_train.shape[1:]))

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}: {len(self.y_train)} train + {len(self.y_test)} test points, "
                f"{self.n_features} features, {self.n_classes} classes)")


# ---------------------------------------------------------------------------------------------------
# Generators. One signature: (n_points, noise, rng, n_classes) -> X of shape (n, 2), y of shape (n,).
# circle, xor, gauss and spiral follow TensorFlow Playground's dataset.ts; noise runs from 0 to 1
# (the Playground's slider shows 0-50 %, i.e. 0 to 0.5).

def _circle(n, noise, rng, n_classes):
    radius = 5.0
    n_in = n // 2
    r = np.concatenate([rng.uniform(0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n - n_in)])
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    jitter = rng.uniform(-radius, radius, (n, 2)) * noise
    # the label is decided by the jittered position, the point is drawn at the clean one (as the Playground)
    y = (np.linalg.norm(X + jitter, axis=1) < radius * 0.5).astype(np.int64)
    return X, y


def _xor(n, noise, rng, n_classes):
    X = rng.uniform(-5, 5, (n, 2))
    X += np.where(X > 0, 0.3, -0.3)  # a gap along both axes
    jitter = rng.uniform(-5, 5, (n, 2)) * noise
    shifted = X + jitter
    y = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return X, y


def _gauss(n, noise, rng, n_classes):
    return _blobs(n, noise, rng, 2, centers=np.array([[-2.0, -2.0], [2.0, 2.0]]))


def _blobs(n, noise, rng, n_classes, centers=None):
    if centers is None:
        angle = 2 * np.pi * np.arange(n_classes) / n_classes + np.pi / 4
        centers = 3.5 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    variance = 0.5 + 7.0 * noise  # the Playground maps noise 0..0.5 to variance 0.5..4
    y = np.arange(n) % n_classes
    X = centers[y] + rng.normal(0.0, np.sqrt(variance), (n, 2))
    return X, y.astype(np.int64)


def _spiral(n, noise, rng, n_classes):
    y = np.arange(n) % n_classes
    i = np.arange(n) // n_classes
    per_arm = -(-n // n_classes)
    r = i / per_arm * 5
    t = 1.75 * i / per_arm * 2 * np.pi + 2 * np.pi * y / n_classes
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + rng.uniform(-1, 1, (n, 2)) * noise
    return X, y.astype(np.int64)


def _moons(n, noise, rng, n_classes):
    n_top = n // 2
    t = np.concatenate([rng.uniform(0, np.pi, n_top), rng.uniform(0, np.pi, n - n_top)])
    y = np.concatenate([np.zeros(n_top), np.ones(n - n_top)]).astype(np.int64)
    X = np.where(y[:, None] == 0,
                 np.stack([np.cos(t), np.sin(t)], axis=1),
                 np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1))
    X = (X - [0.5, 0.25]) * 3.2 + rng.normal(0.0, 1.0, (n, 2)) * noise * 2
    return X, y


def _linear(n, noise, rng, n_classes):
    X = rng.uniform(-5, 5, (n, 2))
    normal = np.array([0.6, 0.8])               # the true boundary: 0.6 x1 + 0.8 x2 = 0
    margin = X @ normal
    X += np.where(margin > 0, 0.4, -0.4)[:, None] * normal   # a gap of 0.8 around the line
    jitter = rng.uniform(-5, 5, (n, 2)) * noise
    y = ((X + jitter) @ normal > 0).astype(np.int64)
    return X, y


#: name -> (generator, allowed numbers of classes, one-line description)
GENERATORS = {
    "circle": (_circle, (2,), "a disc of one class inside a ring of the other"),
    "xor": (_xor, (2,), "four quadrants, opposite ones share a class"),
    "gauss": (_gauss, (2,), "two Gaussian clouds"),
    "spiral": (_spiral, tuple(range(2, 7)), "interleaved spiral arms, one per class"),
    "moons": (_moons, (2,), "two interleaving half circles"),
    "linear": (_linear, (2,), "two classes split by a straight line"),
    "blobs": (_blobs, tuple(range(2, 9)), "k Gaussian clouds around a circle, one per class"),
}


def make_dataset(name: str = "circle", *, n_points: int = 500, noise: float = 0.0, train_ratio: float = 0.5,
                 seed: int = 0, n_classes: int = 2) -> Dataset:
    """Generate a 2-D toy dataset, shuffled and split into train and test points.

    name: one of ``GENERATORS`` ("circle", "xor", "gauss", "spiral", "moons", "linear", "blobs").
    n_points: total number of points, 10 to 20,000. noise: 0 (clean) to 1. train_ratio: share used
    for training, 0.1 to 0.9 (every class keeps a training and a test point: with very few points the
    cut moves by a few rows). n_classes: 2, or more for "spiral" (2-6 arms) and "blobs" (2-8).
    """
    name = check_choice("name", name, GENERATORS)
    n_points = check_int("n_points", n_points, 10, MAX_POINTS)
    noise = check_float("noise", noise, 0.0, 1.0)
    train_ratio = check_float("train_ratio", train_ratio, 0.1, 0.9)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    generator, allowed, _ = GENERATORS[name]
    n_classes = check_int("n_classes", n_classes)
    if n_classes not in allowed:
        raise ValueError(f"n_classes for {name!r} must be one of {list(allowed)}; got {n_classes} instead")
    rng = np.random.default_rng(seed)
    X, y = generator(n_points, noise, rng, n_classes)
    return _split(X.astype(np.float64), y, train_ratio, rng, n_classes, name, tuple(str(k) for k in range(n_classes)))


def _split(X, y, train_ratio, rng, n_classes, name, class_names) -> Dataset:
    """Shuffle with ``rng`` and cut at ``train_ratio``. Every class gets at least one training point and,
    when it has two or more points, at least one test point: where the plain shuffle would leave a class out
    (tiny or very unbalanced data), the split is drawn per class instead (stratified). Splits that already
    hold every class are the plain shuffle's, so the toy sets' and own data's usual splits are unchanged."""
    order = rng.permutation(len(y))
    n_train = int(round(train_ratio * len(y)))
    n_train = min(max(n_train, 1), len(y) - 1)
    counts = np.bincount(y, minlength=n_classes)
    in_train = np.bincount(y[order[:n_train]], minlength=n_classes)
    if np.any((counts > 0) & (in_train == 0)) or np.any((counts >= 2) & (in_train == counts)):
        is_train = _stratified(y, order, n_train, counts, leave_one=True)
        tr, te = order[is_train[order]], order[~is_train[order]]   # both keep the shuffled order
    else:
        tr, te = order[:n_train], order[n_train:]
    return Dataset(X[tr], y[tr], X[te], y[te], n_classes, name, class_names)


def _stratified(y, order, n_train, counts, *, leave_one: bool) -> np.ndarray:
    """A boolean mask of ``n_train`` rows: each class's share (largest remainders), at least one row per class
    (``leave_one``: and one row left out per class of two or more); within a class, ``order`` decides."""
    low = (counts > 0).astype(np.int64)
    high = np.where(counts >= 2, counts - 1, counts) if leave_one else counts
    n_train = min(max(n_train, int(low.sum())), int(high.sum()))
    exact = counts * n_train / counts.sum()
    take = np.clip(np.floor(exact).astype(np.int64), low, high)
    while take.sum() != n_train:   # at most n_classes steps: hand out (or take back) one point at a time
        room = (take < high) if take.sum() < n_train else (take > low)
        gap = (exact - take) if take.sum() < n_train else (take - exact)
        k = int(np.argmax(np.where(room, gap, -np.inf)))
        take[k] += 1 if take.sum() < n_train else -1
    rank = np.empty(len(y), dtype=np.int64)        # each row's position among its class in the shuffled order
    for k in np.flatnonzero(counts):
        rows = order[y[order] == k]
        rank[rows] = np.arange(len(rows))
    return rank < take[y]


def thin(y, max_points: int, *, seed: int = 0) -> np.ndarray:
    """Row indices (sorted) of at most ``max_points`` rows of labels ``y`` (shape (n,)), each class keeping
    its share (at least one row per class present): what a plot draws of a large dataset. All rows when
    ``len(y) <= max_points``. Seeded, so the same data always shows the same points."""
    y = np.asarray(y)
    max_points = check_int("max_points", max_points, 1, None)
    if len(y) <= max_points:
        return np.arange(len(y))
    classes, codes = np.unique(y, return_inverse=True)
    counts = np.bincount(codes, minlength=len(classes))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    return np.flatnonzero(_stratified(codes, order, max_points, counts, leave_one=False))


# ---------------------------------------------------------------------------------------------------
# Own data: arrays, labels, CSV files.

def from_arrays(X, y, *, train_ratio: float = 0.7, seed: int = 0, name: str = "own data") -> Dataset:
    """Your own data: ``X`` of shape (n_samples, n_features), ``y`` of shape (n_samples,) with class labels.

    Labels may be integers, integer-valued floats, text, or text that reads as integers ("0", "5.0",
    "10"); see ``encode_labels``: numbers are sorted as numbers, 1 and 1.0 are one class, a missing label
    (NaN, None) is refused. Rows are shuffled with ``seed`` and split by ``train_ratio``; every class keeps
    a training point, and a test point when it has two or more (the cut moves by a few rows only where the
    shuffle would leave a class out). At most ``MAX_OWN_ROWS`` rows, values within ±``MAX_ABS_VALUE``
    (``X`` is not copied when it already is float64), 2 to ``MAX_OWN_CLASSES`` classes.
    """
    train_ratio = check_float("train_ratio", train_ratio, 0.1, 0.9)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    if not isinstance(name, str):
        raise TypeError(f"name must be a string; got {name!r} ({type(name).__name__}) instead")
    try:
        X = np.asarray(X)
        if X.dtype.kind != "c":
            X = np.asarray(X, dtype=np.float64)   # no copy when X already is float64
    except (TypeError, ValueError, RuntimeError, OverflowError) as err:   # RuntimeError: a tensor that requires grad
        raise TypeError(f"X must be numbers of shape (n_samples, n_features); could not read it as numbers: {err}") from None
    if X.dtype.kind == "c":
        raise TypeError("X must be real numbers of shape (n_samples, n_features); got complex numbers")
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_samples, n_features); got shape {X.shape} instead")
    if y.ndim != 1:
        raise ValueError(f"y must have shape (n_samples,); got shape {y.shape} instead")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of rows; got {len(X)} rows in X and {len(y)} in y")
    if len(X) < 4:
        raise ValueError(f"X must have at least 4 rows (some to train on, some to test); got {len(X)}")
    if len(X) > MAX_OWN_ROWS:
        raise ValueError(f"X may have at most {MAX_OWN_ROWS:,} rows; got {len(X):,}")
    if X.shape[1] < 1:
        raise ValueError("X must have at least one feature column; got 0 columns")
    bad = ~np.isfinite(X)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"X must hold finite numbers; got {X[row, col]} at row {row}, column {col} "
                         f"({int(bad.sum())} non-finite values in all)")
    huge = np.abs(X) > MAX_ABS_VALUE
    if huge.any():
        row, col = np.argwhere(huge)[0]
        raise ValueError(f"X values must lie within ±{MAX_ABS_VALUE:g} ({_WHY_MAX_ABS}); got {X[row, col]:g} "
                         f"at row {row}, column {col} ({int(huge.sum())} such values). Divide X by a constant first")
    codes, class_names = encode_labels(y)
    rng = np.random.default_rng(seed)
    return _split(X, codes, train_ratio, rng, len(class_names), name, class_names)


def encode_labels(y, *, name: str = "y") -> tuple[np.ndarray, tuple[str, ...]]:
    """Class labels of shape (n,) -> (codes of shape (n,), int64 in 0..k-1, and the k class names).

    Integers, and floats or text that read as integers ("5", "5.0", "1e3"), are numbers: sorted as
    numbers, named by their integer ("5"), so 1, 1.0 and "1.0" are one class; any size (no int64 overflow).
    Other text is sorted as text; True/False are two classes. Refused, naming ``name``, the rule and a
    value: a missing label (NaN, None, pandas NA, the text "nan"), a fraction or infinity, a complex
    number, numbers mixed with text, other types, fewer than 2 or more than ``MAX_OWN_CLASSES`` classes.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must have shape (n_samples,); got shape {y.shape} instead")
    if y.dtype.kind == "c":
        raise TypeError(f"{name} must hold class labels (integers or text); got complex numbers such as "
                        f"{_show_values(y)}")
    if y.dtype.kind in "iub":
        raw, raw_codes = np.unique(y, return_inverse=True)
        kinds = ["bool" if y.dtype.kind == "b" else "number"] * len(raw)
        values = [bool(v) if y.dtype.kind == "b" else int(v) for v in raw]
        missing = np.zeros(len(raw), dtype=bool)
    elif y.dtype.kind == "f":
        missing_rows = np.isnan(y)
        if missing_rows.any():
            _refuse_missing(name, missing_rows)
        bad = ~np.isfinite(y) | (y != np.round(y))
        if bad.any():
            raise ValueError(f"{name} must hold class labels (integers or text); got non-integer numbers such as "
                             f"{y[bad][0]} at row {int(np.argmax(bad))} ({int(bad.sum())} in all; is {name} a "
                             "regression target?)")
        raw, raw_codes = np.unique(y, return_inverse=True)
        kinds, values, missing = ["number"] * len(raw), [int(v) for v in raw], np.zeros(len(raw), dtype=bool)
    elif y.dtype.kind in "USO":
        if y.dtype.kind == "O":
            index: dict = {}
            try:   # (is it a bool?, value) as key: True == 1 in Python, but they are different labels
                raw_codes = np.fromiter((index.setdefault((isinstance(v, (bool, np.bool_)), v), len(index))
                                         for v in y), dtype=np.int64, count=len(y))
            except TypeError:   # an unhashable label such as a list
                raise TypeError(f"{name} must hold class labels (integers or text); got "
                                f"{_show_values(y)}") from None
            raw = [v for _, v in index]
        else:
            raw, raw_codes = np.unique(y, return_inverse=True)
            raw = raw.tolist()
        kinds, values, missing = [], [], np.zeros(len(raw), dtype=bool)
        for i, value in enumerate(raw):
            kind, canonical = _label_kind(value, name)
            if kind == "missing":
                missing[i] = True
            kinds.append(kind)
            values.append(canonical)
        if missing.any():
            _refuse_missing(name, missing[raw_codes])
    else:
        raise TypeError(f"{name} must hold class labels (integers or text); got {y.dtype} values such as "
                        f"{_show_values(y)}")
    return _classes(kinds, values, raw_codes, name)


def _classes(kinds, values, raw_codes, name) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes and class names from the distinct raw labels (their kinds and canonical values) and each row's
    index into them; one kind only, 2 to ``MAX_OWN_CLASSES`` classes."""
    present = sorted(set(kinds))
    if len(present) > 1:
        plural = {"bool": "True/False", "number": "numbers", "text": "text"}
        examples = " and ".join(f"{plural[k]} such as {values[kinds.index(k)]!r}" for k in present)
        raise TypeError(f"{name} must hold class labels of one kind (all integers or all text); got {examples}")
    classes = sorted(set(values))
    if len(classes) < 2:
        raise ValueError(f"{name} must hold at least 2 classes to classify; got only {list(classes)}")
    if len(classes) > MAX_OWN_CLASSES:
        raise ValueError(f"{name} may hold at most {MAX_OWN_CLASSES} classes (the plots have {MAX_OWN_CLASSES} "
                         f"distinct class colours); got {len(classes):,} (is it a regression target?)")
    position = {c: k for k, c in enumerate(classes)}
    code_of_raw = np.array([position[v] for v in values], dtype=np.int64)
    return code_of_raw[raw_codes], tuple(str(c) for c in classes)


def _label_kind(value, name) -> tuple[str, object]:
    """("number", int) | ("text", str) | ("bool", bool) | ("missing", None) for one label, or raise."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise TypeError(f"{name} must hold class labels (integers or text); got bytes that are not "
                            f"UTF-8 text: {_show_values([value])}") from None
    if value is None or type(value).__name__ in ("NAType", "NaTType"):   # pandas' missing values
        return "missing", None
    if isinstance(value, (bool, np.bool_)):
        return "bool", bool(value)
    if isinstance(value, numbers.Integral):
        return "number", int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return "missing", None
        if not math.isfinite(number) or number != round(number):
            raise ValueError(f"{name} must hold class labels (integers or text); got non-integer numbers such as "
                             f"{value!r} (is {name} a regression target?)")
        return "number", int(number)
    if isinstance(value, numbers.Complex):
        raise TypeError(f"{name} must hold class labels (integers or text); got complex numbers such as {value!r}")
    if isinstance(value, str):
        kind, number = _as_number(value)
        if kind == "integer":
            return "number", number
        if kind == "other number":
            raise ValueError(f"{name} must hold class labels (integers or text); got non-integer numbers such as "
                             f"{value!r} (is {name} a regression target?)")
        return ("missing", None) if kind == "nan" else ("text", str(value))
    raise TypeError(f"{name} must hold class labels (integers or text); got a {type(value).__name__}: "
                    f"{_show_values([value])}")


def _as_number(text: str) -> tuple[str, int | None]:
    """What ``text`` spells: ("integer", its exact value: "9007199254740993.0" is that integer, not the nearest
    float), ("other number", None) for a fraction, an infinity or an integer of over 100 digits, ("nan", None),
    or ("text", None)."""
    try:
        return "integer", int(text)
    except ValueError:
        pass
    try:
        number = Decimal(text.strip())   # exact, and lazy: "1e999999999" is not expanded
    except InvalidOperation:
        return "text", None
    if number.is_nan():
        return "nan", None
    if number.is_finite() and number == number.to_integral_value() and number.adjusted() <= 100:
        return "integer", int(number)
    return "other number", None


def _refuse_missing(name, missing_rows) -> None:
    rows = np.flatnonzero(missing_rows)
    raise ValueError(f"{name} must hold a class label in every row; got {len(rows):,} missing labels (NaN, None "
                     f"or NA) of {len(missing_rows):,}, the first at row {rows[0]}. Drop those rows (from X too) "
                     "or give them a label: a missing label is never made a class")


def _show_values(values) -> str:
    text = repr(values[:5].tolist() if isinstance(values, np.ndarray) else list(values[:5]))
    return text if len(text) <= 60 else text[:57] + "..."


def from_csv(path, *, label: str | int = -1, train_ratio: float = 0.7, seed: int = 0,
             delimiter: str | None = None) -> Dataset:
    """Read your own data from a CSV file with a header row: numeric feature columns and one label column.

    label: the label column's name, or its index (default: the last column). delimiter: one of
    ``DELIMITERS`` (",", ";", tab, "|"), or None: detected from the first lines (the separator that splits
    each of them into the same number of columns, "," first); errors about the file's layout name it.
    Numbers need a decimal point ("1.5", not "1,5"). The limits ``MAX_CSV_BYTES``, ``MAX_LINE_CHARS``,
    ``MAX_OWN_FEATURES``, ``MAX_OWN_ROWS`` and ``MAX_OWN_VALUES`` are checked while reading, before the
    memory is spent. Labels: as ``from_arrays`` (see ``encode_labels``).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name (str or pathlib.Path); got {path!r} ({type(path).__name__}) instead")
    path = Path(path)
    train_ratio = check_float("train_ratio", train_ratio, 0.1, 0.9)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    if delimiter is not None:
        delimiter = check_choice("delimiter", delimiter, DELIMITERS)
    if not path.is_file():
        raise FileNotFoundError(f"path: no CSV file at {str(path)!r}")
    if path.stat().st_size > MAX_CSV_BYTES:
        raise ValueError(f"path: the CSV file {path.name!r} may be at most {MAX_CSV_BYTES:,} bytes; "
                         f"got {path.stat().st_size:,} bytes")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            X, codes, class_names = _read_csv(handle, repr(path.name), label, delimiter)
    except UnicodeDecodeError as err:
        raise ValueError(f"path: {path.name!r} is not a readable UTF-8 CSV text file ({err})") from None
    except csv.Error as err:
        raise ValueError(f"path: {path.name!r} is not a readable CSV file ({err})") from None
    return _split(X, codes, train_ratio, np.random.default_rng(seed), len(class_names), path.stem, class_names)


def _lines(handle, file: str):
    """The file's lines, each refused beyond ``MAX_LINE_CHARS`` before more of it is read."""
    number = 0
    while line := handle.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise ValueError(f"{file} line {number}: a line may be at most {MAX_LINE_CHARS:,} characters; "
                             "got a longer one (is this a CSV text file?)")
        yield line


def _detect_delimiter(sample: list[str]) -> str:
    """The separator that splits every sample line into the same number (> 1) of columns, the most columns
    winning and "," first among equals; else the one that splits the first line most, else ","."""
    best, best_width = None, 1
    for candidate in DELIMITERS:
        try:
            widths = {len(row) for row in csv.reader(sample, delimiter=candidate) if _filled(row)}
        except csv.Error:
            continue
        if len(widths) == 1 and (width := widths.pop()) > best_width:
            best, best_width = candidate, width
    if best is None:
        header = sample[0] if sample else ""
        best = max(DELIMITERS, key=lambda d: (header.count(d), d == ","))
    return best


def _filled(row) -> bool:
    return any(cell.strip() for cell in row)


def _read_csv(handle, file: str, label, delimiter):
    lines = _lines(handle, file)
    sample = list(itertools.islice(lines, 20))
    assumed = delimiter or _detect_delimiter(sample)
    shown = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}[assumed]
    how = f"separator {shown}" + (" (detected)" if delimiter is None else "")
    reader = csv.reader(itertools.chain(sample, lines), delimiter=assumed)
    header = None
    for row in reader:
        if _filled(row):
            header = [cell.strip() for cell in row]
            break
    if header is None:
        raise ValueError(f"the CSV file {file} must have a header row and data rows; got an empty file")
    if len(header) > MAX_OWN_FEATURES + 1:
        raise ValueError(f"the CSV file {file} may have at most {MAX_OWN_FEATURES + 1:,} columns (hl.mlp takes "
                         f"at most {MAX_OWN_FEATURES:,} inputs); got {len(header):,} in the header ({how})")
    if isinstance(label, str):
        if label not in header:
            raise ValueError(f"label must name a column of {file} ({', '.join(header)}; {how}); got {label!r}")
        if header.count(label) > 1:
            raise ValueError(f"label must name one column of {file}; got {label!r}, which names "
                             f"{header.count(label)} columns")
        label_at = header.index(label)
    else:
        label_at = check_int("label", label, -len(header), len(header) - 1) % len(header)
    features = [i for i in range(len(header)) if i != label_at]
    if not features:
        raise ValueError(f"the CSV file {file} needs at least one feature column besides the label; its header "
                         f"{header} has {len(header)} column with the {how}; pass delimiter= if that is wrong")
    column = f"the label column {header[label_at]!r} of {file}"
    parts, cells, lines_of, raw_codes = [], [], array.array("q"), array.array("q")
    raw_index: dict[str, int] = {}
    kinds, values = [], []
    n_rows, width = 0, len(header)
    max_rows = min(MAX_OWN_ROWS, MAX_OWN_VALUES // len(features))
    chunk_rows = max(1, CSV_CHUNK_VALUES // len(features))
    # the features of a row as one slice (C speed): the label is most often the last column
    pick = (lambda row: row[:-1]) if label_at == width - 1 else (lambda row: row[:label_at] + row[label_at + 1:])
    for row in reader:   # the hot loop: ~1 µs per row matters for a million rows
        if not (row and row[0].strip()) and not _filled(row):
            continue
        if len(row) != width:
            raise ValueError(f"{file} line {reader.line_num}: expected {width} columns like the header, got "
                             f"{len(row)} ({how})")
        n_rows += 1
        if n_rows > max_rows:
            raise ValueError(f"the CSV file {file} may have at most {MAX_OWN_ROWS:,} data rows and "
                             f"{MAX_OWN_VALUES:,} numbers; got more by line {reader.line_num} (refused before "
                             "reading on)")
        text = row[label_at].strip()
        code = raw_index.get(text)
        if code is None:
            code = _new_label(text, raw_index, kinds, values, column, file, header[label_at], reader.line_num)
        raw_codes.append(code)
        cells.append(pick(row))
        lines_of.append(reader.line_num)
        if len(cells) == chunk_rows:
            parts.append(_numbers(cells, lines_of, header, features, file))
            cells, lines_of = [], array.array("q")
    if cells:
        parts.append(_numbers(cells, lines_of, header, features, file))
    if n_rows < 4:
        raise ValueError(f"the CSV file {file} must have a header row and at least 4 data rows (some to train on, "
                         f"some to test); got {n_rows} data rows")
    X = np.concatenate(parts) if len(parts) > 1 else parts[0]
    del parts
    try:
        codes, class_names = _classes(kinds, values, np.frombuffer(raw_codes, dtype=np.int64), column)
    except TypeError as err:   # labels of two kinds: in a file, that is a bad value, not a bad argument type
        raise ValueError(str(err)) from None
    return X, codes, class_names


def _new_label(text, raw_index, kinds, values, column, file, label_name, line) -> int:
    """Register a label text seen for the first time (checked here, so its line can be named)."""
    if not text:
        raise ValueError(f"{file}: the label column {label_name!r} has an empty cell on line {line}")
    if len(raw_index) >= MAX_RAW_LABELS:
        raise ValueError(f"{column} may hold at most {MAX_OWN_CLASSES} classes; got more than {MAX_RAW_LABELS:,} "
                         f"different values by line {line} (is it a regression target or the wrong column?)")
    try:
        kind, value = _label_kind(text, column)
    except ValueError as err:
        raise ValueError(f"{err} (line {line})") from None
    if kind == "missing":
        raise ValueError(f"{column} must hold a class label in every row; got the missing value {text!r} on line "
                         f"{line}: a missing label is never made a class")
    raw_index[text] = len(raw_index)
    kinds.append(kind)
    values.append(value)
    return raw_index[text]


def _numbers(cells, lines_of, header, features, file) -> np.ndarray:
    """Text cells (rows of the feature columns) -> float64 array, or an error naming the line, column and cell."""
    try:
        X = np.array(cells, dtype=np.float64)
    except ValueError:
        X = None
    if X is not None:
        bad = ~np.isfinite(X) | (np.abs(X) > MAX_ABS_VALUE)
        if not bad.any():
            return X
    for r, row in enumerate(cells):   # the slow way, only to find and name the first bad cell
        for c, cell in enumerate(row):
            cell = cell.strip()
            where = f"{file} line {lines_of[r]}, column {header[features[c]]!r}"
            try:
                value = float(cell)
            except ValueError:
                if not cell:
                    raise ValueError(f"{where} is empty (missing value)") from None
                hint = " (numbers need a decimal point: 1.5, not 1,5)" if re.fullmatch(r"[+-]?\d*,\d+", cell) else ""
                raise ValueError(f"{where} is not a number: {cell!r}{hint}") from None
            if math.isnan(value) or (math.isinf(value) and "inf" in cell.lower()):
                raise ValueError(f"{where} is not a finite number: {cell!r}")
            if math.isinf(value):
                raise ValueError(f"{where} is beyond the largest 64-bit float (±1.8e308): {cell!r}")
            if abs(value) > MAX_ABS_VALUE:
                raise ValueError(f"{where} must lie within ±{MAX_ABS_VALUE:g} ({_WHY_MAX_ABS}); got {cell!r}")
    return np.array([[float(cell) for cell in row] for row in cells])   # numpy refused a form Python reads ("1_0")


def load_digits(*, train_ratio: float = 0.8, seed: int = 0) -> Dataset:
    """The 1,797 handwritten 8x8 digit images shipped with hlkit (UCI, CC BY 4.0).

    ``X_*`` has shape (n, 1, 8, 8) with pixels scaled to 0..1; ``y_*`` holds the digit 0-9.
    """
    train_ratio = check_float("train_ratio", train_ratio, 0.1, 0.9)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    raw = resources.files("hlkit").joinpath("_data/digits.csv.gz").read_bytes()
    table = np.loadtxt(gzip.decompress(raw).decode().splitlines(), delimiter=",")
    X = (table[:, :64] / 16.0).reshape(-1, 1, 8, 8)
    y = table[:, 64].astype(np.int64)
    return _split(X, y, train_ratio, np.random.default_rng(seed), 10, "digits", tuple(str(d) for d in range(10)))
