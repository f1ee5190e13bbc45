"""The seed experiments run: Brunel's phase diagram, the microcircuit's rates, the
wafer versions, long-time evolution and sweeps."""

import functools
import warnings

import numpy as np
import pytest

from bss1lab.experiments import (balanced_random_network, compare, cortical_microcircuit,
                                 long_time_evolution, run)
from bss1lab.experiments.analysis import classify_regime, population_rates
from bss1lab.experiments.sweep import sweep
from bss1lab.hardware import Wafer
from bss1lab.network.brunel import brunel_network
from bss1lab.network.microcircuit import POPULATIONS, REFERENCE_RATES_HZ

IDEAL = Wafer.ideal()


@pytest.mark.parametrize("g, eta, regime", [
    # Brunel (2000), Fig. 8 (N_E = 10,000, C_E = 1,000, J = 0.1 mV, D = 1.5 ms):
    # A synchronous regular, B synchronous irregular (fast), D synchronous irregular
    # (slow). Its panel C (g = 5, eta = 2, asynchronous irregular) lies near the
    # boundary to the fast oscillations; this network (rates as the theory's, see
    # below) still carries a damped 140 Hz oscillation there (chi 0.11), so the AI
    # point is taken deeper in the AI region of Brunel's Fig. 2A, at g = 8.
    (3.0, 2.0, "SR"), (6.0, 4.0, "SI"), (4.5, 0.9, "SI"), (8.0, 2.0, "AI")])
def test_full_scale_brunel_lands_in_the_published_regimes(g, eta, regime):
    ds = balanced_random_network("original", wafer=IDEAL, duration=700.0, g=g, eta=eta,
                                 seed=1, record_spikes=["E"])
    assert classify_regime(ds, t_start=200.0).sel(population="E").item() == regime


def brunel_mean_field_rate(g, eta, tau=0.02, refractory=0.002, theta=20.0, v_reset=10.0,
                           J=0.1, C_E=1000):
    """Brunel's (2000) self-consistent rate of the asynchronous state (Hz), his Eq. 21:
    1 / nu = tau_rp + tau sqrt(pi) int_{(V_r - mu) / sigma}^{(theta - mu) / sigma}
    e^{u^2} (1 + erf u) du, with mu and sigma from the rates."""
    from scipy import integrate, optimize, special
    nu_thr = theta / (J * C_E * tau)

    def rate(nu):
        mu = J * C_E * tau * (eta * nu_thr + nu * (1 - 0.25 * g))
        sigma = J * np.sqrt(C_E * tau * (eta * nu_thr + nu * (1 + 0.25 * g * g)))
        integral = integrate.quad(lambda u: special.erfcx(-u), (v_reset - mu) / sigma,
                                  (theta - mu) / sigma)[0]
        return 1.0 / (refractory + tau * np.sqrt(np.pi) * integral)

    return optimize.brentq(lambda nu: rate(nu) - nu, 0.01, 499.0)


@pytest.mark.parametrize("g, eta", [(5.0, 2.0), (8.0, 2.0)])
def test_full_scale_brunel_fires_at_the_mean_field_rate(g, eta):
    """Asynchronous states: 10,000 neurons over 0.5 s give the population rate to
    well under 1 %; the diffusion approximation itself is good to a few percent at
    J = 0.1 mV (Brunel 2000): 3 %."""
    ds = balanced_random_network("original", wafer=IDEAL, duration=700.0, g=g, eta=eta,
                                 seed=1, record_spikes=["E"])
    rate = population_rates(ds, t_start=200.0).sel(population="E").item()
    assert rate == pytest.approx(brunel_mean_field_rate(g, eta), rel=0.03)


def microcircuit_rates(duration=1500.0, t_start=500.0, **parameters):
    ds = cortical_microcircuit("original", wafer=IDEAL, duration=duration, seed=2,
                               **parameters)
    return population_rates(ds, t_start=t_start).sel(population=list(POPULATIONS)).values


def test_the_downscaled_microcircuit_keeps_the_published_rates():
    """At 10 % of the neurons and half the in-degrees, with van Albada's compensation,
    every population fires within 40 % of the full model's rate (0.9 ... 8.6 Hz, the
    PD14 reference implementation's full-scale run). The compensation keeps the mean
    and variance of each neuron's input but not the correlations between inputs,
    which grow as the populations shrink: van Albada et al. (2015) find rate changes
    of this order at 10 % size; the reference's own seed-to-seed spread is a few
    percent. The excitatory layers keep their published order. Without the
    compensation, the same network loses a third of its mean input and most of its
    activity."""
    rates = microcircuit_rates(N_scaling=0.1, K_scaling=0.5)
    ratio = rates / REFERENCE_RATES_HZ
    assert np.all(np.abs(ratio - 1) < 0.4), dict(zip(POPULATIONS, rates.round(2)))
    excitatory = dict(zip(POPULATIONS[0::2], rates[0::2]))
    assert excitatory["L23E"] < excitatory["L6E"] < excitatory["L4E"] < excitatory["L5E"]
    naive = microcircuit_rates(N_scaling=0.1, K_scaling=0.5, compensate=False)
    assert np.abs(np.log(naive / REFERENCE_RATES_HZ)).mean() > 3 * np.abs(np.log(ratio)).mean()


