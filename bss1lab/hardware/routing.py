"""Routing: which synapses the wafer can realise, in which synapse rows, with which
delays.

The budget (per target HICANN), after marocco's synapse-driver requirements:

* A neuron's spikes leave its HICANN on an L1 bus shared with up to 58 other
  neurons of that HICANN (59 usable addresses); external sources enter through
  their input HICANN's link, 59 to a bus.
* On the target HICANN a bus is served by synapse drivers (224 per HICANN), each
  driving 2 rows of 2 half rows (one per column parity). A half row decodes one group
  of 16 addresses (the 2 high address bits) for one receptor type, and gives each
  neuron on the HICANN ``neuron_size / 4`` synapses (its columns of that parity in
  that synapse array; a neuron of 1 or 2 denmems has a column in only every 4th or
  2nd half row).
* So a (bus, address group, receptor) needs as many half rows as its busiest target
  neuron needs, and a bus needs a quarter of its half rows in drivers.
* A bus reaches the drivers through the sparse switch between vertical lines and
  drivers: a vertical line connects to one driver in each block of eight
  (electronicvisions/halco, hal/HICANN/SynapseSwitch.cpp), so the buses arriving on
  lines of one of the eight switch classes share that class's 28 drivers. Which
  line, and so which class, a bus arrives on is the L1 router's choice; here it is
  drawn from the wafer seed, as an unbalanced router would leave it.
* Buses that want more drivers than their class has share them in proportion;
  synapses beyond the half rows a group got are lost, the same on every neuron.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bss1lab.hardware.geometry import WaferGeometry
from bss1lab.hardware.spec import (DELAY_JITTER_MS, DELAY_OFFSET_MS, DELAY_PER_HOP_MS,
                                   HALF_ROWS_PER_ROW, HICANNS_PER_WAFER, REFERENCE_SPEEDUP,
                                   ROWS_PER_DRIVER, SOURCES_PER_HALF_ROW,
                                   SOURCES_PER_L1_BUS, SWITCH_CLASSES,
                                   SYNAPSE_DRIVERS_PER_HICANN)
from bss1lab.hardware.runs import rank_in_runs, run_index, run_starts
from bss1lab.network.realise import RealisedNetwork

__all__ = ["Routing", "route", "routed_delays"]

HALF_ROWS_PER_DRIVER = ROWS_PER_DRIVER * HALF_ROWS_PER_ROW
DRIVERS_PER_CLASS = SYNAPSE_DRIVERS_PER_HICANN // SWITCH_CLASSES
#: Buses per source HICANN (its output channels) reserved in the bus numbering; the
#: sources of an input link follow after all HICANNs' output buses.
_BUSES_PER_HICANN = 64


@dataclass(frozen=True)
class Routing:
    """The outcome of routing.

    Attributes
    ----------
    realised : bool array
        Per synapse of the network: True when the wafer realises it.
    row_group : int64 array
        Per synapse: the index of its (target HICANN, bus, address group, receptor);
        the synapses of one group share their rows, and so their weight scale.
    n_row_groups : int
    drivers_needed, drivers_used : int arrays (HICANNs on the wafer)
        Synapse drivers each HICANN would need for all its synapses, and got.
    """

    realised: np.ndarray
    row_group: np.ndarray
    n_row_groups: int
    drivers_needed: np.ndarray
    drivers_used: np.ndarray


def _bus_and_address(network: RealisedNetwork, hicann: np.ndarray,
                     first_denmem: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per cell: the L1 bus its spikes travel on and its address on that bus."""
    n = network.n_cells
    is_source = network.is_source
    # neurons: numbered per HICANN in denmem order; sources: per input link in order;
    # a source without synapses (no link, hicann -1) is numbered apart
    order_key = np.where(is_source, HICANNS_PER_WAFER + hicann.astype(np.int64),
                         hicann.astype(np.int64))
    order_key[hicann < 0] = 2 * HICANNS_PER_WAFER
    order = np.lexsort((np.arange(n), first_denmem, order_key))
    index = np.empty(n, dtype=np.int64)
    index[order] = rank_in_runs(order_key[order])
    channel, address = np.divmod(index, SOURCES_PER_L1_BUS)
    bus = order_key * _BUSES_PER_HICANN + channel
    return bus, address


