"""Plots: arrays in, plotly figure out. No torch, no training, no widgets.

The arrays come from ``hlkit.probe`` (a Grid, NeuronMaps, weights) and ``hlkit.train`` (a History); any
object with the same attributes works. Colours follow TensorFlow Playground: orange is class 0 / negative,
blue is class 1 / positive.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .arguments import check_choice, check_float, check_int
from .data import MAX_POINTS, thin

ORANGE, BLUE, WHITE = "#f59322", "#0877bd", "#e8eaeb"
#: probability of class 1: 0 -> orange, 0.5 -> near white, 1 -> blue
BINARY_SCALE = [[0.0, ORANGE], [0.5, WHITE], [1.0, BLUE]]
#: one colour per class for multi-class sets (class 0 orange, class 1 blue like the binary sets), then the
#: Okabe-Ito colours: the first 8 (every class count a dataset makes) stay apart under a simulation of protanopia,
#: deuteranopia and tritanopia (tests/test_viz.py; the old tab10 blue/purple were 1 CIELAB unit apart for protanopes)
CLASS_COLORS = [ORANGE, BLUE, "#009e73", "#cc79a7", "#f0e442", "#56b4e9", "#d55e00", "#8c564b", "#999999",
                "#6a3d9a"]
#: signed neuron outputs and weights: negative orange, zero white, positive blue
SIGNED_SCALE = BINARY_SCALE


def _r(values, decimals: int = 3) -> np.ndarray:
    """Round figure data: 3 decimals is finer than any screen shows, keeps saved notebooks small, and makes
    saved outputs identical across CPUs whose last bits differ."""
    return np.round(np.asarray(values, dtype=np.float64), decimals)


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


def class_color(k: int) -> str:
    return CLASS_COLORS[k % len(CLASS_COLORS)]


def _points(X, y, *, name: str, test: bool, n_classes: int) -> list[go.Scatter]:
    traces = []
    for k in range(n_classes):
        sel = np.asarray(y) == k
        traces.append(go.Scatter(
            x=_r(np.asarray(X)[sel, 0]), y=_r(np.asarray(X)[sel, 1]), mode="markers",
            name=f"{name} · class {k}", legendgroup=name,
            marker=dict(color=class_color(k), size=6 if not test else 7, symbol="circle" if not test else "diamond",
                        line=dict(color="white" if not test else "black", width=1)),
            hovertemplate=f"{name} point, class {k}<br>x1=%{{x:.2f}}<br>x2=%{{y:.2f}}<extra></extra>"))
    return traces


def boundary_image(proba: np.ndarray, *, discretize: bool = False) -> np.ndarray:
    """RGB image (rows = y, uint8) of class probabilities (res, res, k): each class's colour blended with
    white by the model's confidence; ``discretize`` shows only the predicted class at full strength."""
    k = proba.shape[-1]
    if discretize:
        proba = np.eye(k)[proba.argmax(axis=-1)]
    colors = np.stack([_rgb(class_color(c)) for c in range(k)])
    confidence = (proba.max(axis=-1, keepdims=True) - 1 / k) / (1 - 1 / k)  # 0 = unsure, 1 = certain
    mixed = proba @ colors
    image = _rgb(WHITE) + confidence * (mixed - _rgb(WHITE))
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def decision_boundary(grid, data=None, *, discretize: bool = False, show_test: bool = True,
                      title: str | None = None) -> go.Figure:
    """The model's prediction over the plane, with the data points on top.

    grid: a ``probe.Grid`` (xs, ys of shape (res,), proba of shape (res, res, k)). data: a Dataset whose
    train points are drawn as circles with a white rim and test points as diamonds with a black rim.
    Two classes: a heatmap of P(class 1) with a colour bar (``discretize``: the predicted class only).
    More classes: each cell in its predicted class's colour, paler where the model is less sure.
    """
    proba = np.asarray(grid.proba)
    xs, ys = np.asarray(grid.xs), np.asarray(grid.ys)
    k = proba.shape[-1]
    fig = go.Figure()
    if k == 2:
        z = proba[..., 1] if not discretize else (proba[..., 1] > 0.5).astype(np.float64)
        fig.add_trace(go.Heatmap(
            x=_r(xs), y=_r(ys), z=_r(z), zmin=0, zmax=1, colorscale=BINARY_SCALE,
            zsmooth="best" if not discretize else False,
            colorbar=dict(title=dict(text="P(class 1)", side="right"), thickness=12, len=0.8),
            hovertemplate="x1=%{x:.2f}<br>x2=%{y:.2f}<br>P(class 1)=%{z:.2f}<extra></extra>", name="prediction"))
    else:
        step = xs[1] - xs[0]
        fig.add_trace(go.Image(z=boundary_image(proba, discretize=discretize), x0=xs[0], dx=step, y0=ys[0],
                               dy=ys[1] - ys[0], hoverinfo="skip", name="prediction"))
    _add_points(fig, data, k, show_test)
    return _plane_layout(fig, xs, title)


