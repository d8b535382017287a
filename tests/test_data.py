"""hlkit.data: the toy generators, own data (arrays and CSV files) and the digits."""

from __future__ import annotations

import numpy as np
import pytest

from hlkit import data

#: every (name, n_classes) pair at the ends of each generator's allowed range
SETS = [(name, k) for name, (_, allowed, _) in data.GENERATORS.items() for k in sorted({allowed[0], allowed[-1]})]


def same_dataset(a: data.Dataset, b: data.Dataset) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("X_train", "y_train", "X_test", "y_test"))


# --- generators ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,k", SETS)
@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_generator_shapes_labels_balance_domain(name, k, noise):
    n = 600
    d = data.make_dataset(name, n_points=n, noise=noise, n_classes=k, seed=3)
    assert d.X_train.shape == (n // 2, 2) and d.X_test.shape == (n - n // 2, 2)
    assert d.y_train.shape == (n // 2,) and d.y_test.shape == (n - n // 2,)
    assert d.X_train.dtype == np.float64 and d.y_train.dtype == np.int64
    assert d.n_classes == k and d.name == name and d.class_names == tuple(str(c) for c in range(k))
    assert d.n_features == 2 and d.X.shape == (n, 2) and d.y.shape == (n,)
    assert np.all(np.isfinite(d.X))
    assert set(np.unique(d.y)) == set(range(k))            # labels 0..k-1, every class present
    share = np.bincount(d.y, minlength=k) / (n / k)
    assert share.min() >= 0.6 and share.max() <= 1.4, share  # balanced-ish
    inside = np.mean(np.all(np.abs(d.X) <= data.DOMAIN, axis=1))
    assert inside >= 0.97                                    # points live on the plotted plane


@pytest.mark.parametrize("name,k", SETS)
def test_same_seed_same_points_other_seed_other_points(name, k):
    a = data.make_dataset(name, n_points=200, noise=0.1, n_classes=k, seed=7)
    b = data.make_dataset(name, n_points=200, noise=0.1, n_classes=k, seed=7)
    c = data.make_dataset(name, n_points=200, noise=0.1, n_classes=k, seed=8)
    assert same_dataset(a, b)
    assert not np.array_equal(a.X_train, c.X_train)


@pytest.mark.parametrize("name,k", SETS)
def test_global_numpy_rng_untouched(name, k):
    np.random.seed(1234)
    before = np.random.get_state()
    data.make_dataset(name, n_points=100, noise=0.3, n_classes=k)
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


@pytest.mark.parametrize("n_points", [10, 11, 501, 2000])
@pytest.mark.parametrize("train_ratio", [0.1, 0.33, 0.5, 0.9])
def test_train_ratio_split_sizes(n_points, train_ratio):
    d = data.make_dataset("xor", n_points=n_points, train_ratio=train_ratio)
    expected = min(max(int(round(train_ratio * n_points)), 1), n_points - 1)
    assert len(d.y_train) == expected and len(d.y_test) == n_points - expected
    # the split is a partition: no point is in both parts
    rows = {tuple(r) for r in d.X}
    assert len(rows) == n_points


def test_circle_without_noise_follows_the_geometric_rule():
    d = data.make_dataset("circle", n_points=1000, noise=0)
    radius = np.linalg.norm(d.X, axis=1)
    np.testing.assert_array_equal(d.y, (radius < 2.5).astype(int))
    # a ring gap separates the classes: inner disc up to 2.5, outer ring from 3.5 to 5
    assert radius[d.y == 1].max() < 2.5 and radius[d.y == 0].min() >= 3.5 and radius.max() <= 5


def test_xor_without_noise_follows_the_sign_rule():
    d = data.make_dataset("xor", n_points=1000, noise=0)
    np.testing.assert_array_equal(d.y, (d.X[:, 0] * d.X[:, 1] >= 0).astype(int))


def test_gauss_without_noise_is_nearest_center():
    d = data.make_dataset("gauss", n_points=1000, noise=0)
    nearest = (np.linalg.norm(d.X - 2, axis=1) < np.linalg.norm(d.X + 2, axis=1)).astype(int)
    assert np.mean(nearest == d.y) >= 0.99


def perceptron_separates(X, y, max_epochs=200) -> bool:
    """Rosenblatt's perceptron: converges to zero errors in finitely many steps iff the data are separable."""
    Xb = np.column_stack([X, np.ones(len(X))])
    s = 2 * y - 1
    w = np.zeros(3)
    for _ in range(max_epochs):
        mistakes = 0
        for xi, si in zip(Xb, s, strict=True):
            if si * (xi @ w) <= 0:
                w += si * xi
                mistakes += 1
        if mistakes == 0:
            return True
    return False


def test_linear_set_is_linearly_separable_and_xor_is_not():
    lin = data.make_dataset("linear", n_points=400, noise=0)
    assert perceptron_separates(lin.X, lin.y)
    # the perceptron test itself can fail: xor has no separating line
    xor = data.make_dataset("xor", n_points=400, noise=0)
    assert not perceptron_separates(xor.X, xor.y, max_epochs=20)


def test_multi_class_generators_use_every_class():
    for k in range(2, 7):
        d = data.make_dataset("spiral", n_points=60, n_classes=k)
        assert np.array_equal(np.bincount(d.y), np.full(k, 60 // k) + (np.arange(k) < 60 % k))


def test_dataset_repr_says_sizes():
    d = data.make_dataset("moons", n_points=100)
    assert repr(d) == "Dataset('moons': 50 train + 50 test points, 2 features, 2 classes)"


# --- own data: from_arrays ------------------------------------------------------------------------------------

def labelled_rows(n=40):
    """X whose first column is the row number, so every row can be traced after the shuffle."""
    X = np.column_stack([np.arange(n), np.arange(n) ** 2]).astype(float)
    y = np.array(["dog", "cat", "emu", "cat"] * (n // 4))
    return X, y


def test_from_arrays_string_labels_map_to_sorted_codes():
    X, y = labelled_rows()
    d = data.from_arrays(X, y, train_ratio=0.75, seed=2)
    assert d.class_names == ("cat", "dog", "emu") and d.n_classes == 3
    assert len(d.y_train) == 30 and len(d.y_test) == 10
    for rows, codes in ((d.X_train, d.y_train), (d.X_test, d.y_test)):
        for row, code in zip(rows, codes, strict=True):
            assert d.class_names[code] == y[int(row[0])]
            assert row[1] == row[0] ** 2
    assert sorted(d.X[:, 0]) == list(range(40))   # every row once


def test_from_arrays_integer_and_float_labels():
    X, _ = labelled_rows(20)
    d = data.from_arrays(X, np.array([7, 3] * 10))
    assert d.class_names == ("3", "7")
    for row, code in zip(d.X, d.y, strict=True):
        assert (7, 3)[int(row[0]) % 2] == int(d.class_names[code])
    assert data.from_arrays(X, np.array([1.0, 0.0] * 10)).class_names == ("0", "1")


def test_from_arrays_is_seeded():
    X, y = labelled_rows()
    assert same_dataset(data.from_arrays(X, y, seed=5), data.from_arrays(X, y, seed=5))
    assert not np.array_equal(data.from_arrays(X, y, seed=5).X_train, data.from_arrays(X, y, seed=6).X_train)


# --- own data: from_csv ---------------------------------------------------------------------------------------

def write(tmp_path, text, name="plants.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = "width,height,kind\n1.5,2,rose\n2.5,3,tulip\n3.5,4,rose\n4.5,5,tulip\n5.5,6,rose\n6.5,7,tulip\n"


def test_from_csv_good_file(tmp_path):
    d = data.from_csv(write(tmp_path, GOOD), train_ratio=0.5)
    assert d.name == "plants" and d.class_names == ("rose", "tulip") and d.n_features == 2
    assert len(d.y_train) == 3 and len(d.y_test) == 3
    for (w, h), code in zip(d.X, d.y, strict=True):
        assert h == w + 0.5
        assert d.class_names[code] == ("rose" if int(w) % 2 == 1 else "tulip")


@pytest.mark.parametrize("label", ["kind", -1, 2])
def test_from_csv_label_by_name_or_index(tmp_path, label):
    d = data.from_csv(write(tmp_path, GOOD), label=label, seed=1)
    assert same_dataset(d, data.from_csv(write(tmp_path, GOOD), seed=1))


def test_from_csv_label_in_the_middle(tmp_path):
    text = "a,label,b\n1,x,10\n2,y,20\n3,x,30\n4,y,40\n"
    for label in ("label", 1, -2):
        d = data.from_csv(write(tmp_path, text), label=label)
        np.testing.assert_array_equal(d.X[:, 1], 10 * d.X[:, 0])   # the two feature columns, label removed
        assert [d.class_names[c] for c in d.y] == ["x" if a % 2 else "y" for a in d.X[:, 0]]


def test_from_csv_numeric_labels_sort_as_numbers_and_bom_is_ignored(tmp_path):
    path = tmp_path / "n.csv"
    path.write_bytes("\ufeffa,b\n1,10\n2,9\n3,10\n4,9\n5,10\n".encode())
    d = data.from_csv(path, label="b")
    assert d.class_names == ("9", "10")


@pytest.mark.parametrize("text,match", [
    ("a,b,c\n1,,x\n2,3,y\n3,4,x\n4,5,y\n", r"line 2, column 'b' is empty \(missing value\)"),
    ("a,b,c\n1,2,x\n2,abc,y\n3,4,x\n4,5,y\n", r"line 3, column 'b' is not a number: 'abc'"),
    ("a,b,c\n1,2,x\n2,3,y\n3,x\n4,5,y\n", r"line 4: expected 3 columns like the header, got 2"),
    ("a,b,c\n1,2,x\n2,3,y\n3,4,x\n4,5,y,9\n", r"line 5: expected 3 columns like the header, got 4"),
    ("a,b,c\n1,2,x\n2,3,\n3,4,x\n4,5,y\n", r"label column 'c' has an empty cell on line 3"),
    ("a,b,c\n1,nan,x\n2,3,y\n3,4,x\n4,5,y\n", r"line 2, column 'b' is not a finite number: 'nan'"),
    ("a,b,c\n1,2,x\n2,inf,y\n3,4,x\n4,5,y\n", r"line 3, column 'b' is not a finite number: 'inf'"),
    ("a,b,c\n", r"must have a header row and data rows; got 1 rows"),
    ("", r"must have a header row and data rows; got 0 rows"),
    ("c\nx\ny\n", r"needs at least one feature column besides the label"),
    ("a,b,c\n1,2,x\n2,3,x\n3,4,x\n4,5,x\n", r"y must hold at least 2 classes to classify; got only \['x'\]"),
    ("a,b,c\n1,2,x\n2,3,y\n", r"X must have at least 4 rows"),
])
def test_from_csv_bad_files(tmp_path, text, match):
    with pytest.raises(ValueError, match=match) as err:
        data.from_csv(write(tmp_path, text, "bad.csv"))
    if "line" in match:
        assert "'bad.csv'" in str(err.value)   # the message names the file


def test_from_csv_bad_label_argument(tmp_path):
    path = write(tmp_path, GOOD)
    with pytest.raises(ValueError, match=r"label must name a column of 'plants.csv' \(width, height, kind\); got 'colour'"):
        data.from_csv(path, label="colour")
    with pytest.raises(ValueError, match=r"label must be an integer from -3 to 2; got 3"):
        data.from_csv(path, label=3)
    with pytest.raises(TypeError, match=r"label must be an integer from -3 to 2; got 1.0 \(float\)"):
        data.from_csv(path, label=1.0)


def test_from_csv_missing_file_and_bad_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"path: no CSV file at .*nowhere.csv"):
        data.from_csv(tmp_path / "nowhere.csv")
    with pytest.raises(FileNotFoundError, match=r"path: no CSV file"):
        data.from_csv(tmp_path)                      # a folder is not a file
    with pytest.raises(TypeError, match=r"path must be a file name \(str or pathlib.Path\); got 5 \(int\)"):
        data.from_csv(5)


def test_from_csv_binary_file(tmp_path):
    path = tmp_path / "image.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ValueError, match=r"path: 'image.csv' is not a readable UTF-8 CSV text file"):
        data.from_csv(path)


def test_from_csv_refuses_a_huge_file_before_reading(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD)
    monkeypatch.setattr(data, "MAX_CSV_BYTES", 10)    # the limit, not a 200 MB file, is what is tested
    with pytest.raises(ValueError, match=rf"path: the CSV file 'plants.csv' may be at most 10 bytes; "
                                         rf"got {path.stat().st_size:,} bytes"):
        data.from_csv(path)


# --- digits ---------------------------------------------------------------------------------------------------

def test_load_digits():
    d = data.load_digits()
    n = 1797
    n_train = int(round(0.8 * n))
    assert d.X_train.shape == (n_train, 1, 8, 8) and d.X_test.shape == (n - n_train, 1, 8, 8)
    assert d.y_train.shape == (n_train,) and d.n_features == 64
    assert d.X.min() == 0.0 and d.X.max() == 1.0
    assert set(np.unique(d.y)) == set(range(10)) and d.n_classes == 10
    assert d.class_names == tuple(str(k) for k in range(10))
    # pixels were integers 0..16 divided by 16
    np.testing.assert_array_equal(d.X * 16, np.round(d.X * 16))
    assert np.bincount(d.y).min() >= 170
    assert same_dataset(d, data.load_digits())
    other = data.load_digits(train_ratio=0.5, seed=3)
    assert len(other.y_train) == int(round(0.5 * n)) and not np.array_equal(other.y_train[:50], d.y_train[:50])
