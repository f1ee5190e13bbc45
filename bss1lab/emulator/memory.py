"""How much memory running a network takes, estimated before anything is drawn.

One formula (:func:`estimate_bytes`): neurons times the bytes each cell costs plus
expected synapses (``Connector.expected_count``) times the bytes each synapse costs,
both counted from the arrays the realised network, the layout and the kernel really
hold. :func:`check_memory` refuses a network that would need more than the machine
has available, before any per-cell array exists.
"""

from __future__ import annotations

import os

import numpy as np

from bss1lab.emulator import contracts
from bss1lab.errors import NotEnoughMemory
from bss1lab.network.model import Network
from bss1lab.network.realise import KEEP_SYNAPSES_UP_TO

__all__ = ["BYTES_PER_CELL", "BYTES_PER_SYNAPSE", "BYTES_PER_KEPT_SYNAPSE",
           "BYTES_PER_DRAWN_SYNAPSE", "BYTES_PER_MAPPED_SYNAPSE",
           "BYTES_PER_SYNAPSE_WITH_PLASTICITY", "BYTES_PER_PLASTIC_SLOT", "estimate_bytes",
           "available_bytes", "check_memory"]

_F8, _I8, _F4, _I4, _I2, _U1 = (np.dtype(t).itemsize for t in
                                 ("f8", "i8", "f4", "i4", "i2", "u1"))
#: Blocks of the kernel's work split, at most (``layout.MAX_BLOCKS``; the counters
#: per (cell, block) dominate a large network's per-cell memory).
_BLOCKS = 16
#: Steps the spike buffers keep, at most (``contracts.step_buffer_depth`` of
#: ``contracts.MAX_WINDOW``).
_DEPTH = contracts.step_buffer_depth(contracts.MAX_WINDOW)
#: Ring buffer slots per cell for delays up to 1.5 ms at dt = 0.1 ms (the seed
#: networks'); longer delays take more.
_RING_SLOTS = 16
#: Per cell (neuron or source), bytes of:
BYTES_PER_CELL = (
    16 * _F8 + 2 * _F8                        # realise: up to 16 parameters, v and w initial
    + 2 * contracts.PARAMETER_DTYPE.itemsize          # layout: parameter records, kernel's copies
    + _U1 + 13 * _I8 + 2 * _I4 + 3 * _F8      # layout.Cells and the census per cell
    + _BLOCKS * _I8                           # the census' group sizes per (cell, block)
    + 6 * _F8 + 6 * _I8 + _U1 + _I4           # contracts.State per cell, and per kept
    + _DEPTH * (_I4 + _I8)                    # step: spikes emitted, cells recorded
    + 2 * _RING_SLOTS * _F4 + _DEPTH * _BLOCKS * _I4  # its input ring and spike buckets
    + 2 * _I8 + 2 * _I4                       # Emulation's spike record buffer
)
#: Per synapse in the kernel: target column (int32), weight (float32), delay (int16).
BYTES_PER_SYNAPSE = _I4 + _F4 + _I2
#: Per synapse the realised network keeps (pre, post int32; weight, delay float32),
#: on the wafer always, on the ideal reference up to ``KEEP_SYNAPSES_UP_TO``.
BYTES_PER_KEPT_SYNAPSE = 2 * _I4 + 2 * _F4
#: Per synapse of the projection being drawn: the connector's int64 pairs and the
#: drawn float64 weights and delays, briefly.
BYTES_PER_DRAWN_SYNAPSE = 2 * _I8 + 2 * _F8
#: Per synapse of a network with short-term plasticity (any plastic projection): its
#: state's slot or -1 (``contracts.Plasticity.synapse_slot``, int64, every synapse).
BYTES_PER_SYNAPSE_WITH_PLASTICITY = _I8
#: Per (emitting cell, plastic projection), a plasticity state "slot": the layout's
#: sorted slot key, the model and its three parameters (``contracts.Plasticity``),
#: the state (a, b, the last spike's step) and its summed efficacy per kept step
#: (``contracts.State.stp_*``).
BYTES_PER_PLASTIC_SLOT = _I8 + _U1 + 3 * _F8 + 2 * _F8 + _I8 + _DEPTH * _F8
#: Per requested synapse, what mapping onto the wafer holds at once: its projection
#: (int64), the weight in float64 before, during and after quantization, the
#: weight's fixed deviation, the routed delay and its float64 copy, the kept flag.
BYTES_PER_MAPPED_SYNAPSE = _I8 + 3 * _F8 + _F8 + 2 * _F8 + _U1


