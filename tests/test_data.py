"""hlkit.data: the toy generators, own data (arrays and CSV files) and the digits."""

from __future__ import annotations

import re

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
    # round(ratio * n), but each of the 2 classes keeps a training and a test point (issue 14: with 10 points at
    # 0.1 a single training point left a class out of training): at least 2 and at most n - 2
    expected = min(max(int(round(train_ratio * n_points)), 2), n_points - 2)
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
    ("a,b,c\n", r"must have a header row and at least 4 data rows \(some to train on, some to test\); got 0"),
    ("", r"must have a header row and data rows; got an empty file"),
    ("\n \n\n", r"must have a header row and data rows; got an empty file"),
    ("c\nx\ny\n", r"needs at least one feature column besides the label; its header \['c'\] has 1 column with "
                  r"the separator ',' \(detected\); pass delimiter= if that is wrong"),
    ("a,b,c\n1,2,x\n2,3,x\n3,4,x\n4,5,x\n",
     r"the label column 'c' of 'bad.csv' must hold at least 2 classes to classify; got only \['x'\]"),
    ("a,b,c\n1,2,x\n2,3,y\n", r"must have a header row and at least 4 data rows .*; got 2 data rows"),
    # issue 14: what used to be silently wrong or unclear
    ("a;b;c\n1,5;2;x\n2;3;y\n3;4;x\n4;5;y\n",
     r"line 2, column 'a' is not a number: '1,5' \(numbers need a decimal point: 1.5, not 1,5\)"),
    ("a,b,c\n1,1e400,x\n2,3,y\n3,4,x\n4,5,y\n", r"line 2, column 'b' is beyond the largest 64-bit float "
                                                   r"\(±1.8e308\): '1e400'"),
    ("a,b,c\n1,2,x\n2,3,y\n3,-1e200,x\n4,5,y\n", r"line 4, column 'b' must lie within ±1e\+150 \(squares and "
                                                    r"ranges of larger numbers overflow 64-bit floats\); got '-1e200'"),
    ("a,b,c\n1,2,x\n2,3,NaN\n3,4,x\n4,5,y\n", r"the label column 'c' of 'bad.csv' must hold a class label in every "
                                               r"row; got the missing value 'NaN' on line 3"),
    ("a,b,c\n1,2,0\n2,3,1\n3,4,0.5\n4,5,1\n", r"the label column 'c' of 'bad.csv' must hold class labels "
                                               r"\(integers or text\); got non-integer numbers such as '0.5'.*\(line 4\)"),
    ("a,b,c\n1,2,0\n2,3,1\n3,4,cat\n4,5,1\n", r"the label column 'c' of 'bad.csv' must hold class labels of one "
                                               r"kind \(all integers or all text\); got numbers such as 0 and text "
                                               r"such as 'cat'"),
    ("a,b,c\n\n1,2,x\n\n2,3\n3,4,x\n4,5,y\n", r"line 5: expected 3 columns like the header, got 2 \(separator "
                                            r"',' \(detected\)\)"),   # the file's own line number, blank lines too
    ('a,b,c\n1,2,"two\nlines"\n2,x,y\n3,4,x\n4,5,y\n', r"line 4, column 'b' is not a number: 'x'"),
])
def test_from_csv_bad_files(tmp_path, text, match):
    with pytest.raises(ValueError, match=match) as err:
        data.from_csv(write(tmp_path, text, "bad.csv"))
    if "line" in match:
        assert "'bad.csv'" in str(err.value)   # the message names the file


def test_from_csv_bad_label_argument(tmp_path):
    path = write(tmp_path, GOOD)
    with pytest.raises(ValueError, match=r"label must name a column of 'plants.csv' \(width, height, kind; separator "
                                         r"',' \(detected\)\); got 'colour'"):
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


# --- own data: labels (issue 14: silently wrong before) ---------------------------------------------------------

