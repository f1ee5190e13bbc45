"""4-bit synaptic weights: one scale per synapse row, 16 levels per synapse, and the
analog spread on top."""

from __future__ import annotations

import numpy as np
from numba import njit

from bss1lab.hardware import streams
from bss1lab.hardware.spec import WEIGHT_CURVE, WEIGHT_LEVELS

__all__ = ["weight_levels", "quantize", "distort"]


def weight_levels(calibrated: bool) -> np.ndarray:
    """Conductance of digital weights 0..15 as a fraction of weight 15's.

    Calibrated, the levels are linear; uncalibrated they follow the measured curve
    g(w) = c0 + c1 w + c2 w^2 (weight 0 switches the synapse off)."""
    w = np.arange(WEIGHT_LEVELS, dtype=np.float64)
    if calibrated:
        return w / w[-1]
    c0, c1, c2 = WEIGHT_CURVE
    curve = c0 + c1 * w + c2 * w ** 2
    curve[0] = 0.0
    return curve / curve[-1]


@njit(cache=True)
def _group_maximum(values, group, n_groups):
    result = np.zeros(n_groups)
    for i in range(values.size):
        if values[i] > result[group[i]]:
            result[group[i]] = values[i]
    return result


def quantize(weight: np.ndarray, row_group: np.ndarray, n_groups: int, levels: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Round each weight to the nearest level of its row's scale.

    The scale (gmax) of a row group (``row_group``: 0 .. n_groups - 1 per synapse) is
    its largest weight, so that weight is exact.

    Returns
    -------
    quantized : float64 array
        The weights the synapses get, same units as ``weight``.
    digital : int8 array
        The 4-bit value of each synapse.
    """
    magnitude = weight.astype(np.float64)  # conductances: never negative on the wafer
    scale = _group_maximum(magnitude, row_group, n_groups)[row_group]
    fraction = np.divide(magnitude, scale, out=np.zeros_like(magnitude), where=scale > 0)
    # nearest level: levels are increasing, so compare with the midpoints
    midpoints = 0.5 * (levels[1:] + levels[:-1])
    digital = np.searchsorted(midpoints, fraction).astype(np.int8)
    quantized = levels[digital] * scale
    return quantized, digital


def distort(weight: np.ndarray, realised: np.ndarray, seed: int, spread: float
            ) -> np.ndarray:
    """The weights with each synapse's analog deviation: times 1 + ``spread`` x a
    standard normal, fixed per requested synapse (drawn for all of them from the
    chip's weight-deviation ``seed``, then taken at the ``realised`` mask, so a
    synapse keeps its deviation whatever else is lost), never below 0."""
    rng = np.random.default_rng([seed, streams.WEIGHT_DISTORTION])
    deviation = rng.standard_normal(realised.size)[realised]
    return weight * np.maximum(1.0 + spread * deviation, 0.0)
