"""Reconfiguring a kept mapping: the same as mapping the changed network on the same
placement and routing, bit for bit; the original unchanged; the wafer's cost
reported; structural changes refused."""

import warnings

import numpy as np
import pytest

from bss1lab.emulator.engine import Emulation
from bss1lab.errors import NeedsNewMapping
from bss1lab.experiments import run
from bss1lab.hardware import Wafer
from bss1lab.hardware.spec import CONFIGURATION_TIME_S, RECONFIGURATION_TIME_S
from bss1lab.network import (FixedNumberPreConnector, IF_cond_exp, Network, Population,
                             Projection, SpikeSourceArray, StaticSynapse)
from bss1lab.network.brunel import HARDWARE_EXCITATORY_WEIGHT_US

from conftest import small_balanced_network

W = HARDWARE_EXCITATORY_WEIGHT_US


@pytest.fixture(autouse=True)
def quiet_clipping():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def spikes(mapped, duration=200.0):
    chunk = Emulation(mapped, 17).run(duration)
    return chunk.spike_time, chunk.spike_cell, chunk.input_dropped


def assert_same_run(a, b):
    for x, y in zip(spikes(a), spikes(b)):
        np.testing.assert_array_equal(x, y)


def assert_same_layout(a, b):
    """The precondition of equal results: the same placement and routing."""
    np.testing.assert_array_equal(a.placement.hicann, b.placement.hicann)
    np.testing.assert_array_equal(a.placement.first_denmem, b.placement.first_denmem)
    np.testing.assert_array_equal(a.routing.realised, b.routing.realised)
    np.testing.assert_array_equal(a.routing.row_group, b.routing.row_group)


def test_reweighting_then_running_equals_mapping_the_reweighted_network():
    wafer = Wafer()
    mapped = wafer.map(small_balanced_network(g=5.0), seed=3)
    remapped = wafer.map(small_balanced_network(g=7.0), seed=3)
    assert_same_layout(mapped, remapped)  # routing does not depend on weights
    reweighted = mapped.with_weights(values={"I->E": 7.0 * W, "I->I": 7.0 * W})
    # quantized again on the same rows, distorted with the same seeds
    np.testing.assert_array_equal(reweighted.network.weight, remapped.network.weight)
    assert reweighted.report["weight_quantization_error"] == \
        remapped.report["weight_quantization_error"]
    assert_same_run(reweighted, remapped)


def test_scaling_weights_by_one_reprograms_the_same_weights():
    mapped = Wafer().map(small_balanced_network(), seed=3)
    same = mapped.with_weights(scale={label: 1.0 for label in
                                      mapped.network.projection_labels})
    np.testing.assert_array_equal(same.network.weight, mapped.network.weight)
    doubled = mapped.with_weights(scale={"E->E": 2.0})
    part = slice(*mapped.network.projection_offsets[:2])
    before, after = mapped.network.weight[part], doubled.network.weight[part]
    # quantization is relative to each row's scale: doubling every weight of a row
    # doubles its programmed weights (up to float32 rounding); zeros (a distortion
    # below zero is clipped there) stay zero
    np.testing.assert_array_equal(after == 0, before == 0)
    np.testing.assert_allclose(after[before > 0] / before[before > 0], 2.0, rtol=1e-6)
    other = slice(mapped.network.projection_offsets[1], None)
    np.testing.assert_array_equal(doubled.network.weight[other],
                                  mapped.network.weight[other])


def test_new_rates_then_running_equals_mapping_the_network_at_those_rates():
    wafer = Wafer()
    mapped = wafer.map(small_balanced_network(rate=2500.0), seed=3)
    remapped = wafer.map(small_balanced_network(rate=1800.0), seed=3)
    assert_same_layout(mapped, remapped)
    slower = mapped.with_rates({"noise": 1800.0})
    assert_same_run(slower, remapped)
    assert slower.report["reconfigured_sources"] == 1


def _pulsed(times) -> Network:
    stim = Population(3, SpikeSourceArray(times), label="stim")
    cells = Population(30, IF_cond_exp(), label="cells")
    return Network(stim, cells, Projection(stim, cells, FixedNumberPreConnector(2),
                                           StaticSynapse(0.05, 1.0)))


def test_new_spike_times_then_running_equals_mapping_the_network_with_them():
    wafer = Wafer()
    later = [[20.0, 25.0], [22.0], [40.0, 41.0, 42.0]]
    mapped = wafer.map(_pulsed([5.0, 10.0]), seed=1)
    remapped = wafer.map(_pulsed(later), seed=1)
    assert_same_layout(mapped, remapped)
    assert_same_run(mapped.with_spike_times({"stim": later}), remapped)