X40 = np.column_stack([np.arange(40.0), np.zeros(40)])


def names_of(d: data.Dataset, X=X40) -> list:
    """The class name of each original row (rows traced by their first column)."""
    by_row = {int(row[0]): d.class_names[code] for row, code in zip(d.X, d.y, strict=True)}
    return [by_row[i] for i in range(len(X))]


@pytest.mark.parametrize("labels,names,codes", [
    (["0.0", "5.0", "10.0", "5.0"], ("0", "5", "10"), [0, 1, 2, 1]),         # numeric text sorts as numbers
    (np.array([0.0, 5.0, 10.0, 5.0]), ("0", "5", "10"), [0, 1, 2, 1]),
    (["1", "1.0", "2", "1e0"], ("1", "2"), [0, 0, 1, 0]),                    # 1 and 1.0 are one class
    (np.array([1, 1.0, "2", 2], dtype=object), ("1", "2"), [0, 0, 1, 1]),
    (np.array([1e19, 2e19, 1e19, -2e19]), ("-20000000000000000000", "10000000000000000000",
                                          "20000000000000000000"), [1, 2, 1, 0]),   # beyond int64: no overflow
    (np.array([10**30, -(10**30), 10**30 + 1, 7], dtype=object),
     ("-1000000000000000000000000000000", "7", "1000000000000000000000000000000", "1000000000000000000000000000001"),
     [2, 0, 3, 1]),
    (np.array([-3, 2, -3, 11], dtype=np.int8), ("-3", "2", "11"), [0, 1, 0, 2]),
    (np.array([3, 2, 3, 2], dtype=np.uint64), ("2", "3"), [1, 0, 1, 0]),
    (np.array([True, False, True, True]), ("False", "True"), [1, 0, 1, 1]),
    (np.array([b"cat", b"dog", b"cat", b"cat"]), ("cat", "dog"), [0, 1, 0, 0]),
    (np.array(["b", "a", "b", "c"], dtype=object), ("a", "b", "c"), [1, 0, 1, 2]),
    (np.array(["cat", "Cat", "cat ", "cat"]), ("Cat", "cat", "cat "), [1, 0, 2, 1]),   # text is text, exactly
])
def test_labels_are_encoded_by_value(labels, names, codes):
    y = np.concatenate([np.asarray(labels, dtype=getattr(labels, "dtype", None))] * 10)
    d = data.from_arrays(X40, y, seed=3)
    assert d.class_names == names and d.n_classes == len(names)
    got, class_names = data.encode_labels(y)
    assert class_names == names and got.dtype == np.int64 and list(got) == codes * 10
    assert names_of(d) == [names[c] for c in codes * 10]     # every row keeps its own label's class


@pytest.mark.parametrize("labels,error,match", [
    (np.array(["a", np.nan] * 20, dtype=object), ValueError,
     r"y must hold a class label in every row; got 20 missing labels \(NaN, None or NA\) of 40, the first at row 1"),
    (np.array([None, "a", "b", "a"] * 10, dtype=object), ValueError, r"got 10 missing labels .* the first at row 0"),
    (np.array(["a", "nan", "b", "a"] * 10), ValueError, r"got 10 missing labels"),
    (np.array([1.0, np.nan, 2.0, 1.0] * 10), ValueError, r"got 10 missing labels .* the first at row 1"),
    (np.array([1 + 1j, 2] * 20), TypeError, r"y must hold class labels \(integers or text\); got complex numbers"),
    (np.array([1 + 1j, "a"] * 20, dtype=object), TypeError, r"got complex numbers such as \(1\+1j\)"),
    (np.array([1, "a"] * 20, dtype=object), TypeError,
     r"y must hold class labels of one kind \(all integers or all text\); got numbers such as 1 and text such as 'a'"),
    (np.array([True, 1] * 20, dtype=object), TypeError, r"got True/False such as True and numbers such as 1"),
    (np.array([0.5, 1.0] * 20), ValueError, r"got non-integer numbers such as 0.5 at row 0 \(20 in all"),
    (np.array(["0.5", "1"] * 20), ValueError, r"got non-integer numbers such as '0.5'"),
    (np.array([np.inf, 1.0] * 20), ValueError, r"got non-integer numbers such as inf"),
    (np.array([[1], "a"] * 20, dtype=object), TypeError, r"y must hold class labels \(integers or text\); got \[\[1\]"),
    (np.array([object(), "a"] * 20, dtype=object), TypeError, r"got a object"),
    (np.arange(40) % 11, ValueError, r"y may hold at most 10 classes \(the plots have 10 distinct class colours\); "
                                     r"got 11"),
    (np.array(["2020-01-01", "2020-01-02"] * 20, dtype="datetime64[D]"), TypeError,
     r"y must hold class labels \(integers or text\); got datetime64\[D\] values"),
])
def test_bad_labels_are_refused(labels, error, match):
    with pytest.raises(error, match=match):
        data.from_arrays(X40, labels)


