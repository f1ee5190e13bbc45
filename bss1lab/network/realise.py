"""Turn a network description into arrays: draw parameters, connect, lay cells out.

The result is still the biological network (no hardware in it). Cells are numbered
globally in the order of ``Network.populations``; every population is one contiguous
range of these indices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bss1lab.network.cells import CellType, check_value
from bss1lab.network.connectors import FromListConnector
from bss1lab.network.model import (RECEPTOR_TYPES, Network, Projection, StepCurrentSource,
                                   check_weight_sign)
from bss1lab.network.random import RandomDistribution

__all__ = ["PopulationSlice", "RealisedNetwork", "realise"]


@dataclass(frozen=True)
class PopulationSlice:
    """Where a population's cells sit in the global numbering, with their drawn values.

    Attributes
    ----------
    label : str
    cell_type : CellType
    start : int
        Global index of the first cell.
    size : int
    parameters : dict of str to ndarray
        Every parameter of the cell type, one float64 value per cell (bio units).
        For ``SpikeSourceArray`` the key ``spike_times`` holds a list of arrays (ms).
    current_sources : tuple of StepCurrentSource
    initial_values : dict of str to ndarray
        Initial state (``v`` in mV, ``w`` in nA) per cell, where the user set one.
    """

    label: str
    cell_type: CellType
    start: int
    size: int
    parameters: dict
    current_sources: tuple[StepCurrentSource, ...] = ()
    initial_values: dict = field(default_factory=dict)

    @property
    def stop(self) -> int:
        """One past the global index of the last cell."""
        return self.start + self.size

    @property
    def is_source(self) -> bool:
        return self.cell_type.is_source


@dataclass
class RealisedNetwork:
    """A network drawn into arrays.

    Attributes
    ----------
    populations : tuple of PopulationSlice
    pre, post : int32 arrays
        Global cell index of each synapse's source and target.
    weight : float32 array
        In the post cell type's weight units (uS, nA or mV).
    delay : float32 array
        ms.
    receptor : int8 array
        Index into ``RECEPTOR_TYPES``.
    projection_labels : tuple of str
    projection_offsets : int64 array
        Synapses of projection ``k`` are ``offsets[k]:offsets[k + 1]``.
    projection_plasticity : tuple
        Per projection: ``(U, tau_rec, tau_facil)`` of its Tsodyks-Markram synapses,
        or None for static synapses.
    seed : int or None
        The seed the draws came from.
    """

    populations: tuple[PopulationSlice, ...]
    pre: np.ndarray
    post: np.ndarray
    weight: np.ndarray
    delay: np.ndarray
    receptor: np.ndarray
    projection_labels: tuple[str, ...]
    projection_offsets: np.ndarray
    projection_plasticity: tuple = ()
    seed: int | None = None
    label: str = "network"
    extra: dict = field(default_factory=dict)

    @property
    def n_cells(self) -> int:
        return self.populations[-1].stop

    @property
    def n_synapses(self) -> int:
        return int(self.pre.size)

    @property
    def is_source(self) -> np.ndarray:
        """Per cell: True for spike sources, False for neurons."""
        mask = np.zeros(self.n_cells, dtype=bool)
        for population in self.populations:
            mask[population.start:population.stop] = population.is_source
        return mask

    def population(self, label: str) -> PopulationSlice:
        """The slice of the population called ``label``."""
        for population in self.populations:
            if population.label == label:
                return population
        raise KeyError(f"no population {label!r}; populations: "
                       f"{[p.label for p in self.populations]}")


def _draw(owner: str, name: str, value: object, size: int, rng: np.random.Generator,
          positive: bool = False, non_negative: bool = False) -> np.ndarray:
    """One float64 value per cell from a scalar, an array or a distribution."""
    if isinstance(value, RandomDistribution):
        values = value.draw(rng, size)
        check_value(owner, f"{name} (drawn from {value!r})", values, positive=positive,
                    non_negative=non_negative)
        return values
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (size,)).copy()


def _realise_projection(projection: Projection, rng: np.random.Generator
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    pre_pop, post_pop = projection.pre, projection.post
    pre, post = projection.connector.connect(pre_pop.size, post_pop.size,
                                             pre_pop is post_pop, rng)
    values = []
    for what in ("weight", "delay"):
        given = getattr(projection.synapse_type, what)
        from_list = (getattr(projection.connector, f"{what}s")
                     if isinstance(projection.connector, FromListConnector) else None)
        if from_list is not None:
            array = from_list
        elif isinstance(given, RandomDistribution):
            array = given.draw(rng, pre.size)
        elif isinstance(given, np.ndarray):
            array = given[pre, post]
        else:
            array = np.full(pre.size, given, dtype=np.float64)
        values.append(array)
    weight, delay = values
    if weight.size:
        check_weight_sign(projection, float(weight.min()), float(weight.max()))
        if not (np.all(np.isfinite(delay)) and delay.min() > 0):
            raise ValueError(f"Projection {projection.label!r}: delays must be > 0 ms, got "
                             f"values down to {delay.min()}")
    return pre, post, weight, delay


def realise(network: Network, seed: int | np.random.SeedSequence | None = None
            ) -> RealisedNetwork:
    """Draw every parameter and connection of ``network``.

    Parameters
    ----------
    network : Network
    seed : int or numpy.random.SeedSequence, optional
        Each population and projection draws from its own child of this seed, so
        adding a projection does not change the others. None draws fresh entropy.

    Returns
    -------
    RealisedNetwork
    """
    sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    n_items = len(network.populations) + len(network.projections)
    generators = [np.random.default_rng(child) for child in sequence.spawn(n_items)]
    populations = []
    start = 0
    for population, rng in zip(network.populations, generators):
        cell = population.cell_type
        parameters: dict = {}
        for name, value in cell.parameters.items():
            if name == "spike_times":
                trains = value if getattr(cell, "per_cell", False) else value * population.size
                parameters[name] = list(trains)
            else:
                parameters[name] = _draw(f"Population {population.label!r}", name, value,
                                         population.size, rng, name in cell.positive,
                                         name in cell.non_negative)
        for low, high in getattr(cell, "ordered", ()):
            if low in parameters and high in parameters:
                wrong = parameters[low] >= parameters[high]
                if wrong.any():
                    raise ValueError(
                        f"Population {population.label!r}: {low} must be below {high}, but "
                        f"is not in {int(wrong.sum())} of {population.size} cells (first: "
                        f"cell {int(np.argmax(wrong))})")
        initial = {name: _draw(f"Population {population.label!r}", f"initial {name}", value,
                               population.size, rng)
                   for name, value in population.initial_values.items()}
        populations.append(PopulationSlice(population.label, cell, start, population.size,
                                           parameters, tuple(population.current_sources),
                                           initial))
        start += population.size
    starts = {id(p): s.start for p, s in zip(network.populations, populations)}

    pieces = []
    for projection, rng in zip(network.projections, generators[len(network.populations):]):
        pre, post, weight, delay = _realise_projection(projection, rng)
        pieces.append((pre + starts[id(projection.pre)], post + starts[id(projection.post)],
                       weight, delay, RECEPTOR_TYPES.index(projection.receptor_type)))
    counts = [piece[0].size for piece in pieces]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    def joined(i: int, dtype: type) -> np.ndarray:
        if not pieces:
            return np.empty(0, dtype=dtype)
        return np.concatenate([piece[i].astype(dtype, copy=False) for piece in pieces])

    receptor = (np.repeat(np.array([p[4] for p in pieces], dtype=np.int8), counts)
                if pieces else np.empty(0, dtype=np.int8))
    return RealisedNetwork(
        populations=tuple(populations),
        pre=joined(0, np.int32), post=joined(1, np.int32),
        weight=joined(2, np.float32), delay=joined(3, np.float32), receptor=receptor,
        projection_labels=tuple(p.label for p in network.projections),
        projection_offsets=offsets,
        projection_plasticity=tuple(getattr(p.synapse_type, "plasticity", None)
                                    for p in network.projections),
        seed=seed if isinstance(seed, (int, np.integer)) else None,
        label=network.label)
