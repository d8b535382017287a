"""hlkit.viz: the numbers inside each figure (not pixels). The inputs come from hlkit.probe and hlkit.train;
any object with the same attributes works, which some tests use to feed exact arrays."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest

from hlkit import data, models, probe, train, viz

RNG = np.random.default_rng(2)
ROUND = 0.5e-3 + 1e-12   # figure data are rounded to 3 decimals


@pytest.fixture(scope="module")
def circle():
    return data.make_dataset("circle", n_points=60)


def arr(values):
    return np.asarray(values, dtype=np.float64)


# --- decision boundary -------------------------------------------------------------------------------------------

def test_binary_boundary_heatmap_is_predict_proba_on_the_grid(circle):
    model = models.mlp([4], seed=1)
    g = probe.grid(model, resolution=15)
    fig = viz.decision_boundary(g, circle)
    heat = fig.data[0]
    assert isinstance(heat, go.Heatmap)
    np.testing.assert_allclose(arr(heat.x), g.xs, atol=ROUND)
    np.testing.assert_allclose(arr(heat.y), g.ys, atol=ROUND)
    _, _, points = probe.plane(15)
    expected = probe.predict_proba(model, points)[:, 1].reshape(15, 15)
    np.testing.assert_allclose(arr(heat.z), expected, atol=ROUND)
    assert (heat.zmin, heat.zmax) == (0, 1)


def test_boundary_points_are_the_data(circle):
    g = probe.grid(models.mlp(), resolution=5)
    fig = viz.decision_boundary(g, circle)
    scatters = fig.data[1:]
    assert len(scatters) == 4   # train and test, two classes each
    for trace, (X, y, k) in zip(scatters, [(circle.X_train, circle.y_train, 0), (circle.X_train, circle.y_train, 1),
                                           (circle.X_test, circle.y_test, 0), (circle.X_test, circle.y_test, 1)],
                                strict=True):
        np.testing.assert_allclose(arr(trace.x), X[y == k, 0], atol=ROUND)
        np.testing.assert_allclose(arr(trace.y), X[y == k, 1], atol=ROUND)
        assert trace.marker.color == viz.class_color(k)
    assert viz.class_color(0) == viz.ORANGE and viz.class_color(1) == viz.BLUE
    assert len(viz.decision_boundary(g, circle, show_test=False).data) == 3
    assert len(viz.decision_boundary(g).data) == 1


def test_discretized_binary_boundary_shows_the_predicted_class(circle):
    g = probe.grid(models.mlp([3], seed=4), resolution=10)
    z = arr(viz.decision_boundary(g, circle, discretize=True).data[0].z)
    np.testing.assert_array_equal(z, (g.proba[..., 1] > 0.5).astype(float))


def test_multi_class_boundary_is_an_image_of_the_predicted_class():
    blobs = data.make_dataset("blobs", n_points=90, n_classes=3)
    g = probe.grid(models.mlp([4], n_classes=3), resolution=8)
    fig = viz.decision_boundary(g, blobs)
    image = fig.data[0]
    assert isinstance(image, go.Image)
    z = np.asarray(image.z)
    assert z.shape == (8, 8, 3)
    np.testing.assert_array_equal(z, viz.boundary_image(g.proba))
    assert image.x0 == g.xs[0] and image.dx == pytest.approx(g.xs[1] - g.xs[0])
    assert len(fig.data) == 1 + 2 * 3


def test_decision_lines_draw_each_models_half_line_over_the_points(circle):
    fits = [models.mlp([4], seed=seed) for seed in (1, 2, 3)]
    grids = [probe.grid(model, resolution=12) for model in fits]
    fig = viz.decision_lines(grids, circle, show_test=False)
    lines, points = fig.data[:3], fig.data[3:]
    _, _, plane = probe.plane(12)
    for trace, model in zip(lines, fits, strict=True):
        assert isinstance(trace, go.Contour)
        assert (trace.contours.start, trace.contours.end, trace.contours.coloring) == (0.5, 0.5, "lines")
        np.testing.assert_allclose(arr(trace.z), probe.predict_proba(model, plane)[:, 1].reshape(12, 12), atol=ROUND)
    assert [t.showlegend for t in lines] == [True, False, False]   # one legend entry for all the lines
    assert len(points) == 2 and all(isinstance(t, go.Scatter) for t in points)   # train points, two classes
    assert len(viz.decision_lines(grids[:1]).data) == 1
    with pytest.raises(ValueError, match="grids must hold at least one"):
        viz.decision_lines([])
    with pytest.raises(ValueError, match=r"grids\[1\] must be a two-class grid"):
        viz.decision_lines([grids[0], probe.grid(models.mlp([4]), resolution=7)])


def test_boundary_image_colours():
    certain = np.zeros((2, 2, 3))
    certain[0, :, 0] = 1   # row 0: sure of class 0
    certain[1, :, 2] = 1   # row 1: sure of class 2
    img = viz.boundary_image(certain)
    np.testing.assert_array_equal(img[0, 0], viz._rgb(viz.class_color(0)))
    np.testing.assert_array_equal(img[1, 1], viz._rgb(viz.class_color(2)))
    unsure = np.full((1, 1, 4), 0.25)
    np.testing.assert_array_equal(viz.boundary_image(unsure)[0, 0], viz._rgb(viz.WHITE))
    # discretize: full strength of the predicted class even where the model hesitates
    leaning = np.array([[[0.4, 0.3, 0.3]]])
    np.testing.assert_array_equal(viz.boundary_image(leaning, discretize=True)[0, 0], viz._rgb(viz.class_color(0)))


# --- network, neuron maps, loss curves -------------------------------------------------------------------------------

@pytest.mark.parametrize("hidden,n_classes", [([4, 2], 2), ([], 2), ([3], 4), ([5, 5, 5], 3)])
def test_network_nodes_and_links(hidden, n_classes):
    model = models.mlp(hidden, n_classes=n_classes, seed=3)
    ws = probe.weights(model)
    fig = viz.network(ws, input_names=probe.layer_names(model))
    nodes = [t for t in fig.data if t.name == "neurons"]
    assert len(nodes) == 1
    sizes = [2, *hidden, 1 if n_classes == 2 else n_classes]
    assert len(nodes[0].x) == sum(sizes)
    assert list(nodes[0].text[:2]) == ["x1", "x2"]
    links = [t for t in fig.data if t.name != "neurons"]
    # each link is one segment: two points and a None gap
    assert sum(list(t.x).count(None) for t in links) == sum(W.size for W, _ in ws)
    n_positive = sum(int((W >= 0).sum()) for W, _ in ws)
    assert sum(list(t.x).count(None) for t in links if t.line.color == viz.BLUE) == n_positive
    assert [a.text for a in fig.layout.annotations][0] == "input<br>2"


def test_neuron_maps_figure_holds_every_map():
    model = models.mlp([3, 2], seed=1)
    maps = probe.neuron_maps(model, resolution=6)
    fig = viz.neuron_maps(maps, input_names=["x1", "x2"])
    heat = list(fig.data)
    assert len(heat) == 2 + 3 + 2 + 1
    expected = [*maps.inputs, *maps.maps[0], *maps.maps[1], maps.output]
    for trace, z in zip(heat, expected, strict=True):
        np.testing.assert_allclose(arr(trace.z), z, atol=ROUND)
    assert heat[0].name == "x1" and heat[-1].name == "output"
    assert (heat[-1].zmin, heat[-1].zmax) == (0.0, 1.0)
    # hidden layers share one symmetric scale per layer
    span = np.abs(maps.maps[0]).max()
    assert heat[2].zmin == pytest.approx(-span) and heat[2].zmax == pytest.approx(span)


def test_neuron_maps_figure_caps_neurons_per_layer():
    maps = probe.neuron_maps(models.mlp([12]), resolution=4)
    assert len(viz.neuron_maps(maps, max_per_layer=5).data) == 2 + 5 + 1


def test_loss_curves_are_the_history():
    history = train.train(models.mlp(), data.make_dataset("circle", n_points=100), epochs=12, report_every=3,
                          optimizer="sgd", lr=0.5)
    fig = viz.loss_curves(history)
    names = [t.name for t in fig.data]
    assert names == ["train loss", "test loss", "train accuracy", "test accuracy"]
    for trace, values in zip(fig.data, [history.train_loss, history.test_loss, history.train_acc, history.test_acc],
                             strict=True):
        assert list(trace.x) == history.epoch == [0, 3, 6, 9, 12]
        np.testing.assert_allclose(arr(trace.y), values, atol=0.5e-4 + 1e-12)
    assert len(viz.loss_curves(history, show_accuracy=False).data) == 2
    assert viz.loss_curves(history, log_y=True).layout.yaxis.type == "log"


def test_loss_curves_accept_any_object_with_the_lists():
    fake = SimpleNamespace(epoch=[0, 1], train_loss=[0.7, 0.5], test_loss=[0.71, 0.6], train_acc=[0.5, 0.7],
                           test_acc=[0.5, 0.65])
    assert list(viz.loss_curves(fake).data[1].y) == [0.71, 0.6]


# --- hidden space, PCA, images ----------------------------------------------------------------------------------------

def test_hidden_space_width_1_is_a_line():
    H, y = RNG.normal(size=(20, 1)), np.arange(20) % 2
    fig = viz.hidden_space(H, y)
    for trace, k in zip(fig.data, [0, 1], strict=True):
        np.testing.assert_allclose(arr(trace.x), H[y == k, 0], atol=ROUND)
        assert np.all(arr(trace.y) == 0)


def test_hidden_space_width_2_is_as_is():
    H, y = RNG.normal(size=(20, 2)), np.arange(20) % 3
    fig = viz.hidden_space(H, y)
    assert len(fig.data) == 3
    for trace, k in zip(fig.data, [0, 1, 2], strict=True):
        np.testing.assert_allclose(np.column_stack([trace.x, trace.y]), H[y == k], atol=ROUND)
        assert trace.marker.color == viz.class_color(k)


def test_hidden_space_width_3_is_3d():
    H, y = RNG.normal(size=(20, 3)), np.arange(20) % 2
    fig = viz.hidden_space(H, y)
    assert all(isinstance(t, go.Scatter3d) for t in fig.data)
    np.testing.assert_allclose(np.column_stack([fig.data[1].x, fig.data[1].y, fig.data[1].z]), H[y == 1], atol=ROUND)


def test_hidden_space_wider_uses_pca():
    H = RNG.normal(size=(200, 6)) * np.array([5, 2, 1, 0.5, 0.1, 0.1])
    y = (H[:, 0] > 0).astype(int)
    fig = viz.hidden_space(H, y)
    proj, share = viz.pca_2d(np.round(H, 3))
    assert 0 < share.sum() <= 1 and share[0] >= share[1]
    centered = H - H.mean(axis=0)
    total = (centered ** 2).sum()
    # the share is the variance the projection keeps
    assert (proj[:, 0] ** 2).sum() / total == pytest.approx(share[0], rel=1e-3)
    assert (proj[:, 1] ** 2).sum() / total == pytest.approx(share[1], rel=1e-3)
    assert f"({share[0]:.0%} of variance)" in fig.layout.xaxis.title.text
    got = np.concatenate([np.column_stack([t.x, t.y]) for t in fig.data])
    np.testing.assert_allclose(got, np.concatenate([proj[y == 0], proj[y == 1]]), atol=1e-9)


def test_pca_of_planar_data_keeps_all_variance():
    rng = np.random.default_rng(5)
    H = rng.normal(size=(50, 2)) @ rng.normal(size=(2, 5))   # rank 2 in 5 dimensions
    proj, share = viz.pca_2d(H)
    assert share.sum() == pytest.approx(1.0)
    # distances between points survive a projection that keeps all the variance
    d = lambda P: np.linalg.norm(P[:, None] - P[None], axis=-1)
    np.testing.assert_allclose(d(proj), d(H), atol=1e-9)
    _, none = viz.pca_2d(np.ones((5, 4)))   # no variance at all
    np.testing.assert_array_equal(none, [0, 0])


def test_images_one_heatmap_per_image_upright():
    stack = RNG.uniform(0, 1, (5, 4, 3))
    fig = viz.images(stack, titles=[f"#{i}" for i in range(5)], cols=3)
    assert len(fig.data) == 5
    for trace, img in zip(fig.data, stack, strict=True):
        np.testing.assert_allclose(arr(trace.z), img[::-1], atol=ROUND)   # heatmap rows run bottom-up
        assert trace.zmin == stack.min() and trace.zmax == stack.max()
    assert [a.text for a in fig.layout.annotations] == ["#0", "#1", "#2", "#3", "#4"]
    signed = viz.images(stack - 0.5, zmid=0.0)
    span = np.abs(stack - 0.5).max()
    assert signed.data[0].zmin == pytest.approx(-span) and signed.data[0].zmax == pytest.approx(span)


def test_images_of_feature_maps():
    maps = probe.feature_maps(models.cnn((4,)), RNG.uniform(0, 1, (8, 8)))
    assert len(viz.images(maps[0]).data) == 4
    with pytest.raises(ValueError, match=r"stack must hold at least one image, shape \(n, h, w\); got shape \(0, 8, 8\)"):
        viz.images(np.zeros((0, 8, 8)))
    with pytest.raises(ValueError, match=r"got shape \(8, 8\)"):
        viz.images(np.zeros((8, 8)))


def test_figure_data_are_rounded_to_3_decimals(circle):
    g = probe.grid(models.mlp(seed=2), resolution=6)
    z = arr(viz.decision_boundary(g, circle).data[0].z)
    np.testing.assert_array_equal(z, np.round(z, 3))


# --- the class palette under colour-vision deficiencies --------------------------------------------------------

#: Machado, Oliveira & Fernandes (2009), severity 1.0: linear-RGB matrices simulating each dichromacy
MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
    "typical": np.eye(3).tolist(),
}


def _lab(hex_colour: str, matrix) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour seen through a simulation matrix."""
    c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    linear = np.clip(np.asarray(matrix) @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _closest_pair(colours, matrix) -> float:
    lab = [_lab(c, matrix) for c in colours]
    return min(np.linalg.norm(a - b) for i, a in enumerate(lab) for b in lab[i + 1:])


def test_the_simulation_is_machados():
    # the old palette's pairs the issue saw merge: green/red for deuteranopes, blue/purple for protanopes, while
    # typical vision tells them far apart: the simulation bites where it should
    assert _closest_pair(["#2ca02c", "#d62728"], MACHADO["deuteranopia"]) < 10
    assert _closest_pair(["#0877bd", "#9467bd"], MACHADO["protanopia"]) < 3
    assert _closest_pair(["#2ca02c", "#d62728"], MACHADO["typical"]) > 100
    assert _closest_pair(["#0877bd", "#9467bd"], MACHADO["typical"]) > 30


@pytest.mark.parametrize("vision", list(MACHADO))
def test_class_colours_stay_apart_under_colour_vision_deficiencies(vision):
    # every class count a dataset makes (blobs: up to 8); 12 CIELAB units is clearly visible side by side
    most = max(max(allowed) for _, allowed, _ in data.GENERATORS.values())
    assert most == 8
    for k in range(2, most + 1):
        gap = _closest_pair(viz.CLASS_COLORS[:k], MACHADO[vision])
        assert gap >= 12, f"{k} classes under {vision}: two colours only {gap:.1f} CIELAB units apart"
    assert viz.CLASS_COLORS[:2] == [viz.ORANGE, viz.BLUE]   # the binary sets keep TF Playground's pair


# --- spread: runs drawn as their median (or mean) with a min-max band (lessons 03 and 04) ---------------------------

def test_spread_draws_median_and_min_max_band():
    runs = np.array([[1.0, 10.0, 100.0], [2.0, 20.0, 300.0], [4.0, 5.0, 200.0]])
    fig = viz.spread([1, 2, 3], {"left": {"a": runs, "b": runs / 2}, "right": {"a": runs * 3}}, log_y=True,
                     title="t", y_title="size")
    band, line = fig.data[0], fig.data[1]
    assert np.allclose(band.x, [1, 2, 3, 3, 2, 1]) and np.allclose(band.y, [4, 20, 300, 100, 5, 1])
    assert np.allclose(line.y, [2, 10, 200]) and np.allclose(line.customdata, [[1, 4], [5, 20], [100, 300]])
    assert [t.name for t in fig.data if t.showlegend is not False] == ["a", "b"]      # one legend entry per series
    assert fig.data[5].line.color == line.line.color and np.allclose(fig.data[5].y, [6, 30, 600])
    assert fig.layout.yaxis.type == fig.layout.yaxis2.type == "log" and fig.layout.title.text == "t"
    assert fig.layout.yaxis.title.text == "size" and fig.layout.xaxis.type == "linear"
    assert "median" in line.hovertemplate
    with pytest.raises(ValueError, match=r"series 'a' must have shape \(runs, 3\); got \(3,\) instead"):
        viz.spread([1, 2, 3], {"p": {"a": runs[0]}})


def test_spread_can_draw_the_mean_on_a_log_x_axis():
    runs = np.array([[1.0, 10.0, 100.0], [2.0, 20.0, 300.0], [6.0, 0.0, 200.0]])
    fig = viz.spread([0.01, 0.1, 1.0], {"p": {"a": runs}}, center="mean", log_x=True)
    assert np.allclose(fig.data[1].y, [3, 10, 200]) and np.allclose(fig.data[0].y, [6, 20, 300, 100, 0, 1])
    assert fig.layout.xaxis.type == "log" and "mean" in fig.data[1].hovertemplate
    with pytest.raises(ValueError, match=r"center must be one of .*'median'.*got 'mode'"):
        viz.spread([1, 2, 3], {"p": {"a": runs}}, center="mode")
