"""Turn a network description into arrays: draw parameters, connect, lay cells out.

The result is still the biological network (no hardware in it). Cells are numbered
globally in the order of ``Network.populations``; every population is one contiguous
range of these indices.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Mapping, NamedTuple

import numpy as np

from bss1lab.network.cells import CellType, check_value
from bss1lab.network.connectors import FromListConnector
from bss1lab.network.model import (RECEPTOR_TYPES, Network, Projection, StepCurrentSource,
                                   check_weight_sign)
from bss1lab.network.random import RandomDistribution
from bss1lab.validation import MAX_TIME_MS, as_indices, as_instance, as_seed_sequence

__all__ = ["PopulationSlice", "RealisedNetwork", "Redraw", "realise",
           "expected_synapses", "KEEP_SYNAPSES_UP_TO"]

#: ``realise(keep_synapses=None)`` keeps the flat synapse arrays (16 bytes a synapse)
#: up to this many expected synapses; above it the network keeps only how to draw
#: each projection again, and the emulator draws them straight into its own arrays.
KEEP_SYNAPSES_UP_TO = 50_000_000


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


class Redraw(NamedTuple):
    """How to draw one projection again: a snapshot of its description (so later
    changes to the user's objects change nothing), its seed, where its populations
    start, and its shortest and longest delay (ms)."""

    projection: Projection
    seed: np.random.SeedSequence
    pre_start: int
    post_start: int
    delay_range: tuple[float, float]

    def draw(self, connections_only: bool = False) -> tuple[np.ndarray, ...]:
        """``(pre, post, weight, delay)`` as first drawn, or ``(pre, post)``."""
        return _realise_projection(self.projection, np.random.default_rng(self.seed),
                                   self.pre_start, self.post_start, connections_only)


@dataclass
class RealisedNetwork:
    """A network drawn into arrays.

    The synapses are either kept as flat arrays (``pre`` ... ``delay``, in projection
    order) or, for networks too large to hold twice, not kept: then those are None and
    :meth:`projection_synapses` draws a projection again, identically, when asked.

    Attributes
    ----------
    populations : tuple of PopulationSlice
    pre, post : int32 arrays or None
        Global cell index of each synapse's source and target.
    weight : float32 array or None
        In the post cell type's weight units (uS, nA or mV).
    delay : float32 array or None
        ms.
    projection_labels : tuple of str
    projection_offsets : int64 array
        Synapses of projection ``k`` are ``offsets[k]:offsets[k + 1]``.
    projection_receptors : int8 array
        Per projection: index into ``RECEPTOR_TYPES``.
    projection_plasticity : tuple
        Per projection: ``(U, tau_rec, tau_facil)`` of its Tsodyks-Markram synapses,
        or None for static synapses.
    seed : int or None
        The seed the draws came from.
    redraw : tuple of Redraw
        When the synapses are not kept: per projection, how to draw it again. Each
        emulation of the network draws every projection twice more (see
        ``emulator.layout``).
    """

    populations: tuple[PopulationSlice, ...]
    pre: np.ndarray | None
    post: np.ndarray | None
    weight: np.ndarray | None
    delay: np.ndarray | None
    projection_labels: tuple[str, ...]
    projection_offsets: np.ndarray
    projection_receptors: np.ndarray
    projection_plasticity: tuple = ()
    seed: int | None = None
    label: str = "network"
    extra: dict = field(default_factory=dict)
    redraw: tuple = ()

    @property
    def n_cells(self) -> int:
        return self.populations[-1].stop

    @property
    def n_synapses(self) -> int:
        return int(self.projection_offsets[-1])

    @property
    def synapses_kept(self) -> bool:
        """Whether the flat synapse arrays are held (else projections are redrawn)."""
        return self.pre is not None

    @property
    def receptor(self) -> np.ndarray:
        """Per synapse: index into ``RECEPTOR_TYPES`` (int8), built on each access
        from ``projection_receptors``."""
        return np.repeat(self.projection_receptors, np.diff(self.projection_offsets))

    @property
    def synapse_projection(self) -> np.ndarray:
        """Per synapse: the index of its projection (int64), built on each access
        from ``projection_offsets``."""
        return np.repeat(np.arange(self.projection_offsets.size - 1),
                         np.diff(self.projection_offsets))

    def projection_synapses(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                   np.ndarray]:
        """``(pre, post, weight, delay)`` of projection ``k``: global int32 cell
        indices, float32 weights and delays (ms); views of the kept arrays, or the
        projection drawn again from its own seed, identical to the first draw."""
        if self.synapses_kept:
            part = self._part(k)
            return self.pre[part], self.post[part], self.weight[part], self.delay[part]
        return self.redraw[k].draw()

    def projection_connections(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(pre, post)`` of projection ``k`` (see :meth:`projection_synapses`); drawn
        again, this skips the weights and delays."""
        if self.synapses_kept:
            part = self._part(k)
            return self.pre[part], self.post[part]
        return self.redraw[k].draw(connections_only=True)

    def projection_delay_range(self, k: int) -> tuple[float, float]:
        """Shortest and longest delay (ms) of projection ``k``; (inf, 0) if empty."""
        if not self.synapses_kept:
            return self.redraw[k].delay_range
        delay = self.delay[self._part(k)]
        return (float(delay.min()), float(delay.max())) if delay.size else (np.inf, 0.0)

    def _part(self, k: int) -> slice:
        return slice(self.projection_offsets[k], self.projection_offsets[k + 1])

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

    def named(self, owner: str, name: str, label: object) -> PopulationSlice:
        """The population ``label`` names in ``owner``'s parameter ``name``.

        Raises
        ------
        ValueError
            Naming ``owner``, ``name``, the label and the populations there are.
        """
        for population in self.populations:
            if population.label == label:
                return population
        raise ValueError(f"{owner}: {name} names unknown population {label!r}; "
                         f"populations: {[p.label for p in self.populations]}")

    def selected(self, owner: str, name: str,
                 selection: object) -> list[tuple[PopulationSlice, np.ndarray]]:
        """Each population of ``selection`` (a mapping of population label to local
        indices, ``owner``'s parameter ``name``) with its checked local indices."""
        as_instance(owner, name, selection, Mapping, "a mapping of population label to "
                    "local indices, e.g. {'E': range(10)}")
        return [(population, as_indices(owner, f"{name}[{label!r}]", indices,
                                        population.size))
                for label, indices in selection.items()
                for population in [self.named(owner, name, label)]]


def _drawn(owner: str, name: str, distribution: RandomDistribution,
           rng: np.random.Generator, size: int) -> np.ndarray:
    """``distribution.draw(rng, size)``; a distribution that cannot be drawn from
    raises naming ``owner`` and ``name``."""
    try:
        return distribution.draw(rng, size)
    except ValueError as error:
        raise ValueError(f"{owner}: {name}: {error}") from error


def _draw(owner: str, name: str, value: object, size: int, rng: np.random.Generator,
          **checks) -> np.ndarray:
    """One float64 value per cell from a scalar, an array or a distribution; draws
    are checked with ``check_value(..., **checks)`` (sign, allowed range)."""
    if isinstance(value, RandomDistribution):
        values = _drawn(owner, name, value, rng, size)
        check_value(owner, f"{name} (drawn from {value!r})", values, **checks)
        return values
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (size,)).copy()


