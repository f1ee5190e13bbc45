"""From the PyNN objects of ``bss1lab.pynn`` to a plain ``bss1lab.network.Network``.

Cells keep their order: PyNN cell ``ID`` ``n`` is cell ``n`` of the bss1lab network.
A PyNN population becomes one bss1lab population, or several consecutive ones where
current sources feed only some of its cells (bss1lab injects a source into a whole
population; on the wafer each part then starts on a HICANN of its own). Every
projection becomes ``FromListConnector`` projections holding the connections PyNN's
connector drew, with their weights and delays.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import numpy as np
from pyNN import errors

from bss1lab import network as bss

__all__ = ["Built", "build_network"]

PLASTICITY = ("U", "tau_rec", "tau_facil")


@dataclass
class Built:
    """A network built from the PyNN objects, and how to find the PyNN cells in it.

    Attributes
    ----------
    network : bss1lab.network.Network
    starts : int64 array
        Global index of the first cell of each bss1lab population.
    recording : dict
        ``Emulation`` keywords: ``record_spikes``, ``record_variables``,
        ``record_cells``, ``record_interval``.
    """

    network: bss.Network
    starts: np.ndarray
    recording: dict


def _source_keys(state, n_cells: int) -> list[tuple]:
    """Per cell: the current sources (indices into ``state.current_sources``) feeding it."""
    keys: list[list[int]] = [[] for _ in range(n_cells)]
    for k, source in enumerate(state.current_sources):
        if source.cells.size and source.steps() is not None:
            for cell in source.cells:
                keys[cell].append(k)
    return [tuple(key) for key in keys]


def _runs(keys: list[tuple]) -> list[tuple[int, int]]:
    """Maximal ranges ``[a, b)`` of equal keys."""
    bounds = [0] + [i for i in range(1, len(keys)) if keys[i] != keys[i - 1]] + [len(keys)]
    return list(zip(bounds[:-1], bounds[1:]))


def _cell_type(population, a: int, b: int):
    """The bss1lab cell type of cells ``a:b`` of a PyNN population."""
    celltype = population.celltype
    kind = getattr(celltype, "bss1lab_type", None)
    if kind is None:
        raise errors.NoModelAvailableError(
            f"bss1lab.pynn: {type(celltype).__name__} is not a cell type bss1lab emulates")
    values = population._parameters
    if kind is bss.SpikeSourceArray:
        trains = [np.asarray(getattr(t, "value", t), dtype=float)
                  for t in values["spike_times"][a:b]]
        return kind(trains)
    return kind(**{name: np.asarray(values[name][a:b], dtype=float)
                   for name in kind.default_parameters})


def _unique(label: str, taken: set) -> str:
    candidate, n = label, 1
    while candidate in taken:
        n += 1
        candidate = f"{label}#{n}"
    taken.add(candidate)
    return candidate


def build_network(state) -> Built:
    """The bss1lab ``Network`` the PyNN objects of ``state`` describe (see module)."""
    n_cells = state.id_counter
    keys = _source_keys(state, n_cells)
    populations, starts, taken = [], [], set()
    for pop in state.populations:
        first = int(pop.first_id)
        pieces = _runs(keys[first:first + pop.size])
        for a, b in pieces:
            label = pop.label if len(pieces) == 1 else f"{pop.label}[{a}:{b}]"
            part = bss.Population(b - a, _cell_type(pop, a, b), label=_unique(label, taken))
            for name, values in pop._initial.items():
                part.initialize(**{name: values[a:b]})
            for k in keys[first + a]:
                times, amplitudes = state.current_sources[k].steps()
                part.inject(bss.StepCurrentSource(times, amplitudes))
            populations.append(part)
            starts.append(first + a)
    starts = np.asarray(starts, dtype=np.int64)
    projections = []
    for projection in state.projections:
        projections += _projections(projection, populations, starts, taken)
    return Built(bss.Network(*populations, *projections, label="bss1lab.pynn"), starts,
                 _recording(state, populations, starts))


def _projections(projection, populations, starts, taken) -> list:
    """One PyNN projection as FromList projections between the bss1lab populations."""
    if not len(projection):
        return []
    pre = np.asarray(projection.pre.all_cells, dtype=np.int64)[projection._pre]
    post = np.asarray(projection.post.all_cells, dtype=np.int64)[projection._post]
    values = projection._values
    synapse = {}
    if all(name in values for name in PLASTICITY):
        for name in PLASTICITY:
            unique = np.unique(values[name])
            if unique.size != 1:
                raise NotImplementedError(
                    f"bss1lab.pynn: projection {projection.label!r}: {name} differs between "
                    "connections; bss1lab's Tsodyks-Markram synapses share U, tau_rec and "
                    "tau_facil within a projection (make one projection per value)")
            synapse[name] = float(unique[0])
    pre_part = np.searchsorted(starts, pre, side="right") - 1
    post_part = np.searchsorted(starts, post, side="right") - 1
    made = []
    for i, j in sorted(set(zip(pre_part.tolist(), post_part.tolist()))):
        rows = (pre_part == i) & (post_part == j)
        conn_list = np.column_stack([pre[rows] - starts[i], post[rows] - starts[j],
                                     values["weight"][rows], values["delay"][rows]])
        kind = bss.TsodyksMarkramSynapse if synapse else bss.StaticSynapse
        made.append(bss.Projection(populations[i], populations[j],
                                   bss.FromListConnector(conn_list), kind(**synapse),
                                   receptor_type=projection.receptor_type,
                                   label=_unique(projection.label, taken)))
    return made


def _recording(state, populations, starts) -> dict:
    """The ``Emulation`` recorders that cover what every PyNN recorder asks for."""
    spiking, traced, variables, intervals = set(), set(), set(), []
    for recorder in state.recorders:
        for variable, ids in recorder.recorded.items():
            if not ids:
                continue
            cells = {int(i) for i in ids}
            if variable.name == "spikes":
                spiking |= cells
            else:
                traced |= cells
                variables.add(variable.name)
                intervals.append(int(round(recorder.sampling_interval / state.dt)))
    part_of = {}
    for k, cell in enumerate(sorted(spiking | traced)):
        part_of[cell] = int(np.searchsorted(starts, cell, side="right") - 1)
    record_spikes = sorted({populations[part_of[c]].label for c in spiking})
    if not variables:
        return {"record_spikes": record_spikes}
    record_cells: dict[str, list[int]] = {}
    for cell in sorted(traced):
        part = part_of[cell]
        record_cells.setdefault(populations[part].label, []).append(cell - int(starts[part]))
    every = 0
    for n in intervals:
        every = gcd(every, max(n, 1))
    return {"record_spikes": record_spikes, "record_variables": sorted(variables),
            "record_cells": record_cells, "record_interval": every * state.dt}
