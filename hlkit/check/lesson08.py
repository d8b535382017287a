"""Lesson 08's exercise checks (see the package docstring, hlkit/check/__init__.py)."""

from __future__ import annotations

import functools

import numpy as np

from .core import _function, _see, _unanswered, _whole, fail, limited, passed

# --- lesson 08 ---
_L08_LAYERS = [64, 32, 10]   # an MLP 64 -> 32 -> 10
_L08_REMOVED = 0.75
_L08_N_STORED = 5000         # weights to store in exercise 2


@limited
def l08_weights_left(n) -> None:
    """Exercise 1: weights (not biases) left in a 64 -> 32 -> 10 MLP after pruning 75 % of them."""
    name = "l08_weights_left"
    if _unanswered(name, n):
        return
    weights = sum(a * b for a, b in zip(_L08_LAYERS[:-1], _L08_LAYERS[1:], strict=True))
    biases = sum(_L08_LAYERS[1:])
    got = _whole("weights left", n, _see(name, "one whole number"))
    if got == round((weights + biases) * (1 - _L08_REMOVED)):
        fail("weights left", "weights only", "a count that includes biases",
             _see(name, "pruning here removes weights only"))
    if got == round(weights * _L08_REMOVED):
        fail("weights left", "the weights that remain", "the weights removed", _see(name, "75 % go, so 25 % remain"))
    if got != round(weights * (1 - _L08_REMOVED)):
        fail("weights left", "the weights that survive pruning", "a different number",
             _see(name, "count the weights of each layer (one per pair of connected neurons) first; which share of "
                        "them stays?"))
    passed("weights left: correct")


@limited
def l08_bits_needed(bits, n_bytes) -> None:
    """Exercise 2: bits per weight to tell 10 distinct values apart, and bytes for 5,000 weights at that size."""
    name = "l08_bits_needed"
    if _unanswered(name, bits, n_bytes):
        return
    need = int(np.ceil(np.log2(10)))
    got = _whole("bits needed", bits, _see(name, "one whole number"))
    if got == need - 1:
        fail("bits needed", "enough bits for 10 different codes", f"{got} bits: too few codes",
             _see(name, "one bit gives two codes and each extra bit doubles them: how many codes do your bits give?"))
    if got != need:
        fail("bits needed", "the fewest bits with enough codes for 10 values", "a different number",
             _see(name, "one bit gives two codes and each extra bit doubles them: find the fewest bits that give "
                        "at least 10"))
    passed("bits needed: correct")
    got = _whole("bytes", n_bytes, _see(name, "one whole number"))
    if got == _L08_N_STORED * need:
        fail("bytes", "bytes (8 bits each)", "bits", _see(name, "8 bits make one byte"))
    if got != int(np.ceil(_L08_N_STORED * need / 8)):
        fail("bytes", "the bytes that 5,000 weights take at that size", "a different number",
             _see(name, "how many bits do all the weights take together? Then turn bits into bytes (8 bits per "
                        "byte)"))
    passed("bytes: correct")


# --- lesson 08, exercises 3 and 4 (the learner writes prune and quantize) ---
# The checks run the learner's function on arrays of their own (seeded here, none of the lesson's) and compare it
# with hlkit.compress's prune_array / quantize_array on each; a wrong result is matched against the usual slips.


def _l08_run(name: str, function, weights: np.ndarray, setting, setting_name: str, *,
             check_dtype: bool = True) -> np.ndarray:
    """Call the learner's ``function(weights copy, setting)``; fail on an error, on a changed input, or on a result
    that is not a numpy array of the input's shape (and, with ``check_dtype``, float64)."""
    what = f"{name[4:]}(weights, {setting_name}={setting!r}) on an array of shape {weights.shape}"
    given = weights.copy()
    try:
        out = function(given, setting)
    except Exception as err:  # the learner's function failed: say so, as a check result
        fail(what, "an array", f"an error ({type(err).__name__}: {err})",
             "call your function on one small array in a cell of its own to see what goes wrong")
    if not np.array_equal(given, weights):
        fail(what, "the array it was given left unchanged", "a changed input (changed in place)",
             _see(name, "work on a copy of the weights and return the copy: the caller keeps the original"))
    if out is None:
        fail(what, "an array", "None", _see(name, "the function must return its result"))
    if not isinstance(out, np.ndarray):
        fail(what, "a numpy array", f"a {type(out).__name__}", _see(name, "return a numpy array, as the input is"))
    if out.shape != weights.shape:
        flat = out.size == weights.size
        fail(what, f"shape {weights.shape}", f"shape {out.shape}" + (": flattened" if flat else ""),
             _see(name, "return an array of the same shape as the input (reshape back if you flattened it)"))
    if check_dtype:
        _l08_dtype(name, what, out)
    if np.isnan(out).any():
        fail(what, "numbers", f"{int(np.isnan(out).sum())} NaN value(s)",
             _see(name, "a division by zero somewhere: think of an array whose entries are all 0"))
    return out