def decision_lines(grids, data=None, *, show_test: bool = True, title: str | None = None) -> go.Figure:
    """Where each of several models of two classes changes its mind: the line P(class 1) = 0.5 of every grid, drawn
    together over the data points (e.g. the fits of one architecture on resampled training sets: the spread of the
    lines shows how much the answer depends on the sample). grids: ``probe.Grid``s over the same plane, each with
    proba of shape (res, res, 2); data: as for ``decision_boundary``. Traces: one contour per grid, then the points."""
    grids = list(grids)
    if not grids:
        raise ValueError("grids must hold at least one probe.Grid; got none")
    xs, ys = np.asarray(grids[0].xs), np.asarray(grids[0].ys)
    fig = go.Figure()
    for i, grid in enumerate(grids):
        proba = np.asarray(grid.proba)
        if proba.shape != (len(ys), len(xs), 2):
            raise ValueError(f"grids[{i}] must be a two-class grid over the plane of grids[0], proba of shape "
                             f"{(len(ys), len(xs), 2)}; got {proba.shape} instead")
        fig.add_trace(go.Contour(x=_r(xs), y=_r(ys), z=_r(proba[..., 1]), contours=dict(start=0.5, end=0.5, size=1,
                                 coloring="lines"), line=dict(width=2, color="#333"), showscale=False, opacity=0.8,
                                 name="P(class 1) = 0.5, one line per model", legendgroup="lines", showlegend=i == 0,
                                 hoverinfo="skip"))
    _add_points(fig, data, 2, show_test)
    return _plane_layout(fig, xs, title)


def _add_points(fig: go.Figure, data, k: int, show_test: bool) -> None:
    """The data's points over a picture of the plane (train: circles, test: diamonds), thinned to MAX_POINTS."""
    if data is None:
        return
    n_classes = max(k, int(data.n_classes))
    parts = [(data.X_train, data.y_train, "train")] + ([(data.X_test, data.y_test, "test")] if show_test else [])
    total = sum(len(y) for _, y, _ in parts)
    drawn = 0
    for X, y, name in parts:   # own data may hold 1,000,000 points: draw at most MAX_POINTS, each class its share
        keep = thin(y, max(1, MAX_POINTS * len(y) // total)) if total > MAX_POINTS else np.arange(len(y))
        drawn += len(keep)
        for trace in _points(np.asarray(X)[keep], np.asarray(y)[keep], name=name, test=name == "test",
                             n_classes=n_classes):
            fig.add_trace(trace)
    if drawn < total:
        fig.add_annotation(text=f"showing {drawn:,} of {total:,} points", xref="paper", yref="paper", x=0, y=1,
                           xanchor="left", yanchor="top", showarrow=False, bgcolor="rgba(255,255,255,0.8)")


def _plane_layout(fig: go.Figure, xs, title: str | None) -> go.Figure:
    lo, hi = float(xs[0]), float(xs[-1])
    fig.update_layout(
        title=title, width=480, height=440, margin=dict(l=40, r=20, t=40 if title else 20, b=40),
        xaxis=dict(range=[lo, hi], title="x1", constrain="domain"),
        yaxis=dict(range=[lo, hi], title="x2", scaleanchor="x", autorange=False),
        legend=dict(orientation="h", y=-0.15), plot_bgcolor="white")
    return fig


def neuron_maps(maps, *, layer_titles=None, input_names=None, max_per_layer: int = 8) -> go.Figure:
    """Every neuron's output over the plane, one column per layer (inputs, hidden layers, output), like the
    Playground's node thumbnails. maps: a ``probe.NeuronMaps``. Colours: orange negative, blue positive;
    each layer is on one colour scale so neurons can be compared. Shows at most ``max_per_layer`` per layer."""
    columns = [np.asarray(maps.inputs), *[np.asarray(m) for m in maps.maps], np.asarray(maps.output)[None]]
    titles = layer_titles or (["inputs"] + [f"hidden {i + 1}" for i in range(len(maps.maps))] + ["output"])
    rows = min(max(len(c) for c in columns), max_per_layer)
    fig = make_subplots(rows=rows, cols=len(columns), column_titles=titles, horizontal_spacing=0.02,
                        vertical_spacing=0.02)
    for c, column in enumerate(columns):
        is_output = c == len(columns) - 1
        span = 1.0 if is_output else max(float(np.abs(column).max()), 1e-9)
        for r, image in enumerate(column[:rows]):
            if is_output:
                z, zmin, zmax = image, 0.0, 1.0
            else:
                z, zmin, zmax = image, -span, span
            if c == 0 and input_names:
                label = input_names[r]
            elif is_output:
                label = "output"
            else:
                label = f"layer {c}, neuron {r + 1}"
            fig.add_trace(go.Heatmap(x=_r(maps.xs), y=_r(maps.ys), z=_r(z), zmin=zmin, zmax=zmax, colorscale=SIGNED_SCALE,
                                     showscale=False, name=label,
                                     hovertemplate=label + "<br>x1=%{x:.1f} x2=%{y:.1f}<br>out=%{z:.2f}<extra></extra>"),
                          row=r + 1, col=c + 1)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_layout(width=max(110 * len(columns), 330), height=max(75 * rows + 50, 200),
                      margin=dict(l=10, r=10, t=40, b=10))
    return fig


def network(weight_list, *, input_names=None, width_scale: float = 4.0, max_per_layer: int | None = None,
            fixed_traces: bool = False) -> go.Figure:
    """The network as layers of nodes with links coloured by the weight's sign (blue +, orange -) and drawn
    thicker for larger |weight|. weight_list: [(W, b), ...] per Linear layer, W of shape (n_out, n_in).
    max_per_layer: draw only the first that many neurons of each layer (the labels give the full sizes).
    fixed_traces: always 9 traces (8 link bins, some maybe empty, then the nodes), so a live figure can be
    updated in place frame after frame."""
    true_sizes = [weight_list[0][0].shape[1]] + [W.shape[0] for W, _ in weight_list]
    if max_per_layer is not None:
        weight_list = [(W[:max_per_layer, :max_per_layer], b[:max_per_layer]) for W, b in weight_list]
    sizes = [weight_list[0][0].shape[1]] + [W.shape[0] for W, _ in weight_list]
    xpos = np.arange(len(sizes), dtype=float)
    ypos = _node_positions
    fig = go.Figure()
    # links binned by strength and sign: 2 x 4 traces, each one polyline with gaps, instead of a trace per link
    for positive, level, xs, ys in network_links(weight_list):
        if not xs and not fixed_traces:
            continue
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                 line=dict(color=BLUE if positive else ORANGE, width=0.5 + width_scale * level / 3),
                                 opacity=0.35 + 0.65 * level / 3, name=f"{'+' if positive else '-'} weights"))
    node_x, node_y, text = [], [], []
    names = ["input"] + [f"hidden {i}" for i in range(1, len(sizes) - 1)] + ["output"]
    for layer, n in enumerate(sizes):
        for i, y in enumerate(ypos(n)):
            node_x.append(xpos[layer])
            node_y.append(y)
            if layer == 0 and input_names:
                text.append(input_names[i])
            else:
                text.append(f"{names[layer]} #{i + 1}")
    fig.add_trace(go.Scatter(x=node_x, y=node_y, mode="markers", text=text, hoverinfo="text", showlegend=False,
                             marker=dict(size=14, color="white", line=dict(color="#333", width=1.5)), name="neurons"))
    fig.update_layout(width=max(120 * len(sizes), 300), height=max(40 * max(sizes) + 80, 200),
                      margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="white",
                      xaxis=dict(visible=False, range=[-0.3, len(sizes) - 0.7]), yaxis=dict(visible=False))
    for layer, name in enumerate(names):
        shown = str(true_sizes[layer])
        if sizes[layer] != true_sizes[layer]:
            shown += f" ({sizes[layer]} shown)"
        fig.add_annotation(x=xpos[layer], y=(max(sizes) - 1) / 2 + 0.8, text=f"{name}<br>{shown}",
                           showarrow=False, font=dict(size=11))
    return fig


