"""Compile-time variants of a numba kernel: one Python function, several compilations.

numba freezes a function's globals into its compilation as constants, and removes the
branches they decide before it types (and so compiles) what they call. ``twin`` makes
a copy of a function under another name with some globals set: each copy compiles
only what its constants select (the scheduler's kernels compile only the neuron loops
of their network). numba names its cache files after the function, so each copy has
a name of its own and ``cache=True`` keeps every one.
"""

from __future__ import annotations

import types
from typing import Any, Callable

__all__ = ["twin"]


def twin(function: Callable, name: str, **constants: Any) -> Callable:
    """``function`` under ``name``, with the globals ``constants`` set (for it alone).

    Examples
    --------
    >>> def scaled(x):
    ...     return FACTOR * x
    >>> twin(scaled, "doubled", FACTOR=2)(3)
    6
    """
    namespace = dict(function.__globals__, **constants) if constants else function.__globals__
    copy = types.FunctionType(function.__code__, namespace, name, function.__defaults__,
                              function.__closure__)
    copy.__qualname__ = name
    copy.__doc__ = function.__doc__
    copy.__module__ = function.__module__
    return copy
