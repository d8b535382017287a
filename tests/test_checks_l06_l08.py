"""Lesson 06-08 exercise checks: a right answer passes; wrong answers fail with what was expected and a hint,
without ever showing the right value."""

import numpy as np
import pytest

import hlkit as hl
from hlkit import check

SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


@pytest.fixture(scope="module")
def digit_model():
    return hl.mlp([16], n_inputs=64, n_classes=10, activation="relu", seed=0), hl.load_digits().X_test[0]


def saliency_top(model, image, k=5):
    return np.argsort(hl.explain.saliency(model, image.reshape(1, 64)).ravel(), kind="stable")[-k:]


def failure(call, *args) -> str:
    with pytest.raises(AssertionError) as info:
        call(*args)
    text = str(info.value)
    assert "expected" in text and "Hint:" in text
    return text


def test_right_answers_pass(capsys):
    check.l06_conv_params(16 * 8 * 9 + 16)
    check.l06_output_size(6, 3)
    check.l06_edge_filter(SOBEL_X)
    check.l06_edge_filter(SOBEL_X / 4)
    check.l07_gradient_times_input(np.array([2.0, -1.0, 0.5]) * np.array([1.0, 3.0, -2.0]))
    check.l08_weights_left(592)
    check.l08_bits_needed(4, 2500)
    out = capsys.readouterr().out
    assert out.count("✓") == 9 and "✗" not in out


def test_conv_params_failures_name_the_mistake_not_the_answer():
    for wrong, words in [(16 * 8 * 9, "biases"), (16 * 9 + 16, "every input channel"), (100, "filters x")]:
        text = failure(check.l06_conv_params, wrong)
        assert words in text and "1168" not in text
    assert "nothing yet" in failure(check.l06_conv_params, None)
    assert "whole number" in failure(check.l06_conv_params, 3.5)


def test_output_size_failures():
    text = failure(check.l06_output_size, 8, 4)
    assert "padding" in text and " 6" not in text
    assert "n - k + 1" in failure(check.l06_output_size, 5, 2)
    text = failure(check.l06_output_size, 6, 6)
    assert "pool" in text and "3" not in text.split("got")[0]


def test_edge_filter_failures():
    assert "flat" in failure(check.l06_edge_filter, np.ones((3, 3)))
    assert "0 on the left" in failure(check.l06_edge_filter, -SOBEL_X)
    assert "horizontal" in failure(check.l06_edge_filter, SOBEL_X + SOBEL_X.T)
    assert "shape (3, 3)" in failure(check.l06_edge_filter, np.ones((2, 2)))


def test_gradient_times_input_failures():
    w, x = np.array([2.0, -1.0, 0.5]), np.array([1.0, 3.0, -2.0])
    assert "gradient alone" in failure(check.l07_gradient_times_input, w)
    assert "split wrongly" in failure(check.l07_gradient_times_input, np.array([float(w @ x), 0.0, 0.0]))
    text = failure(check.l07_gradient_times_input, x)
    assert "different numbers" in text and str(w * x) not in text
    assert "shape (3,)" in failure(check.l07_gradient_times_input, [1.0, 2.0])


def test_top_pixels(digit_model, capsys):
    model, image = digit_model
    top = saliency_top(model, image)
    check.l07_top_pixels(model, image, top)
    check.l07_top_pixels(model, image, top[::-1])   # any order
    assert "✓" in capsys.readouterr().out
    text = failure(check.l07_top_pixels, model, image, [0, 1, 2, 3, 4] if 0 not in top else [59, 60, 61, 62, 63])
    assert "different set" in text and str(sorted(top.tolist())) not in text
    assert "5 pixel" in failure(check.l07_top_pixels, model, image, top[:3])
    assert "0..63" in failure(check.l07_top_pixels, model, image, [0, 1, 2, 3, 64])


def test_top_pixels_with_a_cnn(capsys):
    model, image = hl.cnn(seed=2), hl.load_digits().X_test[3]
    top = np.argsort(hl.explain.saliency(model, image[None]).ravel(), kind="stable")[-5:]
    check.l07_top_pixels(model, image, top)
    assert "✓" in capsys.readouterr().out


def test_weights_left_failures():
    assert "biases" in failure(check.l08_weights_left, round((2368 + 42) * 0.25))
    assert "removed" in failure(check.l08_weights_left, 1776)
    text = failure(check.l08_weights_left, 600)
    assert "quarter" in text and "592" not in text


def test_bits_needed_failures():
    assert "2**k" in failure(check.l08_bits_needed, 3, 1875)
    assert "smallest k" in failure(check.l08_bits_needed, 5, 3125)
    assert "bits" in failure(check.l08_bits_needed, 4, 20000)
    text = failure(check.l08_bits_needed, 4, 2000)
    assert "2500" not in text