def _l08_dtype(name: str, what: str, out: np.ndarray) -> None:
    if out.dtype != np.float64:
        fail(what, "dtype float64 (the input's)", f"dtype {out.dtype}",
             _see(name, "keep the input's float64 numbers (whole-number or 32-bit arrays lose precision)"))


def _l08_zeroed(weights: np.ndarray, key: np.ndarray, k: int) -> np.ndarray:
    """``weights`` with the k entries of smallest ``key`` (flat order on ties) set to 0."""
    out = weights.astype(np.float64).copy()
    out.reshape(-1)[np.argsort(key.reshape(-1), kind="stable")[:k]] = 0.0
    return out


def _l08_same_magnitudes(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(np.sort(np.abs(a), axis=None), np.sort(np.abs(b), axis=None)))


def _l08_prune_cases() -> list[tuple[np.ndarray, float]]:
    rng = np.random.default_rng(808)
    ties = np.array([[0.3, -0.3, 0.3, 0.9], [-0.3, 0.1, 2.0, -0.5]])   # four entries share the cut-off magnitude
    # the last two counts end in .5 (13.5 -> 14, 12.5 -> 12: a half goes to the even number, as the exercise says)
    return [(rng.normal(size=(6, 5)), 0.5), (rng.normal(size=(4, 1, 3, 3)), 0.25), (rng.normal(size=(5, 8)), 0.8),
            (rng.normal(size=(3, 4)), 0.0), (rng.normal(size=(2, 5)), 1.0), (ties, 0.25),
            (rng.normal(size=(3, 2, 3, 3)), 0.25), (rng.normal(size=(5, 10)), 0.25)]


def l08_prune(prune) -> None:
    """Exercise 3: ``prune(weights, fraction)``: a copy of ``weights`` (same shape, float64) in which the fraction
    ``fraction`` of all entries, rounded to a whole number, with the smallest |w| are 0; any of several entries that
    share the cut-off magnitude may go, but exactly that many go. The input is not changed."""
    from ..compress import prune_array

    name = "l08_prune"
    if _unanswered(name, prune):
        return
    _function(name, "prune", prune, "weights and fraction")
    for weights, fraction in _l08_prune_cases():
        out = _l08_run(name, prune, weights, fraction, "fraction")
        what = f"prune(weights, fraction={fraction!r}) on an array of shape {weights.shape}"
        right = prune_array(weights, fraction)
        if _l08_same_magnitudes(out, right) and np.all((out == weights) | (out == 0)):
            continue
        k, size = int((right == 0).sum()), weights.size
        zeros = int((out == 0).sum())
        if not np.all((out == weights) | (out == 0)):
            fail(what, "each entry either kept as it was or set to 0", "entries with other values",
                 _see(name, "pruning only zeroes entries: the ones that stay keep their value and their sign"))
        if k < size and _l08_same_magnitudes(out, _l08_zeroed(weights, -np.abs(weights), k)):
            fail(what, "the smallest magnitudes removed", "the largest removed",
                 _see(name, "sort from small to large magnitude: the first entries are the ones to remove"))
        if _l08_same_magnitudes(out, _l08_zeroed(weights, weights, k)):
            fail(what, "the entries nearest to 0 removed", "the most negative entries removed",
                 _see(name, "rank by the size of each weight, whatever its sign: a large negative weight matters "
                            "as much as a large positive one"))
        if k == 0 and zeros > 0:
            fail(what, "nothing removed for fraction 0", f"{zeros} of {size} entries removed",
                 _see(name, "when no entry should go, no cut-off magnitude exists: handle that case"))
        if zeros == size - k != k:
            fail(what, "the given fraction removed", "the given fraction kept (the rest removed)",
                 _see(name, "the fraction says how many entries go, not how many stay"))
        rows = weights.reshape(len(weights), -1)
        per_row = np.stack([prune_array(row, fraction) for row in rows]).reshape(weights.shape)
        if not _l08_same_magnitudes(per_row, right) and _l08_same_magnitudes(out, per_row):
            fail(what, "one ranking of the whole array", "a ranking within each row",
                 _see(name, "rank all entries together, whatever row or filter they sit in"))
        if zeros > k and np.abs(weights[out == 0]).max() == np.abs(weights[right == 0]).max():
            fail(what, f"{k} of {size} entries removed", f"{zeros}: every entry at the cut-off magnitude removed",
                 _see(name, "several entries share the cut-off magnitude here; a threshold takes them all, a ranking "
                            "takes exactly as many as needed (any of the tied ones)"))
        if abs(zeros - k) == 1:
            half = (fraction * size) % 1 == 0.5
            fail(what, f"{k} of {size} entries removed", f"{zeros}: a count off by one",
                 _see(name, "the number to remove is the fraction of all entries, rounded to the nearest whole "
                            "number" + (": here that share ends in a half, and a half goes to the even whole number, "
                                        "as Python's round does" if half else "")))
        if zeros != k:
            fail(what, f"{k} of {size} entries removed", f"{zeros} removed",
                 _see(name, "count all entries of the array, whatever its shape, then take the fraction of them"))
        fail(what, "the entries with the smallest magnitudes removed", "other entries removed",
             _see(name, "rank the entries by magnitude over the whole array and zero the first ones"))
    passed("prune(weights, fraction): right on every array tried (matrices, filters, fraction 0 and 1, ties, counts "
           "ending in .5), and the input left as it was")


