"""The wafer: turns a biological network into the network BrainScaleS-1 would run."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bss1lab.hardware.spec import SPEEDUP_NOMINAL, SPEEDUP_RANGE
from bss1lab.network.model import Network
from bss1lab.network.realise import RealisedNetwork, realise

__all__ = ["Wafer", "MappedNetwork"]


@dataclass
class MappedNetwork:
    """What the emulator runs: the network as the wafer realises it.

    Attributes
    ----------
    network : RealisedNetwork
        Cells, parameters and synapses as they really are on the (emulated) wafer,
        in biological units.
    wafer : Wafer
        The configuration that produced it.
    report : dict
        What the mapping changed or lost, for the result's attrs (scalars only).
    """

    network: RealisedNetwork
    wafer: "Wafer"
    report: dict = field(default_factory=dict)

    @property
    def speedup(self) -> float:
        return self.wafer.speedup


@dataclass(frozen=True)
class Wafer:
    """A BrainScaleS-1 wafer configuration.

    Parameters
    ----------
    speedup : float
        How much faster than biology the circuits run (1e3..1e5, default 1e4).
    emulate_hardware : bool
        True (default): the emulated hardware, which has conductance-based synapses
        only. False: no hardware effect at all, the reference ("software simulation")
        side of every comparison, which also runs current-based cell types; this is
        what :meth:`ideal` returns.

    Notes
    -----
    The hardware effects (placement, routing loss, variation and calibration, 4-bit
    weights, delays from routing, off-wafer link limits) plug into :meth:`map`.
    """

    speedup: float = SPEEDUP_NOMINAL
    emulate_hardware: bool = True

    def __post_init__(self) -> None:
        low, high = SPEEDUP_RANGE
        if not low <= self.speedup <= high:
            raise ValueError(f"Wafer: speedup={self.speedup} outside the configurable range "
                             f"{low:g}..{high:g}")

    @classmethod
    def ideal(cls, speedup: float = SPEEDUP_NOMINAL) -> "Wafer":
        """The same pipeline with every hardware effect off: the reference simulation."""
        return cls(speedup=speedup, emulate_hardware=False)

    def describe(self) -> str:
        """One line saying what this wafer is, for result attrs."""
        if self.is_ideal:
            return f"ideal reference (no hardware effects), speed-up {self.speedup:g}"
        return f"BrainScaleS-1 (emulated), speed-up {self.speedup:g}"

    @property
    def is_ideal(self) -> bool:
        """True when no hardware effect is on."""
        return not self.emulate_hardware

    def map(self, network: Network, seed: int | np.random.SeedSequence | None = None
            ) -> MappedNetwork:
        """Realise ``network`` and map it onto this wafer.

        Parameters
        ----------
        network : Network
        seed : int or SeedSequence, optional
            Seed of the network's random draws (connectivity, parameter
            distributions).

        Raises
        ------
        ValueError
            When a population's cell type is current-based and the wafer is not ideal.
        """
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
        realised = realise(network, seed)
        report = {"synapses_requested": realised.n_synapses,
                  "synapses_realised": realised.n_synapses}
        return MappedNetwork(realised, self, report)
