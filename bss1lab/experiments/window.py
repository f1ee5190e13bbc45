"""The recorded window of a Dataset that the measures of :mod:`analysis` work on,
and the per-cell and per-population computations they share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from bss1lab.errors import ParameterTypeError
from bss1lab.validation import as_count, as_number

REQUIRED_VARIABLES = ("spike_time", "spike_neuron", "population", "local_index",
                       "spikes_recorded")


@dataclass(frozen=True)
class SpikeWindow:
    """The part of a Dataset the measures need, as numpy arrays (cells by position
    along the ``neuron`` dimension)."""

    ds: xr.Dataset
    t_start: float
    t_stop: float
    recorded: np.ndarray      # bool per cell
    pop_code: np.ndarray      # int per cell: index into labels (-1: not recorded)
    labels: np.ndarray        # str, populations with recorded cells, in order
    spike_cell: np.ndarray    # position of each spike in the window (recorded cells)
    spike_time: np.ndarray    # its time, ms
    eps: float                # tolerance on spike times at window and bin edges, ms

    @property
    def duration_s(self) -> float:
        return (self.t_stop - self.t_start) * 1e-3


def window_of(owner: str, ds: object, t_start: object, t_stop: object) -> SpikeWindow:
    """Validate ``ds`` and the window; select the recorded cells' spikes in it."""
    if not isinstance(ds, xr.Dataset):
        raise ParameterTypeError(f"{owner}: ds={type(ds).__name__} must be an "
                                 "xarray.Dataset (the result of bss1lab.experiments.run)")
    missing = [name for name in REQUIRED_VARIABLES if name not in ds.variables]
    missing += [name for name in ("start_ms", "duration_ms") if name not in ds.attrs]
    if missing:
        raise ValueError(f"{owner}: ds lacks {', '.join(missing)}; it must be a result "
                         "Dataset of bss1lab.experiments.run")
    if ds["spike_time"].dims != ("spike",) or ds["population"].dims != ("neuron",):
        raise ValueError(f"{owner}: ds must have spike_time along 'spike' and population "
                         f"along 'neuron' (one run), got {ds['spike_time'].dims} and "
                         f"{ds['population'].dims}")
    start = float(ds.attrs["start_ms"])
    stop = start + float(ds.attrs["duration_ms"])
    eps = 1e-10 * max(1.0, abs(start), abs(stop))
    t0 = start if t_start is None else as_number(owner, "t_start", t_start)
    t1 = stop if t_stop is None else as_number(owner, "t_stop", t_stop)
    if not start - eps <= t0 < stop:
        raise ValueError(f"{owner}: t_start={t_start!r} must lie in the record's interval "
                         f"[{start:g}, {stop:g}) ms")
    if not t0 < t1 <= stop + eps:
        raise ValueError(f"{owner}: t_stop={t_stop!r} must be > t_start={t0:g} ms and "
                         f"<= the record's end {stop:g} ms")

    recorded = np.asarray(ds["spikes_recorded"].values, dtype=bool)
    population = np.asarray(ds["population"].values).astype(str)
    pop_code = np.full(population.size, -1, dtype=np.int64)
    labels, first, inverse = np.unique(population[recorded], return_index=True,
                                       return_inverse=True)
    order = np.argsort(first, kind="stable")          # order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    pop_code[recorded] = rank[inverse]
    labels = labels[order]

    # spike -> position along `neuron` (the neuron coordinate is 0..n-1 in a run's
    # Dataset; look it up for Datasets that were subset)
    neuron = np.asarray(ds["neuron"].values)
    spike_neuron = np.asarray(ds["spike_neuron"].values).astype(np.int64, copy=False)
    if np.array_equal(neuron, np.arange(neuron.size)):
        cell = np.where((spike_neuron >= 0) & (spike_neuron < neuron.size), spike_neuron, -1)
    else:
        cell = pd.Index(neuron).get_indexer(spike_neuron)
    time = np.asarray(ds["spike_time"].values, dtype=np.float64)
    keep = (cell >= 0) & (time > t0 + eps) & (time <= t1 + eps)
    keep[keep] = recorded[cell[keep]]
    return SpikeWindow(ds, t0, t1, recorded, pop_code, labels, cell[keep], time[keep], eps)


