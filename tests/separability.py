"""Linear separability, decided independently of hlkit (for the tests that re-derive lesson claims)."""

from __future__ import annotations

import numpy as np


def perceptron_separates(H, y, epochs: int = 20_000) -> bool:
    """True when the perceptron rule finds a line (plane) with every point on its side: it does iff one exists,
    given enough epochs. H: points of shape (n, d); y: labels 0/1 of shape (n,)."""
    A = np.column_stack([H, np.ones(len(H))])
    s = 2.0 * np.asarray(y) - 1.0
    w = np.zeros(A.shape[1])
    for _ in range(epochs):
        wrong = np.flatnonzero(s * (A @ w) <= 0)
        if wrong.size == 0:
            return True
        w += s[wrong[0]] * A[wrong[0]]
    return False
