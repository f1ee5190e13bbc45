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

from bss1lab.hardware import streams
from bss1lab.hardware.spec import (CALIBRATED_SPREAD, CALIBRATED_SPREAD_REFERENCE_MS,
                                   CALIBRATION_FAILURE_RATE, DENMEMS_PER_FLOATING_GATE_BLOCK,
                                   DENMEMS_PER_HICANN, HICANNS_PER_WAFER, REFERENCE_SPEEDUP,
                                   TAU_M_RANGE_MS, TIME_CONSTANT_FLOOR,
                                   TIME_CONSTANT_RANGES_MS, TRIAL_TO_TRIAL_FRACTION,
                                   UNCALIBRATED_SPREAD_FACTOR)

__all__ = ["Chip", "chip", "parameter_ranges", "apply_ranges", "apply_variation",
           "share_v_reset", "VARIED_PARAMETERS"]

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
    rng = np.random.default_rng(np.random.SeedSequence([seed, streams.FIXED_PATTERN]))
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
    scale = speedup / REFERENCE_SPEEDUP
    ranges = {"tau_m": TAU_M_RANGE_MS[(capacitor, leak_mode)], **TIME_CONSTANT_RANGES_MS}
    return {name: (low * scale, high * scale) for name, (low, high) in ranges.items()}


def apply_ranges(populations, ranges: dict, mode: str, clipped: dict | None = None, *,
                 report: bool = True) -> dict:
    """Bring every population's time constants into ``ranges``.

    ``mode="clip"`` clips (and warns once, with the counts); ``"error"`` raises.
    Returns the number of values clipped per parameter (added to ``clipped``).
    ``report=False`` clips silently: for what the circuits' own deviations push out
    of range (no request of the user's was changed).
    """
    if not report:
        for population in populations:
            for name, (low, high) in ranges.items():
                values = population.parameters.get(name)
                if values is not None:
                    np.clip(values, low, high, out=values)
        return {}
    clipped = {} if clipped is None else clipped
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
                      f"({clipped}); the counts are in the result's attrs", stacklevel=5)
    return clipped


def _neuron_deviation(per_denmem: np.ndarray, hicann: np.ndarray, first: np.ndarray,
                      neuron_size: int) -> np.ndarray:
    """A neuron's deviation: the mean of its denmems', rescaled to unit variance."""
    denmems = first[:, None] + np.arange(neuron_size)[None, :]
    return per_denmem[hicann[:, None], denmems].mean(axis=1) * np.sqrt(neuron_size)


def _floating_gate_blocks(neurons, hicann: np.ndarray, first_denmem: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray]:
    """The floating-gate blocks the neurons sit in, and each neuron's block index."""
    h = np.concatenate([hicann[p.start:p.stop] for p in neurons]).astype(np.int64)
    first = np.concatenate([first_denmem[p.start:p.stop] for p in neurons]).astype(np.int64)
    block = (h * (DENMEMS_PER_HICANN // DENMEMS_PER_FLOATING_GATE_BLOCK)
             + first // DENMEMS_PER_FLOATING_GATE_BLOCK)
    return np.unique(block, return_inverse=True)


def _set_v_reset(neurons, values: np.ndarray) -> None:
    offset = 0
    for population in neurons:
        population.parameters["v_reset"][:] = values[offset:offset + population.size]
        offset += population.size


def share_v_reset(populations, hicann: np.ndarray, first_denmem: np.ndarray) -> int:
    """V_reset is one floating-gate cell per block of 128 denmems: its neurons get the
    mean of what they ask for (in place). Returns the blocks whose neurons asked for
    different values."""
    neurons = [p for p in populations if not p.is_source]
    if not neurons:
        return 0
    reset = np.concatenate([p.parameters["v_reset"] for p in neurons])
    _, which = _floating_gate_blocks(neurons, hicann, first_denmem)
    programmed = np.bincount(which, weights=reset) / np.bincount(which)
    spread_within = np.zeros(programmed.size)
    np.maximum.at(spread_within, which, np.abs(reset - programmed[which]))
    _set_v_reset(neurons, programmed[which])
    return int((spread_within > 1e-9).sum())


def apply_variation(populations, hicann: np.ndarray, first_denmem: np.ndarray,
                    the_chip: Chip, capacitor: str, neuron_size: int, scale: float,
                    calibrated: bool, trial: int) -> None:
    """Give every neuron the deviations of the denmems it sits on (in place).

    Voltages move by ``sigma z``, time constants by ``sigma / reference z`` of their
    value (sigma: the reference's residual spread, wider without calibration), all
    times ``scale``. V_reset deviates once per floating-gate block (one circuit).
    Each programming (``trial``) adds its own trial-to-trial deviation.
    """
    spreads = CALIBRATED_SPREAD[capacitor]
    references = CALIBRATED_SPREAD_REFERENCE_MS[capacitor]
    width = scale * (1.0 if calibrated else UNCALIBRATED_SPREAD_FACTOR)
    # trial-to-trial: TRIAL_TO_TRIAL_FRACTION of the calibrated spread, either way
    trial_width = scale * TRIAL_TO_TRIAL_FRACTION / width if width > 0 else 0.0
    rng = np.random.default_rng(np.random.SeedSequence([the_chip.seed,
                                                       streams.TRIAL_TO_TRIAL, trial]))
    neurons = [p for p in populations if not p.is_source]
    for population in neurons:
        cells = slice(population.start, population.stop)
        h, first = hicann[cells].astype(np.int64), first_denmem[cells].astype(np.int64)
        for name in VARIED_PARAMETERS:
            values = population.parameters.get(name)
            if values is None or name == "v_reset":
                continue
            z = (_neuron_deviation(the_chip.deviation[name], h, first, neuron_size)
                 + trial_width * rng.standard_normal(population.size))
            sigma = spreads[name] * width
            if name in references:
                values *= np.maximum(1.0 + sigma / references[name] * z,
                                     TIME_CONSTANT_FLOOR)
            else:
                values += sigma * z
    if neurons:
        blocks, which = _floating_gate_blocks(neurons, hicann, first_denmem)
        z = (the_chip.deviation["v_reset"].reshape(-1, DENMEMS_PER_FLOATING_GATE_BLOCK)[
            blocks, 0] + trial_width * rng.standard_normal(blocks.size))
        reset = np.concatenate([p.parameters["v_reset"] for p in neurons])
        _set_v_reset(neurons, reset + spreads["v_reset"] * width * z[which])
