"""How many of its threads the engine runs on right now, from how fast they go.

The kernel splits its work into fixed blocks, each thread taking an equal share, and
the threads meet once per synchronisation window. When another process keeps one of
the cores busy, the thread on that core gets a fraction of it and every other thread
waits for it at each meeting: two threads then run slower than one. The results do not
depend on the thread count, so the engine may change it between kernel calls: it runs
a long run in slices of about ``SLICE_SECONDS``, now and then runs one slice on one
thread and one on all, and goes on with the faster (by ``SWITCH_MARGIN``). While the
choice holds, the probes grow rarer (``MAX_PERIOD`` slices apart at most; faster when
the other count lags far behind; at once when a slice runs ``SLOWDOWN`` times slower
than the one before), and each times at most ``PROBE_STEPS`` steps and about a slice's
time, after its settling slice.

The first slice on a count after another count ran, and a tuner's first slice, are
not timed: they pay for what the change wakes (threads asleep, on a virtual machine
an idle virtual CPU, which can take milliseconds; the fresh buffers' first touches
in a new emulation) and would make the count look far slower than it runs. Such a
settling slice is short (``SETTLE_STEPS``), but for the one that returns to the
chosen count after a probe.

This module imports no numba; ``engine.Emulation`` applies what it chooses.
"""

from __future__ import annotations

__all__ = ["ThreadTuner", "SLICE_SECONDS", "MAX_PERIOD", "SETTLE_STEPS", "SWITCH_MARGIN",
           "SLOWDOWN"]

#: Wall time a slice of a run aims at, s: long enough that a kernel call's overhead
#: (tens of microseconds) does not count, short enough to adapt within a second.
SLICE_SECONDS = 0.03
#: Slice lengths, steps: the first slice's and the bounds.
FIRST_SLICE_STEPS = 16
MIN_SLICE_STEPS = 8
#: Steps of a probe of the count not chosen: two synchronisation windows of the
#: longest kind (``contracts.MAX_WINDOW``), whatever that count's speed.
PROBE_STEPS = 16
#: Steps of the untimed slice that opens a probe or a tuner's first slices.
SETTLE_STEPS = MIN_SLICE_STEPS
MAX_SLICE_STEPS = 8192
#: How much faster a probed count must run to take over: one slice's speed against
#: another's varies by several per cent with the network's activity and the machine.
SWITCH_MARGIN = 1.1
#: A slice of the chosen count this many times slower per step than its last one
#: (another process has taken a core) brings the next probe forward.
SLOWDOWN = 2.0
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
    (2, 8)
    >>> tuner.record(8, 0.0100)    # the first slice settles: not timed
    >>> tuner.slice_steps(10_000)
    16
    >>> tuner.record(16, 0.0025)   # 2 threads: 156 us per step
    >>> tuner.threads_now(), tuner.slice_steps(10_000)  # a probe of one thread settles
    (1, 8)
    >>> tuner.record(8, 0.0015)
    >>> tuner.slice_steps(10_000)
    16
    >>> tuner.record(16, 0.0020)   # 125 us per step: faster, and one thread goes on
    >>> tuner.threads_now()
    1
    """

    def __init__(self, threads: int) -> None:
        self.threads = int(threads)
        self._current = self.threads
        self._per_step: dict[int, float] = {}   # threads -> seconds per step
        self._probe: int | None = 1 if self.threads > 1 else None
        self._period = FIRST_PERIOD
        self._until_probe = 1  # one timed slice on all threads, then a probe
        self._steps: dict[int, int] = {}        # threads -> steps of its slices
        self._last: int | None = None           # the count of the last slice
        self._planned = FIRST_SLICE_STEPS       # its steps, as planned before a run's end

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
        if probe != self._last and (probe != self._current or self._last is None):
            planned = SETTLE_STEPS  # a probe's or the first slice: untimed
        elif probe != self._current:  # short: the probed count may have collapsed
            fits = int(SLICE_SECONDS / self._per_step[probe]) if probe in self._per_step \
                else PROBE_STEPS
            planned = min(PROBE_STEPS, max(MIN_SLICE_STEPS, fits))
        else:
            planned = self._steps.get(self._current, FIRST_SLICE_STEPS)
        self._planned = planned
        return min(remaining, planned)

    def record(self, steps: int, wall_s: float, measured: bool = True) -> None:
        """Note that the last slice ran ``steps`` steps in ``wall_s`` seconds.

        ``measured=False`` (the first call in a process, which may load the kernel
        from numba's cache) only counts the slice, without timing it, as does a
        slice that a run's end cut below ``PROBE_STEPS``. A settling slice (the first
        on its count) is neither timed nor counted.
        """
        if self.threads == 1 or steps <= 0:
            return
        used = self.threads_now()
        settling, self._last = used != self._last, used
        if settling:
            return
        probing = used != self._current
        slowed = False
        # a slice cut short (a run's last steps) pays a kernel call over few steps:
        # timed only from PROBE_STEPS on, and judged for a slowdown only at full length
        if measured and wall_s > 0 and steps >= min(self._planned, PROBE_STEPS):
            before = self._per_step.get(used)
            self._per_step[used] = wall_s / steps
            slowed = (before is not None and steps >= self._planned
                      and wall_s / steps > SLOWDOWN * before)
            wanted = int(steps * SLICE_SECONDS / wall_s)
            self._steps[used] = max(MIN_SLICE_STEPS, min(MAX_SLICE_STEPS, wanted))
        if not probing:
            self._until_probe -= 1
            if slowed and self._probe is not None:  # a core taken: probe at once
                self._until_probe, self._period = 0, FIRST_PERIOD
            return
        if self._current not in self._per_step or used not in self._per_step:
            self._until_probe = 1  # not timed yet: one slice as chosen, then again
            return
        lag = self._per_step[used] / self._per_step[self._current]
        if lag * SWITCH_MARGIN > 1.0:
            # the more the other count lags, the rarer its probes
            self._period = min(MAX_PERIOD, (4 if lag > 2.0 else 2) * self._period)
        else:
            self._probe, self._current = self._current, used
            self._period = FIRST_PERIOD
        self._until_probe = self._period
