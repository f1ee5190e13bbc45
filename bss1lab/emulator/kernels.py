"""The numba kernels: one time step of every cell, spike delivery, recording.

Everything here works on flat arrays prepared by :mod:`bss1lab.emulator.layout`,
grouped in the named tuples below; all validation and bookkeeping stay in Python.
Units: ms, mV, nF, nA, uS.

Timing (NEST's convention): step n covers [n dt, (n + 1) dt). A neuron integrates over
the step, takes the inputs due at (n + 1) dt, and is then checked against its
threshold; a spike is stamped (n + 1) dt and is due at its targets ``delay`` later.

Determinism: the cells are split into fixed blocks (independent of the thread count),
each holding an equal share of every population so the blocks cost about the same.
Each block adds the spikes onto its own cells in a fixed order (emitting block, then
position in it), so every sum is taken in the same order whatever thread runs which
block. Poisson spikes come from a counter-based generator keyed by (seed, cell, step
or spike number), so they depend neither on scheduling nor on how a run is split.
"""

from __future__ import annotations

import types
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from bss1lab.hardware.links import take_tokens

# Kinds of cell.
KIND_COND_EXP = 0      # IF_cond_exp, EIF_cond_exp_isfa_ista
KIND_CURR_EXP = 1      # IF_curr_exp
KIND_CURR_DELTA = 2    # IF_curr_delta
KIND_POISSON = 3       # SpikeSourcePoisson
KIND_ARRAY = 4         # SpikeSourceArray

# Short-term plasticity models.
STP_TSODYKS_MARKRAM = 0   # NEST's tsodyks2_synapse: the ideal reference
STP_WAFER_DEPRESSION = 1  # the synapse driver's circuit, depressing
STP_WAFER_FACILITATION = 2  # and facilitating

# Integration methods of the membrane equation.
METHOD_EXPONENTIAL = 0  # exponential Euler with step-averaged synaptic input (AdEx:
                        # exponential Rosenbrock-Euler, spikes inside the step as NEST)
METHOD_RK2 = 1          # Heun's second-order Runge-Kutta

class NeuronParameters(NamedTuple):
    """Per-neuron parameters as the kernel uses them, one array per parameter (built
    by ``layout.neuron_parameters``): bio units, with the step-dependent factors
    precomputed. Arrays rather than one record per cell, so a loop over consecutive
    cells reads each parameter contiguously and the compiler can vectorise it."""

    refractory_steps: np.ndarray  # int64
    adex: np.ndarray             # int64, 1: AdEx (adaptation current, exponential term)
    v_rest: np.ndarray           # mV
    g_l: np.ndarray              # uS, cm / tau_m
    i_offset: np.ndarray         # nA
    mean_E: np.ndarray           # mean of exp(-t / tau_syn_E) for t in [0, dt)
    mean_I: np.ndarray
    decay_E: np.ndarray          # exp(-dt / tau_syn_E)
    decay_I: np.ndarray          # exp(-dt / tau_syn_I)
    v_peak: np.ndarray           # mV, spike detection: v_spike for AdEx, else v_thresh
    v_reset: np.ndarray          # mV
    dt_over_cm: np.ndarray       # ms / nF: multiplying is cheaper than dividing
    e_rev_E: np.ndarray          # mV
    e_rev_I: np.ndarray          # mV
    saturation_E: np.ndarray     # uS where the synaptic input saturates, 0: never
    saturation_I: np.ndarray
    decay_m: np.ndarray          # exp(-dt / tau_m), current-based kinds
    v_thresh: np.ndarray         # mV, threshold of the exponential term (AdEx)
    delta_T: np.ndarray          # mV, 0 switches the exponential term off
    a: np.ndarray                # uS (PyNN gives nS)
    b: np.ndarray                # nA
    rate_w: np.ndarray           # 1 / tau_w, 1/ms
    decay_w: np.ndarray          # exp(-dt / tau_w)


#: Records with the fields of NeuronParameters, for building them population by
#: population (``layout.neuron_parameters``).
PARAMETER_DTYPE = np.dtype([(name, "i8" if name in ("refractory_steps", "adex") else "f8")
                            for name in NeuronParameters._fields])

#: Poisson sources with fewer spikes than this per step draw the time of their next
#: spike (exponential intervals) instead of a count every step.
SPARSE_POISSON_MEAN = 0.25
#: Decaying state below this (uS, nA, or mV from zero) is set to zero, so a silent
#: network never computes with subnormal floats (which are ~100x slower on x86).
FLUSH_BELOW = 1e-20
#: Largest argument of the AdEx exponential term; far beyond any spike, it keeps a
#: badly configured cell from overflowing to inf and NaN.
EXP_ARGUMENT_MAX = 50.0
#: AdEx, exponential method: a step whose spike current grows by more than this over
#: the step (its slope g_L exp((v - v_thresh) / delta_T) times dt / C_m), or that
#: reaches v_peak, is done again in ADEX_SUBSTEPS sub-steps (``adex_substeps``). Below
#: it the linearised exponential term is accurate over a step. With PyNN's default
#: cell that is the last ~10 steps of an upswing at dt = 0.1 ms, the last ~2 at 0.01.
#: Chosen against NEST (tests/test_adex_vs_nest.py): 0.1 and 8 keep the first 20
#: spikes of every case within a step of NEST's; 0.3 lets two of them slip by 2.
ADEX_SUBSTEP_GROWTH = 0.1
ADEX_SUBSTEPS = 8
#: Smallest |conductance| (uS) the AdEx step divides by: the linearised exponential
#: term can cancel the leak and synaptic conductances exactly.
G_TINY = 1e-12


