"""The loss surface of one logistic neuron with two weights, and plain gradient descent on it (lesson 03 §5).

The neuron has no bias: z = w1 x1 + w2 x2, P(class 1) = sigmoid(z), and its error is the mean binary
cross-entropy over the points. With only two numbers to learn, the loss is a surface over the plane of the
weights (w1, w2) that can be drawn whole, and a run of gradient descent is a path on it. Every loss and gradient
comes from ``hlkit.scratch`` (the neuron is a scratch network with no hidden layer, its bias held at 0); this
file adds only the two-number descent loop, the surface's curvature and its lowest point. Pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import scratch
from .arguments import check_float, check_int

MAX_STEPS = 10_000
MAX_LR = 100.0


def _points(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"X must be 2-D points of shape (n, 2) with n >= 1; got shape {X.shape} instead")
    y = np.asarray(y)
    if y.shape != (len(X),) or not np.isin(y, (0, 1)).all():
        raise ValueError(f"y must hold one label 0 or 1 per point, shape ({len(X)},); got shape {y.shape} "
                         f"with values {np.unique(y)[:5].tolist()} instead")
    return X, y.astype(np.float64)


def _weights(name: str, w) -> np.ndarray:
    try:
        w = np.asarray(w, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be two numbers (w1, w2); got {type(w).__name__} instead") from None
    if w.shape != (2,) or not np.isfinite(w).all():
        raise ValueError(f"{name} must be two finite numbers (w1, w2); got {w.tolist()} instead")
    return w


def _neuron(w: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(w.reshape(1, 2), np.zeros(1))]


def loss_at(X, y, w) -> float:
    """The mean cross-entropy of the neuron with weights w = (w1, w2) on points X (n, 2) with labels y (n,)."""
    X, y = _points(X, y)
    return scratch.loss_of(_neuron(_weights("w", w)), X, y, "linear")


def gradient_at(X, y, w) -> np.ndarray:
    """(dL/dw1, dL/dw2) at w, shape (2,): ``hlkit.scratch.backward`` of the neuron."""
    X, y = _points(X, y)
    params = _neuron(_weights("w", w))
    return scratch.backward(params, scratch.forward(params, X, "linear"), y).W[0][0]


def loss_grid(X, y, w1, w2) -> np.ndarray:
    """The loss at every pair of weights of a grid: w1 of shape (m,) along the columns, w2 of shape (k,) along
    the rows. Returns shape (k, m), row i and column j holding the loss at (w1[j], w2[i])."""
    X, y = _points(X, y)
    w1, w2 = (np.asarray(v, dtype=np.float64).reshape(-1) for v in (w1, w2))
    return np.array([[scratch.loss_of(_neuron(np.array([a, b])), X, y, "linear") for a in w1] for b in w2])


@dataclass
class Path:
    """A run of gradient descent on the surface. w: the weights visited, shape (steps + 1, 2), the start
    first; loss: the loss at each of them, shape (steps + 1,); lr: the learning rate."""

    w: np.ndarray
    loss: np.ndarray
    lr: float


def descent(X, y, start, *, lr: float, steps: int) -> Path:
    """``steps`` steps of plain gradient descent, w <- w - lr * dL/dw, from ``start`` = (w1, w2).

    The loss of this neuron rises at most linearly far from its lowest point, so a path stays finite
    for any rate: too big a rate makes it jump across the valley, never to settle."""
    X, y = _points(X, y)
    w = _weights("start", start)
    lr = check_float("lr", lr, 0.0, MAX_LR, low_open=True)
    steps = check_int("steps", steps, 0, MAX_STEPS)
    ws, losses = [w], []
    for _ in range(steps):
        params = _neuron(w)
        cache = scratch.forward(params, X, "linear")
        losses.append(scratch.loss(cache, y))
        w = w - lr * scratch.backward(params, cache, y).W[0][0]
        ws.append(w)
    losses.append(loss_at(X, y, w))
    return Path(w=np.array(ws), loss=np.array(losses), lr=lr)


def curvature(X, y, w) -> np.ndarray:
    """The surface's curvature at w: its matrix of second derivatives (the Hessian), shape (2, 2),
    (1/n) sum over the points of p (1 - p) x x^T, with p the neuron's P(class 1) at each point."""
    X, y = _points(X, y)
    p = scratch.sigmoid(X @ _weights("w", w))
    return (X * (p * (1 - p))[:, None]).T @ X / len(X)


def lowest_point(X, y, *, tol: float = 1e-12, max_steps: int = 100) -> np.ndarray:
    """The weights (w1, w2) where the loss is lowest, found by Newton's method from (0, 0) (each step divides
    the gradient by the curvature). Raises ValueError when the classes can be split by a line through the origin:
    then the loss keeps falling as the weights grow and no lowest point exists."""
    X, y = _points(X, y)
    w = np.zeros(2)
    for _ in range(max_steps):
        if np.all((X @ w > 0) == (y > 0.5)):   # every point on its class's side: larger weights always do better
            break
        g = gradient_at(X, y, w)
        if np.linalg.norm(g) < tol:
            return w
        w = w - np.linalg.solve(curvature(X, y, w), g)
    raise ValueError("the loss has no lowest point for these points (a line through the origin splits the classes, "
                     "or nearly): add noise to the data")
