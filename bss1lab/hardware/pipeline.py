"""The mapping pipeline as named steps: place, route, program parameters, program
weights, program delays; :func:`program` runs the three programming steps on a kept
placement and routing (a first mapping, a reprogramming or a reconfiguration).

Each step takes the ``Wafer`` (its switches) and returns what it decided; none of them
changes its inputs.

Examples
--------
``Wafer.map`` is these steps one after the other:

>>> from bss1lab.hardware import Wafer
>>> from bss1lab.network.brunel import brunel_network
>>> from bss1lab.network.realise import realise
>>> wafer = Wafer()
>>> requested = realise(brunel_network("hardware", n_neurons=200), 1)
>>> placement = place_cells(wafer, requested)
>>> routing = route_synapses(wafer, requested, placement)
>>> mapped = program(wafer, requested, placement, routing)
>>> bool((mapped.network.weight == wafer.map(brunel_network("hardware", n_neurons=200),
...                                          seed=1).network.weight).all())
True
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from typing import TYPE_CHECKING, Callable, Mapping, NamedTuple, Sequence, TypeVar

import numpy as np

from bss1lab.errors import DoesNotFitWafer
from bss1lab.hardware import links, streams
from bss1lab.hardware.geometry import wafer_geometry
from bss1lab.hardware.kept import Kept
from bss1lab.hardware.mapped import MappedNetwork
from bss1lab.hardware.placement import Placement, place, source_rates
from bss1lab.hardware.plasticity import stp_models, wafer_plasticity
from bss1lab.hardware.report import mapping_reports
from bss1lab.hardware.routing import Routing, route, routed_delays
from bss1lab.hardware.saturation import saturation_conductances
from bss1lab.hardware.spec import CALIBRATED_SPREAD, HICANNS_PER_WAFER, NEURON_CAPACITY
from bss1lab.hardware.variation import (apply_ranges, apply_variation, chip,
                                       parameter_ranges, share_v_reset)
from bss1lab.hardware.weights import distort, quantize, weight_levels
from bss1lab.network.model import Network
from bss1lab.network.realise import RealisedNetwork

if TYPE_CHECKING:
    from bss1lab.hardware.wafer import Wafer

__all__ = ["check_capacity", "check_cell_types", "place_cells", "route_synapses",
           "program_parameters", "program_weights", "program_delays", "program",
           "ideal_mapping", "ProgrammedParameters", "forget_decisions"]


_Decision = TypeVar("_Decision", Placement, Routing)


class _RecentDecisions:
    """The last few placements (or routings), by a digest of everything they were
    decided from. Both are pure functions of their inputs, so a kept one is exactly
    what deciding anew would give: mapping a structure again (a panel's g slider or
    duration, a script run twice, a sweep over weights) skips the work. Their arrays
    are made read-only, since several mappings may then share them."""

    def __init__(self, size: int) -> None:
        self._kept: Kept[_Decision] = Kept(size)

    def get(self, network: RealisedNetwork, inputs: tuple,
            decide: Callable[[], _Decision]) -> _Decision:
        """The decision ``decide()`` makes from ``inputs`` (everything it reads),
        kept or made (and kept, unless ``network`` is too large)."""
        if network.n_synapses > KEPT_MAX_SYNAPSES:
            return decide()
        return self._kept.get(_digest(*inputs), lambda: _read_only(decide()))

    def clear(self) -> None:
        self._kept.clear()


def _read_only(decision: _Decision) -> _Decision:
    """``decision`` with its arrays made read-only."""
    for field in dataclasses.fields(decision):
        value = getattr(decision, field.name)
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return decision


#: Placements and routings kept, of networks of at most ``KEPT_MAX_SYNAPSES``
#: synapses (a routing holds 9 bytes per synapse: two kept take at most 72 MB; larger
#: networks are placed and routed anew, which then costs more than the digest saves).
KEPT_DECISIONS = 2
KEPT_MAX_SYNAPSES = 4_000_000
_RECENT_PLACEMENTS = _RecentDecisions(KEPT_DECISIONS)
_RECENT_ROUTINGS = _RecentDecisions(KEPT_DECISIONS)


def forget_decisions() -> None:
    """Drop the kept placements and routings: the next mapping decides anew (what a
    benchmark of a first mapping needs)."""
    _RECENT_PLACEMENTS.clear()
    _RECENT_ROUTINGS.clear()


def _digest(*parts: object) -> bytes:
    """A digest of numbers, arrays (their dtype, shape and bytes) and reprs. SHA-256:
    CPUs with the SHA extensions (this project's machines) compute it 1.5x as fast as
    BLAKE2b (the 2,083-neuron network's synapses, 28 MB a mapping: 15 ms, not 23)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            digest.update(repr((part.dtype.str, part.shape)).encode())
            digest.update(np.ascontiguousarray(part).data)
        else:
            digest.update(repr(part).encode())
        digest.update(b"\x00")
    return digest.digest()


def check_cell_types(wafer: "Wafer", network: Network) -> None:
    """Refuse current-based neurons on an emulated wafer (its synapses are conductances)."""
    if wafer.is_ideal:
        return
    for population in network.populations:
        cell = population.cell_type
        if not cell.is_source and not cell.conductance_based:
            raise ValueError(
                f"Wafer.map: population {population.label!r} uses "
                f"{type(cell).__name__}, a current-based model; BrainScaleS-1 has "
                "conductance-based synapses only (IF_cond_exp, "
                "EIF_cond_exp_isfa_ista). Convert the weights to conductances, or "
                "run it on Wafer.ideal().")


def _available(wafer: "Wafer") -> np.ndarray:
    """The HICANNs the mapping may use, in order of preference."""
    chips = wafer.hicanns if wafer.hicanns is not None else range(HICANNS_PER_WAFER)
    blacklist = set(wafer.blacklist)
    return np.array([h for h in chips if h not in blacklist], dtype=np.int64)


def check_capacity(wafer: "Wafer", network: Network) -> None:
    """Refuse, before drawing anything, more neurons than the available HICANNs hold
    (each population starts on a HICANN of its own; placement checks exactly, around
    the denmems that failed calibration).

    Raises
    ------
    DoesNotFitWafer
        Naming the neurons, the HICANNs they need and those available.
    """
    per_hicann = NEURON_CAPACITY[wafer.neuron_size][0]
    available = _available(wafer).size
    neurons = [p.size for p in network.populations if not p.cell_type.is_source]
    needed = sum(-(-size // per_hicann) for size in neurons)
    if needed > available:
        raise DoesNotFitWafer(
            f"Wafer.map: the network does not fit: {sum(neurons)} neurons of "
            f"{wafer.neuron_size} denmems ({per_hicann} per HICANN) need at least "
            f"{needed:,} HICANNs; the wafer has {available} available, room for "
            f"{available * per_hicann:,} such neurons. Use smaller neurons, "
            "downscale the network, or run it on Wafer.ideal().")


def _isolated_cells(network: RealisedNetwork, isolate) -> np.ndarray:
    """Global indices of the neurons ``isolate`` names, checked."""
    if not isolate:
        return np.empty(0, dtype=np.int64)
    cells = []
    for population, local in network.selected("Wafer.map", "isolate", isolate):
        label = population.label
        if population.is_source:
            raise ValueError(f"Wafer.map: isolate names {label!r}, a spike source; only "
                             "neurons sit on HICANNs")
        if np.unique(local).size != local.size:
            raise ValueError(f"Wafer.map: isolate[{label!r}] repeats neurons")
        cells.append(population.start + local)
    return np.concatenate(cells)


def place_cells(wafer: "Wafer", network: RealisedNetwork,
                isolate: Mapping[str, Sequence[int]] | None = None) -> Placement:
    """Step 1: put every neuron on a HICANN (around the denmems that failed
    calibration) and every spike source on an input link (within the links' and
    FPGAs' rates when ``input_limits`` is on)."""
    isolated = _isolated_cells(network, isolate)
    the_chip = chip(int(wafer.seed))
    # calibration blacklists the denmems it fails on (part of the variation effect)
    blacklisted = wafer.calibrated and wafer.variation > 0
    failed = the_chip.failed if blacklisted else np.zeros_like(the_chip.failed)
    capacity = ((links.bio_rate(links.INPUT_LINK_LIMIT_HZ, wafer.speedup),
                 links.bio_rate(links.INPUT_FPGA_LIMIT_HZ, wafer.speedup))
                if wafer.input_limits else (np.inf, np.inf))
    available = _available(wafer)
    # everything place() reads of the network: its cells, its synapses, the sources' rates
    inputs = ([(p.start, p.stop, p.is_source) for p in network.populations], network.pre,
              network.post, source_rates(network), available, failed, wafer.neuron_size,
              isolated, capacity)
    return _RECENT_PLACEMENTS.get(network, inputs, lambda: place(
        network, available, failed, wafer.neuron_size, isolated, *capacity))


def route_synapses(wafer: "Wafer", network: RealisedNetwork,
                   placement: Placement) -> Routing:
    """Step 2: decide which synapses the synapse drivers realise (all of them when
    ``routing_loss`` is off) and which share their rows."""
    # everything route() reads of the network: its synapses and their receptors
    inputs = (network.n_cells, network.is_source, network.pre, network.post,
              network.receptor, placement.hicann, placement.first_denmem,
              wafer.neuron_size, wafer.routing_loss)
    return _RECENT_ROUTINGS.get(network, inputs, lambda: route(
        network, placement.hicann, placement.first_denmem, wafer.neuron_size,
        limit_drivers=wafer.routing_loss))


class ProgrammedParameters(NamedTuple):
    """What programming the floating gates and synapse drivers gave: the populations
    with their per-cell values, the plasticity per projection, the values clipped
    (by parameter name) and the floating-gate blocks whose neurons share a V_reset
    they asked for differently."""

    populations: tuple
    plasticity: tuple
    clipped: dict
    v_reset_shared_blocks: int


def program_parameters(wafer: "Wafer", requested: RealisedNetwork, placement: Placement,
                       trial: int) -> ProgrammedParameters:
    """Step 3: the neurons' parameters as the circuits realise them (ranges, one
    V_reset per floating-gate block, the chip's fixed pattern and this ``trial``'s
    deviation) and the synapse drivers' plasticity."""
    populations = tuple(dataclasses.replace(
        p, parameters={k: (v.copy() if isinstance(v, np.ndarray) else list(v))
                       for k, v in p.parameters.items()})
        for p in requested.populations)
    clipped: dict[str, int] = {}
    plasticity = requested.projection_plasticity
    shared_blocks = 0
    if wafer.short_term_plasticity:
        plasticity = wafer_plasticity(requested, wafer.out_of_range, clipped)
    ranges = (parameter_ranges(wafer.capacitor, wafer.leak_mode, wafer.speedup)
              if wafer.parameter_ranges else None)
    if ranges is not None:
        apply_ranges(populations, ranges, wafer.out_of_range, clipped)
        shared_blocks = share_v_reset(populations, placement.hicann, placement.first_denmem)
    if wafer.variation > 0:
        apply_variation(populations, placement.hicann, placement.first_denmem,
                        chip(int(wafer.seed)), wafer.capacitor, wafer.neuron_size,
                        wafer.variation, wafer.calibrated, trial)
        if ranges is not None:  # a deviating circuit still stays in its range
            apply_ranges(populations, ranges, "clip", report=False)
    return ProgrammedParameters(populations, plasticity, clipped, shared_blocks)


def program_weights(wafer: "Wafer", requested: RealisedNetwork, routing: Routing
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Step 4: the realised synapses' weights (float32, the post cell type's units):
    16 levels of each row's scale, then each synapse's fixed analog spread. Returns
    them and, per projection, the mean relative error of the 4-bit weights."""
    keep = routing.realised
    projection_of = requested.synapse_projection[keep]
    n_projections = len(requested.projection_labels)
    weight = requested.weight[keep].astype(np.float64)
    quantization_error = np.zeros(n_projections)
    if wafer.weight_quantization:
        quantized, _ = quantize(weight, routing.row_group[keep], routing.n_row_groups,
                                weight_levels(wafer.calibrated))
        relative = np.divide(np.abs(quantized - weight), np.abs(weight),
                             out=np.zeros_like(weight), where=weight != 0)
        sums = np.bincount(projection_of, weights=relative,
                           minlength=n_projections).astype(float)
        realised = np.bincount(projection_of, minlength=n_projections)
        quantization_error = np.divide(sums, realised, out=np.zeros(n_projections),
                                       where=realised > 0)
        weight = quantized
    if wafer.weight_distortion and wafer.variation > 0:
        weight = distort(weight, keep, chip(int(wafer.seed)).weight_deviation_seed,
                         CALIBRATED_SPREAD[wafer.capacitor]["weights"] * wafer.variation)
    return weight.astype(np.float32), quantization_error


def program_delays(wafer: "Wafer", requested: RealisedNetwork, placement: Placement,
                   routing: Routing) -> np.ndarray:
    """Step 5: the realised synapses' delays (float32, ms): the requested ones, or
    with ``routed_delays`` what the hops of each route give."""
    keep = routing.realised
    if not wafer.routed_delays:
        return requested.delay[keep].astype(np.float32)
    jitter = streams.standard_normals(chip(int(wafer.seed)).weight_deviation_seed,
                                      streams.DELAY_JITTER, requested.n_synapses)
    return routed_delays(wafer_geometry(), placement.hicann[requested.pre],
                         placement.hicann[requested.post], wafer.speedup,
                         jitter)[keep].astype(np.float32)


def program(wafer: "Wafer", requested: RealisedNetwork, placement: Placement,
            routing: Routing, *, trial: int = 0, started: float | None = None,
            reconfiguration: bool = False) -> MappedNetwork:
    """Steps 3 to 5 on a placement and routing, and the report: the network the
    wafer runs.

    Parameters
    ----------
    wafer : Wafer
    requested : RealisedNetwork
        The network as asked for (drawn, before any hardware effect).
    placement, routing
        From :func:`place_cells` and :func:`route_synapses` of this network's
        structure (kept across reprogramming and reconfiguration).
    trial : int
        The floating gates' programming (0: the first mapping).
    started : float, optional
        ``time.perf_counter()`` when the mapping began (for ``mapping_time_s``).
    reconfiguration : bool
        True when the wafer only reprograms what changed (costing
        ``RECONFIGURATION_TIME_S`` instead of ``CONFIGURATION_TIME_S``).

    Returns
    -------
    MappedNetwork
    """
    started = time.perf_counter() if started is None else started
    parameters = program_parameters(wafer, requested, placement, trial)
    weight, quantization_error = program_weights(wafer, requested, routing)
    delay = program_delays(wafer, requested, placement, routing)
    keep = routing.realised
    realised_per_projection = np.bincount(requested.synapse_projection[keep],
                                          minlength=len(requested.projection_labels))
    network = dataclasses.replace(
        requested, populations=parameters.populations,
        projection_plasticity=parameters.plasticity,
        pre=requested.pre[keep], post=requested.post[keep], weight=weight, delay=delay,
        projection_offsets=np.concatenate(
            [[0], np.cumsum(realised_per_projection)]).astype(np.int64))
    report, projection_report, hicann_report = mapping_reports(
        wafer, requested, network, placement, routing, parameters, quantization_error,
        trial=trial, reconfiguration=reconfiguration,
        mapping_time_s=time.perf_counter() - started)
    # the placement is kept read-only for later mappings (_RecentDecisions): copies
    # leave it, so what the user gets is theirs to change
    return MappedNetwork(network, wafer, hicann=placement.hicann.copy(),
                         saturation=(saturation_conductances(network, wafer.speedup)
                                     if wafer.saturation else None),
                         stp_models=stp_models(network, wafer.short_term_plasticity),
                         **links.input_links(network, placement.hicann, wafer.speedup,
                                             wafer.input_limits),
                         **links.readout(network, placement.hicann, wafer.speedup,
                                         wafer.readout_limits),
                         report=report,
                         projection_report=projection_report, hicann_report=hicann_report,
                         requested=requested, placement=placement, routing=routing)


def ideal_mapping(wafer: "Wafer", realised: RealisedNetwork,
                  started: float | None = None) -> MappedNetwork:
    """The ideal reference's "mapping": the drawn network as it is, nothing lost."""
    started = time.perf_counter() if started is None else started
    report = {"synapses_requested": realised.n_synapses,
              "synapses_realised": realised.n_synapses, "synapses_lost": 0,
              "mapping_time_s": time.perf_counter() - started}
    return MappedNetwork(realised, wafer, report=report)
