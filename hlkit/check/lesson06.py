"""Lesson 06's exercise checks (see the package docstring, hlkit/check/__init__.py)."""

from __future__ import annotations

import numpy as np

from .core import _see, _unanswered, _whole, as_array, fail, limited, passed

# --- lesson 06 ---
# Lesson 06's exercise questions (the notebook states the same numbers).
_L06_CONV = dict(c_in=8, c_out=16, k=3)     # the second conv layer of hl.cnn()
_L06_IMAGE, _L06_KERNEL = 8, 3              # an 8x8 image, a 3x3 filter, no padding, stride 1, then 2x2 pooling


@limited
def l06_conv_params(n) -> None:
    """Exercise 1: trainable numbers of a 3x3 conv layer from 8 input channels to 16 filters (with biases)."""
    name = "l06_conv_params"
    if _unanswered(name, n):
        return
    c_in, c_out, k = _L06_CONV["c_in"], _L06_CONV["c_out"], _L06_CONV["k"]
    got = _whole("conv parameters", n, _see(name, "count the numbers in all filters, then add the biases"))
    weights = c_out * c_in * k * k
    if got == weights:
        fail("conv parameters", "weights and biases", "the weights only",
             _see(name, "forgot the bias: each filter also has one"))
    if got in (c_out * k * k + c_out, c_out * k * k):
        fail("conv parameters", "filters that see every input channel", "one 3x3 grid per filter",
             _see(name, "a filter spans all input channels"))
    if got in (weights + c_in, weights + c_out * c_in):
        fail("conv parameters", "one bias per filter", "a different number of biases",
             _see(name, "a filter is one output channel with one bias"))
    if got != weights + c_out:
        fail("conv parameters", "the weights of all filters and their biases", "a different count",
             _see(name, "count the weights of one filter first (it spans every input channel); how many filters share "
                        "that count, and what does each add? The image size does not matter: the same filters slide "
                        "over every position"))
    passed("conv parameters: correct")


@limited
def l06_output_size(conv_side, pooled_side) -> None:
    """Exercise 2: side of the output of a 3x3 filter (no padding, stride 1) on an 8x8 image, and after 2x2 pooling."""
    name = "l06_output_size"
    if _unanswered(name, conv_side, pooled_side):
        return
    side = _L06_IMAGE - _L06_KERNEL + 1
    got = _whole("side after the convolution", conv_side, _see(name, "one whole number: the output is square"))
    if got == _L06_IMAGE:
        fail("side after the convolution", "a smaller image (no padding)", "the input's size",
             _see(name, "without padding the 3x3 window must fit entirely inside the image"))
    if got in (side - 1, side + 1):
        fail("side after the convolution", "the number of positions a 3-wide window has in an 8-wide row",
             "a number off by one", _see(name, "count the positions on paper: the first and the last both count"))
    if got != side:
        fail("side after the convolution", "the number of positions a 3-wide window has in an 8-wide row",
             "a different number", _see(name, "slide the window one pixel at a time until its right edge hits the border"))
    passed("side after the convolution: correct")
    got = _whole("side after pooling", pooled_side, _see(name, "one whole number"))
    if got == side:
        fail("side after pooling", "a smaller side after pooling", "the side before pooling",
             _see(name, "2x2 max pooling keeps one number per 2x2 block"))
    if got != side // 2:
        fail("side after pooling", "the number of whole 2x2 blocks along one side", "a different number",
             _see(name, "2x2 max pooling keeps one number per 2x2 block"))
    passed("side after pooling: correct")


