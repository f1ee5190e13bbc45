"""The spike sources (Poisson and spike arrays) and the limits of their input links.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable

from bss1lab.emulator.contracts import KIND_POISSON, POISSON_HEAD
from bss1lab.emulator.delivery import deliver_direct, note_spike, step_slot
from bss1lab.emulator.generator import INPUT_ORDER_STREAM, uniform
from bss1lab.emulator.buffers import take_tokens

_U1 = np.uint64(1)


@register_jitable(cache=True, error_model="numpy")
def limit_input(first, n_spiking, step, seed_hash, cells, state):
    """Pass the step's spikes of limited sources through their FPGA's and then their
    link's buffer; what does not fit is dropped (and counted). Sources are served
    in a rotating order, so none is favoured when a buffer runs over. All sources of
    one FPGA are in one block: only this thread touches its buffers."""
    now = step_slot(step, state)
    n_limited = 0
    for position in range(first, first + n_spiking):
        i = state.spiking[position]
        if cells.kind[i] >= KIND_POISSON and cells.input_link[i] >= 0:
            state.pending[first + n_limited] = i
            n_limited += 1
    if n_limited == 0:
        return
    start = int(uniform(seed_hash, INPUT_ORDER_STREAM, step) * n_limited)
    for r in range(n_limited):
        i = state.pending[first + (start + r) % n_limited]
        count = state.emitted[now, i]
        link = cells.input_link[i]
        fpga = cells.input_fpga[i]
        sent, state.fpga_tokens[fpga] = take_tokens(
            state.fpga_tokens[fpga], state.fpga_last[fpga], step, cells.fpga_rate,
            cells.link_depth, count)
        state.fpga_last[fpga] = step
        passed, state.link_tokens[link] = take_tokens(
            state.link_tokens[link], state.link_last[link], step, cells.link_rate,
            cells.link_depth, sent)
        state.link_last[link] = step
        state.input_dropped[link] += count - passed
        state.emitted[now, i] = passed


@register_jitable(cache=True, error_model="numpy")
def poisson_counts(start, stop, step, seed_hash, cells, state):
    """Draw this step's spike counts of the Poisson sources at block positions
    [start, stop) into ``state.drawn`` (by position): the inverse of each source's
    cumulative distribution at its uniform of (seed, cell, step), from the first
    ``POISSON_HEAD`` entries of its table (``cells.poisson_head``). A count the head
    does not settle (the uniform lies beyond it: rare unless a source has more than
    about a spike per step) is stored as ``-1 - count`` for ``poisson_run`` to finish.
    A loop without branches or table look-ups, over arrays laid out by position: the
    compiler vectorises it, hashing several sources at a time, however the sources'
    cells are spread over the blocks (limited inputs are grouped by FPGA)."""
    head = cells.poisson_head
    # unsigned indices, as in neuron.neuron_run: no wrap-around, so it vectorises
    for p in range(np.uint64(start), np.uint64(stop)):
        u = uniform(seed_hash, cells.block_cells[p], step)
        count = np.int32(0)
        for k in range(POISSON_HEAD):
            count += np.int32(u >= head[k, p])
        settled = u < head[POISSON_HEAD - 1, p]
        active = (cells.active_from[p] <= step) & (step < cells.active_until[p])
        state.drawn[p] = (count if settled else -1 - count) if active else 0


@njit(cache=True, error_model="numpy", inline="always")
def poisson_tail(i, count, step, seed_hash, cells):
    """The count of Poisson source ``i`` in ``step`` that ``poisson_counts`` left at
    ``count`` (its head's length): finished from the guide table and the cumulative
    table, whose last entry, 1, stops the search at the latest."""
    u = uniform(seed_hash, i, step)
    count = max(count, cells.poisson_guide[cells.poisson_guide_start[i]
                                           + int(u * cells.poisson_guide_size[i])])
    table = cells.poisson_cdf_start[i]
    while u >= cells.poisson_cdf[table + count]:
        count += 1
    return count


@register_jitable(cache=True, error_model="numpy")
def poisson_run(start, stop, n_spiking, first, step, seed_hash, cells, synapses,
                plasticity, state, record_spikes):
    """This step's spikes of the Poisson sources at positions [start, stop)
    (``poisson_counts`` draws them, ``poisson_tail`` finishes the few it leaves).

    A source with one synapse that is neither recorded nor plastic adds its spikes
    onto its target at once (the common background drive: no spike list, no second
    pass); the others are listed. Returns ``(n_spiking, events delivered)``. Not
    inlined: compiled once for all the kernel variants (``scheduler.kernel``)."""
    now = step_slot(step, state)
    poisson_counts(start, stop, step, seed_hash, cells, state)
    # first the positions of the sources that drew spikes, listed without a branch
    # (which would be mispredicted at each of them: most draw none in a step), in order
    n_drawn = 0
    # unsigned, as in poisson_counts: no wrap-around of negative indices
    for p in range(np.uint64(start), np.uint64(stop)):
        state.pending[first + n_drawn] = p
        n_drawn += state.drawn[p] != 0
    events = 0
    for listed in range(np.uint64(first), np.uint64(first + n_drawn)):
        p = np.uint64(state.pending[listed])
        i = np.uint64(cells.block_cells[p])
        count = np.int64(state.drawn[p])
        if count < 0:
            count = poisson_tail(i, -1 - count, step, seed_hash, cells)
        s = cells.direct_synapse[i]
        plastic = plasticity.cell_pointer[i + _U1] > plasticity.cell_pointer[i]
        if s >= 0 and record_spikes[i] == 0 and not plastic:
            state.spike_total[i] += count
            deliver_direct(s, float(count), step, synapses, state)
            events += count
        else:
            n_spiking = note_spike(i, count, n_spiking, first, now, state)
    return n_spiking, events


@register_jitable(cache=True, error_model="numpy")
def array_run(start, stop, n_spiking, first, step, cells, state):
    """This step's spikes of the spike-array sources at positions [start, stop)."""
    now = step_slot(step, state)
    for position in range(start, stop):
        i = cells.block_cells[position]
        count = 0
        c = state.cursor[i]
        while c < cells.array_end[i] and cells.array_steps[c] <= step:
            count += 1
            c += 1
        state.cursor[i] = c
        if count > 0:
            n_spiking = note_spike(i, count, n_spiking, first, now, state)
    return n_spiking
