"""The numpy step for tiny MLPs must train exactly like torch's autograd and optimizers (up to rounding)."""

import numpy as np
import pytest
import torch

import hlkit as hl
from hlkit import fast_step


def _trained(monkeypatch, use_fast, *, hidden, activation, n_classes=2, **options):
    monkeypatch.setattr(fast_step, "supports", lambda model: use_fast)
    data = hl.make_dataset("spiral" if n_classes > 2 else "xor", n_points=120, noise=0.1, n_classes=n_classes, seed=3)
    model = hl.mlp(hidden, activation=activation, n_classes=n_classes, seed=5,
                   features=["x1", "x2", "x1*x2", "sin(x1)"])
    history = hl.train.train(model, data, epochs=25, **options)
    return model, history


@pytest.mark.parametrize("activation", sorted(fast_step.ACTIVATIONS))
@pytest.mark.parametrize("options", [
    dict(optimizer="adam", lr=0.03),
    dict(optimizer="sgd", lr=0.5, regularization="l2", reg_rate=0.01),
    dict(optimizer="adam", lr=0.01, regularization="l1", reg_rate=0.001, batch_size=16, seed=7),
])
def test_fast_step_matches_torch(monkeypatch, activation, options):
    for n_classes, hidden in ((2, [5, 3]), (3, [6])):
        slow, h_slow = _trained(monkeypatch, False, hidden=hidden, activation=activation, n_classes=n_classes, **options)
        fast, h_fast = _trained(monkeypatch, True, hidden=hidden, activation=activation, n_classes=n_classes, **options)
        for (name, a), b in zip(slow.state_dict().items(), fast.state_dict().values(), strict=True):
            assert torch.allclose(a, b, rtol=1e-7, atol=1e-9), f"{activation} {options} {name}"
        np.testing.assert_allclose(h_fast.train_loss, h_slow.train_loss, rtol=1e-7, atol=1e-10)
        assert h_fast.test_acc == h_slow.test_acc


def test_supports_only_tiny_float64_mlps():
    assert fast_step.supports(hl.mlp([4, 2]))
    assert not fast_step.supports(hl.mlp([4, 2], activation="gelu"))     # numpy has no erf: torch does it
    assert not fast_step.supports(hl.mlp([4, 2], dtype=torch.float32))
    assert not fast_step.supports(hl.mlp([256, 256]))                    # over MAX_PARAMS: torch's kernels win
    assert not fast_step.supports(hl.cnn())


def test_updates_land_in_the_torch_model():
    model = hl.mlp([3])
    before = [p.detach().clone() for p in model.parameters()]
    hl.train.train(model, hl.make_dataset("circle", n_points=40), epochs=2)
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
