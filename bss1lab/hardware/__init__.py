"""What the wafer is: its numbers (``spec``, ``geometry``) and the mapping of a
biological network onto it (``Wafer.map`` -> ``MappedNetwork``): placement, routing,
variation and calibration, weights, delays and the links off the wafer."""

from bss1lab.hardware.wafer import EFFECTS, MappedNetwork, Wafer

__all__ = ["Wafer", "MappedNetwork", "EFFECTS"]
