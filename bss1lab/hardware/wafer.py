"""The wafer: turns a biological network into the network BrainScaleS-1 would run."""

from __future__ import annotations

import dataclasses
import numbers
import time
import warnings
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from bss1lab.hardware import links
from bss1lab.hardware.geometry import wafer_geometry
from bss1lab.hardware.placement import Placement, place
from bss1lab.hardware.routing import Routing, route, routed_delays
from bss1lab.hardware.spec import (CALIBRATED_SPREAD, CONFIGURATION_TIME_S,
                                   HICANNS_PER_WAFER, LEAK_MODES, MODULE_POWER_W,
                                   NEURON_CAPACITY, RECONFIGURATION_TIME_S,
                                   SPEEDUP_NOMINAL, SPEEDUP_RANGE, STP_U_RANGE)
from bss1lab.hardware.variation import (apply_ranges, apply_variation, chip,
                                       parameter_ranges, share_v_reset)
from bss1lab.hardware.weights import quantize, weight_levels
from bss1lab.errors import DoesNotFitWafer
from bss1lab.network.model import Network
from bss1lab.network.realise import RealisedNetwork, realise
from bss1lab.validation import as_flag, as_indices, as_instance, as_number, as_seed

__all__ = ["Wafer", "MappedNetwork", "EFFECTS"]

#: A sanity bound on ``Wafer.variation``: 10 times the measured spreads is already
#: far beyond any real chip.
MAX_VARIATION_SCALE = 10.0

#: The hardware effects, each a switch of ``Wafer``.
EFFECTS = ("routing_loss", "parameter_ranges", "variation",
           "weight_quantization", "weight_distortion", "routed_delays", "input_limits",
           "readout_limits", "saturation", "short_term_plasticity")


@dataclass
class MappedNetwork:
    """What the emulator runs: the network as the wafer realises it.

    Attributes
    ----------
    network : RealisedNetwork
        Cells, parameters and synapses as they really are on the (emulated) wafer,
        in biological units (lost synapses removed).
    wafer : Wafer
        The configuration that produced it.
    hicann : int16 array or None
        Per cell: its HICANN (neurons) or input HICANN (sources); None when ideal.
    input_limited : bool
        Whether the emulator applies the input links' limits.
    wafer_plasticity : bool
        True: plastic synapses follow the synapse drivers' circuit instead of the
        Tsodyks-Markram model.
    report : dict
        What the mapping changed or lost, for the result's attrs (numbers only).
    projection_report : dict of str to array
        Per projection: ``synapses_requested``, ``synapses_realised``,
        ``weight_quantization_error`` (mean relative error of the 4-bit weights).
    hicann_report : dict of str to array
        Per HICANN of the wafer: ``neurons_placed``, ``drivers_needed``,
        ``drivers_used``.
    """

    network: RealisedNetwork
    wafer: "Wafer"
    hicann: np.ndarray | None = None
    input_limited: bool = False
    wafer_plasticity: bool = False
    report: dict = field(default_factory=dict)
    projection_report: dict = field(default_factory=dict)
    hicann_report: dict = field(default_factory=dict)
    requested: RealisedNetwork | None = None
    placement: Placement | None = None
    routing: Routing | None = None

    @property
    def speedup(self) -> float:
        return self.wafer.speedup

    def realised_network(self) -> Network:
        """A plain ``Network`` of exactly what was realised (see
        ``bss1lab.hardware.realised.realised_network``)."""
        from bss1lab.hardware.realised import realised_network
        return realised_network(self)

    def reprogram(self, trial: int) -> "MappedNetwork":
        """The same network on the same chip, its floating gates programmed anew:
        a fresh trial-to-trial deviation (``trial`` seeds it; the first mapping is
        trial 0), the fixed pattern kept.
        """
        trial = as_seed("MappedNetwork.reprogram", "trial", trial)
        if self.requested is None:
            raise ValueError("MappedNetwork.reprogram: an ideal mapping has no floating "
                             "gates to reprogram")
        return self.wafer._finish(self.requested, self.placement, self.routing,
                                  trial=trial, started=time.perf_counter(),
                                  first_report=self.report)