def test_pandas_style_missing_values_are_missing_labels():
    class NAType:        # pandas.NA's type name (pandas is not a dependency of hlkit)
        def __hash__(self):
            return 0
    y = np.array(["a", NAType(), "b", "a"] * 10, dtype=object)
    with pytest.raises(ValueError, match=r"got 10 missing labels"):
        data.from_arrays(X40, y)


def test_the_class_limit_fits_the_palette():
    from hlkit import viz
    colours = viz.CLASS_COLORS[:data.MAX_OWN_CLASSES]
    assert len(colours) == data.MAX_OWN_CLASSES and len({c.lower() for c in colours}) == len(colours)
    assert [viz.class_color(k) for k in range(data.MAX_OWN_CLASSES)] == colours   # no colour repeats
    d = data.from_arrays(np.arange(100.0)[:, None], np.arange(100) % data.MAX_OWN_CLASSES)
    assert d.n_classes == data.MAX_OWN_CLASSES


# --- own data: values -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [1e308, -1e308, 1.7e308, 1e151])
def test_huge_values_are_refused_with_the_real_reason(value):
    X = X40.copy()
    X[5, 1] = value
    with pytest.raises(ValueError, match=re.escape(f"X values must lie within ±1e+150 (squares and ranges of larger "
                                                   f"numbers overflow 64-bit floats); got {value:g} at row 5, column 1 "
                                                   "(1 such values). Divide X by a constant first")):
        data.from_arrays(X, np.arange(40) % 2)


def test_values_at_the_limit_keep_their_size_and_spread():
    X = np.column_stack([np.linspace(-1e150, 1e150, 40), np.linspace(-1e-300, 1e-300, 40)])
    d = data.from_arrays(X, np.arange(40) % 2)
    assert np.array_equal(np.sort(d.X[:, 0]), X[:, 0]) and np.array_equal(np.sort(d.X[:, 1]), X[:, 1])
    span = d.X.max(axis=0) - d.X.min(axis=0)        # the arithmetic the plots and rescaling do stays finite
    assert np.all(np.isfinite(span)) and np.all(np.isfinite(d.X ** 2))


# --- own data: the split keeps every class --------------------------------------------------------------------

def plain_split(n, train_ratio, seed):
    """The split before issue 14: one seeded shuffle, cut at round(ratio * n)."""
    order = np.random.default_rng(seed).permutation(n)
    n_train = min(max(int(round(train_ratio * n)), 1), n - 1)
    return order[:n_train], order[n_train:]


