"""The links off the wafer: stimulus in through HICANN links and FPGAs, spikes out
through each HICANN's readout. Each is a FIFO of ``LINK_BUFFER_EVENTS`` served at the
link's rate (equivalently a token bucket): events that find it full are dropped.

This module decides, at mapping time, which link and FPGA each source's events take,
which readout each neuron's recorded spikes leave through, and the links' rates in
biological time; the emulator runs the buffers (``emulator.buffers``).
"""

from __future__ import annotations

import numpy as np

from bss1lab.hardware.geometry import wafer_geometry
from bss1lab.hardware.spec import (FPGAS_PER_WAFER, HICANNS_PER_WAFER, INPUT_FPGA_LIMIT_HZ,
                                   INPUT_LINK_LIMIT_HZ, LINK_BUFFER_EVENTS,
                                   READOUT_LIMIT_HZ, REFERENCE_SPEEDUP)
from bss1lab.network.realise import RealisedNetwork

__all__ = ["bio_rate", "input_links", "readout", "INPUT_LINK_LIMIT_HZ",
           "INPUT_FPGA_LIMIT_HZ", "READOUT_LIMIT_HZ", "LINK_BUFFER_EVENTS"]


def bio_rate(limit_hz: float, speedup: float) -> float:
    """A link's limit in biological Hz at ``speedup`` (quoted at 1e4)."""
    return limit_hz * REFERENCE_SPEEDUP / speedup


def input_links(network: RealisedNetwork, hicann: np.ndarray, speedup: float,
                limited: bool) -> dict:
    """The input side of the contract (``MappedNetwork``'s ``input_*`` fields): each
    spike source enters through the link of its input HICANN and that HICANN's FPGA
    when ``limited``; -1 (unlimited) otherwise, and for neurons.

    Examples
    --------
    >>> from bss1lab.network import Network, Population, SpikeSourcePoisson
    >>> from bss1lab.network.realise import realise
    >>> net = realise(Network(Population(2, SpikeSourcePoisson(rate=5.0), label="s")), 0)
    >>> input_links(net, np.array([3, 4]), 1e4, limited=True)["input_link"]
    array([3, 4])
    """
    link = np.full(network.n_cells, -1, dtype=np.int64)
    if limited:
        sources = network.is_source & (hicann >= 0)
        link[sources] = hicann[sources]
    fpga = np.where(link >= 0, wafer_geometry().fpga[np.maximum(link, 0)], -1)
    return {"input_link": link, "input_fpga": fpga.astype(np.int64),
            "input_link_rate_hz": bio_rate(INPUT_LINK_LIMIT_HZ, speedup),
            "input_fpga_rate_hz": bio_rate(INPUT_FPGA_LIMIT_HZ, speedup),
            "n_input_links": HICANNS_PER_WAFER, "n_fpgas": FPGAS_PER_WAFER,
            "buffer_events": float(LINK_BUFFER_EVENTS)}


def readout(network: RealisedNetwork, hicann: np.ndarray, speedup: float,
            limited: bool) -> dict:
    """The readout side of the contract (``MappedNetwork``'s ``readout_*`` fields): a
    neuron's recorded spikes leave through its HICANN's readout when ``limited``;
    recorded input spikes are known on the host and cost no readout (-1)."""
    key = np.full(network.n_cells, -1, dtype=np.int64)
    if limited:
        neurons = ~network.is_source & (hicann >= 0)
        key[neurons] = hicann[neurons]
    return {"readout_hicann": key, "readout_rate_hz": bio_rate(READOUT_LIMIT_HZ, speedup),
            "n_readouts": HICANNS_PER_WAFER}
