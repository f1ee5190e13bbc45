"""What the wafer is: its numbers (``spec``, ``geometry``) and the mapping of a
biological network onto it (``Wafer.map`` -> ``MappedNetwork``, the steps in
``pipeline``): placement, routing, variation and calibration, weights, delays and the
links off the wafer; a mapping saved and loaded (``store``) and reconfigured without
mapping again (``reconfigure``)."""

from bss1lab.hardware.mapped import MappedNetwork
from bss1lab.hardware.wafer import EFFECTS, Wafer

__all__ = ["Wafer", "MappedNetwork", "EFFECTS"]
