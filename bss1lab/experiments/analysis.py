"""Spike-train analysis of the result ``xarray.Dataset`` of
:func:`bss1lab.experiments.run`: firing rates, irregularity, synchrony, oscillations
and Brunel's (2000) dynamical states.

Every function is pure: it takes the Dataset (and keyword arguments), returns a new
``xarray.DataArray`` or ``xarray.Dataset`` with units in ``attrs["units"]``, and never
changes its input.

What is analysed
----------------
Only what is in the record: the spikes in ``spike_time`` (the emulated wafer's readout
can drop spikes, so ``spike_count``, the emulator's ground truth, is *not* used), and
only cells whose ``spikes_recorded`` coordinate is True. Populations none of whose
cells were recorded (e.g. spike sources by default) do not appear in the results.

Time window
-----------
``t_start`` and ``t_stop`` (ms, biological) default to the record's interval
``[attrs["start_ms"], attrs["start_ms"] + attrs["duration_ms"]]`` and must lie inside
it. A spike belongs to the window when ``t_start < t <= t_stop``: the engine stamps a
spike at the end of the time step it happened in, so the half-open window holds every
spike of the record by default, and adjacent windows split a record without counting a
spike twice. Binned measures cut the window into whole bins of ``bin_ms`` starting at
``t_start``, bin ``k`` holding ``t_start + k bin_ms < t <= t_start + (k + 1) bin_ms``; a
remainder shorter than one bin at the end of the window is left out.

Measures
--------
* firing rate: spikes in the window / window length (Hz).
* CV of ISI: standard deviation / mean of a cell's inter-spike intervals in the window
  (population standard deviation, ``ddof=0``); 0 for a clock, about 1 for a Poisson
  process (the standard error of one cell's estimate is about ``1 / sqrt(n_isi)``).
* synchrony chi (Golomb 2007, on binned counts): with ``n_i(t)`` the spike count of
  cell ``i`` in bin ``t``,
  ``chi^2 = Var_t(mean_i n_i(t)) / mean_i Var_t(n_i(t))``. chi is 1 when all cells
  fire in the same bins and 0 for an infinite asynchronous population. For ``N``
  independent cells ``chi`` is about ``1 / sqrt(N)``: a finite-size floor. It is
  therefore computed on the same number of cells, ``max_neurons`` (default 1000, floor
  about 0.03), for every network size: the recorded cells of each population with the
  lowest ``local_index`` (reproducible, no random draw).
* oscillation frequency: the frequency of the largest peak (zero frequency excluded)
  of the power spectrum ``|FFT|^2`` of the population activity with its mean removed;
  its resolution is ``1 / window length``. Of peaks equal to within rounding (the
  harmonics of a perfectly periodic pulse train) the lowest is taken. It is
  meaningful for synchronous populations; for asynchronous ones it names the largest
  noise peak, and sharp pulses can put a harmonic above the fundamental.

Dynamical regime (Brunel 2000)
------------------------------
:func:`classify_regime` labels each population by this rule, thresholds being keyword
arguments:

1. ``"silent"`` if the population rate is below ``silent_rate`` (0.1 Hz);
2. otherwise *synchronous* if ``chi >= synchrony_threshold`` (0.1, well above the
   finite-size floor of 1000 sampled cells, 0.03), else *asynchronous*;
3. *irregular* if the population's mean CV of ISI (over cells with at least
   ``min_spikes`` spikes in the window) is ``>= irregularity_threshold`` (0.3), else
   *regular*. Brunel's synchronous regular state fires like a clock (CV near 0);
   his irregular states, simulated at full scale, have CVs from about 0.35 (mean-
   driven asynchronous states near the synchronous boundary, e.g. g = 5, eta = 2)
   to 0.8 (fast oscillations): 0.3 separates the two with room to spare, 0.5 would
   not;

giving ``"AI"`` (asynchronous irregular), ``"SR"`` (synchronous regular), ``"SI"``
(synchronous irregular) or ``"AR"`` (asynchronous regular). A population that fires
but whose chi or mean CV is undefined (no recorded cell has ``min_spikes`` spikes in
the window, e.g. a window too short for its rate; or none of the sampled cells fired)
is ``"undetermined"``.

References
----------
N. Brunel (2000), Dynamics of sparsely connected networks of excitatory and inhibitory
spiking neurons, J. Comput. Neurosci. 8, 183-208.
D. Golomb (2007), Neuronal synchrony measures, Scholarpedia 2(1):1347.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from bss1lab.errors import ParameterTypeError
from bss1lab.validation import as_count, as_number

__all__ = ["firing_rates", "population_rates", "cv_isi", "population_activity",
           "synchrony", "oscillation_frequency", "classify_regime",
           "population_summary", "REGIMES"]

#: The labels :func:`classify_regime` can give, with their meaning.
REGIMES = {
    "silent": "population rate below the silent threshold",
    "AI": "asynchronous irregular",
    "SR": "synchronous regular",
    "SI": "synchronous irregular",
    "AR": "asynchronous regular",
    "undetermined": "fires, but too few spikes (or sampled cells) to measure chi or CV",
}

_REQUIRED_VARIABLES = ("spike_time", "spike_neuron", "population", "local_index",
                       "spikes_recorded")


# --------------------------------------------------------------------------- helpers

@dataclass(frozen=True)
class _Record:
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


def _record(owner: str, ds: object, t_start: object, t_stop: object) -> _Record:
    """Validate ``ds`` and the window; select the recorded cells' spikes in it."""
    if not isinstance(ds, xr.Dataset):
        raise ParameterTypeError(f"{owner}: ds={type(ds).__name__} must be an "
                                 "xarray.Dataset (the result of bss1lab.experiments.run)")
    missing = [name for name in _REQUIRED_VARIABLES if name not in ds.variables]
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
    return _Record(ds, t0, t1, recorded, pop_code, labels, cell[keep], time[keep], eps)


