"""The data contracts of the kernels: the codes and the named tuples of flat arrays.

Everything the kernels work on is flat arrays prepared by :mod:`bss1lab.emulator.layout`,
grouped in the named tuples below; all validation and bookkeeping stay in Python.
Units: ms, mV, nF, nA, uS.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# Kinds of cell.
KIND_COND_EXP = 0      # IF_cond_exp, EIF_cond_exp_isfa_ista
KIND_CURR_EXP = 1      # IF_curr_exp
KIND_CURR_DELTA = 2    # IF_curr_delta
KIND_POISSON = 3       # SpikeSourcePoisson
KIND_ARRAY = 4         # SpikeSourceArray

#: Entries of each Poisson source's cumulative table kept by block position
#: (``Cells.poisson_head``), from which ``sources.poisson_counts`` draws the counts 0
#: to 2 without a table look-up: a source of up to 0.25 spikes per step needs its
#: table in fewer than 0.25 % of the steps (P(count >= 3)).
POISSON_HEAD = 3

# Short-term plasticity models.
STP_TSODYKS_MARKRAM = 0   # NEST's tsodyks2_synapse: the ideal reference
STP_WAFER_DEPRESSION = 1  # the synapse driver's circuit, depressing
STP_WAFER_FACILITATION = 2  # and facilitating

# Integration methods of the membrane equation.
METHOD_EXPONENTIAL = 0  # exponential Euler with step-averaged synaptic input (AdEx:
                        # exponential Rosenbrock-Euler, spikes inside the step as NEST)
METHOD_RK2 = 1          # Heun's second-order Runge-Kutta

#: The longest synchronisation window, steps (``scheduler.run_steps``): the step
#: buffers hold two windows (the buckets: ``step_buffer_depth`` x blocks x cells
#: int32), and past a few steps the threads' meetings cost little anyway.
MAX_WINDOW = 8


def sync_window(delay_steps: np.ndarray) -> int:
    """Steps the blocks may run apart between meetings: the shortest delay (a spike
    emitted inside a window is not due before the window ends), at most
    ``MAX_WINDOW``. Short-term plasticity does not bound it: each step's summed
    efficacies are kept in that step's slot as long as its spikes
    (``State.stp_efficacy``), and a cell's plastic states change only in its own block.

    Parameters
    ----------
    delay_steps : int array
        Every synapse's delay, steps (>= 1).
    """
    shortest = int(delay_steps.min()) if delay_steps.size else MAX_WINDOW
    return max(1, min(MAX_WINDOW, shortest))


def step_buffer_depth(window: int) -> int:
    """Steps the step buffers keep (``emitted``, ``bucket``, ...): a power of two of
    at least two windows, the one being delivered and the one being filled."""
    return 1 << (2 * window - 1).bit_length()


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
    # the same factors for an AdEx sub-step (dt / neuron.ADEX_SUBSTEPS)
    substep_decay_E: np.ndarray
    substep_mean_E: np.ndarray
    substep_decay_I: np.ndarray
    substep_mean_I: np.ndarray
    substep_decay_w: np.ndarray


#: Records with the fields of NeuronParameters, for building them population by
#: population (``layout.neuron_parameters``).
PARAMETER_DTYPE = np.dtype([(name, "i8" if name in ("refractory_steps", "adex") else "f8")
                            for name in NeuronParameters._fields])


class Cells(NamedTuple):
    """Per-cell constants and the block split (see ``layout.Layout``)."""

    kind: np.ndarray             # int8, KIND_*
    block_offset: np.ndarray     # block b's cells: block_cells[offset[b]:offset[b + 1]]
    block_cells: np.ndarray
    kind_run_end: np.ndarray     # per block position: where its run of one kind ends
    poisson_head: np.ndarray     # [POISSON_HEAD, block position]: the first entries
                                 # of each source's table
    poisson_cdf: np.ndarray      # inversion tables (layout.PoissonTables)
    poisson_cdf_start: np.ndarray
    poisson_guide: np.ndarray
    poisson_guide_start: np.ndarray
    poisson_guide_size: np.ndarray
    active_from: np.ndarray      # by block position: Poisson sources fire in steps
    active_until: np.ndarray     # [from, until)
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
    ring: np.ndarray             # input due per slot (time) and column; float32 (the
                                 # weights' precision): half the memory traffic
    emitted: np.ndarray          # [step slot, cell] spikes emitted in the step
    bucket: np.ndarray           # [step slot, target block, position] filed entries
    bucket_fill: np.ndarray      # [step slot, emitting block, target block] counts
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
    stp_efficacy: np.ndarray     # [step slot, slot]: summed efficacy of the step's spikes
    recorded_cell: np.ndarray    # [step slot, block position]: cells whose spikes the
                                 # step records
    recorded_fill: np.ndarray
    spiking: np.ndarray          # per block: cells that spiked in the step (scratch)
    fired: np.ndarray            # uint8 per cell: spiked in the step (scratch)
    pending: np.ndarray          # per block: positions of Poisson sources that drew
                                 # spikes, then limited sources that spiked (scratch)
    drawn: np.ndarray            # int32 by block position: Poisson counts (scratch)


class Recording(NamedTuple):
    """What to record and where to put it."""

    spikes: np.ndarray           # uint8 per cell: record its spikes
    out_cell: np.ndarray         # recorded spikes ...
    out_step: np.ndarray
    out_count: np.ndarray
    out_used: np.ndarray         # [0]: entries used
    trace_cells: np.ndarray      # traced cells
    trace_block: np.ndarray      # int64, the block of each traced cell
    trace_state: np.ndarray      # state per trace column: 0 v, 1 syn_e, 2 syn_i, 3 w
    trace_every: int             # steps between samples, 0: none
    traces: np.ndarray           # [sample, column, traced cell]
