"""The step scheduler: one step of the whole network, block by block, in parallel.

The blocks meet once per synchronisation window, not once per step (``run_steps``):
the shortest delay bounds how far they may run apart, as NEST's min_delay does.

Determinism: the cells are split into fixed blocks (independent of the thread count),
each holding an equal share of every population so the blocks cost about the same.
Each block adds the spikes onto its own cells in a fixed order (``delivery``), so every
sum is taken in the same order whatever thread runs which block, and the random numbers
come from a counter-based generator (``generator``): results depend neither on
scheduling nor on how a run is split.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numba.extending import register_jitable

from bss1lab.emulator.contracts import (KIND_ARRAY, KIND_COND_EXP, KIND_CURR_EXP,
                                        KIND_POISSON, Cells, NeuronParameters, Plasticity)
from bss1lab.emulator.delivery import deliver_block, deliver_direct, emit_plastic, step_slot
from bss1lab.emulator.neuron import LOOPS, METHOD_NAMES, neuron_loop
from bss1lab.emulator.sources import array_run, limit_input, poisson_run
from bss1lab.emulator.twins import twin

__all__ = ["FEATURES", "kernel", "kernels", "loops_of", "features_of"]

#: What a kernel variant runs (``kernel``), set in each variant's copy of the
#: functions below as compile-time constants: whether it has cells of each loop of
#: ``neuron.LOOPS`` and that loop's compiled function, and whether it has each of the
#: ``FEATURES``. A variant compiles only its loops and features; the defaults here
#: are no variant's.
HAS_COND_EXP = HAS_ADEX = HAS_CURR_EXP = HAS_CURR_DELTA = False
RUN_COND_EXP = RUN_ADEX = RUN_CURR_EXP = RUN_CURR_DELTA = None
HAS_SPIKE_ARRAYS = HAS_PLASTICITY = False
#: The parts of a block's step that only some networks need: spike-array sources
#: (``array_run``) and plastic synapses (``emit_plastic``, the efficacy of a plastic
#: one-synapse source).
FEATURES = ("spike_arrays", "plasticity")


def advance_block(b, step, dt, seed_hash, cells, neurons, synapses, plasticity, state,
                  record_spikes):
    """Advance block ``b``'s cells by one step and file every spike under each block
    it has synapses in (in cell order), in the buffers of this step (``step_slot``);
    the next synchronisation window delivers them. A Poisson source with a single synapse sits in its
    target's block and adds its spikes onto the target at once (``direct_synapse``;
    most do so in ``poisson_run``)."""
    first = cells.block_offset[b]
    now = step_slot(step, state)
    n_recorded = 0
    # int64, not the literal 0: numba would first compile every function it is
    # passed to for a literal 0 and then again for int64
    n_spiking = np.int64(0)
    events = 0
    # row b of bucket_fill is this block's alone: no cache line is shared per spike
    state.bucket_fill[now, b, :] = 0
    # runs of one kind (populations are contiguous): each run gets a loop compiled
    # for its kind and method, without the others' branches; a variant has the loops
    # of its network's kinds (``kernel``)
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
            if HAS_SPIKE_ARRAYS:
                n_spiking = array_run(position, stop, n_spiking, first, step, cells,
                                      state)
        elif k == KIND_COND_EXP and neurons.adex[cells.block_cells[position]]:
            if HAS_ADEX:
                n_spiking = RUN_ADEX(position, stop, n_spiking, first, step, dt, cells,
                                     neurons, state)
        elif k == KIND_COND_EXP:
            if HAS_COND_EXP:
                n_spiking = RUN_COND_EXP(position, stop, n_spiking, first, step, dt,
                                         cells, neurons, state)
        elif k == KIND_CURR_EXP:
            if HAS_CURR_EXP:
                n_spiking = RUN_CURR_EXP(position, stop, n_spiking, first, step, dt,
                                         cells, neurons, state)
        elif HAS_CURR_DELTA:
            n_spiking = RUN_CURR_DELTA(position, stop, n_spiking, first, step, dt, cells,
                                       neurons, state)
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
        if HAS_PLASTICITY and plasticity.cell_pointer[i + 1] > plasticity.cell_pointer[i]:
            emit_plastic(i, count, step, dt, plasticity, state)
        s = cells.direct_synapse[i]
        if s >= 0:
            scale = float(count)
            if (HAS_PLASTICITY and plasticity.synapse_slot.shape[0] > 0
                    and plasticity.synapse_slot[s] >= 0):
                scale = state.stp_efficacy[now, plasticity.synapse_slot[s]]
            deliver_direct(s, scale, step, synapses, state)
            events += count
        else:
            for e in range(synapses.entry_pointer[i], synapses.entry_pointer[i + 1]):
                target = synapses.entry_block[e]
                state.bucket[now, target, first + state.bucket_fill[now, b, target]] = e
                state.bucket_fill[now, b, target] += 1
        if record_spikes[i]:
            state.recorded_cell[now, first + n_recorded] = i
            n_recorded += 1
    state.recorded_fill[now, b] = n_recorded
    state.block_events[b] += events


@register_jitable(cache=True, error_model="numpy")
def sample_traces(b, sample, state, recording):
    """Write the state of block ``b``'s traced cells into row ``sample`` of the
    traces (only a cell's own block changes its state)."""
    dynamics = (state.v, state.syn_e, state.syn_i, state.w)
    for r in range(recording.trace_cells.shape[0]):
        if recording.trace_block[r] == b:
            for column in range(recording.trace_state.shape[0]):
                variable = dynamics[recording.trace_state[column]]
                recording.traces[sample, column, r] = variable[recording.trace_cells[r]]


def run_steps(first_step, n_steps, window, dt, seed_hash, cells, neurons, synapses,
              plasticity, state, recording):
    """Advance the network by up to ``n_steps`` steps from ``first_step``.

    The blocks run apart for up to ``window`` steps (at most the shortest delay, in
    steps; NEST's min_delay): windows start at multiples of ``window``, and at the
    start of each every block first takes the spikes all blocks emitted in the
    previous one, step by step in the order of the steps, emitting blocks and cells.
    No spike emitted inside a window is due before the window ends, so the threads
    meet once a window, not once a step, and the result does not depend on how the
    work is split between threads or calls. Each block samples its own traced
    cells after the steps that end on a multiple of the trace interval. A parallel
    region also ends where the spike record could overflow (the caller drains it
    and calls again). Returns ``(steps_done, samples_written)``.
    """
    n_blocks = cells.block_offset.shape[0] - 1
    n_recordable = 0
    for c in range(recording.spikes.shape[0]):
        n_recordable += recording.spikes[c]
    capacity = recording.out_cell.shape[0]
    every = recording.trace_every
    samples = 0
    done = 0
    while done < n_steps:
        start = first_step + done
        stop = min(first_step + n_steps, (start // window + 1) * window)
        if n_recordable > 0:
            fits = (capacity - recording.out_used[0]) // n_recordable
            if fits == 0:
                break
            stop = min(stop, start + fits)
        deliver = start % window == 0
        for b in prange(n_blocks):
            # the parallel loop's index is unsigned: as int64 the block functions are
            # compiled once, not once per index type (which doubled compilation)
            block = np.int64(b)
            if deliver:
                for step in range(max(start - window, 0), start):
                    deliver_block(block, step + 1, synapses, plasticity, state,
                                  cells.block_offset)
            for step in range(start, stop):
                advance_block(block, step, dt, seed_hash, cells, neurons, synapses,
                              plasticity, state, recording.spikes)
                if every > 0 and (step + 1) % every == 0:
                    row = samples + (step + 1) // every - start // every - 1
                    sample_traces(block, row, state, recording)
        used = recording.out_used[0]
        for step in range(start, stop):
            now = step_slot(step, state)
            for b in range(n_blocks):
                base = cells.block_offset[b]
                for j in range(state.recorded_fill[now, b]):
                    cell = state.recorded_cell[now, base + j]
                    recording.out_cell[used] = cell
                    recording.out_step[used] = step
                    recording.out_count[used] = state.emitted[now, cell]
                    used += 1
        recording.out_used[0] = used
        if every > 0:
            samples += stop // every - start // every
        done += stop - start
    return done, samples


def loops_of(cells: Cells, neurons: NeuronParameters) -> tuple[str, ...]:
    """The names of the loops (``neuron.LOOPS``) of a network's neurons, in
    ``LOOPS``'s order."""
    adex = neurons.adex.astype(bool)
    return tuple(loop for loop, (kind, with_adex) in LOOPS.items()
                 if np.any((cells.kind == kind) & (adex == with_adex)))


def features_of(cells: Cells, plasticity: Plasticity) -> tuple[str, ...]:
    """The ``FEATURES`` a network needs, in ``FEATURES``' order."""
    needed = {"spike_arrays": bool(np.any(cells.kind == KIND_ARRAY)),
              "plasticity": plasticity.synapse_slot.shape[0] > 0}
    return tuple(feature for feature in FEATURES if needed[feature])


Key = tuple[bool, int, tuple[str, ...], tuple[str, ...]]
_kernels: dict[Key, object] = {}


def kernel(parallel: bool, method: int, loops: tuple[str, ...],
           features: tuple[str, ...] = FEATURES):
    """``run_steps`` compiled for networks of the neuron ``loops`` (``loops_of``),
    the ``features`` (``features_of``) and integration ``method``
    (``contracts.METHOD_*``), on all threads (``parallel``) or on the calling thread
    alone.

    Each variant is compiled on its first call (or loaded from numba's cache) with
    only its own loops, so a network compiles neither the other integration method
    nor the kinds it does not have. The serial variant is for networks of a single
    block: a parallel region would only add thread hand-offs (and, with other busy
    processes on the machine, waits for descheduled threads).

    Only the parallel variants leave out the features a network does not use: their
    compilation takes twice the serial one's, and a network without spike arrays
    and plastic synapses (the course's large networks) saves about a tenth of it.
    The serial variant has them all, so that the small networks and single neurons
    a student tries one after the other, with and without input spikes and plastic
    synapses, share one compilation.
    """
    if not parallel:
        features = FEATURES
    key = (bool(parallel), int(method), tuple(loops), tuple(features))
    if key not in _kernels:
        for name, given, allowed in (("loops", loops, LOOPS), ("features", features,
                                                               FEATURES)):
            if set(given) - set(allowed):
                raise ValueError(f"kernel: {name}={given!r}; allowed: {list(allowed)}")
        if tuple(features) != tuple(f for f in FEATURES if f in features):
            raise ValueError(f"kernel: features={features!r} must be distinct and in "
                             f"FEATURES' order {FEATURES} (as features_of gives them)")
        # the loops' names after the method, then the features' after "__"
        # (``compiling.compiling_now`` reads the loops back)
        suffix = "_".join((METHOD_NAMES[method],) + tuple(loops))
        if features:
            suffix += "__" + "_".join(features)
        name = f"run_steps_{suffix}" if parallel else f"run_steps_serial_{suffix}"
        _kernels[key] = njit(cache=True, parallel=bool(parallel), error_model="numpy")(
            twin(run_steps, name,
                 advance_block=_advance_block(suffix, method, loops, features)))
    return _kernels[key]


_advance_blocks: dict[str, object] = {}


def _advance_block(suffix: str, method: int, loops: tuple[str, ...],
                   features: tuple[str, ...]):
    """``advance_block`` of ``loops``, ``features`` and ``method``, one for the serial
    and the parallel kernel (numba would otherwise compile it twice, into one cache
    file)."""
    if suffix not in _advance_blocks:
        constants = {f"HAS_{feature.upper()}": True for feature in features}
        for loop in loops:
            constants[f"HAS_{loop.upper()}"] = True
            constants[f"RUN_{loop.upper()}"] = neuron_loop(loop, method)
        _advance_blocks[suffix] = register_jitable(cache=True, error_model="numpy")(
            twin(advance_block, f"advance_block_{suffix}", **constants))
    return _advance_blocks[suffix]


def kernels() -> dict[Key, object]:
    """The kernel variants made in this process, by ``(parallel, method, loops,
    features)``."""
    return dict(_kernels)