def _check_bin(owner: str, rec: _Record, bin_ms: object) -> tuple[float, int]:
    """``bin_ms`` validated, and the number of whole bins in the window."""
    width = rec.t_stop - rec.t_start
    bin_ms = as_number(owner, "bin_ms", bin_ms, low=0.0, low_inclusive=False)
    if bin_ms > width + rec.eps:
        raise ValueError(f"{owner}: bin_ms={bin_ms:g} must be <= the window length "
                         f"{width:g} ms")
    return bin_ms, max(1, int(np.floor(width / bin_ms + 1e-9)))


def _bins(rec: _Record, bin_ms: float, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Bin index of each spike of the window, and the mask of those in a whole bin."""
    index = np.ceil((rec.spike_time - rec.t_start - rec.eps) / bin_ms).astype(np.int64) - 1
    inside = (index >= 0) & (index < n_bins)
    return index, inside


def _population_counts(rec: _Record) -> np.ndarray:
    """Recorded cells per population."""
    return np.bincount(rec.pop_code[rec.recorded], minlength=rec.labels.size)


def _binned_population_counts(rec: _Record, bin_ms: float, n_bins: int) -> np.ndarray:
    """Spikes per population and bin, shape (population, bin)."""
    index, inside = _bins(rec, bin_ms, n_bins)
    key = rec.pop_code[rec.spike_cell[inside]] * n_bins + index[inside]
    return np.bincount(key, minlength=rec.labels.size * n_bins).reshape(
        rec.labels.size, n_bins).astype(np.float64)


def _window_attrs(rec: _Record, **extra) -> dict:
    return {"t_start": rec.t_start, "t_stop": rec.t_stop, "window_units": "ms", **extra}


def _population_array(rec: _Record, values, name: str, units: str | None,
                      long_name: str, **attrs) -> xr.DataArray:
    out = xr.DataArray(np.asarray(values), dims="population",
                       coords={"population": rec.labels}, name=name)
    if units is not None:
        out.attrs["units"] = units
    out.attrs["long_name"] = long_name
    out.attrs.update(_window_attrs(rec, **attrs))
    return out


def _cell_rates(rec: _Record) -> np.ndarray:
    """Rate of every cell (Hz), NaN for unrecorded cells."""
    counts = np.bincount(rec.spike_cell, minlength=rec.recorded.size).astype(np.float64)
    return np.where(rec.recorded, counts / rec.duration_s, np.nan)


def _cell_cv(rec: _Record, min_spikes: int) -> np.ndarray:
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


def _population_mean(rec: _Record, per_cell: np.ndarray) -> np.ndarray:
    """Mean of ``per_cell`` over each population's recorded cells where it is finite."""
    ok = rec.recorded & np.isfinite(per_cell)
    total = np.bincount(rec.pop_code[ok], weights=per_cell[ok], minlength=rec.labels.size)
    count = np.bincount(rec.pop_code[ok], minlength=rec.labels.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _sampled_cells(rec: _Record, max_neurons: int) -> np.ndarray:
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


def _chi(rec: _Record, bin_ms: float, n_bins: int, max_neurons: int
         ) -> tuple[np.ndarray, np.ndarray]:
    """Golomb's chi per population and the number of cells it was computed on."""
    sampled = _sampled_cells(rec, max_neurons)
    n_pop = rec.labels.size
    n_cells = np.bincount(rec.pop_code[sampled], minlength=n_pop).astype(np.float64)
    index, inside = _bins(rec, bin_ms, n_bins)
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


def _peak_frequency(rec: _Record, bin_ms: float, n_bins: int
                    ) -> tuple[np.ndarray, float]:
    """Frequency (Hz) of the largest spectral peak of each population's activity."""
    frequency = np.fft.rfftfreq(n_bins, d=bin_ms * 1e-3)
    if n_bins < 3:
        return np.full(rec.labels.size, np.nan), float("nan")
    counts = _binned_population_counts(rec, bin_ms, n_bins)
    counts -= counts.mean(axis=1, keepdims=True)
    power = np.abs(np.fft.rfft(counts, axis=1)) ** 2
    best = np.max(power[:, 1:], axis=1)
    # ties (the equal harmonics of a perfectly periodic pulse train): the lowest one
    peak = 1 + np.argmax(power[:, 1:] >= (1.0 - 1e-9) * best[:, None], axis=1)
    result = np.where(best > 0, frequency[peak], np.nan)
    return result, float(frequency[1])


def _check_max_neurons(owner: str, max_neurons: object) -> int:
    return as_count(owner, "max_neurons", max_neurons, low=1)


def _check_min_spikes(owner: str, min_spikes: object) -> int:
    return as_count(owner, "min_spikes", min_spikes, low=2)


# ---------------------------------------------------------------------- public API

def firing_rates(ds: xr.Dataset, t_start: float | None = None,
                 t_stop: float | None = None) -> xr.DataArray:
    """Firing rate of every recorded cell in a time window.

    Parameters
    ----------
    ds : xarray.Dataset
        Result of :func:`bss1lab.experiments.run`.
    t_start, t_stop : float, optional
        Window in ms (biological); default: the record's interval. A spike counts when
        ``t_start < t <= t_stop``.

    Returns
    -------
    xarray.DataArray
        ``rate`` in Hz along ``neuron``, only cells with ``spikes_recorded`` True, with
        the Dataset's neuron coordinates. Counts come from ``spike_time`` (what the
        readout delivered), not from ``spike_count``.
    """
    rec = _record("firing_rates", ds, t_start, t_stop)
    cells = np.flatnonzero(rec.recorded)
    out = xr.DataArray(_cell_rates(rec)[cells], dims="neuron", name="rate",
                       coords=ds["spikes_recorded"].isel(neuron=cells).coords)
    out.attrs.update(units="Hz", long_name="firing rate in the window (recorded spikes)")
    out.attrs.update(_window_attrs(rec))
    return out


def population_rates(ds: xr.Dataset, t_start: float | None = None,
                     t_stop: float | None = None) -> xr.DataArray:
    """Mean firing rate of each population's recorded cells.

    Parameters
    ----------
    ds : xarray.Dataset
        Result of :func:`bss1lab.experiments.run`.
    t_start, t_stop : float, optional
        Window in ms; default: the record's interval.

    Returns
    -------
    xarray.DataArray
        ``rate`` in Hz along ``population`` (populations with at least one recorded
        cell, in the order of the ``neuron`` dimension). Silent cells count.
    """
    rec = _record("population_rates", ds, t_start, t_stop)
    rates = _population_mean(rec, _cell_rates(rec))
    return _population_array(rec, rates, "rate", "Hz",
                             "mean firing rate of the recorded cells")


def cv_isi(ds: xr.Dataset, t_start: float | None = None, t_stop: float | None = None,
           min_spikes: int = 3) -> xr.DataArray:
    """Coefficient of variation of each recorded cell's inter-spike intervals.

    Parameters
    ----------
    ds : xarray.Dataset
        Result of :func:`bss1lab.experiments.run`.
    t_start, t_stop : float, optional
        Window in ms; default: the record's interval. Only intervals between spikes
        both in the window count.
    min_spikes : int, default 3
        Fewest spikes in the window for a CV (at least 2); cells with fewer get NaN.

    Returns
    -------
    xarray.DataArray
        ``cv_isi`` (dimensionless) along ``neuron``, recorded cells only: standard
        deviation (``ddof=0``) / mean of the intervals. 0 for a perfectly regular train,
        about 1 for a Poisson train (standard error about ``1 / sqrt(n_isi)``).
    """
    rec = _record("cv_isi", ds, t_start, t_stop)
    min_spikes = _check_min_spikes("cv_isi", min_spikes)
    cells = np.flatnonzero(rec.recorded)
    out = xr.DataArray(_cell_cv(rec, min_spikes)[cells], dims="neuron", name="cv_isi",
                       coords=ds["spikes_recorded"].isel(neuron=cells).coords)
    out.attrs.update(units="1", long_name="coefficient of variation of the inter-spike "
                     "intervals", min_spikes=min_spikes)
    out.attrs.update(_window_attrs(rec))
    return out


def population_activity(ds: xr.Dataset, bin_ms: float = 1.0,
                        t_start: float | None = None,
                        t_stop: float | None = None) -> xr.DataArray:
    """Population activity: spikes per bin / recorded cells / bin width.

    Parameters
    ----------
    ds : xarray.Dataset
        Result of :func:`bss1lab.experiments.run`.
    bin_ms : float, default 1.0
        Bin width in ms (> 0, at most the window length). The window is cut into whole
        bins from ``t_start``; a shorter remainder at its end is left out.
    t_start, t_stop : float, optional
        Window in ms; default: the record's interval.

    Returns
    -------
    xarray.DataArray
        ``activity`` in Hz (per cell), dims ``population`` x ``time``, ``time`` being
        the bin centres in ms. ``activity.sum("time") * bin_ms * 1e-3 * cells`` is the
        number of spikes in the binned window.
    """
    rec = _record("population_activity", ds, t_start, t_stop)
    bin_ms, n_bins = _check_bin("population_activity", rec, bin_ms)
    counts = _binned_population_counts(rec, bin_ms, n_bins)
    cells = _population_counts(rec)
    activity = counts / (np.maximum(cells, 1)[:, None] * bin_ms * 1e-3)
    centre = rec.t_start + (np.arange(n_bins) + 0.5) * bin_ms
    out = xr.DataArray(activity, dims=("population", "time"), name="activity",
                       coords={"population": rec.labels,
                               "time": ("time", centre, {"units": "ms",
                                                         "long_name": "bin centre"}),
                               "recorded_neurons": ("population", cells)})
    out.attrs.update(units="Hz", long_name="population activity (spikes per cell and "
                     "second)", bin_ms=bin_ms)
    out.attrs.update(_window_attrs(rec))
    out.attrs["t_stop"] = rec.t_start + n_bins * bin_ms
    return out


def synchrony(ds: xr.Dataset, bin_ms: float = 1.0, t_start: float | None = None,
              t_stop: float | None = None, max_neurons: int = 1000) -> xr.DataArray:
    """Golomb's synchrony measure chi of each population, from binned spike counts.

    ``chi^2 = Var_t(mean_i n_i(t)) / mean_i Var_t(n_i(t))`` with ``n_i(t)`` the spikes
    of cell ``i`` in bin ``t``: 1 when every cell fires in the same bins, 0 for an
    infinite asynchronous population. For ``N`` independent cells chi is about
    ``1 / sqrt(N)`` (a finite-size floor), so it is computed on at most
    ``max_neurons`` cells of each population, the recorded ones with the lowest
    ``local_index``: the floor is the same for every network size.

    Parameters
    ----------
    ds : xarray.Dataset
        Result of :func:`bss1lab.experiments.run`.
    bin_ms : float, default 1.0
        Bin width in ms.
    t_start, t_stop : float, optional
        Window in ms; default: the record's interval.
    max_neurons : int, default 1000
        Cells per population the measure uses (floor about ``1 / sqrt(max_neurons)``,
        0.03 for 1000).

    Returns
    -------
    xarray.DataArray
        ``synchrony`` (dimensionless, 0 ... 1) along ``population``; NaN where none of
        the sampled cells fired. Coordinate ``sampled_neurons``: the cells used.
    """
    rec = _record("synchrony", ds, t_start, t_stop)
    bin_ms, n_bins = _check_bin("synchrony", rec, bin_ms)
    max_neurons = _check_max_neurons("synchrony", max_neurons)
    chi, n_cells = _chi(rec, bin_ms, n_bins, max_neurons)
    out = _population_array(rec, chi, "synchrony", "1",
                            "synchrony chi (Golomb) of binned spike counts",
                            bin_ms=bin_ms, max_neurons=max_neurons)
    return out.assign_coords(sampled_neurons=("population", n_cells.astype(np.int64)))


def oscillation_frequency(ds: xr.Dataset, bin_ms: float = 1.0,
                          t_start: float | None = None,
                          t_stop: float | None = None) -> xr.DataArray:
    """Frequency of the largest peak of each population's activity power spectrum.

    The activity (spikes per bin, mean removed) is transformed with
    ``numpy.fft.rfft``; the zero frequency is excluded. The resolution is
    ``1 / window length`` and the highest frequency ``500 / bin_ms`` Hz.

    Parameters
    ----------
    ds : xarray.Dataset
        Result of :func:`bss1lab.experiments.run`.
    bin_ms : float, default 1.0
        Bin width in ms.
    t_start, t_stop : float, optional
        Window in ms; default: the record's interval.

    Returns
    -------
    xarray.DataArray
        ``oscillation_frequency`` in Hz along ``population``; NaN for populations
        whose activity is constant (e.g. silent) or with fewer than 3 bins. Attribute
        ``frequency_resolution_hz``.
    """
    rec = _record("oscillation_frequency", ds, t_start, t_stop)
    bin_ms, n_bins = _check_bin("oscillation_frequency", rec, bin_ms)
    frequency, resolution = _peak_frequency(rec, bin_ms, n_bins)
    return _population_array(rec, frequency, "oscillation_frequency", "Hz",
                             "frequency of the largest peak of the activity spectrum",
                             bin_ms=bin_ms, frequency_resolution_hz=resolution)


def _summary(owner: str, ds, t_start, t_stop, bin_ms, max_neurons, min_spikes,
             silent_rate, synchrony_threshold, irregularity_threshold) -> xr.Dataset:
    rec = _record(owner, ds, t_start, t_stop)
    bin_ms, n_bins = _check_bin(owner, rec, bin_ms)
    max_neurons = _check_max_neurons(owner, max_neurons)
    min_spikes = _check_min_spikes(owner, min_spikes)
    silent_rate = as_number(owner, "silent_rate", silent_rate, low=0.0)
    synchrony_threshold = as_number(owner, "synchrony_threshold", synchrony_threshold,
                                    low=0.0, high=1.0)
    irregularity_threshold = as_number(owner, "irregularity_threshold",
                                       irregularity_threshold, low=0.0)

    rate = _population_mean(rec, _cell_rates(rec))
    cv = _population_mean(rec, _cell_cv(rec, min_spikes))
    chi, n_sampled = _chi(rec, bin_ms, n_bins, max_neurons)
    frequency, resolution = _peak_frequency(rec, bin_ms, n_bins)

    synchronous = np.where(chi >= synchrony_threshold, "S", "A")
    irregular = np.where(cv >= irregularity_threshold, "I", "R")
    regime = np.char.add(synchronous, irregular).astype(object)
    regime[~(np.isfinite(chi) & np.isfinite(cv))] = "undetermined"
    regime[~(rate >= silent_rate)] = "silent"
    regime = regime.astype(str)

    thresholds = {"silent_rate": silent_rate, "synchrony_threshold": synchrony_threshold,
                  "irregularity_threshold": irregularity_threshold}
    variables = {
        "rate": _population_array(rec, rate, "rate", "Hz",
                                  "mean firing rate of the recorded cells"),
        "cv_isi": _population_array(rec, cv, "cv_isi", "1",
                                    "mean CV of ISI over cells with enough spikes",
                                    min_spikes=min_spikes),
        "synchrony": _population_array(rec, chi, "synchrony", "1",
                                       "synchrony chi (Golomb) of binned spike counts",
                                       bin_ms=bin_ms, max_neurons=max_neurons),
        "oscillation_frequency": _population_array(
            rec, frequency, "oscillation_frequency", "Hz",
            "frequency of the largest peak of the activity spectrum", bin_ms=bin_ms,
            frequency_resolution_hz=resolution),
        "regime": _population_array(
            rec, regime, "regime", None, "dynamical state (Brunel 2000)",
            flag_values=" ".join(REGIMES),
            flag_meanings=" ".join(v.replace(" ", "_") for v in REGIMES.values()),
            **thresholds),
    }
    summary = xr.Dataset(variables, coords={
        "recorded_neurons": ("population", _population_counts(rec)),
        "sampled_neurons": ("population", n_sampled.astype(np.int64))})
    summary["recorded_neurons"].attrs.update(units="1", long_name="recorded cells")
    summary["sampled_neurons"].attrs.update(units="1",
                                            long_name="cells the synchrony is computed on")
    summary.attrs.update(_window_attrs(rec, bin_ms=bin_ms, max_neurons=max_neurons,
                                       min_spikes=min_spikes, **thresholds))
    if "title" in ds.attrs:
        summary.attrs["source"] = str(ds.attrs["title"])
    return summary


def classify_regime(ds: xr.Dataset, t_start: float | None = None,
                    t_stop: float | None = None, *, bin_ms: float = 1.0,
                    max_neurons: int = 1000, min_spikes: int = 3,
                    silent_rate: float = 0.1, synchrony_threshold: float = 0.1,
                    irregularity_threshold: float = 0.3) -> xr.DataArray:
    """Brunel's (2000) dynamical state of each population (rule in the module
    docstring).

    Parameters
    ----------
    ds : xarray.Dataset
        Result of :func:`bss1lab.experiments.run`.
    t_start, t_stop : float, optional
        Window in ms; default: the record's interval.
    bin_ms : float, default 1.0
        Bin width in ms for the synchrony.
    max_neurons : int, default 1000
        Cells per population for the synchrony (see :func:`synchrony`).
    min_spikes : int, default 3
        Fewest spikes for a cell's CV (see :func:`cv_isi`).
    silent_rate : float, default 0.1
        Hz; a population rate below it is ``"silent"``.
    synchrony_threshold : float, default 0.1
        chi at or above it is synchronous (the floor of 1000 independent cells is 0.03).
    irregularity_threshold : float, default 0.3
        Mean CV of ISI at or above it is irregular.

    Returns
    -------
    xarray.DataArray
        ``regime`` (strings) along ``population``: ``"silent"``, ``"AI"``, ``"SR"``,
        ``"SI"``, ``"AR"`` or ``"undetermined"`` (see :data:`REGIMES`).
    """
    return _summary("classify_regime", ds, t_start, t_stop, bin_ms, max_neurons,
                    min_spikes, silent_rate, synchrony_threshold,
                    irregularity_threshold)["regime"]


def population_summary(ds: xr.Dataset, t_start: float | None = None,
                       t_stop: float | None = None, *, bin_ms: float = 1.0,
                       max_neurons: int = 1000, min_spikes: int = 3,
                       silent_rate: float = 0.1, synchrony_threshold: float = 0.1,
                       irregularity_threshold: float = 0.3) -> xr.Dataset:
    """Every measure of each population in one Dataset.

    Parameters are those of :func:`classify_regime`.

    Returns
    -------
    xarray.Dataset
        Along ``population``: ``rate`` (Hz, mean over recorded cells), ``cv_isi``
        (mean over cells with at least ``min_spikes`` spikes; NaN if none),
        ``synchrony`` (chi), ``oscillation_frequency`` (Hz), ``regime`` (strings), and
        coordinates ``recorded_neurons`` and ``sampled_neurons``; the window and
        thresholds in ``attrs``.
    """
    return _summary("population_summary", ds, t_start, t_stop, bin_ms, max_neurons,
                    min_spikes, silent_rate, synchrony_threshold, irregularity_threshold)
