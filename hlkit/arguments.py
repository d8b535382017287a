"""Argument checks shared by every module: each error names the parameter, what is allowed and what was given."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_int(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int, or raise TypeError/ValueError naming ``name``."""
    allowed = _range_text("an integer", low, high)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {allowed}; got {_show(value)} ({type(value).__name__}) instead")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {allowed}; got {value} instead")
    return value


def check_float(name: str, value, low: float | None = None, high: float | None = None,
                *, low_open: bool = False) -> float:
    """Return ``value`` as a finite float within [low, high] (or (low, high] if ``low_open``)."""
    allowed = _range_text("a number", low, high, low_open=low_open)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {allowed}; got {_show(value)} ({type(value).__name__}) instead")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be {allowed}; got {value} instead")
    too_low = low is not None and (value <= low if low_open else value < low)
    if too_low or (high is not None and value > high):
        raise ValueError(f"{name} must be {allowed}; got {value:g} instead")
    return value


def check_choice(name: str, value, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices`` (strings), else raise naming them all."""
    choices = list(choices)
    listed = ", ".join(repr(c) for c in choices)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {listed}; got {_show(value)} ({type(value).__name__}) instead")
    if value not in choices:
        raise ValueError(f"{name} must be one of {listed}; got {value!r} instead")
    return value


def check_bool(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {_show(value)} ({type(value).__name__}) instead")
    return bool(value)


def _range_text(kind: str, low, high, *, low_open: bool = False) -> str:
    if low is not None and high is not None:
        return f"{kind} greater than {low} and at most {high}" if low_open else f"{kind} from {low} to {high}"
    if low is not None:
        return f"{kind} {'>' if low_open else '>='} {low}"
    if high is not None:
        return f"{kind} <= {high}"
    return kind
