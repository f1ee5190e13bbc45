"""Placement: which HICANN and which denmems each neuron gets, and which HICANN's
link each external spike source uses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bss1lab.errors import DoesNotFitWafer
from bss1lab.hardware.geometry import wafer_geometry
from bss1lab.hardware.runs import run_starts
from bss1lab.hardware.spec import HICANNS_PER_WAFER, NEURON_CAPACITY
from bss1lab.network.realise import RealisedNetwork

__all__ = ["Placement", "place"]


@dataclass(frozen=True)
class Placement:
    """Where every cell sits.

    Attributes
    ----------
    hicann : int16 array
        Per cell: the HICANN a neuron sits on, or the HICANN whose link a spike
        source enters through (-1 for a source without synapses).
    first_denmem : int16 array
        Per neuron: its first denmem on the HICANN (it occupies ``neuron_size``); -1
        for spike sources.
    hicanns_used : int
        HICANNs with at least one neuron.
    """

    hicann: np.ndarray
    first_denmem: np.ndarray
    hicanns_used: int


def usable_slots(failed_denmems: np.ndarray, neuron_size: int) -> list[np.ndarray]:
    """Per HICANN, the neuron slots (first denmems) whose denmems all passed calibration,
    at most the HICANN's capacity for this neuron size."""
    capacity = NEURON_CAPACITY[neuron_size][0]
    per_slot = failed_denmems.reshape(failed_denmems.shape[0], -1, neuron_size).any(axis=2)
    return [np.flatnonzero(~bad)[:capacity] * neuron_size for bad in per_slot]


def place(network: RealisedNetwork, available: np.ndarray, failed_denmems: np.ndarray,
          neuron_size: int, isolated: np.ndarray, link_capacity: float = np.inf,
          fpga_capacity: float = np.inf) -> Placement:
    """Place the neurons population by population onto the ``available`` HICANNs.

    Each population starts on a HICANN of its own and fills it before the next; cells
    in ``isolated`` (global indices) first get a HICANN each, alone. Spike sources
    are then spread over the input links (see ``_place_sources``).

    Parameters
    ----------
    network : RealisedNetwork
    available : int array
        HICANNs to use, in order of preference.
    failed_denmems : bool array (HICANNs on the wafer x 512)
        Denmems blacklisted after calibration: no neuron may use them.
    neuron_size : int
        Denmems per neuron.
    isolated : int array
        Neurons that get a HICANN to themselves.
    link_capacity, fpga_capacity : float
        Input rates (bio Hz) a HICANN's link and an FPGA take.

    Raises
    ------
    DoesNotFitWafer
        When the neurons do not fit, saying what they need and what the wafer has.
    """
    n = network.n_cells
    hicann = np.full(n, -1, dtype=np.int16)
    first_denmem = np.full(n, -1, dtype=np.int16)
    slots = usable_slots(failed_denmems, neuron_size)
    queue = list(available)
    needed = len(isolated) + sum(
        -(-(p.size - np.isin(np.arange(p.start, p.stop), isolated).sum())
          // NEURON_CAPACITY[neuron_size][0])
        for p in network.populations if not p.is_source)
    usable_neurons = sum(len(slots[h]) for h in available)

    def next_hicann() -> int:
        while queue:
            candidate = queue.pop(0)
            if len(slots[candidate]):
                return candidate
        n_neurons = sum(p.size for p in network.populations if not p.is_source)
        raise DoesNotFitWafer(
            f"Wafer.map: the network does not fit: {n_neurons} neurons of "
            f"{neuron_size} denmems ({NEURON_CAPACITY[neuron_size][0]} per HICANN, "
            f"populations kept together, {len(isolated)} isolated) need at least "
            f"{needed} HICANNs; the wafer has {len(available)} available, with room for "
            f"{usable_neurons} such neurons around the denmems that failed calibration. "
            "Use smaller neurons, fewer isolated neurons, or downscale the network.")

    isolated_set = set(int(c) for c in isolated)
    for cell in isolated:
        chip = next_hicann()
        hicann[cell] = chip
        first_denmem[cell] = slots[chip][0]
    used = len(isolated)
    for population in network.populations:
        if population.is_source:
            continue
        cells = [c for c in range(population.start, population.stop)
                 if c not in isolated_set]
        position = 0
        while position < len(cells):
            chip = next_hicann()
            used += 1
            take = cells[position:position + len(slots[chip])]
            hicann[take] = chip
            first_denmem[take] = slots[chip][:len(take)]
            position += len(take)
    _place_sources(network, hicann, available, link_capacity, fpga_capacity)
    return Placement(hicann, first_denmem, used)


def source_rates(network: RealisedNetwork) -> np.ndarray:
    """Mean rate (bio Hz) of every spike source; 0 for neurons."""
    rates = np.zeros(network.n_cells)
    for population in network.populations:
        if population.is_source:
            rates[population.start:population.stop] = population.cell_type.mean_rates(
                population.parameters)
    return rates


def _place_sources(network: RealisedNetwork, hicann: np.ndarray, available: np.ndarray,
                   link_capacity: float, fpga_capacity: float) -> None:
    """Input placement: each spike source enters through one HICANN's link.

    Sources go, busiest first, to the HICANN holding most of their targets whose link
    and FPGA still have room for their rate; failing that, to the nearest available
    HICANN with room; failing that, to their main target's (whose buffers will then
    drop spikes). A source without synapses stays at -1: it never enters the wafer.
    """
    from_source = network.is_source[network.pre]
    if not from_source.any():
        return
    pre = network.pre[from_source].astype(np.int64)
    target = hicann[network.post[from_source]].astype(np.int64)
    pairs, counts = np.unique(pre * HICANNS_PER_WAFER + target, return_counts=True)
    source_of_pair, hicann_of_pair = np.divmod(pairs, HICANNS_PER_WAFER)
    order = np.lexsort((-counts, source_of_pair))  # per source: most synapses first
    source_of_pair, hicann_of_pair = source_of_pair[order], hicann_of_pair[order]
    starts = run_starts(source_of_pair)
    ends = np.r_[starts[1:], source_of_pair.size]
    rates = source_rates(network)
    geometry = wafer_geometry()
    link_load = np.zeros(HICANNS_PER_WAFER)
    fpga_load = np.zeros(geometry.fpga.max() + 1)
    usable = np.zeros(HICANNS_PER_WAFER, dtype=bool)
    usable[available] = True
    by_rate = np.argsort(-rates[source_of_pair[starts]], kind="stable")
    for k in by_rate:
        source = source_of_pair[starts[k]]
        rate = rates[source]
        candidates = hicann_of_pair[starts[k]:ends[k]]
        room = ((link_load[candidates] + rate <= link_capacity)
                & (fpga_load[geometry.fpga[candidates]] + rate <= fpga_capacity))
        if room.any():
            chosen = candidates[np.argmax(room)]
        else:
            free = usable & (link_load + rate <= link_capacity) & (
                fpga_load[geometry.fpga] + rate <= fpga_capacity)
            if free.any():
                distance = geometry.hops(np.full(HICANNS_PER_WAFER, candidates[0]),
                                         np.arange(HICANNS_PER_WAFER))
                chosen = int(np.argmin(np.where(free, distance, np.iinfo(np.int64).max)))
            else:
                chosen = candidates[0]
        hicann[source] = chosen
        link_load[chosen] += rate
        fpga_load[geometry.fpga[chosen]] += rate
