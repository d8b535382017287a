"""Datasets: the Playground's 2-D toy problems (one name -> function table), your own data, the 8x8 digits.

Every 2-D set lives in the square [-6, 6] x [-6, 6], like TensorFlow Playground's, and is generated from
a local ``numpy.random.Generator``: the same seed gives the same points and the global RNG is untouched.
Labels are integers 0 .. n_classes-1.
"""

from __future__ import annotations

import csv
import gzip
import math
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .validate import check_choice, check_float, check_int

DOMAIN = 6.0            # the plane shown by every plot: [-DOMAIN, DOMAIN] on both axes
MAX_POINTS = 20_000     # a toy set larger than this only slows the widget down
MAX_OWN_ROWS = 1_000_000
MAX_CSV_BYTES = 200 * 2**20   # 200 MB: far more than a teaching set needs, little enough to read in memory


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
    for training, 0.1 to 0.9. n_classes: 2, or more for "spiral" (2-6 arms) and "blobs" (2-8).
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
    order = rng.permutation(len(y))
    n_train = int(round(train_ratio * len(y)))
    n_train = min(max(n_train, 1), len(y) - 1)
    tr, te = order[:n_train], order[n_train:]
    return Dataset(X[tr], y[tr], X[te], y[te], n_classes, name, class_names)


def from_arrays(X, y, *, train_ratio: float = 0.7, seed: int = 0, name: str = "own data") -> Dataset:
    """Your own data: ``X`` of shape (n_samples, n_features), ``y`` of shape (n_samples,) with class labels.

    Labels may be any integers or strings; they are mapped to 0 .. k-1 in sorted order and kept in
    ``class_names``. Rows are shuffled with ``seed`` and split by ``train_ratio``.
    """
    train_ratio = check_float("train_ratio", train_ratio, 0.1, 0.9)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    if not isinstance(name, str):
        raise TypeError(f"name must be a string; got {name!r} ({type(name).__name__}) instead")
    try:
        X = np.asarray(X)
        if X.dtype.kind != "c":
            X = X.astype(np.float64)
    except (TypeError, ValueError, RuntimeError) as err:   # RuntimeError: a torch tensor that requires grad
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
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise ValueError("y must hold class labels (integers or strings); got non-integer numbers such as "
                             f"{y[~np.isfinite(y) | (y != np.round(y))][0]}")
        y = y.astype(np.int64)
    try:
        classes, codes = np.unique(y, return_inverse=True)
    except TypeError:  # e.g. None mixed with numbers: labels that cannot be sorted
        raise TypeError(f"y must hold class labels (integers or strings) of one kind; got {_show_values(y)}") from None
    if len(classes) < 2:
        raise ValueError(f"y must hold at least 2 classes to classify; got only {classes.tolist()}")
    if len(classes) > 100:
        raise ValueError(f"y may hold at most 100 classes; got {len(classes)} (is y a regression target?)")
    rng = np.random.default_rng(seed)
    return _split(X, codes.astype(np.int64), train_ratio, rng, len(classes), name,
                  tuple(str(c) for c in classes))


def _show_values(values) -> str:
    text = repr(list(values[:5]))
    return text if len(text) <= 60 else text[:57] + "..."


def from_csv(path, *, label: str | int = -1, train_ratio: float = 0.7, seed: int = 0) -> Dataset:
    """Read your own data from a CSV file with a header row: numeric feature columns and one label column.

    label: the label column's name, or its index (default: the last column).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name (str or pathlib.Path); got {path!r} ({type(path).__name__}) instead")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: no CSV file at {str(path)!r}")
    if path.stat().st_size > MAX_CSV_BYTES:
        raise ValueError(f"path: the CSV file {path.name!r} may be at most {MAX_CSV_BYTES:,} bytes; "
                         f"got {path.stat().st_size:,} bytes")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    except (UnicodeDecodeError, csv.Error) as err:
        raise ValueError(f"path: {path.name!r} is not a readable UTF-8 CSV text file ({err})") from None
    if len(rows) < 2:
        raise ValueError(f"the CSV file {path.name!r} must have a header row and data rows; got {len(rows)} rows")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    if isinstance(label, str):
        if label not in header:
            raise ValueError(f"label must name a column of {path.name!r} ({', '.join(header)}); got {label!r}")
        label_at = header.index(label)
    else:
        label_at = check_int("label", label, -len(header), len(header) - 1) % len(header)
    features = [i for i in range(len(header)) if i != label_at]
    if not features:
        raise ValueError(f"the CSV file {path.name!r} needs at least one feature column besides the label")
    X = np.empty((len(body), len(features)))
    for r, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ValueError(f"{path.name!r} line {r}: expected {len(header)} columns like the header, got {len(row)}")
        for c, i in enumerate(features):
            cell = row[i].strip()
            try:
                X[r - 2, c] = float(cell)
            except ValueError:
                what = "is empty (missing value)" if not cell else f"is not a number: {cell!r}"
                raise ValueError(f"{path.name!r} line {r}, column {header[i]!r} {what}") from None
            if not math.isfinite(X[r - 2, c]):
                raise ValueError(f"{path.name!r} line {r}, column {header[i]!r} is not a finite number: {cell!r}")
    y = np.array([row[label_at].strip() for row in body])
    if np.any(y == ""):
        raise ValueError(f"{path.name!r}: the label column {header[label_at]!r} has an empty cell "
                         f"on line {int(np.argmax(y == '')) + 2}")
    try:  # numeric labels sort as numbers, not as text
        y = y.astype(np.int64)
    except ValueError:
        pass
    return from_arrays(X, y, train_ratio=train_ratio, seed=seed, name=path.stem)


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
