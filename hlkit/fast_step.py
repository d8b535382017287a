"""The training step of a tiny MLP in numpy: the same maths as torch's autograd and optimizers, without their
per-operation overhead, which dominates networks of a few dozen weights (measured: a [4, 2] network's step
took 3.7x as long in torch as in numpy). ``train.training`` uses it where ``supports(model)`` holds; the loop,
its history, cancellation and divergence checks are the same either way.

The parameters are numpy views of the model's own tensors: every update lands in the torch module at once.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .models import MLP, linear_layers
from .scratch import ACTIVATIONS, sigmoid

MAX_PARAMS = 20_000     # above this, torch's kernels win over numpy's


def supports(model: nn.Module) -> bool:
    """True for plain hlkit MLPs (no skip connection, no normalisation) in float64 with an activation above and
    at most MAX_PARAMS weights."""
    if type(model) is not MLP or not model.plain or model.spec.get("activation") not in ACTIVATIONS:
        return False
    params = list(model.parameters())
    return all(p.dtype == torch.float64 and p.requires_grad for p in params) and sum(
        p.numel() for p in params) <= MAX_PARAMS


class FastStep:
    """Forward, backward and one optimizer update of an MLP on fixed input features, in numpy.

    X_all: every point the loop will use (train then test), shape (n, n_inputs); the input features are
    computed once, since they have no weights.
    """

    def __init__(self, model: MLP, X_all: torch.Tensor, *, optimizer: str, lr: float, regularization: str,
                 reg_rate: float):
        with torch.no_grad():
            feats = model.features(X_all) if model.features is not None else X_all
        self.F = feats.numpy()                                             # (n, n_features)
        layers = linear_layers(model)
        self.W = [layer.weight.detach().numpy() for layer in layers]      # views: (n_out, n_in)
        self.b = [layer.bias.detach().numpy() for layer in layers]        # views: (n_out,)
        self.act, self.dact = ACTIVATIONS[model.spec["activation"]]
        self.binary = self.W[-1].shape[0] == 1
        self.optimizer, self.lr = optimizer, lr
        self.regularization = regularization if reg_rate > 0 else "none"
        self.reg_rate = reg_rate
        self.params = self.W + self.b
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def logits(self, rows=slice(None)) -> np.ndarray:
        """Logits for the points ``rows`` of X_all: shape (n, 1) or (n, k)."""
        h = self.F[rows]
        for W, b in zip(self.W[:-1], self.b[:-1], strict=True):
            h = self.act(h @ W.T + b)
        return h @ self.W[-1].T + self.b[-1]

    def step(self, rows, y: np.ndarray) -> float:
        """One update on the points ``rows`` (indices into X_all) with labels y; returns the loss before it."""
        zs, acts = [], [self.F[rows]]
        for W, b in zip(self.W[:-1], self.b[:-1], strict=True):
            z = acts[-1] @ W.T + b
            zs.append(z)
            acts.append(self.act(z))
        out = acts[-1] @ self.W[-1].T + self.b[-1]
        n = len(y)
        if self.binary:       # binary cross-entropy with logits, as torch computes it
            z = out[:, 0]
            loss = float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))
            delta = ((sigmoid(z) - y) / n)[:, None]
        else:                 # softmax cross-entropy
            shifted = out - out.max(axis=1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss = float(-log_p[np.arange(n), y].mean())
            delta = np.exp(log_p)
            delta[np.arange(n), y] -= 1.0
            delta /= n
        grads_W, grads_b = [None] * len(self.W), [None] * len(self.b)
        for i in range(len(self.W) - 1, -1, -1):
            grads_W[i] = delta.T @ acts[i]
            grads_b[i] = delta.sum(axis=0)
            if i:
                delta = (delta @ self.W[i]) * self.dact(zs[i - 1], acts[i])
        if self.regularization == "l2":
            loss += self.reg_rate * sum(float((W * W).sum()) for W in self.W)
            grads_W = [g + 2 * self.reg_rate * W for g, W in zip(grads_W, self.W, strict=True)]
        elif self.regularization == "l1":
            loss += self.reg_rate * sum(float(np.abs(W).sum()) for W in self.W)
            grads_W = [g + self.reg_rate * np.sign(W) for g, W in zip(grads_W, self.W, strict=True)]
        self._update(grads_W + grads_b)
        return loss

    def _update(self, grads) -> None:
        if self.optimizer == "sgd":
            for p, g in zip(self.params, grads, strict=True):
                p -= self.lr * g
            return
        # Adam with torch's defaults: betas (0.9, 0.999), eps 1e-8, bias-corrected
        self.t += 1
        b1, b2, eps = 0.9, 0.999, 1e-8
        step_size = self.lr / (1 - b1 ** self.t)
        root_bc2 = np.sqrt(1 - b2 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= step_size * m / (np.sqrt(v) / root_bc2 + eps)
