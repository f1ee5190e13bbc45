"""The engine: determinism, continuation, threads, conservation of counts, timing."""

import numba
import numpy as np
import pytest

from bss1lab.emulator import Emulation
from bss1lab.experiments import run
from bss1lab.hardware import Wafer
from bss1lab.network import (AllToAllConnector, IF_cond_exp, IF_curr_delta, IF_curr_exp,
                             Network, Population, Projection, SpikeSourceArray,
                             SpikeSourcePoisson, StaticSynapse)

IDEAL = Wafer.ideal()


def record_everything(network, seed=3, **kwargs):
    mapped = IDEAL.map(network, seed=1)
    return Emulation(mapped, seed, record_spikes="all", record_variables=("v", "gsyn_exc"),
                     record_cells={"E": range(0, 160, 7), "I": [0, 39]}, **kwargs)


def test_same_seeds_give_identical_results_and_other_seeds_do_not(small_network):
    first = run(small_network, 200.0, wafer=IDEAL, seed=11, record_spikes="all")
    second = run(small_network, 200.0, wafer=IDEAL, seed=11, record_spikes="all")
    other = run(small_network, 200.0, wafer=IDEAL, seed=12, record_spikes="all")
    np.testing.assert_array_equal(first.spike_time, second.spike_time)
    np.testing.assert_array_equal(first.spike_neuron, second.spike_neuron)
    assert first.sizes["spike"] > 1000  # a lively network, not a trivial comparison
    assert (first.sizes["spike"] != other.sizes["spike"]
            or not np.array_equal(first.spike_time, other.spike_time))


def test_run_a_then_b_equals_run_a_plus_b(small_network):
    whole = record_everything(small_network).run(100.0)
    split = record_everything(small_network)
    # the cut falls inside the step current (20..60 ms) and between two array spikes
    parts = [split.run(33.3), split.run(0.0), split.run(66.7)]
    for field in ("spike_cell", "spike_time", "trace_time"):
        np.testing.assert_array_equal(getattr(whole, field),
                                      np.concatenate([getattr(p, field) for p in parts]))
    for name in ("v", "gsyn_exc"):
        np.testing.assert_array_equal(whole.traces[name],
                                      np.concatenate([p.traces[name] for p in parts]))
    np.testing.assert_array_equal(whole.spike_counts, sum(p.spike_counts for p in parts))
    assert whole.synaptic_events == sum(p.synaptic_events for p in parts)


def test_results_do_not_depend_on_the_number_of_threads(small_network):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs at least two threads")
    before = numba.get_num_threads()
    try:
        chunks = {}
        for threads in (1, 2):
            numba.set_num_threads(threads)
            chunks[threads] = record_everything(small_network).run(150.0)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(chunks[1].spike_cell, chunks[2].spike_cell)
    np.testing.assert_array_equal(chunks[1].spike_time, chunks[2].spike_time)
    np.testing.assert_array_equal(chunks[1].traces["v"], chunks[2].traces["v"])


def test_spike_and_event_counts_are_consistent(small_network):
    emulation = record_everything(small_network)
    chunk = emulation.run(200.0)
    net = emulation.mapped.network
    # every spike of every cell is recorded here, so the record and the counters agree
    np.testing.assert_array_equal(np.bincount(chunk.spike_cell, minlength=net.n_cells),
                                  chunk.spike_counts)
    # each spike is delivered once through each of its cell's synapses
    out_degree = np.bincount(net.pre, minlength=net.n_cells)
    assert chunk.synaptic_events == int(chunk.spike_counts @ out_degree)
    assert np.all(np.diff(chunk.spike_time) >= 0)


