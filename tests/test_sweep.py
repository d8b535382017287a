"""hlkit.sweep: shapes, agreement with single runs of the training loop, input checks; and its two plots."""

import contextlib

import numpy as np
import pytest
import torch

import hlkit as hl
from hlkit import sweep, viz

torch.set_num_threads(1)
DATA = hl.make_dataset("circle", n_points=80, noise=0.1, seed=3)


def test_capacity_grid_shapes_and_depth_zero_row():
    grid = sweep.capacity_grid(DATA, [0, 1, 2], [1, 3], epochs=5, lr=0.05)
    for name in ("train_acc", "test_acc", "train_loss", "test_loss", "n_params", "epochs"):
        assert getattr(grid, name).shape == (3, 2), name
    assert np.array_equal(grid.depths, [0, 1, 2]) and np.array_equal(grid.widths, [1, 3])
    # depth 0 is one linear model repeated along the row
    assert grid.test_acc[0, 0] == grid.test_acc[0, 1] and grid.n_params[0].tolist() == [3, 3]
    expected = [[hl.n_params(hl.mlp(hl.models.hidden_sizes(d, w))) for w in (1, 3)] for d in (0, 1, 2)]
    assert grid.n_params.tolist() == expected
    assert (grid.epochs == 5).all()
    assert ((grid.test_acc >= 0) & (grid.test_acc <= 1)).all()


def test_capacity_grid_matches_the_training_loop():
    grid = sweep.capacity_grid(DATA, [2], [4], epochs=20, lr=0.03, seed=1)
    model = hl.mlp([4, 4], seed=1)
    history = hl.train.train(model, DATA, epochs=20, lr=0.03, seed=1)
    assert grid.test_acc[0, 0] == pytest.approx(history.test_acc[-1])
    assert grid.train_loss[0, 0] == pytest.approx(history.train_loss[-1])


def test_best_prefers_the_smaller_network_on_ties():
    grid = sweep.CapacityGrid(np.array([1, 2]), np.array([2, 4]), train_acc=np.ones((2, 2)),
                              test_acc=np.array([[0.5, 0.9], [0.9, 0.9]]), train_loss=np.zeros((2, 2)),
                              test_loss=np.zeros((2, 2)), n_params=np.array([[9, 17], [15, 37]]),
                              epochs=np.ones((2, 2), dtype=int))
    assert grid.best() == (2, 2)          # 0.9 three times: 15 parameters is the fewest
    assert grid.best("train_acc") == (1, 2)
    with pytest.raises(ValueError, match="values must be one of"):
        grid.best("accuracy")


def test_train_many_shapes_and_target():
    runs = sweep.train_many(DATA, [[], [3]], seeds=[0, 1, 2], epochs=30, lr=0.05, target=0.5)
    assert runs.test_acc.shape == runs.reached.shape == (2, 3)
    assert runs.n_params.tolist() == [3, 13]
    assert ((runs.reached == -1) | ((runs.reached >= 0) & (runs.reached <= 30))).all()
    never = sweep.train_many(DATA, [[1]], epochs=3, target=1.0)
    assert never.reached.tolist() == [[-1]]
    assert sweep.train_many(DATA, [[1]], epochs=3).reached.tolist() == [[-1]]


def test_train_many_passes_options_and_early_stopping_counts_epochs():
    runs = sweep.train_many(DATA, [[8]], epochs=400, lr=0.05, patience=5)
    assert runs.epochs[0, 0] < 400


def test_multiclass_data():
    spiral = hl.make_dataset("spiral", n_points=60, n_classes=3, seed=0)
    grid = sweep.capacity_grid(spiral, [1], [4], epochs=3)
    assert grid.n_params[0, 0] == hl.n_params(hl.mlp([4], n_classes=3))


