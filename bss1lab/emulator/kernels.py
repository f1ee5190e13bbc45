"""The numba kernels: one time step of every cell, spike delivery, recording.

Everything here works on flat arrays prepared by :mod:`bss1lab.emulator.layout`; all
validation and bookkeeping stay in Python. Units: ms, mV, nF, nA, uS.

Determinism: the cells are split into fixed blocks (independent of the thread count),
each holding an equal share of every population so the blocks cost about the same.
Each block updates its own cells and adds the step's spikes onto its own cells in a
fixed order (emitting block, then position in it), so every sum is taken in the same
order whatever thread runs which block. Poisson spikes come from a counter-based generator keyed by
(seed, cell, step), so they do not depend on scheduling or on how a run is split.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# Kinds of node (one per cell).
KIND_COND_EXP = 0      # IF_cond_exp, EIF_cond_exp_isfa_ista
KIND_CURR_EXP = 1      # IF_curr_exp
KIND_CURR_DELTA = 2    # IF_curr_delta
KIND_POISSON = 3       # SpikeSourcePoisson
KIND_ARRAY = 4         # SpikeSourceArray

# Integration methods of the membrane equation.
METHOD_EXPONENTIAL = 0  # exponential Euler with step-averaged synaptic input
METHOD_RK2 = 1          # Heun's second-order Runge-Kutta

#: Per-neuron parameters as the kernel uses them (one record per cell, built by
#: ``layout.neuron_parameters``): bio units, with the step-dependent factors precomputed.
PARAMETER_DTYPE = np.dtype([
    ("v_rest", "f8"),          # mV
    ("cm", "f8"),              # nF
    ("dt_over_cm", "f8"),      # ms / nF: multiplying is cheaper than dividing
    ("g_l", "f8"),             # uS, cm / tau_m
    ("v_thresh", "f8"),        # mV, threshold of the exponential term
    ("v_peak", "f8"),          # mV, spike detection: v_spike for AdEx, else v_thresh
    ("v_reset", "f8"),         # mV
    ("i_offset", "f8"),        # nA
    ("e_rev_E", "f8"),         # mV
    ("e_rev_I", "f8"),         # mV
    ("delta_T", "f8"),         # mV, 0 switches the exponential term off
    ("a", "f8"),               # uS (PyNN gives nS)
    ("b", "f8"),               # nA
    ("tau_w", "f8"),           # ms
    ("rate_w", "f8"),          # 1 / tau_w, 1/ms
    ("decay_E", "f8"),         # exp(-dt / tau_syn_E)
    ("decay_I", "f8"),         # exp(-dt / tau_syn_I)
    ("mean_E", "f8"),          # mean of exp(-t / tau_syn_E) for t in [0, dt)
    ("mean_I", "f8"),
    ("decay_w", "f8"),         # exp(-dt / tau_w)
    ("decay_m", "f8"),         # exp(-dt / tau_m)
    ("refractory_steps", "i8"),
])

#: Poisson sources with fewer spikes than this per step draw the time of their next
#: spike (exponential intervals) instead of a count every step.
SPARSE_POISSON_MEAN = 0.25

#: Decaying synaptic state below this (uS or nA) is set to zero, so a silent network
#: never computes with subnormal floats (which are ~100x slower on x86).
FLUSH_BELOW = 1e-20
#: Largest argument of the AdEx exponential term; far beyond any spike, it keeps a
#: badly configured cell from overflowing to inf and NaN.
EXP_ARGUMENT_MAX = 50.0

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_S40 = np.uint64(40)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, error_model="numpy", inline="always")
def mix64(z):
    """SplitMix64's bijective finaliser: a well-mixed 64-bit hash of ``z``."""
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True, error_model="numpy", inline="always")
def uniform(seed_hash, cell, step):
    """A uniform number in [0, 1) that depends only on (seed, cell, step)."""
    key = (np.uint64(cell) << _S40) + np.uint64(step)
    return float(mix64(key * _GOLDEN ^ seed_hash) >> _S11) * _TO_UNIT


@njit(cache=True, error_model="numpy", inline="always")
def exp_term(v, q):
    """AdEx spike-initiation current g_L delta_T exp((v - v_thresh) / delta_T), nA."""
    if q.delta_T <= 0.0:
        return 0.0
    return q.g_l * q.delta_T * np.exp(min((v - q.v_thresh) / q.delta_T, EXP_ARGUMENT_MAX))


