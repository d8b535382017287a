"""Lesson 05's exercise checks (see the package docstring, hlkit/check/__init__.py)."""

from __future__ import annotations

import numpy as np

from .core import _see, _unanswered, _whole, as_array, fail, limited, not_done, passed

# --- lesson 05 ---
# Lesson 05's exercise settings (the notebook states the same ones).
_L05_DATA = dict(name="circle", n_points=1000, noise=0.3, train_ratio=0.1, seed=0)   # 100 train + 900 test points
_L05_BIG = [32, 32, 32]
_L05_TRAIN = dict(epochs=1000, lr=0.02)
_L05_UNDERFIT_TRAIN_ACC = 0.8     # the 4-neuron network reaches about 0.9 on these training points
_L05_SPLIT = dict(val_ratio=0.3, seed=0)             # hl.sweep.validation_split of the noisy circle
_L05_GRID = dict(widths=[8], epochs=300, lr=0.03)     # hl.sweep.capacity_grid settings of exercise 3


@limited
def l05_diagnose(histories, underfit, overfit) -> None:
    """Exercise 1: which of the trained networks (a dict name -> History) underfits and which overfits."""
    name = "l05_diagnose"
    if _unanswered(name, underfit, overfit):
        return
    if not isinstance(histories, dict) or len(histories) < 3:
        fail("histories", "the dict of three training histories from the cell above", f"{type(histories).__name__}",
             "pass the dict the lesson built, unchanged")
    for what, answer in (("underfit", underfit), ("overfit", overfit)):
        if not_done(answer) or answer not in histories:
            fail(what, "one of the model names (the keys of the dict)", "something else",
                 _see(name, "give the name of a model as a string"))
    train_acc = {k: h.train_acc[-1] for k, h in histories.items()}
    gap = {k: h.train_acc[-1] - h.test_acc[-1] for k, h in histories.items()}
    if underfit == overfit:
        fail("underfit and overfit", "two different models", "the same model twice",
             _see(name, "one model cannot do both"))
    if underfit != min(train_acc, key=train_acc.get):
        fail("underfit", "the model that does poorly even on its own training points", "another model",
             _see(name, "compare the training accuracies (the black dotted curves): underfitting means the network "
                        "cannot even fit the data it learns from"))
    if overfit != max(gap, key=gap.get):
        fail("overfit", "the model whose training score is far better than its test score", "another model",
             _see(name, "look at the gap between training (black) and test (red), and for a test loss that rises "
                        "while the training loss keeps falling"))
    passed(f"underfit {underfit!r}, overfit {overfit!r}: correct")


def l05_too_strong(reg_rate) -> None:
    """Exercise 2: an L2 rate strong enough to make the big network (hidden [32, 32, 32]) underfit the lesson's
    noisy circle: training accuracy below 0.8 after 1000 epochs."""
    from ..data import make_dataset
    from ..models import mlp
    from ..train import train

    name = "l05_too_strong"
    if _unanswered(name, reg_rate):
        return
    rate = float(as_array("reg_rate", reg_rate, (), _see(name, "one number, e.g. 0.001")))
    if not 0 <= rate <= 1:
        fail("reg_rate", "a number from 0 to 1 (what training accepts)", f"{rate:g}",
             _see(name, "try the rates listed in the exercise"))
    history = train(mlp(_L05_BIG, seed=0), make_dataset(**_L05_DATA), regularization="l2", reg_rate=rate,
                    report_every=_L05_TRAIN["epochs"], **_L05_TRAIN)
    if history.status == "diverged":
        fail("reg_rate", "a rate that trains without diverging", f"{rate:g}", history.message)
    acc = history.train_acc[-1]
    if acc >= _L05_UNDERFIT_TRAIN_ACC:
        fail("training accuracy with L2", f"below {_L05_UNDERFIT_TRAIN_ACC} (underfitting)", f"{acc:.3f}",
             _see(name, "the penalty is still too weak to stop the network from fitting its training points: "
                        "make it larger"))
    passed(f"reg_rate {rate:g}: training accuracy {acc:.3f}, the penalty now keeps the network from fitting even "
           "its training points")


def l05_best_depth(best_depth, val_acc, depths) -> None:
    """Exercise 3: the depth chosen by validation accuracy. val_acc: shape (len(depths),), one validation
    accuracy per depth of width-8 networks trained on the lesson's validation split (300 epochs, lr 0.03);
    ties go to the shallower (smaller) network."""
    from ..data import make_dataset
    from ..sweep import capacity_grid, validation_split

    name = "l05_best_depth"
    if _unanswered(name, best_depth, val_acc):
        return
    depths = [int(d) for d in depths]
    scores = as_array("val_acc", val_acc, None, _see(name, "one validation accuracy per depth"))
    if scores.shape != (len(depths),):
        fail("val_acc", f"shape ({len(depths)},): one accuracy per depth", f"shape {scores.shape}",
             _see(name, "take the one column of the grid's accuracies, in the order of the depths"))
    if np.any((scores < 0) | (scores > 1)):
        fail("val_acc", "accuracies between 0 and 1", "values outside [0, 1]",
             _see(name, "use accuracies (the grid's test_acc, trained on the validation split), not losses"))
    split = validation_split(make_dataset(**_L05_DATA), **_L05_SPLIT)
    n_val = len(split.y_test)
    if not np.allclose(scores * n_val, np.round(scores * n_val), atol=1e-6):
        fail("val_acc", f"accuracies on the {n_val} validation points (multiples of 1/{n_val})",
             "numbers that cannot be accuracies on those points",
             _see(name, "these were not measured on the validation points: the test set (900 points) must stay "
                        "out of the choice; train the grid on `split`"))
    grid = capacity_grid(split, depths, **_L05_GRID)
    if not np.allclose(scores, grid.test_acc[:, 0], atol=1e-9):
        fail("val_acc", "the validation accuracies of the grid the exercise describes",
             f"{int((~np.isclose(scores, grid.test_acc[:, 0], atol=1e-9)).sum())} of {len(depths)} values different",
             _see(name, "train width 8, the listed depths, 300 epochs at lr 0.03 on `split`, and copy no numbers "
                        "by hand"))
    got = _whole("best_depth", best_depth, _see(name, "one whole number: a depth from the list"))
    if got not in depths:
        fail("best_depth", "one of the depths tried", "a depth not in the list", _see(name, "pick from the depths"))
    best = [d for d, s in zip(depths, scores, strict=True) if s == scores.max()]
    if got not in best:
        fail("best_depth", "the depth with the highest validation accuracy", "another depth",
             _see(name, "find the position of the highest value in val_acc, then the depth at that position"))
    if got != best[0]:
        fail("best_depth", "on a tie, the shallower network", "a deeper one of the tied depths",
             _see(name, "several depths tie: prefer the one with fewer layers (fewer parameters, same score)"))
    passed(f"best depth by validation: {got}")
