"""Populations, projections and networks with PyNN's names, in biological units."""

from __future__ import annotations

from typing import Sequence, Union

import numpy as np

from bss1lab.network.cells import CURRENT_RANGE, CellType, ParameterValue, check_value
from bss1lab.network.connectors import Connector
from bss1lab.network.random import RandomDistribution
from bss1lab.errors import ParameterTypeError
from bss1lab.validation import MAX_TIME_MS, as_count, as_instance, as_number, as_numbers

__all__ = ["Population", "Projection", "StaticSynapse", "TsodyksMarkramSynapse",
           "StepCurrentSource", "Network", "RECEPTOR_TYPES"]

#: Receptor types a projection can target; the index is the emulator's receptor code.
RECEPTOR_TYPES = ("excitatory", "inhibitory")


class StepCurrentSource:
    """A piecewise-constant current (nA) injected into cells, PyNN's ``StepCurrentSource``.

    Parameters
    ----------
    times : array_like
        Times in ms (0..1e12, strictly increasing) at which the amplitude changes.
    amplitudes : array_like
        Current in nA (-100..100, see ``cells.CURRENT_RANGE``) from each time on;
        before the first time the current is 0.
    """

    def __init__(self, times: Sequence[float], amplitudes: Sequence[float]) -> None:
        times_array = as_numbers("StepCurrentSource", "times", times)
        amplitudes_array = as_numbers("StepCurrentSource", "amplitudes", amplitudes)
        if times_array.shape != amplitudes_array.shape:
            raise ValueError(f"StepCurrentSource: times has {times_array.size} entries but "
                             f"amplitudes has {amplitudes_array.size}; they must match")
        if np.any(times_array < 0) or np.any(times_array > MAX_TIME_MS) \
                or np.any(np.diff(times_array) <= 0):
            raise ValueError(f"StepCurrentSource: times must be 0..{MAX_TIME_MS:g} ms and "
                             f"strictly increasing, got {times_array.tolist()[:10]}")
        low, high = CURRENT_RANGE
        if np.any(np.abs(amplitudes_array) > high) or np.any(amplitudes_array < low):
            raise ValueError(f"StepCurrentSource: amplitudes must lie in {low:g}..{high:g} "
                             f"nA, got {amplitudes_array.tolist()[:10]}")
        self.times = times_array
        self.amplitudes = amplitudes_array

    def __repr__(self) -> str:
        return (f"StepCurrentSource(times={self.times.tolist()}, "
                f"amplitudes={self.amplitudes.tolist()})")


class Population:
    """A group of cells of one type.

    Parameters
    ----------
    size : int
        Number of cells, > 0.
    cell_type : CellType
        A cell type instance (e.g. ``IF_cond_exp(tau_m=10.0)``) or a spike source;
        a class is instantiated with its defaults.
    label : str, optional
        Name used in results; unique within a network. Default ``"population<N>"``.
    """

    _count = 0

    def __init__(self, size: int, cell_type: CellType | type[CellType],
                 label: str | None = None) -> None:
        owner = f"Population {label!r}" if label is not None else "Population"
        size = as_count(owner, "size", size, low=1)
        if isinstance(cell_type, type) and issubclass(cell_type, CellType):
            cell_type = cell_type()
        as_instance(owner, "cell_type", cell_type, CellType,
                    "a cell type such as IF_cond_exp()")
        if label is not None and not isinstance(label, str):
            raise ParameterTypeError(f"Population: label={label!r} must be a string")
        Population._count += 1
        self.size = int(size)
        self.cell_type = cell_type
        self.label = label if label is not None else f"population{Population._count}"
        self.current_sources: list[StepCurrentSource] = []
        self.initial_values: dict[str, ParameterValue] = {}
        for name, value in cell_type.parameters.items():
            if isinstance(value, np.ndarray) and value.size != self.size:
                raise ValueError(f"Population {self.label!r}: parameter {name} has "
                                 f"{value.size} values for {self.size} cells")
        trains = cell_type.parameters.get("spike_times")
        if trains is not None and getattr(cell_type, "per_cell", False) \
                and len(trains) != self.size:
            raise ValueError(f"Population {self.label!r}: spike_times has {len(trains)} "
                             f"trains for {self.size} cells")

    def initialize(self, **initial_values: ParameterValue) -> None:
        """Set initial values of state variables (PyNN's ``initialize``).

        Parameters
        ----------
        v : float, array or RandomDistribution
            Membrane potential at t = 0 in mV; default ``v_rest``.
        w : float, array or RandomDistribution
            AdEx adaptation current at t = 0 in nA; default 0.
        """
        allowed = {"v"} | ({"w"} if "w" in self.cell_type.recordable else set())
        if self.cell_type.is_source:
            allowed = set()
        for name, value in initial_values.items():
            if name not in allowed:
                raise ValueError(f"Population {self.label!r}: cannot initialize {name!r}; "
                                 f"allowed: {sorted(allowed)}")
            value = check_value(f"Population {self.label!r}", f"initial {name}", value,
                                **self.cell_type.allowed_range(name))
            if isinstance(value, np.ndarray) and value.size != self.size:
                raise ValueError(f"Population {self.label!r}: initial {name} has "
                                 f"{value.size} values for {self.size} cells")
            self.initial_values[name] = value

    def inject(self, source: StepCurrentSource) -> None:
        """Inject ``source`` into every cell of the population (PyNN's ``inject``)."""
        if self.cell_type.is_source:
            raise ValueError(f"Population {self.label!r}: spike sources take no current")
        as_instance(f"Population {self.label!r}.inject", "source", source,
                    StepCurrentSource, "a StepCurrentSource")
        self.current_sources.append(source)

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"Population({self.size}, {self.cell_type!r}, label={self.label!r})"