def _expected_counts(network: Network) -> list[float]:
    """Synapses each projection's connector expects (0 when it cannot tell)."""
    return [p.connector.expected_count(p.pre.size, p.post.size, p.pre is p.post) or 0.0
            for p in network.projections]


def estimate_bytes(network: Network, on_wafer: bool = False) -> float:
    """The memory (bytes) realising, mapping, laying out and running ``network`` takes.

    Parameters
    ----------
    network : Network
    on_wafer : bool
        Mapped onto the emulated wafer (which keeps the realised synapses and works
        on every requested one) rather than the ideal reference (which keeps them
        up to ``KEEP_SYNAPSES_UP_TO``, as ``realise`` decides).

    Returns
    -------
    float
        ``cells x BYTES_PER_CELL + synapses x (BYTES_PER_SYNAPSE [+
        BYTES_PER_KEPT_SYNAPSE] [+ BYTES_PER_MAPPED_SYNAPSE] [+
        BYTES_PER_SYNAPSE_WITH_PLASTICITY]) + largest projection x
        BYTES_PER_DRAWN_SYNAPSE + plastic projections' presynaptic cells x
        BYTES_PER_PLASTIC_SLOT``, with the synapses the connectors expect; a
        connector that cannot tell counts as none.
    """
    counts = _expected_counts(network)
    synapses = float(sum(counts))
    kept = on_wafer or synapses <= KEEP_SYNAPSES_UP_TO
    # a plastic projection's every presynaptic cell may have a synapse: a state each
    plastic_slots = float(sum(p.pre.size for p in network.projections
                              if p.plasticity is not None))
    per_synapse = (BYTES_PER_SYNAPSE + (BYTES_PER_KEPT_SYNAPSE if kept else 0)
                   + (BYTES_PER_MAPPED_SYNAPSE if on_wafer else 0)
                   + (BYTES_PER_SYNAPSE_WITH_PLASTICITY if plastic_slots else 0))
    return (float(network.size) * BYTES_PER_CELL + synapses * per_synapse
            + max(counts, default=0.0) * BYTES_PER_DRAWN_SYNAPSE
            + plastic_slots * BYTES_PER_PLASTIC_SLOT)


def available_bytes() -> float:
    """Memory the machine has available now, bytes: Linux's ``MemAvailable``
    (``/proc/meminfo``), else the free physical pages (``os.sysconf``); inf when
    neither can be read."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return float("inf")


def check_memory(owner: str, network: Network, on_wafer: bool = False) -> None:
    """Refuse ``network`` when :func:`estimate_bytes` exceeds :func:`available_bytes`.

    Raises
    ------
    NotEnoughMemory
        Naming the network's size, the estimate and what is available.
    """
    needed = estimate_bytes(network, on_wafer)
    available = available_bytes()
    if needed > available:
        raise NotEnoughMemory(
            f"{owner}: network {network.label!r} of {network.size:,} cells and "
            f"{sum(_expected_counts(network)):,.0f} expected synapses needs about "
            f"{needed / 1e9:,.1f} GB; "
            f"this machine has {available / 1e9:,.1f} GB available. Downscale the "
            "network (e.g. brunel_network(n_neurons=...), or N_scaling/K_scaling).")
