"""The spike sources (Poisson and spike arrays) and the limits of their input links.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from bss1lab.emulator.contracts import KIND_POISSON
from bss1lab.emulator.delivery import deliver_direct, note_spike, step_slot
from bss1lab.emulator.generator import INPUT_ORDER_STREAM, uniform
from bss1lab.emulator.buffers import take_tokens

#: Poisson sources with fewer spikes than this per step draw the time of their next
#: spike (exponential intervals) instead of a count every step.
SPARSE_POISSON_MEAN = 0.25
#: ``State.poisson_due`` of a sparse source whose next spike lies beyond any run
#: (2**62 steps: no step number reaches it, and it fits int64).
DUE_NEVER = float(2 ** 62)


@njit(cache=True, error_model="numpy")
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


@njit(cache=True, error_model="numpy")
def poisson_run(start, stop, n_spiking, first, step, seed_hash, cells, synapses,
                plasticity, state, record_spikes):
    """Draw this step's spikes of the Poisson sources at positions [start, stop).

    A source with one synapse that is neither recorded nor plastic adds its spikes
    onto its target at once (the common background drive: no spike list, no second
    pass); the others are listed. Returns ``(n_spiking, events delivered)``. Not
    inlined: compiled once for all the kernel variants (``scheduler.kernel``)."""
    now = step_slot(step, state)
    events = 0
    for position in range(start, stop):
        i = cells.block_cells[position]
        count = 0
        mean = cells.poisson_mean[i]
        dense = mean >= SPARSE_POISSON_MEAN
        if not dense and state.poisson_due[i] > step:
            continue  # a sparse source's next spike is due in a later step
        if not dense:
            # sparse: exponential intervals (in steps) from the source's own
            # numbered uniforms; poisson_next is the next spike's time in steps
            if mean > 0.0 and (state.poisson_drawn[i] == 0 or (
                    state.poisson_next[i] < step < cells.active_until[i])):
                # the first draw, or a source that drew nothing since (it was dense
                # or silent until a rate set between runs): its intervals start here,
                # not at its last spike (spikes of a Poisson process have no memory;
                # the time missed would come out as a burst)
                state.poisson_next[i] = (
                    max(cells.active_from[i], step)
                    - np.log(1.0 - uniform(seed_hash, i, state.poisson_drawn[i])) / mean)
                state.poisson_drawn[i] += 1
            while (state.poisson_drawn[i] > 0 and state.poisson_next[i] < step + 1
                   and state.poisson_next[i] < cells.active_until[i]):
                count += 1
                u = uniform(seed_hash, i, state.poisson_drawn[i])
                state.poisson_next[i] -= np.log(1.0 - u) / mean
                state.poisson_drawn[i] += 1
            if state.poisson_drawn[i] > 0:
                # the step of the next spike: floor(poisson_next), the first step
                # whose test above can pass (capped: a mean near 0 draws far ahead)
                state.poisson_due[i] = np.int64(min(state.poisson_next[i], DUE_NEVER))
        elif cells.active_from[i] <= step < cells.active_until[i]:
            # dense: invert one uniform per step; the guide table points close
            # to the count, the cumulative table finishes (its last entry is 1)
            u = uniform(seed_hash, i, step)
            count = cells.poisson_guide[cells.poisson_guide_start[i]
                                        + int(u * cells.poisson_guide_size[i])]
            table = cells.poisson_cdf_start[i]
            while u >= cells.poisson_cdf[table + count]:
                count += 1
        # a dense source goes on even with a count of 0 (delivering 0 changes
        # nothing) rather than branch on the count, unpredictable at ~1 spike a step
        if dense or count > 0:
            s = cells.direct_synapse[i]
            plastic = plasticity.cell_pointer[i + 1] > plasticity.cell_pointer[i]
            if s >= 0 and record_spikes[i] == 0 and not plastic:
                state.spike_total[i] += count
                deliver_direct(s, float(count), step, synapses, state)
                events += count
            elif count > 0:
                n_spiking = note_spike(i, count, n_spiking, first, now, state)
    return n_spiking, events


@njit(cache=True, error_model="numpy")
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