class Cells(NamedTuple):
    """Per-cell constants and the block split (see ``layout.Layout``)."""

    kind: np.ndarray             # int8, KIND_*
    block_offset: np.ndarray     # block b's cells: block_cells[offset[b]:offset[b + 1]]
    block_cells: np.ndarray
    kind_run_end: np.ndarray     # per block position: where its run of one kind ends
    poisson_mean: np.ndarray     # spikes per step
    poisson_cdf: np.ndarray      # dense sources: inversion tables (layout.PoissonTables)
    poisson_cdf_start: np.ndarray
    poisson_guide: np.ndarray
    poisson_guide_start: np.ndarray
    poisson_guide_size: np.ndarray
    active_from: np.ndarray      # Poisson sources fire in steps [from, until)
    active_until: np.ndarray
    array_steps: np.ndarray      # SpikeSourceArray: emission steps, per cell up to
    array_end: np.ndarray        # array_end (the cursor in State starts each train)
    direct_synapse: np.ndarray   # one-synapse Poisson sources: that synapse, else -1
    input_limited: bool          # whether any source's input is limited
    input_link: np.ndarray       # sources: the HICANN link they enter through, -1: free
    input_fpga: np.ndarray       # and its FPGA
    link_rate: float             # events per step a link serves (bio time)
    fpga_rate: float             # events per step an FPGA serves
    link_depth: float            # events a link buffers


class Synapses(NamedTuple):
    """Synapses grouped by (emitting cell, block of the target): the "entries"."""

    entry_pointer: np.ndarray    # cell c's entries: entry_pointer[c]:entry_pointer[c + 1]
    entry_block: np.ndarray      # target block of each entry
    entry_cell: np.ndarray       # emitting cell of each entry
    entry_synapse: np.ndarray    # entry e's synapses: entry_synapse[e]:entry_synapse[e+1]
    column: np.ndarray           # ring column of the target: 2 * cell + receptor
    weight: np.ndarray           # uS, nA or mV
    delay: np.ndarray            # steps, >= 1


class Plasticity(NamedTuple):
    """Short-term plasticity: one state per (emitting cell, plastic projection), a
    "slot"; a cell's slots are ``cell_pointer[c]:cell_pointer[c + 1]``."""

    cell_pointer: np.ndarray     # int64 (cells + 1)
    model: np.ndarray            # int8 per slot: STP_* below
    U: np.ndarray                # utilisation
    tau_1: np.ndarray            # ms: tau_rec (Tsodyks-Markram) or the circuit's
    tau_2: np.ndarray            # ms: tau_facil (Tsodyks-Markram), unused otherwise
    synapse_slot: np.ndarray     # int64 per synapse (Synapses order): its slot or -1;
                                 # empty when no synapse is plastic


class State(NamedTuple):
    """Everything that changes while the network runs."""

    v: np.ndarray                # mV
    syn_e: np.ndarray            # uS (conductance-based) or nA (IF_curr_exp)
    syn_i: np.ndarray
    w: np.ndarray                # nA
    refractory: np.ndarray       # steps left
    i_ext: np.ndarray            # nA from current sources
    cursor: np.ndarray           # next entry of each spike train
    poisson_next: np.ndarray     # sparse sources: time of the next spike, steps
    poisson_drawn: np.ndarray    # sparse sources: uniforms used so far
    ring: np.ndarray             # input due per slot (time) and column; float32 (the
                                 # weights' precision): half the memory traffic
    emitted: np.ndarray          # [parity, cell] spikes emitted in the step
    bucket: np.ndarray           # [parity, target block, position] filed entries
    bucket_fill: np.ndarray      # [parity, emitting block, target block] counts
    spike_total: np.ndarray      # spikes per cell since t = 0
    block_events: np.ndarray     # synaptic events delivered, per block
    link_tokens: np.ndarray      # input links (HICANNs) and FPGAs: their buffers'
    link_last: np.ndarray        # free places and when they were last served
    fpga_tokens: np.ndarray
    fpga_last: np.ndarray
    input_dropped: np.ndarray    # spikes each input link dropped
    stp_a: np.ndarray            # per slot: x (Tsodyks-Markram) or I (wafer)
    stp_b: np.ndarray            # per slot: u (Tsodyks-Markram)
    stp_last: np.ndarray         # per slot: step of the last spike, -1: none yet
    stp_efficacy: np.ndarray     # [parity, slot]: summed efficacy of the step's spikes
    recorded_cell: np.ndarray    # per block: cells whose spikes the step records
    recorded_fill: np.ndarray
    spiking: np.ndarray          # per block: cells that spiked in the step (scratch)
    fired: np.ndarray            # uint8 per cell: spiked in the step (scratch)
    pending: np.ndarray          # per block: limited sources that spiked (scratch)