def test_a_reconfiguration_leaves_the_original_and_costs_the_reconfiguration_time():
    mapped = Wafer().map(small_balanced_network(), seed=3)
    weights, rates = mapped.network.weight.copy(), mapped.requested.population(
        "noise").parameters["rate"].copy()
    changed = mapped.with_weights(scale={"E->E": 1.5}).with_rates({"noise": 100.0})
    np.testing.assert_array_equal(mapped.network.weight, weights)
    np.testing.assert_array_equal(mapped.requested.population("noise").parameters["rate"],
                                  rates)
    assert mapped.report["configuration_time_s"] == CONFIGURATION_TIME_S
    for reconfigured in (changed, mapped.reprogram(1)):
        assert reconfigured.report["configuration_time_s"] == RECONFIGURATION_TIME_S
        assert reconfigured.placement is mapped.placement
        assert reconfigured.routing is mapped.routing
    assert changed.report["trial"] == mapped.report["trial"]


def test_structural_changes_need_a_new_mapping():
    mapped = Wafer().map(small_balanced_network(), seed=3)
    with pytest.raises(NeedsNewMapping, match="populations.*map the network anew"):
        mapped.with_network(small_balanced_network(n_exc=150), seed=3)
    with pytest.raises(NeedsNewMapping, match="connections differ"):
        mapped.with_network(small_balanced_network(), seed=4)  # other connectivity
    with pytest.raises(NeedsNewMapping, match="new configuration needs a new mapping"):
        run(small_balanced_network(), 10.0, wafer=Wafer(neuron_size=4), mapping=mapped)
    with pytest.raises(NeedsNewMapping, match="placement is fixed"):
        run(small_balanced_network(), 10.0, mapping=mapped, isolate={"E": [0]})


def test_a_reconfigured_network_of_the_same_structure_runs_as_a_new_mapping():
    mapped = Wafer().map(small_balanced_network(g=5.0, rate=2500.0), seed=3)
    remapped = Wafer().map(small_balanced_network(g=6.0, rate=2000.0), seed=3)
    assert_same_layout(mapped, remapped)
    reconfigured = mapped.with_network(small_balanced_network(g=6.0, rate=2000.0), seed=3)
    assert reconfigured.report["reconfigured_projections"] == 2
    assert reconfigured.report["reconfigured_sources"] == 1
    assert reconfigured.report["reconfigured_populations"] == 0
    assert_same_run(reconfigured, remapped)


def test_the_ideal_reference_reconfigures_too_but_has_nothing_to_reprogram():
    mapped = Wafer.ideal().map(small_balanced_network(g=5.0), seed=3)
    remapped = Wafer.ideal().map(small_balanced_network(g=7.0), seed=3)
    reweighted = mapped.with_weights(values={"I->E": 7.0 * W, "I->I": 7.0 * W})
    np.testing.assert_array_equal(reweighted.network.weight, remapped.network.weight)
    assert_same_run(reweighted, remapped)
    with pytest.raises(ValueError, match="ideal mapping has no floating gates"):
        mapped.reprogram(1)


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m.with_weights(scale={"E->X": 2.0}), KeyError, "no projection 'E->X'"),
    (lambda m: m.with_weights(scale={"E->E": -1.0}), ValueError, r"scale\['E->E'\]"),
    (lambda m: m.with_weights(values={"E->E": -0.1}), ValueError, "must be >= 0 uS"),
    (lambda m: m.with_weights(values={"E->E": [0.1, 0.2]}), ValueError, "one per requested"),
    (lambda m: m.with_weights(scale={"E->E": 2.0}, values={"E->E": 0.1}), ValueError,
     "both scaled and set"),
    (lambda m: m.with_weights(scale=2.0), TypeError, "must be a mapping"),
    (lambda m: m.with_rates({"E": 10.0}), ValueError, "is a IF_cond_exp, not a "
     "SpikeSourcePoisson"),
    (lambda m: m.with_rates({"noise": -5.0}), ValueError, ">= 0 Hz"),
    (lambda m: m.with_spike_times({"pulses": [[1.0], [2.0]]}), ValueError,
     "4 cells but 2 spike trains"),
    (lambda m: m.with_spike_times({"pulses": [-1.0]}), ValueError, "must be > 0 ms"),
])
def test_bad_reconfigurations_raise_naming_what_is_wrong(call, error, message):
    mapped = Wafer().map(small_balanced_network(), seed=3)
    with pytest.raises(error, match=message):
        call(mapped)