@pytest.mark.parametrize("rate", [80.0, 30_000.0])  # sparse and dense generator
def test_poisson_sources_fire_at_their_rate(rate):
    n, duration = 200, 1000.0
    net = Network(Population(n, SpikeSourcePoisson(rate=rate, start=100.0, duration=600.0),
                             label="p"))
    chunk = Emulation(IDEAL.map(net, 0), 5, record_spikes="all").run(duration)
    expected = rate * 0.6 * n
    # a Poisson total has standard deviation sqrt(mean); allow 4 of them
    assert abs(chunk.spike_counts.sum() - expected) < 4 * np.sqrt(expected)
    assert chunk.spike_time.min() > 100.0 and chunk.spike_time.max() <= 700.0 + 1e-9
    # counts per cell and 1 ms window: Fano factor 1 (variance = mean) for a Poisson
    # process; 200 x 600 windows pin it to about 1 %
    windows = np.arange(100.0, 700.01, 1.0)
    counts = np.array([np.histogram(chunk.spike_time[chunk.spike_cell == c], windows)[0]
                       for c in range(n)])
    assert counts.var() / counts.mean() == pytest.approx(1.0, abs=0.05)


def test_spike_arrays_and_delays_land_on_the_grid():
    times = [1.0, 2.5, 2.5, 7.3]
    source = Population(1, SpikeSourceArray(times), label="source")
    target = Population(1, IF_curr_delta(tau_m=1e9, v_rest=0.0, v_reset=-1.0,
                                         v_thresh=100.0), label="target")
    net = Network(source, target, Projection(source, target, AllToAllConnector(),
                                             StaticSynapse(weight=1.0, delay=2.0)))
    emulation = Emulation(IDEAL.map(net), record_spikes="all", record_variables=["v"],
                          record_cells={"target": [0]})
    chunk = emulation.run(12.0)
    np.testing.assert_allclose(chunk.spike_time, times)
    v = chunk.traces["v"][:, 0]
    t = chunk.trace_time
    # each spike arrives 2 ms later and steps v by 1 mV (tau_m is practically infinite)
    for time, jumps in ((3.0, 1), (4.5, 3), (9.3, 4)):
        assert v[np.searchsorted(t, time + 0.05)] == pytest.approx(jumps, abs=1e-6)
        assert v[np.searchsorted(t, time - 0.05)] == pytest.approx(jumps - 1 if jumps != 3
                                                                   else 1, abs=1e-6)


def test_delays_shorter_than_dt_are_refused():
    a = Population(1, SpikeSourceArray([1.0]), label="a")
    b = Population(1, IF_cond_exp(), label="b")
    net = Network(a, b, Projection(a, b, AllToAllConnector(), StaticSynapse(0.01, 0.05)))
    with pytest.raises(ValueError, match="a->b.*0.05 ms is shorter than the time step"):
        Emulation(IDEAL.map(net), dt=0.1)
    Emulation(IDEAL.map(net), dt=0.05)  # fine on a finer grid


def test_current_based_cells_are_refused_by_the_wafer_and_run_ideally():
    net = Network(Population(2, IF_curr_exp(i_offset=1.0), label="curr"))
    with pytest.raises(ValueError, match="'curr' uses IF_curr_exp, a current-based"):
        Wafer().map(net)
    assert run(net, 100.0, wafer=IDEAL).sizes["spike"] > 0


@pytest.mark.parametrize("kwargs, message", [
    ({"dt": 0.0}, "dt=0.0 ms must be > 0"),
    ({"method": "euler"}, "method='euler'; allowed"),
    ({"record_spikes": ["nope"]}, "unknown population"),
    ({"record_variables": ["v"], "record_cells": {"E": [500]}}, r"record_cells\['E'\]"),
    ({"record_variables": ["w"], "record_cells": {"E": [0]}}, "cannot record"),
    ({"record_variables": ["v"], "record_cells": {"E": [0]}, "record_interval": 0.25},
     "multiple of dt"),
])
def test_bad_recording_requests_name_the_problem(small_network, kwargs, message):
    with pytest.raises(ValueError, match=message):
        Emulation(IDEAL.map(small_network, 0), 0, **kwargs)


def test_silent_network_flushes_decaying_state_to_zero():
    source = Population(1, SpikeSourceArray([1.0]), label="s")
    cells = Population(3, IF_cond_exp(), label="c")
    net = Network(source, cells, Projection(source, cells, AllToAllConnector(),
                                            StaticSynapse(0.01, 1.0)))
    emulation = Emulation(IDEAL.map(net))
    emulation.run(2000.0)
    # 2 s of exp(-t / 5 ms) decay would be subnormal (1e-176) without the flush
    assert np.all(emulation.syn_e == 0.0)