class Recording(NamedTuple):
    """What to record and where to put it."""

    spikes: np.ndarray           # uint8 per cell: record its spikes
    out_cell: np.ndarray         # recorded spikes ...
    out_step: np.ndarray
    out_count: np.ndarray
    out_used: np.ndarray         # [0]: entries used
    trace_cells: np.ndarray      # traced cells
    trace_state: np.ndarray      # state per trace column: 0 v, 1 syn_e, 2 syn_i, 3 w
    trace_every: int             # steps between samples, 0: none
    traces: np.ndarray           # [sample, column, traced cell]


_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_S40 = np.uint64(40)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
_U1 = np.uint64(1)


@njit(cache=True, error_model="numpy", inline="always")
def mix64(z):
    """SplitMix64's bijective finaliser: a well-mixed 64-bit hash of ``z``."""
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True, error_model="numpy", inline="always")
def uniform(seed_hash, cell, counter):
    """A uniform number in [0, 1) that depends only on (seed, cell, counter)."""
    key = (np.uint64(cell) << _S40) + np.uint64(counter)
    return float(mix64(key * _GOLDEN ^ seed_hash) >> _S11) * _TO_UNIT


@njit(cache=True, error_model="numpy", inline="always")
def exp_term(v, adex, q, i):
    """AdEx spike-initiation current g_L delta_T exp((v - v_thresh) / delta_T), nA;
    0 unless ``adex`` (a constant) and delta_T > 0."""
    if not adex:
        return 0.0
    delta_T = q.delta_T[i]
    scale = delta_T if delta_T > 0.0 else 1.0  # delta_T = 0 gives 0, not 0 / 0
    return q.g_l[i] * delta_T * np.exp(min((v - q.v_thresh[i]) / scale, EXP_ARGUMENT_MAX))


@njit(cache=True, error_model="numpy", inline="always")
def expm1_minus(x):
    """exp(-x) - 1 for x >= -64 (AdEx's growing exponential gives x < 0), to a
    relative 1e-14 even for tiny x, from additions and multiplications only: LLVM
    vectorises it, which it cannot do for a call to ``exp`` without Intel's SVML. The
    Taylor series of expm1 at -x / 128 (|.| <= 0.5, x capped at 64), then doubled 7
    times with expm1(2z) = expm1(z) (2 + expm1(z))."""
    y = -min(x, 64.0) * (1.0 / 128.0)
    e = y * (1.0 + y * (1.0 / 2 + y * (1.0 / 6 + y * (1.0 / 24 + y * (1.0 / 120 + y * (
        1.0 / 720 + y * (1.0 / 5040 + y * (1.0 / 40320 + y * (1.0 / 362880 + y * (
            1.0 / 3628800 + y * (1.0 / 39916800 + y * (1.0 / 479001600
                                                       + y * (1.0 / 6227020800)))))))))))))
    for _ in range(7):
        e = e * (2.0 + e)
    return e


@njit(cache=True, error_model="numpy", inline="always")
def saturated(g, g_saturation):
    """The conductance a saturating synaptic input circuit delivers for ``g``."""
    if g_saturation <= 0.0:
        return g
    ratio = g / g_saturation
    return g / np.sqrt(1.0 + ratio * ratio)


@njit(cache=True, error_model="numpy", inline="always")
def membrane_current(kind, adex, v, w, syn_e, syn_i, i_ext, q, i):
    """Total current into the membrane (nA) at potential ``v`` (mV) of neuron ``i``
    with parameters ``q``."""
    current = q.g_l[i] * (q.v_rest[i] - v) + i_ext - w + exp_term(v, adex, q, i)
    if kind == KIND_COND_EXP:
        current += (saturated(syn_e, q.saturation_E[i]) * (q.e_rev_E[i] - v)
                    + saturated(syn_i, q.saturation_I[i]) * (q.e_rev_I[i] - v))
    elif kind == KIND_CURR_EXP:
        current += syn_e + syn_i
    return current


@njit(cache=True, error_model="numpy", inline="always")
def integrate_exponential(kind, v, w, syn_e, syn_i, i_ext, q, i):
    """One step of exponential Euler for v of a cell without exponential term (AdEx:
    ``integrate_adex``): synaptic input held at its mean over the step, then the linear
    equation solved exactly. Exact for constant input; second order in dt for decaying
    input."""
    mean_e = syn_e * q.mean_E[i]
    mean_i = syn_i * q.mean_I[i]
    g_total = q.g_l[i]
    drive = q.g_l[i] * q.v_rest[i] + i_ext - w
    if kind == KIND_COND_EXP:
        mean_e = saturated(mean_e, q.saturation_E[i])
        mean_i = saturated(mean_i, q.saturation_I[i])
        g_total += mean_e + mean_i
        drive += mean_e * q.e_rev_E[i] + mean_i * q.e_rev_I[i]
        # v_inf + (v - v_inf) exp(-x), written so a far v_inf loses no precision
        return v + (v - drive / g_total) * expm1_minus(g_total * q.dt_over_cm[i])
    if kind == KIND_CURR_EXP:
        drive += mean_e + mean_i
    v_inf = drive / g_total
    return v_inf + (v - v_inf) * q.decay_m[i]


