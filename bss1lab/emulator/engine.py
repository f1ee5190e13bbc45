"""``Emulation``: a mapped network with its state, advanced by ``run(duration)``."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Mapping, Sequence

import numba
import numpy as np

from bss1lab.emulator import scheduler
from bss1lab.emulator.buffers import Readout
from bss1lab.emulator.contracts import (METHOD_EXPONENTIAL, METHOD_RK2, Recording, State,
                                        step_buffer_depth, sync_window)
from bss1lab.emulator.grid import DEFAULT_DT, DT_RANGE, check_dt, steps_of
from bss1lab.emulator.handover import carry_over
from bss1lab.emulator.layout import Layout, check_stability, lay_out
from bss1lab.emulator.recording import STATE_VARIABLES, RecordSpec
from bss1lab.emulator.threads import engine_threads
from bss1lab.emulator.tuning import ThreadTuner
from bss1lab.hardware.mapped import MappedNetwork
from bss1lab.validation import MAX_TIME_MS, as_instance, as_number, as_seed_sequence

__all__ = ["Emulation", "RunChunk", "STATE_VARIABLES", "DEFAULT_DT", "DT_RANGE",
           "check_dt"]

METHODS = {"exponential": METHOD_EXPONENTIAL, "rk2": METHOD_RK2}
#: Spikes recorded per kernel call before Python drains the record.
MIN_SPIKE_BUFFER = 1 << 16


@dataclass
class RunChunk:
    """What one ``Emulation.run`` call recorded (biological time, ms).

    Attributes
    ----------
    start_ms, stop_ms : float
        The interval the call covered.
    spike_cell : int32 array
        Global cell index of every recorded spike, sorted by time then cell: the
        spikes that passed the readout (``MappedNetwork.readout_hicann``).
    spike_time : float64 array
        ms.
    trace_time : float64 array
        Sample times of the state traces, ms.
    traces : dict of str to float64 array (time x traced cell)
    spike_counts : int64 array
        Spikes per cell (recorded or not) in this chunk.
    synaptic_events : int
        Synaptic events delivered in this chunk: every spike reaching every synapse.
    wall_time_s : float
        Wall-clock time the kernel took, s.
    input_dropped : int64 array (``mapped.n_input_links``)
        External spikes the input links dropped in this chunk (not in spike_counts).
    cpu_time_s : float
        CPU time the process spent meanwhile, all its threads, s.
    readout_dropped : int64 array (``mapped.n_readouts``)
        Recorded spikes the readout dropped in this chunk (in spike_counts, not in
        spike_cell).
    """

    start_ms: float
    stop_ms: float
    spike_cell: np.ndarray
    spike_time: np.ndarray
    trace_time: np.ndarray
    traces: dict
    spike_counts: np.ndarray
    synaptic_events: int
    wall_time_s: float
    input_dropped: np.ndarray
    cpu_time_s: float = 0.0
    readout_dropped: np.ndarray = dataclasses.field(
        default_factory=lambda: np.zeros(0, dtype=np.int64))


class Emulation:
    """A mapped network, its state and its recorders.

    ``run(duration)`` advances the network and returns what was recorded; a second
    call continues exactly where the first stopped, so ``run(a); run(b)`` gives the
    same spikes and traces as ``run(a + b)``.

    Parameters
    ----------
    mapped : MappedNetwork
        From ``Wafer.map(network)``.
    seed : int or numpy.random.SeedSequence, optional
        Run seed: fixes the Poisson sources' spikes. None draws one.
    dt : float
        Time step in ms (biological), 0.001..10, default 0.1. Delays, refractory
        periods, spike times and current steps are rounded to this grid; delays
        shorter than a step take one (counted in ``layout.delays_raised``).
    method : {"exponential", "rk2"}
        Membrane integration. ``"exponential"`` (default): exponential Euler, exact for
        constant input; for AdEx cells exponential Rosenbrock-Euler (second order: the
        exponential term linearised over each step), with the spike, as in NEST's
        ``aeif_cond_exp``, where v reaches ``v_spike`` inside the step (found in
        sub-steps), v reset and w increased there. Its spike times stay within a step
        or two of NEST's over 20 spikes (tests/test_adex_vs_nest.py). ``"rk2"``: Heun's
        second-order Runge-Kutta, spikes checked at the ends of steps (AdEx spikes then
        fall behind NEST's, ~5 steps by the 20th);
        it needs every ``tau_m`` and ``tau_w`` above ``dt / 2``. A run whose state becomes
        non-finite stops with a ValueError.
    record_spikes : sequence of str or "all", optional
        Labels of the populations whose spikes are recorded. Default: every
        population of neurons; spike sources only when named or with "all" (an
        independent Poisson drive would otherwise outnumber the network's spikes).
        Spike counts and rates are kept for every cell regardless.
    record_variables : sequence of str
        State variables to trace: ``v`` (mV), ``gsyn_exc``/``gsyn_inh`` (uS) for
        conductance-based cells, ``isyn_exc``/``isyn_inh`` (nA) for ``IF_curr_exp``,
        ``w`` (nA) for AdEx.
    record_cells : mapping of str to sequence of int, optional
        Which cells to trace, as local indices per population label. Default: every
        neuron, if there are at most 1,000.
    record_interval : float, optional
        ms between trace samples, a multiple of ``dt``; default ``dt``.
    record : RecordSpec, optional
        The four ``record_*`` arguments as one specification (``run`` passes its
        own); then leave them at their defaults.

    Attributes
    ----------
    layout : Layout
        The flat arrays the kernels run on.
    window : int
        Steps the kernel's blocks run apart between meetings of its threads: the
        shortest delay in steps of every synapse but the one-synapse sources' (which
        stay in their target's block), at most ``contracts.MAX_WINDOW``.
        Results depend on it only by the order of float sums into one input slot.

    Notes
    -----
    A network of several blocks runs in slices of about 30 ms of wall time, each on
    the thread count ``tuning.ThreadTuner`` finds faster: all the engine's threads,
    or one when another process keeps a core busy (the results are the same).
    state : contracts.State
        The network's state (v, synaptic input, w, ... per cell, global cell order).
    """

    def __init__(self, mapped: MappedNetwork,
                 seed: int | np.random.SeedSequence | None = None, *,
                 dt: float = DEFAULT_DT, method: str = "exponential",
                 record_spikes: Sequence[str] | str | None = None,
                 record_variables: Sequence[str] = (),
                 record_cells: Mapping[str, Sequence[int]] | None = None,
                 record_interval: float | None = None,
                 record: RecordSpec | None = None) -> None:
        as_instance("Emulation", "mapped", mapped, MappedNetwork, "a MappedNetwork; use "
                    "Wafer.map(network) or Wafer.ideal().map(network)")
        keywords = RecordSpec(record_spikes, record_variables, record_cells,
                              record_interval)
        if record is None:
            record = keywords
        else:
            as_instance("Emulation", "record", record, RecordSpec, "a RecordSpec")
            if keywords != RecordSpec():
                raise ValueError("Emulation: give record or the record_* arguments, "
                                 "not both")
        dt = check_dt("Emulation", dt)
        if not isinstance(method, str) or method not in METHODS:
            raise ValueError(f"Emulation: method={method!r}; allowed: {sorted(METHODS)}")
        check_stability(mapped.network, dt, method)
        self.mapped = mapped
        self.dt = float(dt)
        self.method = method
        sequence = as_seed_sequence("Emulation", seed)
        self.seed_sequence = sequence
        self._seed_hash = sequence.generate_state(1, np.uint64)[0]
        self.layout: Layout = lay_out(mapped, self.dt)
        # compiled for this network's neuron kinds, features and method only (on one
        # thread for a network of one block)
        self._kernel = scheduler.kernel(
            self.layout.n_blocks > 1, METHODS[method],
            scheduler.loops_of(self.layout.cells, self.layout.neurons),
            scheduler.features_of(self.layout.cells, self.layout.plasticity))
        # a one-synapse source's spikes go straight onto its target, in its own
        # block: only the synapses between blocks bound the window
        crossing = np.ones(self.layout.synapses.delay.size, dtype=bool)
        direct = self.layout.cells.direct_synapse
        crossing[direct[direct >= 0]] = False
        self.window = sync_window(self.layout.synapses.delay[crossing])
        self._spikes, self._trace_cells, self._variables, self._every = record.resolve(
            mapped.network, self.dt)
        # the kernel's state index of each traced variable, and the block of each
        # traced cell, which samples it
        self._trace_state = np.array([STATE_VARIABLES[v] for v in self._variables],
                                     dtype=np.int64)
        self._trace_block = self.layout.block_of(self._trace_cells)
        buffer = max(MIN_SPIKE_BUFFER, 8 * int(self._spikes.sum()))
        self._out = (np.empty(buffer, dtype=np.int32), np.empty(buffer, dtype=np.int64),
                     np.empty(buffer, dtype=np.int32))
        self.state = self._initial_state()
        self.readout = Readout(mapped.readout_hicann, mapped.n_readouts,
                               mapped.readout_rate_hz, mapped.buffer_events)
        self.step = 0
        self._stop_time = 0.0      # ms asked for so far; steps follow its rounding
        self._sampled_start = False
        self._next_change = 0
        self._tuner: ThreadTuner | None = None

    # --- set-up ---------------------------------------------------------------------

    def _initial_state(self) -> State:
        layout = self.layout
        mapped = self.mapped
        n = layout.n_cells
        n_blocks = layout.n_blocks
        depth = step_buffer_depth(self.window)
        v = layout.neurons.v_rest.copy()
        w = np.zeros(n)
        for population in self.mapped.network.populations:
            initial = population.initial_values
            if "v" in initial:
                v[population.start:population.stop] = initial["v"]
            if "w" in initial:
                w[population.start:population.stop] = initial["w"]
        return State(
            v=v, syn_e=np.zeros(n), syn_i=np.zeros(n), w=w,
            refractory=np.zeros(n, dtype=np.int64), i_ext=np.zeros(n),
            cursor=layout.array_start.copy(),
            ring=np.zeros((layout.ring_size, 2 * n), dtype=np.float32),
            emitted=np.zeros((depth, n), dtype=np.int32),
            bucket=np.zeros((depth, n_blocks, n), dtype=np.int32),
            # rows padded to whole cache lines (8 int64): blocks never share a line
            bucket_fill=np.zeros((depth, n_blocks, -(-n_blocks // 8) * 8),
                                 dtype=np.int64),
            spike_total=np.zeros(n, dtype=np.int64),
            block_events=np.zeros(n_blocks, dtype=np.int64),
            link_tokens=np.full(mapped.n_input_links, float(mapped.buffer_events)),
            link_last=np.zeros(mapped.n_input_links),
            fpga_tokens=np.full(mapped.n_fpgas, float(mapped.buffer_events)),
            fpga_last=np.zeros(mapped.n_fpgas),
            input_dropped=np.zeros(mapped.n_input_links, dtype=np.int64),
            stp_a=np.zeros(layout.plasticity.U.size), stp_b=np.zeros(layout.plasticity.U.size),
            stp_last=np.full(layout.plasticity.U.size, -1, dtype=np.int64),
            stp_efficacy=np.zeros((depth, layout.plasticity.U.size)),
            recorded_cell=np.zeros((depth, n), dtype=np.int64),
            recorded_fill=np.zeros((depth, n_blocks), dtype=np.int64),
            spiking=np.zeros(n, dtype=np.int64), fired=np.zeros(n, dtype=np.uint8),
            pending=np.zeros(n, dtype=np.int64), drawn=np.zeros(n, dtype=np.int32))

    def continue_from(self, previous: "Emulation") -> None:
        """Continue where ``previous`` stopped: its clock, its state (membranes,
        synaptic inputs, spikes in flight, sources, links), its readout's buffers where
        the cells keep their readouts; this emulation's current steps and spike arrays
        apply from that step on. The way to go on after a reconfiguration: with the same
        network and seed, ``a.run(x); b.continue_from(a); b.run(y)`` equals ``run(x + y)``.

        Raises
        ------
        NotImplementedError
            When a part of the state changed shape (named), or the shortest delay fell
            below ``previous.window`` (this emulation then goes on with that window);
            ValueError when this emulation has run or its ``dt`` differs.

        Examples
        --------
        >>> from bss1lab.hardware import Wafer
        >>> from bss1lab.network.brunel import brunel_network
        >>> mapped = Wafer.ideal().map(brunel_network("original", n_neurons=100), seed=1)
        >>> first = Emulation(mapped, seed=2); _ = first.run(10.0)
        >>> second = Emulation(mapped.with_weights({"E->E": 0.5}), seed=2)
        >>> second.continue_from(first); second.time
        10.0
        """
        as_instance("Emulation.continue_from", "previous", previous, Emulation,
                    "an Emulation")
        carry_over(previous, self)

    # --- running --------------------------------------------------------------------

    @property
    def stop_time(self) -> float:
        """Biological time asked for so far (the sum of the run durations), ms."""
        return self._stop_time

    @property
    def time(self) -> float:
        """Biological time reached so far, ms."""
        return self.step * self.dt

    @property
    def synaptic_events(self) -> int:
        """Synaptic events delivered since t = 0."""
        return int(self.state.block_events.sum())

    @property
    def seed(self) -> int:
        """The run seed's entropy (what reproduces the Poisson input)."""
        return int(self.seed_sequence.entropy)  # type: ignore[arg-type]

    def _apply_current_changes(self) -> int:
        """Apply step-current changes due now; return the step of the next one."""
        changes = self.layout.current_changes
        while self._next_change < len(changes) and changes[self._next_change][0] <= self.step:
            _, cells, change = changes[self._next_change]
            self.state.i_ext[cells] += change
            self._next_change += 1
        if self._next_change < len(changes):
            return changes[self._next_change][0]
        return np.iinfo(np.int64).max

    def run(self, duration: float, record: bool = True) -> RunChunk:
        """Advance by ``duration`` ms of biological time and return what was recorded.

        Parameters
        ----------
        duration : float
            ms, >= 0. The run ends on the grid step nearest to the total time asked
            for so far, so runs of any lengths add up exactly.
        record : bool
            False: record no spikes and no traces in this run (the network evolves
            the same; spike counts and synaptic events are still counted).
        """
        duration = as_number("Emulation.run", "duration", duration, low=0.0,
                             high=MAX_TIME_MS - self._stop_time)
        self._stop_time += duration
        stop_step = int(steps_of(self._stop_time, self.dt))
        start_step = self.step
        counts_before = self.state.spike_total.copy()
        events_before = self.synaptic_events
        dropped_before = self.state.input_dropped.copy()
        trace_blocks, trace_steps = [], []
        every = self._every if record else 0
        spikes = self._spikes if record else np.zeros_like(self._spikes)
        if every and not self._sampled_start:
            trace_blocks.append(self._sample()[None])
            trace_steps.append(np.array([self.step], dtype=np.int64))
            self._sampled_start = True
        spike_cells, spike_steps, spike_counts = [], [], []
        out_used = np.zeros(1, dtype=np.int64)
        started = time.perf_counter()
        cpu_started = time.process_time()
        # numba's thread count is per calling thread: set it for this run, restore after
        threads_before = numba.get_num_threads()
        numba.set_num_threads(engine_threads())
        try:
            self._advance(stop_step, spikes, every, out_used, trace_blocks, trace_steps,
                          spike_cells, spike_steps, spike_counts)
        finally:
            numba.set_num_threads(threads_before)
        self._check_finite()
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        cells = np.concatenate(spike_cells) if spike_cells else np.empty(0, np.int32)
        steps_ = np.concatenate(spike_steps) if spike_steps else np.empty(0, np.int64)
        counts = np.concatenate(spike_counts) if spike_counts else np.empty(0, np.int32)
        # blocks interleave the cells: order by time, then cell; a source can emit
        # several spikes in one step: one entry each
        order = _by_step_then_cell(steps_, cells, self.layout.n_cells)
        cells = np.repeat(cells[order], counts[order])
        spike_time = (np.repeat(steps_[order], counts[order]) + 1) * self.dt
        # the wafer's readout, where the spikes are recorded: once per spike
        readout_before = self.readout.dropped.copy()
        passed = self.readout.serve(cells, spike_time)
        cells, spike_time = cells[passed], spike_time[passed]
        n_traced = self._trace_cells.size
        all_traces = (np.concatenate(trace_blocks) if trace_blocks
                      else np.empty((0, len(self._variables), n_traced)))
        sample_steps = (np.concatenate(trace_steps) if trace_steps
                        else np.empty(0, dtype=np.int64))
        return RunChunk(
            start_ms=start_step * self.dt, stop_ms=self.step * self.dt,
            spike_cell=cells.astype(np.int32), spike_time=spike_time,
            trace_time=sample_steps * self.dt,
            traces={name: all_traces[:, j, :].copy() for j, name in enumerate(self._variables)},
            spike_counts=self.state.spike_total - counts_before,
            synaptic_events=self.synaptic_events - events_before,
            wall_time_s=wall, input_dropped=self.state.input_dropped - dropped_before,
            cpu_time_s=cpu, readout_dropped=self.readout.dropped - readout_before)

    def _check_finite(self) -> None:
        """Raise when a neuron's state has become inf or NaN: an explicit method
        (rk2) whose step is too coarse for a membrane that inputs made fast
        (cm / (g_L + g_syn) below dt / 2), which no parameter check can foresee."""
        bad = ~(np.isfinite(self.state.v) & np.isfinite(self.state.w))
        if bad.any():
            raise ValueError(
                f"Emulation.run: the state of {int(bad.sum())} neurons (first: cell "
                f"{int(np.argmax(bad))}) became non-finite with method={self.method!r} "
                f"at dt={self.dt:g} ms: the step is too coarse for their effective "
                "membrane time constant cm / (g_L + synaptic conductance). Use "
                + ("method='exponential' or " if self.method != "exponential" else "")
                + "a smaller dt, or smaller weights.")

    def _advance(self, stop_step, spikes, every, out_used, trace_blocks, trace_steps,
                 spike_cells, spike_steps, spike_counts) -> None:
        """Run the kernel up to ``stop_step``, appending what it records to the lists."""
        tuner = self._thread_tuner(numba.get_num_threads())
        while self.step < stop_step:
            steps = tuner.slice_steps(
                int(min(stop_step, self._apply_current_changes()) - self.step))
            if tuner.threads > 1:
                numba.set_num_threads(tuner.threads_now())
            traces = np.empty((steps // every + 1 if every else 0,
                               len(self._variables), self._trace_cells.size))
            recording = Recording(
                spikes=spikes, out_cell=self._out[0], out_step=self._out[1],
                out_count=self._out[2], out_used=out_used, trace_cells=self._trace_cells,
                trace_block=self._trace_block, trace_state=self._trace_state,
                trace_every=every, traces=traces)
            # a process's first call may load the kernel from numba's cache: not timed
            timed = bool(getattr(self._kernel, "signatures", True))
            started = time.perf_counter()
            done, written = self._kernel(self.step, steps, self.window, self.dt,
                                         self._seed_hash, self.layout.cells,
                                         self.layout.neurons, self.layout.synapses,
                                         self.layout.plasticity, self.state, recording)
            tuner.record(done, time.perf_counter() - started, timed)
            if written:
                trace_blocks.append(traces[:written])
                first = (self.step // every + 1) * every
                trace_steps.append(first + every * np.arange(written, dtype=np.int64))
            used = int(out_used[0])
            spike_cells.append(self._out[0][:used].copy())
            spike_steps.append(self._out[1][:used].copy())
            spike_counts.append(self._out[2][:used].copy())
            out_used[0] = 0
            self.step += done

    def _thread_tuner(self, threads: int) -> ThreadTuner:
        """The tuner of this emulation's thread count, for up to ``threads`` (none to
        tune for a network of one block, which runs on the calling thread)."""
        wanted = threads if self.layout.n_blocks > 1 else 1
        if self._tuner is None or self._tuner.threads != wanted:
            self._tuner = ThreadTuner(wanted)
        return self._tuner

    def _sample(self) -> np.ndarray:
        """The traced state now, as one sample of the kernel's trace array."""
        dynamics = (self.state.v, self.state.syn_e, self.state.syn_i, self.state.w)
        return np.stack([dynamics[j][self._trace_cells] for j in self._trace_state])

    # --- what is recorded -----------------------------------------------------------

    @property
    def trace_cells(self) -> np.ndarray:
        """Global indices of the traced cells."""
        return self._trace_cells

    @property
    def record_variables(self) -> tuple[str, ...]:
        return self._variables

    @property
    def spike_recorded(self) -> np.ndarray:
        """Per cell: True when its spikes are recorded."""
        return self._spikes.astype(bool)


def _by_step_then_cell(steps: np.ndarray, cells: np.ndarray, n_cells: int) -> np.ndarray:
    """The order of spike entries by step, then cell (``np.lexsort((cells, steps))``).

    The kernel writes its entries step by step, each step's block by block, so the
    steps already increase and a step's cells come in one sorted run per block: one
    stable sort of a combined key (numpy's timsort, which merges such runs) takes a
    tenth of lexsort's two sorts of 26,000 entries (the order is right for entries
    in any order). A span of steps whose key would not fit in int64 takes lexsort."""
    if steps.size == 0:
        return np.empty(0, dtype=np.intp)
    first = steps.min()
    if int(steps.max() - first) + 1 > np.iinfo(np.int64).max // max(n_cells, 1):
        return np.lexsort((cells, steps))
    key = (steps - first) * np.int64(n_cells) + cells
    return np.argsort(key, kind="stable")
