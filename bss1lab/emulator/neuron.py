"""The neuron step: one time step of every neuron, and the runs of them a block makes.

Timing (NEST's convention): step n covers [n dt, (n + 1) dt). A neuron integrates over
the step, takes the inputs due at (n + 1) dt, and is then checked against its
threshold; a spike is stamped (n + 1) dt and is due at its targets ``delay`` later.
Units: ms, mV, nF, nA, uS.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable

from bss1lab.emulator.contracts import (KIND_COND_EXP, KIND_CURR_DELTA, KIND_CURR_EXP,
                                        METHOD_EXPONENTIAL, METHOD_RK2)
from bss1lab.emulator.delivery import note_spike, step_slot
from bss1lab.emulator.twins import twin

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
#: Chosen against NEST (tests/test_adex_vs_nest.py): 0.1 with 4 or 8 sub-steps keeps
#: the first 20 spikes of every case within a step of NEST's, and the adaptation
#: current through the first spike within 2e-5 nA; 0.2 or 0.3 with 4 lets spikes slip
#: by 2 steps and the first spike's jump of w land a step off. 4 sub-steps cost 0.9x
#: of 8 (bench/adex_cost.py).
ADEX_SUBSTEP_GROWTH = 0.1
ADEX_SUBSTEPS = 4
#: Smallest |conductance| (uS) the AdEx step divides by: the linearised exponential
#: term can cancel the leak and synaptic conductances exactly.
G_TINY = 1e-12

_U1 = np.uint64(1)


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
    times with expm1(2z) = expm1(z) (2 + expm1(z)).

    The series is summed by Estrin's scheme (pairs of terms, then pairs of pairs with
    y^2, y^4, y^8), not Horner's: its chain of dependent operations is 9 long instead
    of 26, and that chain, not the arithmetic, bounded the conductance-based loop."""
    y = -min(x, 64.0) * (1.0 / 128.0)
    y2 = y * y
    y4 = y2 * y2
    y8 = y4 * y4
    # the coefficients of y^k are 1 / (k + 1)!
    terms_0_3 = (1.0 + y * (1.0 / 2)) + y2 * ((1.0 / 6) + y * (1.0 / 24))
    terms_4_7 = ((1.0 / 120) + y * (1.0 / 720)) + y2 * ((1.0 / 5040) + y * (1.0 / 40320))
    terms_8_11 = (((1.0 / 362880) + y * (1.0 / 3628800))
                  + y2 * ((1.0 / 39916800) + y * (1.0 / 479001600)))
    term_12 = 1.0 / 6227020800
    e = y * ((terms_0_3 + y4 * terms_4_7) + y8 * (terms_8_11 + y4 * term_12))
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
    # exponentially over the step (capped far beyond any spike). The exponential term
    # keeps this loop from being vectorised anyway, and one call of libm's expm1 is
    # cheaper than expm1_minus's chain of multiplications on one number at a time
    v_new = v + (v - drive / g_total) * np.expm1(min(-g_total * dt_over_cm,
                                                     EXP_ARGUMENT_MAX))
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


#: The constants of a neuron loop, set in each twin ``neuron_loop`` makes of
#: ``neuron_step`` and ``neuron_run``: the cell kind (``KIND_*``), whether it has
#: adaptation and the exponential term (AdEx), the integration method (``METHOD_*``),
#: whether a step may be done again in sub-steps (AdEx with the exponential method),
#: and the loop's ``neuron_step``. As globals, numba removes the branches they decide
#: before it inlines what they call: a loop inlines only its own integrator.
LOOP_KIND = LOOP_METHOD = LOOP_STEP = None
LOOP_ADEX = LOOP_SUBSTEPS = False