@njit(cache=True, error_model="numpy", inline="always")
def membrane_current(kind, v, w, syn_e, syn_i, i_ext, q):
    """Total current into the membrane (nA) at potential ``v`` (mV) of the cell whose
    parameter record is ``q``."""
    current = q.g_l * (q.v_rest - v) + i_ext - w + exp_term(v, q)
    if kind == KIND_COND_EXP:
        current += syn_e * (q.e_rev_E - v) + syn_i * (q.e_rev_I - v)
    elif kind == KIND_CURR_EXP:
        current += syn_e + syn_i
    return current


@njit(cache=True, error_model="numpy", inline="always")
def integrate_exponential(kind, v, w, syn_e, syn_i, i_ext, dt, q):
    """One step of exponential Euler for v: synaptic input held at its mean over the
    step, the non-linear terms at their start-of-step value, then the linear equation
    solved exactly. Exact for constant input; second order in dt for decaying input."""
    mean_e = syn_e * q.mean_E
    mean_i = syn_i * q.mean_I
    g_total = q.g_l
    drive = q.g_l * q.v_rest + i_ext - w + exp_term(v, q)
    if kind == KIND_COND_EXP:
        g_total += mean_e + mean_i
        drive += mean_e * q.e_rev_E + mean_i * q.e_rev_I
        decay = np.exp(-g_total * q.dt_over_cm)
    else:
        if kind == KIND_CURR_EXP:
            drive += mean_e + mean_i
        decay = q.decay_m
    v_inf = drive / g_total
    return v_inf + (v - v_inf) * decay


@njit(cache=True, error_model="numpy", inline="always")
def integrate_rk2(kind, v, w, syn_e, syn_i, i_ext, dt, q):
    """One step of Heun's method for (v, w); synaptic input at both ends of the step."""
    dv1 = membrane_current(kind, v, w, syn_e, syn_i, i_ext, q) * q.dt_over_cm
    dw1 = (q.a * (v - q.v_rest) - w) * q.rate_w * dt
    v1 = v + dv1
    w1 = w + dw1
    dv2 = membrane_current(kind, v1, w1, syn_e * q.decay_E, syn_i * q.decay_I,
                           i_ext, q) * q.dt_over_cm
    dw2 = (q.a * (v1 - q.v_rest) - w1) * q.rate_w * dt
    return v + 0.5 * (dv1 + dv2), w + 0.5 * (dw1 + dw2)


@njit(cache=True, error_model="numpy", inline="always")
def neuron_step(kind, v, syn_e, syn_i, w, refractory, i_ext, dt, method, q):
    """Advance one neuron by one step (synaptic arrivals already added).

    Takes the cell's state and its parameter record ``q``; returns the new
    ``(v, syn_e, syn_i, w, refractory, spiked)``. Scalars and records in, scalars
    out: a helper that takes arrays pays reference counting on every call.
    """
    spiked = 0
    if refractory > 0:
        # clamped at reset; the adaptation relaxes exactly since v is constant
        refractory -= 1
        v = q.v_reset
        w_inf = q.a * (v - q.v_rest)
        w = w_inf + (w - w_inf) * q.decay_w
    else:
        current = q.i_offset + i_ext
        if method == METHOD_RK2:
            v_new, w_new = integrate_rk2(kind, v, w, syn_e, syn_i, current, dt, q)
        else:
            v_new = integrate_exponential(kind, v, w, syn_e, syn_i, current, dt, q)
            w_inf = q.a * (v - q.v_rest)
            w_new = w_inf + (w - w_inf) * q.decay_w
        if v_new >= q.v_peak:
            v = q.v_reset
            w = w_new + q.b
            refractory = q.refractory_steps
            spiked = 1
        else:
            v = v_new
            w = w_new
    syn_e *= q.decay_E
    syn_i *= q.decay_I
    if abs(syn_e) < FLUSH_BELOW:
        syn_e = 0.0
    if abs(syn_i) < FLUSH_BELOW:
        syn_i = 0.0
    return v, syn_e, syn_i, w, refractory, spiked


