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

import numpy as np
import xarray as xr

from bss1lab.experiments.window import (window_of, check_bin, population_counts,
                                        binned_population_counts, window_attrs,
                                        population_array, cell_rates, cell_cv,
                                        population_mean, chi_of, peak_frequency,
                                        check_max_neurons, check_min_spikes)
from bss1lab.validation import as_number

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
    rec = window_of("firing_rates", ds, t_start, t_stop)
    cells = np.flatnonzero(rec.recorded)
    out = xr.DataArray(cell_rates(rec)[cells], dims="neuron", name="rate",
                       coords=ds["spikes_recorded"].isel(neuron=cells).coords)
    out.attrs.update(units="Hz", long_name="firing rate in the window (recorded spikes)")
    out.attrs.update(window_attrs(rec))
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
    rec = window_of("population_rates", ds, t_start, t_stop)
    rates = population_mean(rec, cell_rates(rec))
    return population_array(rec, rates, "rate", "Hz",
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
    rec = window_of("cv_isi", ds, t_start, t_stop)
    min_spikes = check_min_spikes("cv_isi", min_spikes)
    cells = np.flatnonzero(rec.recorded)
    out = xr.DataArray(cell_cv(rec, min_spikes)[cells], dims="neuron", name="cv_isi",
                       coords=ds["spikes_recorded"].isel(neuron=cells).coords)
    out.attrs.update(units="1", long_name="coefficient of variation of the inter-spike "
                     "intervals", min_spikes=min_spikes)
    out.attrs.update(window_attrs(rec))
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
    rec = window_of("population_activity", ds, t_start, t_stop)
    bin_ms, n_bins = check_bin("population_activity", rec, bin_ms)
    counts = binned_population_counts(rec, bin_ms, n_bins)
    cells = population_counts(rec)
    activity = counts / (np.maximum(cells, 1)[:, None] * bin_ms * 1e-3)
    centre = rec.t_start + (np.arange(n_bins) + 0.5) * bin_ms
    out = xr.DataArray(activity, dims=("population", "time"), name="activity",
                       coords={"population": rec.labels,
                               "time": ("time", centre, {"units": "ms",
                                                         "long_name": "bin centre"}),
                               "recorded_neurons": ("population", cells)})
    out.attrs.update(units="Hz", long_name="population activity (spikes per cell and "
                     "second)", bin_ms=bin_ms)
    out.attrs.update(window_attrs(rec))
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
    rec = window_of("synchrony", ds, t_start, t_stop)
    bin_ms, n_bins = check_bin("synchrony", rec, bin_ms)
    max_neurons = check_max_neurons("synchrony", max_neurons)
    chi, n_cells = chi_of(rec, bin_ms, n_bins, max_neurons)
    out = population_array(rec, chi, "synchrony", "1",
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
    rec = window_of("oscillation_frequency", ds, t_start, t_stop)
    bin_ms, n_bins = check_bin("oscillation_frequency", rec, bin_ms)
    frequency, resolution = peak_frequency(rec, bin_ms, n_bins)
    return population_array(rec, frequency, "oscillation_frequency", "Hz",
                             "frequency of the largest peak of the activity spectrum",
                             bin_ms=bin_ms, frequency_resolution_hz=resolution)


def _summary(owner: str, ds, t_start, t_stop, bin_ms, max_neurons, min_spikes,
             silent_rate, synchrony_threshold, irregularity_threshold) -> xr.Dataset:
    rec = window_of(owner, ds, t_start, t_stop)
    bin_ms, n_bins = check_bin(owner, rec, bin_ms)
    max_neurons = check_max_neurons(owner, max_neurons)
    min_spikes = check_min_spikes(owner, min_spikes)
    silent_rate = as_number(owner, "silent_rate", silent_rate, low=0.0)
    synchrony_threshold = as_number(owner, "synchrony_threshold", synchrony_threshold,
                                    low=0.0, high=1.0)
    irregularity_threshold = as_number(owner, "irregularity_threshold",
                                       irregularity_threshold, low=0.0)

    rate = population_mean(rec, cell_rates(rec))
    cv = population_mean(rec, cell_cv(rec, min_spikes))
    chi, n_sampled = chi_of(rec, bin_ms, n_bins, max_neurons)
    frequency, resolution = peak_frequency(rec, bin_ms, n_bins)

    synchronous = np.where(chi >= synchrony_threshold, "S", "A")
    irregular = np.where(cv >= irregularity_threshold, "I", "R")
    regime = np.char.add(synchronous, irregular).astype(object)
    regime[~(np.isfinite(chi) & np.isfinite(cv))] = "undetermined"
    regime[~(rate >= silent_rate)] = "silent"
    regime = regime.astype(str)

    thresholds = {"silent_rate": silent_rate, "synchrony_threshold": synchrony_threshold,
                  "irregularity_threshold": irregularity_threshold}
    variables = {
        "rate": population_array(rec, rate, "rate", "Hz",
                                  "mean firing rate of the recorded cells"),
        "cv_isi": population_array(rec, cv, "cv_isi", "1",
                                    "mean CV of ISI over cells with enough spikes",
                                    min_spikes=min_spikes),
        "synchrony": population_array(rec, chi, "synchrony", "1",
                                       "synchrony chi (Golomb) of binned spike counts",
                                       bin_ms=bin_ms, max_neurons=max_neurons),
        "oscillation_frequency": population_array(
            rec, frequency, "oscillation_frequency", "Hz",
            "frequency of the largest peak of the activity spectrum", bin_ms=bin_ms,
            frequency_resolution_hz=resolution),
        "regime": population_array(
            rec, regime, "regime", None, "dynamical state (Brunel 2000)",
            flag_values=" ".join(REGIMES),
            flag_meanings=" ".join(v.replace(" ", "_") for v in REGIMES.values()),
            **thresholds),
    }
    summary = xr.Dataset(variables, coords={
        "recorded_neurons": ("population", population_counts(rec)),
        "sampled_neurons": ("population", n_sampled.astype(np.int64))})
    summary["recorded_neurons"].attrs.update(units="1", long_name="recorded cells")
    summary["sampled_neurons"].attrs.update(units="1",
                                            long_name="cells the synchrony is computed on")
    summary.attrs.update(window_attrs(rec, bin_ms=bin_ms, max_neurons=max_neurons,
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