def l06_edge_filter(kernel) -> None:
    """Exercise 3: a 3x3 filter that responds to vertical edges (pixel values rising from left to right), not to flat areas
    or horizontal edges."""
    name = "l06_edge_filter"
    if _unanswered(name, kernel):
        return
    k = as_array("edge filter", kernel, (3, 3), _see(name, "a 3x3 array"))
    flat = np.ones((3, 3))
    vertical = np.tile([0.0, 0.0, 1.0], (3, 1))     # values 0 on the left, 1 (ink) on the right
    horizontal = vertical.T                           # values 0 on top, 1 below
    if not np.isclose((k * flat).sum(), 0.0):
        fail("edge filter", "response 0 on a flat (uniform) patch", f"response {(k * flat).sum():.3g}",
             _see(name, "make the weights sum to zero, so uniform areas give 0"))
    if abs((k * horizontal).sum()) > 0.5 and abs((k * vertical).sum()) < 1e-6:
        fail("edge filter", "a filter for vertical edges", "a filter for horizontal edges (transposed)",
             _see(name, "this one responds to changes from top to bottom; turn it by a quarter"))
    if (k * vertical).sum() < -0.5:
        fail("edge filter", "a positive response to values rising from left to right", "a negative one (a sign error)",
             _see(name, "swap the signs of the left and right columns"))
    if not (k * vertical).sum() > 0.5:
        fail("edge filter", "a clearly positive response (> 0.5) to an edge with values 0 on the left, 1 on the right",
             f"response {(k * vertical).sum():.3g}",
             _see(name, "put negative weights on the left and positive ones on the right"))
    if not abs((k * horizontal).sum()) < 1e-6:
        fail("edge filter", "response 0 to a horizontal edge (values 0 on top, 1 below)",
             f"response {(k * horizontal).sum():.3g}",
             _see(name, "let every row add up to zero, so top-bottom changes cancel"))
    passed("edge filter: responds to vertical edges only")


# --- lesson 06, exercise 4 ---
# Exercise 4's answer is a function. The check runs it on inputs of its own (a seeded generator: neither the lesson's
# digit nor its Sobel filter, so a function that special-cases them fails) and compares with torch's conv2d, which the
# exercise asks the learner to match: the check holds no numpy convolution a learner could copy.
_L06_CASES = [((7, 9), (3, 3)), ((6, 5), (2, 3))]   # (image, filter) shapes: not square, and a filter that is not 3x3
_L06_LIBRARY_NAMES = {"torch", "conv2d", "scipy", "signal", "convolve", "correlate", "convolve2d", "correlate2d"}


def _l06_names(code) -> set[str]:
    """Every global and attribute name a function's code (nested functions included) uses."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _l06_names(const)
    return names


def _l06_conv2d(image, kernel) -> np.ndarray:
    """torch's conv2d (no padding, stride 1) of one 2-D image with one 2-D filter, in float64."""
    import torch

    out = torch.nn.functional.conv2d(torch.as_tensor(image, dtype=torch.float64)[None, None],
                                     torch.as_tensor(np.ascontiguousarray(kernel), dtype=torch.float64)[None, None])
    return out[0, 0].numpy()


def _l06_call(function, image, kernel):
    """(what ``function`` returns, None), or (None, the exception it raised): an error of the learner's code is
    feedback, not a crash of the check."""
    try:
        return function(image, kernel), None
    except Exception as error:   # any error of the learner's code
        return None, error


