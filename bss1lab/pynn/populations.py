"""``Population``, ``PopulationView`` and ``Assembly`` of ``bss1lab.pynn``: PyNN's
common classes, with parameters and initial values held as one array per cell in
PyNN's names (the native names of bss1lab), read by ``build.build_network``."""

from __future__ import annotations

from collections.abc import MutableMapping

import numpy as np
from lazyarray import larray as LazyArray
from pyNN import common, errors
from pyNN.parameters import ParameterSpace, Sequence, simplify
from pyNN.standardmodels import StandardCellType

from bss1lab.pynn import simulator
from bss1lab.pynn.recording import Recorder

__all__ = ["Population", "PopulationView", "Assembly"]

#: Initial values bss1lab's cells start from; synaptic conductances start at 0.
INITIAL_STATE = ("v", "w")


def _check_spike_times(parameters) -> None:
    """PyNN refuses spike times that are not in order (bss1lab would sort them)."""
    for train in parameters.get("spike_times", ()):
        times = np.asarray(getattr(train, "value", train), dtype=float)
        if np.any(np.diff(times) < 0):
            raise errors.InvalidParameterValueError(
                f"SpikeSourceArray: spike_times must be in increasing order, got "
                f"{times.tolist()[:10]}")


def _per_cell(value, size: int) -> np.ndarray:
    """One entry per cell (an evaluated parameter may come back as one scalar)."""
    if isinstance(value, np.ndarray) and value.shape == (size,):
        return value
    array = np.empty(size, dtype=object if isinstance(value, Sequence) else float)
    array[:] = [value] * size if isinstance(value, Sequence) else value
    return array


class Assembly(common.Assembly):
    _simulator = simulator

    @property
    def receptor_types(self):
        """The receptor types all populations share, in the first one's order (PyNN
        0.13 returns them in set order, so that a projection onto an assembly without
        ``receptor_type`` may guess "inhibitory" for positive weights)."""
        shared = set.intersection(*(set(p.celltype.receptor_types)
                                    for p in self.populations))
        return [r for r in self.populations[0].celltype.receptor_types if r in shared]


class _Parameters:
    """Parameter access shared by populations and views: ``_mask`` selects the cells
    of ``_owner`` (the population holding the arrays)."""

    def _get_parameters(self, *names):
        celltype = self.celltype
        if not isinstance(celltype, StandardCellType):
            raise errors.NoModelAvailableError(
                f"bss1lab.pynn runs standard cell types only, not {type(celltype).__name__}")
        if any(name in celltype.computed_parameters() for name in names):
            native_names = celltype.get_native_names()
        else:
            native_names = celltype.get_native_names(*names)
        return celltype.reverse_translate(self._get_native_parameters(*native_names))

    def _get_native_parameters(self, *names):
        values = {name: simplify(self._owner._parameters[name][self._mask])
                  for name in names}
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(simplify=False)
        _check_spike_times(dict(parameter_space.items()))
        for name, value in parameter_space.items():
            self._owner._parameters[name][self._mask] = value
        simulator.state.changed = True

    def _set_initial_value_array(self, variable, initial_values):
        if variable not in INITIAL_STATE:
            values = np.asarray(initial_values.evaluate(simplify=False), dtype=float)
            if np.any(values != 0.0):
                raise errors.InvalidParameterValueError(
                    f"bss1lab.pynn: initial {variable} must be 0 (bss1lab starts every "
                    f"synaptic input at 0); only {INITIAL_STATE} can be set")
            return
        if self.celltype.injectable is False or variable not in self.celltype.recordable:
            return
        owner = self._owner
        if variable not in owner._initial:
            owner._initial[variable] = np.zeros(owner.size)
        values = np.broadcast_to(initial_values.evaluate(simplify=False), (self.size,))
        owner._initial[variable][self._mask] = values
        state = simulator.state
        if state.running:  # set now, in the running emulation (see State._configure)
            cells = np.asarray(self.all_cells, dtype=np.int64)
            state.set_now.append((variable, cells, np.array(values, dtype=float)))
        state.changed = True


