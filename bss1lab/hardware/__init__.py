"""What the wafer is: its numbers (``spec``) and the mapping of a biological network
onto it (``Wafer.map`` -> ``MappedNetwork``)."""

from bss1lab.hardware.wafer import MappedNetwork, Wafer

__all__ = ["Wafer", "MappedNetwork"]
