"""Spike delivery and short-term plasticity: filing a step's spikes and adding them
onto their targets' ring columns.

Determinism: each block adds the spikes onto its own cells in a fixed order (emitting
block, then position in it), so every sum is taken in the same order whatever thread
runs which block.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable

from bss1lab.emulator.contracts import STP_TSODYKS_MARKRAM, STP_WAFER_DEPRESSION

@njit(cache=True, error_model="numpy", inline="always")
def plastic_efficacy(model, U, tau_1, tau_2, a, b, elapsed, first):
    """One spike through a plastic synapse ``elapsed`` ms after the previous one.

    Returns ``(efficacy, a, b)``: the factor on the weight and the new state (x, u for
    Tsodyks-Markram; the inactive fraction I for the wafer's circuit)."""
    if model == STP_TSODYKS_MARKRAM:
        if first:
            a, b = 1.0, U
        else:
            a = 1.0 + (a - 1.0) * np.exp(-elapsed / tau_1) if tau_1 > 0.0 else 1.0
            b = U + b * (1.0 - U) * np.exp(-elapsed / tau_2) if tau_2 > 0.0 else U
        efficacy = b * a
        return efficacy, a - efficacy, b
    # the wafer: I <- I exp(-dt / tau); factor 1 -/+ I; then I <- I + U (1 - I)
    a = 0.0 if first else a * np.exp(-elapsed / tau_1)
    efficacy = 1.0 - a if model == STP_WAFER_DEPRESSION else 1.0 + a
    return efficacy, a + U * (1.0 - a), b


@njit(cache=True, error_model="numpy", inline="always")
def step_slot(step, state):
    """Where step ``step``'s spikes are kept (``emitted``, ``bucket``, ...): the
    buffers hold the last ``state.emitted.shape[0]`` steps (a power of two, at least
    two synchronisation windows: ``contracts.step_buffer_depth``), so the spikes of
    one window are still there while every block delivers them in the next."""
    return step & (state.emitted.shape[0] - 1)


@register_jitable(cache=True, error_model="numpy")
def emit_plastic(i, count, step, dt, plasticity, state):
    """Advance cell ``i``'s plastic synapse states by its ``count`` spikes of
    ``step`` and store their summed efficacies."""
    now = step_slot(step, state)
    for slot in range(plasticity.cell_pointer[i], plasticity.cell_pointer[i + 1]):
        total = 0.0
        a = state.stp_a[slot]
        b = state.stp_b[slot]
        for _ in range(count):
            last = state.stp_last[slot]
            efficacy, a, b = plastic_efficacy(plasticity.model[slot], plasticity.U[slot],
                                              plasticity.tau_1[slot], plasticity.tau_2[slot],
                                              a, b, (step - last) * dt, last < 0)
            state.stp_last[slot] = step
            total += efficacy
        state.stp_a[slot] = a
        state.stp_b[slot] = b
        state.stp_efficacy[now, slot] = total


@register_jitable(cache=True, error_model="numpy")
def deliver_block(b, step, synapses, plasticity, state, block_offset):
    """Add the spikes filed in step ``step - 1`` onto block ``b``'s ring columns,
    emitting blocks in order and cells in order within each. A spike of step n - 1,
    stamped n dt, is due ``delay`` later, at the end of step n + delay - 1."""
    before = step_slot(step - 1, state)
    ring_mask = state.ring.shape[0] - 1  # the ring's size is a power of two
    plastic = plasticity.synapse_slot.shape[0] > 0
    events = 0
    for source_block in range(block_offset.shape[0] - 1):
        base = block_offset[source_block]
        for j in range(state.bucket_fill[before, source_block, b]):
            e = state.bucket[before, b, base + j]
            count = state.emitted[before, synapses.entry_cell[e]]
            first = synapses.entry_synapse[e]
            last = synapses.entry_synapse[e + 1]
            events += count * (last - first)
            # unsigned indices (as in neuron.neuron_run): numba then leaves out its
            # wrap-around of negative indices, three instructions per access
            if not plastic:
                for s in range(np.uint64(first), np.uint64(last)):
                    slot = np.uint64((step + synapses.delay[s]) & ring_mask)
                    column = np.uint64(synapses.column[s])
                    state.ring[slot, column] += count * synapses.weight[s]
                continue
            for s in range(np.uint64(first), np.uint64(last)):
                slot = np.uint64((step + synapses.delay[s]) & ring_mask)
                column = np.uint64(synapses.column[s])
                stp = plasticity.synapse_slot[s]
                scale = count if stp < 0 else state.stp_efficacy[before, stp]
                state.ring[slot, column] += scale * synapses.weight[s]
    state.block_events[b] += events


@njit(cache=True, error_model="numpy", inline="always")
def note_spike(i, count, n_spiking, first, now, state):
    """List cell ``i`` among this step's spiking cells of its block."""
    state.emitted[now, i] = count
    state.spiking[first + n_spiking] = i
    return n_spiking + 1


@njit(cache=True, error_model="numpy", inline="always")
def deliver_direct(s, scale, step, synapses, state):
    """Add ``scale`` times the weight of synapse ``s``, a one-synapse Poisson source's
    (in its target's block), onto the target: due ``delay`` after ``step`` ends."""
    ring = state.ring
    synapse = np.uint64(s)  # unsigned, as in deliver_block
    slot = np.uint64((step + 1 + synapses.delay[synapse]) & (ring.shape[0] - 1))
    ring[slot, np.uint64(synapses.column[synapse])] += scale * synapses.weight[synapse]