def _realise_projection(projection: Projection, rng: np.random.Generator,
                        pre_start: int, post_start: int, connections_only: bool = False
                        ) -> tuple[np.ndarray, ...]:
    """Draw one projection: global int32 ``pre``, ``post``, float32 ``weight`` and
    ``delay`` (or only ``pre`` and ``post``, its first draws). Each array shrinks to
    its final type as soon as it is drawn, so a large projection never holds all four
    in 64 bits at once."""
    pre_pop, post_pop = projection.pre, projection.post
    pre, post = projection.connector.connect(pre_pop.size, post_pop.size,
                                             pre_pop is post_pop, rng)
    pre = pre.astype(np.int32)
    post = post.astype(np.int32)
    if connections_only:
        pre += np.int32(pre_start)
        post += np.int32(post_start)
        return pre, post
    values = []
    for what in ("weight", "delay"):
        given = getattr(projection.synapse_type, what)
        from_list = (getattr(projection.connector, f"{what}s")
                     if isinstance(projection.connector, FromListConnector) else None)
        if from_list is not None:
            array = from_list
        elif isinstance(given, RandomDistribution):
            array = _drawn(f"Projection {projection.label!r}", what, given, rng, pre.size)
        elif isinstance(given, np.ndarray):
            array = given[pre, post]
        else:
            array = np.full(pre.size, given, dtype=np.float64)
        if array.size and what == "weight":
            check_weight_sign(projection, float(array.min()), float(array.max()))
        if array.size and what == "delay" and not (np.all(np.isfinite(array))
                                                   and 0 < array.min()
                                                   and array.max() <= MAX_TIME_MS):
            raise ValueError(f"Projection {projection.label!r}: delays must be > 0 ms and "
                             f"at most {MAX_TIME_MS:g} ms, got values from {array.min():g} "
                             f"to {array.max():g}")
        values.append(array.astype(np.float32))
        del array
    weight, delay = values
    pre += np.int32(pre_start)
    post += np.int32(post_start)
    return pre, post, weight, delay


