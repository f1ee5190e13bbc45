"""The mapping's result: the network as the wafer realises it, which the emulator runs."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from bss1lab.hardware.placement import Placement
from bss1lab.hardware.plasticity import stp_models
from bss1lab.hardware.routing import Routing
from bss1lab.network.realise import RealisedNetwork
from bss1lab.validation import as_seed

if TYPE_CHECKING:
    from bss1lab.hardware.wafer import Wafer

__all__ = ["MappedNetwork", "StpModel", "STP_MODELS"]

#: Short-term plasticity models a projection can run: Tsodyks-Markram as PyNN
#: describes it (NEST's tsodyks2_synapse: the ideal reference), or the synapse drivers'
#: circuit, depressing (with ``tau_rec``) or facilitating (with ``tau_facil``).
StpModel = Literal["tsodyks_markram", "wafer_depression", "wafer_facilitation"]
STP_MODELS: tuple[str, ...] = ("tsodyks_markram", "wafer_depression", "wafer_facilitation")


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
    saturation : float64 array (2, cells)
        uS where each cell's excitatory (row 0) and inhibitory (row 1) synaptic input
        saturates; 0: never (``hardware.saturation``).
    stp_models : tuple of StpModel or None
        Per projection: the short-term plasticity model its synapses run, None for
        static ones (``hardware.plasticity``). Its parameters are the network's
        ``projection_plasticity`` (U, tau_rec, tau_facil).
    input_link, input_fpga : int64 arrays (cells)
        The HICANN link and the FPGA each spike source's events pass through, -1:
        unlimited (``hardware.links``).
    input_link_rate_hz, input_fpga_rate_hz : float
        Events per second of biological time one link, one FPGA serves.
    n_input_links, n_fpgas : int
        How many links and FPGAs there are (sizes of the buffers and counts).
    readout_hicann : int64 array (cells)
        The HICANN whose readout each cell's recorded spikes leave through, -1:
        unlimited (``hardware.links``).
    readout_rate_hz : float
        Events per second of biological time one readout serves.
    n_readouts : int
        How many readouts there are.
    buffer_events : float
        Events each link's (input and readout) FIFO holds.
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
    saturation: np.ndarray | None = None
    stp_models: tuple | None = None
    input_link: np.ndarray | None = None
    input_fpga: np.ndarray | None = None
    input_link_rate_hz: float = np.inf
    input_fpga_rate_hz: float = np.inf
    n_input_links: int = 0
    n_fpgas: int = 0
    readout_hicann: np.ndarray | None = None
    readout_rate_hz: float = np.inf
    n_readouts: int = 0
    buffer_events: float = 0.0
    report: dict = field(default_factory=dict)
    projection_report: dict = field(default_factory=dict)
    hicann_report: dict = field(default_factory=dict)
    requested: RealisedNetwork | None = None
    placement: Placement | None = None
    routing: Routing | None = None

    def __post_init__(self) -> None:
        """Fill what a mapping left out with the neutral values of the ideal
        reference: no saturation, Tsodyks-Markram, no limited link."""
        n = self.network.n_cells
        if self.saturation is None:
            self.saturation = np.zeros((2, n))
        if self.stp_models is None:
            self.stp_models = stp_models(self.network, on_wafer=False)
        for name in ("input_link", "input_fpga", "readout_hicann"):
            if getattr(self, name) is None:
                setattr(self, name, np.full(n, -1, dtype=np.int64))

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
