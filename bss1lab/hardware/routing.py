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
* The bus must reach the target HICANN over the L1 lines and there get drivers
  that its vertical line can enter (``l1``): synapses of a bus that does not arrive
  are lost; a bus that gets fewer drivers than it needs shares them among its
  groups in proportion, and synapses beyond the half rows a group got are lost, the
  same on every neuron.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bss1lab.hardware import l1
from bss1lab.hardware.geometry import WaferGeometry, wafer_geometry
from bss1lab.hardware.spec import (DELAY_JITTER_MS, DELAY_OFFSET_MS, DELAY_PER_HOP_MS,
                                   HALF_ROWS_PER_ROW, HICANNS_PER_WAFER, REFERENCE_SPEEDUP,
                                   ROWS_PER_DRIVER, SOURCES_PER_HALF_ROW,
                                   SOURCES_PER_L1_BUS, VERTICAL_LINES_PER_SIDE)
from bss1lab.hardware.runs import rank_in_runs, run_index, run_starts
from bss1lab.network.realise import RealisedNetwork

__all__ = ["Routing", "route", "routed_delays"]

HALF_ROWS_PER_DRIVER = ROWS_PER_DRIVER * HALF_ROWS_PER_ROW
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
    synapses_unreached : int
        Synapses lost because their bus did not reach the target HICANN (the rest of
        the loss is synapses beyond the drivers their bus got there).
    """

    realised: np.ndarray
    row_group: np.ndarray
    n_row_groups: int
    drivers_needed: np.ndarray
    drivers_used: np.ndarray
    synapses_unreached: int = 0


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
          neuron_size: int, limit_drivers: bool = True) -> Routing:
    """Decide which synapses the drivers of each target HICANN can realise.

    Parameters
    ----------
    network : RealisedNetwork
    hicann, first_denmem : arrays from the placement
    neuron_size : int
        Denmems per neuron.
    limit_drivers : bool
        False: every synapse is realised (the budget is still computed and reported).
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

    bus_synapses = np.bincount(bus_of_group[group_of_pair], weights=pair_count)
    if limit_drivers:
        granted_drivers, unreached = _granted_drivers(
            bus_key[bus_start] % n_buses, bus_hicann, bus_drivers, bus_synapses)
    else:
        granted_drivers, unreached = bus_drivers.copy(), np.zeros(bus_start.size, bool)
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
                   drivers_used=drivers_used,
                   synapses_unreached=int(bus_synapses[unreached].sum()))


def _granted_drivers(bus: np.ndarray, target_hicann: np.ndarray, wanted: np.ndarray,
                     synapses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per (bus, target HICANN): the drivers the L1 network gives it, and whether the
    bus reached that HICANN at all (see ``l1``)."""
    geometry = wafer_geometry()
    buses, bus_index = np.unique(bus, return_inverse=True)
    key, channel = np.divmod(buses, _BUSES_PER_HICANN)
    is_input = key >= HICANNS_PER_WAFER
    source = np.where(is_input, key - HICANNS_PER_WAFER, key)
    priority = np.bincount(bus_index, weights=synapses)
    # the columns each bus spans: its own and its targets'
    by_bus = np.argsort(bus_index, kind="stable")
    target_x = geometry.x[target_hicann][by_bus]
    first = run_starts(bus_index[by_bus])
    low = np.minimum(geometry.x[source], np.minimum.reduceat(target_x, first))
    high = np.maximum(geometry.x[source], np.maximum.reduceat(target_x, first))
    line = l1.sending_lines(source, geometry.x[source], geometry.y[source], low, high,
                            priority, fixed=np.where(is_input, -1, channel))
    arrival = l1.route_buses(geometry.x[source], geometry.y[source], line, priority,
                             bus_index, geometry.x[target_hicann],
                             geometry.y[target_hicann])
    reached = arrival >= 0
    granted = np.zeros(bus.size, dtype=np.int64)
    side = arrival[reached] // VERTICAL_LINES_PER_SIDE
    granted[reached] = l1.assign_drivers(target_hicann[reached] * 2 + side,
                                         l1.switch_class(arrival[reached]),
                                         wanted[reached], synapses[reached])
    return granted, ~reached


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
                  standard_normals: np.ndarray) -> np.ndarray:
    """Delays that follow the route: offset + per-hop time x hops + jitter, bio ms
    (the fit holds at a speed-up of 1e4; the circuits' delays are fixed, so in bio
    time they grow with the speed-up). The jitter is ``DELAY_JITTER_MS`` times each
    route's ``standard_normals``."""
    hops = geometry.hops(source_hicann, target_hicann)
    jitter = DELAY_JITTER_MS * standard_normals
    return (DELAY_OFFSET_MS + DELAY_PER_HOP_MS * hops + jitter) * speedup / REFERENCE_SPEEDUP
