"""BrainScaleS-1 numbers, each once, with its source.

Sources are those of ``shared/reference/brainscales1.md``; "derived" marks numbers
computed from the others.
"""

#: Nominal acceleration of the wafer over biological time (configurable 1e3..1e5).
#: Source: BrainScaleS-1 seed article; HBP platform guidebook.
SPEEDUP_NOMINAL = 1.0e4
#: Range of speed-ups the circuits can be configured for. Same source.
SPEEDUP_RANGE = (1.0e3, 1.0e5)
