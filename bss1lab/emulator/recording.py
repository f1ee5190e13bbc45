"""What a run records: one specification of the spikes and state traces, validated
once, and resolved against the network into the kernel's recorders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, NamedTuple, Sequence

import numpy as np

from bss1lab.emulator.grid import steps_of
from bss1lab.errors import ParameterTypeError
from bss1lab.network.realise import RealisedNetwork
from bss1lab.validation import MAX_TIME_MS, as_instance, as_number

__all__ = ["RecordSpec", "Recorders", "STATE_VARIABLES", "MAX_DEFAULT_TRACED"]

#: Recordable state variables and the kernel's index of the state they read. The
#: synaptic state is a conductance (uS) for conductance-based cells and a current (nA)
#: for IF_curr_exp, so it appears under the PyNN name that fits the cell type.
STATE_VARIABLES = {"v": 0, "gsyn_exc": 1, "gsyn_inh": 2, "isyn_exc": 1, "isyn_inh": 2,
                   "w": 3}
#: Traced cells allowed without naming them in ``record_cells``.
MAX_DEFAULT_TRACED = 1000
_OWNER = "Emulation"


class Recorders(NamedTuple):
    """A specification resolved against a network on a grid: what the kernel takes."""

    spikes: np.ndarray         # uint8 per cell: record its spikes
    trace_cells: np.ndarray    # int64: global indices of the traced cells
    variables: tuple           # traced state variables
    every: int                 # steps between trace samples, 0: no traces


@dataclass(frozen=True)
class RecordSpec:
    """What to record: the ``record_*`` arguments of ``run``, ``Emulation`` and the
    experiment helpers, checked once when made.

    Parameters
    ----------
    spikes : sequence of str, "all" or None
        ``record_spikes``: labels of the populations whose spikes are recorded; None:
        every population of neurons.
    variables : sequence of str
        ``record_variables``: state variables to trace (``STATE_VARIABLES``).
    cells : mapping of str to sequence of int, optional
        ``record_cells``: which cells to trace, local indices per population label.
    interval : float, optional
        ``record_interval``: ms between trace samples, a multiple of ``dt``.

    Raises
    ------
    ParameterTypeError, ValueError
        Naming the argument, what it got and what is allowed.

    Examples
    --------
    >>> RecordSpec(variables="v").variables
    ('v',)
    """

    spikes: Sequence[str] | str | None = None
    variables: Sequence[str] = ()
    cells: Mapping[str, Sequence[int]] | None = None
    interval: float | None = None

    def __post_init__(self) -> None:
        spikes = self.spikes
        if spikes is not None and not (isinstance(spikes, str) and spikes == "all"):
            names = [spikes] if isinstance(spikes, str) else spikes
            if not isinstance(names, Iterable) or not all(isinstance(n, str) for n in names):
                raise ParameterTypeError(f"{_OWNER}: record_spikes={spikes!r} must "
                                         "be population labels, 'all' or None")
            object.__setattr__(self, "spikes", tuple(names))
        variables = self.variables
        if isinstance(variables, str):
            variables = [variables]
        if not isinstance(variables, Iterable) \
                or not all(isinstance(v, str) for v in variables):
            raise ParameterTypeError(f"{_OWNER}: record_variables={self.variables!r} "
                                     "must be names of state variables, e.g. ['v']; "
                                     f"allowed: {sorted(STATE_VARIABLES)}")
        object.__setattr__(self, "variables", tuple(variables))
        if self.cells is not None:
            as_instance(_OWNER, "record_cells", self.cells, Mapping,
                        "a mapping of population label to local indices, e.g. "
                        "{'E': range(10)}")
        unknown = sorted(set(self.variables) - set(STATE_VARIABLES))
        if unknown:
            raise ValueError(f"{_OWNER}: record_variables has unknown {unknown}; allowed: "
                             f"{sorted(STATE_VARIABLES)}")
        if not self.variables and (self.cells is not None or self.interval is not None):
            raise ValueError(f"{_OWNER}: record_cells and record_interval choose what "
                             "record_variables traces; give record_variables too")
        if self.interval is not None:
            object.__setattr__(self, "interval", as_number(
                _OWNER, "record_interval", self.interval, low=0.0, low_inclusive=False,
                high=MAX_TIME_MS))

    def resolve(self, net: RealisedNetwork, dt: float) -> Recorders:
        """The recorders of this specification for ``net`` on a grid of ``dt`` ms.

        Raises
        ------
        ValueError
            For an unknown population, an index out of range, a variable the cell
            type cannot record, an interval off the grid, or a default trace of more
            than ``MAX_DEFAULT_TRACED`` neurons.
        """
        spikes = np.zeros(net.n_cells, dtype=np.uint8)
        if self.spikes is None:
            chosen = [p for p in net.populations if not p.is_source]
        elif self.spikes == "all":
            chosen = list(net.populations)
        else:
            chosen = [net.named(_OWNER, "record_spikes", label) for label in self.spikes]
        for population in chosen:
            spikes[population.start:population.stop] = 1
        variables = self.variables
        if not variables:
            return Recorders(spikes, np.empty(0, dtype=np.int64), variables, 0)
        record_cells = self.cells
        if record_cells is None:
            neurons = [p for p in net.populations if not p.is_source]
            total = sum(p.size for p in neurons)
            if total > MAX_DEFAULT_TRACED:
                raise ValueError(f"{_OWNER}: record_variables={variables} needs "
                                 f"record_cells for a network of {total} neurons, "
                                 "e.g. {'E': range(10)}")
            record_cells = {p.label: range(p.size) for p in neurons}
        cells: list[int] = []
        for population, local in net.selected(_OWNER, "record_cells", record_cells):
            allowed = [v for v in population.cell_type.recordable if v != "spikes"]
            wrong = [v for v in variables if v not in allowed]
            if wrong:
                raise ValueError(f"{_OWNER}: population {population.label!r} "
                                 f"({type(population.cell_type).__name__}) cannot record "
                                 f"{wrong}; it records {allowed}")
            cells.extend((local + population.start).tolist())
        interval = dt if self.interval is None else self.interval
        every = int(steps_of(interval, dt))
        if every < 1 or abs(every * dt - interval) > 1e-6 * dt:
            raise ValueError(f"{_OWNER}: record_interval={self.interval} ms must be "
                             f"a positive multiple of dt={dt} ms")
        return Recorders(spikes, np.asarray(cells, dtype=np.int64), variables, every)