def _wafer_plasticity(network: RealisedNetwork, mode: str, clipped: dict) -> tuple:
    """Plastic projections as the synapse drivers can run them: depression or
    facilitation, not both, with U in the circuit's range (clipped and counted in
    ``clipped``, or an error, by ``mode``)."""
    low, high = STP_U_RANGE
    translated = []
    for label, plasticity in zip(network.projection_labels, network.projection_plasticity):
        if plasticity is None:
            translated.append(None)
            continue
        U, tau_rec, tau_facil = plasticity
        if tau_rec > 0 and tau_facil > 0:
            raise ValueError(f"Wafer.map: projection {label!r}: the synapse drivers do "
                             "depression or facilitation, not both; set tau_rec or "
                             "tau_facil to 0, or switch short_term_plasticity off")
        if not low <= U <= high:
            if mode == "error":
                raise ValueError(f"Wafer.map: projection {label!r}: U={U:g} is outside "
                                 f"the {low:g}..{high:g} the synapse drivers realise")
            warnings.warn(f"Wafer.map: projection {label!r}: U={U:g} clipped to the "
                          f"synapse drivers' {low:g}..{high:g}", stacklevel=4)
            clipped["stp_U"] = clipped.get("stp_U", 0) + 1
        translated.append((float(np.clip(U, low, high)), tau_rec, tau_facil))
    return tuple(translated)


def _isolated_cells(network: RealisedNetwork, isolate) -> np.ndarray:
    """Global indices of the neurons ``isolate`` names, checked."""
    if not isolate:
        return np.empty(0, dtype=np.int64)
    cells = []
    for label, indices in isolate.items():
        population = network.population(label)
        if population.is_source:
            raise ValueError(f"Wafer.map: isolate names {label!r}, a spike source; only "
                             "neurons sit on HICANNs")
        local = as_indices("Wafer.map", f"isolate[{label!r}]", indices, population.size)
        if np.unique(local).size != local.size:
            raise ValueError(f"Wafer.map: isolate[{label!r}] repeats neurons")
        cells.append(population.start + local)
    return np.concatenate(cells)


def _copy_for_mapping(requested: RealisedNetwork) -> RealisedNetwork:
    """A copy whose cell parameters can change in place; the synapse arrays are
    replaced, not changed, so they stay shared."""
    populations = tuple(dataclasses.replace(
        p, parameters={k: (v.copy() if isinstance(v, np.ndarray) else list(v))
                       for k, v in p.parameters.items()})
        for p in requested.populations)
    return dataclasses.replace(requested, populations=populations)


