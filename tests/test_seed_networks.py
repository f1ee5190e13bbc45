"""The seed networks as built: sizes, in-degrees, weights and drives against the
numbers of Brunel (2000), Potjans & Diesmann (2014) and the wafer runs."""

import warnings

import numpy as np
import pytest

from bss1lab.network import realise
from bss1lab.network.brunel import HARDWARE_EXCITATORY_WEIGHT_US, brunel_network
from bss1lab.network.microcircuit import (FULL_SIZES, HARDWARE_V_REST_MV, POPULATIONS,
                                          microcircuit_network, synapse_numbers)
from bss1lab.network.psp import conductance_for_delta_psp, psc_for_psp


def populations(network):
    return {p.label: p for p in network.populations}


def in_degrees(realised, projection_label):
    """In-degree of every post cell of one projection."""
    k = realised.projection_labels.index(projection_label)
    lo, hi = realised.projection_offsets[k], realised.projection_offsets[k + 1]
    return np.unique(realised.post[lo:hi], return_counts=True)[1]


def weights(realised, projection_label):
    k = realised.projection_labels.index(projection_label)
    lo, hi = realised.projection_offsets[k], realised.projection_offsets[k + 1]
    return realised.weight[lo:hi]


def test_the_wafer_version_of_brunel_is_the_seed_configuration():
    net = brunel_network("hardware")
    pops = populations(net)
    assert (pops["E"].size, pops["I"].size, pops["external"].size) == (1666, 417, 2083)
    r = realise(net, 1)
    assert set(in_degrees(r, "E->E")) == {166} and set(in_degrees(r, "I->E")) == {41}
    assert set(in_degrees(r, "external->E")) == {200}
    # 1.714 nS excitatory, g times that inhibitory (the reference's numbers)
    assert weights(r, "E->E")[0] == pytest.approx(1.714e-3, rel=1e-3)
    assert weights(r, "I->E")[0] == pytest.approx(5 * 1.714e-3, rel=1e-3)
    # the pool fires at eta nu_thr / 200 each, nu_thr = 3.33 kHz
    rate = populations(r)["external"].parameters["rate"]
    assert rate == pytest.approx(2.0 * 20 / (0.6 * 10) * 1e3 / 200, rel=1e-3)


def test_brunels_original_network_and_its_drive():
    net = brunel_network("original", n_neurons=2500, keep="probability", g=4.0, eta=1.5)
    pops = populations(net)
    assert pops["E"].size == 2000 and pops["I"].size == 500
    r = realise(net, 2)
    assert set(in_degrees(r, "E->I")) == {200} and set(in_degrees(r, "I->I")) == {50}
    # 5x downscaled: J = 0.1 mV x 5 keeps J C_E = 100 mV
    assert weights(r, "E->E")[0] == pytest.approx(0.5, rel=1e-6)
    assert weights(r, "I->E")[0] == pytest.approx(-4 * 0.5, rel=1e-6)
    # one source per neuron at eta C_E nu_thr = eta theta / (J tau) = 1.5 x 2 kHz
    assert set(in_degrees(r, "external->E")) == {1}
    assert weights(r, "external->E")[0] == pytest.approx(0.5)
    assert populations(r)["external E"].parameters["rate"] == pytest.approx(3000.0)


def test_keeping_in_degrees_keeps_brunels_weights():
    r = realise(brunel_network("original", n_neurons=5000, keep="in_degree"), 3)
    assert set(in_degrees(r, "E->E")) == {1000} and set(in_degrees(r, "I->E")) == {250}
    assert weights(r, "E->E")[0] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="keep='in_degree' needs at least 1000"):
        brunel_network("original", n_neurons=1000, keep="in_degree")


@pytest.mark.parametrize("kwargs, message", [
    ({"flavour": "wafer"}, "flavour='wafer'; allowed"),
    ({"keep": "weights"}, "keep='weights'; allowed"),
    ({"g": -1.0}, "g=-1.0"),
    ({"n_neurons": 1}, "n_neurons"),
    ({"pool_in_degree": 5000}, "pool_in_degree=5000 exceeds"),
])
def test_brunel_rejects_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        brunel_network(**kwargs)


def test_weight_translations_reproduce_the_published_numbers():
    # Potjans & Diesmann: a 0.15 mV PSP is 87.8 pA on their neurons
    assert psc_for_psp(0.15, 0.25, 10.0, 0.5) == pytest.approx(0.0878, rel=1e-3)
    # the wafer's random network: 0.72 mV -> 1.714 nS
    assert HARDWARE_EXCITATORY_WEIGHT_US == pytest.approx(1.714e-3, rel=1e-3)
    with pytest.raises(ValueError, match="no driving force"):
        conductance_for_delta_psp(0.1, 1.0, 3.0, 0.0, 0.0)