def route(network: RealisedNetwork, hicann: np.ndarray, first_denmem: np.ndarray,
          neuron_size: int, limit_drivers: bool = True, seed: int = 0) -> Routing:
    """Decide which synapses the drivers of each target HICANN can realise.

    Parameters
    ----------
    network : RealisedNetwork
    hicann, first_denmem : arrays from the placement
    neuron_size : int
        Denmems per neuron.
    limit_drivers : bool
        False: every synapse is realised (the budget is still computed and reported).
    seed : int
        The wafer seed: decides the switch class each bus arrives on.
    """
    n_synapses = network.n_synapses
    if n_synapses == 0:
        none = np.zeros(HICANNS_PER_WAFER, dtype=np.int64)
        return Routing(np.ones(0, dtype=bool), np.zeros(0, dtype=np.int64), 0, none, none)
    bus, address = _bus_and_address(network, hicann, first_denmem)
    n_buses = int(bus.max()) + 1
    pre = network.pre.astype(np.int64)
    post = network.post.astype(np.int64)
    # (target HICANN, bus, address group, receptor, target neuron), most significant first
    group_key = ((hicann[post].astype(np.int64) * n_buses + bus[pre]) * 4
                 + address[pre] // SOURCES_PER_HALF_ROW) * 2 + network.receptor
    order = np.argsort(group_key * network.n_cells + post)
    sorted_pair = (group_key * network.n_cells + post)[order]
    rank = np.empty(n_synapses, dtype=np.int64)
    rank[order] = rank_in_runs(sorted_pair)

    # runs of one (group, neuron): how many synapses; runs of one group: the rows
    pair_start = run_starts(sorted_pair)
    pair_count = np.diff(np.r_[pair_start, n_synapses])
    pair_group_key = sorted_pair[pair_start] // network.n_cells
    group_start = run_starts(pair_group_key)
    group_of_pair = run_index(pair_group_key)
    # a group needs the half rows of its busiest neuron: n synapses take n * 4 / size
    half_rows = np.maximum.reduceat(-(-pair_count * 4 // neuron_size), group_start)
    bus_key = pair_group_key[group_start] // 8     # (target HICANN, bus) of each group
    bus_start = run_starts(bus_key)
    bus_of_group = run_index(bus_key)
    bus_half_rows = np.add.reduceat(half_rows, bus_start)
    bus_drivers = -(-bus_half_rows // HALF_ROWS_PER_DRIVER)
    bus_hicann = bus_key[bus_start] // n_buses
    drivers_needed = np.bincount(bus_hicann, weights=bus_drivers,
                                 minlength=HICANNS_PER_WAFER).astype(np.int64)

    granted_drivers = bus_drivers.copy()
    if limit_drivers:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0xB05]))
        switch_class = rng.integers(SWITCH_CLASSES, size=bus_start.size)
        pool = bus_hicann * SWITCH_CLASSES + switch_class
        wanted = np.bincount(pool, weights=bus_drivers)[pool]
        over = wanted > DRIVERS_PER_CLASS
        granted_drivers[over] = _fair_floor(bus_drivers[over] * DRIVERS_PER_CLASS
                                            / wanted[over], pool[over])
    drivers_used = np.bincount(bus_hicann, weights=granted_drivers,
                               minlength=HICANNS_PER_WAFER).astype(np.int64)
    # a bus's granted half rows go to its groups in proportion to their need
    granted_half_rows = np.minimum(granted_drivers * HALF_ROWS_PER_DRIVER, bus_half_rows)
    shrink = np.divide(granted_half_rows, bus_half_rows, out=np.ones(bus_start.size),
                       where=bus_half_rows > 0)
    group_half_rows = _fair_floor(half_rows * shrink[bus_of_group], bus_of_group)
    allowed = np.empty(n_synapses, dtype=np.int64)
    allowed[order] = np.repeat(group_half_rows[group_of_pair] * neuron_size // 4,
                               pair_count)
    row_group = np.empty(n_synapses, dtype=np.int64)
    row_group[order] = np.repeat(group_of_pair, pair_count)
    return Routing(realised=rank < allowed, row_group=row_group,
                   n_row_groups=int(group_start.size), drivers_needed=drivers_needed,
                   drivers_used=drivers_used)


def _fair_floor(shares: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Whole numbers from fractional ``shares``: floors, then each owner's leftover
    (the sum of its fractions) goes one by one to its largest fractions."""
    floors = np.floor(shares + 1e-9).astype(np.int64)
    fraction = shares - floors
    leftover = np.round(np.bincount(owner, weights=fraction)).astype(np.int64)
    order = np.lexsort((-fraction, owner))
    owners_sorted = owner[order]
    extra = np.zeros(owner.size, dtype=np.int64)
    extra[order] = rank_in_runs(owners_sorted) < leftover[owners_sorted]
    return floors + extra


def routed_delays(geometry: WaferGeometry, source_hicann: np.ndarray,
                  target_hicann: np.ndarray, speedup: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Delays that follow the route: offset + per-hop time x hops + jitter, bio ms
    (the fit holds at a speed-up of 1e4; the circuits' delays are fixed, so in bio
    time they grow with the speed-up)."""
    hops = geometry.hops(source_hicann, target_hicann)
    jitter = rng.normal(0.0, DELAY_JITTER_MS, size=hops.size)
    return (DELAY_OFFSET_MS + DELAY_PER_HOP_MS * hops + jitter) * speedup / REFERENCE_SPEEDUP