@pytest.mark.parametrize("call, message", [
    (lambda: sweep.capacity_grid(DATA, [11], [2], epochs=1), "depths\\[0\\] must be an integer from 0 to 10"),
    (lambda: sweep.capacity_grid(DATA, [1], [0], epochs=1), "widths\\[0\\] must be an integer from 1 to 256"),
    (lambda: sweep.capacity_grid(DATA, [], [2], epochs=1), "depths must hold at least one value"),
    (lambda: sweep.capacity_grid(DATA, 3, [2], epochs=1), "depths must be a list of integers"),
    (lambda: sweep.capacity_grid(DATA.X_train, [1], [2]), "data must be an hlkit Dataset"),
    (lambda: sweep.train_many(DATA, "8", epochs=1), "hiddens must be a non-empty list"),
    (lambda: sweep.train_many(DATA, [[2]], seeds=[-1], epochs=1), "seeds\\[0\\] must be an integer"),
    (lambda: sweep.train_many(DATA, [[2]] * 300, seeds=[0, 1], epochs=1), "at most 500 runs"),
    (lambda: sweep.train_many(DATA, [[2]], epochs=1, target=1.5), "target must be a number from 0.0 to 1.0"),
    (lambda: sweep.train_many(DATA, [[2]], epochs=1, optimizer="rmsprop"), "optimizer must be one of"),
])
def test_bad_inputs_name_the_parameter(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


def test_numpy_integers_are_accepted():
    grid = sweep.capacity_grid(DATA, np.arange(1, 2), np.array([2]), epochs=1)
    assert grid.test_acc.shape == (1, 1)


def test_validation_split_keeps_test_points_out():
    split = sweep.validation_split(DATA, val_ratio=0.25, seed=1)
    n = len(DATA.y_train)
    assert len(split.y_train) + len(split.y_test) == n and len(split.y_test) == round(0.25 * n)
    together = np.concatenate([split.X_train, split.X_test])
    assert sorted(map(tuple, together)) == sorted(map(tuple, DATA.X_train))   # exactly the old training points
    assert split.n_classes == DATA.n_classes
    again = sweep.validation_split(DATA, val_ratio=0.25, seed=1)
    assert np.array_equal(again.X_test, split.X_test)
    with pytest.raises(ValueError, match="val_ratio must be a number from 0.1 to 0.9"):
        sweep.validation_split(DATA, val_ratio=0.95)


def test_fit_curve_improves_with_width_and_checks_inputs():
    x = np.linspace(-3, 3, 41)
    one = sweep.fit_curve(x, np.sin(x), hidden=[1], epochs=300, lr=0.05)
    many = sweep.fit_curve(x, np.sin(x), hidden=[8], epochs=300, lr=0.05)
    assert one.prediction.shape == (41,) and one.n_params == 4 and many.n_params == 25
    # one tanh unit is monotone and sin rises from -1 to 1 then falls to 0.14: error >= (1 - 0.14) / 2
    assert one.max_error >= 0.43 > many.max_error
    assert one.rms_error == pytest.approx(np.sqrt(np.mean((one.prediction - np.sin(x)) ** 2)))
    with pytest.raises(ValueError, match="shape \\(n,\\)"):
        sweep.fit_curve(x, np.sin(x)[:-1])
    with pytest.raises(ValueError, match="finite"):
        sweep.fit_curve(np.array([0.0, np.nan]), np.array([0.0, 1.0]))


def test_fit_curve_trains_inside_the_one_thread_guard(monkeypatch):
    # one way to limit threads for tiny networks (train.one_thread_if_small), not a second copy in sweep
    entered, real = [], sweep.one_thread_if_small

    @contextlib.contextmanager
    def spy(model):
        with real(model):
            entered.append((hl.n_params(model), torch.get_num_threads()))
            yield

    monkeypatch.setattr(sweep, "one_thread_if_small", spy)
    torch.set_num_threads(2)
    try:
        sweep.fit_curve(np.linspace(-3, 3, 11), np.sin(np.linspace(-3, 3, 11)), hidden=[3], epochs=5)
        assert entered == [(10, 1)] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)


def test_capacity_map_figure():
    values = np.array([[0.5, 0.61234], [0.9, 1.0]])
    fig = viz.capacity_map(values, [1, 2], [4, 8], title="t")
    heat = fig.data[0]
    assert np.allclose(np.asarray(heat.z), [[0.5, 0.612], [0.9, 1.0]])
    assert list(heat.x) == ["4", "8"] and list(heat.y) == ["1", "2"]
    assert heat.text[0][1] == "0.61"
    with pytest.raises(ValueError, match="values must have shape"):
        viz.capacity_map(values, [1, 2, 3], [4, 8])


def test_curves_figure():
    x = np.arange(3)
    fig = viz.curves(x, {"a": [1, 2, 3], "b": [0.5, 0.5, 0.5]}, dashed=("b",))
    assert [t.name for t in fig.data] == ["a", "b"]
    assert fig.data[1].line.dash == "dash" and fig.data[0].line.dash == "solid"
    with pytest.raises(ValueError, match="series 'a' must have the shape of x"):
        viz.curves(x, {"a": [1, 2]})


