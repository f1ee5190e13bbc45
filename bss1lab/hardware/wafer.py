"""The wafer's configuration: speed-up, neuron size, calibration, the chip's seed and
the switch of every hardware effect; ``Wafer.map`` runs the mapping pipeline
(``hardware.pipeline``) on it."""

from __future__ import annotations

import dataclasses
import numbers
import time
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from bss1lab.hardware import pipeline
from bss1lab.hardware.mapped import MappedNetwork
from bss1lab.hardware.spec import (CALIBRATED_SPREAD, HICANNS_PER_WAFER, LEAK_MODES,
                                   NEURON_CAPACITY, SPEEDUP_NOMINAL, SPEEDUP_RANGE)
from bss1lab.hardware.variation import parameter_ranges
from bss1lab.network.model import Network
from bss1lab.network.realise import realise
from bss1lab.validation import as_flag, as_indices, as_instance, as_number, as_seed

__all__ = ["Wafer", "MappedNetwork", "EFFECTS"]  # MappedNetwork re-exported from mapped

#: A sanity bound on ``Wafer.variation``: 10 times the measured spreads is already
#: far beyond any real chip.
MAX_VARIATION_SCALE = 10.0

#: The hardware effects switched on and off, each a switch of ``Wafer``; the
#: fixed-pattern noise, ``Wafer.variation``, is a number (0 switches it off).
EFFECTS = ("routing_loss", "parameter_ranges",
           "weight_quantization", "weight_distortion", "routed_delays", "input_limits",
           "readout_limits", "saturation", "short_term_plasticity")


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
                   **{effect: False for effect in EFFECTS})

    @property
    def is_ideal(self) -> bool:
        """True when no hardware effect is on."""
        return not self.emulate_hardware

    def effects_on(self) -> list[str]:
        """The hardware effects that are switched on."""
        on = [e for e in EFFECTS if getattr(self, e)]
        if self.variation > 0:
            on.append("variation")
        return [] if self.is_ideal else sorted(on)

    def with_effects(self, **switches: bool) -> "Wafer":
        """A copy with some effects switched, e.g. ``wafer.with_effects(routing_loss=False)``."""
        unknown = sorted(set(switches) - set(EFFECTS))
        if unknown:
            raise ValueError(f"Wafer.with_effects: unknown effect(s) {unknown}; effects: "
                             f"{EFFECTS} (variation is a number: Wafer(variation=...))")
        return dataclasses.replace(self, **switches)

    def describe(self) -> str:
        """One line saying what this wafer is, for result attrs."""
        if self.is_ideal:
            return f"ideal reference (no hardware effects), speed-up {self.speedup:g}"
        return (f"BrainScaleS-1 (emulated), wafer seed {self.seed}, speed-up "
                f"{self.speedup:g}, {self.neuron_size}-denmem neurons, {self.capacitor} "
                f"capacitor, {'calibrated' if self.calibrated else 'uncalibrated'}, "
                f"variation x{self.variation:g}, effects: {', '.join(self.effects_on())}")

    # --- mapping: the pipeline's steps (hardware.pipeline) -------------------------

    def map(self, network: Network, seed: int | np.random.SeedSequence | None = None, *,
            isolate: Mapping[str, Sequence[int]] | None = None) -> MappedNetwork:
        """Realise ``network`` and map it onto this wafer.

        The steps (see ``hardware.pipeline``): draw the network, place its cells,
        route its synapses, then program the parameters, weights and delays. A
        placement or routing decided from the same inputs in one of the last two
        mappings is taken as it was (they are pure functions of what they read), so
        mapping a structure again with other weights costs only the programming.

        Parameters
        ----------
        network : Network
        seed : int or SeedSequence, optional
            Seed of the network's random draws (connectivity, parameter
            distributions); the wafer's own randomness comes from ``Wafer.seed``.
        isolate : mapping of population label to local indices, optional
            Neurons that get a HICANN each, e.g. to record them at the full readout
            rate (the seed experiment records 30 neurons that way).

        Returns
        -------
        MappedNetwork
            What the emulator runs; ``save`` it, or reconfigure it (``with_weights``,
            ``with_rates``, ...) without mapping again.

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

        Examples
        --------
        >>> from bss1lab.network.brunel import brunel_network
        >>> mapped = Wafer().map(brunel_network("hardware", n_neurons=200), seed=1)
        >>> mapped.report["configuration_time_s"]
        60.0
        """
        # the emulator's memory model; imported here since the emulator imports this
        from bss1lab.emulator.memory import check_memory

        started = time.perf_counter()
        as_instance("Wafer.map", "network", network, Network,
                    "a Network (bss1lab.network.Network(population, ...))")
        if not self.is_ideal:
            pipeline.check_cell_types(self, network)
            pipeline.check_capacity(self, network)
        # the ideal reference needs no synapse arrays of its own: a network too large
        # to hold twice is drawn straight into the emulator's (see realise)
        check_memory("Wafer.map", network, on_wafer=not self.is_ideal)
        realised = realise(network, seed, keep_synapses=None if self.is_ideal else True)
        if self.is_ideal:
            return pipeline.ideal_mapping(self, realised, started)
        placement = pipeline.place_cells(self, realised, isolate)
        routing = pipeline.route_synapses(self, realised, placement)
        return pipeline.program(self, realised, placement, routing, trial=0,
                                started=started)
