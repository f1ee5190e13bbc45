"""The simulator state of ``bss1lab.pynn``: the PyNN objects made since ``setup``,
the bss1lab ``Network`` they amount to, its mapping onto the wafer and the
``Emulation`` that runs it.

Every PyNN object marks the state ``changed`` when it changes; the next ``run`` then
builds the network again (``bss1lab.pynn.build``) and maps it. Before the first run
that is the whole story. After a run the new mapping continues the same emulation:
the new ``Emulation`` takes over the old one's state (membranes, synaptic inputs,
spikes in flight, Poisson sources) at the step reached, see :func:`continue_from`.
This is a remap, not a reconfiguration: when ``MappedNetwork.with_weights`` /
``with_rates`` exist, :meth:`State._configure` is the one place to use them.
"""

from __future__ import annotations

import copy

from dataclasses import dataclass, field

import numpy as np
from pyNN import common

from bss1lab.emulator.engine import Emulation, check_dt
from bss1lab.experiments.dataset import to_dataset
from bss1lab.hardware import Wafer

name = "bss1lab"  # the simulator's name in Neo annotations


class ID(int, common.IDMixin):
    """A cell: its value is the cell's global index in the bss1lab network."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


@dataclass
class Epoch:
    """One emulation and the runs it made; a new epoch starts at each remap."""

    emulation: Emulation
    build: object
    chunks: list = field(default_factory=list)
    dataset: object = None

    def to_dataset(self):
        if self.dataset is None and self.chunks:
            self.dataset = to_dataset(self.emulation, self.chunks,
                                      attrs={"seed": state.seed})
        return self.dataset


#: Kernel state that the new emulation computes itself when it continues an old one:
#: the injected current (replayed from its current sources) and the spike-array
#: cursors (found again in the new arrays).
_RECOMPUTED = ("i_ext", "cursor")


def continue_from(old: Emulation, new: Emulation) -> None:
    """Make ``new`` (a fresh emulation of a remapped network of the same cells)
    continue where ``old`` stopped: same step, same state.

    Raises
    ------
    NotImplementedError
        When the two cannot share a state: cells were added (or the longest delay or
        the plastic synapses changed the state's shape); ``reset()`` first.
    """
    for name_ in old.state._fields:
        if name_ in _RECOMPUTED:
            continue
        before, after = getattr(old.state, name_), getattr(new.state, name_)
        if before.shape != after.shape:
            raise NotImplementedError(
                f"bss1lab.pynn: this change after a run alters the emulation's {name_!r} "
                f"state (shape {before.shape} -> {after.shape}): cells, the longest "
                "delay or the plastic synapses changed. Call reset() before changing the "
                "network's structure.")
        after[...] = before
    layout, step = new.layout, old.step
    steps = layout.cells.array_steps
    cursor = new.state.cursor
    for cell in np.flatnonzero(layout.cells.array_end > layout.array_start):
        start, end = layout.array_start[cell], layout.cells.array_end[cell]
        cursor[cell] = start + np.searchsorted(steps[start:end], step, side="left")
    # the readout buffers keep their fill where the cells keep their readouts
    if (np.array_equal(old.mapped.readout_hicann, new.mapped.readout_hicann)
            and old.mapped.n_readouts == new.mapped.n_readouts):
        new.readout = copy.deepcopy(old.readout)
    # the emulation's clock; current steps up to now are replayed on the next run
    new.step = step
    new._stop_time = old._stop_time
    new._sampled_start = True


class State(common.control.BaseState):
    """Everything ``setup`` starts and ``end`` ends."""

    def __init__(self):
        super().__init__()
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self._min_delay = "auto"
        self.max_delay = 10.0
        self.wafer = Wafer()
        self.seed = 0
        self.clear()

    @property
    def min_delay(self):
        """ms; with ``setup(min_delay="auto")`` the shortest delay made so far (a time
        step while there is none), as NEST reports it."""
        if self._min_delay != "auto":
            return self._min_delay
        delays = [p._values["delay"].min() for p in self.projections if len(p)]
        return float(min(delays)) if delays else self.dt

    @min_delay.setter
    def min_delay(self, value):
        self._min_delay = value

    # --- life cycle -----------------------------------------------------------------

    def clear(self):
        self.recorders = set()
        self.populations = []
        self.projections = []
        self.current_sources = []
        self.id_counter = 0
        self.segment_counter = -1
        self.reset()

    def reset(self):
        """Time back to 0, a new emulation at the next run (PyNN's ``reset``)."""
        self.running = False
        self.t = 0.0
        self.t_start = 0.0
        self.segment_counter += 1
        self.epochs: list[Epoch] = []
        self.changed = True
        self.set_now: list[tuple[str, np.ndarray, np.ndarray]] = []
        for source in getattr(self, "current_sources", ()):
            source._history[:] = [(0.0, source.steps())]  # as set now, from t = 0

    # --- running --------------------------------------------------------------------

    def run(self, simtime):
        self.run_until(self.t + simtime)

    def run_until(self, tstop):
        if self.changed or not self.epochs:
            self._configure()
        epoch = self.epochs[-1]
        duration = max(tstop - epoch.emulation._stop_time, 0.0)
        epoch.chunks.append(epoch.emulation.run(duration))
        epoch.dataset = None
        self.t = epoch.emulation.time
        self.running = True

    def _configure(self):
        """Build the network, map it and start (or continue) an emulation."""
        from bss1lab.pynn.build import build_network

        built = build_network(self)
        # the seeds bss1lab.experiments.run makes of the same seed
        map_seed, run_seed = np.random.SeedSequence(self.seed).spawn(2)
        # the reconfiguration seam: an unchanged structure could keep the mapping
        mapped = self.wafer.map(built.network, map_seed)
        emulation = Emulation(mapped, run_seed, dt=self.dt, **built.recording)
        if self.epochs and self.epochs[-1].emulation.step > 0:
            continue_from(self.epochs[-1].emulation, emulation)
            for variable, cells, values in self.set_now:   # initialize() after a run
                getattr(emulation.state, variable)[cells] = values
        elif self.epochs:
            self.epochs.pop()  # configured but never run
        self.epochs.append(Epoch(emulation, built))
        self.set_now = []
        self.changed = False

    # --- what a PyNN user may want from bss1lab -------------------------------------

    @property
    def mapped(self):
        """The ``MappedNetwork`` of the current emulation (None before a run)."""
        return self.epochs[-1].emulation.mapped if self.epochs else None

    @property
    def mapping(self) -> dict:
        """The hardware report of the mapping: synapses lost, parameters clipped,
        HICANNs used ... (``MappedNetwork.report``); empty before a run."""
        return dict(self.mapped.report) if self.epochs else {}

    @property
    def dataset(self):
        """The ``xarray.Dataset`` of the runs since the last (re)mapping, as
        ``bss1lab.experiments.run`` returns it: every bss1lab plot and panel reads it."""
        return self.epochs[-1].to_dataset() if self.epochs else None

    def datasets(self) -> list:
        """The Dataset of every epoch of the current segment, oldest first."""
        return [d for d in (e.to_dataset() for e in self.epochs) if d is not None]


state = State()


def set_dt(timestep) -> float:
    state.dt = check_dt("bss1lab.pynn.setup", timestep)
    return state.dt