@njit(cache=True, error_model="numpy")
def advance_block(b, step, dt, method, seed_hash, kind, p, block_offset, block_cells,
                  entry_pointer, entry_block, out_degree, syn_column, syn_weight, syn_delay,
                  poisson_cdf, poisson_cdf_start, poisson_guide, poisson_guide_start,
                  poisson_guide_size, poisson_mean, poisson_next, poisson_drawn,
                  direct_synapse, active_from, active_until,
                  array_steps, array_end, v, syn_e, syn_i, w, refractory, i_ext, cursor, ring, emitted,
                  bucket, bucket_fill, spike_total, block_events, record_spikes,
                  recorded_cell, recorded_fill):
    """Advance block ``b``'s cells by one step and file every spike under each block
    it has synapses in (in cell order, so sums keep their order), in the buffers of
    this step's parity; the next step delivers them.

    A Poisson source with a single synapse sits in its target's block and adds its
    spikes onto the target directly (``direct_synapse``), skipping the filing."""
    first = block_offset[b]
    now = step & 1
    ring_mask = ring.shape[0] - 1
    slot_now = step & ring_mask
    n_recorded = 0
    events = 0
    # row b of bucket_fill is this block's alone: no cache line is shared per spike
    bucket_fill[now, b, :] = 0
    for position in range(first, block_offset[b + 1]):
        i = block_cells[position]
        k = kind[i]
        count = 0
        if k == KIND_POISSON:
            mean = poisson_mean[i]
            if mean < SPARSE_POISSON_MEAN:
                # sparse: exponential intervals (in steps) from the source's own
                # numbered uniforms; poisson_next is the next spike's time in steps
                if poisson_drawn[i] == 0 and mean > 0.0:
                    poisson_next[i] = (active_from[i]
                                       - np.log(1.0 - uniform(seed_hash, i, 0)) / mean)
                    poisson_drawn[i] = 1
                while poisson_next[i] < step + 1 and poisson_drawn[i] > 0:
                    if poisson_next[i] >= active_until[i]:
                        break
                    count += 1
                    poisson_next[i] -= np.log(1.0 - uniform(seed_hash, i,
                                                            poisson_drawn[i])) / mean
                    poisson_drawn[i] += 1
            elif active_from[i] <= step < active_until[i]:
                # dense: invert one uniform per step; the guide table points close
                # to the count, the cumulative table finishes (its last entry is 1)
                u = uniform(seed_hash, i, step)
                count = poisson_guide[poisson_guide_start[i]
                                      + int(u * poisson_guide_size[i])]
                table = poisson_cdf_start[i]
                while u >= poisson_cdf[table + count]:
                    count += 1
            s = direct_synapse[i]
            if count > 0 and s >= 0:
                slot = (step + 1 + syn_delay[s]) & ring_mask
                ring[slot, syn_column[s]] += count * syn_weight[s]
                emitted[now, i] = count
                spike_total[i] += count
                events += count
                if record_spikes[i]:
                    recorded_cell[first + n_recorded] = i
                    n_recorded += 1
                continue
        elif k == KIND_ARRAY:
            c = cursor[i]
            while c < array_end[i] and array_steps[c] <= step:
                count += 1
                c += 1
            cursor[i] = c
        else:
            arrived_e = ring[slot_now, 2 * i]
            arrived_i = ring[slot_now, 2 * i + 1]
            ring[slot_now, 2 * i] = 0.0
            ring[slot_now, 2 * i + 1] = 0.0
            v_i = v[i]
            syn_e_i = syn_e[i]
            syn_i_i = syn_i[i]
            if k == KIND_CURR_DELTA:
                if refractory[i] == 0:  # inputs while refractory are discarded
                    v_i += arrived_e + arrived_i
            else:
                syn_e_i += arrived_e
                syn_i_i += arrived_i
            v[i], syn_e[i], syn_i[i], w[i], refractory[i], count = neuron_step(
                k, v_i, syn_e_i, syn_i_i, w[i], refractory[i], i_ext[i], dt, method, p[i])
        if count > 0:
            emitted[now, i] = count
            spike_total[i] += count
            events += count * out_degree[i]
            for e in range(entry_pointer[i], entry_pointer[i + 1]):
                target_block = entry_block[e]
                bucket[now, target_block, first + bucket_fill[now, b, target_block]] = e
                bucket_fill[now, b, target_block] += 1
            if record_spikes[i]:
                recorded_cell[first + n_recorded] = i
                n_recorded += 1
    recorded_fill[b] = n_recorded
    block_events[b] += events


