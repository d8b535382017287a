"""Lesson 07's exercise checks (see the package docstring, hlkit/check/__init__.py)."""

from __future__ import annotations

import numpy as np

from .core import _function, _see, _unanswered, as_array, fail, not_done, passed

# --- lesson 07 ---
_L07_W, _L07_X = [2.0, -1.0, 0.5], [1.0, 3.0, -2.0]   # a linear score s = w . x (no bias)


def l07_gradient_times_input(attributions) -> None:
    """Exercise 1: gradient x input, by hand, for the linear score s = w . x with lesson 07's w and x."""
    name = "l07_gradient_times_input"
    if _unanswered(name, attributions):
        return
    w, x = np.asarray(_L07_W), np.asarray(_L07_X)
    got = as_array("gradient x input", attributions, (3,), _see(name, "one number per input: shape (3,)"))
    if np.allclose(got, w):
        fail("gradient x input", "the gradient multiplied by the input", "the gradient alone",
             _see(name, "the gradient of a linear score with respect to the input is its weights; now bring in the input"))
    if np.allclose(got, x):
        fail("gradient x input", "the gradient multiplied by the input", "the input alone",
             _see(name, "multiply the input by the gradient"))
    if np.isclose(got.sum(), float(w @ x)) and not np.allclose(got, w * x):
        fail("gradient x input", "one attribution per input", "numbers that add up right but are split wrongly",
             _see(name, "each input gets its own product, entry by entry"))
    if not np.allclose(got, w * x):
        fail("gradient x input", "one product per input (they add up to the score)", "different numbers",
             _see(name, "multiply entry by entry, not the dot product"))
    passed("gradient x input: correct, and the three add up to the score")


def l07_top_pixels(model, image, pixels) -> None:
    """Exercise 2: the 5 pixels (flat indices 0..63) with the largest gradient x input for one 8x8 image and
    its predicted class."""
    from ..explain import gradient_x_input

    name = "l07_top_pixels"
    if _unanswered(name, pixels):
        return
    image = np.asarray(image, dtype=np.float64)
    # an MLP takes the image as a flat row of 64 numbers, a CNN as (1, 1, 8, 8)
    image = image.reshape(1, -1) if hasattr(model, "hidden") else image.reshape(1, 1, 8, 8)
    got = as_array("top pixels", pixels, None, _see(name, "five flat pixel indices")).reshape(-1)
    if got.shape != (5,):
        fail("top pixels", "5 pixel indices", f"{got.shape[0]} numbers", _see(name, "keep the five largest"))
    if not np.all((got >= 0) & (got < 64) & (got == np.round(got))):
        fail("top pixels", "flat indices 0..63", "numbers outside that range or not whole",
             _see(name, "flatten the (8, 8) map to 64 numbers before sorting"))
    scores = gradient_x_input(model, image).reshape(-1)
    top = set(np.argsort(scores, kind="stable")[-5:].tolist())
    chosen = set(got.astype(int).tolist())
    if chosen == set(np.argsort(np.abs(scores), kind="stable")[-5:].tolist()) != top:
        fail("top pixels", "the largest attributions (most positive)", "the largest in absolute value",
             _see(name, "sort the signed values: negative attributions spoke against the class"))
    if chosen == set(np.argsort(scores, kind="stable")[:5].tolist()):
        fail("top pixels", "the 5 largest values", "the 5 smallest (a sign or order error)",
             _see(name, "sorting goes from small to large: the largest are at the end"))
    if chosen != top:
        fail("top pixels", "the indices of the 5 largest gradient x input values of this image",
             "a different set of pixels", _see(name, "take gradient x input of this one image, then sort it"))
    passed("top pixels: correct")


# --- lesson 07, exercise 3 ---
def _l07_occlusion_cases():
    """Exercise 3's fresh inputs: (score, image, baseline) triples, each score a small random tanh network of its
    own (numpy, not a digit model) on a non-square image with some white (0) pixels. A score refuses an array that
    is not shaped like its image, so a flattened or transposed copy is caught where it is passed."""
    rng = np.random.default_rng(2026)
    cases = []
    for shape, baseline in (((3, 5), 0.3), ((4, 2), -0.5), ((2, 6), 0.0)):
        image = rng.uniform(0.05, 1.0, shape)
        image[rng.uniform(size=shape) < 0.3] = 0.0
        W, b, v = rng.normal(size=(4, image.size)), rng.normal(size=4), rng.normal(size=4)

        def score(x, shape=shape, W=W, b=b, v=v):
            x = np.asarray(x.detach() if hasattr(x, "detach") else x, dtype=np.float64)
            if x.shape != shape:
                raise ValueError(f"the score takes an array shaped like its image, {shape}; got shape {x.shape}")
            return float(v @ np.tanh(W @ x.reshape(-1) + b))

        cases.append((score, image, baseline))
    return cases