def test_the_microcircuit_has_the_published_size():
    # 77,169 neurons and about 0.3 billion synapses at full scale
    assert FULL_SIZES.sum() == 77169
    assert synapse_numbers().sum() == pytest.approx(2.99e8, rel=0.01)
    net = microcircuit_network(N_scaling=0.1, K_scaling=0.1)
    pops = populations(net)
    assert [pops[p].size for p in POPULATIONS] == list(np.round(FULL_SIZES * 0.1).astype(int))
    # synapse numbers scale with N x K; in-degrees with K
    assert synapse_numbers(0.1, 0.1).sum() == pytest.approx(2.99e8 * 0.01, rel=0.01)
    r = realise(net, 4)
    k = r.projection_labels.index("L4E->L23E")
    assert r.projection_offsets[k + 1] - r.projection_offsets[k] == synapse_numbers(0.1, 0.1)[0, 2]


def test_k_scaling_compensation_keeps_the_mean_input():
    """Weights x 1/sqrt(K) plus the DC: the mean input of each population, at the full
    model's rates, is the full model's (van Albada et al. 2015)."""
    from bss1lab.network.microcircuit import (BACKGROUND_RATE_HZ, EXTERNAL_IN_DEGREES,
                                              REFERENCE_RATES_HZ)
    k_scaling, tau_syn = 0.25, 0.5e-3  # s
    net = microcircuit_network(N_scaling=0.05, K_scaling=k_scaling)
    r = realise(net, 5)
    pops = populations(r)
    rates = np.zeros(r.n_cells)
    for label, rate, k_ext in zip(POPULATIONS, REFERENCE_RATES_HZ, EXTERNAL_IN_DEGREES):
        rates[pops[label].start:pops[label].stop] = rate
        background = pops[f"background {label}"]
        rates[background.start:background.stop] = k_ext * k_scaling * BACKGROUND_RATE_HZ
    charge = np.bincount(r.post, weights=r.weight * rates[r.pre] * tau_syn,
                         minlength=r.n_cells)
    # the full model: in-degree x mean weight x rate, and the background
    psc = psc_for_psp(0.15, 0.25, 10.0, 0.5)
    weight = np.where(np.arange(8) % 2 == 0, psc, -4 * psc)
    full_in_degree = synapse_numbers() / FULL_SIZES[:, None]
    for i, label in enumerate(POPULATIONS):
        w = weight * np.where((i == 0) & (np.arange(8) == 2), 2.0, 1.0)
        full = ((w * full_in_degree[i] * REFERENCE_RATES_HZ).sum()
                + psc * EXTERNAL_IN_DEGREES[i] * BACKGROUND_RATE_HZ) * tau_syn
        p = pops[label]
        mean_input = (charge[p.start:p.stop] + p.parameters["i_offset"]).mean()
        # the realised in-degrees are random (multapses, rounding): 3 % covers them
        assert mean_input == pytest.approx(full, rel=0.03), label


def test_the_wafer_version_of_the_microcircuit():
    net = microcircuit_network("hardware")
    pops = populations(net)
    assert sum(pops[p].size for p in POPULATIONS) == 7717  # 10 %, rounded per population
    assert len(net.populations) == 8  # no external input
    r = realise(net, 6)
    for label, v_rest in zip(POPULATIONS, HARDWARE_V_REST_MV):
        assert populations(r)[label].parameters["v_rest"] == pytest.approx(v_rest)
    assert r.n_synapses == synapse_numbers(0.1, 0.1).sum()
    assert weights(r, "L23E->L23I").mean() == pytest.approx(0.003, rel=0.01)
    assert weights(r, "L23I->L23E").mean() == pytest.approx(0.020, rel=0.01)


def free_potentials(net):
    """Each population's membrane potential under its DC alone (mV): silent network."""
    cells = [populations(net)[label].cell_type.parameters for label in POPULATIONS]
    return np.array([c["v_rest"] + c["i_offset"] * c["tau_m"] / c["cm"] for c in cells])


def test_the_dc_background_of_the_full_model_is_the_wafer_versions_raised_rest():
    """brainscales1-demos replaced the background by raised resting potentials: they are
    the full model's DC background (K_ext x 87.8 pA x 8 Hz x 0.5 ms) as a potential,
    to the 0.05 mV their two decimals carry."""
    net = microcircuit_network(N_scaling=0.01, K_scaling=1.0, background="dc")
    np.testing.assert_allclose(free_potentials(net), HARDWARE_V_REST_MV, atol=0.05)


def test_a_dc_background_at_strong_in_degree_downscaling_warns_that_the_state_is_lost():
    """At K 0.1 the compensating DC freezes 68 % of the net inhibitory recurrent input:
    the DC alone holds 7 of 8 populations below threshold (-50 mV), a silent network
    stays silent; at K 0.5 (no warning) every population's DC is above threshold."""
    from bss1lab.network.microcircuit import DC_MIN_K_SCALING
    with pytest.warns(UserWarning, match=r"K_scaling=0\.1: .* K_scaling >= 0\.2"):
        low = microcircuit_network(N_scaling=0.01, K_scaling=0.1, background="dc")
    assert (free_potentials(low) < -50.0).sum() == 7
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        high = microcircuit_network(N_scaling=0.01, K_scaling=0.5, background="dc")
        microcircuit_network(N_scaling=0.01, K_scaling=0.1)  # the Poisson background
        microcircuit_network(N_scaling=0.01, K_scaling=DC_MIN_K_SCALING, background="dc")
    assert np.all(free_potentials(high) > -50.0)