WeightValue = Union[float, RandomDistribution, np.ndarray]
#: Largest weight magnitude, in the post cell type's weight units (uS, nA or mV).
MAX_WEIGHT = 1000.0


class StaticSynapse:
    """A synapse with a fixed weight and delay.

    Parameters
    ----------
    weight : float, RandomDistribution or array of shape (n_pre, n_post)
        uS onto conductance-based cells, nA onto ``IF_curr_exp``, mV onto
        ``IF_curr_delta`` (negative for inhibitory current-based synapses).
        At most 1000 in these units (1 mS, 1 uA, 1 V: far beyond any synapse).
    delay : float, RandomDistribution or array of shape (n_pre, n_post)
        ms, > 0; rounded to the simulation grid, at least one time step (a delay
        shorter than ``dt`` takes one step and is counted in the result's
        ``delays_raised_to_dt``). A distribution must be able to draw delays > 0
        (e.g. lognormal); every drawn delay must be > 0.
    """

    def __init__(self, weight: WeightValue = 0.0, delay: WeightValue = 1.0) -> None:
        self.weight = _check_synapse_value("weight", weight)
        self.delay = _check_synapse_value("delay", delay)
        low, high = _value_bounds(self.delay)
        if np.isfinite(high) and high > MAX_TIME_MS:
            raise ValueError(f"StaticSynapse: delay={delay!r} must be at most "
                             f"{MAX_TIME_MS:g} ms")
        if (high if isinstance(self.delay, RandomDistribution) else low) <= 0:
            raise ValueError(f"StaticSynapse: delay={delay!r} must be > 0 ms"
                             + (" (this distribution can draw no such delay)"
                                if isinstance(self.delay, RandomDistribution) else ""))

    def __repr__(self) -> str:
        return f"StaticSynapse(weight={self.weight!r}, delay={self.delay!r})"


class TsodyksMarkramSynapse(StaticSynapse):
    """A synapse with short-term depression and facilitation (Tsodyks & Markram),
    PyNN's ``TsodyksMarkramSynapse``.

    At each presynaptic spike, after a time ``dt`` since the last one:
    ``x = 1 + (x - 1) exp(-dt / tau_rec)``; ``u = U + u (1 - U) exp(-dt / tau_facil)``
    (``u = U`` without facilitation); the spike acts with ``weight * u * x``; then
    ``x -= u x``. Starts from ``x = 1``, ``u = U`` (NEST's ``tsodyks2_synapse``).

    Parameters
    ----------
    U : float
        Utilisation of the synaptic efficacy, 0..1.
    tau_rec, tau_facil : float
        Recovery and facilitation time constants, ms (0: none).
    weight, delay
        As for :class:`StaticSynapse`.
    """

    def __init__(self, U: float = 0.5, tau_rec: float = 100.0, tau_facil: float = 0.0,
                 weight: WeightValue = 0.0, delay: WeightValue = 1.0) -> None:
        super().__init__(weight, delay)
        self.U = as_number("TsodyksMarkramSynapse", "U", U, low=0.0, high=1.0,
                           low_inclusive=False)
        self.tau_rec = as_number("TsodyksMarkramSynapse", "tau_rec", tau_rec, low=0.0)
        self.tau_facil = as_number("TsodyksMarkramSynapse", "tau_facil", tau_facil, low=0.0)

    @property
    def plasticity(self) -> tuple[float, float, float]:
        """(U, tau_rec, tau_facil)."""
        return self.U, self.tau_rec, self.tau_facil

    def __repr__(self) -> str:
        return (f"TsodyksMarkramSynapse(U={self.U!r}, tau_rec={self.tau_rec!r}, "
                f"tau_facil={self.tau_facil!r}, weight={self.weight!r}, delay={self.delay!r})")


