"""The last few results of a pure function, kept by key for the next mapping.

A panel maps the same network again at every control, and most of what a mapping
decides or draws (the placement, the routing, a chip's per-synapse random numbers)
depends only on inputs that the control did not change. ``Kept`` holds the last
``size`` of them: what it returns is exactly what making it anew would give.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

__all__ = ["Kept"]

_Value = TypeVar("_Value")


class Kept(Generic[_Value]):
    """The last ``size`` values ``make()`` gave, by key; safe to use from several
    threads (a panel maps in its own)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, _Value] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], _Value], keep: bool = True) -> _Value:
        """The value kept under ``key``, else ``make()``'s, kept unless ``keep`` is
        False (too large to hold)."""
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        value = make()
        if keep:
            with self._lock:
                self._kept[key] = value
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
