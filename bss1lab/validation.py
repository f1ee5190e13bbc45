"""Checks of user input shared by every layer: a bad value raises a ValueError that
names the item, the value and what is allowed."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_number", "as_count"]


def as_number(owner: str, name: str, value: object, *, low: float | None = None,
              high: float | None = None, low_inclusive: bool = True) -> float:
    """``value`` as a finite float within [low, high].

    Raises
    ------
    ValueError
        ``"<owner>: <name>=<value> ..."`` when it is not a real number (booleans and
        strings included), not finite, or out of range.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{owner}: {name}={value!r} must be a number")
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{owner}: {name}={value!r} must be finite")
    if low is not None and (number < low or (number == low and not low_inclusive)):
        relation = ">=" if low_inclusive else ">"
        raise ValueError(f"{owner}: {name}={value!r} must be {relation} {low:g}")
    if high is not None and number > high:
        raise ValueError(f"{owner}: {name}={value!r} must be <= {high:g}")
    return number


def as_count(owner: str, name: str, value: object, *, low: int = 0) -> int:
    """``value`` as a whole number >= ``low`` (ints, or floats like 3.0).

    Raises
    ------
    ValueError
        Naming ``owner`` and ``name`` otherwise.
    """
    number = as_number(owner, name, value)
    if number != int(number) or number < low:
        raise ValueError(f"{owner}: {name}={value!r} must be a whole number >= {low}")
    return int(number)