@njit(cache=True, error_model="numpy")
def deliver_block(b, step, block_offset, entry_cell, entry_synapse, syn_column, syn_weight,
                  syn_delay, ring, emitted, bucket, bucket_fill):
    """Add the spikes filed in the previous step onto block ``b``'s ring buffer
    columns, emitting blocks in order and cells in order within each. A spike of
    step n - 1, stamped n dt, is due ``delay`` later: at the start of step n + delay."""
    before = (step - 1) & 1
    ring_mask = ring.shape[0] - 1  # the ring's size is a power of two
    for source_block in range(block_offset.shape[0] - 1):
        base = block_offset[source_block]
        for j in range(bucket_fill[before, source_block, b]):
            e = bucket[before, b, base + j]
            count = emitted[before, entry_cell[e]]
            for s in range(entry_synapse[e], entry_synapse[e + 1]):
                slot = (step + syn_delay[s]) & ring_mask
                ring[slot, syn_column[s]] += count * syn_weight[s]


@njit(cache=True, parallel=True, error_model="numpy")
def run_steps(first_step, n_steps, dt, method, seed_hash,
              kind, p, block_offset, block_cells,
              entry_pointer, entry_block, entry_cell, entry_synapse,
              syn_column, syn_weight, syn_delay, out_degree,
              poisson_cdf, poisson_cdf_start, poisson_guide, poisson_guide_start,
              poisson_guide_size, poisson_mean, poisson_next, poisson_drawn,
              direct_synapse, active_from, active_until, array_steps, array_end,
              v, syn_e, syn_i, w, refractory, i_ext, cursor, ring,
              emitted, bucket, bucket_fill, spike_total, block_events,
              record_spikes, recorded_cell, recorded_fill,
              out_cell, out_step, out_count, out_used,
              trace_cells, trace_state, trace_every, traces):
    """Advance the network by up to ``n_steps`` steps from ``first_step``.

    Step ``n`` covers bio time [n dt, (n + 1) dt): arrivals due at n dt are added,
    every cell is advanced, and a spike is stamped (n + 1) dt; it reaches its
    targets ``delay`` later (the buffers of the spikes to deliver alternate between
    steps, indexed by step parity, so a run can stop and resume at any step). Stops early when the spike record could overflow in the
    next step (the caller drains it and calls again). Returns
    ``(steps_done, traces_written)``; events delivered accumulate in ``block_events``.
    """
    n_blocks = block_offset.shape[0] - 1
    n_recordable = 0
    for c in range(record_spikes.shape[0]):
        n_recordable += record_spikes[c]
    capacity = out_cell.shape[0]
    traces_written = 0
    done = 0
    while done < n_steps:
        if out_used[0] + n_recordable > capacity:
            break
        step = first_step + done
        # one parallel region per step: each block first takes the spikes filed in
        # the previous step (all blocks finished it), then advances its own cells
        for b in prange(n_blocks):
            deliver_block(b, step, block_offset, entry_cell, entry_synapse, syn_column,
                          syn_weight, syn_delay, ring, emitted, bucket, bucket_fill)
            advance_block(b, step, dt, method, seed_hash, kind, p, block_offset,
                          block_cells, entry_pointer, entry_block, out_degree,
                          syn_column, syn_weight, syn_delay, poisson_cdf,
                          poisson_cdf_start, poisson_guide, poisson_guide_start,
                          poisson_guide_size, poisson_mean, poisson_next,
                          poisson_drawn, direct_synapse, active_from, active_until,
                          array_steps, array_end, v, syn_e, syn_i, w, refractory, i_ext,
                          cursor, ring, emitted, bucket, bucket_fill, spike_total,
                          block_events, record_spikes, recorded_cell, recorded_fill)
        used = out_used[0]
        now = step & 1
        for b in range(n_blocks):
            base = block_offset[b]
            for j in range(recorded_fill[b]):
                out_cell[used] = recorded_cell[base + j]
                out_step[used] = step
                out_count[used] = emitted[now, recorded_cell[base + j]]
                used += 1
        out_used[0] = used
        if trace_every > 0 and (step + 1) % trace_every == 0:
            for r in range(trace_cells.shape[0]):
                traced = trace_cells[r]
                for column in range(trace_state.shape[0]):
                    state = trace_state[column]
                    if state == 0:
                        value = v[traced]
                    elif state == 1:
                        value = syn_e[traced]
                    elif state == 2:
                        value = syn_i[traced]
                    else:
                        value = w[traced]
                    traces[traces_written, column, r] = value
            traces_written += 1
        done += 1
    return done, traces_written