def _l07_covered(score, image, baseline, *, restore=True):
    """Per pixel: the score with that pixel covered by ``baseline`` (with restore=False, every pixel covered so far
    stays covered: the slip of forgetting to put a pixel back)."""
    covered, out = image.copy(), np.zeros(image.shape)
    for index in np.ndindex(*image.shape):
        covered[index] = baseline
        out[index] = score(covered)
        if restore:
            covered[index] = image[index]
    return out


def l07_occlusion(occlusion_map, digit_drops, digit_score=None, digit_image=None) -> None:
    """Exercise 3: the learner's own ``occlusion_map(score, image, baseline)``: for every pixel, how much
    ``score`` drops when that pixel alone is replaced by ``baseline``. Run on fresh images and score functions
    made up here (so no hlkit function can stand in for it), then on the lesson's digit (``digit_drops``)."""
    name = "l07_occlusion"
    if _unanswered(name, occlusion_map, digit_drops):
        return
    _function(name, "occlusion_map", occlusion_map, "a score, an image and a baseline")
    for number, (score, image, baseline) in enumerate(_l07_occlusion_cases(), start=1):
        what = f"occlusion_map on test image {number} (shape {image.shape}, baseline {baseline:g})"
        given = image.copy()
        try:
            got = occlusion_map(score, given, baseline)
        except Exception as err:  # the learner's function failed: say so, as a check result
            fail(what, "a map of drops", f"an error ({type(err).__name__}: {err})",
                 _see(name, "call your function on a small image of your own in a cell of its own to see what goes "
                            "wrong; the score must be given a whole image, shaped like the one you were given"))
        if not np.array_equal(given, image):
            fail(what, "the image left as it was given", "an image changed by your function",
                 _see(name, "cover the pixel in a copy of the image, not in the image itself"))
        if not_done(got):
            fail(what, "a map of drops", "nothing (None)", _see(name, "return the map at the end of the function"))
        arr = as_array(what, got, None, _see(name, "return an array of numbers"))
        if arr.shape != image.shape:
            transposed = arr.ndim == 2 and arr.shape == image.shape[::-1]
            fail(what, f"shape {image.shape}, the image's", f"shape {arr.shape}" + (": transposed" if transposed else ""),
                 _see(name, "one drop per pixel, in the pixel's own place (rows, then columns)"))
        if not np.isfinite(arr).all():
            fail(what, "finite numbers", "inf or NaN", _see(name, "each drop is the difference of two scores"))
        full = score(image)
        right = full - _l07_covered(score, image, baseline)
        if np.allclose(arr, right, rtol=1e-6, atol=1e-9):
            continue
        if np.allclose(arr, -right, rtol=1e-6, atol=1e-9):
            fail(what, "the drop: positive where covering the pixel lowers the score", "the opposite sign",
                 _see(name, "subtract the covered image's score from the untouched image's, not the other way round"))
        if baseline != 0 and np.allclose(arr, full - _l07_covered(score, image, 0.0), rtol=1e-6, atol=1e-9):
            fail(what, f"pixels covered with the baseline ({baseline:g})", "pixels covered with 0",
                 _see(name, "the baseline argument is the value that covers the pixel: use it"))
        if np.allclose(arr, full - _l07_covered(score, image, baseline, restore=False), rtol=1e-6, atol=1e-9):
            fail(what, "one pixel covered at a time", "pixels that stay covered once covered",
                 _see(name, "forgot to restore the pixel: put it back before covering the next one (or start each "
                            "pixel from a fresh copy)"))
        if np.allclose(arr, _l07_covered(score, image, baseline), rtol=1e-6, atol=1e-9):
            fail(what, "how much the score drops", "the covered image's score itself",
                 _see(name, "a drop compares two scores: with and without the pixel covered"))
        if np.allclose(arr, right / full, rtol=1e-6, atol=1e-9):
            fail(what, "the drop itself", "the drop divided by the score", _see(name, "do not divide: keep the drop"))
        fail(what, "one drop per pixel", f"{int((~np.isclose(arr, right, rtol=1e-6, atol=1e-9)).sum())} of {arr.size} "
             "drops different", _see(name, "for each pixel: the score of the untouched image, minus the score of the "
                                           "image with only that pixel covered by the baseline"))
    passed("occlusion_map: right on every new image and score tried")
    drops = as_array("digit_drops", digit_drops, None, _see(name, "the map your function returns for the digit"))
    if drops.shape != (8, 8):
        fail("digit_drops", "shape (8, 8), one drop per pixel of the digit", f"shape {drops.shape}",
             _see(name, "run your function on the digit as an (8, 8) image"))
    if digit_score is not None and digit_image is not None:
        image = np.asarray(digit_image, dtype=np.float64)
        right = digit_score(image) - _l07_covered(digit_score, image, 0.0)
        if not np.allclose(drops, right, rtol=1e-5, atol=1e-6):
            fail("digit_drops", "your function's map of the digit, its class score, covered with white (0)",
                 "a different map", _see(name, "run your function on this digit, with the digit's score and baseline 0"))
    passed("digit_drops: correct")
