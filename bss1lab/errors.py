"""The exceptions a user may want to catch.

Each is a subclass of the built-in exception the kit raised before it existed
(``ValueError``, or ``TypeError`` and ``ValueError`` for a wrong type), so code that
catches those keeps working.
"""

from __future__ import annotations

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
