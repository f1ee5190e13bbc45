"""The time grid: every time (spike times, delays, periods) rounded to steps of dt."""

from __future__ import annotations

import numpy as np
from numba import njit

from bss1lab.validation import as_number

__all__ = ["steps_of", "nearest_step", "STEP_SLACK", "DEFAULT_DT", "DT_RANGE", "check_dt"]

#: Default time step in ms (biological time).
DEFAULT_DT = 0.1
#: Allowed time steps, ms: from 1 us (the step count of the longest time,
#: ``MAX_TIME_MS``, stays exact) to 10 ms, coarser than every synaptic time constant.
DT_RANGE = (1e-3, 10.0)

#: Relative slack when rounding times to steps (see ``steps_of``).
STEP_SLACK = 1e-9


@njit(cache=True, inline="always")
def nearest_step(time_ms, dt):
    """The rule of ``steps_of`` for one time, for numba functions."""
    return np.int64(np.floor(time_ms / dt * (1.0 + STEP_SLACK) + 0.5))


@njit(cache=True)
def _nearest_steps(times_ms, dt, steps):
    for s in range(times_ms.shape[0]):
        steps[s] = nearest_step(times_ms[s], dt)


def steps_of(times_ms: np.ndarray | float, dt: float) -> np.ndarray:
    """Nearest grid step of each time (ms), halves rounded up; a relative
    ``STEP_SLACK`` keeps 0.3 / 0.1 = 2.9999999999999996 at step 3. Returns int64
    steps in the shape of ``times_ms``."""
    times = np.asarray(times_ms, dtype=np.float64)
    # made here, not inside numba (DESIGN.md, performance shape)
    steps = np.empty(times.shape, dtype=np.int64)
    _nearest_steps(times.ravel(), float(dt), steps.reshape(-1))
    return steps


def check_dt(owner: str, dt: object) -> float:
    """``dt`` (ms) as a float in ``DT_RANGE``; raises naming ``owner`` otherwise."""
    low, high = DT_RANGE
    number = as_number(owner, "dt", dt)
    if not low <= number <= high:
        raise ValueError(f"{owner}: dt={dt!r} ms must be a number > 0, in {low:g}..{high:g} "
                         "ms")
    return number
