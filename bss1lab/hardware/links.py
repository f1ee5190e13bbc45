"""The links off the wafer: stimulus in through HICANN links and FPGAs, spikes out
through each HICANN's readout. Each is a FIFO of ``LINK_BUFFER_EVENTS`` served at the
link's rate (equivalently a token bucket): events that find it full are dropped."""

from __future__ import annotations

import numpy as np
from numba import njit

from bss1lab.hardware.spec import (HICANNS_PER_WAFER, INPUT_FPGA_LIMIT_HZ,
                                   INPUT_LINK_LIMIT_HZ, LINK_BUFFER_EVENTS, REFERENCE_SPEEDUP,
                                   READOUT_LIMIT_HZ)

__all__ = ["take_tokens", "bio_rate", "thin_readout", "INPUT_LINK_LIMIT_HZ",
           "INPUT_FPGA_LIMIT_HZ", "READOUT_LIMIT_HZ", "LINK_BUFFER_EVENTS"]


def bio_rate(limit_hz: float, speedup: float) -> float:
    """A link's limit in biological Hz at ``speedup`` (quoted at 1e4)."""
    return limit_hz * REFERENCE_SPEEDUP / speedup


@njit(cache=True, inline="always")
def take_tokens(tokens, last_time, now, rate, depth, wanted):
    """Serve ``wanted`` events arriving at ``now`` through a bucket that refills at
    ``rate`` per time unit up to ``depth``. Returns ``(granted, tokens)``."""
    tokens = min(depth, tokens + (now - last_time) * rate)
    granted = min(wanted, int(tokens))
    return granted, tokens - granted


@njit(cache=True)
def _thin(times, key, n_keys, rate, depth):
    """Serve time-sorted events through one buffer per key. Events of the same time
    are served in an order that rotates from one time to the next, so no neuron is
    favoured when a buffer runs over."""
    keep = np.ones(times.size, dtype=np.bool_)
    tokens = np.full(n_keys, depth)
    last = np.zeros(n_keys)
    dropped = np.zeros(n_keys, dtype=np.int64)
    start = 0
    n_times = 0
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
    return keep, dropped


def thin_readout(spike_time: np.ndarray, spike_hicann: np.ndarray, speedup: float,
                 depth: float = LINK_BUFFER_EVENTS) -> tuple[np.ndarray, np.ndarray]:
    """Which recorded spikes make it off the wafer.

    Parameters
    ----------
    spike_time : float array
        Bio ms, sorted.
    spike_hicann : int array
        HICANN of each spike's neuron (-1: not limited).
    speedup : float

    Returns
    -------
    keep : bool array
    dropped : int64 array (HICANNs on the wafer)
        Spikes dropped per HICANN.
    """
    rate = bio_rate(READOUT_LIMIT_HZ, speedup) * 1e-3  # per ms
    return _thin(np.asarray(spike_time, dtype=np.float64),
                 np.asarray(spike_hicann, dtype=np.int64), HICANNS_PER_WAFER, rate,
                 float(depth))