@dataclass(frozen=True)
class Wafer:
    """A BrainScaleS-1 wafer configuration.

    Parameters
    ----------
    speedup : float
        How much faster than biology the circuits run (1e3..1e5, default 1e4).
    neuron_size : int
        Denmems per neuron: 1, 2, 4, 8 (default, as both seed experiments), 16, 32, 64.
    capacitor : {"big", "small"}
        Membrane capacitor of the denmems.
    leak_mode : {"fast", "normal", "slow"}
    calibrated : bool
        Calibrated circuits (residual spreads of the reference, failed denmems
        blacklisted) or uncalibrated (wide fixed-pattern noise).
    variation : float
        Scale of the fixed-pattern noise: 0 perfect circuits, 1 as measured.
    seed : int
        The wafer seed: one seed is one physical chip with its own fixed pattern.
    hicanns : sequence of int, optional
        HICANNs available (default all 384), in order of preference.
    blacklist : sequence of int
        HICANNs not to use.
    out_of_range : {"clip", "error"}
        What to do with parameters outside what the circuits realise.
    routing_loss, parameter_ranges, weight_quantization, weight_distortion,
    routed_delays, input_limits, readout_limits, saturation,
    short_term_plasticity : bool
        Switch each hardware effect. ``parameter_ranges`` covers what the neuron
        circuits can realise: the time-constant ranges and one V_reset per
        floating-gate block; ``short_term_plasticity`` the synapse drivers' circuit
        and its range of U. ``variation`` (the number) switches the
        fixed-pattern noise, and with it the denmems that fail calibration.
        Placement always happens on an emulated wafer. :meth:`ideal` switches
        everything off.
    """

    speedup: float = SPEEDUP_NOMINAL
    neuron_size: int = 8
    capacitor: str = "big"
    leak_mode: str = "normal"
    calibrated: bool = True
    variation: float = 1.0
    seed: int = 0
    hicanns: tuple | None = None
    blacklist: tuple = ()
    out_of_range: str = "clip"
    routing_loss: bool = True
    parameter_ranges: bool = True
    weight_quantization: bool = True
    weight_distortion: bool = True
    routed_delays: bool = True
    input_limits: bool = True
    readout_limits: bool = True
    saturation: bool = True
    short_term_plasticity: bool = True
    emulate_hardware: bool = True

    def __post_init__(self) -> None:
        low, high = SPEEDUP_RANGE
        speedup = as_number("Wafer", "speedup", self.speedup)
        if not low <= speedup <= high:
            raise ValueError(f"Wafer: speedup={self.speedup!r} outside the configurable "
                             f"range {low:g}..{high:g}")
        object.__setattr__(self, "speedup", speedup)
        if not isinstance(self.neuron_size, numbers.Integral) \
                or isinstance(self.neuron_size, (bool, np.bool_)) \
                or self.neuron_size not in NEURON_CAPACITY:
            raise ValueError(f"Wafer: neuron_size={self.neuron_size!r}; allowed: "
                             f"{sorted(NEURON_CAPACITY)} denmems")
        object.__setattr__(self, "neuron_size", int(self.neuron_size))
        if not isinstance(self.capacitor, str) or self.capacitor not in CALIBRATED_SPREAD:
            raise ValueError(f"Wafer: capacitor={self.capacitor!r}; allowed: "
                             f"{sorted(CALIBRATED_SPREAD)}")
        if not isinstance(self.leak_mode, str) or self.leak_mode not in LEAK_MODES:
            raise ValueError(f"Wafer: leak_mode={self.leak_mode!r}; allowed: "
                             f"{sorted(LEAK_MODES)}")
        if not isinstance(self.out_of_range, str) or self.out_of_range not in ("clip", "error"):
            raise ValueError(f"Wafer: out_of_range={self.out_of_range!r}; allowed: "
                             "'clip', 'error'")
        object.__setattr__(self, "variation", as_number(
            "Wafer", "variation", self.variation, low=0.0, high=MAX_VARIATION_SCALE))
        for name in (*EFFECTS, "calibrated", "emulate_hardware"):
            if name != "variation":
                object.__setattr__(self, name, as_flag("Wafer", name, getattr(self, name)))
        object.__setattr__(self, "seed", as_seed("Wafer", "seed", self.seed))
        for name in ("hicanns", "blacklist"):
            chips = getattr(self, name)
            if chips is None:
                continue
            chips = tuple(int(c) for c in as_indices("Wafer", name, chips,
                                                      HICANNS_PER_WAFER))
            object.__setattr__(self, name, chips)
            repeated = sorted({c for c in chips if chips.count(c) > 1})
            if repeated:
                raise ValueError(f"Wafer: {name} names HICANNs {repeated[:5]} more than "
                                 "once")
        if not self.is_ideal and self.parameter_ranges:
            parameter_ranges(self.capacitor, self.leak_mode, self.speedup)  # known?

    @classmethod
    def ideal(cls, speedup: float = SPEEDUP_NOMINAL) -> "Wafer":
        """The same pipeline with every hardware effect off: the reference simulation,
        which also runs current-based cell types."""
        return cls(speedup=speedup, variation=0.0, emulate_hardware=False,
                   **{effect: False for effect in EFFECTS if effect != "variation"})

    @property
    def is_ideal(self) -> bool:
        """True when no hardware effect is on."""
        return not self.emulate_hardware

    def effects_on(self) -> list[str]:
        """The hardware effects that are switched on."""
        on = [e for e in EFFECTS if e != "variation" and getattr(self, e)]
        if self.variation > 0:
            on.append("variation")
        return [] if self.is_ideal else sorted(on)

    def with_effects(self, **switches: bool) -> "Wafer":
        """A copy with some effects switched, e.g. ``wafer.with_effects(routing_loss=False)``."""
        unknown = sorted(set(switches) - set(EFFECTS))
        if unknown:
            raise ValueError(f"Wafer.with_effects: unknown effect(s) {unknown}; effects: "
                             f"{EFFECTS}")
        return dataclasses.replace(self, **switches)

    def describe(self) -> str:
        """One line saying what this wafer is, for result attrs."""
        if self.is_ideal:
            return f"ideal reference (no hardware effects), speed-up {self.speedup:g}"
        return (f"BrainScaleS-1 (emulated), wafer seed {self.seed}, speed-up "
                f"{self.speedup:g}, {self.neuron_size}-denmem neurons, {self.capacitor} "
                f"capacitor, {'calibrated' if self.calibrated else 'uncalibrated'}, "
                f"variation x{self.variation:g}, effects: {', '.join(self.effects_on())}")

    # --- mapping --------------------------------------------------------------------

    def map(self, network: Network, seed: int | np.random.SeedSequence | None = None, *,
            isolate: Mapping[str, Sequence[int]] | None = None) -> MappedNetwork:
        """Realise ``network`` and map it onto this wafer.

        Parameters
        ----------
        network : Network
        seed : int or SeedSequence, optional
            Seed of the network's random draws (connectivity, parameter
            distributions); the wafer's own randomness comes from ``Wafer.seed``.
        isolate : mapping of population label to local indices, optional
            Neurons that get a HICANN each, e.g. to record them at the full readout
            rate (the seed experiment records 30 neurons that way).

        Raises
        ------
        ParameterTypeError
            When ``network`` is not a Network.
        DoesNotFitWafer
            When the network has more neurons than the HICANNs hold (checked before
            anything is drawn).
        NotEnoughMemory
            When realising it would take more memory than the machine has available.
        ValueError
            When a population is current-based and the wafer is not ideal.
        """
        # the emulator's memory model; imported here since the emulator imports this
        from bss1lab.emulator.memory import check_memory

        started = time.perf_counter()
        as_instance("Wafer.map", "network", network, Network,
                    "a Network (bss1lab.network.Network(population, ...))")
        if not self.is_ideal:
            for population in network.populations:
                cell = population.cell_type
                if not cell.is_source and not cell.conductance_based:
                    raise ValueError(
                        f"Wafer.map: population {population.label!r} uses "
                        f"{type(cell).__name__}, a current-based model; BrainScaleS-1 has "
                        "conductance-based synapses only (IF_cond_exp, "
                        "EIF_cond_exp_isfa_ista). Convert the weights to conductances, or "
                        "run it on Wafer.ideal().")
            self._check_capacity(network)
        # the ideal reference needs no synapse arrays of its own: a network too large
        # to hold twice is drawn straight into the emulator's (see realise)
        check_memory("Wafer.map", network, on_wafer=not self.is_ideal)
        realised = realise(network, seed, keep_synapses=None if self.is_ideal else True)
        if self.is_ideal:
            report = {"synapses_requested": realised.n_synapses,
                      "synapses_realised": realised.n_synapses, "synapses_lost": 0,
                      "mapping_time_s": time.perf_counter() - started}
            return MappedNetwork(realised, self, report=report)

        isolated = _isolated_cells(realised, isolate)
        available = np.array([h for h in (self.hicanns if self.hicanns is not None
                                          else range(HICANNS_PER_WAFER))
                              if h not in set(self.blacklist)], dtype=np.int64)
        the_chip = chip(int(self.seed))
        # calibration blacklists the denmems it fails on (part of the variation effect)
        blacklisted = self.calibrated and self.variation > 0
        failed = the_chip.failed if blacklisted else np.zeros_like(the_chip.failed)
        capacity = ((links.bio_rate(links.INPUT_LINK_LIMIT_HZ, self.speedup),
                     links.bio_rate(links.INPUT_FPGA_LIMIT_HZ, self.speedup))
                    if self.input_limits else (np.inf, np.inf))
        placement = place(realised, available, failed, self.neuron_size, isolated,
                          *capacity)
        routing = route(realised, placement.hicann, placement.first_denmem,
                        self.neuron_size, limit_drivers=self.routing_loss)
        return self._finish(realised, placement, routing, trial=0, started=started)

    def _check_capacity(self, network: Network) -> None:
        """Refuse, before drawing anything, more neurons than the available HICANNs
        hold (each population starts on a HICANN of its own; placement checks
        exactly, around the denmems that failed calibration)."""
        per_hicann = NEURON_CAPACITY[self.neuron_size][0]
        available = len(set(self.hicanns if self.hicanns is not None
                            else range(HICANNS_PER_WAFER)) - set(self.blacklist))
        neurons = [p.size for p in network.populations if not p.cell_type.is_source]
        needed = sum(-(-size // per_hicann) for size in neurons)
        if needed > available:
            raise DoesNotFitWafer(
                f"Wafer.map: the network does not fit: {sum(neurons)} neurons of "
                f"{self.neuron_size} denmems ({per_hicann} per HICANN) need at least "
                f"{needed:,} HICANNs; the wafer has {available} available, room for "
                f"{available * per_hicann:,} such neurons. Use smaller neurons, "
                "downscale the network, or run it on Wafer.ideal().")

    def _finish(self, requested: RealisedNetwork, placement: Placement, routing: Routing,
                trial: int | None, started: float, first_report: dict | None = None
                ) -> MappedNetwork:
        """Everything after placement and routing: parameters, weights, delays, report."""
        network = _copy_for_mapping(requested)
        the_chip = chip(int(self.seed))
        n_requested = requested.n_synapses
        keep = routing.realised
        projection_of = np.searchsorted(requested.projection_offsets,
                                        np.arange(n_requested), side="right") - 1
        n_projections = len(requested.projection_labels)
        requested_per_projection = np.diff(requested.projection_offsets)
        realised_per_projection = np.bincount(projection_of[keep], minlength=n_projections)

        clipped: dict[str, int] = {}
        shared_blocks = 0
        if self.short_term_plasticity:
            network.projection_plasticity = _wafer_plasticity(network, self.out_of_range,
                                                              clipped)
        if self.parameter_ranges:
            apply_ranges(network.populations, parameter_ranges(
                self.capacitor, self.leak_mode, self.speedup), self.out_of_range, clipped)
            shared_blocks = share_v_reset(network.populations, placement.hicann,
                                          placement.first_denmem)
        if self.variation > 0:
            apply_variation(network.populations, placement.hicann, placement.first_denmem,
                            the_chip, self.capacitor, self.neuron_size, self.variation,
                            self.calibrated, trial)
            if self.parameter_ranges:  # a deviating circuit still stays in its range
                apply_ranges(network.populations, parameter_ranges(
                    self.capacitor, self.leak_mode, self.speedup), "clip", report=False)

        # weights of the realised synapses: 16 levels of each row's scale, then the
        # analog spread of each synapse
        weight = requested.weight[keep].astype(np.float64)
        quantization_error = np.zeros(n_projections)
        if self.weight_quantization:
            quantized, _ = quantize(weight, routing.row_group[keep], routing.n_row_groups,
                                    weight_levels(self.calibrated))
            relative = np.divide(np.abs(quantized - weight), np.abs(weight),
                                 out=np.zeros_like(weight), where=weight != 0)
            sums = np.bincount(projection_of[keep], weights=relative,
                               minlength=n_projections).astype(float)
            quantization_error = np.divide(sums, realised_per_projection,
                                           out=np.zeros(n_projections),
                                           where=realised_per_projection > 0)
            weight = quantized
        if self.weight_distortion and self.variation > 0:
            spread = CALIBRATED_SPREAD[self.capacitor]["weights"] * self.variation
            rng = np.random.default_rng([the_chip.weight_deviation_seed, 7])
            deviation = rng.standard_normal(n_requested)[keep]  # fixed per synapse
            weight = weight * np.maximum(1.0 + spread * deviation, 0.0)
        delay = requested.delay[keep].astype(np.float64)
        if self.routed_delays:
            rng = np.random.default_rng([the_chip.weight_deviation_seed, 11])
            delay = routed_delays(wafer_geometry(), placement.hicann[requested.pre],
                                  placement.hicann[requested.post], self.speedup,
                                  rng)[keep]

        network.pre = requested.pre[keep]
        network.post = requested.post[keep]
        network.weight = weight.astype(np.float32)
        network.delay = delay.astype(np.float32)
        network.projection_offsets = np.concatenate(
            [[0], np.cumsum(realised_per_projection)]).astype(np.int64)

        neurons = [p for p in network.populations if not p.is_source]
        n_neurons = sum(p.size for p in neurons)
        reset_above = sum(int((p.parameters["v_reset"] >= p.parameters["v_thresh"]).sum())
                          for p in neurons)
        lost = n_requested - int(keep.sum())
        report = {
            "synapses_requested": n_requested,
            "synapses_realised": int(keep.sum()),
            "synapses_lost": lost,
            "synapses_lost_unreached": routing.synapses_unreached,
            "synapse_loss_fraction": lost / n_requested if n_requested else 0.0,
            "weight_quantization_error": float(
                np.sum(quantization_error * realised_per_projection) / max(keep.sum(), 1)),
            "parameters_clipped": int(sum(clipped.values())),
            **{f"clipped_{name}": count for name, count in clipped.items()},
            "v_reset_shared_blocks": shared_blocks,
            "neurons_reset_at_or_above_threshold": reset_above,
            "hicanns_used": placement.hicanns_used,
            "neurons_placed": n_neurons,
            "synapse_drivers_used": int(routing.drivers_used.sum()),
            "synapse_drivers_needed": int(routing.drivers_needed.sum()),
            "wafer_seed": int(self.seed),
            "trial": int(trial),
            "configuration_time_s": (CONFIGURATION_TIME_S if first_report is None
                                     else RECONFIGURATION_TIME_S),
            "mapping_time_s": time.perf_counter() - started,
            "module_power_w": MODULE_POWER_W,
        }
        hicann_report = {
            "neurons_placed": np.bincount(placement.hicann[np.concatenate(
                [np.arange(p.start, p.stop) for p in neurons] or [np.empty(0, int)])]
                .astype(np.int64), minlength=HICANNS_PER_WAFER),
            "drivers_needed": routing.drivers_needed, "drivers_used": routing.drivers_used,
        }
        projection_report = {"synapses_requested": requested_per_projection,
                             "synapses_realised": realised_per_projection,
                             "weight_quantization_error": quantization_error}
        mapped = MappedNetwork(network, self, hicann=placement.hicann,
                               input_limited=self.input_limits,
                               wafer_plasticity=self.short_term_plasticity,
                               report=report,
                               projection_report=projection_report,
                               hicann_report=hicann_report, requested=requested,
                               placement=placement, routing=routing)
        return mapped