def neuron_step(v, syn_e, syn_i, w, refractory, i_ext, arrived_e, arrived_i, dt, q, i):
    """Advance neuron ``i`` by one step (a template: see ``LOOP_KIND``).

    Takes the cell's state, the inputs due at the end of the step and the parameters
    ``q``; returns the new ``(v, syn_e, syn_i, w, refractory, spiked)``. Every
    parameter is read unconditionally and the cases are selected rather than
    branched: numba then neither counts references per cell nor stops the compiler
    from vectorising a loop of these over consecutive cells.

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
    if LOOP_METHOD == METHOD_RK2:
        v_free, w_free = integrate_rk2(LOOP_KIND, LOOP_ADEX, v, w, syn_e, syn_i, current,
                                       dt, q, i)
    elif LOOP_ADEX:
        v_free, w_free, growth = integrate_adex(v, w, syn_e, syn_i, current, q.mean_E[i],
                                                q.mean_I[i], q.decay_w[i],
                                                q.dt_over_cm[i], q, i)
    else:
        v_free = integrate_exponential(LOOP_KIND, v, w, syn_e, syn_i, current, q, i)
        w_free = w
    # ... or, while refractory, clamped at reset; the adaptation relaxes exactly
    # since v is constant
    w_clamped = w
    if LOOP_ADEX:
        w_inf = q.a[i] * (v_reset - v_rest)
        w_clamped = w_inf + (w - w_inf) * q.decay_w[i]
    clamped = refractory > 0
    v = v_reset if clamped else v_free
    w = w_clamped if clamped else w_free
    refractory = refractory - 1 if clamped else refractory
    syn_e *= decay_e
    syn_i *= decay_i
    if LOOP_KIND == KIND_CURR_DELTA:
        # as NEST's iaf_psc_delta: inputs while refractory are lost
        v = v if clamped else v + (arrived_e + arrived_i)
    else:
        syn_e += arrived_e
        syn_i += arrived_i
    if LOOP_SUBSTEPS:
        redo = ((v_free >= v_peak) | (growth > ADEX_SUBSTEP_GROWTH)) & (not clamped)
        return (v_start if redo else flushed(v), syn_e_start if redo else flushed(syn_e),
                syn_i_start if redo else flushed(syn_i), w_start if redo else flushed(w),
                refractory, redo)
    spiked = (v >= v_peak) & (not clamped)
    v = v_reset if spiked else v
    refractory = refractory_steps if spiked else refractory
    if LOOP_ADEX:
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
def adex_substep_run(v, w, syn_e, syn_i, current, fraction, decay_e, mean_e, decay_i,
                     mean_i, decay_w, q, i):
    """``ADEX_SUBSTEPS`` sub-steps of ``integrate_adex``, each ``fraction`` of a step
    long, stopping where v reaches v_peak; ``decay_e``, ``mean_e``, ``decay_i``,
    ``mean_i`` and ``decay_w`` are the synaptic and adaptation factors of such a
    sub-step (``partial_decay``). Returns ``(v, w, syn_e, syn_i, crossed, done)`` at
    the end or at the crossing, ``done`` the steps done."""
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


@register_jitable(cache=True, error_model="numpy")
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
    # the sub-steps' factors are the layout's (exp and log are dear here: a spike's
    # upswing is done again for several steps)
    v, w, syn_e_now, syn_i_now, spiked, done = adex_substep_run(
        state.v[i], state.w[i], syn_e, syn_i, current, 1.0 / ADEX_SUBSTEPS,
        q.substep_decay_E[i], q.substep_mean_E[i], q.substep_decay_I[i],
        q.substep_mean_I[i], q.substep_decay_w[i], q, i)
    if spiked:
        v = q.v_reset[i]
        w += q.b[i]
        rest = 1.0 - done
        if q.refractory_steps[i] > 0:
            w_inf = q.a[i] * (v - q.v_rest[i])
            w = w_inf + (w - w_inf) * partial_decay(q.decay_w[i], rest)[0]
        elif rest > 0.0:
            fraction = rest / ADEX_SUBSTEPS
            decay_e, mean_e = partial_decay(q.decay_E[i], fraction)
            decay_i, mean_i = partial_decay(q.decay_I[i], fraction)
            v, w, _, _, again, _ = adex_substep_run(
                v, w, syn_e_now, syn_i_now, current, fraction, decay_e, mean_e, decay_i,
                mean_i, partial_decay(q.decay_w[i], fraction)[0], q, i)
            if again:
                v = max(v, q.v_peak[i])  # spikes at the end of the next step
        state.refractory[i] = q.refractory_steps[i]
    state.v[i] = flushed(v)
    state.w[i] = flushed(w)
    state.syn_e[i] = flushed(syn_e * q.decay_E[i] + arrived_e)
    state.syn_i[i] = flushed(syn_i * q.decay_I[i] + arrived_i)
    state.fired[i] = spiked
    return spiked


def neuron_run(start, stop, n_spiking, first, step, dt, cells, neurons, state):
    """Advance the neurons at block positions [start, stop): consecutive cells, all of
    ``LOOP_KIND`` and all with or all without adaptation (``layout.kind_run_ends``); a
    template, compiled once per combination of the loop's constants (``neuron_loop``).
    First every cell (the compiler vectorises this loop where it can), then the ones
    that spiked are listed."""
    now = step_slot(step, state)
    ring = state.ring
    slot_next = (step + 1) & (ring.shape[0] - 1)
    lo = cells.block_cells[start]
    hi = lo + stop - start
    n_fired = 0
    # unsigned indices: numba then leaves out its wrap-around of negative indices,
    # which would keep LLVM from vectorising the loop (4x slower)
    for i in range(np.uint64(lo), np.uint64(hi)):
        e = i + i  # the cell's ring columns: 2 i (excitatory) and 2 i + 1
        arrived_e = ring[slot_next, e]
        arrived_i = ring[slot_next, e + _U1]
        (state.v[i], state.syn_e[i], state.syn_i[i], w, state.refractory[i],
         fired) = LOOP_STEP(state.v[i], state.syn_e[i], state.syn_i[i], state.w[i],
                            state.refractory[i], state.i_ext[i], arrived_e, arrived_i,
                            dt, neurons, i)
        state.fired[i] = fired
        n_fired += fired
        if LOOP_ADEX or LOOP_METHOD == METHOD_RK2:
            # without adaptation exponential Euler leaves w alone; one array fewer
            # to write keeps the loop within LLVM's limit of run-time overlap checks
            # (past it, the conductance-based loop is not vectorised: 4x slower)
            state.w[i] = w
        if LOOP_SUBSTEPS:
            # a step done again by adex_substeps keeps its inputs until then
            ring[slot_next, e] = arrived_e if fired else 0.0
            ring[slot_next, e + _U1] = arrived_i if fired else 0.0
        else:
            ring[slot_next, e] = 0.0
            ring[slot_next, e + _U1] = 0.0
    # the scan for them stops at the last (a step's spikes are a few cells of many)
    i = np.uint64(lo)
    while n_fired > 0:
        if state.fired[i]:
            n_fired -= 1
            if not LOOP_SUBSTEPS or adex_substeps(np.int64(i), slot_next, neurons, state):
                n_spiking = note_spike(i, 1, n_spiking, first, now, state)
        i += _U1
    return n_spiking


#: The loops a block runs, by name: (kind, adaptation). Only conductance-based cells
#: have adaptation (EIF_cond_exp_isfa_ista).
LOOPS = {"cond_exp": (KIND_COND_EXP, False), "adex": (KIND_COND_EXP, True),
         "curr_exp": (KIND_CURR_EXP, False), "curr_delta": (KIND_CURR_DELTA, False)}
#: The integration methods' names in the loops' names.
METHOD_NAMES = {METHOD_EXPONENTIAL: "exponential", METHOD_RK2: "rk2"}
_loops: dict[tuple[str, int], object] = {}


def neuron_loop(loop: str, method: int):
    """The compiled loop of ``loop`` (a name of ``LOOPS``) and ``method``: a function
    of its own, compiled (or loaded from numba's cache) on its first call, so a
    network compiles only the loops of its cells' kinds and its method."""
    if (loop, method) not in _loops:
        kind, adex = LOOPS[loop]
        suffix = f"{loop}_{METHOD_NAMES[method]}"
        constants = {"LOOP_KIND": kind, "LOOP_ADEX": adex, "LOOP_METHOD": method,
                     "LOOP_SUBSTEPS": adex and method == METHOD_EXPONENTIAL}
        step = njit(error_model="numpy", inline="always")(
            twin(neuron_step, f"neuron_step_{suffix}", **constants))
        _loops[loop, method] = register_jitable(cache=True, error_model="numpy")(
            twin(neuron_run, f"neuron_run_{suffix}", LOOP_STEP=step, **constants))
    return _loops[loop, method]


def loops_made() -> list[str]:
    """The names of the loops this process has made for its kernels (a kernel loaded
    from numba's cache holds its loops' code: their own functions then stay empty)."""
    return sorted(f.__name__ for f in _loops.values())
