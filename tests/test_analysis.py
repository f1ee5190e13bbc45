"""Spike-train analysis on synthetic Datasets with known answers: rates, CV of ISI,
synchrony chi, population activity, oscillation frequency, Brunel regimes."""

import numpy as np
import pytest
import xarray as xr

from bss1lab.experiments.analysis import (classify_regime, cv_isi, firing_rates,
                                          oscillation_frequency, population_activity,
                                          population_rates, population_summary,
                                          synchrony)


def make_dataset(trains, duration_ms, start_ms=0.0, recorded=None):
    """A Dataset with the schema of ``bss1lab.experiments.run`` from spike trains.

    trains : dict label -> list of arrays of spike times (ms), one per cell.
    recorded : dict label -> bools per cell (default: every cell recorded). Spikes of
        unrecorded cells are left in the record on purpose, to check they are ignored.
    """
    population, local_index, spikes_recorded, cells, times, counts = [], [], [], [], [], []
    start = 0
    for label, cell_trains in trains.items():
        n = len(cell_trains)
        population += [label] * n
        local_index += list(range(n))
        flags = np.ones(n, bool) if recorded is None or label not in recorded \
            else np.asarray(recorded[label], bool)
        spikes_recorded += list(flags)
        for i, train in enumerate(cell_trains):
            train = np.asarray(train, dtype=float)
            cells.append(np.full(train.size, start + i, dtype=np.int32))
            times.append(train)
            counts.append(train.size)
        start += n
    cell = np.concatenate(cells) if cells else np.zeros(0, np.int32)
    time = np.concatenate(times) if times else np.zeros(0)
    order = np.argsort(time, kind="stable")
    cell, time = cell[order], time[order]
    population = np.array(population, dtype=str)
    counts = np.array(counts)
    return xr.Dataset(
        data_vars={
            "spike_time": ("spike", time, {"units": "ms"}),
            "rate": ("neuron", counts / (duration_ms * 1e-3), {"units": "Hz"}),
            "spike_count": ("neuron", counts),
            "recorded_spike_count": ("neuron", np.bincount(cell, minlength=start)),
        },
        coords={
            "neuron": ("neuron", np.arange(start, dtype=np.int32)),
            "population": ("neuron", population),
            "cell_type": ("neuron", np.full(start, "IF_cond_exp")),
            "local_index": ("neuron", np.array(local_index, dtype=np.int32)),
            "spikes_recorded": ("neuron", np.array(spikes_recorded, dtype=bool)),
            "spike_neuron": ("spike", cell),
            "spike_population": ("spike", population[cell]),
            "hicann": ("neuron", np.full(start, -1, dtype=np.int16)),
        },
        attrs={"start_ms": float(start_ms), "duration_ms": float(duration_ms),
               "title": "synthetic"})


def poisson_trains(rng, n, rate_hz, duration_ms, start_ms=0.0):
    """``n`` independent Poisson trains in (start, start + duration]."""
    trains = []
    for count in rng.poisson(rate_hz * duration_ms * 1e-3, size=n):
        trains.append(np.sort(start_ms + duration_ms * (1.0 - rng.random(count))))
    return trains


def test_known_rates_are_exact_and_windows_exclude_spikes():
    # cell k fires every 10 ms from 10 ms: 100 spikes in (0, 1000]; cell 1 every 4 ms
    ds = make_dataset({"E": [np.arange(1, 101) * 10.0, np.arange(1, 251) * 4.0],
                       "I": [[]]}, 1000.0)
    rates = firing_rates(ds)
    assert rates.dims == ("neuron",) and rates.attrs["units"] == "Hz"
    np.testing.assert_array_equal(rates.values, [100.0, 250.0, 0.0])
    np.testing.assert_array_equal(rates.population.values, ["E", "E", "I"])
    pop = population_rates(ds)
    assert list(pop.population.values) == ["E", "I"]
    np.testing.assert_array_equal(pop.values, [175.0, 0.0])
    # (10, 40]: t_start excluded, t_stop included
    window = firing_rates(ds, t_start=10.0, t_stop=40.0)
    assert window.values[0] == pytest.approx(3 / 0.03)        # 20, 30, 40
    assert window.values[1] == pytest.approx(8 / 0.03)        # 12, 16, ..., 36, 40
    assert window.attrs["t_start"] == 10.0 and window.attrs["t_stop"] == 40.0


