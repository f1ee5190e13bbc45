"""``Projection`` of ``bss1lab.pynn``: PyNN's connectors draw the connections (so every
PyNN connector works), the projection keeps them as arrays, and ``build`` hands them
to bss1lab as ``FromListConnector`` projections."""

from __future__ import annotations

from itertools import repeat

import numpy as np
from pyNN import common
from pyNN.space import Space

from bss1lab.pynn import simulator
from bss1lab.pynn.standardmodels import StaticSynapse

__all__ = ["Connection", "Projection"]


class Connection(common.Connection):
    """One connection of a projection; its attributes read and write the arrays."""

    def __init__(self, projection, index):
        self.projection = projection
        self.index = index

    @property
    def presynaptic_index(self):
        return int(self.projection._pre[self.index])

    @property
    def postsynaptic_index(self):
        return int(self.projection._post[self.index])

    def __getattr__(self, name):
        values = self.__dict__["projection"]._values
        if name not in values:
            raise AttributeError(name)
        return float(values[name][self.index])

    def __setattr__(self, name, value):
        if name in ("projection", "index"):
            object.__setattr__(self, name, value)
            return
        values = self.projection._values
        if name not in values:
            raise AttributeError(f"a connection of {self.projection.label!r} has no "
                                 f"attribute {name!r}; it has {sorted(values)}")
        values[name][self.index] = value
        simulator.state.changed = True

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(),
                 label=None):
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population,
                                   connector, synapse_type, source, receptor_type, space,
                                   label)
        self._pre_parts, self._post_parts, self._value_parts = [], [], []
        connector.connect(self)
        self._pre = np.concatenate(self._pre_parts or [np.empty(0, np.int64)])
        self._post = np.concatenate(self._post_parts or [np.empty(0, np.int64)])
        parts = self._value_parts
        names = list(parts[0]) if parts else list(self.synapse_type.get_native_names())
        self._values = {name: np.concatenate([part[name] for part in parts]) if parts
                        else np.empty(0) for name in names}
        del self._pre_parts, self._post_parts, self._value_parts
        simulator.state.projections.append(self)
        simulator.state.changed = True

    def __len__(self):
        return int(self._pre.size)

    def __getitem__(self, i):
        if not -len(self) <= i < len(self):
            raise IndexError(f"Projection {self.label!r} has {len(self)} connections, "
                             f"no connection {i}")
        return Connection(self, i % len(self))

    @property
    def connections(self):
        return (Connection(self, i) for i in range(len(self)))

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):
        if location_selector is not None:
            raise NotImplementedError("bss1lab.pynn: the wafer's neurons are point "
                                      "neurons (no multi-compartment locations)")
        connection_parameters.pop("dendritic_delay_fraction", None)
        pre = np.asarray(presynaptic_indices, dtype=np.int64).ravel()
        values = {}
        for name, value in connection_parameters.items():
            if np.isscalar(value):
                value = list(repeat(value, pre.size))
            values[name] = np.asarray(value, dtype=float).ravel()
        self._pre_parts.append(pre)
        self._post_parts.append(np.full(pre.size, int(postsynaptic_index), dtype=np.int64))
        self._value_parts.append(values)

    def _set_attributes(self, parameter_space):
        parameter_space.evaluate(simplify=False)
        for name, value in parameter_space.items():
            self._values[name] = np.asarray(value, dtype=float)[self._pre, self._post]
        simulator.state.changed = True

    def _get_attributes_as_list(self, names):
        columns = [self._column(name) for name in names]
        return list(zip(*[column.tolist() for column in columns]))

    def _column(self, name):
        if name == "presynaptic_index":
            return self._pre
        if name == "postsynaptic_index":
            return self._post
        return self._values[name]

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        operation = common.Projection.MULTI_SYNAPSE_OPERATIONS[multiple_synapses]
        arrays = []
        flat = self._pre * self.post.size + self._post
        repeated = np.unique(flat).size < flat.size
        for name in names:
            array = np.full((self.pre.size, self.post.size), np.nan)
            if not repeated:
                array.flat[flat] = self._values[name]
                arrays.append(array)
                continue
            for i, j, value in zip(self._pre, self._post, self._values[name]):
                array[i, j] = value if np.isnan(array[i, j]) else operation(array[i, j],
                                                                            value)
            arrays.append(array)
        return arrays
