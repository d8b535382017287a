"""Exercise checks: instant feedback while a learner works (formative; grades come from hidden tests).

Each check prints a line starting with "✓" when the answer is right, and raises AssertionError with
"expected ..., got ..." and a hint when it is not. A failing message names the kind of mistake (shape,
transposed, sign, a missing bias, rounded too early, ...) and the lesson section to re-read; it never
prints code of the solution nor the right value.

What these checks are not: a grade. A learner can read this file or replace its functions in their
kernel, so the points of a graded exercise come from the hidden tests in the instructor's check cells
(nbgrader's ``### BEGIN HIDDEN TESTS``), which never call this module (docs/instructors.md). Still, no
expected answer sits here as a plain constant: each is recomputed from the exercise's inputs, or (when
it is a finding such as "the smallest width that works") compared through a salted hash; and a check
whose answer is a small whole number stops judging after ``TRIES`` wrong answers in a row, so it cannot be
called in a loop until it says ✓ (restarting the kernel resets it).

An unanswered exercise (its variables still ``None``, as the student copy leaves them) prints one line,
"exercise N is not answered yet", instead of raising, so Run All reaches the end of the lesson. Under
nbgrader's autograder (and ``hlkit validate``), which set ``NBGRADER_EXECUTION``, it fails instead.
One module per lesson (lesson01.py ... lesson08.py) holds its checks, core.py what they share; none imports
widgets.
"""

from .core import EXERCISES, TRIES, CheckFailed, answered, as_array, close, fail, grading, limited, not_done, passed
from .lesson01 import l01_linear_collapse, l01_neuron_output, l01_xor_by_hand
from .lesson02 import l02_batch_weighted_sums, l02_cross_entropy, l02_n_params, l02_network_output
from .lesson03 import l03_bce, l03_gradient_step, l03_hidden_gradient, l03_output_gradient, l03_signal_growth
from .lesson04 import l04_param_formula, l04_smallest_width, l04_spiral_budget
from .lesson05 import l05_best_depth, l05_diagnose, l05_too_strong
from .lesson06 import l06_conv2d_by_hand, l06_conv_params, l06_edge_filter, l06_output_size
from .lesson07 import l07_gradient_times_input, l07_occlusion, l07_top_pixels
from .lesson08 import l08_bits_needed, l08_prune, l08_quantize, l08_weights_left

__all__ = [
    "EXERCISES", "TRIES", "CheckFailed", "answered", "as_array", "close", "fail", "grading", "limited", "not_done",
    "passed", "l01_linear_collapse", "l01_neuron_output", "l01_xor_by_hand", "l02_batch_weighted_sums",
    "l02_cross_entropy", "l02_n_params", "l02_network_output", "l03_bce", "l03_gradient_step", "l03_hidden_gradient",
    "l03_output_gradient", "l03_signal_growth", "l04_param_formula", "l04_smallest_width", "l04_spiral_budget",
    "l05_best_depth", "l05_diagnose", "l05_too_strong", "l06_conv2d_by_hand", "l06_conv_params", "l06_edge_filter",
    "l06_output_size", "l07_gradient_times_input", "l07_occlusion", "l07_top_pixels", "l08_bits_needed", "l08_prune",
    "l08_quantize", "l08_weights_left"
]
