"""A tiny multilayer perceptron written from scratch in numpy: every weighted sum, activation and gradient
in plain sight. The lessons use it to show what PyTorch computes. Its activation table (``ACTIVATIONS``) and
``sigmoid`` are the only numpy copies in hlkit: ``hlkit.fast_step``, the training loop's fast path, uses them too.

A network is a list ``params`` of (W, b) pairs, one per Linear layer in order, W of shape (n_out, n_in)
and b of shape (n_out,), the same layout as PyTorch's ``nn.Linear`` (and ``hlkit.probe.weights``). Hidden
layers apply the activation; the last layer outputs one logit per point, turned into P(class 1) by the
sigmoid, and the error is the mean binary cross-entropy, as in ``hlkit.train.loss_fn``. Shapes: n points,
layer l has n_l neurons. Only numpy here; ``params_from_torch`` and ``inputs_from_torch`` read an hlkit
model without importing torch at module level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arguments import check_choice, check_float, check_int


def sigmoid(z):
    """1 / (1 + e^-z), written as (1 + tanh(z / 2)) / 2: the same function, and it cannot overflow for large |z|."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


#: activation name -> (the function of z, its slope given z and a = the function's value at z). The slope takes a
#: because the forward pass has it already: tanh' = 1 - a², sigmoid' = a (1 - a). The one table of the numpy maths:
#: ``hlkit.fast_step`` (the training loop's fast path) uses it too.
ACTIVATIONS = {
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "sigmoid": (sigmoid, lambda z, a: a * (1.0 - a)),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(z.dtype)),
    "linear": (lambda z: z, lambda z, a: np.ones_like(z)),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.1 * z), lambda z, a: np.where(z > 0, 1.0, 0.1)),
    "elu": (lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
            lambda z, a: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0)))),
    "silu": (lambda z: z * sigmoid(z), lambda z, a: sigmoid(z) * (1.0 + z * (1.0 - sigmoid(z)))),
}


def activate(z, activation: str = "tanh") -> np.ndarray:
    """The activation function applied to every entry of z."""
    activation = check_choice("activation", activation, ACTIVATIONS)
    return ACTIVATIONS[activation][0](np.asarray(z, dtype=np.float64))


def derivative(z, activation: str = "tanh") -> np.ndarray:
    """The activation's slope at every entry of z (relu: 0 at z = 0, as in PyTorch)."""
    activation = check_choice("activation", activation, ACTIVATIONS)
    function, slope = ACTIVATIONS[activation]
    z = np.asarray(z, dtype=np.float64)
    return slope(z, function(z))


@dataclass
class Cache:
    """Everything a forward pass computed, kept for the backward pass.

    a: [a0 = X (n, n_0), a1 (n, n_1), ..., aL (n, n_L)]: the input and each hidden layer's activations.
    z: [z1 (n, n_1), ..., zL (n, n_L), z_out (n, 1)]: each layer's weighted sums, z = a_prev @ W.T + b.
    logits: z_out, shape (n, 1). proba: P(class 1) = sigmoid(logits), shape (n, 1).
    """

    a: list
    z: list
    activation: str

    @property
    def logits(self) -> np.ndarray:
        return self.z[-1]

    @property
    def proba(self) -> np.ndarray:
        return sigmoid(self.z[-1])