class PopulationView(_Parameters, common.PopulationView):
    __doc__ = common.PopulationView.__doc__
    _assembly_class = Assembly
    _simulator = simulator

    @property
    def _owner(self):
        return self.grandparent

    @property
    def _mask(self):
        owner = self.grandparent
        return np.asarray(self.all_cells, dtype=np.int64) - int(owner.all_cells[0])

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    @property
    def initial_values(self):
        """The initial values of this view's cells, read from and written into the
        population's (PyNN 0.13's common view raises NotImplementedError here, so
        ``view.initialize(v=...)`` failed in every backend)."""
        return _ViewInitialValues(self.grandparent, self._mask)


def _lazy(values: np.ndarray) -> LazyArray:
    """``values`` as PyNN holds initial values: one number when all cells share it
    (``evaluate(simplify=True)`` then gives that number, as in PyNN's backends)."""
    if values.size and np.all(values == values[0]):
        return LazyArray(float(values[0]), shape=values.shape, dtype=float)
    return LazyArray(values, dtype=float)


class _ViewInitialValues(MutableMapping):
    """A population's ``initial_values`` seen through a view's cell indices."""

    def __init__(self, owner: "Population", indices: np.ndarray) -> None:
        self._owner = owner
        self._indices = indices

    def __getitem__(self, variable):
        return LazyArray(self._owner.initial_values[variable][self._indices], dtype=float)

    def __setitem__(self, variable, value):
        owner = self._owner
        if variable in owner._initial:  # what was drawn for the run, view included
            values = owner._initial[variable].copy()
        else:
            values = np.array(np.broadcast_to(
                owner.initial_values[variable].evaluate(simplify=False), (owner.size,)),
                dtype=float)
            values[self._indices] = value.evaluate(simplify=False)
        owner.initial_values[variable] = _lazy(values)

    def __delitem__(self, variable):
        raise TypeError("a view's initial values cannot be removed, only set")

    def __iter__(self):
        return iter(self._owner.initial_values)

    def __len__(self):
        return len(self._owner.initial_values)


class Population(_Parameters, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    @property
    def _owner(self):
        return self

    @property
    def _mask(self):
        return slice(None)

    def _create_cells(self):
        state = simulator.state
        celltype = self.celltype
        kind = getattr(celltype, "bss1lab_type", None)
        if kind is None:
            raise errors.NoModelAvailableError(
                f"bss1lab.pynn: {type(celltype).__name__} is not available; bss1lab "
                "emulates IF_cond_exp, EIF_cond_exp_isfa_ista, IF_curr_exp, IF_curr_delta, "
                "SpikeSourcePoisson and SpikeSourceArray")
        if not state.wafer.is_ideal and not kind.is_source and kind.synapse_model != "cond_exp":
            raise errors.NoModelAvailableError(
                f"bss1lab.pynn: {type(celltype).__name__} is current-based; the "
                "BrainScaleS-1 wafer has conductance-based synapses only (IF_cond_exp, "
                "EIF_cond_exp_isfa_ista). Use setup(wafer=Wafer.ideal()) for the reference.")
        ids = np.arange(state.id_counter, state.id_counter + self.size)
        self.all_cells = np.array([simulator.ID(i) for i in ids], dtype=simulator.ID)
        self._mask_local = np.ones(self.size, dtype=bool)
        space = celltype.native_parameters
        space.shape = (self.size,)
        space.evaluate(simplify=False)
        self._parameters = {name: _per_cell(value, self.size)
                            for name, value in space.as_dict().items()}
        _check_spike_times(self._parameters)
        self._initial: dict[str, np.ndarray] = {}
        for cell in self.all_cells:
            cell.parent = self
        state.id_counter += self.size
        state.populations.append(self)
        state.changed = True

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def initialize(self, **initial_values):
        """PyNN's ``initialize``; ``initial_values`` then holds the values drawn for
        the run (PyNN's lazy array would draw a RandomDistribution anew on every
        read)."""
        super().initialize(**initial_values)
        for variable in initial_values:
            if variable in self._initial:
                self.initial_values[variable] = _lazy(self._initial[variable].copy())