@njit(cache=True, error_model="numpy", inline="always")
def integrate_adex(v, w, syn_e, syn_i, i_ext, mean_e, mean_i, decay_w, dt_over_cm, q, i):
    """One step of an AdEx cell's (v, w), second order (exponential Rosenbrock-Euler):
    the exponential term linearised about the start of the step, the then linear
    equation for v solved exactly with the synaptic input and w at their means over the
    step, and w relaxed exactly towards a (v - v_rest) with v at its mean.

    ``mean_e``, ``mean_i`` (means of the synaptic decay over the step), ``decay_w`` and
    ``dt_over_cm`` are those of the step's length (``q``'s for a whole step). Returns
    ``(v, w, growth)``: growth is the exponential term's slope times dt / C_m."""
    v_rest = q.v_rest[i]
    a = q.a[i]
    w_inf = a * (v - v_rest)
    w_mean = w_inf + (w - w_inf) * (0.5 + 0.5 * decay_w)  # mean of w's two ends
    g_e = saturated(syn_e * mean_e, q.saturation_E[i])
    g_i = saturated(syn_i * mean_i, q.saturation_I[i])
    spike_current = exp_term(v, True, q, i)
    delta_T = q.delta_T[i]
    slope = spike_current / (delta_T if delta_T > 0.0 else 1.0)  # its d/dv, uS
    g_total = q.g_l[i] + g_e + g_i - slope
    g_total = g_total if abs(g_total) > G_TINY else G_TINY
    drive = (q.g_l[i] * v_rest + i_ext - w_mean + spike_current - slope * v
             + g_e * q.e_rev_E[i] + g_i * q.e_rev_I[i])
    # as in integrate_exponential; g_total < 0 where the spike runs away: v grows
    # exponentially over the step (capped far beyond any spike)
    v_new = v + (v - drive / g_total) * expm1_minus(max(g_total * dt_over_cm,
                                                        -EXP_ARGUMENT_MAX))
    w_inf = a * (0.5 * (v + v_new) - v_rest)
    return v_new, w_inf + (w - w_inf) * decay_w, slope * dt_over_cm


@njit(cache=True, error_model="numpy", inline="always")
def integrate_rk2(kind, adex, v, w, syn_e, syn_i, i_ext, dt, q, i):
    """One step of Heun's method for (v, w); synaptic input at both ends of the step."""
    dv1 = membrane_current(kind, adex, v, w, syn_e, syn_i, i_ext, q, i) * q.dt_over_cm[i]
    dw1 = (q.a[i] * (v - q.v_rest[i]) - w) * q.rate_w[i] * dt
    v1 = v + dv1
    w1 = w + dw1
    dv2 = membrane_current(kind, adex, v1, w1, syn_e * q.decay_E[i], syn_i * q.decay_I[i],
                           i_ext, q, i) * q.dt_over_cm[i]
    dw2 = (q.a[i] * (v1 - q.v_rest[i]) - w1) * q.rate_w[i] * dt
    return v + 0.5 * (dv1 + dv2), w + 0.5 * (dw1 + dw2)


@njit(cache=True, error_model="numpy", inline="always")
def flushed(x):
    """``x``, or 0 where it has decayed below FLUSH_BELOW."""
    return 0.0 if abs(x) < FLUSH_BELOW else x