@dataclass
class Grads:
    """Gradients of the mean loss, in the same layout as ``params``.

    W[l], b[l]: dLoss/dW and dLoss/db of Linear layer l (shapes of W and b). dz[l]: dLoss/dz of that
    layer's weighted sums, shape (n, n_out). da[l]: dLoss/da for the hidden activations a[l+1], shape (n, n_l).
    """

    W: list
    b: list
    dz: list
    da: list

    def as_params(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """[(dW, db), ...]: the gradients paired like ``params``."""
        return list(zip(self.W, self.b, strict=True))


def _check_params(params) -> list[tuple[np.ndarray, np.ndarray]]:
    if not isinstance(params, (list, tuple)) or not params:
        raise TypeError(f"params must be a non-empty list of (W, b) pairs; got {type(params).__name__} instead")
    out = []
    for i, pair in enumerate(params):
        if len(pair) != 2:
            raise ValueError(f"params[{i}] must be a (W, b) pair; got {len(pair)} items")
        W, b = (np.asarray(v, dtype=np.float64) for v in pair)
        if W.ndim != 2 or b.shape != (W.shape[0],):
            raise ValueError(f"params[{i}]: W must have shape (n_out, n_in) and b shape (n_out,); "
                             f"got W {W.shape} and b {b.shape}")
        if i and W.shape[1] != out[-1][0].shape[0]:
            raise ValueError(f"params[{i}]: W takes {W.shape[1]} inputs but layer {i - 1} has "
                             f"{out[-1][0].shape[0]} neurons")
        out.append((W, b))
    if out[-1][0].shape[0] != 1:
        raise ValueError(f"the last layer must have 1 neuron (one logit, two classes); got {out[-1][0].shape[0]}")
    return out


def forward(params, X, activation: str = "tanh") -> Cache:
    """Run points X of shape (n, n_0) through the network, keeping every weighted sum and activation.

    For each hidden layer: z = a_prev @ W.T + b, a = activation(z); the last layer gives the logits.
    """
    params = _check_params(params)
    activation = check_choice("activation", activation, ACTIVATIONS)
    a = np.asarray(X, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != params[0][0].shape[1]:
        raise ValueError(f"X must have shape (n, {params[0][0].shape[1]}); got shape {a.shape}")
    act = ACTIVATIONS[activation][0]
    cache = Cache(a=[a], z=[], activation=activation)
    for i, (W, b) in enumerate(params):
        z = a @ W.T + b          # (n, n_in) @ (n_in, n_out) + (n_out,) -> (n, n_out)
        cache.z.append(z)
        if i < len(params) - 1:
            a = act(z)
            cache.a.append(a)
    return cache


def _labels(y, n) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    if len(y) != n:
        raise ValueError(f"y must hold one label (0 or 1) per point: {n} labels; got {len(y)}")
    return y


def loss(cache: Cache, y) -> float:
    """Mean binary cross-entropy -[y log p + (1 - y) log(1 - p)] of the cached forward pass (labels y in {0, 1}).

    Computed from the logits as max(z, 0) - z*y + log(1 + e^-|z|), which never takes log(0)."""
    z = cache.logits
    y = _labels(y, len(z))
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def backward(params, cache: Cache, y) -> Grads:
    """Gradients of the mean binary cross-entropy with respect to every weight, bias, weighted sum and activation.

    The chain rule, from the output back: dz_out = (p - y) / n; then for each layer dW = dz.T @ a_prev,
    db = sum of dz over the points, da_prev = dz @ W, and dz_prev = da_prev * activation'(z_prev).
    """
    params = _check_params(params)
    n = len(cache.logits)
    y = _labels(y, n)
    slope = ACTIVATIONS[cache.activation][1]
    dz = (cache.proba - y) / n                  # (n, 1): d mean-BCE / d logit
    L = len(params)
    grads = Grads(W=[None] * L, b=[None] * L, dz=[None] * L, da=[None] * (L - 1))
    for i in range(L - 1, -1, -1):
        W, _ = params[i]
        grads.dz[i] = dz
        grads.W[i] = dz.T @ cache.a[i]            # (n_out, n) @ (n, n_in) -> (n_out, n_in)
        grads.b[i] = dz.sum(axis=0)              # (n_out,)
        if i > 0:
            da = dz @ W                          # (n, n_out) @ (n_out, n_in) -> (n, n_in)
            grads.da[i - 1] = da
            dz = da * slope(cache.z[i - 1], cache.a[i])   # a[i] = activation(z[i - 1]), kept by forward
    return grads


def loss_of(params, X, y, activation: str = "tanh") -> float:
    """Mean binary cross-entropy of the network on points X with labels y (a forward pass and ``loss``)."""
    return loss(forward(params, X, activation), y)


def finite_differences(params, X, y, activation: str = "tanh", *, eps: float = 1e-6) -> list:
    """Gradients estimated without calculus: nudge each weight by ±eps and watch the loss,
    dL/dw ≈ (L(w + eps) - L(w - eps)) / (2 eps). Returns [(dW, db), ...] like ``params``. Slow: two
    forward passes per weight, for checking ``backward`` on small networks."""
    eps = check_float("eps", eps, 0.0, 1.0, low_open=True)
    params = [(W.copy(), b.copy()) for W, b in _check_params(params)]
    out = []
    for W, b in params:
        grads = []
        for array in (W, b):
            g = np.zeros_like(array)
            for idx in np.ndindex(array.shape):
                keep = array[idx]
                array[idx] = keep + eps
                up = loss_of(params, X, y, activation)
                array[idx] = keep - eps
                down = loss_of(params, X, y, activation)
                array[idx] = keep
                g[idx] = (up - down) / (2 * eps)
            grads.append(g)
        out.append(tuple(grads))
    return out


def sgd_step(params, grads: Grads, lr: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """One gradient-descent step: every weight moves against its gradient, w_new = w - lr * dL/dw.
    Returns new params (the old ones are left unchanged)."""
    params = _check_params(params)
    lr = check_float("lr", lr, 0.0, 100.0, low_open=True)
    return [(W - lr * dW, b - lr * db) for (W, b), dW, db in zip(params, grads.W, grads.b, strict=True)]


def params_from_torch(model) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (W, b) pairs of an MLP built by ``hlkit.models.mlp`` (hidden layers, then the output), as float64 numpy.

    Its activation is ``model.spec["activation"]``; its inputs are ``inputs_from_torch(model, X)``."""
    from .models import linear_layers  # imported here: the rest of this file needs only numpy

    layers = linear_layers(model, needed_by="params_from_torch")
    return [(layer.weight.detach().cpu().numpy().astype(np.float64),
             layer.bias.detach().cpu().numpy().astype(np.float64)) for layer in layers]


def inputs_from_torch(model, X) -> np.ndarray:
    """What the first Linear layer of an hlkit MLP sees for points X: its input features (for 2-D points,
    x1/6 and x2/6 by default), or X itself when the model has no features layer. Shape (n, n_0)."""
    X = np.asarray(X, dtype=np.float64)
    features = getattr(model, "features", None)
    if features is None:
        return X
    import torch

    with torch.no_grad():
        return features(torch.as_tensor(X)).numpy().astype(np.float64)


def linear_accuracy(H, y) -> float:
    """The accuracy of the least-squares linear classifier on points H (n, d) with labels y in {0, 1} (fit
    H @ w + c to -1 / +1 labels, predict by the sign). A quick lower bound on how well a straight cut can do:
    1.0 proves the classes linearly separable, less does not prove the opposite (least squares weighs every
    point's distance, not the errors: on lesson 01's first hidden layer it gets 0.98 where a separating
    plane exists). ``best_line_accuracy`` searches the best line in 2-D."""
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2:
        raise ValueError(f"H must have shape (n, d); got shape {H.shape}")
    y = _labels(y, len(H))[:, 0]
    A = np.column_stack([H, np.ones(len(H))])          # (n, d + 1): a constant column for the offset c
    w, *_ = np.linalg.lstsq(A, 2.0 * y - 1.0, rcond=None)
    return float(np.mean((A @ w > 0) == (y > 0.5)))



def best_line_accuracy(X, y, *, n_directions: int = 720) -> float:
    """The highest share of 2-D points X (n, 2) with labels y in {0, 1} that one straight line classifies
    correctly (class 1 on one side, class 0 on the other), searched over ``n_directions`` directions evenly
    spread around the circle and, for each, every cut between two neighbouring points: a lower bound on the
    best line that is exact up to the direction grid (720 directions: steps of half a degree)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must be 2-D points of shape (n, 2); got shape {X.shape}")
    y = _labels(y, len(X))[:, 0] > 0.5
    n_directions = check_int("n_directions", n_directions, 1, 100_000)
    angles = np.linspace(0.0, 2 * np.pi, n_directions, endpoint=False)
    best = 0.0
    for along in (X @ np.stack([np.cos(angles), np.sin(angles)])).T:         # (n_directions, n) projections
        labels = y[np.argsort(along, kind="stable")]
        # cut after the first k points (k = 0..n): class 0 below the cut, class 1 above it
        zeros_below = np.concatenate([[0], np.cumsum(~labels)])
        ones_above = labels.sum() - np.concatenate([[0], np.cumsum(labels)])
        best = max(best, float(np.max(zeros_below + ones_above)) / len(X))
    return best

def trace(params, x, activation: str = "tanh") -> str:
    """Every value of a forward pass for one input x (shape (n_0,)) as text, layer by layer: each layer's
    weighted sums z and activations a, then the output's logit and probability (4 decimals)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be one input of shape (n_inputs,); got shape {x.shape}")
    cache = forward(params, x[None, :], activation)

    def vec(v):
        return "[" + ", ".join(f"{float(e):7.4f}" for e in v) + "]"

    lines = [f"input     x = {vec(cache.a[0][0])}"]
    for i in range(1, len(cache.a)):
        lines.append(f"hidden {i}  z = {vec(cache.z[i - 1][0])}   a = {cache.activation}(z) = {vec(cache.a[i][0])}")
    lines.append(f"output    z = {vec(cache.logits[0])}   p = sigmoid(z) = {float(cache.proba[0, 0]):.4f}")
    return "\n".join(lines)
