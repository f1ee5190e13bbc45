"""How many of its threads the engine runs on right now, from how fast they go.

The kernel splits its work into fixed blocks, each thread taking an equal share, and
the threads meet once per synchronisation window. When another process keeps one of
the cores busy, the thread on that core gets a fraction of it and every other thread
waits for it at each meeting: two threads then run slower than one. The results do not
depend on the thread count, so the engine may change it between kernel calls: it runs a
long run in slices of about ``SLICE_SECONDS``, now and then runs one slice on one
thread and one on all, and goes on with the faster. While the choice holds, the probes
grow rarer (``MAX_PERIOD`` slices apart at most; faster when the other count lags
far behind), and each lasts at most ``PROBE_STEPS`` steps and about a slice's time.

This module imports no numba; ``engine.Emulation`` applies what it chooses.
"""

from __future__ import annotations

__all__ = ["ThreadTuner", "SLICE_SECONDS", "MAX_PERIOD"]

#: Wall time a slice of a run aims at, s: long enough that a kernel call's overhead
#: (tens of microseconds) does not count, short enough to adapt within a second.
SLICE_SECONDS = 0.03
#: Slice lengths, steps: the first slice's and the bounds.
FIRST_SLICE_STEPS = 16
MIN_SLICE_STEPS = 8
#: Steps of a probe of the count not chosen: two synchronisation windows of the
#: longest kind (``contracts.MAX_WINDOW``), whatever that count's speed.
PROBE_STEPS = 16
MAX_SLICE_STEPS = 8192
#: Slices between probes: first, and at most (the period doubles while the faster
#: thread count stays the same).
FIRST_PERIOD = 8
MAX_PERIOD = 64


class ThreadTuner:
    """Picks, slice by slice, between ``threads`` and one thread.

    Parameters
    ----------
    threads : int
        The most the engine may use (``threads.engine_threads``); with 1 nothing is
        tuned and runs are not sliced.

    Examples
    --------
    >>> tuner = ThreadTuner(2)
    >>> tuner.threads_now(), tuner.slice_steps(10_000)
    (2, 16)
    >>> tuner.record(16, 0.0025, measured=True)  # 2 threads: 156 us per step
    >>> tuner.threads_now()                      # the probe on one thread
    1
    >>> tuner.record(16, 0.0020, measured=True)  # faster: one thread goes on
    >>> tuner.threads_now()
    1
    """

    def __init__(self, threads: int) -> None:
        self.threads = int(threads)
        self._current = self.threads
        self._per_step: dict[int, float] = {}   # threads -> seconds per step
        self._probe: int | None = 1 if self.threads > 1 else None
        self._period = FIRST_PERIOD
        self._until_probe = 1  # the first slice on all threads, then a probe
        self._steps: dict[int, int] = {}        # threads -> steps of its slices

    def threads_now(self) -> int:
        """The thread count for the next slice."""
        if self._probe is not None and self._until_probe <= 0:
            return self._probe
        return self._current

    def slice_steps(self, remaining: int) -> int:
        """Steps of the next slice, at most ``remaining``."""
        if self.threads == 1:
            return remaining
        probe = self.threads_now()
        if probe != self._current:  # short: the probed count may have collapsed
            fits = int(SLICE_SECONDS / self._per_step[probe]) if probe in self._per_step \
                else PROBE_STEPS
            return min(remaining, PROBE_STEPS, max(MIN_SLICE_STEPS, fits))
        return min(remaining, self._steps.get(self._current, FIRST_SLICE_STEPS))

    def record(self, steps: int, wall_s: float, measured: bool = True) -> None:
        """Note that the last slice ran ``steps`` steps in ``wall_s`` seconds.

        ``measured=False`` (the first call in a process, which may load the kernel
        from numba's cache) only counts the slice, without timing it.
        """
        if self.threads == 1 or steps <= 0:
            return
        used = self.threads_now()
        probing = used != self._current
        if measured and wall_s > 0:
            self._per_step[used] = wall_s / steps
            wanted = int(steps * SLICE_SECONDS / wall_s)
            self._steps[used] = max(MIN_SLICE_STEPS, min(MAX_SLICE_STEPS, wanted))
        if not probing:
            self._until_probe -= 1
            return
        if self._current not in self._per_step or used not in self._per_step:
            self._until_probe = 1  # not timed yet: one slice as chosen, then again
            return
        faster = min(self._per_step, key=self._per_step.get)
        if faster == self._current:
            # the more the other count lags, the rarer its probes
            lag = self._per_step[used] / self._per_step[self._current]
            self._period = min(MAX_PERIOD, (4 if lag > 2.0 else 2) * self._period)
        else:
            self._probe, self._current = self._current, faster
            self._period = FIRST_PERIOD
        self._until_probe = self._period
