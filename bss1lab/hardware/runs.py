"""Runs of equal values in sorted keys: the group-by that placement and routing do
with one sort instead of many ``np.unique`` calls."""

from __future__ import annotations

import numpy as np

__all__ = ["run_starts", "run_index", "rank_in_runs"]


def run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Where each run of equal values in ``sorted_keys`` starts."""
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def run_index(sorted_keys: np.ndarray) -> np.ndarray:
    """For each element of ``sorted_keys``, the number of its run of equal values."""
    return np.cumsum(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]) - 1


def rank_in_runs(sorted_keys: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal values of ``sorted_keys``."""
    starts = run_starts(sorted_keys)
    lengths = np.diff(np.r_[starts, sorted_keys.size])
    return np.arange(sorted_keys.size) - np.repeat(starts, lengths)