def l06_conv2d_by_hand(conv2d_by_hand) -> None:
    """Exercise 4: a function (image of shape (H, W), filter of shape (kh, kw)) -> the feature map conv2d computes
    without padding and with stride 1, of shape (H - kh + 1, W - kw + 1), float64, written with numpy only."""
    name, what = "l06_conv2d_by_hand", "conv2d_by_hand"
    if _unanswered(name, conv2d_by_hand):
        return
    if not callable(conv2d_by_hand):
        fail(what, "a function of an image and a filter", f"a value of type {type(conv2d_by_hand).__name__}",
             _see(name, "define it with def, taking the image first and the filter second, and returning the map"))
    if hasattr(conv2d_by_hand, "__code__") and _l06_names(conv2d_by_hand.__code__) & _L06_LIBRARY_NAMES:
        fail(what, "a convolution written with numpy", "a function that calls a library's convolution",
             _see(name, "slide the window yourself: one weighted sum per position, with a loop over the positions"))
    rng = np.random.default_rng(606)
    for case, (image_shape, kernel_shape) in enumerate(_L06_CASES):
        image, kernel = rng.normal(size=image_shape), rng.normal(size=kernel_shape)
        sizes = f"a {image_shape[0]}x{image_shape[1]} image and a {kernel_shape[0]}x{kernel_shape[1]} filter"
        expected = _l06_conv2d(image, kernel)
        got, error = _l06_call(conv2d_by_hand, image.copy(), kernel.copy())
        if error is not None:
            kind = f"an error ({type(error).__name__})"
            if case == 1:   # it ran on the 3x3 filter of case 0
                fail(what, f"a map for {sizes}", f"{kind}, after a 3x3 filter worked",
                     _see(name, "it works for a 3x3 filter only: read the filter's size from the filter itself"))
            if isinstance(error, ValueError) and "broadcast" in str(error):
                fail(what, f"a map for {sizes}", f"{kind}: a window and the filter of different sizes",
                     _see(name, "near the bottom or right border a window came out smaller than the filter: check "
                                "where each window starts and ends, and how far the loops run (off by one?)"))
            if isinstance(error, IndexError):
                fail(what, f"a map for {sizes}", f"{kind}: an index past the edge",
                     _see(name, "a loop runs one step too far: the last window must still fit inside the image"))
            fail(what, f"a map for {sizes}", kind,
                 _see(name, "run your function on a small array of your own and read the error"))
        if got is None:
            fail(what, "a feature map", "nothing (None)", _see(name, "the function must return the map it filled"))
        if hasattr(got, "detach") or type(got).__module__ != "numpy" or type(got).__name__ != "ndarray":
            fail(what, "a numpy array", f"a value of type {type(got).__name__}", _see(name, "return a numpy array"))
        if got.dtype.kind not in "fiu":
            fail(what, "numbers", f"dtype {got.dtype}", _see(name, "fill the map with the weighted sums"))
        shape = expected.shape
        if got.shape != shape:
            if got.shape == shape[::-1]:
                fail(what, f"shape {shape} for {sizes}", f"shape {got.shape}: transposed",
                     _see(name, "rows and columns are swapped: the first index is the row (top to bottom)"))
            if got.shape == image_shape:
                fail(what, f"shape {shape} for {sizes}", f"shape {got.shape}, the image's own size",
                     _see(name, "without padding the window must fit entirely inside the image, so the map is "
                                "smaller than the image (exercise 2)"))
            if got.shape == (_L06_IMAGE - kernel_shape[0] + 1, _L06_IMAGE - kernel_shape[1] + 1):
                fail(what, f"shape {shape} for {sizes}", f"shape {got.shape}: the size for the lesson's 8x8 image",
                     _see(name, "it works for an 8x8 image only: read the image's size from the image itself"))
            if case == 1 and got.shape == (image_shape[0] - 2, image_shape[1] - 2):
                fail(what, f"shape {shape} for {sizes}", f"shape {got.shape}: the size a 3x3 filter gives",
                     _see(name, "it works for a 3x3 filter only: read the filter's size from the filter itself"))
            if got.ndim == 2 and all(abs(g - s) <= 1 for g, s in zip(got.shape, shape, strict=True)):
                fail(what, f"shape {shape} for {sizes}", f"shape {got.shape}: off by one",
                     _see(name, "count the positions a window has along a row and along a column, as in exercise 2"))
            fail(what, f"shape {shape} for {sizes}", f"shape {got.shape}",
                 _see(name, "one number per position where the whole filter fits inside the image"))
        if got.dtype != np.float64:
            fail(what, "dtype float64 (as the image)", f"dtype {got.dtype}",
                 _see(name, "make the map of 64-bit floats, the default of numpy, so that it can match conv2d's"))
        if not np.isfinite(got).all():
            fail(what, "finite numbers", "NaN or inf", _see(name, "every position must get its weighted sum"))
        tol = dict(rtol=1e-9, atol=1e-9)
        if np.allclose(got, expected, **tol):
            continue
        if np.allclose(got, _l06_conv2d(image, kernel[::-1, ::-1]), **tol):
            fail(what, "the map conv2d computes (the filter as it is)", "the map of the flipped filter",
                 _see(name, "you turned the filter around: that is a textbook convolution, but conv2d lays the "
                            "filter on the window as it is (a cross-correlation)"))
        if np.allclose(got[:-1, :-1], expected[:-1, :-1], **tol):
            fail(what, "every position filled", "the last row or column not filled (off by one)",
                 _see(name, "a loop stops one position early: the last window ends at the image's last pixel"))
        if kernel_shape[0] == kernel_shape[1] and np.allclose(
                got, _l06_conv2d(image, np.tile(kernel.sum(axis=1), (kernel_shape[0], 1))), **tol):
            fail(what, "a sum of products entry by entry", "a sum of a matrix product",
                 _see(name, "multiply each pixel of the window by the weight at the same place, then add them up"))
        fail(what, f"the map conv2d computes for {sizes}",
             f"{int((~np.isclose(got, expected, **tol)).sum())} of {got.size} values different",
             _see(name, "at each position: the window under the filter, multiplied entry by entry with the "
                        "filter and added up"))
    passed("conv2d by hand: matches conv2d on images and filters of several sizes")
