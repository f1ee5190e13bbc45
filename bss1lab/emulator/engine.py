"""``Emulation``: a mapped network with its state, advanced by ``run(duration)``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from bss1lab.emulator import kernels as k
from bss1lab.emulator.layout import Layout, lay_out
from bss1lab.hardware.wafer import MappedNetwork

__all__ = ["Emulation", "RunChunk", "STATE_VARIABLES", "DEFAULT_DT"]

#: Default time step in ms (biological time).
DEFAULT_DT = 0.1
#: Recordable state variables and the kernel's index of the state they read. The
#: synaptic state is a conductance (uS) for conductance-based cells and a current (nA)
#: for IF_curr_exp, so it appears under the PyNN name that fits the cell type.
STATE_VARIABLES = {"v": 0, "gsyn_exc": 1, "gsyn_inh": 2, "isyn_exc": 1, "isyn_inh": 2,
                   "w": 3}
METHODS = {"exponential": k.METHOD_EXPONENTIAL, "rk2": k.METHOD_RK2}
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
        Global cell index of every recorded spike, sorted by time then cell.
    spike_time : float64 array
        ms.
    trace_time : float64 array
        Sample times of the state traces, ms.
    traces : dict of str to float64 array (time x traced cell)
    spike_counts : int64 array
        Spikes per cell (recorded or not) in this chunk.
    synaptic_events : int
        Synaptic events delivered in this chunk (spikes x their synapses).
    wall_time_s : float
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


@dataclass
class _Recorder:
    spikes: np.ndarray             # uint8 per cell: record its spikes
    trace_cells: np.ndarray        # int64 global indices
    variables: tuple[str, ...]
    every: int                     # steps between samples (0: no traces)
    trace_state: np.ndarray = field(init=False)  # kernel state index per variable
    out_cell: np.ndarray = field(init=False)
    out_step: np.ndarray = field(init=False)
    out_count: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.trace_state = np.array([STATE_VARIABLES[v] for v in self.variables],
                                    dtype=np.int64)
        size = max(MIN_SPIKE_BUFFER, 8 * int(self.spikes.sum()))
        self.out_cell = np.empty(size, dtype=np.int32)
        self.out_step = np.empty(size, dtype=np.int64)
        self.out_count = np.empty(size, dtype=np.int32)


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
        Run seed: fixes the Poisson sources' spikes. None draws one (its entropy is
        kept in ``self.seed``).
    dt : float
        Time step in ms (biological), default 0.1.
    method : {"exponential", "rk2"}
        Membrane integration: exponential Euler (exact for constant input) or Heun's
        second-order Runge-Kutta.
    record_spikes : sequence of str or "all", optional
        Labels of the populations whose spikes are recorded. Default: every
        population of neurons (spike sources only when named or with "all").
    record_variables : sequence of str
        State variables to trace: ``v`` (mV), ``gsyn_exc``/``gsyn_inh`` (uS) for
        conductance-based cells, ``isyn_exc``/``isyn_inh`` (nA) for ``IF_curr_exp``,
        ``w`` (nA) for AdEx.
    record_cells : mapping of str to sequence of int, optional
        Which cells to trace, as local indices per population label. Default: every
        neuron, if there are at most 1,000.
    record_interval : float, optional
        ms between trace samples, a multiple of ``dt``; default ``dt``.
    """

    def __init__(self, mapped: MappedNetwork,
                 seed: int | np.random.SeedSequence | None = None, *,
                 dt: float = DEFAULT_DT, method: str = "exponential",
                 record_spikes: Sequence[str] | str | None = None,
                 record_variables: Sequence[str] = (),
                 record_cells: Mapping[str, Sequence[int]] | None = None,
                 record_interval: float | None = None) -> None:
        if not isinstance(mapped, MappedNetwork):
            raise ValueError(f"Emulation: mapped={mapped!r} is not a MappedNetwork; "
                             "use Wafer.map(network) or Wafer.ideal().map(network)")
        if not (np.isfinite(dt) and dt > 0):
            raise ValueError(f"Emulation: dt={dt} ms must be > 0")
        if method not in METHODS:
            raise ValueError(f"Emulation: method={method!r}; allowed: {sorted(METHODS)}")
        self.mapped = mapped
        self.dt = float(dt)
        self.method = method
        sequence = (seed if isinstance(seed, np.random.SeedSequence)
                    else np.random.SeedSequence(seed))
        self.seed = int(sequence.entropy)  # type: ignore[arg-type]
        self._seed_hash = sequence.generate_state(1, np.uint64)[0]
        self.layout: Layout = lay_out(mapped, self.dt)
        self._recorder = self._make_recorder(record_spikes, record_variables, record_cells,
                                             record_interval)
        self._init_state()

    # --- set-up ---------------------------------------------------------------------

    def _make_recorder(self, record_spikes, record_variables, record_cells,
                       record_interval) -> _Recorder:
        net = self.mapped.network
        labels = [p.label for p in net.populations]
        spikes = np.zeros(net.n_cells, dtype=np.uint8)
        if record_spikes is None:
            chosen = [p for p in net.populations if not p.is_source]
        elif isinstance(record_spikes, str) and record_spikes == "all":
            chosen = list(net.populations)
        else:
            if isinstance(record_spikes, str):
                record_spikes = [record_spikes]
            unknown = [lab for lab in record_spikes if lab not in labels]
            if unknown:
                raise ValueError(f"Emulation: record_spikes names unknown population(s) "
                                 f"{unknown}; populations: {labels}")
            chosen = [net.population(lab) for lab in record_spikes]
        for population in chosen:
            spikes[population.start:population.stop] = 1

        variables = tuple(record_variables)
        cells: list[int] = []
        if variables:
            neurons = [p for p in net.populations if not p.is_source]
            if record_cells is None:
                total = sum(p.size for p in neurons)
                if total > 1000:
                    raise ValueError(f"Emulation: record_variables={variables} needs "
                                     f"record_cells for a network of {total} neurons, "
                                     "e.g. {'E': range(10)}")
                record_cells = {p.label: range(p.size) for p in neurons}
            for label, indices in record_cells.items():
                if label not in labels:
                    raise ValueError(f"Emulation: record_cells names unknown population "
                                     f"{label!r}; populations: {labels}")
                population = net.population(label)
                allowed = [v for v in population.cell_type.recordable if v != "spikes"]
                wrong = [v for v in variables if v not in allowed]
                if wrong:
                    raise ValueError(f"Emulation: population {label!r} "
                                     f"({type(population.cell_type).__name__}) cannot record "
                                     f"{wrong}; it records {allowed}")
                local = np.asarray(list(indices), dtype=np.int64)
                if local.size and (local.min() < 0 or local.max() >= population.size):
                    raise ValueError(f"Emulation: record_cells[{label!r}] must lie in "
                                     f"0..{population.size - 1}, got {local.tolist()[:10]}")
                cells.extend((local + population.start).tolist())
        every = 0
        if variables:
            interval = self.dt if record_interval is None else float(record_interval)
            every = int(round(interval / self.dt))
            if every < 1 or abs(every * self.dt - interval) > 1e-9 * max(interval, 1.0):
                raise ValueError(f"Emulation: record_interval={record_interval} ms must be "
                                 f"a positive multiple of dt={self.dt} ms")
        return _Recorder(spikes, np.asarray(cells, dtype=np.int64), variables, every)

    def _init_state(self) -> None:
        layout = self.layout
        n = layout.n_cells
        self.step = 0
        self.v = layout.parameters["v_rest"].copy()
        self.w = np.zeros(n)
        for population in self.mapped.network.populations:
            for name, values in population.initial_values.items():
                getattr(self, name)[population.start:population.stop] = values
        self.syn_e = np.zeros(n)
        self.syn_i = np.zeros(n)
        self.refractory = np.zeros(n, dtype=np.int32)
        self.i_ext = np.zeros(n)
        self.cursor = layout.array_start.copy()
        self.poisson_next = np.zeros(n)                  # sparse sources: next spike, steps
        self.poisson_drawn = np.zeros(n, dtype=np.int64)  # uniforms each has used
        self.ring = np.zeros((layout.ring_size, 2 * n))
        n_blocks = layout.block_offset.size - 1
        # spike buffers alternate between steps (index: step parity)
        self.emitted = np.zeros((2, n), dtype=np.int32)
        self.bucket = np.zeros((2, n_blocks, n), dtype=np.int64)
        # spikes block b filed for block c: bucket_fill[parity, b, c]; rows padded to
        # whole cache lines (8 int64) so two blocks never write the same line
        self.bucket_fill = np.zeros((2, n_blocks, -(-n_blocks // 8) * 8), dtype=np.int64)
        self.spike_total = np.zeros(n, dtype=np.int64)
        self.block_events = np.zeros(n_blocks, dtype=np.int64)
        self.recorded_cell = np.zeros(n, dtype=np.int32)
        self.recorded_fill = np.zeros(n_blocks, dtype=np.int64)
        self._next_change = 0

    # --- running --------------------------------------------------------------------

    @property
    def time(self) -> float:
        """Biological time reached so far, ms."""
        return self.step * self.dt

    @property
    def synaptic_events(self) -> int:
        """Synaptic events delivered since t = 0."""
        return int(self.block_events.sum())

    def _apply_current_changes(self) -> int:
        """Apply step-current changes due now; return the step of the next one."""
        changes = self.layout.current_changes
        while self._next_change < len(changes) and changes[self._next_change][0] <= self.step:
            _, cells, amplitude = changes[self._next_change]
            self.i_ext[cells] = amplitude
            self._next_change += 1
        if self._next_change < len(changes):
            return changes[self._next_change][0]
        return np.iinfo(np.int64).max

    def run(self, duration: float) -> RunChunk:
        """Advance by ``duration`` ms of biological time and return what was recorded.

        Parameters
        ----------
        duration : float
            ms, >= 0; rounded to a whole number of steps.
        """
        if not (np.isfinite(duration) and duration >= 0):
            raise ValueError(f"Emulation.run: duration={duration} ms must be >= 0")
        n_steps = int(round(duration / self.dt))
        rec = self._recorder
        layout = self.layout
        start_step = self.step
        counts_before = self.spike_total.copy()
        events_before = self.synaptic_events
        trace_blocks = []
        trace_steps = []
        if rec.every and start_step == 0:
            trace_blocks.append(self._sample()[None])
            trace_steps.append(np.zeros(1, dtype=np.int64))
        spike_cells, spike_steps, spike_counts = [], [], []
        out_used = np.zeros(1, dtype=np.int64)
        started = time.perf_counter()
        stop_step = start_step + n_steps
        while self.step < stop_step:
            next_change = self._apply_current_changes()
            steps = int(min(stop_step, next_change) - self.step)
            traces = np.empty((steps // rec.every + 1 if rec.every else 0,
                               len(rec.variables), rec.trace_cells.size))
            done, written = k.run_steps(
                self.step, steps, self.dt, METHODS[self.method], self._seed_hash,
                layout.kind, layout.parameters, layout.block_offset, layout.block_cells,
                layout.entry_pointer, layout.entry_block, layout.entry_cell,
                layout.entry_synapse, layout.syn_column, layout.syn_weight,
                layout.syn_delay, layout.out_degree, layout.poisson.cdf,
                layout.poisson.cdf_start, layout.poisson.guide, layout.poisson.guide_start,
                layout.poisson.guide_size, layout.poisson_mean, self.poisson_next,
                self.poisson_drawn, layout.direct_synapse, layout.active_from,
                layout.active_until, layout.array_steps, layout.array_end,
                self.v, self.syn_e, self.syn_i, self.w, self.refractory, self.i_ext,
                self.cursor, self.ring, self.emitted, self.bucket, self.bucket_fill,
                self.spike_total, self.block_events, rec.spikes, self.recorded_cell,
                self.recorded_fill, rec.out_cell, rec.out_step, rec.out_count, out_used,
                rec.trace_cells, rec.trace_state, rec.every, traces)
            if written:
                trace_blocks.append(traces[:written])
                first = (self.step // rec.every + 1) * rec.every if rec.every else 0
                trace_steps.append(first + rec.every * np.arange(written, dtype=np.int64))
            used = int(out_used[0])
            spike_cells.append(rec.out_cell[:used].copy())
            spike_steps.append(rec.out_step[:used].copy())
            spike_counts.append(rec.out_count[:used].copy())
            out_used[0] = 0
            self.step += done
        wall = time.perf_counter() - started
        cells = np.concatenate(spike_cells) if spike_cells else np.empty(0, np.int32)
        steps_ = np.concatenate(spike_steps) if spike_steps else np.empty(0, np.int64)
        counts = np.concatenate(spike_counts) if spike_counts else np.empty(0, np.int32)
        # blocks interleave the cells: order by time, then cell; a source can emit
        # several spikes in one step: one entry each
        order = np.lexsort((cells, steps_))
        cells = np.repeat(cells[order], counts[order])
        spike_time = (np.repeat(steps_[order], counts[order]) + 1) * self.dt
        all_traces = (np.concatenate(trace_blocks) if trace_blocks
                      else np.empty((0, len(rec.variables), rec.trace_cells.size)))
        sample_steps = (np.concatenate(trace_steps) if trace_steps
                        else np.empty(0, dtype=np.int64))
        return RunChunk(
            start_ms=start_step * self.dt, stop_ms=self.step * self.dt,
            spike_cell=cells.astype(np.int32), spike_time=spike_time,
            trace_time=sample_steps * self.dt,
            traces={name: all_traces[:, j, :].copy() for j, name in enumerate(rec.variables)},
            spike_counts=self.spike_total - counts_before,
            synaptic_events=self.synaptic_events - events_before,
            wall_time_s=wall)

    def _sample(self) -> np.ndarray:
        """The traced state now, as one row of the kernel's trace array."""
        states = (self.v, self.syn_e, self.syn_i, self.w)
        cells = self._recorder.trace_cells
        return np.stack([states[j][cells] for j in self._recorder.trace_state])

    # --- what is recorded -----------------------------------------------------------

    @property
    def trace_cells(self) -> np.ndarray:
        """Global indices of the traced cells."""
        return self._recorder.trace_cells

    @property
    def record_variables(self) -> tuple[str, ...]:
        return self._recorder.variables

    @property
    def spike_recorded(self) -> np.ndarray:
        """Per cell: True when its spikes are recorded."""
        return self._recorder.spikes.astype(bool)
