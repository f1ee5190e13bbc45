"""The network the wafer realised, as a plain ``Network`` of the ideal layer.

The seed experiments ran NEST on what the wafer made of their network: the surviving
synapses with their quantised and distorted weights and routed delays, each neuron
with its own parameters (fixed-pattern noise, clipping, shared V_reset).
:func:`realised_network` gives exactly that: run on ``Wafer.ideal()`` (or in any
PyNN backend, ``bss1lab.experiments.to_pynn``) it has every mapping-time effect and
none of the run-time ones (input and readout drops, saturation, the synapse drivers'
plasticity circuit).
"""

from __future__ import annotations

import numpy as np

from bss1lab.network.cells import SpikeSourceArray
from bss1lab.network.connectors import FromListConnector
from bss1lab.network.model import (RECEPTOR_TYPES, Network, Population, Projection,
                                   StaticSynapse, TsodyksMarkramSynapse)

__all__ = ["realised_network"]


def _population(part) -> Population:
    """A ``Population`` with one value per cell of every parameter of ``part``
    (a ``PopulationSlice``)."""
    kind = type(part.cell_type)
    if kind is SpikeSourceArray:
        cell_type = SpikeSourceArray([np.asarray(t, dtype=float)
                                      for t in part.parameters["spike_times"]])
    else:
        cell_type = kind(**{name: np.asarray(values, dtype=float)
                            for name, values in part.parameters.items()})
    population = Population(part.size, cell_type, label=part.label)
    if part.initial_values:
        population.initialize(**part.initial_values)
    for source in part.current_sources:
        population.inject(source)
    return population


def realised_network(mapped) -> Network:
    """A plain ``Network`` of exactly what ``mapped`` realised.

    Parameters
    ----------
    mapped : MappedNetwork
        From ``Wafer.map`` (or ``Wafer.ideal().map``: then the network as drawn).

    Returns
    -------
    Network
        The same populations (labels, sizes, order) with per-neuron parameter arrays
        as mapped, and per projection a ``FromListConnector`` of its realised synapses
        with their weights (uS) and delays (ms); Tsodyks-Markram projections keep
        their (possibly clipped) U, tau_rec, tau_facil. Projections that lost every
        synapse are left out.

    Examples
    --------
    >>> from bss1lab.hardware import Wafer
    >>> from bss1lab.experiments import run
    >>> mapped = Wafer().map(network, seed=1)                 # doctest: +SKIP
    >>> reference = run(mapped.realised_network(), 100.0,
    ...                 wafer=Wafer.ideal())                  # doctest: +SKIP
    """
    net = mapped.network
    populations = [_population(part) for part in net.populations]
    starts = np.array([part.start for part in net.populations])
    projections = []
    for k, label in enumerate(net.projection_labels):
        pre, post, weight, delay = net.projection_synapses(k)
        if pre.size == 0:
            continue
        i = int(np.searchsorted(starts, pre[0], side="right") - 1)
        j = int(np.searchsorted(starts, post[0], side="right") - 1)
        conn_list = np.column_stack([pre - starts[i], post - starts[j],
                                     weight.astype(np.float64), delay.astype(np.float64)])
        plasticity = net.projection_plasticity[k] if net.projection_plasticity else None
        synapse = (StaticSynapse() if plasticity is None
                   else TsodyksMarkramSynapse(*plasticity))
        projections.append(Projection(
            populations[i], populations[j], FromListConnector(conn_list), synapse,
            receptor_type=RECEPTOR_TYPES[int(net.projection_receptors[k])], label=label))
    return Network(*populations, *projections, label=f"{net.label} (as realised)")