def test_a_dc_background_fires_as_the_poisson_background_does():
    """At 10 % of the neurons, every population with the background's mean as a DC
    fires within 20 % of its rate with the Poisson background (measured: within 13 %,
    the DC's rates a little lower, as it lacks the background's share of the input
    variance, 10-21 %). K_scaling 0.25: below DC_MIN_K_SCALING (0.2) the DC-driven
    network loses its asynchronous state (see microcircuit_network).
    Duration: the rate estimate's error comes from the network's slow fluctuations,
    not spike counting: 200 ms blocks give a relative standard error of at most 7 %
    per run over 1 s (L23E, 0.65 Hz), so 2 s after the 200 ms onset give at most 5 %
    per run and 7 % for the ratio of the two: the 20 % bound is about 3 of them."""
    parameters = dict(N_scaling=0.1, K_scaling=0.25, duration=2200.0, t_start=200.0)
    dc = microcircuit_rates(background="dc", **parameters)
    poisson = microcircuit_rates(background="poisson", **parameters)
    assert np.all(np.abs(dc / poisson - 1) < 0.2), dict(zip(POPULATIONS, (dc / poisson).round(3)))


def emitted_rate(ds, population="E"):
    """The emulator's ground truth (every spike emitted, not only the recorded ones)."""
    return float(ds.rate.where(ds.population == population).mean())


def test_the_wafer_random_network_reports_its_losses_and_moves_towards_the_ideal():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # clipped parameters
        kwargs = dict(duration=300.0, seed=3, g=5.0, eta=2.0)
        on_wafer = balanced_random_network(**kwargs)
        ideal = balanced_random_network(wafer=IDEAL, **kwargs)
        no_variation = balanced_random_network(wafer=Wafer(variation=0.0), **kwargs)
        fewer_effects = balanced_random_network(wafer=Wafer(
            variation=0.0, routing_loss=False, saturation=False), **kwargs)
    # synapses lost in routing (the real wafer kept 690,157 of ~848,000: 19 % lost;
    # this model loses fewer, see bss1lab/hardware/l1.py)
    assert 0.01 < on_wafer.attrs["synapse_loss_fraction"] < 0.3
    assert int(on_wafer.synapses_lost.sum()) == on_wafer.attrs["synapses_lost"]
    assert ideal.attrs["synapses_lost"] == 0
    # the fixed-pattern noise drives many neurons far above the ideal rate, beyond
    # what the readout carries (2.5 kHz per HICANN of 59 neurons: 42 Hz each)
    assert on_wafer.attrs["readout_spikes_dropped"] > 0
    side_by_side = compare(on_wafer, ideal)
    assert list(side_by_side.run.values) == ["wafer", "ideal"]
    assert side_by_side.rate.sel(run="wafer", population="E") < 2500.0 / 59 * 1.1
    # each step towards the ideal wafer brings the activity closer to the reference
    reference = emitted_rate(ideal)
    distance = [abs(emitted_rate(ds) - reference)
                for ds in (on_wafer, no_variation, fewer_effects)]
    assert distance[0] > distance[1] > distance[2]


def test_the_wafer_microcircuit_reports_its_losses():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ds = cortical_microcircuit("hardware", duration=200.0, seed=4)
    assert ds.attrs["synapses_requested"] == pytest.approx(2.99e6, rel=0.01)
    assert 0 < ds.attrs["synapse_loss_fraction"] < 0.5
    assert ds.attrs["synapses_realised"] + ds.attrs["synapses_lost"] == \
        ds.attrs["synapses_requested"]
    assert "readout_spikes_dropped" in ds.attrs and "wafer_energy_j" in ds.attrs