def test_rates_use_the_record_and_only_recorded_cells():
    rng = np.random.default_rng(1)
    trains = {"E": poisson_trains(rng, 4, 50.0, 500.0), "X": poisson_trains(rng, 3, 50.0,
                                                                           500.0)}
    ds = make_dataset(trains, 500.0, recorded={"E": [True, False, True, True],
                                               "X": [False] * 3})
    # the readout dropped spikes: the ground truth count is larger than the record
    ds = ds.assign(spike_count=ds.spike_count * 3)
    rates = firing_rates(ds)
    np.testing.assert_array_equal(rates.neuron.values, [0, 2, 3])
    expected = np.array([len(trains["E"][i]) for i in (0, 2, 3)]) / 0.5
    np.testing.assert_array_equal(rates.values, expected)
    pop = population_rates(ds)
    assert list(pop.population.values) == ["E"]              # X has no recorded cell
    assert pop.sel(population="E").item() == pytest.approx(expected.mean())
    assert list(population_summary(ds).population.values) == ["E"]
    assert cv_isi(ds).sizes["neuron"] == 3
    activity = population_activity(ds, bin_ms=5.0)
    assert activity.recorded_neurons.values.tolist() == [3]
    assert activity.sum().item() * 5e-3 * 3 == pytest.approx(expected.sum() * 0.5)


def test_analysis_does_not_mutate_and_works_on_a_subset():
    rng = np.random.default_rng(2)
    ds = make_dataset({"E": poisson_trains(rng, 20, 30.0, 400.0),
                       "I": poisson_trains(rng, 5, 30.0, 400.0)}, 400.0, start_ms=100.0)
    copy = ds.copy(deep=True)
    population_summary(ds)
    firing_rates(ds)
    assert ds.identical(copy)
    # a Dataset whose neurons were subset: spikes of dropped cells are ignored
    part = ds.isel(neuron=slice(10, 25))
    rates = firing_rates(part)
    np.testing.assert_array_equal(rates.values, firing_rates(ds).values[10:])


def test_poisson_trains_have_cv_one_within_sampling_error():
    rng = np.random.default_rng(3)
    ds = make_dataset({"E": poisson_trains(rng, 200, 20.0, 5000.0)}, 5000.0)
    cv = cv_isi(ds)
    assert cv.attrs["units"] == "1"
    n_isi = ds.recorded_spike_count.values - 1
    # one cell's CV has standard error ~ 1/sqrt(n_isi) for exponential intervals (delta
    # method); the estimator's bias is about -1.5/n_isi
    standard_error = 1.0 / np.sqrt(n_isi.sum())
    bias = 2.0 / n_isi.mean()
    assert abs(cv.mean().item() - 1.0) < 5 * standard_error + bias
    summary = population_summary(ds)
    assert summary.cv_isi.item() == pytest.approx(cv.mean().item())


def test_regular_trains_have_cv_zero_and_few_spikes_give_nan():
    # exactly representable intervals (multiples of 0.5 ms), different phases
    trains = [0.25 + 12.5 * np.arange(1, 40) + 0.5 * k for k in range(5)]
    trains += [[100.0, 200.0], [50.0]]
    ds = make_dataset({"E": trains}, 500.0)
    cv = cv_isi(ds).values
    assert np.all(cv[:5] == 0.0)
    assert np.isnan(cv[5]) and np.isnan(cv[6])
    assert cv_isi(ds, min_spikes=2).values[5] == 0.0
    # the window cuts the trains: still exactly regular
    assert np.all(cv_isi(ds, t_start=100.0, t_stop=300.0).values[:5] == 0.0)