@pytest.mark.parametrize("seed", range(6))
def test_splits_that_hold_every_class_are_unchanged(seed):
    X = np.column_stack([np.arange(300.0), np.zeros(300)])
    y = np.arange(300) % 3
    d = data.from_arrays(X, y, train_ratio=0.75, seed=seed)
    tr, te = plain_split(300, 0.75, seed)
    assert np.array_equal(d.X_train[:, 0], tr) and np.array_equal(d.X_test[:, 0], te)
    toy = data.make_dataset("spiral", n_points=300, n_classes=3, seed=seed)
    rng = np.random.default_rng(seed)
    X_all, y_all = data.GENERATORS["spiral"][0](300, 0.0, rng, 3)
    order = rng.permutation(300)
    assert np.array_equal(toy.X_train, X_all[order[:150]]) and np.array_equal(toy.y_test, y_all[order[150:]])


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("train_ratio", [0.1, 0.5, 0.9])
def test_a_rare_class_is_never_missing_from_training(seed, train_ratio):
    X = np.column_stack([np.arange(50.0), np.zeros(50)])
    y = np.array(["common"] * 47 + ["rare"] * 2 + ["single"])
    d = data.from_arrays(X, y, train_ratio=train_ratio, seed=seed)
    train_names = {d.class_names[c] for c in d.y_train}
    test_names = {d.class_names[c] for c in d.y_test}
    assert train_names == {"common", "rare", "single"}          # every class is learned from
    assert {"common", "rare"} <= test_names                     # and tested where it has 2+ points
    assert abs(len(d.y_train) - round(train_ratio * 50)) <= 2  # the ratio holds up to the classes' minimum
    assert sorted(d.X[:, 0]) == list(range(50))                 # a partition: every row once
    assert names_of(d, X) == list(y)


def test_tiny_toy_sets_keep_each_class_in_training():
    d = data.make_dataset("blobs", n_points=10, n_classes=8, train_ratio=0.1)
    assert set(d.y_train) == set(range(8)) and len(d.y_train) == 8 and len(d.y_test) == 2


# --- thinning what a plot draws ---------------------------------------------------------------------------------

def test_thin_keeps_each_class_share_and_is_seeded():
    y = np.array([0] * 30_000 + [1] * 9_000 + [2] * 5)
    keep = data.thin(y, 20_000)
    assert len(keep) == 20_000 and np.all(np.diff(keep) > 0)
    counts = np.bincount(y[keep])
    assert abs(counts[0] - 20_000 * 30_000 / len(y)) <= 1 and abs(counts[1] - 20_000 * 9_000 / len(y)) <= 1
    assert counts[2] >= 1                                        # a rare class stays visible
    assert np.array_equal(keep, data.thin(y, 20_000)) and not np.array_equal(keep, data.thin(y, 20_000, seed=1))
    assert np.array_equal(data.thin(y[:100], 20_000), np.arange(100))


# --- CSV: separators, streaming limits --------------------------------------------------------------------------

@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_the_separator_is_detected(tmp_path, sep):
    text = GOOD.replace(",", sep)
    d = data.from_csv(write(tmp_path, text), train_ratio=0.5)
    assert same_dataset(d, data.from_csv(write(tmp_path, GOOD, "comma.csv"), train_ratio=0.5))
    assert same_dataset(d, data.from_csv(write(tmp_path, text, "given.csv"), train_ratio=0.5, delimiter=sep))


def test_a_given_separator_wins_and_is_named(tmp_path):
    path = write(tmp_path, "a;b;c\n1,5;2,5;x\n2,5;3,5;y\n3,5;4,5;x\n4,5;5,5;y\n", "euro.csv")   # a European export
    with pytest.raises(ValueError, match=r"'euro.csv' line 2, column 'a' is not a number: '1,5' \(numbers need a "
                                         r"decimal point: 1.5, not 1,5\)"):
        data.from_csv(path)                                   # ';' detected, the decimal comma named
    with pytest.raises(ValueError, match=r"its header \['a;b;c'\] has 1 column with the separator ','; pass"):
        data.from_csv(path, delimiter=",")                    # the given separator is used, and named
    with pytest.raises(ValueError, match=r"'a.csv' line 2: expected 2 columns like the header, got 3 "
                                         r"\(separator ';'\)"):
        data.from_csv(write(tmp_path, "a;b\n1;2;3\n", "a.csv"), delimiter=";")
    with pytest.raises(ValueError, match=r"delimiter must be one of ',', ';', '\\t', '\|'; got ' ' instead"):
        data.from_csv(path, delimiter=" ")