@njit(cache=True, error_model="numpy", inline="always")
def neuron_step(kind, adex, method, v, syn_e, syn_i, w, refractory, i_ext, arrived_e,
                arrived_i, dt, q, i):
    """Advance neuron ``i`` by one step.

    Takes the cell's state, the inputs due at the end of the step and the parameters
    ``q``; returns the new ``(v, syn_e, syn_i, w, refractory, spiked)``. ``kind``,
    ``adex`` (adaptation and exponential term) and ``method`` are constants of the
    calling loop. Every parameter is read unconditionally and the cases are selected
    rather than branched: numba then neither counts references per cell nor stops
    the compiler from vectorising a loop of these over consecutive cells.

    AdEx with the exponential method: a step that reaches v_peak, or where the spike
    runs away (``ADEX_SUBSTEP_GROWTH``), is left to ``adex_substeps``: the cell keeps
    its start-of-step state and ``spiked`` is True ("do this step again").
    """
    v_start, w_start, syn_e_start, syn_i_start = v, w, syn_e, syn_i
    v_rest = q.v_rest[i]
    v_reset = q.v_reset[i]
    v_peak = q.v_peak[i]
    refractory_steps = q.refractory_steps[i]
    decay_e = q.decay_E[i]
    decay_i = q.decay_I[i]
    current = q.i_offset[i] + i_ext
    growth = 0.0
    # the free membrane ...
    if method == METHOD_RK2:
        v_free, w_free = integrate_rk2(kind, adex, v, w, syn_e, syn_i, current, dt, q, i)
    elif adex:
        v_free, w_free, growth = integrate_adex(v, w, syn_e, syn_i, current, q.mean_E[i],
                                                q.mean_I[i], q.decay_w[i],
                                                q.dt_over_cm[i], q, i)
    else:
        v_free = integrate_exponential(kind, v, w, syn_e, syn_i, current, q, i)
        w_free = w
    # ... or, while refractory, clamped at reset; the adaptation relaxes exactly
    # since v is constant
    w_clamped = w
    if adex:
        w_inf = q.a[i] * (v_reset - v_rest)
        w_clamped = w_inf + (w - w_inf) * q.decay_w[i]
    clamped = refractory > 0
    v = v_reset if clamped else v_free
    w = w_clamped if clamped else w_free
    refractory = refractory - 1 if clamped else refractory
    syn_e *= decay_e
    syn_i *= decay_i
    if kind == KIND_CURR_DELTA:
        # as NEST's iaf_psc_delta: inputs while refractory are lost
        v = v if clamped else v + (arrived_e + arrived_i)
    else:
        syn_e += arrived_e
        syn_i += arrived_i
    if adex and method == METHOD_EXPONENTIAL:
        redo = ((v_free >= v_peak) | (growth > ADEX_SUBSTEP_GROWTH)) & (not clamped)
        return (v_start if redo else flushed(v), syn_e_start if redo else flushed(syn_e),
                syn_i_start if redo else flushed(syn_i), w_start if redo else flushed(w),
                refractory, redo)
    spiked = (v >= v_peak) & (not clamped)
    v = v_reset if spiked else v
    refractory = refractory_steps if spiked else refractory
    if adex:
        b = q.b[i]
        w = w + b if spiked else w
    return flushed(v), flushed(syn_e), flushed(syn_i), flushed(w), refractory, spiked


@njit(cache=True, error_model="numpy", inline="always")
def partial_decay(decay, fraction):
    """``(decay ** fraction, mean)``: a step's decay factor over ``fraction`` of the
    step, and the mean of the decaying quantity over that part (relative to its start)."""
    rate = -np.log(decay) * fraction
    mean = -np.expm1(-rate) / rate if rate > 0.0 else 1.0
    return np.exp(-rate), mean


@njit(cache=True, error_model="numpy", inline="always")
def crossing_fraction(v0, v1, q, i):
    """Where in a sub-step from ``v0`` < v_peak to ``v1`` >= v_peak the membrane
    reached v_peak, as a fraction of the sub-step: linear in exp(-v / delta_T), which
    falls almost linearly in time as the spike runs away (at a rate of 1 / tau_m), or
    in v without exponential term."""
    v_peak = q.v_peak[i]
    delta_T = q.delta_T[i]
    if delta_T > 0.0:
        u0 = np.exp(min((v_peak - v0) / delta_T, EXP_ARGUMENT_MAX))
        u1 = np.exp(min((v_peak - v1) / delta_T, EXP_ARGUMENT_MAX))
        before, whole = u0 - 1.0, u0 - u1
    else:
        before, whole = v_peak - v0, v1 - v0
    return min(max(before / whole, 0.0), 1.0) if whole > 0.0 else 0.0


@njit(cache=True, error_model="numpy", inline="always")
def adex_substep_run(v, w, syn_e, syn_i, current, fraction, q, i):
    """``ADEX_SUBSTEPS`` sub-steps of ``integrate_adex``, each ``fraction`` of a step
    long, stopping where v reaches v_peak. Returns ``(v, w, syn_e, syn_i, crossed,
    done)`` at the end or at the crossing, ``done`` the steps done."""
    decay_e, mean_e = partial_decay(q.decay_E[i], fraction)
    decay_i, mean_i = partial_decay(q.decay_I[i], fraction)
    decay_w = partial_decay(q.decay_w[i], fraction)[0]
    dt_over_cm = q.dt_over_cm[i] * fraction
    for k in range(ADEX_SUBSTEPS):
        v_new, w_new, _ = integrate_adex(v, w, syn_e, syn_i, current, mean_e, mean_i,
                                         decay_w, dt_over_cm, q, i)
        if v_new >= q.v_peak[i]:
            part = crossing_fraction(v, v_new, q, i)
            return (v_new, w + part * (w_new - w),
                    syn_e * partial_decay(q.decay_E[i], part * fraction)[0],
                    syn_i * partial_decay(q.decay_I[i], part * fraction)[0],
                    True, (k + part) * fraction)
        v, w = v_new, w_new
        syn_e *= decay_e
        syn_i *= decay_i
    return v, w, syn_e, syn_i, False, ADEX_SUBSTEPS * fraction


