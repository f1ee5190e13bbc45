"""Reconfiguring a kept mapping, as the wafer allows: new weights, input rates, spike
times or neuron parameters are programmed on the same placement and routing (a
reconfiguration, ``RECONFIGURATION_TIME_S``, instead of a new configuration); a
change of structure needs a new mapping.

Every function returns a new ``MappedNetwork``; the one given is unchanged.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Mapping

import numpy as np

from bss1lab.errors import NeedsNewMapping, ParameterTypeError
from bss1lab.hardware import pipeline
from bss1lab.network.cells import SpikeSourceArray
from bss1lab.network.model import MAX_WEIGHT, RECEPTOR_TYPES, Network
from bss1lab.network.realise import PopulationSlice, RealisedNetwork, realise
from bss1lab.validation import as_instance, as_number, as_numbers

if TYPE_CHECKING:
    from bss1lab.hardware.mapped import MappedNetwork

__all__ = ["with_weights", "with_rates", "with_spike_times", "with_network",
           "on_the_wafer"]


def on_the_wafer(mapped: "MappedNetwork", owner: str) -> None:
    """Refuse ``owner`` on an ideal mapping, which has no floating gates."""
    if mapped.requested is None:
        raise ValueError(f"MappedNetwork.{owner}: an ideal mapping has no floating "
                         "gates to reprogram")


def _requested(mapped: "MappedNetwork", owner: str) -> RealisedNetwork:
    """The network as asked for: what a reconfiguration changes."""
    requested = mapped.requested if mapped.requested is not None else mapped.network
    if not requested.synapses_kept:
        raise ValueError(f"MappedNetwork.{owner}: this network's synapses are drawn "
                         "anew for each emulation (it is too large to hold twice), so "
                         "they cannot be reconfigured; map the changed network instead")
    return requested


def _reconfigured(mapped: "MappedNetwork", requested: RealisedNetwork, started: float,
                  **changed: int) -> "MappedNetwork":
    """``requested`` programmed on ``mapped``'s placement and routing, with what
    changed counted in the report (``reconfigured_<what>``)."""
    if mapped.requested is None:
        result = pipeline.ideal_mapping(mapped.wafer, requested, started)
    else:
        result = pipeline.program(mapped.wafer, requested, mapped.placement,
                                  mapped.routing, trial=int(mapped.report["trial"]),
                                  started=started, reconfiguration=True)
    result.report.update({f"reconfigured_{what}": int(count)
                          for what, count in changed.items()})
    return result


def _checked_mapping(owner: str, name: str, given: object) -> dict:
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise ParameterTypeError(f"MappedNetwork.{owner}: {name}={given!r} must be a "
                                 "mapping of label to value, e.g. {'E->E': 1.5}")
    return dict(given)


def _projection(requested: RealisedNetwork, owner: str, label: str) -> int:
    if label not in requested.projection_labels:
        raise KeyError(f"MappedNetwork.{owner}: no projection {label!r}; projections: "
                       f"{list(requested.projection_labels)}")
    return requested.projection_labels.index(label)


def _check_sign(requested: RealisedNetwork, k: int, label: str, weight: np.ndarray) -> None:
    """Conductances are >= 0; current-based weights take the receptor's sign."""
    if not weight.size:
        return
    post = int(requested.post[requested.projection_offsets[k]])
    cell = next(p for p in requested.populations if p.start <= post < p.stop).cell_type
    inhibitory = RECEPTOR_TYPES[requested.projection_receptors[k]] == "inhibitory"
    low, high = float(weight.min()), float(weight.max())
    if max(abs(low), abs(high)) > MAX_WEIGHT:
        raise ValueError(f"MappedNetwork.with_weights: projection {label!r}: weights "
                         f"must lie in -{MAX_WEIGHT:g}..{MAX_WEIGHT:g} "
                         f"{cell.weight_units}")
    if (cell.conductance_based or not inhibitory) and low < 0:
        raise ValueError(f"MappedNetwork.with_weights: projection {label!r}: weights "
                         f"onto {type(cell).__name__} must be >= 0 {cell.weight_units}, "
                         f"got {low:g}")
    if not cell.conductance_based and inhibitory and high > 0:
        raise ValueError(f"MappedNetwork.with_weights: projection {label!r}: inhibitory "
                         f"weights onto {type(cell).__name__} must be <= 0 "
                         f"{cell.weight_units}, got {high:g}")


def with_weights(mapped: "MappedNetwork", scale: Mapping[str, float] | None,
                 values: Mapping[str, object] | None) -> "MappedNetwork":
    """See ``MappedNetwork.with_weights``."""
    started = time.perf_counter()
    scale = _checked_mapping("with_weights", "scale", scale)
    values = _checked_mapping("with_weights", "values", values)
    both = sorted(set(scale) & set(values))
    if both:
        raise ValueError(f"MappedNetwork.with_weights: projections {both} are both "
                         "scaled and set; give each in one of scale or values")
    requested = _requested(mapped, "with_weights")
    weight = requested.weight.copy()
    for label in [*scale, *values]:
        k = _projection(requested, "with_weights", label)
        part = slice(requested.projection_offsets[k], requested.projection_offsets[k + 1])
        if label in scale:
            factor = as_number("MappedNetwork.with_weights", f"scale[{label!r}]",
                               scale[label], low=0.0)
            new = weight[part].astype(np.float64) * factor
        else:
            new = as_numbers("MappedNetwork.with_weights", f"values[{label!r}]",
                             values[label])
            if new.ndim > 1 or new.size not in (1, part.stop - part.start):
                raise ValueError(f"MappedNetwork.with_weights: values[{label!r}] has "
                                 f"{new.size} values; give one, or one per requested "
                                 f"synapse ({part.stop - part.start})")
        _check_sign(requested, k, label, np.atleast_1d(new))
        weight[part] = new
    changed = dataclasses.replace(requested, weight=weight)
    return _reconfigured(mapped, changed, started,
                         projections=len(scale) + len(values))


