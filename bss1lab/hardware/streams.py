"""The wafer's named random streams.

Every random draw of the hardware layer comes from its own stream, a generator
seeded with ``[seed, STREAM]`` (``numpy.random.SeedSequence`` entropy), so adding a
draw to one effect never changes another's. The numbers are arbitrary but fixed:
changing one changes every chip (and the committed results drawn from it).
"""

from __future__ import annotations

__all__ = ["FIXED_PATTERN", "TRIAL_TO_TRIAL", "WEIGHT_DISTORTION", "DELAY_JITTER"]

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
