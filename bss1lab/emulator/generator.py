"""The counter-based generator of the kernels' random numbers.

Poisson spikes come from a counter-based generator keyed by (seed, cell, step), so they
depend neither on scheduling nor on how a run is split: a source's count in a step is
the inverse of its cumulative distribution at its own uniform of that step.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: The stream of the input links' rotating service order: uniforms keyed by this
#: "cell" (no cell has it) and the step.
INPUT_ORDER_STREAM = -1

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_S40 = np.uint64(40)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, error_model="numpy", inline="always")
def mix64(z):
    """SplitMix64's bijective finaliser: a well-mixed 64-bit hash of ``z``."""
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True, error_model="numpy", inline="always")
def uniform(seed_hash, cell, counter):
    """A uniform number in [0, 1) that depends only on (seed, cell, counter)."""
    key = (np.uint64(cell) << _S40) + np.uint64(counter)
    return float(mix64(key * _GOLDEN ^ seed_hash) >> _S11) * _TO_UNIT
