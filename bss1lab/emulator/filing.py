"""Filing the synapses for the kernel: grouped by (emitting cell, target block), their
delays on the time grid, their short-term plasticity states.

A first pass counts each group (and what else needs every synapse); a second files
each synapse into its group (see :class:`_Census`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from bss1lab.emulator import contracts
from bss1lab.emulator.grid import nearest_step, steps_of
from bss1lab.hardware.mapped import MappedNetwork

__all__ = ["count_synapses", "file_synapses", "plasticity_slots", "STP_CODES"]

#: The kernel's code of each short-term plasticity model of the contract
#: (``MappedNetwork.stp_models``).
STP_CODES = {"tsodyks_markram": contracts.STP_TSODYKS_MARKRAM,
             "wafer_depression": contracts.STP_WAFER_DEPRESSION,
             "wafer_facilitation": contracts.STP_WAFER_FACILITATION}
#: A delay counts as shorter than dt only below dt (1 - this): float32 storage rounds.
DELAY_ROUNDING = 1e-6


@njit(cache=True)
def _count_groups(pre, post, cell_block, n_blocks, counts):
    """Add each synapse to the count of its (pre cell, post block) group."""
    for s in range(pre.shape[0]):
        counts[pre[s] * n_blocks + cell_block[post[s]]] += 1


@njit(cache=True)
def _delay_steps(delay, dt, lengthen, steps):
    """Delays (ms) on the grid, rounded as ``steps_of`` does, into ``steps`` (int16;
    the caller checks the longest fits); with ``lengthen`` (as the layout always
    asks) those shorter than ``dt`` take one step. Returns how many were
    lengthened."""
    n_lengthened = 0
    for s in range(delay.shape[0]):
        d = np.float64(delay[s])
        if lengthen and d < dt * (1.0 - DELAY_ROUNDING):
            d = np.float64(np.float32(dt))
            n_lengthened += 1
        steps[s] = nearest_step(d, dt)
    return n_lengthened


@njit(cache=True)
def _entries(counts, n_blocks, entry_cell, entry_block, entry_synapse, entry_pointer):
    """Turn the group counts into entries (non-empty groups, in (cell, block) order):
    each entry's cell, block and first synapse, and each cell's first entry (into
    ``entry_pointer``, zeros on the way in). On return ``counts[g]`` is where group
    g's first synapse goes."""
    n_cells = entry_pointer.shape[0] - 1
    n_entries = entry_cell.shape[0]
    e = 0
    position = 0
    for g in range(counts.shape[0]):
        count = counts[g]
        if count > 0:
            entry_cell[e] = g // n_blocks
            entry_block[e] = g % n_blocks
            entry_synapse[e] = position
            entry_pointer[g // n_blocks + 1] += 1
            e += 1
        counts[g] = position
        position += count
    entry_synapse[n_entries] = position
    for c in range(n_cells):
        entry_pointer[c + 1] += entry_pointer[c]


@njit(cache=True)
def _scatter(pre, post, weight, steps, slot, receptor, cell_block, n_blocks, next_free,
             column_out, weight_out, delay_out, slot_out):
    """File one projection's synapses into their groups, after the ones filed before
    (a stable counting sort, one projection at a time). ``slot`` is empty for static
    projections."""
    plastic = slot.shape[0] > 0
    for s in range(pre.shape[0]):
        g = pre[s] * n_blocks + cell_block[post[s]]
        d = next_free[g]
        next_free[g] = d + 1
        column_out[d] = 2 * post[s] + receptor
        weight_out[d] = weight[s]
        delay_out[d] = steps[s]
        if plastic:
            slot_out[d] = slot[s]


def plasticity_slots(mapped: MappedNetwork, emitting: dict[int, np.ndarray]
                     ) -> tuple[contracts.Plasticity, np.ndarray]:
    """One short-term plasticity state per (emitting cell, plastic projection).

    ``emitting`` gives, per plastic projection, the cells it has synapses from. Returns
    the states, with ``synapse_slot`` still all -1 for the layout to fill, and the
    sorted slot keys (cell x projections + projection) to look synapses up in. Each
    projection runs the model ``mapped.stp_models`` names: Tsodyks-Markram (tau_rec,
    tau_facil) or the synapse drivers' circuit (its one time constant: tau_rec when
    depressing, tau_facil when facilitating)."""
    net = mapped.network
    n = net.n_cells
    n_projections = len(net.projection_plasticity)
    if not emitting:
        empty = contracts.Plasticity(np.zeros(n + 1, dtype=np.int64),
                                     np.zeros(0, dtype=np.int8), np.zeros(0), np.zeros(0),
                                     np.zeros(0), np.zeros(0, dtype=np.int64))
        return empty, np.zeros(0, dtype=np.int64)
    slots = np.sort(np.concatenate([cells.astype(np.int64) * n_projections + projection
                                    for projection, cells in emitting.items()]))
    cell_of_slot, projection_of_slot = np.divmod(slots, n_projections)
    parameters = np.array([net.projection_plasticity[p] for p in projection_of_slot],
                          dtype=np.float64).reshape(-1, 3)
    U, tau_rec, tau_facil = parameters.T
    model = np.array([STP_CODES[mapped.stp_models[p]] for p in projection_of_slot],
                     dtype=np.int8)
    tsodyks_markram = model == contracts.STP_TSODYKS_MARKRAM
    tau_1 = np.where(tsodyks_markram | (model == contracts.STP_WAFER_DEPRESSION), tau_rec,
                     tau_facil)
    tau_2 = np.where(tsodyks_markram, tau_facil, 0.0)
    pointer = np.concatenate([[0], np.cumsum(np.bincount(cell_of_slot, minlength=n))])
    plasticity = contracts.Plasticity(pointer.astype(np.int64), model, U, tau_1, tau_2,
                                      np.full(net.n_synapses, -1, dtype=np.int64))
    return plasticity, slots


@dataclass
class _Census:
    """What the first pass over the synapses learns, one projection at a time.

    The kernel files synapses by (pre cell, post block) group. A first pass counts
    each group (and what else needs every synapse: out-degrees, the longest delay,
    plastic projections' cells); a second files each synapse into
    its group. Projections come as views of the network's arrays or, for a network
    that does not keep them, drawn again: then the kernel's arrays are the only full
    copy of the synapses."""

    group_size: np.ndarray      # int64 per (pre cell, post block)
    out_degree: np.ndarray      # int64 per cell
    last_target: np.ndarray     # int32 per cell: its only target when it has one
    emitting: dict              # plastic projection -> its pre cells
    longest_delay: int          # steps


def count_synapses(mapped: MappedNetwork, dt: float, cell_block: np.ndarray,
                    n_blocks: int) -> _Census:
    """The first pass (see :class:`_Census`); checks the longest delay fits the
    kernel's int16 steps of ``dt``."""
    net = mapped.network
    n = net.n_cells
    census = _Census(np.zeros(n * n_blocks, dtype=np.int64), np.zeros(n, dtype=np.int64),
                     np.zeros(n, dtype=np.int32), {}, 0)
    for p in range(len(net.projection_labels)):
        if net.projection_offsets[p + 1] == net.projection_offsets[p]:
            continue
        shortest, longest = net.projection_delay_range(p)
        if longest > np.iinfo(np.int16).max * dt:
            raise ValueError(f"Projection {net.projection_labels[p]!r}: delays up to "
                             f"{longest:g} ms exceed {np.iinfo(np.int16).max} steps of "
                             f"dt={dt} ms; the longest delay allowed is "
                             f"{np.iinfo(np.int16).max * dt:g} ms")
        census.longest_delay = max(census.longest_delay, int(steps_of(longest, dt)), 1)
        pre, post = net.projection_connections(p)
        census.out_degree += np.bincount(pre, minlength=n)
        census.last_target[pre] = post
        _count_groups(pre, post, cell_block, n_blocks, census.group_size)
        if net.projection_plasticity[p] is not None:
            census.emitting[p] = np.unique(pre)
    if census.longest_delay > np.iinfo(np.int16).max:
        raise ValueError(f"delays up to {census.longest_delay * dt:g} ms exceed "
                         f"{np.iinfo(np.int16).max} steps of dt={dt} ms")
    return census


def file_synapses(mapped: MappedNetwork, dt: float, census: _Census,
                   cell_block: np.ndarray, n_blocks: int
                   ) -> tuple[contracts.Synapses, contracts.Plasticity, int]:
    """The second pass (see :class:`_Census`): the kernel's synapses, their plasticity
    slots and how many delays were lengthened to one step. Uses up
    ``census.group_size``."""
    net = mapped.network
    n_projections = len(net.projection_labels)
    # made here, not inside numba (DESIGN.md, performance shape)
    n_entries = int(np.count_nonzero(census.group_size))
    entry_cell = np.empty(n_entries, dtype=np.int32)
    entry_block = np.empty(n_entries, dtype=np.int32)
    entry_synapse = np.empty(n_entries + 1, dtype=np.int64)
    entry_pointer = np.zeros(net.n_cells + 1, dtype=np.int64)
    _entries(census.group_size, n_blocks, entry_cell, entry_block, entry_synapse,
             entry_pointer)
    next_free = census.group_size  # _entries turned the sizes into first positions
    n_synapses = int(entry_synapse[-1])
    column = np.empty(n_synapses, dtype=np.int32)
    weights = np.empty(n_synapses, dtype=np.float32)
    delays = np.empty(n_synapses, dtype=np.int16)
    plasticity, slot_keys = plasticity_slots(mapped, census.emitting)
    no_slots = np.zeros(0, dtype=np.int64)
    delays_raised = 0
    # Largest projections first: the arrays above take memory page by page as they
    # are written, so little of them is resident yet while a large projection, drawn
    # again, briefly needs a few times its final size. Within a group synapses follow
    # in this order, which changes a sum only where two projections share pre cell,
    # post cell, receptor and delay (then in its last bit).
    sizes = np.diff(net.projection_offsets)
    for p in np.argsort(-sizes, kind="stable"):
        if sizes[p] == 0:
            continue
        pre, post, weight, delay = net.projection_synapses(p)
        steps = np.empty(delay.shape[0], dtype=np.int16)  # (as the entries above)
        delays_raised += _delay_steps(delay, dt, True, steps)
        del delay
        slot = (np.searchsorted(slot_keys, pre.astype(np.int64) * n_projections + p)
                if p in census.emitting else no_slots)
        _scatter(pre, post, weight, steps, slot, np.int32(net.projection_receptors[p]),
                 cell_block, n_blocks, next_free, column, weights, delays,
                 plasticity.synapse_slot)
        del pre, post, weight, steps, slot
    synapses = contracts.Synapses(
        entry_pointer=entry_pointer, entry_block=entry_block, entry_cell=entry_cell,
        entry_synapse=entry_synapse, column=column, weight=weights, delay=delays)
    return synapses, plasticity, delays_raised
