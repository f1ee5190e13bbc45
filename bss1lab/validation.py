"""Checks of user input shared by every layer: a bad value raises an error that names
the item, the value and what is allowed (``ParameterTypeError``, a ``TypeError``, for
a wrong type; ``ValueError`` for a wrong value).

Numbers may be Python's or numpy's (``numbers.Real`` / ``numbers.Integral``, which
numpy's scalars register with); booleans are never numbers here.
"""

from __future__ import annotations

import numbers
from typing import Iterable

import numpy as np

from bss1lab.errors import ParameterTypeError

__all__ = ["as_number", "as_count", "as_seed", "as_flag", "as_numbers", "as_indices", "as_instance",
           "MAX_TIME_MS", "MAX_SEED"]

#: Longest time (ms) anything may last or happen at: 1e12 ms is 32 years of biology,
#: and even at the finest time step (1e-3 ms) its step count (1e15) is an exact
#: float64 and far inside int64.
MAX_TIME_MS = 1e12
#: Largest seed: results store their seed as a netCDF attribute, whose integers are
#: int64 (numpy's ``SeedSequence`` itself takes any size).
MAX_SEED = 2**63 - 1


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _allowed(low: float | None, high: float | None, low_inclusive: bool = True) -> str:
    if low is not None and high is not None:
        return f"in {low:g}..{high:g}" if low_inclusive else f"in ({low:g}, {high:g}]"
    if low is not None:
        return f"{'>=' if low_inclusive else '>'} {low:g}"
    if high is not None:
        return f"<= {high:g}"
    return ""


def as_number(owner: str, name: str, value: object, *, low: float | None = None,
              high: float | None = None, low_inclusive: bool = True) -> float:
    """``value`` as a finite float within [low, high].

    Raises
    ------
    ParameterTypeError
        ``"<owner>: <name>=<value> must be a number ..."`` when it is not a real
        number (booleans and strings included).
    ValueError
        ``"<owner>: <name>=<value> must be ..."`` when it is not finite or out of range.
    """
    if not _is_number(value):
        allowed = _allowed(low, high, low_inclusive)
        raise ParameterTypeError(f"{owner}: {name}={value!r} must be a number"
                                 f"{' ' + allowed if allowed else ''}, not "
                                 f"{type(value).__name__}")
    number = float(value)  # type: ignore[arg-type]
    if not np.isfinite(number):
        allowed = _allowed(low, high, low_inclusive)
        raise ValueError(f"{owner}: {name}={value!r} must be finite"
                         f"{' and ' + allowed if allowed else ''}")
    both = f" (allowed: {_allowed(low, high, low_inclusive)})" \
        if low is not None and high is not None else ""
    if low is not None and (number < low or (number == low and not low_inclusive)):
        raise ValueError(f"{owner}: {name}={value!r} must be "
                         f"{'>=' if low_inclusive else '>'} {low:g}{both}")
    if high is not None and number > high:
        raise ValueError(f"{owner}: {name}={value!r} must be <= {high:g}{both}")
    return number


def as_count(owner: str, name: str, value: object, *, low: int = 0,
             high: int | None = None) -> int:
    """``value`` as a whole number in [low, high] (ints, or floats like 3.0).

    Raises
    ------
    ParameterTypeError, ValueError
        Naming ``owner``, ``name``, the value and the range.
    """
    allowed = f">= {low}" if high is None else f"in {low}..{high}"
    if not _is_number(value):
        raise ParameterTypeError(f"{owner}: {name}={value!r} must be a number, a whole "
                                 f"number {allowed}, not {type(value).__name__}")
    if isinstance(value, numbers.Integral):
        number = int(value)
    else:
        real = float(value)  # type: ignore[arg-type]
        if not np.isfinite(real):
            raise ValueError(f"{owner}: {name}={value!r} must be finite, a whole number "
                             f"{allowed}")
        if real != int(real):
            raise ValueError(f"{owner}: {name}={value!r} must be a whole number {allowed}")
        number = int(real)
    if number < low or (high is not None and number > high):
        raise ValueError(f"{owner}: {name}={value!r} must be a whole number {allowed}")
    return number


