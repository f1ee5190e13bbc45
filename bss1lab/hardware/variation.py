"""Fixed-pattern noise, calibration and the ranges the circuits can realise.

Every denmem differs from its design values; a wafer seed fixes these deviations
(one seed, one physical chip). Calibration narrows them to the residual spreads of
the reference, and blacklists the denmems it fails on. Each programming of the
floating gates adds a smaller trial-to-trial deviation on top.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bss1lab.hardware.spec import (CALIBRATED_SPREAD, CALIBRATED_SPREAD_REFERENCE_MS,
                                   CALIBRATION_FAILURE_RATE, DENMEMS_PER_FLOATING_GATE_BLOCK,
                                   DENMEMS_PER_HICANN, HICANNS_PER_WAFER, RANGE_SPEEDUP,
                                   TAU_M_RANGE_MS, TIME_CONSTANT_RANGES_MS,
                                   TRIAL_TO_TRIAL_FRACTION, UNCALIBRATED_SPREAD_FACTOR)

__all__ = ["Chip", "chip", "parameter_ranges", "apply_ranges", "apply_variation",
           "VARIED_PARAMETERS"]

#: Parameters with a published spread, in the order their deviations are drawn.
VARIED_PARAMETERS = ("v_thresh", "v_rest", "v_reset", "e_rev_E", "e_rev_I", "tau_m",
                     "tau_syn_E", "tau_syn_I", "tau_refrac")


@dataclass(frozen=True)
class Chip:
    """One physical wafer: the fixed pattern of its denmems.

    Attributes
    ----------
    seed : int
    deviation : dict of str to float array (HICANNs x denmems)
        Standard-normal deviation of each denmem's circuit for each parameter.
    weight_deviation_seed : int
        Seeds the per-synapse analog spread.
    failed : bool array (HICANNs x denmems)
        Denmems that fail calibration.
    """

    seed: int
    deviation: dict
    weight_deviation_seed: int
    failed: np.ndarray


@lru_cache(maxsize=8)
def chip(seed: int) -> Chip:
    """The chip that ``seed`` stands for (cached: the same seed, the same object)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5CA1E]))
    shape = (HICANNS_PER_WAFER, DENMEMS_PER_HICANN)
    deviation = {name: rng.standard_normal(shape) for name in VARIED_PARAMETERS}
    failed = rng.random(shape) < CALIBRATION_FAILURE_RATE
    return Chip(seed, deviation, int(rng.integers(2**62)), failed)


def parameter_ranges(capacitor: str, leak_mode: str, speedup: float) -> dict:
    """Bio ranges (ms) of the time constants the circuits realise at ``speedup``.

    Raises
    ------
    ValueError
        For a capacitor and leak mode whose tau_m range is not known.
    """
    if (capacitor, leak_mode) not in TAU_M_RANGE_MS:
        raise ValueError(f"Wafer: no calibrated tau_m range is known for "
                         f"capacitor={capacitor!r} with leak_mode={leak_mode!r}; known: "
                         f"{sorted(TAU_M_RANGE_MS)}")
    scale = speedup / RANGE_SPEEDUP
    ranges = {"tau_m": TAU_M_RANGE_MS[(capacitor, leak_mode)], **TIME_CONSTANT_RANGES_MS}
    return {name: (low * scale, high * scale) for name, (low, high) in ranges.items()}


def apply_ranges(populations, ranges: dict, mode: str) -> dict:
    """Bring every population's time constants into ``ranges``.

    ``mode="clip"`` clips (and warns once, with the counts); ``"error"`` raises.
    Returns the number of values clipped per parameter.
    """
    clipped: dict[str, int] = {}
    for population in populations:
        for name, (low, high) in ranges.items():
            values = population.parameters.get(name)
            if values is None:
                continue
            outside = (values < low) | (values > high)
            if not outside.any():
                continue
            if mode == "error":
                raise ValueError(
                    f"Wafer.map: population {population.label!r}: {name} has "
                    f"{int(outside.sum())} values outside the {low:g}..{high:g} ms the "
                    f"circuits realise (e.g. {values[outside][0]:g} ms); change them, or "
                    "use out_of_range='clip'")
            np.clip(values, low, high, out=values)
            clipped[name] = clipped.get(name, 0) + int(outside.sum())
    if clipped:
        warnings.warn(f"Wafer.map: parameters outside the hardware's ranges were clipped "
                      f"({clipped}); the counts are in the result's attrs", stacklevel=3)
    return clipped