def test_subsample_keeps_the_test_set():
    small = sweep.subsample(DATA, 10, seed=2)
    assert len(small.y_train) == 10 and np.array_equal(small.X_test, DATA.X_test)
    rows = {tuple(r) for r in DATA.X_train}
    assert all(tuple(r) in rows for r in small.X_train)
    assert np.array_equal(sweep.subsample(DATA, 10, seed=2).X_train, small.X_train)
    with pytest.raises(ValueError, match="n_train must be an integer from 2 to 40"):
        sweep.subsample(DATA, 41)


def test_target_every_sets_the_resolution_of_reached():
    runs = sweep.train_many(DATA, [[4]], epochs=40, lr=0.05, target=0.0, target_every=10)
    assert runs.reached.tolist() == [[0]]            # the untrained model (epoch 0) already has accuracy >= 0
    runs = sweep.train_many(DATA, [[4]], epochs=40, lr=0.05, target=1.0 - 1e-9, target_every=10)
    assert runs.reached[0, 0] == -1 or runs.reached[0, 0] % 10 == 0
    with pytest.raises(ValueError, match="target_every must be an integer from 1"):
        sweep.train_many(DATA, [[4]], epochs=4, target=0.5, target_every=0)


def test_resample_trains_each_network_on_different_training_sets_and_measures_the_same_test_points():
    pool = hl.make_dataset("circle", n_points=200, noise=0.2, train_ratio=0.5, seed=0)
    fits = sweep.resample(pool, [[2], [4]], n_train=30, n_fits=3, epochs=20, lr=0.05)
    assert fits.test_proba.shape == (2, 3, 100) and fits.test_acc.shape == fits.test_loss.shape == (2, 3)
    assert fits.n_params.tolist() == [hl.n_params(hl.mlp([2])), hl.n_params(hl.mlp([4]))]
    for h in range(2):
        for f in range(3):
            model = fits.models[h][f]
            np.testing.assert_allclose(fits.test_proba[h, f], hl.probe.predict_proba(model, pool.X_test)[:, 1])
            assert fits.test_acc[h, f] == pytest.approx(hl.train.evaluate(model, pool.X_test, pool.y_test)[1])
    # fit f is trained on subsample(seed=f) with model seed f: retraining it reproduces its predictions
    again = hl.mlp([4], seed=1)
    hl.train.train(again, sweep.subsample(pool, 30, seed=1), epochs=20, lr=0.05, seed=1)
    np.testing.assert_allclose(fits.test_proba[1, 1], hl.probe.predict_proba(again, pool.X_test)[:, 1])
    assert not np.allclose(fits.test_proba[1, 0], fits.test_proba[1, 1])     # different training sets, different fits
    with pytest.raises(ValueError, match="data must have 2 classes"):
        sweep.resample(hl.make_dataset("blobs", n_classes=3, seed=0), [[2]], n_train=10, epochs=1)
    with pytest.raises(ValueError, match="n_fits must be"):
        sweep.resample(pool, [[2]], n_train=10, n_fits=1, epochs=1)


def test_resample_with_validation_points_stops_each_fit_early_on_them_never_on_the_test_points():
    pool = hl.make_dataset("circle", n_points=200, noise=0.3, train_ratio=0.5, seed=0)
    fits = sweep.resample(pool, [[16, 16]], n_train=30, n_fits=2, n_val=20, epochs=400, lr=0.05, patience=10)
    assert fits.epochs.shape == (1, 2) and (fits.epochs < 400).all()          # both stopped early
    # fit 1 by hand: the 30 training points of subsample(seed=1), the next 20 of the same order as validation
    part = sweep.subsample(pool, 30, seed=1)
    val = np.random.default_rng(1).permutation(100)[30:50]
    assert not set(map(tuple, pool.X_train[val])) & set(map(tuple, part.X_train))
    held = hl.data.Dataset(part.X_train, part.y_train, pool.X_train[val], pool.y_train[val], 2, "v", pool.class_names)
    again = hl.mlp([16, 16], seed=1)
    history = hl.train.train(again, held, epochs=400, lr=0.05, seed=1, patience=10)
    assert history.epoch[-1] == fits.epochs[0, 1]
    np.testing.assert_allclose(fits.test_proba[0, 1], hl.probe.predict_proba(again, pool.X_test)[:, 1])
    assert fits.train_acc[0, 1] == pytest.approx(hl.train.evaluate(again, part.X_train, part.y_train)[1])
    with pytest.raises(ValueError, match="patience needs validation points"):
        sweep.resample(pool, [[2]], n_train=10, epochs=5, patience=3)
    with pytest.raises(ValueError, match="n_val must be"):
        sweep.resample(pool, [[2]], n_train=90, n_val=20, epochs=5)
