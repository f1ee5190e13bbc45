"""Single-neuron dynamics against analytic solutions and published firing patterns."""

import numpy as np
import pytest
from scipy.integrate import quad

from bss1lab.hardware import Wafer
from bss1lab.experiments import single_neuron
from bss1lab.network import IF_cond_exp, IF_curr_delta, IF_curr_exp
from bss1lab.network.adex import naud_pattern

IDEAL = Wafer.ideal()


def conductance_psp(t, t0, weight, tau_syn, cm, tau_m, e_rev, v_rest):
    """Analytic v(t) after one conductance input g(t) = weight exp(-(t - t0) / tau_syn).

    The membrane equation is linear in v with a time-varying coefficient, so
    v - v_rest = (e_rev - v_rest) / cm * int_t0^t g(s) exp(-int_s^t (g_L + g(r)) / cm dr) ds,
    with int g = weight tau_syn (exp(-(s - t0)/tau_syn) - exp(-(t - t0)/tau_syn)).
    """
    if t <= t0:
        return v_rest
    g_leak = cm / tau_m

    def integrand(s):
        g_integral = weight * tau_syn * (np.exp(-(s - t0) / tau_syn)
                                         - np.exp(-(t - t0) / tau_syn))
        return (weight * np.exp(-(s - t0) / tau_syn)
                * np.exp(-(g_leak * (t - s) + g_integral) / cm))

    value, _ = quad(integrand, t0, t, epsabs=1e-13, epsrel=1e-12, limit=200)
    return v_rest + (e_rev - v_rest) / cm * value


@pytest.mark.parametrize("method", ["exponential", "rk2"])
def test_conductance_psp_matches_analytic_solution_to_second_order(method):
    cell = IF_cond_exp(cm=0.5, tau_m=15.0, tau_syn_E=4.0, v_rest=-65.0, e_rev_E=0.0,
                       v_thresh=-40.0)
    weight, spike, delay = 0.02, 10.0, 1.0
    errors = {}
    for dt in (0.1, 0.05):
        ds = single_neuron(cell, 60.0, excitatory_spikes=[spike], excitatory_weight=weight,
                           delay=delay, wafer=IDEAL, dt=dt, method=method)
        times = ds.time.values
        expected = np.array([conductance_psp(t, spike + delay, np.float32(weight), 4.0, 0.5,
                                             15.0, 0.0, -65.0) for t in times])
        v = ds.v.values[:, 0]
        errors[dt] = np.abs(v - expected).max()
        peak = expected.max() + 65.0
        assert peak > 1.0  # a PSP of a few mV, so the comparison is not trivial
    # Both schemes are second order: halving dt divides the error by about 4 (>= 3
    # allows for the start of the input falling on the grid), and at dt = 0.1 ms the
    # error stays below 0.01 % of the PSP's height (measured: 0.0014 %).
    assert errors[0.1] < 1e-4 * peak
    assert errors[0.1] / errors[0.05] > 3.0


def test_current_delta_jump_decays_exactly():
    jump = 2.0
    cell = IF_curr_delta(tau_m=20.0, v_rest=-65.0, v_thresh=-50.0, tau_refrac=2.0)
    ds = single_neuron(cell, 50.0, excitatory_spikes=[10.0], excitatory_weight=jump,
                       delay=1.5, wafer=IDEAL)
    t = ds.time.values
    after = t > 11.5 - 1e-9  # the jump is part of v at its arrival time, as in NEST
    expected = -65.0 + jump * np.exp(-(t[after] - 11.5) / 20.0)
    np.testing.assert_allclose(ds.v.values[after, 0], expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ds.v.values[~after, 0], -65.0, atol=1e-12)


def test_current_exp_psp_matches_analytic_solution():
    cm, tau_m, tau_syn, amplitude = 0.25, 10.0, 2.0, 0.5
    cell = IF_curr_exp(cm=cm, tau_m=tau_m, tau_syn_E=tau_syn, v_rest=-70.0,
                       v_thresh=-50.0)
    ds = single_neuron(cell, 40.0, excitatory_spikes=[5.0], excitatory_weight=amplitude,
                       delay=1.0, wafer=IDEAL, dt=0.01)
    t = ds.time.values - 6.0
    s = np.clip(t, 0, None)
    expected = -70.0 + amplitude / cm * tau_m * tau_syn / (tau_m - tau_syn) * (
        np.exp(-s / tau_m) - np.exp(-s / tau_syn))
    # step-averaged current: second-order error, 1e-4 of the 5 mV PSP at dt = 0.01 ms
    np.testing.assert_allclose(ds.v.values[:, 0], expected, atol=5e-4)


