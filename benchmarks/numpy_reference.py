"""A hand-written numpy MLP (tanh hidden layers, one logit, binary cross-entropy, Adam): the reference that
hlkit's training step is timed against. Written for speed, not teaching (see hlkit/scratch.py for that).

Independent of hlkit on purpose: it shares no code with hlkit/scratch.py (the teaching copy) or hlkit/fast_step.py
(the fast path, which uses the teaching copy's activation table), so a change that slows hlkit down or changes its
maths cannot move the yardstick with it. That it repeats a tanh, a sigmoid and an Adam step is the point.
"""

from __future__ import annotations

import numpy as np


class NumpyMLP:
    """Full-batch Adam on a tanh MLP. X: (n, 2) inputs already scaled like hlkit's features; y: (n,) 0/1."""

    def __init__(self, sizes: list[int], seed: int = 0, lr: float = 0.03):
        rng = np.random.default_rng(seed)
        self.W = []
        self.b = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            bound = np.sqrt(6.0 / (fan_in + fan_out))
            self.W.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
            self.b.append(np.zeros(fan_out))
        self.params = self.W + self.b
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0
        self.lr = lr

    def step(self, X: np.ndarray, y: np.ndarray) -> float:
        # forward: keep every activation for the backward pass
        acts = [X]
        h = X
        for W, b in zip(self.W[:-1], self.b[:-1], strict=True):
            h = np.tanh(h @ W + b)
            acts.append(h)
        z = (h @ self.W[-1] + self.b[-1])[:, 0]                       # (n,)
        loss = float(np.mean(np.logaddexp(0.0, z) - y * z))           # binary cross-entropy with logits
        # backward
        n = len(y)
        dz = ((1.0 / (1.0 + np.exp(-z))) - y)[:, None] / n             # (n, 1)
        gW = [None] * len(self.W)
        gb = [None] * len(self.b)
        delta = dz
        for i in range(len(self.W) - 1, -1, -1):
            gW[i] = acts[i].T @ delta
            gb[i] = delta.sum(axis=0)
            if i:
                delta = (delta @ self.W[i].T) * (1.0 - acts[i] ** 2)
        # Adam
        self.t += 1
        b1, b2, eps = 0.9, 0.999, 1e-8
        for p, g, m, v in zip(self.params, gW + gb, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= self.lr * (m / (1 - b1 ** self.t)) / (np.sqrt(v / (1 - b2 ** self.t)) + eps)
        return loss
