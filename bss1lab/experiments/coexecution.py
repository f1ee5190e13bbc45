"""Co-execution: build a bss1lab network (typically what the wafer realised) in any
PyNN backend, so NEST runs the same synapses, weights, delays and per-neuron
parameters the wafer did."""

from __future__ import annotations

import types

import numpy as np

from bss1lab.errors import ParameterTypeError
from bss1lab.hardware.realised import realised_network
from bss1lab.network.cells import SpikeSourceArray
from bss1lab.network.model import Network

__all__ = ["to_pynn"]


def to_pynn(mapped, sim: types.ModuleType) -> dict:
    """Build ``mapped``'s realised network in the PyNN backend ``sim``.

    Parameters
    ----------
    mapped : MappedNetwork or Network
        A mapping (its :func:`~bss1lab.hardware.realised.realised_network` is built)
        or a plain ``Network`` whose projections are ``FromListConnector`` ones.
    sim : module
        A PyNN backend after ``sim.setup(...)``: ``pyNN.nest``, ``bss1lab.pynn``, ...

    Returns
    -------
    dict
        ``"populations"``: label -> ``sim.Population``, in the network's order (so
        cell ``n`` of the network is the ``n``-th cell created); ``"projections"``:
        label -> ``sim.Projection``.

    Examples
    --------
    >>> import pyNN.nest as sim                                 # doctest: +SKIP
    >>> sim.setup(timestep=0.1)                                 # doctest: +SKIP
    >>> built = to_pynn(Wafer().map(network, seed=1), sim)      # doctest: +SKIP
    >>> built["populations"]["E"].record("spikes")              # doctest: +SKIP
    """
    from pyNN.parameters import Sequence

    if not isinstance(sim, types.ModuleType) or not hasattr(sim, "Population"):
        raise ParameterTypeError(f"to_pynn: sim={sim!r} must be a PyNN backend module, e.g. "
                                 "pyNN.nest or bss1lab.pynn")
    network = mapped if isinstance(mapped, Network) else realised_network(mapped)
    populations = {}
    for population in network.populations:
        cell = population.cell_type
        name = type(cell).__name__
        if isinstance(cell, SpikeSourceArray):
            trains = cell.parameters["spike_times"]
            if not getattr(cell, "per_cell", False):
                trains = trains * population.size
            cell_type = sim.SpikeSourceArray(spike_times=[Sequence(t) for t in trains])
        else:
            cell_type = getattr(sim, name)(**{key: np.broadcast_to(value, population.size)
                                              for key, value in cell.parameters.items()})
        made = sim.Population(population.size, cell_type, label=population.label)
        initial = dict(population.initial_values)
        if not cell.is_source:  # bss1lab starts at v_rest, PyNN at its default v
            initial.setdefault("v", np.broadcast_to(cell.parameters["v_rest"],
                                                    population.size))
        if initial:
            made.initialize(**initial)
        for source in population.current_sources:
            sim.StepCurrentSource(times=source.times,
                                  amplitudes=source.amplitudes).inject_into(made)
        populations[population.label] = made
    projections = {}
    for projection in network.projections:
        connector = projection.connector
        if not hasattr(connector, "conn_list") or connector.conn_list.shape[1] != 4:
            raise ValueError(f"to_pynn: projection {projection.label!r} has "
                             f"{type(connector).__name__}; give a MappedNetwork, or a "
                             "Network of FromListConnector(pre, post, weight, delay) rows")
        plasticity = projection.plasticity
        synapse = (sim.StaticSynapse() if plasticity is None else
                   sim.TsodyksMarkramSynapse(U=plasticity[0], tau_rec=plasticity[1],
                                             tau_facil=plasticity[2]))
        projections[projection.label] = sim.Projection(
            populations[projection.pre.label], populations[projection.post.label],
            sim.FromListConnector(connector.conn_list,
                                  column_names=["weight", "delay"]), synapse,
            receptor_type=projection.receptor_type, label=projection.label)
    return {"populations": populations, "projections": projections}