def realise(network: Network, seed: int | np.random.SeedSequence | None = None,
            keep_synapses: bool | None = True) -> RealisedNetwork:
    """Draw every parameter and connection of ``network``.

    Parameters
    ----------
    network : Network
    seed : int or numpy.random.SeedSequence, optional
        Each population and projection draws from its own child of this seed, so
        adding a projection does not change the others. None draws fresh entropy.
    keep_synapses : bool or None
        True: keep the synapses as flat arrays. False: draw each projection once (to
        check and count it) and keep only its seed, for
        :meth:`RealisedNetwork.projection_synapses` to draw it again; the emulator
        then holds the only copy, which is what lets a network of 0.3 G synapses run
        in a few GB, at the price of drawing it again for each emulation. None: keep
        them unless the connectors expect more than ``KEEP_SYNAPSES_UP_TO`` synapses
        (or cannot tell). The draws are the same either way.

    Returns
    -------
    RealisedNetwork
    """
    as_instance("realise", "network", network, Network, "a Network")
    sequence = as_seed_sequence("realise", seed)
    n_items = len(network.populations) + len(network.projections)
    children = sequence.spawn(n_items)
    populations = []
    start = 0
    for population, child in zip(network.populations, children):
        rng = np.random.default_rng(child)
        cell = population.cell_type
        parameters: dict = {}
        for name, value in cell.parameters.items():
            if name == "spike_times":
                trains = value if getattr(cell, "per_cell", False) else value * population.size
                parameters[name] = list(trains)
            else:
                parameters[name] = _draw(f"Population {population.label!r}", name, value,
                                         population.size, rng,
                                         positive=name in cell.positive,
                                         non_negative=name in cell.non_negative,
                                         **cell.allowed_range(name))
        for low, high in getattr(cell, "ordered", ()):
            if low in parameters and high in parameters:
                wrong = parameters[low] >= parameters[high]
                if wrong.any():
                    raise ValueError(
                        f"Population {population.label!r}: {low} must be below {high}, but "
                        f"is not in {int(wrong.sum())} of {population.size} cells (first: "
                        f"cell {int(np.argmax(wrong))})")
        initial = {name: _draw(f"Population {population.label!r}", f"initial {name}", value,
                               population.size, rng, **cell.allowed_range(name))
                   for name, value in population.initial_values.items()}
        populations.append(PopulationSlice(population.label, cell, start, population.size,
                                           parameters, tuple(population.current_sources),
                                           initial))
        start += population.size
    starts = {id(p): s.start for p, s in zip(network.populations, populations)}
    if keep_synapses is None:
        expected = expected_synapses(network)
        keep_synapses = expected is None or expected <= KEEP_SYNAPSES_UP_TO

    drawn, redraw = [], []
    for projection, child in zip(network.projections, children[len(network.populations):]):
        pre_start, post_start = starts[id(projection.pre)], starts[id(projection.post)]
        synapses = _realise_projection(projection, np.random.default_rng(child),
                                       pre_start, post_start)
        if keep_synapses:
            drawn.append(synapses)
        else:
            delay = synapses[3]
            redraw.append(Redraw(copy.deepcopy(projection), child, pre_start, post_start,
                                 (float(delay.min()), float(delay.max())) if delay.size
                                 else (np.inf, 0.0)))
            drawn.append((synapses[0].size,))
        del synapses
    counts = [len(d[0]) if keep_synapses else d[0] for d in drawn]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    def joined(i: int, dtype: type) -> np.ndarray | None:
        if not keep_synapses:
            return None
        if not drawn:
            return np.empty(0, dtype=dtype)
        return np.concatenate([d[i] for d in drawn])

    arrays = [joined(i, dtype) for i, dtype in enumerate(
        (np.int32, np.int32, np.float32, np.float32))]
    drawn.clear()
    return RealisedNetwork(
        populations=tuple(populations), pre=arrays[0], post=arrays[1], weight=arrays[2],
        delay=arrays[3],
        projection_labels=tuple(p.label for p in network.projections),
        projection_offsets=offsets,
        projection_receptors=np.array([RECEPTOR_TYPES.index(p.receptor_type)
                                       for p in network.projections], dtype=np.int8),
        projection_plasticity=tuple(p.plasticity for p in network.projections),
        seed=seed if isinstance(seed, (int, np.integer)) else None,
        label=network.label,
        redraw=tuple(redraw))


def expected_synapses(network: Network) -> float | None:
    """How many synapses the connectors of ``network`` make, on average; None when a
    connector cannot tell."""
    counts = [p.connector.expected_count(p.pre.size, p.post.size, p.pre is p.post)
              for p in network.projections]
    return None if any(c is None for c in counts) else float(sum(counts))
