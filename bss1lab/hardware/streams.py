"""The wafer's named random streams.

Every random draw of the hardware layer comes from its own stream, a generator
seeded with ``[seed, STREAM]`` (``numpy.random.SeedSequence`` entropy), so adding a
draw to one effect never changes another's. The numbers are arbitrary but fixed:
changing one changes every chip (and the committed results drawn from it).
"""

from __future__ import annotations

import numpy as np

from bss1lab.hardware.kept import Kept

__all__ = ["FIXED_PATTERN", "TRIAL_TO_TRIAL", "WEIGHT_DISTORTION", "DELAY_JITTER",
           "standard_normals"]

#: The chip's fixed pattern (per-denmem deviations, calibration failures) from the
#: wafer seed (``variation.chip``).
FIXED_PATTERN = 0x5CA1E
#: The floating gates' trial-to-trial deviation, with the trial number
#: (``variation.apply_variation``).
TRIAL_TO_TRIAL = 0x7121A1
#: Each synapse's analog weight deviation, from the chip's weight-deviation seed.
WEIGHT_DISTORTION = 7
#: The jitter of the routed delays, from the chip's weight-deviation seed.
DELAY_JITTER = 11

#: Draws ``standard_normals`` keeps, and the longest it keeps (8 MB each): a panel's
#: network, mapped again at every control, draws the same chip's per-synapse normals.
KEPT_NORMALS = 4
KEPT_MAX_VALUES = 1_000_000
_KEPT: Kept[np.ndarray] = Kept(KEPT_NORMALS)


def standard_normals(seed: int, stream: int, n: int) -> np.ndarray:
    """The first ``n`` standard normals of the stream ``[seed, stream]`` (read-only):
    ``np.random.default_rng([seed, stream]).standard_normal(n)``, kept for the next
    mapping of the same chip's synapses (the last ``KEPT_NORMALS`` draws of at most
    ``KEPT_MAX_VALUES``)."""
    def draw() -> np.ndarray:
        values = np.random.default_rng([seed, stream]).standard_normal(n)
        values.flags.writeable = False
        return values
    return _KEPT.get((int(seed), int(stream), int(n)), draw, keep=n <= KEPT_MAX_VALUES)