def _check_synapse_value(name: str, value: WeightValue) -> WeightValue:
    if isinstance(value, RandomDistribution):
        return value
    if np.isscalar(value) or isinstance(value, (bool, np.bool_)):
        return check_value("StaticSynapse", name, value)  # type: ignore[return-value]
    array = as_numbers("StaticSynapse", name, value).reshape(np.shape(value))
    if array.ndim != 2:
        raise ValueError(f"StaticSynapse: {name} must be a number, a RandomDistribution or an "
                         f"array of shape (n_pre, n_post); got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"StaticSynapse: {name} must be finite")
    return array


def _value_bounds(value: WeightValue) -> tuple[float, float]:
    if isinstance(value, RandomDistribution):
        return value.bounds()
    array = np.asarray(value)
    return float(array.min()), float(array.max())


class Projection:
    """Synapses from one population onto another.

    Parameters
    ----------
    presynaptic_population, postsynaptic_population : Population
        The post population must be made of neurons, not spike sources.
    connector : Connector
        The connection rule, e.g. ``FixedNumberPreConnector(100)``.
    synapse_type : StaticSynapse or TsodyksMarkramSynapse, optional
        Weight, delay and short-term plasticity; default ``StaticSynapse()``.
    receptor_type : {"excitatory", "inhibitory"}
        Which synaptic input of the post cells is driven.
    label : str, optional
        Name used in reports; default ``"<pre>-><post>"``.
    """

    def __init__(self, presynaptic_population: Population,
                 postsynaptic_population: Population, connector: Connector,
                 synapse_type: StaticSynapse | None = None,
                 receptor_type: str = "excitatory", label: str | None = None) -> None:
        pre, post = presynaptic_population, postsynaptic_population
        name = label or f"{getattr(pre, 'label', '?')}->{getattr(post, 'label', '?')}"
        for role, population in (("presynaptic_population", pre),
                                 ("postsynaptic_population", post)):
            as_instance(f"Projection {name!r}", role, population, Population,
                        "a Population")
        if post.cell_type.is_source:
            raise ValueError(f"Projection {name!r}: the postsynaptic population "
                             f"{post.label!r} is a spike source and cannot receive synapses")
        as_instance(f"Projection {name!r}", "connector", connector, Connector,
                    "a Connector such as FixedProbabilityConnector(0.1)")
        synapse_type = synapse_type if synapse_type is not None else StaticSynapse()
        as_instance(f"Projection {name!r}", "synapse_type", synapse_type, StaticSynapse,
                    "a StaticSynapse or TsodyksMarkramSynapse")
        if not isinstance(receptor_type, str) or receptor_type not in RECEPTOR_TYPES:
            raise ValueError(f"Projection {name!r}: receptor_type={receptor_type!r}; allowed: "
                             f"{RECEPTOR_TYPES}")
        for what in ("weight", "delay"):
            value = getattr(synapse_type, what)
            if isinstance(value, np.ndarray) and value.shape != (pre.size, post.size):
                raise ValueError(f"Projection {name!r}: {what} array has shape {value.shape}, "
                                 f"expected (n_pre, n_post) = ({pre.size}, {post.size})")
        self.pre = pre
        self.post = post
        self.connector = connector
        self.synapse_type = synapse_type
        self.receptor_type = receptor_type
        self.label = name
        check_weight_sign(self, *_value_bounds(synapse_type.weight))

    @property
    def plasticity(self) -> tuple[float, float, float] | None:
        """(U, tau_rec, tau_facil) of a plastic synapse type, else None."""
        return getattr(self.synapse_type, "plasticity", None)

    def __repr__(self) -> str:
        return (f"Projection({self.pre.label!r} -> {self.post.label!r}, {self.connector!r}, "
                f"{self.synapse_type!r}, receptor_type={self.receptor_type!r})")


def check_weight_sign(projection: Projection, low: float, high: float) -> None:
    """Raise when weights in ``[low, high]`` have a sign the post cell type forbids.

    Conductances are never negative; current-based inhibitory weights are <= 0 and
    excitatory ones >= 0 (PyNN's convention). No weight exceeds ``MAX_WEIGHT`` in
    magnitude.
    """
    cell = projection.post.cell_type
    inhibitory = projection.receptor_type == "inhibitory"
    # a distribution's bound may be infinite: its draws are checked when drawn
    largest = max((x for x in (low, high) if np.isfinite(x)), key=abs, default=0.0)
    if abs(largest) > MAX_WEIGHT:
        raise ValueError(f"Projection {projection.label!r}: weight="
                         f"{largest:g} {cell.weight_units} "
                         f"is outside the allowed -{MAX_WEIGHT:g}..{MAX_WEIGHT:g} "
                         f"{cell.weight_units}")
    if cell.conductance_based or not inhibitory:
        if low < 0:
            raise ValueError(f"Projection {projection.label!r}: weights onto "
                             f"{type(cell).__name__} ({projection.receptor_type}) must be >= 0 "
                             f"{cell.weight_units}, got values down to {low}")
    elif high > 0:
        raise ValueError(f"Projection {projection.label!r}: inhibitory weights onto "
                         f"{type(cell).__name__} must be <= 0 {cell.weight_units} (PyNN's "
                         f"convention for current-based synapses), got values up to {high}")


class Network:
    """A network: populations and the projections between them, in biological units.

    Parameters
    ----------
    *items : Population or Projection
        In any order; the populations of every projection must be among them.
    label : str, optional
        A name for the network.

    Examples
    --------
    >>> from bss1lab.network import *
    >>> exc = Population(100, IF_cond_exp(), label="E")
    >>> noise = Population(100, SpikeSourcePoisson(rate=20.0), label="noise")
    >>> drive = Projection(noise, exc, OneToOneConnector(), StaticSynapse(weight=0.01))
    >>> net = Network(exc, noise, drive)
    """

    def __init__(self, *items: Population | Projection, label: str = "network") -> None:
        if not isinstance(label, str):
            raise ParameterTypeError(f"Network: label={label!r} must be a string")
        self.label = label
        self.populations: list[Population] = []
        self.projections: list[Projection] = []
        for item in items:
            if isinstance(item, Population):
                if any(item is p for p in self.populations):
                    raise ValueError(f"Network: population {item.label!r} given twice")
                self.populations.append(item)
            elif isinstance(item, Projection):
                self.projections.append(item)
            else:
                raise ParameterTypeError(f"Network: item {item!r:.80} is neither a Population "
                                         f"nor a Projection (got {type(item).__name__})")
        labels = [p.label for p in self.populations]
        duplicates = sorted({lab for lab in labels if labels.count(lab) > 1})
        if duplicates:
            raise ValueError(f"Network: population labels must be unique, repeated: "
                             f"{duplicates}")
        for projection in self.projections:
            for population in (projection.pre, projection.post):
                if not any(population is p for p in self.populations):
                    raise ValueError(f"Network: projection {projection.label!r} uses population "
                                     f"{population.label!r}, which is not in the network")
        if not self.populations:
            raise ValueError("Network: needs at least one Population")

    def population(self, label: str) -> Population:
        """The population called ``label``."""
        for population in self.populations:
            if population.label == label:
                return population
        raise KeyError(f"no population {label!r}; populations: "
                       f"{[p.label for p in self.populations]}")

    @property
    def size(self) -> int:
        """Number of cells, spike sources included."""
        return sum(p.size for p in self.populations)

    def __repr__(self) -> str:
        return (f"Network({self.label!r}: {len(self.populations)} populations, "
                f"{len(self.projections)} projections, {self.size} cells)")
