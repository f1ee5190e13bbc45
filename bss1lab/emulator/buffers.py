"""The link buffers the engine runs: FIFOs served at a rate (token buckets).

Which events pass through which buffer, at what rate and with what depth, is the
mapping's decision (``MappedNetwork``'s ``input_*`` and ``readout_*`` fields); this
module only serves them. The input buffers run inside the step kernel
(``sources.limit_input``); the readout, a :class:`Readout`, runs where the engine
records spikes, once per recorded spike, so what a chunk of a run records is what
the whole run records.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["take_tokens", "Readout"]


@njit(cache=True, inline="always")
def take_tokens(tokens, last_time, now, rate, depth, wanted):
    """Serve ``wanted`` events arriving at ``now`` through a bucket that refills at
    ``rate`` per time unit up to ``depth``. Returns ``(granted, tokens)``."""
    tokens = min(depth, tokens + (now - last_time) * rate)
    granted = min(wanted, int(tokens))
    return granted, tokens - granted


@njit(cache=True)
def _serve(times, key, tokens, last, dropped, n_times, rate, depth, keep):
    """Serve time-sorted events through one buffer per key (-1: none), updating the
    buffers' state in place and clearing ``keep`` (all True on the way in) for the
    events that do not pass; returns the count of distinct times served so far.
    Events of the same time are served in an order that rotates from one time to the
    next (counted over the whole run), so no neuron is favoured when a buffer runs
    over."""
    start = 0
    while start < times.size:
        stop = start
        while stop < times.size and times[stop] == times[start]:
            stop += 1
        length = stop - start
        for r in range(length):
            j = start + (r + n_times) % length
            k = key[j]
            if k < 0:
                continue
            granted, tokens[k] = take_tokens(tokens[k], last[k], times[j], rate, depth, 1)
            last[k] = times[j]
            if granted == 0:
                keep[j] = False
                dropped[k] += 1
        n_times += 1
        start = stop
    return n_times


class Readout:
    """The readout buffers, one per key (a HICANN's readout), served at ``rate_hz``
    of biological time with ``depth`` events each; they keep their state from one
    call to the next.

    Parameters
    ----------
    key : int64 array (cells)
        Buffer of each cell's recorded spikes, -1: unlimited.
    n_keys : int
        Number of buffers.
    rate_hz : float
        Events per second (biological) each buffer serves.
    depth : float
        Events a buffer holds.

    Examples
    --------
    >>> readout = Readout(np.array([0]), 1, rate_hz=1000.0, depth=2.0)
    >>> readout.serve(np.array([0, 0, 0]), np.array([1.0, 1.0, 1.0]))
    array([ True,  True, False])
    >>> int(readout.dropped[0])
    1
    """

    def __init__(self, key: np.ndarray, n_keys: int, rate_hz: float, depth: float) -> None:
        self.key = np.asarray(key, dtype=np.int64)
        self.limited = bool((self.key >= 0).any())
        self.rate = float(rate_hz) * 1e-3  # per ms
        self.depth = float(depth)
        self.tokens = np.full(n_keys, self.depth)
        self.last = np.zeros(n_keys)
        self.dropped = np.zeros(n_keys, dtype=np.int64)
        self._n_times = 0

    def serve(self, cell: np.ndarray, time: np.ndarray) -> np.ndarray:
        """Which of the recorded spikes (of ``cell`` at ``time`` ms, time-sorted, and
        later than those served before) leave the wafer; counts the others in
        ``dropped``."""
        if not self.limited:
            return np.ones(np.shape(time), dtype=bool)
        # made here, not inside numba (DESIGN.md, performance shape)
        keep = np.ones(np.shape(time), dtype=bool)
        self._n_times = _serve(np.asarray(time, dtype=np.float64), self.key[cell],
                               self.tokens, self.last, self.dropped, self._n_times,
                               self.rate, self.depth, keep)
        return keep
