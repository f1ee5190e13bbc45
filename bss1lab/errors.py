"""The exceptions a user may want to catch.

Each is a subclass of the built-in exception the kit raised before it existed
(``ValueError``, or ``TypeError`` and ``ValueError`` for a wrong type), so code that
catches those keeps working.
"""

from __future__ import annotations

import sys

# Python started in the folder that holds a clone named bss1lab takes the clone's
# folder (no __init__.py) for the package, as a namespace package, and its modules then
# load without bss1lab/__init__.py (its version, threads, numba cache check). Nearly
# every module imports this one: say so here, before anything fails for no clear reason.
_package = sys.modules.get("bss1lab")
if _package is not None and getattr(_package, "__file__", None) is None:
    raise ImportError(
        f"bss1lab was imported from {list(getattr(_package, '__path__', []))}, a folder "
        "without the package's __init__.py: most likely the folder of your clone of "
        "bss1lab, which Python found first because it started in the folder that holds "
        "it. Start Python in another folder (or inside the clone).")

__all__ = ["ParameterTypeError", "NetworkTooLarge", "DoesNotFitWafer",
           "NotEnoughMemory", "NeedsNewMapping"]


class ParameterTypeError(TypeError, ValueError):
    """A parameter of the wrong type, e.g. a string where a number is meant.

    A ``TypeError``; also a ``ValueError``, which the kit raised for these before.
    """


class NetworkTooLarge(ValueError):
    """A network that cannot be run: refused before any per-cell array exists."""


class DoesNotFitWafer(NetworkTooLarge):
    """More neurons than the wafer's HICANNs can place at the chosen neuron size."""


class NotEnoughMemory(NetworkTooLarge):
    """A network whose arrays would need more memory than the machine has available."""


class NeedsNewMapping(ValueError):
    """A change a kept mapping cannot take without placing and routing again
    (population sizes, connections, cell types, the wafer's configuration)."""