def test_chi_of_independent_poisson_cells_is_the_finite_size_floor():
    rng = np.random.default_rng(4)
    n, rate, duration, bin_ms = 100, 20.0, 5000.0, 5.0
    ds = make_dataset({"E": poisson_trains(rng, n, rate, duration)}, duration)
    chi = synchrony(ds, bin_ms=bin_ms)
    assert chi.attrs["units"] == "1" and chi.sampled_neurons.item() == n
    # chi^2 = 1/N in expectation; the numerator is the sample variance of a
    # Poisson(L) population count over B bins: relative SE sqrt((1/L + 2) / B), half
    # that for chi (the denominator averages over N cells and adds little)
    bins = duration / bin_ms
    lam = n * rate * bin_ms * 1e-3
    relative_se = 0.5 * np.sqrt((1.0 / lam + 2.0) / bins)
    assert abs(chi.item() * np.sqrt(n) - 1.0) < 5 * relative_se


def test_chi_samples_the_lowest_local_indices():
    rng = np.random.default_rng(5)
    # the first 100 cells are independent, the other 300 fire together
    shared = np.sort(rng.uniform(0.0, 2000.0, 40))
    trains = poisson_trains(rng, 100, 20.0, 2000.0) + [shared] * 300
    ds = make_dataset({"E": trains}, 2000.0)
    sampled = synchrony(ds, bin_ms=5.0, max_neurons=100)
    assert sampled.sampled_neurons.item() == 100
    assert sampled.item() < 0.2                         # floor 0.1, not the shared part
    assert synchrony(ds, bin_ms=5.0).item() > 0.5       # all 400 cells


def test_identical_trains_give_chi_one():
    rng = np.random.default_rng(6)
    train = np.sort(rng.uniform(0.0, 1000.0, 30))
    ds = make_dataset({"E": [train] * 50, "I": [train[::2]] * 10}, 1000.0)
    chi = synchrony(ds)
    np.testing.assert_allclose(chi.values, [1.0, 1.0], rtol=1e-12)


def test_population_activity_integrates_back_to_the_spike_count():
    rng = np.random.default_rng(7)
    ds = make_dataset({"E": poisson_trains(rng, 30, 40.0, 1000.0),
                       "I": poisson_trains(rng, 10, 40.0, 1000.0)}, 1000.0)
    activity = population_activity(ds, bin_ms=2.0, t_start=100.0, t_stop=900.0)
    assert activity.dims == ("population", "time") and activity.attrs["units"] == "Hz"
    assert activity.sizes["time"] == 400
    np.testing.assert_allclose(activity.time.values[[0, -1]], [101.0, 899.0])
    spikes = activity.sum("time") * 2e-3 * activity.recorded_neurons
    times, labels = ds.spike_time.values, ds.spike_population.values
    inside = (times > 100.0) & (times <= 900.0)
    expected = [np.sum(inside & (labels == p)) for p in ("E", "I")]
    np.testing.assert_allclose(spikes.values, expected)
    # a spike on a bin edge belongs to the bin that ends there, also with rounding error
    edge = make_dataset({"E": [[0.1 * 3, 1.0, 2.0]]}, 3.0)
    counts = population_activity(edge, bin_ms=0.1).values[0] * 1e-4
    assert counts[2] == pytest.approx(1) and counts[9] == pytest.approx(1)
    assert counts.sum() == pytest.approx(3)


def test_sinusoidal_modulation_gives_the_oscillation_frequency():
    rng = np.random.default_rng(8)
    frequency, duration, r0, depth = 40.0, 2000.0, 20.0, 0.8
    trains = []
    for train in poisson_trains(rng, 200, r0 * (1 + depth), duration):
        keep = rng.random(train.size) < (1 + depth * np.sin(
            2 * np.pi * frequency * train * 1e-3)) / (1 + depth)
        trains.append(train[keep])
    ds = make_dataset({"E": trains}, duration)
    peak = oscillation_frequency(ds)
    assert peak.attrs["units"] == "Hz"
    assert peak.attrs["frequency_resolution_hz"] == pytest.approx(1e3 / duration)
    assert abs(peak.item() - frequency) <= peak.attrs["frequency_resolution_hz"]