def test_long_time_evolution_records_after_the_network_evolved():
    net = brunel_network("hardware", n_neurons=400, eta=2.0)
    ds = long_time_evolution(net, 100.0, 1000.0, wafer=IDEAL, seed=5)
    assert ds.attrs["start_ms"] == 1100.0 and ds.attrs["evolved_ms"] == 1000.0
    assert ds.attrs["evolution_wafer_time_s"] == pytest.approx(1e-4)
    assert ds.spike_time.min() > 1100.0 and ds.spike_time.max() <= 1200.0
    # the evolution is the same network run on: one run of 1,200 ms has these spikes
    whole = run(net, 1200.0, wafer=IDEAL, seed=5)
    late = whole.spike_time.values > 1100.0
    np.testing.assert_array_equal(ds.spike_time.values, whole.spike_time.values[late])
    early = whole.spike_time.values <= 100.0
    counts = np.bincount(whole.spike_neuron.values[early], minlength=whole.sizes["neuron"])
    neurons = whole.spikes_recorded.values
    np.testing.assert_array_equal(ds.spike_count_before.values[neurons], counts[neurons])


def _rates(ds):
    return population_rates(ds).to_dataset(name="rate")


def test_a_sweep_gives_the_same_numbers_locally_and_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    experiment = functools.partial(balanced_random_network, n_neurons=300, duration=100.0,
                                   wafer=IDEAL)
    local = sweep(experiment, reduce=_rates, progress=False, g=[4.0, 6.0], eta=[1.0, 2.0])
    assert local.rate.dims == ("population", "g", "eta") or set(local.rate.dims) == {
        "population", "g", "eta"}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = sweep(experiment, reduce=_rates, client=client, progress=False,
                       g=[4.0, 6.0], eta=[1.0, 2.0])
    np.testing.assert_array_equal(local.rate.values, remote.rate.transpose(
        *local.rate.dims).values)
    # a point of the sweep is the same as that experiment run alone
    alone = _rates(experiment(g=6.0, eta=1.0)).rate
    np.testing.assert_array_equal(local.rate.sel(g=6.0, eta=1.0).values, alone.values)
    # more drive, more activity
    assert (local.rate.sel(population="E", eta=2.0) > local.rate.sel(population="E",
                                                                     eta=1.0)).all()


def _spike_facts(ds):
    """Per population: rate of the record and spikes emitted (the ground truth)."""
    rates = population_rates(ds).to_dataset(name="rate")
    emitted = ds.spike_count.groupby("population").sum().sel(population=rates.population)
    return rates.assign(emitted=emitted)


def test_a_sweep_by_reconfiguration_equals_remapping_where_the_routing_is_kept():
    from bss1lab.validation import as_seed_sequence
    from bss1lab.hardware.spec import CONFIGURATION_TIME_S, RECONFIGURATION_TIME_S
    common = dict(n_neurons=300, duration=150.0, seed=0)
    experiment = functools.partial(balanced_random_network, "hardware", **common)
    grid = dict(g=[4.0, 6.0], eta=[1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wafer_way = sweep(experiment, reduce=_spike_facts, progress=False, workers=2,
                          map_at="max", **grid)
        remapped = sweep(experiment, reduce=_spike_facts, progress=False, workers=2,
                         **grid)

        def layout(g, eta):  # the placement and routing run() maps this point with
            mapped = Wafer().map(brunel_network("hardware", n_neurons=300, g=g, eta=eta),
                                 as_seed_sequence("run", 0).spawn(2)[0])
            return np.concatenate([mapped.placement.hicann, mapped.routing.row_group,
                                   mapped.routing.realised])
        kept = layout(6.0, 2.0)
    same_layout = 0
    for g in grid["g"]:
        for eta in grid["eta"]:
            point = dict(g=g, eta=eta)
            reconfigured = wafer_way.configuration_time_s.sel(**point)
            assert reconfigured == (CONFIGURATION_TIME_S if point == dict(g=6.0, eta=2.0)
                                    else RECONFIGURATION_TIME_S)
            if np.array_equal(layout(g, eta), kept):
                same_layout += 1
                for name in ("rate", "emitted", "spikes_recorded", "synapses_lost"):
                    np.testing.assert_array_equal(wafer_way[name].sel(**point).values,
                                                  remapped[name].sel(**point).values)
    assert same_layout >= 2  # g moves only weights: (4, 2) keeps (6, 2)'s layout
    runs = float(remapped.wafer_duration_s.sum())
    assert wafer_way.attrs["wafer_time_s"] == pytest.approx(
        CONFIGURATION_TIME_S + 3 * RECONFIGURATION_TIME_S + runs)
    assert remapped.attrs["wafer_time_s"] == pytest.approx(4 * CONFIGURATION_TIME_S + runs)
    assert wafer_way.attrs["wafer_time_remapping_s"] == remapped.attrs["wafer_time_s"]
    assert wafer_way.attrs["mapped_at"] == "{'g': 6.0, 'eta': 2.0}"