@njit(cache=True, error_model="numpy")
def adex_substeps(i, slot, q, state):
    """Do AdEx cell ``i``'s step again in ``ADEX_SUBSTEPS`` sub-steps, from the
    start-of-step state it kept (``neuron_step``) and with the inputs due at its end
    in ring ``slot``; returns whether the cell spiked.

    As in NEST's aeif models, the spike is where v reaches v_peak inside the step, and
    there v = v_reset and w += b. For the rest of the step v is held at v_reset if the
    cell is refractory (for tau_refrac after this step), or without refractory time
    integrated on from v_reset; a second spike in the same step is left for the next
    step. The spike is stamped at the end of the step, as in NEST.
    """
    ring = state.ring
    e = 2 * i
    arrived_e = ring[slot, e]
    arrived_i = ring[slot, e + 1]
    ring[slot, e] = 0.0
    ring[slot, e + 1] = 0.0
    syn_e = state.syn_e[i]
    syn_i = state.syn_i[i]
    current = q.i_offset[i] + state.i_ext[i]
    v, w, syn_e_now, syn_i_now, spiked, done = adex_substep_run(
        state.v[i], state.w[i], syn_e, syn_i, current, 1.0 / ADEX_SUBSTEPS, q, i)
    if spiked:
        v = q.v_reset[i]
        w += q.b[i]
        rest = 1.0 - done
        if q.refractory_steps[i] > 0:
            w_inf = q.a[i] * (v - q.v_rest[i])
            w = w_inf + (w - w_inf) * partial_decay(q.decay_w[i], rest)[0]
        elif rest > 0.0:
            v, w, _, _, again, _ = adex_substep_run(v, w, syn_e_now, syn_i_now, current,
                                                    rest / ADEX_SUBSTEPS, q, i)
            if again:
                v = max(v, q.v_peak[i])  # spikes at the end of the next step
        state.refractory[i] = q.refractory_steps[i]
    state.v[i] = flushed(v)
    state.w[i] = flushed(w)
    state.syn_e[i] = flushed(syn_e * q.decay_E[i] + arrived_e)
    state.syn_i[i] = flushed(syn_i * q.decay_I[i] + arrived_i)
    state.fired[i] = spiked
    return spiked


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


@njit(cache=True, error_model="numpy")
def emit_plastic(i, count, step, dt, plasticity, state):
    """Advance cell ``i``'s plastic synapse states by its ``count`` spikes of
    ``step`` and store their summed efficacies."""
    now = step & 1
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


@njit(cache=True, error_model="numpy")
def limit_input(first, n_spiking, step, seed_hash, cells, state):
    """Pass the step's spikes of limited sources through their FPGA's and then their
    link's buffer; what does not fit is dropped (and counted). Sources are served
    in a rotating order, so none is favoured when a buffer runs over. All sources of
    one FPGA are in one block: only this thread touches its buffers."""
    now = step & 1
    n_limited = 0
    for position in range(first, first + n_spiking):
        i = state.spiking[position]
        if cells.kind[i] >= KIND_POISSON and cells.input_link[i] >= 0:
            state.pending[first + n_limited] = i
            n_limited += 1
    if n_limited == 0:
        return
    start = int(uniform(seed_hash, -1, step) * n_limited)
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
def deliver_block(b, step, synapses, plasticity, state, block_offset):
    """Add the spikes filed in the previous step onto block ``b``'s ring columns,
    emitting blocks in order and cells in order within each. A spike of step n - 1,
    stamped n dt, is due ``delay`` later, at the end of step n + delay - 1."""
    before = (step - 1) & 1
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
            if not plastic:
                for s in range(first, last):
                    slot = (step + synapses.delay[s]) & ring_mask
                    state.ring[slot, synapses.column[s]] += count * synapses.weight[s]
                continue
            for s in range(first, last):
                slot = (step + synapses.delay[s]) & ring_mask
                stp = plasticity.synapse_slot[s]
                scale = count if stp < 0 else state.stp_efficacy[before, stp]
                state.ring[slot, synapses.column[s]] += scale * synapses.weight[s]
    state.block_events[b] += events


@njit(cache=True, error_model="numpy", inline="always")
def note_spike(i, count, n_spiking, first, now, state):
    """List cell ``i`` among this step's spiking cells of its block."""
    state.emitted[now, i] = count
    state.spiking[first + n_spiking] = i
    return n_spiking + 1


@njit(cache=True, error_model="numpy", inline="always")
def neuron_run(kind, adex, method, start, stop, n_spiking, first, step, dt, cells, neurons,
               state):
    """Advance the neurons at block positions [start, stop): consecutive cells, all of
    ``kind`` and all with or all without adaptation (``layout.kind_run_ends``).
    ``kind``, ``adex`` and ``method`` are constants, so each combination compiles its
    own loop. First every cell (the compiler vectorises this loop where it can), then
    the ones that spiked are listed."""
    now = step & 1
    ring = state.ring
    slot_next = (step + 1) & (ring.shape[0] - 1)
    lo = cells.block_cells[start]
    hi = lo + stop - start
    # unsigned indices: numba then leaves out its wrap-around of negative indices,
    # which would keep LLVM from vectorising the loop (4x slower)
    redo_adex = adex and method == METHOD_EXPONENTIAL
    for i in range(np.uint64(lo), np.uint64(hi)):
        e = i + i  # the cell's ring columns: 2 i (excitatory) and 2 i + 1
        arrived_e = ring[slot_next, e]
        arrived_i = ring[slot_next, e + _U1]
        (state.v[i], state.syn_e[i], state.syn_i[i], w, state.refractory[i],
         fired) = neuron_step(kind, adex, method, state.v[i], state.syn_e[i],
                              state.syn_i[i], state.w[i], state.refractory[i],
                              state.i_ext[i], arrived_e, arrived_i, dt, neurons, i)
        state.fired[i] = fired
        if adex or method == METHOD_RK2:
            # without adaptation exponential Euler leaves w alone; one array fewer
            # to write keeps the loop within LLVM's limit of run-time overlap checks
            # (past it, the conductance-based loop is not vectorised: 4x slower)
            state.w[i] = w
        if redo_adex:
            # a step done again by adex_substeps keeps its inputs until then
            ring[slot_next, e] = arrived_e if fired else 0.0
            ring[slot_next, e + _U1] = arrived_i if fired else 0.0
        else:
            ring[slot_next, e] = 0.0
            ring[slot_next, e + _U1] = 0.0
    for i in range(lo, hi):
        if state.fired[i]:
            if redo_adex and not adex_substeps(i, slot_next, neurons, state):
                continue
            n_spiking = note_spike(i, 1, n_spiking, first, now, state)
    return n_spiking