def check_bin(owner: str, rec: SpikeWindow, bin_ms: object) -> tuple[float, int]:
    """``bin_ms`` validated, and the number of whole bins in the window."""
    width = rec.t_stop - rec.t_start
    bin_ms = as_number(owner, "bin_ms", bin_ms, low=0.0, low_inclusive=False)
    if bin_ms > width + rec.eps:
        raise ValueError(f"{owner}: bin_ms={bin_ms:g} must be <= the window length "
                         f"{width:g} ms")
    return bin_ms, max(1, int(np.floor(width / bin_ms + 1e-9)))


def bin_edges(rec: SpikeWindow, bin_ms: float, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Bin index of each spike of the window, and the mask of those in a whole bin."""
    index = np.ceil((rec.spike_time - rec.t_start - rec.eps) / bin_ms).astype(np.int64) - 1
    inside = (index >= 0) & (index < n_bins)
    return index, inside


def population_counts(rec: SpikeWindow) -> np.ndarray:
    """Recorded cells per population."""
    return np.bincount(rec.pop_code[rec.recorded], minlength=rec.labels.size)


def binned_population_counts(rec: SpikeWindow, bin_ms: float, n_bins: int) -> np.ndarray:
    """Spikes per population and bin, shape (population, bin)."""
    index, inside = bin_edges(rec, bin_ms, n_bins)
    key = rec.pop_code[rec.spike_cell[inside]] * n_bins + index[inside]
    return np.bincount(key, minlength=rec.labels.size * n_bins).reshape(
        rec.labels.size, n_bins).astype(np.float64)


def window_attrs(rec: SpikeWindow, **extra) -> dict:
    return {"t_start": rec.t_start, "t_stop": rec.t_stop, "window_units": "ms", **extra}


def population_array(rec: SpikeWindow, values, name: str, units: str | None,
                      long_name: str, **attrs) -> xr.DataArray:
    out = xr.DataArray(np.asarray(values), dims="population",
                       coords={"population": rec.labels}, name=name)
    if units is not None:
        out.attrs["units"] = units
    out.attrs["long_name"] = long_name
    out.attrs.update(window_attrs(rec, **attrs))
    return out


def cell_rates(rec: SpikeWindow) -> np.ndarray:
    """Rate of every cell (Hz), NaN for unrecorded cells."""
    counts = np.bincount(rec.spike_cell, minlength=rec.recorded.size).astype(np.float64)
    return np.where(rec.recorded, counts / rec.duration_s, np.nan)


def cell_cv(rec: SpikeWindow, min_spikes: int) -> np.ndarray:
    """CV of ISI of every cell, NaN below ``min_spikes`` or unrecorded (vectorised)."""
    n = rec.recorded.size
    if np.all(rec.spike_time[1:] >= rec.spike_time[:-1]):   # the record is time-sorted
        order = np.argsort(rec.spike_cell, kind="stable")
    else:
        order = np.lexsort((rec.spike_time, rec.spike_cell))
    cell, time = rec.spike_cell[order], rec.spike_time[order]
    same = cell[1:] == cell[:-1]
    isi_cell = cell[1:][same]
    isi = np.diff(time)[same]
    n_isi = np.bincount(isi_cell, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(isi_cell, weights=isi, minlength=n) / n_isi
        # two passes: exactly 0 for exactly equal intervals
        deviation = isi - mean[isi_cell]
        std = np.sqrt(np.bincount(isi_cell, weights=deviation * deviation, minlength=n)
                      / n_isi)
        cv = std / mean
    enough = rec.recorded & (n_isi + 1 >= min_spikes) & (n_isi > 0)
    return np.where(enough, cv, np.nan)


def population_mean(rec: SpikeWindow, per_cell: np.ndarray) -> np.ndarray:
    """Mean of ``per_cell`` over each population's recorded cells where it is finite."""
    ok = rec.recorded & np.isfinite(per_cell)
    total = np.bincount(rec.pop_code[ok], weights=per_cell[ok], minlength=rec.labels.size)
    count = np.bincount(rec.pop_code[ok], minlength=rec.labels.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def sampled_cells(rec: SpikeWindow, max_neurons: int) -> np.ndarray:
    """Bool per cell: the recorded cells with the ``max_neurons`` lowest local indices
    of each population."""
    local = np.asarray(rec.ds["local_index"].values, dtype=np.int64)
    cells = np.flatnonzero(rec.recorded)
    order = cells[np.lexsort((cells, local[cells], rec.pop_code[cells]))]
    code = rec.pop_code[order]
    group_start = np.searchsorted(code, code, side="left")
    rank = np.arange(order.size) - group_start
    sampled = np.zeros(rec.recorded.size, dtype=bool)
    sampled[order[rank < max_neurons]] = True
    return sampled


def chi_of(rec: SpikeWindow, bin_ms: float, n_bins: int, max_neurons: int
         ) -> tuple[np.ndarray, np.ndarray]:
    """Golomb's chi per population and the number of cells it was computed on."""
    sampled = sampled_cells(rec, max_neurons)
    n_pop = rec.labels.size
    n_cells = np.bincount(rec.pop_code[sampled], minlength=n_pop).astype(np.float64)
    index, inside = bin_edges(rec, bin_ms, n_bins)
    inside &= sampled[rec.spike_cell]
    cell, index = rec.spike_cell[inside], index[inside]
    pop = rec.pop_code[cell]
    # Var_t(mean_i n_i(t)) from the population's count per bin
    per_bin = np.bincount(pop * n_bins + index, minlength=n_pop * n_bins).reshape(
        n_pop, n_bins) / np.maximum(n_cells, 1)[:, None]
    numerator = per_bin.var(axis=1)
    # mean_i Var_t(n_i(t)) from sums over the occupied (cell, bin) pairs: no matrix
    key = np.sort(cell * n_bins + index)
    first = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1]))) if key.size \
        else np.zeros(0, dtype=np.int64)
    occupancy = np.diff(np.append(first, key.size)).astype(np.float64)
    occupied_cell = key[first] // n_bins
    n = rec.recorded.size
    total = np.bincount(occupied_cell, weights=occupancy, minlength=n)
    square = np.bincount(occupied_cell, weights=occupancy * occupancy, minlength=n)
    mean = total / n_bins
    variance = np.maximum(square / n_bins - mean * mean, 0.0)
    denominator = np.bincount(rec.pop_code[sampled], weights=variance[sampled],
                              minlength=n_pop) / np.maximum(n_cells, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        chi = np.where(denominator > 0, np.sqrt(numerator / denominator), np.nan)
    return chi, n_cells


def peak_frequency(rec: SpikeWindow, bin_ms: float, n_bins: int
                    ) -> tuple[np.ndarray, float]:
    """Frequency (Hz) of the largest spectral peak of each population's activity."""
    frequency = np.fft.rfftfreq(n_bins, d=bin_ms * 1e-3)
    if n_bins < 3:
        return np.full(rec.labels.size, np.nan), float("nan")
    counts = binned_population_counts(rec, bin_ms, n_bins)
    counts -= counts.mean(axis=1, keepdims=True)
    power = np.abs(np.fft.rfft(counts, axis=1)) ** 2
    best = np.max(power[:, 1:], axis=1)
    # ties (the equal harmonics of a perfectly periodic pulse train): the lowest one
    peak = 1 + np.argmax(power[:, 1:] >= (1.0 - 1e-9) * best[:, None], axis=1)
    result = np.where(best > 0, frequency[peak], np.nan)
    return result, float(frequency[1])


def check_max_neurons(owner: str, max_neurons: object) -> int:
    return as_count(owner, "max_neurons", max_neurons, low=1)


def check_min_spikes(owner: str, min_spikes: object) -> int:
    return as_count(owner, "min_spikes", min_spikes, low=2)