def _neuron_deviation(per_denmem: np.ndarray, hicann: np.ndarray, first: np.ndarray,
                      neuron_size: int) -> np.ndarray:
    """A neuron's deviation: the mean of its denmems', rescaled to unit variance."""
    denmems = first[:, None] + np.arange(neuron_size)[None, :]
    return per_denmem[hicann[:, None], denmems].mean(axis=1) * np.sqrt(neuron_size)


def apply_variation(populations, hicann: np.ndarray, first_denmem: np.ndarray,
                    the_chip: Chip, capacitor: str, neuron_size: int, scale: float,
                    calibrated: bool, trial_seed: int | None) -> dict:
    """Give every neuron the deviations of the denmems it sits on (in place).

    Voltages move by ``sigma z``, time constants by ``sigma / reference z`` of their
    value (sigma: the reference's residual spread, wider without calibration), all
    times ``scale``. V_reset is one circuit per floating-gate block: its neurons share
    one programmed value (their mean request) and one deviation. A ``trial_seed``
    adds the trial-to-trial deviation of one programming.

    Returns
    -------
    dict
        ``v_reset_shared_blocks``: blocks whose neurons asked for different V_reset.
    """
    spreads = CALIBRATED_SPREAD[capacitor]
    width = scale * (1.0 if calibrated else UNCALIBRATED_SPREAD_FACTOR)
    trial = (np.random.default_rng(np.random.SeedSequence([the_chip.seed, trial_seed]))
             if trial_seed is not None else None)
    conflicts = 0
    for population in populations:
        if population.is_source:
            continue
        cells = slice(population.start, population.stop)
        h, first = hicann[cells].astype(np.int64), first_denmem[cells].astype(np.int64)
        for name in VARIED_PARAMETERS:
            values = population.parameters.get(name)
            if values is None:
                continue
            sigma = spreads[name] * width
            if name == "v_reset":
                continue  # shared per block, below
            z = _neuron_deviation(the_chip.deviation[name], h, first, neuron_size)
            if trial is not None:
                z = z + TRIAL_TO_TRIAL_FRACTION / (1.0 if calibrated
                                                   else UNCALIBRATED_SPREAD_FACTOR) \
                    * trial.standard_normal(z.size)
            if name in CALIBRATED_SPREAD_REFERENCE_MS:
                relative = sigma / CALIBRATED_SPREAD_REFERENCE_MS[name]
                values *= np.maximum(1.0 + relative * z, 0.05)  # circuits stay positive
            else:
                values += sigma * z
    # V_reset: one value and one deviation per floating-gate block
    neurons = [p for p in populations if not p.is_source]
    if neurons:
        reset = np.concatenate([p.parameters["v_reset"] for p in neurons])
        h = np.concatenate([hicann[p.start:p.stop] for p in neurons]).astype(np.int64)
        first = np.concatenate([first_denmem[p.start:p.stop] for p in neurons]).astype(np.int64)
        block = h * (DENMEMS_PER_HICANN // DENMEMS_PER_FLOATING_GATE_BLOCK) \
            + first // DENMEMS_PER_FLOATING_GATE_BLOCK
        blocks, which = np.unique(block, return_inverse=True)
        programmed = np.bincount(which, weights=reset) / np.bincount(which)
        spread_within = np.zeros(blocks.size)
        np.maximum.at(spread_within, which, np.abs(reset - programmed[which]))
        conflicts = int((spread_within > 1e-9).sum())
        z = the_chip.deviation["v_reset"].reshape(-1, DENMEMS_PER_FLOATING_GATE_BLOCK)[
            blocks, 0]
        shared = programmed + spreads["v_reset"] * width * z
        offset = 0
        for population in neurons:
            population.parameters["v_reset"][:] = shared[which[offset:offset + population.size]]
            offset += population.size
    return {"v_reset_shared_blocks": conflicts}