@njit(cache=True, error_model="numpy", inline="always")
def neuron_run_of_kind(kind, method, start, stop, n_spiking, first, step, dt, cells,
                       neurons, state):
    """``neuron_run`` with ``kind`` and adaptation made constants (``method`` already
    is one); only conductance-based cells have adaptation (EIF_cond_exp_isfa_ista)."""
    if kind == KIND_COND_EXP:
        if neurons.adex[cells.block_cells[start]]:
            return neuron_run(KIND_COND_EXP, True, method, start, stop, n_spiking, first,
                              step, dt, cells, neurons, state)
        return neuron_run(KIND_COND_EXP, False, method, start, stop, n_spiking, first,
                          step, dt, cells, neurons, state)
    if kind == KIND_CURR_EXP:
        return neuron_run(KIND_CURR_EXP, False, method, start, stop, n_spiking, first,
                          step, dt, cells, neurons, state)
    return neuron_run(KIND_CURR_DELTA, False, method, start, stop, n_spiking, first, step,
                      dt, cells, neurons, state)


@njit(cache=True, error_model="numpy", inline="always")
def deliver_direct(s, scale, step, synapses, state):
    """Add ``scale`` times the weight of synapse ``s``, a one-synapse Poisson source's
    (in its target's block), onto the target: due ``delay`` after ``step`` ends."""
    ring = state.ring
    slot = (step + 1 + synapses.delay[s]) & (ring.shape[0] - 1)
    ring[slot, synapses.column[s]] += scale * synapses.weight[s]


@njit(cache=True, error_model="numpy", inline="always")
def poisson_run(start, stop, n_spiking, first, step, seed_hash, cells, synapses,
                plasticity, state, record_spikes):
    """Draw this step's spikes of the Poisson sources at positions [start, stop).

    A source with one synapse that is neither recorded nor plastic adds its spikes
    onto its target at once (the common background drive: no spike list, no second
    pass); the others are listed. Returns ``(n_spiking, events delivered)``."""
    now = step & 1
    events = 0
    for position in range(start, stop):
        i = cells.block_cells[position]
        count = 0
        mean = cells.poisson_mean[i]
        dense = mean >= SPARSE_POISSON_MEAN
        if not dense:
            # sparse: exponential intervals (in steps) from the source's own
            # numbered uniforms; poisson_next is the next spike's time in steps
            if state.poisson_drawn[i] == 0 and mean > 0.0:
                state.poisson_next[i] = (cells.active_from[i]
                                         - np.log(1.0 - uniform(seed_hash, i, 0)) / mean)
                state.poisson_drawn[i] = 1
            while (state.poisson_drawn[i] > 0 and state.poisson_next[i] < step + 1
                   and state.poisson_next[i] < cells.active_until[i]):
                count += 1
                u = uniform(seed_hash, i, state.poisson_drawn[i])
                state.poisson_next[i] -= np.log(1.0 - u) / mean
                state.poisson_drawn[i] += 1
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


@njit(cache=True, error_model="numpy", inline="always")
def array_run(start, stop, n_spiking, first, step, cells, state):
    """This step's spikes of the spike-array sources at positions [start, stop)."""
    now = step & 1
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