def as_seed(owner: str, name: str, value: object) -> int:
    """A seed: an int (Python's or numpy's) in 0..``MAX_SEED``.

    Raises
    ------
    ParameterTypeError, ValueError
        Naming ``owner`` and ``name``.
    """
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
        raise ParameterTypeError(f"{owner}: {name}={value!r} must be an int >= 0 "
                                 f"(at most 2**63 - 1), not {type(value).__name__}")
    if not 0 <= int(value) <= MAX_SEED:
        raise ValueError(f"{owner}: {name}={value!r} must be an int >= 0 and at most "
                         "2**63 - 1 (results keep it as a netCDF int64)")
    return int(value)


def as_seed_sequence(owner: str, seed: object) -> np.random.SeedSequence:
    """A ``SeedSequence`` from a seed given as a non-negative int (``as_seed``), a
    SeedSequence or None (fresh entropy): the one seed check of ``realise``,
    ``Emulation`` and ``run``.

    Raises
    ------
    ParameterTypeError, ValueError
        Naming ``owner`` when the seed is anything else, or above 2**63 - 1.
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    return np.random.SeedSequence(None if seed is None else as_seed(owner, "seed", seed))


def as_flag(owner: str, name: str, value: object) -> bool:
    """``value`` when it is True or False (numpy's booleans included).

    Raises
    ------
    ParameterTypeError
        Naming ``owner`` and ``name`` otherwise (``"no"`` is not False).
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ParameterTypeError(f"{owner}: {name}={value!r} must be True or False")
    return bool(value)


def as_numbers(owner: str, name: str, values: object) -> np.ndarray:
    """``values`` (a number or a sequence or array of numbers) as a flat float64 array.

    Raises
    ------
    ParameterTypeError
        When it holds anything but numbers: strings, booleans, None, objects.
    ValueError
        When a value is not finite.
    """
    if isinstance(values, (str, bytes)):
        raise ParameterTypeError(f"{owner}: {name}={values!r} must be numbers, not a "
                                 "string")
    try:
        array = np.asarray(values)
    except ValueError:  # ragged
        raise ParameterTypeError(f"{owner}: {name} must be numbers in a regular array "
                                 f"(rows of equal length), got {values!r:.80}") from None
    if array.dtype.kind not in "iuf":
        raise ParameterTypeError(f"{owner}: {name}={values!r:.80} must be numbers, got "
                                 f"{'booleans' if array.dtype.kind == 'b' else array.dtype}")
    array = array.astype(np.float64).ravel()
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{owner}: {name} must be finite, got {values!r:.80}")
    return array


def as_indices(owner: str, name: str, values: Iterable, size: int | None = None
               ) -> np.ndarray:
    """Whole numbers in 0..size - 1 (or >= 0 when ``size`` is None) as int64.

    Raises
    ------
    ParameterTypeError
        When an entry is not a number.
    ValueError
        When an entry is not whole or lies outside the range.
    """
    allowed = f"0..{size - 1}" if size is not None else ">= 0"
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ParameterTypeError(f"{owner}: {name}={values!r:.80} must be a sequence of "
                                 f"indices {allowed}")
    items = list(values)
    wrong_type = [v for v in items if not _is_number(v)]
    if wrong_type:
        raise ParameterTypeError(f"{owner}: {name} must hold indices {allowed}, got "
                                 f"{wrong_type[:5]!r:.80}")
    array = np.asarray(items, dtype=np.float64).ravel()
    if array.size and (not np.all(np.isfinite(array)) or np.any(array != np.round(array))):
        raise ValueError(f"{owner}: {name} must hold whole numbers {allowed}, got "
                         f"{[v for v in items if not float(v).is_integer()][:5]}")
    outside = (array < 0) | (array >= (np.inf if size is None else size))
    if outside.any():
        raise ValueError(f"{owner}: {name} must lie in {allowed}, got "
                         f"{array.astype(np.int64).tolist()[:10]}: "
                         f"{array[outside].astype(np.int64).tolist()[:5]} outside {allowed}")
    return array.astype(np.int64)


def as_instance(owner: str, name: str, value: object, kind: type | tuple[type, ...],
                hint: str) -> object:
    """``value`` when it is an instance of ``kind``.

    Raises
    ------
    ParameterTypeError
        ``"<owner>: <name>=<value> is not <hint>"``.
    """
    if not isinstance(value, kind):
        raise ParameterTypeError(f"{owner}: {name}={value!r:.80} is not {hint} "
                                 f"(got {type(value).__name__})")
    return value