@pytest.mark.parametrize("cell_class", [IF_cond_exp, IF_curr_exp])
@pytest.mark.parametrize("current", [0.8, 1.5, 3.0])
def test_lif_rate_under_constant_current_matches_analytic(cell_class, current):
    cm, tau_m, tau_refrac, v_rest, v_reset, v_thresh = 1.0, 20.0, 2.0, -65.0, -70.0, -50.0
    cell = cell_class(cm=cm, tau_m=tau_m, tau_refrac=tau_refrac, v_rest=v_rest,
                      v_reset=v_reset, v_thresh=v_thresh, i_offset=current)
    dt = 0.1
    ds = single_neuron(cell, 2000.0, wafer=IDEAL, dt=dt)
    resistance_current = current * tau_m / cm  # mV
    isi_analytic = tau_refrac + tau_m * np.log((resistance_current + v_rest - v_reset)
                                               / (resistance_current + v_rest - v_thresh))
    isi = np.diff(ds.spike_time.values)
    # exact integration between spikes; a crossing is noticed at the end of its step,
    # so every interval is the analytic one rounded up to the grid
    assert np.all(isi >= isi_analytic - 1e-9)
    assert np.all(isi < isi_analytic + dt + 1e-9)
    rate = float(ds.rate.sel(neuron=0))
    assert rate == pytest.approx(1000.0 / isi_analytic, rel=dt / isi_analytic + 2 / rate)


@pytest.mark.parametrize("cell_class", [IF_cond_exp, IF_curr_exp, IF_curr_delta])
def test_lif_is_silent_below_rheobase(cell_class):
    # rheobase: (v_thresh - v_rest) * cm / tau_m = 15 mV * 0.05 uS = 0.75 nA
    cell = cell_class(cm=1.0, tau_m=20.0, v_rest=-65.0, v_thresh=-50.0, i_offset=0.74)
    ds = single_neuron(cell, 2000.0, wafer=IDEAL)
    assert ds.sizes["spike"] == 0
    assert ds.v.values.max() == pytest.approx(-65.0 + 0.74 * 20.0, abs=0.01)


def naud_isis(pattern, method):
    """Interspike intervals of Naud et al.'s (2008, Table 1) AdEx patterns."""
    cell, current = naud_pattern(pattern)
    ds = single_neuron(cell, 1000.0, current=(0.0, 1000.0, current), wafer=IDEAL,
                       method=method, record_interval=1.0)
    return np.diff(ds.spike_time.values)


@pytest.mark.parametrize("method", ["exponential", "rk2"])
def test_adex_tonic_spiking(method):
    isi = naud_isis("tonic", method)
    steady = isi[-10:]
    assert steady.std() / steady.mean() < 0.01          # regular
    assert isi[0] > 0.85 * steady.mean()                # no initial burst
    assert 8.0 < steady.mean() < 11.0                   # ~100 Hz as in Naud Fig. 4a


@pytest.mark.parametrize("method", ["exponential", "rk2"])
def test_adex_spike_frequency_adaptation(method):
    isi = naud_isis("adapting", method)
    assert np.all(np.diff(isi[:7]) > 0)                 # intervals lengthen...
    assert isi[-1] / isi[0] > 4.0                       # ...several-fold
    assert isi[-4:].std() / isi[-4:].mean() < 0.01      # to a regular steady state


@pytest.mark.parametrize("method", ["exponential", "rk2"])
def test_adex_initial_burst(method):
    isi = naud_isis("initial_burst", method)
    steady = isi[4:]
    assert isi[0] < 0.2 * steady.mean() and isi[1] < 0.2 * steady.mean()
    assert steady.std() / steady.mean() < 0.01


@pytest.mark.parametrize("method", ["exponential", "rk2"])
def test_adex_regular_bursting(method):
    isi = naud_isis("regular_bursting", method)
    steady = isi[2:]
    short, long_ = steady[1::2], steady[0::2]            # doublets between long pauses
    assert long_.min() > 10 * short.max()
    assert len(long_) >= 5
    assert short.std() < 0.1 and long_[1:].std() < 0.5  # the bursts repeat regularly