def test_classify_regime_on_constructed_cases():
    rng = np.random.default_rng(9)
    duration, period = 2000.0, 25.0
    cycles = np.arange(1, duration / period) * period
    # AI: independent Poisson cells (chi ~ 1/sqrt(400) = 0.05, CV ~ 1)
    ai = poisson_trains(rng, 400, 20.0, duration)
    # SR: every cell fires on every cycle (chi = 1, CV = 0)
    sr = [cycles] * 50
    # SI: every cell fires on a random 30 % of the cycles (chi high, CV ~ 0.84)
    si = [cycles[rng.random(cycles.size) < 0.3] for _ in range(200)]
    # AR: clocks with random phases
    ar = [np.arange(1, 40) * 50.0 - rng.uniform(0.0, 50.0) for _ in range(400)]
    ds = make_dataset({"AI": ai, "SR": sr, "SI": si, "AR": ar, "silent": [[]] * 10},
                      duration)
    regime = classify_regime(ds)
    assert regime.to_series().to_dict() == {"AI": "AI", "SR": "SR", "SI": "SI",
                                            "AR": "AR", "silent": "silent"}
    # thresholds are keyword arguments
    assert classify_regime(ds, synchrony_threshold=1.0).sel(population="SI").item() == "AI"
    summary = population_summary(ds)
    for name, units in (("rate", "Hz"), ("cv_isi", "1"), ("synchrony", "1"),
                        ("oscillation_frequency", "Hz")):
        assert summary[name].attrs["units"] == units
    assert summary.regime.dtype.kind == "U"
    assert summary.synchrony.sel(population="SR").item() == pytest.approx(1.0)
    assert summary.oscillation_frequency.sel(population="SR").item() == pytest.approx(40.0)
    assert np.isnan(summary.oscillation_frequency.sel(population="silent").item())
    # firing, but a window too short for three spikes per cell
    assert classify_regime(ds, t_start=0.0, t_stop=30.0).sel(
        population="AR").item() == "undetermined"


@pytest.mark.parametrize("call, parameter", [
    (lambda ds: firing_rates(ds, t_start=-5.0), "t_start=-5.0"),
    (lambda ds: firing_rates(ds, t_start="0"), "t_start='0'"),
    (lambda ds: population_rates(ds, t_stop=2000.0), "t_stop=2000.0"),
    (lambda ds: cv_isi(ds, t_start=50.0, t_stop=50.0), "t_stop=50.0"),
    (lambda ds: cv_isi(ds, min_spikes=1), "min_spikes=1"),
    (lambda ds: population_activity(ds, bin_ms=0.0), "bin_ms=0.0"),
    (lambda ds: population_activity(ds, bin_ms=float("nan")), "bin_ms=nan"),
    (lambda ds: synchrony(ds, bin_ms=2000.0), "bin_ms=2000"),
    (lambda ds: synchrony(ds, max_neurons=0), "max_neurons=0"),
    (lambda ds: oscillation_frequency(ds, bin_ms=-1.0), "bin_ms=-1.0"),
    (lambda ds: classify_regime(ds, synchrony_threshold=1.5), "synchrony_threshold=1.5"),
    (lambda ds: population_summary(ds, silent_rate=-1.0), "silent_rate=-1.0"),
    (lambda ds: firing_rates(ds.spike_time), "ds=DataArray"),
    (lambda ds: firing_rates(ds.drop_vars("spikes_recorded")), "spikes_recorded"),
])
def test_bad_arguments_raise_value_errors_naming_the_parameter(call, parameter):
    ds = make_dataset({"E": [[1.0, 2.0, 3.0]]}, 1000.0)
    with pytest.raises(ValueError, match=parameter.replace("(", r"\(").replace(".", r"\.")):
        call(ds)