def big_csv(tmp_path, rows, name="big.csv"):
    path = tmp_path / name
    with open(path, "w") as handle:
        handle.write("a,b,label\n")
        handle.write("0.142857143,-0.333333333,class_x\n1.571428571,-2.666666667,class_y\n" * (rows // 2))
    data.from_csv(write(tmp_path, GOOD, "warm.csv"))   # lazy imports inside numpy/csv are not the reader's memory
    return path


def test_the_row_limit_is_checked_while_reading(tmp_path, monkeypatch):
    import tracemalloc
    path = big_csv(tmp_path, 400_000)     # 16 MB of text: parsed whole, as before issue 14, ~160 MB of Python objects
    monkeypatch.setattr(data, "MAX_OWN_ROWS", 1_000)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"'big.csv' may have at most 1,000 data rows and 25,000,000 numbers; "
                                             r"got more by line 1002 \(refused before reading on\)"):
            data.from_csv(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 2**20, f"peak {peak / 2**20:.1f} MB while refusing"   # stated bound: 2 MB


def test_reading_is_chunked_and_bounded(tmp_path, monkeypatch):
    import tracemalloc
    path = big_csv(tmp_path, 20_000)
    monkeypatch.setattr(data, "CSV_CHUNK_VALUES", 4_096)   # 2,048 rows of text at a time (65,536 cells by default)
    tracemalloc.start()
    try:
        d = data.from_csv(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(d.y) == 20_000 and d.class_names == ("class_x", "class_y")
    # 20,000 x 2 numbers are 320 kB: X, its split copies and one chunk of text stay under 3 MB (measured 1.5 MB;
    # read whole as lists of strings, as before issue 14: 8.2 MB; one default chunk of text is at most ~6 MB)
    assert peak < 3 * 2**20, f"peak {peak / 2**20:.1f} MB"
    monkeypatch.setattr(data, "MAX_OWN_VALUES", 1_000)
    with pytest.raises(ValueError, match=r"at most 1,000,000 data rows and 1,000 numbers; got more by line 502"):
        data.from_csv(path)


def test_long_lines_wide_headers_and_label_columns_are_refused_early(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "MAX_LINE_CHARS", 100)
    with pytest.raises(ValueError, match=r"'long.csv' line 3: a line may be at most 100 characters; got a longer one"):
        data.from_csv(write(tmp_path, "a,b\n1,x\n" + "1" * 200 + ",y\n", "long.csv"))
    monkeypatch.setattr(data, "MAX_OWN_FEATURES", 3)
    with pytest.raises(ValueError, match=r"'wide.csv' may have at most 4 columns \(hl.mlp takes at most 3 inputs\); "
                                         r"got 6 in the header"):
        data.from_csv(write(tmp_path, "a,b,c,d,e,f\n1,2,3,4,5,x\n", "wide.csv"))
    monkeypatch.setattr(data, "MAX_RAW_LABELS", 5)
    text = "a,b\n" + "".join(f"{i},v{i}\n" for i in range(20))
    with pytest.raises(ValueError, match=r"the label column 'b' of 'reg.csv' may hold at most 10 classes; got more "
                                         r"than 5 different values by line 7"):
        data.from_csv(write(tmp_path, text, "reg.csv"))


def test_a_repeated_label_name_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"label must name one column of 'dup.csv'; got 'k', which names 2 columns"):
        data.from_csv(write(tmp_path, "k,a,k\n1,2,x\n", "dup.csv"), label="k")
