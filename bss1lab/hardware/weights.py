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


@njit(cache=True, error_model="numpy")
def _nearest_levels(magnitude, group, scale, levels, midpoints, quantized, digital):
    """``quantize`` in two passes: each group's largest magnitude (into ``scale``,
    zeros on the way in), then each value's nearest level of its group's scale (the
    number of midpoints below its fraction of the scale, as
    ``np.searchsorted(midpoints, fraction)``)."""
    for i in range(magnitude.size):
        if magnitude[i] > scale[group[i]]:
            scale[group[i]] = magnitude[i]
    for i in range(magnitude.size):
        s = scale[group[i]]
        fraction = magnitude[i] / s if s > 0 else 0.0
        d = 0
        for k in range(midpoints.size):  # all of them, without a branch
            d += midpoints[k] < fraction
        digital[i] = d
        quantized[i] = levels[d] * s


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
    levels = np.asarray(levels, dtype=np.float64)
    # nearest level: levels are increasing, so compare with the midpoints
    midpoints = 0.5 * (levels[1:] + levels[:-1])
    quantized = np.empty_like(magnitude)
    digital = np.empty(magnitude.size, dtype=np.int8)
    # each group's scale, made here, not inside numba (DESIGN.md, performance shape)
    scale = np.zeros(int(n_groups))
    _nearest_levels(magnitude, np.asarray(row_group), scale, levels, midpoints,
                    quantized, digital)
    return quantized, digital


def distort(weight: np.ndarray, realised: np.ndarray, seed: int, spread: float
            ) -> np.ndarray:
    """The weights with each synapse's analog deviation: times 1 + ``spread`` x a
    standard normal, fixed per requested synapse (drawn for all of them from the
    chip's weight-deviation ``seed``, then taken at the ``realised`` mask, so a
    synapse keeps its deviation whatever else is lost), never below 0."""
    deviation = streams.standard_normals(seed, streams.WEIGHT_DISTORTION,
                                         realised.size)[realised]
    return weight * np.maximum(1.0 + spread * deviation, 0.0)
