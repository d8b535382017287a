"""Bad input everywhere (issue "Reliability"): every public parameter refuses wrong types, out-of-range
values, NaN/inf, empty or mismatched data, a single class, unknown names and absurd sizes, with a
TypeError/ValueError whose message names the parameter, what is allowed and what was given.

Each case lists message fragments that must all appear. The classes of bad input are tabulated in
tests/README.md. The argument checkers of hlkit.arguments are tested first.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hlkit import arguments, data, models, probe, train, viz

# --- the checkers ---------------------------------------------------------------------------------------------


def test_check_int():
    assert arguments.check_int("n", 5, 0, 10) == 5
    assert arguments.check_int("n", np.int64(7), 0, 10) == 7 and type(arguments.check_int("n", np.int64(7))) is int
    assert arguments.check_int("n", 0, 0, 0) == 0            # bounds are inclusive
    for value in (5.0, "5", None, True, np.float64(5)):
        with pytest.raises(TypeError, match=r"^n must be an integer from 0 to 10; got .* instead$"):
            arguments.check_int("n", value, 0, 10)
    with pytest.raises(ValueError, match=r"^n must be an integer from 0 to 10; got 11 instead$"):
        arguments.check_int("n", 11, 0, 10)
    with pytest.raises(ValueError, match=r"^n must be an integer >= 3; got 2 instead$"):
        arguments.check_int("n", 2, 3)
    with pytest.raises(ValueError, match=r"^n must be an integer <= 3; got 4 instead$"):
        arguments.check_int("n", 4, None, 3)


def test_check_float():
    assert arguments.check_float("x", 1, 0, 2) == 1.0 and type(arguments.check_float("x", 1)) is float
    assert arguments.check_float("x", np.float32(0.5), 0, 1) == 0.5
    assert arguments.check_float("x", 0, 0, 1) == 0.0
    with pytest.raises(ValueError, match=r"^lr must be a number greater than 0 and at most 1; got 0 instead$"):
        arguments.check_float("lr", 0, 0, 1, low_open=True)
    with pytest.raises(ValueError, match=r"^x must be a number > 0; got -1 instead$"):
        arguments.check_float("x", -1, 0, low_open=True)
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match=rf"^x must be a number from 0 to 1; got {value} instead$"):
            arguments.check_float("x", value, 0, 1)
    for value in ("0.5", None, True, 1j, [0.5]):
        with pytest.raises(TypeError, match=r"^x must be a number from 0 to 1; got .* \(\w+\) instead$"):
            arguments.check_float("x", value, 0, 1)


def test_check_choice_and_bool():
    assert arguments.check_choice("c", "b", ("a", "b")) == "b"
    with pytest.raises(ValueError, match=r"^c must be one of 'a', 'b'; got 'z' instead$"):
        arguments.check_choice("c", "z", ("a", "b"))
    with pytest.raises(TypeError, match=r"^c must be one of 'a', 'b'; got 1 \(int\) instead$"):
        arguments.check_choice("c", 1, ("a", "b"))
    assert arguments.check_bool("b", np.bool_(True)) is True
    with pytest.raises(TypeError, match=r"^b must be True or False; got 1 \(int\) instead$"):
        arguments.check_bool("b", 1)


def test_long_values_are_shortened_in_messages():
    with pytest.raises(TypeError) as err:
        arguments.check_int("n", "x" * 500)
    assert len(str(err.value)) < 120 and "..." in str(err.value)


# --- the bad-input matrix -------------------------------------------------------------------------------------

CIRCLE = data.make_dataset("circle", n_points=40)
BLOBS3 = data.make_dataset("blobs", n_points=30, n_classes=3)
X10 = np.random.default_rng(0).normal(size=(10, 2))
Y10 = np.arange(10) % 2
MLP = models.mlp()
CNN = models.cnn()
IMAGE = np.zeros((8, 8))


def replace(dataset, **fields):
    parts = dict(X_train=dataset.X_train, y_train=dataset.y_train, X_test=dataset.X_test, y_test=dataset.y_test,
                 n_classes=dataset.n_classes)
    parts.update(fields)
    return data.Dataset(**parts)


def with_value(array, index, value):
    array = np.array(array, dtype=np.float64)
    array[index] = value
    return array


def objects(values):
    """A 1-D object array holding ``values`` as they are (lists stay lists)."""
    array = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        array[i] = value
    return array


def run(**options):
    """Train a fresh default MLP on the circle with these options (training is a generator: ``train``
    runs it, so a refused option raises on the first step)."""
    def go():
        return train.train(models.mlp(), options.pop("data", CIRCLE), epochs=options.pop("epochs", 2), **options)
    return go


CASES = {
    # make_dataset
    "dataset name type": (lambda: data.make_dataset(3), TypeError, "name must be one of 'circle', 'xor'", "got 3 (int)"),
    "dataset name unknown": (lambda: data.make_dataset("donut"), ValueError,
                             "name must be one of 'circle', 'xor', 'gauss', 'spiral', 'moons', 'linear', 'blobs'",
                             "got 'donut'"),
    "dataset n_points str": (lambda: data.make_dataset(n_points="500"), TypeError,
                             "n_points must be an integer from 10 to 20000", "got '500' (str)"),
    "dataset n_points float": (lambda: data.make_dataset(n_points=500.0), TypeError, "n_points must be an integer",
                               "got 500.0 (float)"),
    "dataset n_points bool": (lambda: data.make_dataset(n_points=True), TypeError, "n_points must be an integer",
                              "got True (bool)"),
    "dataset n_points small": (lambda: data.make_dataset(n_points=9), ValueError,
                               "n_points must be an integer from 10 to 20000", "got 9"),
    "dataset n_points absurd": (lambda: data.make_dataset(n_points=10**7), ValueError, "from 10 to 20000",
                                "got 10000000"),
    "dataset noise negative": (lambda: data.make_dataset(noise=-0.1), ValueError, "noise must be a number from 0.0 to 1.0",
                               "got -0.1"),
    "dataset noise big": (lambda: data.make_dataset(noise=1.5), ValueError, "noise must be a number from 0.0 to 1.0",
                          "got 1.5"),
    "dataset noise nan": (lambda: data.make_dataset(noise=math.nan), ValueError, "noise must be a number", "got nan"),
    "dataset noise inf": (lambda: data.make_dataset(noise=math.inf), ValueError, "noise must be a number", "got inf"),
    "dataset noise str": (lambda: data.make_dataset(noise="low"), TypeError, "noise must be a number", "got 'low' (str)"),
    "dataset noise None": (lambda: data.make_dataset(noise=None), TypeError, "noise must be a number", "got None"),
    "dataset train_ratio 0": (lambda: data.make_dataset(train_ratio=0), ValueError,
                              "train_ratio must be a number from 0.1 to 0.9", "got 0"),
    "dataset train_ratio 1": (lambda: data.make_dataset(train_ratio=1), ValueError, "train_ratio must be", "got 1"),
    "dataset train_ratio nan": (lambda: data.make_dataset(train_ratio=math.nan), ValueError, "train_ratio", "got nan"),
    "dataset seed negative": (lambda: data.make_dataset(seed=-1), ValueError,
                              "seed must be an integer from 0 to 4294967295", "got -1"),
    "dataset seed huge": (lambda: data.make_dataset(seed=2**32), ValueError, "seed must be an integer from 0 to 4294967295",
                          "got 4294967296"),
    "dataset seed float": (lambda: data.make_dataset(seed=1.5), TypeError, "seed must be an integer", "got 1.5 (float)"),
    "dataset classes circle": (lambda: data.make_dataset("circle", n_classes=3), ValueError,
                               "n_classes for 'circle' must be one of [2]", "got 3"),
    "dataset classes spiral": (lambda: data.make_dataset("spiral", n_classes=7), ValueError,
                               "n_classes for 'spiral' must be one of [2, 3, 4, 5, 6]", "got 7"),
    "dataset classes blobs": (lambda: data.make_dataset("blobs", n_classes=1), ValueError,
                              "n_classes for 'blobs' must be one of [2, 3, 4, 5, 6, 7, 8]", "got 1"),
    "dataset classes type": (lambda: data.make_dataset("blobs", n_classes="3"), TypeError, "n_classes must be an integer",
                             "got '3' (str)"),

    # from_arrays
    "arrays X None": (lambda: data.from_arrays(None, Y10), ValueError, "X must have shape (n_samples, n_features)",
                      "got shape ()"),
    "arrays X ragged": (lambda: data.from_arrays([[1, 2], [3]] * 5, Y10), TypeError,
                        "X must be numbers of shape (n_samples, n_features)", "could not read it as numbers"),
    "arrays X text": (lambda: data.from_arrays([["a", "b"]] * 10, Y10), TypeError, "X must be numbers",
                      "could not read it as numbers"),
    "arrays X grad tensor": (lambda: data.from_arrays(torch.ones(10, 2, requires_grad=True), Y10), TypeError,
                             "X must be numbers of shape (n_samples, n_features)", "could not read it as numbers"),
    "arrays X complex": (lambda: data.from_arrays(X10 + 1j, Y10), TypeError, "X must be real numbers",
                         "got complex numbers"),
    "arrays X 1-D": (lambda: data.from_arrays(np.arange(10.0), Y10), ValueError,
                     "X must have shape (n_samples, n_features)", "got shape (10,)"),
    "arrays X 3-D": (lambda: data.from_arrays(np.zeros((10, 2, 2)), Y10), ValueError, "X must have shape",
                     "got shape (10, 2, 2)"),
    "arrays X no columns": (lambda: data.from_arrays(np.zeros((10, 0)), Y10), ValueError,
                            "X must have at least one feature column", "got 0 columns"),
    "arrays X nan": (lambda: data.from_arrays(with_value(X10, (2, 1), np.nan), Y10), ValueError,
                     "X must hold finite numbers", "got nan at row 2, column 1", "1 non-finite values in all"),
    "arrays X inf": (lambda: data.from_arrays(with_value(X10, (7, 0), -np.inf), Y10), ValueError,
                     "X must hold finite numbers", "got -inf at row 7, column 0"),
    "arrays empty": (lambda: data.from_arrays(np.zeros((0, 2)), []), ValueError, "X must have at least 4 rows", "got 0"),
    "arrays too few": (lambda: data.from_arrays(X10[:3], Y10[:3]), ValueError, "X must have at least 4 rows", "got 3"),
    "arrays mismatched": (lambda: data.from_arrays(X10, Y10[:9]), ValueError, "X and y must have the same number of rows",
                          "got 10 rows in X and 9 in y"),
    "arrays y 2-D": (lambda: data.from_arrays(X10, Y10[:, None]), ValueError, "y must have shape (n_samples,)",
                     "got shape (10, 1)"),
    "arrays single class": (lambda: data.from_arrays(X10, np.ones(10, int)), ValueError,
                            "y must hold at least 2 classes to classify", "got only [1]"),
    "arrays y nan": (lambda: data.from_arrays(X10, with_value(Y10, 3, np.nan)), ValueError,
                     "y must hold a class label in every row", "got 1 missing labels (NaN, None or NA) of 10",
                     "the first at row 3"),
    "arrays y fraction": (lambda: data.from_arrays(X10, Y10 + 0.5), ValueError, "y must hold class labels",
                          "such as 0.5"),
    "arrays y mixed": (lambda: data.from_arrays(X10, ["a", 1] * 5), TypeError,
                       "y must hold class labels of one kind (all integers or all text)",
                       "got numbers such as 1 and text such as 'a'"),
    "arrays y None": (lambda: data.from_arrays(X10, [None, 1] * 5), ValueError, "y must hold a class label in every row",
                      "got 5 missing labels (NaN, None or NA) of 10, the first at row 0"),
    "arrays y regression": (lambda: data.from_arrays(np.zeros((200, 1)), np.arange(200)), ValueError,
                            "y may hold at most 10 classes (the plots have 10 distinct class colours)", "got 200"),
    "arrays train_ratio": (lambda: data.from_arrays(X10, Y10, train_ratio=0.95), ValueError,
                           "train_ratio must be a number from 0.1 to 0.9", "got 0.95"),
    "arrays seed": (lambda: data.from_arrays(X10, Y10, seed="a"), TypeError, "seed must be an integer", "got 'a' (str)"),
    "arrays name": (lambda: data.from_arrays(X10, Y10, name=5), TypeError, "name must be a string", "got 5 (int)"),
    # issue 14: silently wrong before (each NaN its own class, int64 overflow, complex accepted, 1e308 collapsed)
    "arrays y NaN objects": (lambda: data.from_arrays(X10, np.array(["a", np.nan] * 5, dtype=object)), ValueError,
                             "y must hold a class label in every row", "got 5 missing labels (NaN, None or NA) of 10",
                             "a missing label is never made a class"),
    "arrays y nan text": (lambda: data.from_arrays(X10, ["a", "nan"] * 5), ValueError,
                          "y must hold a class label in every row", "got 5 missing labels"),
    "arrays y complex": (lambda: data.from_arrays(X10, Y10 + 1j), TypeError,
                         "y must hold class labels (integers or text)", "got complex numbers such as [1j, (1+1j)"),
    "arrays y complex objects": (lambda: data.from_arrays(X10, np.array([1j, 1] * 5, dtype=object)), TypeError,
                                 "y must hold class labels (integers or text)", "got complex numbers such as 1j"),
    "arrays y bool and int": (lambda: data.from_arrays(X10, np.array([True, 1] * 5, dtype=object)), TypeError,
                              "y must hold class labels of one kind", "got True/False such as True and numbers such as 1"),
    "arrays y datetime": (lambda: data.from_arrays(X10, np.arange(10).astype("datetime64[D]")), TypeError,
                          "y must hold class labels (integers or text)", "got datetime64[D] values"),
    "arrays y list labels": (lambda: data.from_arrays(X10, objects([[k % 2] for k in range(10)])), TypeError,
                             "y must hold class labels (integers or text)", "got [[0], [1], [0]"),
    "arrays y 11 classes": (lambda: data.from_arrays(np.zeros((22, 1)), np.arange(22) % 11), ValueError,
                            "y may hold at most 10 classes (the plots have 10 distinct class colours)", "got 11"),
    "arrays X 1e308": (lambda: data.from_arrays(with_value(with_value(X10, (0, 0), 1e308), (1, 0), -1e308), Y10),
                       ValueError, "X values must lie within ±1e+150", "squares and ranges of larger numbers overflow",
                       "got 1e+308 at row 0, column 0 (2 such values)"),
    "arrays X 1.7e308": (lambda: data.from_arrays(with_value(X10, (4, 1), 1.7e308), Y10), ValueError,
                         "X values must lie within ±1e+150", "got 1.7e+308 at row 4, column 1"),
    "arrays X huge int": (lambda: data.from_arrays(np.array([[10**400, 1]] * 10, dtype=object), Y10), TypeError,
                          "X must be numbers of shape (n_samples, n_features)", "could not read it as numbers",
                          "int too large to convert to float"),

    # from_csv (bad file contents are in test_data.py::test_from_csv_bad_files)
    "csv path type": (lambda: data.from_csv(None), TypeError, "path must be a file name (str or pathlib.Path)",
                      "got None (NoneType)"),
    "csv path missing": (lambda: data.from_csv("no/such/file.csv"), FileNotFoundError, "path: no CSV file at",
                         "no/such/file.csv"),
    "csv delimiter": (lambda: data.from_csv("any.csv", delimiter=" "), ValueError,
                      "delimiter must be one of ',', ';', '\\t', '|'", "got ' '"),
    "csv delimiter type": (lambda: data.from_csv("any.csv", delimiter=b","), TypeError, "delimiter must be one of",
                           "got b',' (bytes)"),
    "csv train_ratio": (lambda: data.from_csv("any.csv", train_ratio=1.5), ValueError,
                        "train_ratio must be a number from 0.1 to 0.9", "got 1.5"),

    # thin
    "thin max_points": (lambda: data.thin(Y10, 0), ValueError, "max_points must be an integer >= 1", "got 0"),
    "thin max_points float": (lambda: data.thin(Y10, 5.0), TypeError, "max_points must be an integer", "got 5.0 (float)"),

    # models.save / load paths (bad files are in test_models.py)
    "save path empty": (lambda: models.save(MLP, ""), ValueError, "path must name a file to write, such as 'model.pt'",
                        "got ''"),
    "save path type": (lambda: models.save(MLP, None), TypeError, "path must be a file name (str or pathlib.Path)",
                       "got None (NoneType)"),
    "load path empty": (lambda: models.load(""), ValueError, "path must name a file to read", "got ''"),
    "load path folder": (lambda: models.load("."), ValueError, "path must name a file to read", "got '.'"),
    "load path type": (lambda: models.load(3.5), TypeError, "path must be a file name", "got 3.5 (float)"),
    "build dtype": (lambda: models.build(dict(MLP.spec, dtype="float16")), TypeError,
                    "dtype must be torch.float64 or torch.float32", "got 'float16' (str)"),

    # load_digits
    "digits train_ratio": (lambda: data.load_digits(train_ratio=0.95), ValueError,
                           "train_ratio must be a number from 0.1 to 0.9", "got 0.95"),
    "digits train_ratio str": (lambda: data.load_digits(train_ratio="0.8"), TypeError, "train_ratio must be a number",
                               "got '0.8' (str)"),
    "digits seed": (lambda: data.load_digits(seed=-1), ValueError, "seed must be an integer from 0", "got -1"),

    # mlp
    "mlp hidden str": (lambda: models.mlp("4,2"), TypeError, "hidden must be a list of layer widths such as [4, 2]",
                       "got '4,2'"),
    "mlp hidden int": (lambda: models.mlp(4), TypeError, "hidden must be a list of layer widths", "got 4"),
    "mlp hidden zero": (lambda: models.mlp([4, 0]), ValueError, "hidden[1] must be an integer from 1 to 256", "got 0"),
    "mlp hidden float": (lambda: models.mlp([2.5]), TypeError, "hidden[0] must be an integer from 1 to 256",
                         "got 2.5 (float)"),
    "mlp width absurd": (lambda: models.mlp([10**6]), ValueError, "hidden[0] must be an integer from 1 to 256",
                         "got 1000000"),
    "mlp depth absurd": (lambda: models.mlp([2] * 11), ValueError, "hidden may have 0 to 10 layers", "got 11 layers"),
    "mlp activation unknown": (lambda: models.mlp(activation="swish"), ValueError,
                               "activation must be one of 'relu', 'tanh', 'sigmoid', 'linear', 'leaky_relu', 'gelu', "
                               "'elu', 'silu'", "got 'swish'"),
    "mlp activation type": (lambda: models.mlp(activation=None), TypeError, "activation must be one of", "got None"),
    "mlp n_inputs zero": (lambda: models.mlp(n_inputs=0), ValueError, "n_inputs must be an integer from 1 to 10000",
                          "got 0"),
    "mlp n_inputs absurd": (lambda: models.mlp(n_inputs=10**6), ValueError, "n_inputs must be an integer from 1 to 10000",
                            "got 1000000"),
    "mlp n_classes one": (lambda: models.mlp(n_classes=1), ValueError, "n_classes must be an integer from 2 to 100",
                          "got 1"),
    "mlp n_classes absurd": (lambda: models.mlp(n_classes=10**6), ValueError, "n_classes must be an integer from 2 to 100",
                             "got 1000000"),
    "mlp n_classes str": (lambda: models.mlp(n_classes="2"), TypeError, "n_classes must be an integer", "got '2' (str)"),
    "mlp features str": (lambda: models.mlp(features="x1"), TypeError,
                         "features must be a list of names such as ['x1', 'x2']", "got 'x1'"),
    "mlp features unknown": (lambda: models.mlp(features=["x1", "x3"]), ValueError,
                             "features must be one of 'x1', 'x2', 'x1^2', 'x2^2', 'x1*x2', 'sin(x1)', 'sin(x2)'",
                             "got 'x3'"),
    "mlp features empty": (lambda: models.mlp(features=[]), ValueError, "features must name at least one of",
                           "got an empty list"),
    "mlp features repeated": (lambda: models.mlp(features=["x1", "x1"]), ValueError, "features must not repeat a name",
                              "got ['x1', 'x1']"),
    "mlp features not 2-D": (lambda: models.mlp(features=["x1"], n_inputs=3), ValueError,
                             "features work on 2-D points only (n_inputs=2)", "got n_inputs=3"),
    "mlp seed negative": (lambda: models.mlp(seed=-1), ValueError, "seed must be an integer from 0", "got -1"),
    "mlp seed float": (lambda: models.mlp(seed=0.5), TypeError, "seed must be an integer", "got 0.5 (float)"),
    "mlp dtype str": (lambda: models.mlp(dtype="float64"), TypeError, "dtype must be torch.float64 or torch.float32",
                      "got 'float64' (str)"),
    "mlp dtype int": (lambda: models.mlp(dtype=torch.int64), TypeError, "dtype must be torch.float64 or torch.float32",
                      "got torch.int64"),

    # cnn
    "cnn channels str": (lambda: models.cnn("8"), TypeError, "channels must be a list of filter counts such as [8, 16]",
                         "got '8'"),
    "cnn channels empty": (lambda: models.cnn([]), ValueError, "channels must list 1 to 4 conv blocks", "got 0"),
    "cnn channels deep": (lambda: models.cnn([4] * 5), ValueError, "channels must list 1 to 4 conv blocks", "got 5"),
    "cnn channels zero": (lambda: models.cnn([8, 0]), ValueError, "channels[1] must be an integer from 1 to 64", "got 0"),
    "cnn channels absurd": (lambda: models.cnn([10**6]), ValueError, "channels[0] must be an integer from 1 to 64",
                            "got 1000000"),
    "cnn image small": (lambda: models.cnn((8, 16), image_size=3), ValueError,
                        "image_size must be an integer from 4 to 512", "got 3"),
    "cnn image absurd": (lambda: models.cnn(image_size=10**6), ValueError, "image_size must be an integer from 4 to 512",
                         "got 1000000"),
    "cnn image float": (lambda: models.cnn(image_size=8.0), TypeError, "image_size must be an integer", "got 8.0 (float)"),
    "cnn n_classes": (lambda: models.cnn(n_classes=1), ValueError, "n_classes must be an integer from 2 to 100", "got 1"),
    "cnn seed": (lambda: models.cnn(seed="a"), TypeError, "seed must be an integer", "got 'a' (str)"),
    "cnn dtype": (lambda: models.cnn(dtype=torch.float16), TypeError, "dtype must be torch.float64 or torch.float32",
                  "got torch.float16"),

    # hidden_sizes
    "sizes depth negative": (lambda: models.hidden_sizes(-1, 4), ValueError, "depth must be an integer from 0 to 10",
                             "got -1"),
    "sizes depth big": (lambda: models.hidden_sizes(11, 4), ValueError, "depth must be an integer from 0 to 10", "got 11"),
    "sizes depth float": (lambda: models.hidden_sizes(2.0, 4), TypeError, "depth must be an integer", "got 2.0 (float)"),
    "sizes width zero": (lambda: models.hidden_sizes(2, 0), ValueError, "width must be an integer from 1 to 256", "got 0"),
    "sizes width absurd": (lambda: models.hidden_sizes(2, 10**6), ValueError, "width must be an integer from 1 to 256",
                           "got 1000000"),
    "sizes width None": (lambda: models.hidden_sizes(2, None), TypeError, "width must be an integer", "got None"),

    # training / train
    "train model type": (lambda: train.train("mlp", CIRCLE), TypeError, "model must be a torch.nn.Module", "got str"),
    "train data type": (lambda: train.train(MLP, (X10, Y10)), TypeError, "data must be an hlkit Dataset", "got tuple"),
    "train epochs zero": (run(epochs=0), ValueError, "epochs must be an integer from 1 to 100000", "got 0"),
    "train epochs absurd": (run(epochs=10**7), ValueError, "epochs must be an integer from 1 to 100000", "got 10000000"),
    "train epochs float": (run(epochs=1.5), TypeError, "epochs must be an integer", "got 1.5 (float)"),
    "train lr zero": (run(lr=0), ValueError, "lr must be a number greater than 0.0 and at most 100.0", "got 0"),
    "train lr negative": (run(lr=-0.1), ValueError, "lr must be a number greater than 0.0", "got -0.1"),
    "train lr nan": (run(lr=math.nan), ValueError, "lr must be a number", "got nan"),
    "train lr inf": (run(lr=math.inf), ValueError, "lr must be a number", "got inf"),
    "train lr absurd": (run(lr=1e6), ValueError, "at most 100.0", "got 1e+06"),
    "train lr str": (run(lr="0.1"), TypeError, "lr must be a number", "got '0.1' (str)"),
    "train optimizer unknown": (run(optimizer="rmsprop"), ValueError, "optimizer must be one of 'adam', 'sgd'",
                                "got 'rmsprop'"),
    "train optimizer type": (run(optimizer=None), TypeError, "optimizer must be one of 'adam', 'sgd'", "got None"),
    "train batch zero": (run(batch_size=0), ValueError, "batch_size must be an integer >= 1", "got 0"),
    "train batch float": (run(batch_size=2.5), TypeError, "batch_size must be an integer", "got 2.5 (float)"),
    "train regularization": (run(regularization="l3"), ValueError, "regularization must be one of 'none', 'l1', 'l2'",
                             "got 'l3'"),
    "train reg_rate negative": (run(reg_rate=-0.1), ValueError, "reg_rate must be a number from 0.0 to 1.0", "got -0.1"),
    "train reg_rate nan": (run(reg_rate=math.nan), ValueError, "reg_rate must be a number", "got nan"),
    "train patience zero": (run(patience=0), ValueError, "patience must be an integer from 1 to 100000", "got 0"),
    "train patience float": (run(patience=1.5), TypeError, "patience must be an integer", "got 1.5 (float)"),
    "train seed": (run(seed=-1), ValueError, "seed must be an integer from 0", "got -1"),
    "train report_every": (run(report_every=0), ValueError, "report_every must be an integer from 1 to 100000", "got 0"),
    "train progress": (run(progress=3), TypeError, "progress must be a function or None", "got 3 (int)"),
    "train stop": (run(stop="no"), TypeError, "stop must be a function or None", "got 'no' (str)"),
    "train unknown option": (run(learning_rate=0.1), TypeError, "unexpected keyword argument 'learning_rate'"),
    "train data nan": (run(data=replace(CIRCLE, X_train=with_value(CIRCLE.X_train, (0, 0), np.nan))), ValueError,
                       "data.X_train must hold finite numbers", "got 1 NaN or infinite values"),
    "train data inf": (run(data=replace(CIRCLE, X_test=with_value(CIRCLE.X_test, (3, 1), np.inf))), ValueError,
                       "data.X_test must hold finite numbers", "got 1 NaN or infinite values"),
    "train data empty": (run(data=replace(CIRCLE, X_train=CIRCLE.X_train[:0], y_train=CIRCLE.y_train[:0])), ValueError,
                         "data.X_train and data.y_train must have the same number (at least 1) of rows",
                         "got shapes (0, 2) and (0,)"),
    "train data mismatched": (run(data=replace(CIRCLE, y_test=CIRCLE.y_test[:-1])), ValueError,
                              "data.X_test and data.y_test must have the same number", "got shapes (20, 2) and (19,)"),
    "train labels range": (run(data=replace(CIRCLE, y_train=CIRCLE.y_train + 1)), ValueError,
                           "data.y_train must hold class labels from 0 to 1 (data.n_classes=2)", "got labels from 1 to 2"),
    "train labels float": (run(data=replace(CIRCLE, y_train=CIRCLE.y_train * 1.0)), TypeError,
                           "data.y_train integer class labels", "got dtypes float64 and float64"),
    "train single class": (run(data=replace(CIRCLE, n_classes=1)), ValueError,
                           "data.n_classes must be an integer >= 2", "got 1"),
    "train too few outputs": (lambda: train.train(models.mlp(), BLOBS3, epochs=1), ValueError,
                              "data has 3 classes but the model predicts 2", "build the model with n_classes=3"),
    "train wrong inputs": (lambda: train.train(models.mlp([3], n_inputs=3), CIRCLE, epochs=1), ValueError,
                           "data.X_train must have shape (n, 3) for this model", "got shape (20, 2)"),
    "train cnn on points": (lambda: train.train(models.cnn(), CIRCLE, epochs=1), ValueError,
                            "data.X_train must have shape (n, 1, 8, 8) for this model", "got shape (20, 2)"),

    # probe
    "plane resolution small": (lambda: probe.plane(1), ValueError, "resolution must be an integer from 2 to 1000", "got 1"),
    "plane resolution absurd": (lambda: probe.plane(10**6), ValueError, "resolution must be an integer from 2 to 1000",
                                "got 1000000"),
    "plane extent nan": (lambda: probe.plane(10, math.nan), ValueError,
                         "extent must be a number greater than 0.0 and at most 1000.0", "got nan"),
    "grid resolution float": (lambda: probe.grid(MLP, resolution=2.5), TypeError, "resolution must be an integer",
                              "got 2.5 (float)"),
    "grid resolution absurd": (lambda: probe.grid(MLP, resolution=10**6), ValueError,
                               "resolution must be an integer from 2 to 1000", "got 1000000"),
    "grid extent zero": (lambda: probe.grid(MLP, extent=0), ValueError, "extent must be a number greater than 0.0",
                         "got 0"),
    "grid extent str": (lambda: probe.grid(MLP, extent="6"), TypeError, "extent must be a number", "got '6' (str)"),
    "grid extent inf": (lambda: probe.grid(MLP, extent=math.inf), ValueError, "extent must be a number", "got inf"),
    "grid cnn": (lambda: probe.grid(CNN), TypeError, "grid needs a model of 2-D points", "got a CNN"),
    "grid 3 inputs": (lambda: probe.grid(models.mlp([2], n_inputs=3)), TypeError, "grid needs a model of 2-D points",
                      "inputs of shape (3,)"),
    "neuron_maps cnn": (lambda: probe.neuron_maps(CNN), TypeError, "neuron_maps needs a model of 2-D points", "got a CNN"),
    "neuron_maps resolution": (lambda: probe.neuron_maps(MLP, resolution=0), ValueError,
                               "resolution must be an integer from 2 to 1000", "got 0"),
    "hidden_space layer big": (lambda: probe.hidden_space(MLP, X10, 3), ValueError, "layer must be an integer from 0 to 2",
                               "got 3"),
    "hidden_space layer negative": (lambda: probe.hidden_space(MLP, X10, -1), ValueError, "layer must be an integer from 0",
                                    "got -1"),
    "hidden_space layer float": (lambda: probe.hidden_space(MLP, X10, 1.0), TypeError, "layer must be an integer",
                                 "got 1.0 (float)"),
    "hidden_space X nan": (lambda: probe.hidden_space(MLP, with_value(X10, (0, 0), np.nan), 1), ValueError,
                           "X must hold finite numbers", "got 1 NaN or infinite values"),
    "hidden_space X shape": (lambda: probe.hidden_space(MLP, np.zeros((5, 3)), 1), ValueError,
                             "X must have shape (n, 2) for this model", "got shape (5, 3)"),
    "hidden_space X text": (lambda: probe.hidden_space(MLP, "points", 1), TypeError, "X must be an array of numbers",
                            "got str"),
    "layer_outputs module": (lambda: probe.layer_outputs(torch.nn.Linear(2, 1), X10), TypeError,
                             "model must be built by hlkit.models.mlp or hlkit.models.cnn", "got Linear"),
    "weights cnn": (lambda: probe.weights(CNN), TypeError, "weights() needs an MLP built by hlkit.models.mlp"),
    "feature_maps mlp": (lambda: probe.feature_maps(MLP, IMAGE), TypeError, "feature_maps needs a CNN", "got MLP"),
    "feature_maps shape": (lambda: probe.feature_maps(CNN, np.zeros((2, 8, 8))), ValueError,
                           "image must have shape (H, W) or (1, H, W)", "got shape (2, 8, 8)"),
    "feature_maps size": (lambda: probe.feature_maps(CNN, np.zeros((7, 7))), ValueError,
                          "image must have shape (8, 8) or (1, 8, 8) for this CNN", "got shape (1, 7, 7)"),
    "feature_maps nan": (lambda: probe.feature_maps(CNN, with_value(IMAGE, (1, 1), np.nan)), ValueError,
                         "image must hold finite numbers", "got 1 NaN or infinite values"),
    "feature_maps text": (lambda: probe.feature_maps(CNN, "digit"), TypeError, "image must be an array of numbers",
                          "got str"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_with_a_helpful_message(case):
    call, error, *fragments = CASES[case]
    with pytest.raises(error) as caught:
        call()
    assert type(caught.value) is error   # not a subclass raised by accident deep inside numpy or torch
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_the_training_generator_refuses_on_the_first_step():
    run = train.training(MLP, CIRCLE, epochs=0)   # a generator: nothing is checked until it starts
    with pytest.raises(ValueError, match="epochs must be an integer from 1 to 100000; got 0"):
        next(run)


def test_absurd_row_counts_are_refused_by_the_limit(monkeypatch):
    # the limit, not a million-row array, is what is tested
    monkeypatch.setattr(data, "MAX_OWN_ROWS", 9)
    with pytest.raises(ValueError, match=r"X may have at most 9 rows; got 10"):
        data.from_arrays(X10, Y10)


def test_absurd_sizes_fail_fast_before_allocating():
    # a width of 10**6 would mean 10**12 weights between two such layers: refused by the check, not by memory
    with pytest.raises(ValueError, match="hidden"):
        models.mlp([10**6, 10**6])
    with pytest.raises(ValueError, match="n_points"):
        data.make_dataset(n_points=10**12)
    with pytest.raises(ValueError, match="resolution"):
        probe.grid(MLP, resolution=10**9)


def test_bad_input_leaves_the_model_untouched():
    model = models.mlp(seed=3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError):
        train.train(model, replace(CIRCLE, X_train=with_value(CIRCLE.X_train, (0, 0), np.nan)))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_own_data_of_a_million_points_is_drawn_thinned_and_says_so():
    """Issue 14: own data was drawn in full (up to 1,000,000 SVG points); now at most data.MAX_POINTS, like the
    toy sets, each class keeping its share, and the plot says how many it shows."""
    rng = np.random.default_rng(0)
    n = 60_000
    X = rng.uniform(-5, 5, (n, 2))
    y = np.where(np.arange(n) < 300, "rare", "common")           # a 0.5 % class stays visible
    d = data.from_arrays(X, y, train_ratio=0.5)
    fig = viz.decision_boundary(probe.grid(models.mlp(), resolution=10), d)
    points = [t for t in fig.data if t.type == "scatter"]
    drawn = sum(len(t.x) for t in points)
    assert drawn <= data.MAX_POINTS and drawn >= data.MAX_POINTS - 4
    rare = sum(len(t.x) for t in points if t.name.endswith("class 1"))
    assert abs(rare - data.MAX_POINTS * 300 / n) <= 4
    assert [a.text for a in fig.layout.annotations] == [f"showing {drawn:,} of {n:,} points"]
    # every drawn point is a real data point of its class (thinned, not moved)
    real = {(round(a, 3), round(b, 3)) for a, b in d.X}
    assert all((a, b) in real for t in points for a, b in zip(t.x, t.y, strict=True))
    small = viz.decision_boundary(probe.grid(models.mlp(), resolution=10), data.make_dataset("circle", n_points=20_000))
    assert sum(len(t.x) for t in small.data if t.type == "scatter") == 20_000 and not small.layout.annotations
