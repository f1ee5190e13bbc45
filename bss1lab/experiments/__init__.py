"""One call -> ``xarray.Dataset``: run a network, or one neuron, on the emulated wafer
or on the ideal reference."""

from bss1lab.experiments.dataset import UNITS, to_dataset
from bss1lab.experiments.run import run, single_neuron

__all__ = ["run", "single_neuron", "to_dataset", "UNITS"]
