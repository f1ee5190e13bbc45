"""The mapping's result: the network as the wafer realises it, which the emulator runs."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from bss1lab.hardware.placement import Placement
from bss1lab.hardware.routing import Routing
from bss1lab.network.realise import RealisedNetwork
from bss1lab.validation import as_seed

if TYPE_CHECKING:
    from bss1lab.hardware.wafer import Wafer

__all__ = ["MappedNetwork"]


@dataclass
class MappedNetwork:
    """What the emulator runs: the network as the wafer realises it.

    Attributes
    ----------
    network : RealisedNetwork
        Cells, parameters and synapses as they really are on the (emulated) wafer,
        in biological units (lost synapses removed).
    wafer : Wafer
        The configuration that produced it.
    hicann : int16 array or None
        Per cell: its HICANN (neurons) or input HICANN (sources); None when ideal.
    input_limited : bool
        Whether the emulator applies the input links' limits.
    wafer_plasticity : bool
        True: plastic synapses follow the synapse drivers' circuit instead of the
        Tsodyks-Markram model.
    report : dict
        What the mapping changed or lost, for the result's attrs (numbers only).
    projection_report : dict of str to array
        Per projection: ``synapses_requested``, ``synapses_realised``,
        ``weight_quantization_error`` (mean relative error of the 4-bit weights).
    hicann_report : dict of str to array
        Per HICANN of the wafer: ``neurons_placed``, ``drivers_needed``,
        ``drivers_used``.
    """

    network: RealisedNetwork
    wafer: "Wafer"
    hicann: np.ndarray | None = None
    input_limited: bool = False
    wafer_plasticity: bool = False
    report: dict = field(default_factory=dict)
    projection_report: dict = field(default_factory=dict)
    hicann_report: dict = field(default_factory=dict)
    requested: RealisedNetwork | None = None
    placement: Placement | None = None
    routing: Routing | None = None

    @property
    def speedup(self) -> float:
        return self.wafer.speedup

    def reprogram(self, trial: int) -> "MappedNetwork":
        """The same network on the same chip, its floating gates programmed anew:
        a fresh trial-to-trial deviation (``trial`` seeds it; the first mapping is
        trial 0), the fixed pattern kept.
        """
        trial = as_seed("MappedNetwork.reprogram", "trial", trial)
        if self.requested is None:
            raise ValueError("MappedNetwork.reprogram: an ideal mapping has no floating "
                             "gates to reprogram")
        return self.wafer._finish(self.requested, self.placement, self.routing,
                                  trial=trial, started=time.perf_counter(),
                                  first_report=self.report)