@njit(cache=True, error_model="numpy")
def advance_block(b, step, dt, method, seed_hash, cells, neurons, synapses, plasticity,
                  state, record_spikes):
    """Advance block ``b``'s cells by one step and file every spike under each block
    it has synapses in (in cell order), in the buffers of this step's parity; the
    next step delivers them. A Poisson source with a single synapse sits in its
    target's block and adds its spikes onto the target at once (``direct_synapse``;
    most do so in ``poisson_run``)."""
    first = cells.block_offset[b]
    now = step & 1
    n_recorded = 0
    n_spiking = 0
    events = 0
    # row b of bucket_fill is this block's alone: no cache line is shared per spike
    state.bucket_fill[now, b, :] = 0
    # runs of one kind (populations are contiguous): each run gets a loop compiled
    # for its kind and method, without the others' branches
    position = first
    while position < cells.block_offset[b + 1]:
        stop = cells.kind_run_end[position]
        k = cells.kind[cells.block_cells[position]]
        if k == KIND_POISSON:
            n_spiking, delivered = poisson_run(position, stop, n_spiking, first, step,
                                               seed_hash, cells, synapses, plasticity,
                                               state, record_spikes)
            events += delivered
        elif k == KIND_ARRAY:
            n_spiking = array_run(position, stop, n_spiking, first, step, cells, state)
        elif method == METHOD_RK2:
            n_spiking = neuron_run_of_kind(k, METHOD_RK2, position, stop, n_spiking,
                                           first, step, dt, cells, neurons, state)
        else:
            n_spiking = neuron_run_of_kind(k, METHOD_EXPONENTIAL, position, stop,
                                           n_spiking, first, step, dt, cells, neurons,
                                           state)
        position = stop
    if cells.input_limited:
        limit_input(first, n_spiking, step, seed_hash, cells, state)
    # the step's spikes, in cell order: count, file, record
    for position in range(first, first + n_spiking):
        i = state.spiking[position]
        count = state.emitted[now, i]
        if count == 0:
            continue  # all of a source's spikes dropped at the input
        state.spike_total[i] += count
        if plasticity.cell_pointer[i + 1] > plasticity.cell_pointer[i]:
            emit_plastic(i, count, step, dt, plasticity, state)
        s = cells.direct_synapse[i]
        if s >= 0:
            scale = float(count)
            if plasticity.synapse_slot.shape[0] > 0 and plasticity.synapse_slot[s] >= 0:
                scale = state.stp_efficacy[now, plasticity.synapse_slot[s]]
            deliver_direct(s, scale, step, synapses, state)
            events += count
        else:
            for e in range(synapses.entry_pointer[i], synapses.entry_pointer[i + 1]):
                target = synapses.entry_block[e]
                state.bucket[now, target, first + state.bucket_fill[now, b, target]] = e
                state.bucket_fill[now, b, target] += 1
        if record_spikes[i]:
            state.recorded_cell[first + n_recorded] = i
            n_recorded += 1
    state.recorded_fill[b] = n_recorded
    state.block_events[b] += events


@njit(cache=True, parallel=True, error_model="numpy")
def run_steps(first_step, n_steps, dt, method, seed_hash, cells, neurons, synapses,
              plasticity, state, recording):
    """Advance the network by up to ``n_steps`` steps from ``first_step``.

    Stops early when the spike record could overflow in the next step (the caller
    drains it and calls again). Returns ``(steps_done, samples_written)``. Spike
    buffers alternate between steps (indexed by step parity), so a run can stop and
    resume at any step.
    """
    n_blocks = cells.block_offset.shape[0] - 1
    n_recordable = 0
    for c in range(recording.spikes.shape[0]):
        n_recordable += recording.spikes[c]
    capacity = recording.out_cell.shape[0]
    dynamics = (state.v, state.syn_e, state.syn_i, state.w)
    samples = 0
    done = 0
    while done < n_steps:
        if recording.out_used[0] + n_recordable > capacity:
            break
        step = first_step + done
        # one parallel region per step: each block first takes the spikes filed in
        # the previous step (all blocks finished it), then advances its own cells
        for b in prange(n_blocks):
            # the parallel loop's index is unsigned: as int64 the block functions are
            # compiled once, not once per index type (which doubled compilation)
            block = np.int64(b)
            deliver_block(block, step, synapses, plasticity, state, cells.block_offset)
            advance_block(block, step, dt, method, seed_hash, cells, neurons, synapses,
                          plasticity, state, recording.spikes)
        used = recording.out_used[0]
        now = step & 1
        for b in range(n_blocks):
            base = cells.block_offset[b]
            for j in range(state.recorded_fill[b]):
                cell = state.recorded_cell[base + j]
                recording.out_cell[used] = cell
                recording.out_step[used] = step
                recording.out_count[used] = state.emitted[now, cell]
                used += 1
        recording.out_used[0] = used
        if recording.trace_every > 0 and (step + 1) % recording.trace_every == 0:
            for r in range(recording.trace_cells.shape[0]):
                for column in range(recording.trace_state.shape[0]):
                    variable = dynamics[recording.trace_state[column]]
                    recording.traces[samples, column, r] = variable[recording.trace_cells[r]]
            samples += 1
        done += 1
    return done, samples


def _twin(function, name: str):
    """The same Python function under another name: numba names its cache files after
    the function, so a second compilation of one function would overwrite the first's."""
    twin = types.FunctionType(function.__code__, function.__globals__, name,
                              function.__defaults__, function.__closure__)
    twin.__qualname__ = name
    twin.__doc__ = function.__doc__
    return twin


#: The same steps on the calling thread alone, for networks of a single block: a
#: parallel region per step would only add thread hand-offs (and, with other busy
#: processes on the machine, waits for descheduled threads).
run_steps_serial = njit(cache=True, error_model="numpy")(
    _twin(run_steps.py_func, "run_steps_serial"))