def _node_positions(n: int) -> np.ndarray:
    return np.linspace(-(n - 1) / 2, (n - 1) / 2, n) if n > 1 else np.zeros(1)


def network_links(weight_list, *, max_per_layer: int | None = None) -> list[tuple[bool, int, list, list]]:
    """The links of ``network(weight_list)`` in its 8 bins, in trace order: (positive, strength level 0-3, xs, ys)
    with xs, ys one polyline per bin (None between links); a bin may be empty."""
    if max_per_layer is not None:
        weight_list = [(W[:max_per_layer, :max_per_layer], b[:max_per_layer]) for W, b in weight_list]
    largest = max(float(np.abs(W).max()) for W, _ in weight_list) or 1.0
    bins = {(positive, level): ([], []) for positive in (False, True) for level in range(4)}
    for layer, (W, _) in enumerate(weight_list):
        y_in, y_out = _node_positions(W.shape[1]), _node_positions(W.shape[0])
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                w = W[i, j]
                xs, ys = bins[(w >= 0, min(int(abs(w) / largest * 4), 3))]
                xs += [float(layer), float(layer + 1), None]
                ys += [y_in[j], y_out[i], None]
    return [(positive, level, xs, ys) for (positive, level), (xs, ys) in sorted(bins.items())]


def loss_curves(history, *, show_accuracy: bool = True, log_y: bool = False) -> go.Figure:
    """Train and test loss per epoch (solid), with train and test accuracy (dotted, right axis).
    history: a ``train.History`` or any object with epoch, train_loss, test_loss, train_acc, test_acc lists."""
    fig = make_subplots(specs=[[{"secondary_y": show_accuracy}]])
    epochs = list(history.epoch)
    fig.add_trace(go.Scatter(x=epochs, y=_r(history.train_loss, 4), name="train loss", line=dict(color="#333")))
    fig.add_trace(go.Scatter(x=epochs, y=_r(history.test_loss, 4), name="test loss", line=dict(color="#d62728")))
    if show_accuracy:
        fig.add_trace(go.Scatter(x=epochs, y=_r(history.train_acc, 4), name="train accuracy",
                                 line=dict(color="#333", dash="dot")), secondary_y=True)
        fig.add_trace(go.Scatter(x=epochs, y=_r(history.test_acc, 4), name="test accuracy",
                                 line=dict(color="#d62728", dash="dot")), secondary_y=True)
        # fixed ticks: plotly would otherwise line them up with the loss axis's grid (0.267, 0.534, ...)
        fig.update_yaxes(title_text="accuracy", range=[0, 1.05], tickmode="array", tickvals=[0, 0.25, 0.5, 0.75, 1],
                         showgrid=False, secondary_y=True)
    fig.update_yaxes(title_text="loss (cross-entropy)", type="log" if log_y else "linear", secondary_y=False,
                     rangemode="tozero" if not log_y else None)
    fig.update_xaxes(title_text="epoch")
    fig.update_layout(width=480, height=300, margin=dict(l=50, r=50, t=20, b=40),
                      legend=dict(orientation="h", y=-0.3))
    return fig