def _l08_near(out: np.ndarray, candidate, *, atol: float) -> bool:
    return bool(np.allclose(out, candidate, rtol=0, atol=atol))


def _l08_quantize_cases() -> list[tuple[np.ndarray, int]]:
    rng = np.random.default_rng(809)
    return [(rng.normal(size=(5, 4)), 2), (rng.normal(size=(4, 1, 3, 3)), 3), (rng.uniform(0.2, 1.0, size=(3, 6)), 2),
            (rng.normal(size=(6, 5)), 1), (rng.normal(size=(8, 8)), 8), (np.zeros((3, 3)), 4)]


def l08_quantize(quantize) -> None:
    """Exercise 4: ``quantize(weights, bits)``: a float64 copy of ``weights`` (same shape) in which every entry is
    replaced by the nearest of 2**bits evenly spaced levels from -max|w| to +max|w| (lesson 08 section 2,
    hlkit.compress.quantize_array); an array of zeros stays zeros. The input is not changed."""
    from ..compress import quantize_array

    name = "l08_quantize"
    if _unanswered(name, quantize):
        return
    _function(name, "quantize", quantize, "weights and bits")
    for weights, bits in _l08_quantize_cases():
        out = _l08_run(name, quantize, weights, bits, "bits", check_dtype=False)
        what = f"quantize(weights, bits={bits}) on an array of shape {weights.shape}"
        right = quantize_array(weights, bits)
        m = float(np.abs(weights).max())

        near = functools.partial(_l08_near, out, atol=1e-9 * max(m, 1.0))

        with np.errstate(divide="ignore", invalid="ignore"):
            step = 2 * m / (2 ** bits - 1)
            codes = np.round((weights + m) / step)
        if near(codes) and not near(right):
            fail(what, f"the nearest of the evenly spaced levels for {bits} bit{'s' if bits > 1 else ''}",
                 "level numbers (whole numbers), not weights",
                 _see(name, "turn each level number back into the weight it stands for: the bottom of the range "
                            "plus that many steps"))
        _l08_dtype(name, what, out)
        if near(right):
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            wide = 2 * m / 2 ** bits                                  # one level too many
            low, high = weights.min(), weights.max()
            spread = (high - low) / (2 ** bits - 1)
            as_levels = 2 * m / (bits - 1) if bits > 1 else np.nan      # bits taken as the number of levels
            row_m = np.abs(weights.reshape(len(weights), -1)).max(axis=1).reshape(-1, *[1] * (weights.ndim - 1))
            row_step = 2 * row_m / (2 ** bits - 1)
            candidates = [
                (near(codes - 2 ** (bits - 1)),
                 "level numbers (whole numbers), not weights", "turn each level number back into the weight it "
                 "stands for: the bottom of the range plus that many steps"),
                (near(-m + np.round((weights + m) / wide) * wide),
                 "one level more than the bits can store", "k bits give 2 to the power k levels, and the levels "
                 "include both ends of the range, so the steps are one fewer than the levels"),
                (near(-m + np.minimum(np.round((weights + m) / wide), 2 ** bits - 1) * wide),
                 "levels that stop short of the top of the range", "the levels must reach both ends of the range, "
                 "minus and plus the largest magnitude"),
                (near(low + np.round((weights - low) / spread) * spread),
                 "levels from the smallest to the largest weight", "the lesson's levels are symmetric around 0, from "
                 "minus to plus the largest magnitude"),
                (near(-m + np.floor((weights + m) / step) * step),
                 "each weight rounded down", "round to the nearest level, not down"),
                (near(-row_m + np.round((weights + row_m) / row_step) * row_step),
                 "a range per row", "one range for the whole array: the largest magnitude of all its entries"),
                (bits > 1 and near(-m + np.round((weights + m) / as_levels) * as_levels),
                 "as many levels as bits", "the bits number the levels: each extra bit doubles how many there are"),
            ]
        for hit, got, hint in candidates:
            if hit:
                fail(what, f"the nearest of the evenly spaced levels for {bits} bit{'s' if bits > 1 else ''}", got,
                     _see(name, hint))
        if m == 0.0:
            fail(what, "an array of zeros back", "other numbers", _see(name, "with every weight 0 there is no range: "
                                                                      "return zeros"))
        off = int((~np.isclose(out, right, rtol=0, atol=1e-9 * max(m, 1.0))).sum())
        fail(what, "the nearest of the evenly spaced levels", f"{off} of {out.size} values different",
             _see(name, "find the range and the step between levels first, then round each weight to the nearest "
                        "level"))
    passed("quantize(weights, bits): right on every array tried (1 to 8 bits, matrices, filters, zeros), "
           "and the input left as it was")