def _sources(mapped: "MappedNetwork", owner: str, given: object, kind: str
             ) -> tuple[RealisedNetwork, dict]:
    """The requested network and ``given`` (label -> value), checked to name
    populations of cell type ``kind``."""
    given = _checked_mapping(owner, "the argument", given)
    requested = _requested(mapped, owner)
    for label in given:
        population = requested.population(label)
        if type(population.cell_type).__name__ != kind:
            raise ValueError(f"MappedNetwork.{owner}: population {label!r} is a "
                             f"{type(population.cell_type).__name__}, not a {kind}")
    return requested, given


def _replaced(requested: RealisedNetwork, label: str, name: str, value) -> RealisedNetwork:
    """``requested`` with parameter ``name`` of population ``label`` replaced."""
    populations = tuple(dataclasses.replace(p, parameters={**p.parameters, name: value})
                        if p.label == label else p for p in requested.populations)
    return dataclasses.replace(requested, populations=populations)


def with_rates(mapped: "MappedNetwork", rates: Mapping[str, object]) -> "MappedNetwork":
    """See ``MappedNetwork.with_rates``."""
    started = time.perf_counter()
    requested, rates = _sources(mapped, "with_rates", rates, "SpikeSourcePoisson")
    for label, rate in rates.items():
        size = requested.population(label).size
        values = as_numbers("MappedNetwork.with_rates", f"rates[{label!r}]", rate)
        if values.ndim > 1 or values.size not in (1, size) or not np.all(
                np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"MappedNetwork.with_rates: rates[{label!r}] must be one "
                             f"rate or {size} rates, finite and >= 0 Hz")
        requested = _replaced(requested, label, "rate",
                              np.broadcast_to(values.astype(np.float64), (size,)).copy())
    return _reconfigured(mapped, requested, started, sources=len(rates))


def with_spike_times(mapped: "MappedNetwork", spike_times: Mapping[str, object]
                     ) -> "MappedNetwork":
    """See ``MappedNetwork.with_spike_times``."""
    started = time.perf_counter()
    requested, spike_times = _sources(mapped, "with_spike_times", spike_times,
                                      "SpikeSourceArray")
    for label, times in spike_times.items():
        size = requested.population(label).size
        source = SpikeSourceArray(times)  # checks the times
        trains = source.parameters["spike_times"]
        if not source.per_cell:
            trains = trains * size
        if len(trains) != size:
            raise ValueError(f"MappedNetwork.with_spike_times: {label!r} has {size} "
                             f"cells but {len(trains)} spike trains were given")
        requested = _replaced(requested, label, "spike_times", list(trains))
    return _reconfigured(mapped, requested, started, sources=len(spike_times))


def _structure_differs(old: RealisedNetwork, new: RealisedNetwork) -> str | None:
    """What differs in structure between two drawn networks, or None."""
    def shape(p: PopulationSlice) -> tuple:
        return p.label, p.size, type(p.cell_type).__name__

    if [shape(p) for p in old.populations] != [shape(p) for p in new.populations]:
        return ("the populations (labels, sizes or cell types) differ: "
                f"{[shape(p) for p in old.populations]} -> "
                f"{[shape(p) for p in new.populations]}")
    if old.projection_labels != new.projection_labels or not np.array_equal(
            old.projection_receptors, new.projection_receptors):
        return "the projections (labels or receptor types) differ"
    if [p is None for p in old.projection_plasticity] != [
            p is None for p in new.projection_plasticity]:
        return "which projections are plastic differs"
    if not (np.array_equal(old.projection_offsets, new.projection_offsets)
            and np.array_equal(old.pre, new.pre) and np.array_equal(old.post, new.post)):
        return "the connections differ (connectors, their numbers or their seed)"
    return None


def with_network(mapped: "MappedNetwork", network: Network, seed) -> "MappedNetwork":
    """See ``MappedNetwork.with_network``."""
    started = time.perf_counter()
    as_instance("MappedNetwork.with_network", "network", network, Network,
                "a Network (bss1lab.network.Network(population, ...))")
    old = _requested(mapped, "with_network")
    new = realise(network, seed, keep_synapses=True)
    differs = _structure_differs(old, new)
    if differs:
        raise NeedsNewMapping(f"MappedNetwork.with_network: {differs}; placement and "
                              "routing no longer hold: map the network anew (Wafer.map)")
    weights = sum(not np.array_equal(old.weight[a:b], new.weight[a:b])
                  for a, b in zip(old.projection_offsets[:-1], old.projection_offsets[1:]))
    sources = neurons = 0
    for before, after in zip(old.populations, new.populations):
        same = before.parameters.keys() == after.parameters.keys() and all(
            _same_values(before.parameters[k], after.parameters[k])
            for k in before.parameters)
        if not same:
            sources += before.is_source
            neurons += not before.is_source
    return _reconfigured(mapped, new, started, projections=weights, sources=sources,
                         populations=neurons)


def _same_values(a, b) -> bool:
    if isinstance(a, list):
        return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
    return np.array_equal(a, b)