def pca_2d(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project rows of H (n, d) onto their two main directions: (n, 2) points and the share of variance kept."""
    centered = H - H.mean(axis=0)
    _, s, vt = np.linalg.svd(centered, full_matrices=False)
    var = s ** 2
    share = var[:2] / var.sum() if var.sum() > 0 else np.zeros(2)
    proj = centered @ vt[:2].T
    if proj.shape[1] < 2:
        proj = np.column_stack([proj, np.zeros(len(proj))])
    return proj, share


def hidden_space(H, y, *, title: str | None = None) -> go.Figure:
    """The data as a layer sees it: each point placed at its layer outputs H (n, width), coloured by class.
    Width 1: on a line; width 2: as is; width 3: a 3-D scatter; wider: the two principal directions (PCA),
    with the share of variance they keep in the axis titles."""
    H, y = _r(H), np.asarray(y)
    width = H.shape[1]
    fig = go.Figure()
    for k in np.unique(y):
        sel = y == k
        color = class_color(int(k))
        if width == 3:
            fig.add_trace(go.Scatter3d(x=H[sel, 0], y=H[sel, 1], z=H[sel, 2], mode="markers", name=f"class {k}",
                                       marker=dict(size=3, color=color)))
            continue
        if width == 1:
            px, py = H[sel, 0], np.zeros(sel.sum())
        elif width == 2:
            px, py = H[sel, 0], H[sel, 1]
        else:
            proj, _ = pca_2d(H)
            px, py = proj[sel, 0], proj[sel, 1]
        fig.add_trace(go.Scatter(x=px, y=py, mode="markers", name=f"class {k}",
                                 marker=dict(size=6, color=color, line=dict(color="white", width=0.5))))
    if width == 3:
        fig.update_layout(scene=dict(xaxis_title="neuron 1", yaxis_title="neuron 2", zaxis_title="neuron 3"))
    elif width > 3:
        _, share = pca_2d(H)
        fig.update_xaxes(title_text=f"principal direction 1 ({share[0]:.0%} of variance)")
        fig.update_yaxes(title_text=f"principal direction 2 ({share[1]:.0%} of variance)")
    else:
        fig.update_xaxes(title_text="neuron 1")
        fig.update_yaxes(title_text="neuron 2" if width == 2 else "", showticklabels=width == 2)
    fig.update_layout(title=title, width=440, height=400, margin=dict(l=50, r=20, t=40 if title else 20, b=40),
                      plot_bgcolor="white")
    return fig


def images(stack, *, titles=None, cols: int = 8, zmid: float | None = None, size: int = 80) -> go.Figure:
    """A grid of small grey (or, with ``zmid``, orange-blue signed) images. stack: shape (n, h, w)."""
    stack = np.asarray(stack, dtype=np.float64)
    if stack.ndim != 3 or len(stack) == 0:
        raise ValueError(f"stack must hold at least one image, shape (n, h, w); got shape {stack.shape}")
    n = len(stack)
    cols = min(cols, n)
    rows = -(-n // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.01,
                        vertical_spacing=0.06 if titles else 0.01)
    for i, img in enumerate(stack):
        if zmid is None:
            kw = dict(colorscale="Greys", zmin=float(stack.min()), zmax=float(stack.max()))
        else:
            span = max(float(np.abs(stack - zmid).max()), 1e-9)
            kw = dict(colorscale=SIGNED_SCALE, zmin=zmid - span, zmax=zmid + span)
        fig.add_trace(go.Heatmap(z=_r(img[::-1]), showscale=False, hovertemplate="%{z:.2f}<extra></extra>", **kw),
                      row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(width=size * cols + 20, height=(size + (18 if titles else 0)) * rows + 20,
                      margin=dict(l=5, r=5, t=25 if titles else 5, b=5))
    return fig


def point_attributions(X, A, *, input_names=("x1", "x2"), title: str | None = None) -> go.Figure:
    """Per-point attributions on the plane: one panel per input, each point X[i] (shape (n, 2)) coloured by
    its attribution A[i, j] (shape (n, n_inputs)): blue pushed the score up, orange pushed it down.
    The colour range is +-95th percentile of |A|, so a few extreme points do not wash out the rest (they
    saturate; hover shows every exact value)."""
    X, A = np.asarray(X, dtype=np.float64), np.asarray(A, dtype=np.float64)
    span = max(float(np.quantile(np.abs(A), 0.95)), 1e-9)
    names = list(input_names)[:A.shape[1]]
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[f"attribution to {n}" for n in names],
                        horizontal_spacing=0.06)
    for j, name in enumerate(names):
        fig.add_trace(go.Scatter(
            x=_r(X[:, 0]), y=_r(X[:, 1]), mode="markers", name=name, showlegend=False,
            marker=dict(color=_r(A[:, j]), colorscale=SIGNED_SCALE, cmin=-span, cmax=span, size=7,
                        line=dict(color="#555", width=0.5), showscale=j == len(names) - 1,
                        colorbar=dict(thickness=10, len=0.8)),
            hovertemplate=f"x1=%{{x:.2f}}<br>x2=%{{y:.2f}}<br>{name}: %{{marker.color:.2f}}<extra></extra>"),
            row=1, col=j + 1)
    fig.update_xaxes(range=[-6.2, 6.2], showticklabels=False)
    fig.update_yaxes(range=[-6.2, 6.2], showticklabels=False)
    fig.update_layout(title=title, width=300 * len(names) + 60, height=330,
                      margin=dict(l=10, r=10, t=60 if title else 40, b=10), plot_bgcolor="white")
    return fig


# ---------------------------------------------------------------------------------------------------
# Live figures: a notebook widget shows a plotly FigureWidget made once, then copies each new frame into it
# (a new FigureWidget per frame would re-send plotly's 5 MB script to the browser).

def neuron_map_z(maps, *, max_per_layer: int = 8) -> list[tuple[np.ndarray, float, float]]:
    """(z, zmin, zmax) of each heatmap of ``neuron_maps(maps, max_per_layer=...)``, in its trace order: the
    same numbers without building a figure, for updating a live figure frame by frame."""
    columns = [np.asarray(maps.inputs), *[np.asarray(m) for m in maps.maps], np.asarray(maps.output)[None]]
    rows = min(max(len(c) for c in columns), max_per_layer)
    out = []
    for c, column in enumerate(columns):
        is_output = c == len(columns) - 1
        span = 1.0 if is_output else max(float(np.abs(column).max()), 1e-9)
        for image in column[:rows]:
            out.append((_r(image), 0.0, 1.0) if is_output else (_r(image), -span, span))
    return out


def _same(a, b) -> bool:
    if isinstance(a, (np.ndarray, list, tuple)) or isinstance(b, (np.ndarray, list, tuple)):
        try:
            a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
            return a.shape == b.shape and bool(np.all(a == b))
        except (ValueError, TypeError):
            return False
    return a == b


def update_figure(target, source, *, replace: bool = False) -> None:
    """Make ``target`` (a plotly ``go.FigureWidget`` on screen) show ``source`` (a figure), in place.

    Same traces (count and types): only the properties that changed are sent, in one message. Otherwise (or
    with ``replace``: a view missed updates) the traces are replaced and subplot axes that ``source`` lacks
    are removed. The layout's template is not copied (every hlkit figure uses the default one)."""
    new_layout = source.layout.to_plotly_json()
    new_layout.pop("template", None)
    same = not replace and len(target.data) == len(source.data) and all(
        t.type == s.type for t, s in zip(target.data, source.data, strict=True))
    if not same:
        stale = [k for k in target.layout.to_plotly_json() if k not in new_layout and k != "template"]
        target.data = ()
        if stale:
            target.plotly_relayout({k: None for k in stale})
        target.add_traces(list(source.data))
    with target.batch_update():
        if same:
            for old, new in zip(target.data, source.data, strict=True):
                before = old.to_plotly_json()
                changes = {k: v for k, v in new.to_plotly_json().items()
                           if k not in ("type", "uid") and not _same_json(before.get(k), v)}
                if changes:
                    old.update(changes)
        old_layout = target.layout.to_plotly_json()
        changed = {k: v for k, v in new_layout.items() if not _same_json(old_layout.get(k), v)}
        for k, v in changed.items():
            if isinstance(v, (list, tuple)):
                target.layout[k] = v      # annotations, shapes: replaced as a whole (update would merge by index)
            else:
                target.update_layout({k: v})


def _same_json(a, b) -> bool:
    """Equality of plotly JSON values (nested dicts and lists, numpy arrays)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b) and not (
            a and isinstance(a[0], (int, float)) and isinstance(b[0], (int, float))):
        return all(_same_json(x, y) for x, y in zip(a, b, strict=True))
    return _same(a, b)


# ---------------------------------------------------------------------------------------------------
# Capacity sweeps (hlkit.sweep): a value per (depth, width), and plain curves.

def capacity_map(values, depths, widths, *, title: str | None = None, value_name: str = "test accuracy",
                 zmin: float | None = 0.5, zmax: float | None = 1.0, text_format: str = ".2f") -> go.Figure:
    """A heatmap of one number per network: rows = depth (hidden layers), columns = width (neurons per layer),
    each cell labelled with its value. values: shape (len(depths), len(widths)), e.g. ``CapacityGrid.test_acc``.
    zmin, zmax: the colour range (None = the data's range); darker blue = higher."""
    values = np.asarray(values, dtype=np.float64)
    depths, widths = list(depths), list(widths)
    if values.shape != (len(depths), len(widths)):
        raise ValueError(f"values must have shape (len(depths), len(widths)) = ({len(depths)}, {len(widths)}); "
                         f"got {values.shape} instead")
    text = [[format(v, text_format) for v in row] for row in values]
    fig = go.Figure(go.Heatmap(
        x=[str(w) for w in widths], y=[str(d) for d in depths], z=_r(values), zmin=zmin, zmax=zmax,
        colorscale=[[0.0, WHITE], [1.0, BLUE]], text=text, texttemplate="%{text}",
        colorbar=dict(title=dict(text=value_name, side="right"), thickness=12),
        hovertemplate="depth %{y}, width %{x}<br>" + value_name + " %{text}<extra></extra>"))
    fig.update_xaxes(title_text="width (neurons per hidden layer)", type="category")
    fig.update_yaxes(title_text="depth (hidden layers)", type="category", autorange="reversed")
    fig.update_layout(title=title, width=80 * len(widths) + 200, height=50 * len(depths) + 140,
                      margin=dict(l=60, r=20, t=40 if title else 20, b=50))
    return fig


def curves(x, series, *, x_title: str = "", y_title: str = "", title: str | None = None, markers: bool = False,
           log_x: bool = False, log_y: bool = False, dashed=()) -> go.Figure:
    """Line plot of several named curves over the same x. x: shape (n,). series: {name: values of shape (n,)},
    drawn in order. dashed: names drawn as dashed lines (e.g. a target curve). Numbers measured several times (one
    per seed) are drawn by ``spread``: their median (or mean) with the band from smallest to largest."""
    x = np.asarray(x, dtype=np.float64)
    fig = go.Figure()
    for name, values in series.items():
        values = np.asarray(values, dtype=np.float64)
        if values.shape != x.shape:
            raise ValueError(f"series {name!r} must have the shape of x, {x.shape}; got {values.shape} instead")
        fig.add_trace(go.Scatter(x=_r(x), y=_r(values, 4), name=str(name), mode="lines+markers" if markers else "lines",
                                 line=dict(dash="dash" if name in dashed else "solid")))
    fig.update_xaxes(title_text=x_title, type="log" if log_x else "linear")
    fig.update_yaxes(title_text=y_title, type="log" if log_y else "linear")
    fig.update_layout(title=title, width=520, height=320, margin=dict(l=60, r=20, t=40 if title else 20, b=50),
                      plot_bgcolor="white")
    fig.update_xaxes(gridcolor="#eee")
    fig.update_yaxes(gridcolor="#eee")
    return fig


def feature_maps(image, maps, *, size: int = 46) -> go.Figure:
    """A CNN's view of one image: the input (row 1) and each conv block's feature maps (one row per block).

    image: shape (h, w). maps: a list of arrays of shape (channels, h_l, w_l), as ``probe.feature_maps``
    returns. Each row shares one grey scale (white = 0, black = that row's largest value).
    """
    image = np.asarray(image, dtype=np.float64)
    rows = [image[None]] + [np.asarray(m, dtype=np.float64) for m in maps]
    cols = max(len(r) for r in rows)
    titles = ["input"] + [f"block {i}" for i in range(1, len(rows))]
    h_gap, v_gap, pad = 0.005, 0.04, 5
    fig = make_subplots(rows=len(rows), cols=cols, horizontal_spacing=h_gap, vertical_spacing=v_gap,
                        row_titles=titles)
    for r, stack in enumerate(rows):
        top = max(float(stack.max()), 1e-9)
        for c, img in enumerate(stack):
            name = "input" if r == 0 else f"block {r}, map {c + 1}"
            fig.add_trace(go.Heatmap(z=_r(img[::-1]), colorscale="Greys", zmin=0.0, zmax=top, showscale=False,
                                     name=name, hovertemplate=name + ": %{z:.2f}<extra></extra>"),
                          row=r + 1, col=c + 1)
            # a thin frame, so an all-zero (white) map still shows where it is
            frame = dict(showticklabels=False, ticks="", showgrid=False, zeroline=False, showline=True, mirror=True,
                         linecolor="#bbb", row=r + 1, col=c + 1)
            fig.update_xaxes(**frame)
            fig.update_yaxes(**frame)
        for c in range(len(stack), cols):
            fig.update_xaxes(visible=False, row=r + 1, col=c + 1)
            fig.update_yaxes(visible=False, row=r + 1, col=c + 1)
    fig.for_each_annotation(lambda a: a.update(textangle=0, xanchor="left", font=dict(size=11)))
    # square cells: choose the plot height so a cell is as tall as it is wide
    plot_width = size * cols / (1 - (cols - 1) * h_gap)
    plot_height = size * len(rows) / (1 - (len(rows) - 1) * v_gap)
    fig.update_layout(width=round(plot_width) + pad + 60, height=round(plot_height) + 2 * pad,
                      margin=dict(l=pad, r=60, t=pad, b=pad), plot_bgcolor="white")
    return fig


def boundary_z(grid, *, discretize: bool = False) -> np.ndarray:
    """The image of ``decision_boundary(grid)``'s first trace: P(class 1) of shape (res, res) for two classes,
    an RGB image of shape (res, res, 3) for more."""
    proba = np.asarray(grid.proba)
    if proba.shape[-1] == 2:
        return _r(proba[..., 1] if not discretize else (proba[..., 1] > 0.5).astype(np.float64))
    return boundary_image(proba, discretize=discretize)


def loss_curve_data(history, *, show_accuracy: bool = True) -> list[tuple[list, np.ndarray]]:
    """(x, y) of each trace of ``loss_curves(history)``, in trace order."""
    keys = ["train_loss", "test_loss"] + (["train_acc", "test_acc"] if show_accuracy else [])
    return [(list(history.epoch), _r(getattr(history, k), 4)) for k in keys]


# ---------------------------------------------------------------------------------------------------
# The input plane bent by the hidden layers (lesson 01 §5): a grid of lines and the points, before and after.

def plane_lines(*, n_lines: int = 13, n_points: int = 61, extent: float = 6.0) -> np.ndarray:
    """A grid of straight lines over the plane [-extent, extent]^2: shape (2, n_lines, n_points, 2), family 0
    the lines of constant x1 (upright), family 1 the lines of constant x2 (level), each as n_points points."""
    n_lines, n_points = check_int("n_lines", n_lines, 2, 1000), check_int("n_points", n_points, 2, 1000)
    extent = check_float("extent", extent, 0.0, 1000.0, low_open=True)
    ticks = np.linspace(-extent, extent, n_lines)
    along = np.linspace(-extent, extent, n_points)
    fixed, moving = np.meshgrid(ticks, along, indexing="ij")                   # (n_lines, n_points) each
    return np.stack([np.stack([fixed, moving], axis=-1), np.stack([moving, fixed], axis=-1)])


def _polyline(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of a family of lines (L, m, 2) as one trace: the lines joined by gaps (NaN)."""
    gap = np.full((len(lines), 1, 2), np.nan)
    joined = np.concatenate([lines, gap], axis=1).reshape(-1, 2)[:-1]
    return _r(joined[:, 0]), _r(joined[:, 1])


def bent_plane(lines, lines_hidden, X, H, y, w, b, *, epoch: int | None = None, accuracy: float | None = None,
               hidden_name: str = "hidden layer", extent: float = 6.0) -> go.Figure:
    """Two panels side by side: the input plane, and the same plane as a 2-neuron hidden layer sees it.

    lines: grid lines of the plane, shape (2, L, m, 2) (``plane_lines``); lines_hidden: the same lines mapped
    into the hidden layer, same shape. X: points of shape (n, 2), H: their hidden-layer outputs (n, 2), y: their
    classes (n,) in {0, 1}. w (2,), b (a number): the output neuron, which says class 1 where w . h + b > 0; its
    line w . h + b = 0 is drawn in the hidden panel, which spans -1.1 to 1.1 (tanh outputs lie between -1 and 1).
    epoch, accuracy: the title, "epoch 40, test accuracy 0.975", when given.
    The traces are always the same 9 in the same order (left: 2 line families, 2 classes; right: the same and the
    output line), so a live figure only swaps their data (``update_figure``)."""
    lines, lines_hidden = np.asarray(lines, dtype=np.float64), np.asarray(lines_hidden, dtype=np.float64)
    X, H, y = np.asarray(X, dtype=np.float64), np.asarray(H, dtype=np.float64), np.asarray(y)
    w = np.asarray(w, dtype=np.float64)
    if lines.ndim != 4 or lines.shape[0] != 2 or lines.shape[-1] != 2:
        raise ValueError(f"lines must have shape (2, n_lines, n_points, 2); got {lines.shape} instead")
    if lines_hidden.shape != lines.shape:
        raise ValueError(f"lines_hidden must have the shape of lines, {lines.shape}; got {lines_hidden.shape} instead")
    if X.ndim != 2 or X.shape[1] != 2 or H.shape != X.shape or y.shape != (len(X),):
        raise ValueError(f"X and H must have shape (n, 2) and y shape (n,); got {X.shape}, {H.shape} and {y.shape} "
                         "instead")
    if w.shape != (2,) or not np.isfinite(w).all():
        raise ValueError(f"w must be 2 finite numbers, shape (2,); got {w.tolist() if w.size <= 4 else w.shape} instead")
    b = check_float("b", b)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("the input plane", f"{hidden_name}: the plane bent"))
    families = (("lines of constant x1", "#7f7f7f"), ("lines of constant x2", "#cc79a7"))   # grey, reddish purple
    for col, (grid, points, names) in enumerate(((lines, X, ("x1", "x2")), (lines_hidden, H, ("neuron 1", "neuron 2"))),
                                                 start=1):
        for family, (name, color) in zip(grid, families, strict=True):
            gx, gy = _polyline(family)
            fig.add_trace(go.Scatter(x=gx, y=gy, mode="lines", name=name, legendgroup=name, showlegend=col == 1,
                                     line=dict(color=color, width=1), hoverinfo="skip"), row=1, col=col)
        for k in (0, 1):
            sel = y == k
            fig.add_trace(go.Scatter(
                x=_r(points[sel, 0]), y=_r(points[sel, 1]), mode="markers", name=f"class {k}", legendgroup=f"class {k}",
                showlegend=col == 1, marker=dict(color=class_color(k), size=6, line=dict(color="black", width=0.5)),
                hovertemplate=f"class {k}<br>{names[0]}=%{{x:.2f}}<br>{names[1]}=%{{y:.2f}}<extra></extra>"),
                row=1, col=col)
    # the output neuron's line: through the point of the line nearest the origin, along the line's direction
    length2 = float(w @ w)
    if length2 > 0:
        foot, along = -float(b) * w / length2, np.array([-w[1], w[0]]) / np.sqrt(length2)
        ends = foot + np.outer([-10.0, 10.0], along)
        line_x, line_y = _r(ends[:, 0]), _r(ends[:, 1])
    else:   # no weights: the output is b everywhere, there is no line
        line_x, line_y = np.array([]), np.array([])
    fig.add_trace(go.Scatter(x=line_x, y=line_y, mode="lines", name="output neuron: w · h + b = 0",
                             line=dict(color="black", dash="dash", width=2), hoverinfo="skip"), row=1, col=2)
    pad = 0.05 * extent
    fig.update_xaxes(range=[-extent - pad, extent + pad], title_text="x1", row=1, col=1)
    fig.update_yaxes(range=[-extent - pad, extent + pad], title_text="x2", scaleanchor="x", row=1, col=1)
    fig.update_xaxes(range=[-1.1, 1.1], title_text="neuron 1", row=1, col=2)
    fig.update_yaxes(range=[-1.1, 1.1], title_text="neuron 2", scaleanchor="x2", row=1, col=2)
    parts = ([f"epoch {epoch}"] if epoch is not None else []) + (
        [f"test accuracy {accuracy:.3f}"] if accuracy is not None else [])
    fig.update_layout(title=", ".join(parts) or None, width=900, height=470, plot_bgcolor="white",
                      margin=dict(l=50, r=20, t=70, b=40), legend=dict(orientation="h", y=-0.15))
    return fig


# ---------------------------------------------------------------------------------------------------------
# Lesson 03: a loss surface with a gradient-descent path on it (arrays of ``hlkit.surface``), and numbers measured
# on several networks (``hlkit.init_scale``; lesson 04's seeds too), each drawn as its median with a band from its
# smallest to its largest.

def _significant(values, digits: int = 4) -> np.ndarray:
    """Round to ``digits`` significant digits: sizes per layer span 1e-5 to 1e3, which fixed decimals would erase."""
    v = np.asarray(values, dtype=np.float64)
    magnitude = np.floor(np.log10(np.abs(np.where(v == 0, 1.0, v))))
    scale = 10.0 ** (digits - 1 - magnitude)
    return np.round(v * scale) / scale


#: loss values labelled on the colour bar of ``loss_surface`` (its colours follow the log of the loss)
SURFACE_TICKS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def loss_surface(w1, w2, loss, path, *, minimum=None, title: str | None = None) -> go.Figure:
    """A loss over the plane of two weights as filled contours, and a gradient-descent path on it.

    w1: shape (m,), w2: shape (k,), loss: shape (k, m), row i and column j at (w1[j], w2[i]) (as
    ``surface.loss_grid``). path: the weights visited, shape (s, 2), the start first. minimum: (w1, w2) of the
    lowest point, drawn as a star (None: not drawn). The colours follow the log of the loss, so the valley floor
    keeps its contours. Traces, always these four in this order: contours, path, start, lowest point."""
    w1, w2 = np.asarray(w1, dtype=np.float64), np.asarray(w2, dtype=np.float64)
    loss, path = np.asarray(loss, dtype=np.float64), np.asarray(path, dtype=np.float64)
    if loss.shape != (len(w2), len(w1)):
        raise ValueError(f"loss must have shape (len(w2), len(w1)) = ({len(w2)}, {len(w1)}); got {loss.shape} instead")
    if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
        raise ValueError(f"path must have shape (steps + 1, 2) with at least the start; got {path.shape} instead")
    if not (loss > 0).all():
        raise ValueError("loss must be positive everywhere (a cross-entropy is); got a value <= 0")
    ticks = [t for t in SURFACE_TICKS if loss.min() <= t <= loss.max()]
    if len(ticks) < 2:   # a flat surface: label its two ends
        ticks = [float(f"{loss.min():.3g}"), float(f"{loss.max():.3g}")]
    best = np.asarray(minimum, dtype=np.float64).reshape(-1) if minimum is not None else np.empty(0)
    fig = go.Figure([
        go.Contour(x=_r(w1), y=_r(w2), z=_r(np.log10(loss), 4), text=[[f"{v:.3f}" for v in row] for row in loss],
                   colorscale="Viridis", ncontours=24, line=dict(width=0.5, color="rgba(255,255,255,0.5)"),
                   colorbar=dict(title=dict(text="loss", side="right"), thickness=12, len=0.8,
                                 tickvals=_r(np.log10(ticks), 4), ticktext=[f"{t:g}" for t in ticks]),
                   hovertemplate="w1=%{x:.2f}<br>w2=%{y:.2f}<br>loss %{text}<extra></extra>", name="loss"),
        go.Scatter(x=_r(path[:, 0]), y=_r(path[:, 1]), mode="lines+markers", name="gradient descent",
                   line=dict(color="white", width=2), marker=dict(color=ORANGE, size=6, line=dict(color="black", width=1)),
                   hovertemplate="step %{pointNumber}<br>w1=%{x:.3f}<br>w2=%{y:.3f}<extra></extra>"),
        go.Scatter(x=_r(path[:1, 0]), y=_r(path[:1, 1]), mode="markers", name="start",
                   marker=dict(symbol="square", color="white", size=10, line=dict(color="black", width=2)),
                   hovertemplate="start<br>w1=%{x:.3f}<br>w2=%{y:.3f}<extra></extra>"),
        go.Scatter(x=_r(best[:1]), y=_r(best[1:2]), mode="markers", name="lowest loss",
                   marker=dict(symbol="star", color="white", size=14, line=dict(color="black", width=1)),
                   hovertemplate="lowest loss<br>w1=%{x:.3f}<br>w2=%{y:.3f}<extra></extra>"),
    ])
    fig.update_layout(
        title=title, width=540, height=480, margin=dict(l=50, r=20, t=40 if title else 20, b=40),
        xaxis=dict(range=[float(w1[0]), float(w1[-1])], title="w1", constrain="domain"),
        yaxis=dict(range=[float(w2[0]), float(w2[-1])], title="w2", scaleanchor="x", autorange=False),
        legend=dict(orientation="h", y=-0.15))
    return fig


#: what ``spread`` draws as the line through several runs: name -> function of (runs, n) along axis 0
CENTERS = {"median": np.median, "mean": np.mean}


def spread(x, panels, *, x_title: str = "", y_title: str = "", log_x: bool = False, log_y: bool = False,
           center: str = "median", title: str | None = None) -> go.Figure:
    """Numbers measured several times (e.g. once per seed), each series drawn as its median (``center="mean"``: its
    mean) with a shaded band from its smallest to its largest value: hlkit's one way to draw a spread over runs.
    x: shape (n,). panels: {panel title: {series name: values of shape (runs, n)}}, one subplot per panel, side by
    side; a series keeps its colour (and its legend entry) in every panel.
    Traces, per panel and series in order: the band, then the line (hover: the centre, min and max)."""
    center = str(check_choice("center", center, CENTERS))
    x = np.asarray(x, dtype=np.float64)
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=list(panels), horizontal_spacing=0.12)
    names = list(dict.fromkeys(name for series in panels.values() for name in series))
    for col, series in enumerate(panels.values(), start=1):
        for name, runs in series.items():
            runs = np.asarray(runs, dtype=np.float64)
            if runs.ndim != 2 or runs.shape[1] != len(x):
                raise ValueError(f"series {name!r} must have shape (runs, {len(x)}); got {runs.shape} instead")
            color = class_color(names.index(name))
            low, mid, high = (_significant(v) for v in (runs.min(axis=0), CENTERS[center](runs, axis=0),
                                                        runs.max(axis=0)))
            fig.add_trace(go.Scatter(x=_r(np.concatenate([x, x[::-1]])), y=np.concatenate([high, low[::-1]]),
                                     fill="toself", fillcolor=f"rgba({','.join(str(int(c)) for c in _rgb(color))},0.2)",
                                     line=dict(width=0), hoverinfo="skip", showlegend=False, legendgroup=name,
                                     name=f"{name} (min-max)"), row=1, col=col)
            fig.add_trace(go.Scatter(x=_r(x), y=mid, customdata=np.stack([low, high], axis=1), mode="lines+markers",
                                     name=name, legendgroup=name, showlegend=col == 1, line=dict(color=color),
                                     hovertemplate=f"{name}<br>%{{x}}: {center} %{{y:.3g}}<br>min %{{customdata[0]:.3g}}, "
                                                   f"max %{{customdata[1]:.3g}}<extra></extra>"), row=1, col=col)
        fig.update_xaxes(title_text=x_title, type="log" if log_x else "linear", gridcolor="#eee", row=1, col=col)
        fig.update_yaxes(title_text=y_title if col == 1 else "", type="log" if log_y else "linear",
                         exponentformat="power", gridcolor="#eee", row=1, col=col)
    fig.update_layout(title=title, width=420 * len(panels) + 120, height=380, margin=dict(l=60, r=20, t=80 if title else 40,
                      b=50), plot_bgcolor="white")
    return fig
