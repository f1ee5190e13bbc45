"""The simulator state of ``bss1lab.pynn``: the PyNN objects made since ``setup``,
the bss1lab ``Network`` they amount to, its mapping onto the wafer and the
``Emulation`` that runs it.

Every PyNN object marks the state ``changed`` when it changes; the next ``run`` then
builds the network again (``bss1lab.pynn.build``). Before the first run it is mapped
(``Wafer.map``). After that, a network of the same structure (weights and delays set
with ``Projection.set``, Poisson rates, spike times, neuron parameters) reconfigures
the kept mapping (``MappedNetwork.with_network``): placement and routing stay as on
the wafer, at the wafer's reconfiguration time; a change of structure maps anew. The
new ``Emulation`` takes over the old one's state (membranes, synaptic inputs, spikes
in flight, Poisson sources) at the step reached (``Emulation.continue_from``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pyNN import common

from bss1lab.emulator.engine import Emulation, check_dt
from bss1lab.errors import NeedsNewMapping
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
    """One emulation and the runs it made; a new epoch starts at each change of the
    network (a reconfiguration or a new mapping)."""

    emulation: Emulation
    build: object
    chunks: list = field(default_factory=list)
    dataset: object = None

    def to_dataset(self):
        if self.dataset is None and self.chunks:
            self.dataset = to_dataset(self.emulation, self.chunks,
                                      attrs={"seed": state.seed})
        return self.dataset


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
        duration = max(tstop - epoch.emulation.stop_time, 0.0)
        epoch.chunks.append(epoch.emulation.run(duration))
        epoch.dataset = None
        self.t = epoch.emulation.time
        self.running = True

    def _configure(self):
        """Build the network, map (or reconfigure) it and start (or continue) an
        emulation."""
        from bss1lab.pynn.build import build_network

        built = build_network(self)
        # the seeds bss1lab.experiments.run makes of the same seed
        map_seed, run_seed = np.random.SeedSequence(self.seed).spawn(2)
        mapped = self._mapping(built.network, map_seed)
        emulation = Emulation(mapped, run_seed, dt=self.dt, **built.recording)
        if self.epochs and self.epochs[-1].emulation.step > 0:
            emulation.continue_from(self.epochs[-1].emulation)
            for variable, cells, values in self.set_now:   # initialize() after a run
                getattr(emulation.state, variable)[cells] = values
        elif self.epochs:
            self.epochs.pop()  # configured but never run
        self.epochs.append(Epoch(emulation, built))
        self.set_now = []
        self.changed = False

    def _mapping(self, network, seed):
        """The kept mapping reconfigured to ``network`` where its structure allows
        (``MappedNetwork.with_network``: the wafer keeps placement and routing), else
        a new one."""
        kept = self.mapped
        if kept is not None:
            requested = kept.requested if kept.requested is not None else kept.network
            if requested.synapses_kept:  # else drawn anew for each emulation
                try:
                    return kept.with_network(network, seed)
                except NeedsNewMapping:
                    pass
        return self.wafer.map(network, seed)

    # --- what a PyNN user may want from bss1lab -------------------------------------

    @property
    def mapped(self):
        """The ``MappedNetwork`` of the current emulation (None before a run)."""
        return self.epochs[-1].emulation.mapped if self.epochs else None

    @property
    def mapping(self) -> dict:
        """The hardware report of the mapping: synapses lost, parameters clipped,
        HICANNs used ... (``MappedNetwork.report``); empty before a run. Its
        ``configuration_time_s`` is the wafer's time for this mapping (a first
        configuration, or a reconfiguration after a change between runs that kept the
        structure); ``configuration_time_total_s`` sums it over the epochs since the
        last ``reset``."""
        if not self.epochs:
            return {}
        return {**self.mapped.report, "configuration_time_total_s": float(sum(
            e.emulation.mapped.report["configuration_time_s"] for e in self.epochs))}

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
