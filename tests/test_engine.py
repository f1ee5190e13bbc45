"""The engine: determinism, continuation, threads, conservation of counts, timing."""

import importlib

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bss1lab

from bss1lab.emulator import Emulation, contracts, filing, grid, layout, scheduler
from bss1lab.experiments import run
from bss1lab.hardware import Wafer
from bss1lab.network import (AllToAllConnector, EIF_cond_exp_isfa_ista,
                             FixedNumberPreConnector, FromListConnector, IF_cond_exp,
                             IF_curr_delta, IF_curr_exp, Network, Population, Projection,
                             SpikeSourceArray, SpikeSourcePoisson, StaticSynapse,
                             StepCurrentSource, TsodyksMarkramSynapse)

IDEAL = Wafer.ideal()
# the module, which the package's ``realise`` function shadows as an attribute
realise_module = importlib.import_module("bss1lab.network.realise")


@pytest.fixture(params=[1, 4], ids=["one block", "four blocks"])
def blocks(request, monkeypatch):
    """Run a test on one block (the serial kernel) and on four (the parallel one)."""
    if request.param > 1:
        monkeypatch.setattr(layout, "CELLS_PER_BLOCK", 100)  # 424 cells -> 4 blocks
    return request.param


def record_everything(network, seed=3, **kwargs):
    mapped = IDEAL.map(network, seed=1)
    return Emulation(mapped, seed, record_spikes="all", record_variables=("v", "gsyn_exc"),
                     record_cells={"E": range(0, 160, 7), "I": [0, 39]}, **kwargs)


def assert_parts_make_the_whole(whole, parts):
    """The chunks of a split run hold exactly what the chunk of one run holds."""
    for field in ("spike_cell", "spike_time", "trace_time"):
        np.testing.assert_array_equal(getattr(whole, field),
                                      np.concatenate([getattr(p, field) for p in parts]))
    for name in ("v", "gsyn_exc"):
        np.testing.assert_array_equal(whole.traces[name],
                                      np.concatenate([p.traces[name] for p in parts]))
    np.testing.assert_array_equal(whole.spike_counts, sum(p.spike_counts for p in parts))
    assert whole.synaptic_events == sum(p.synaptic_events for p in parts)


def test_same_seeds_give_identical_results_and_other_seeds_do_not(small_network, blocks):
    first = run(small_network, 200.0, wafer=IDEAL, seed=11, record_spikes="all")
    second = run(small_network, 200.0, wafer=IDEAL, seed=11, record_spikes="all")
    other = run(small_network, 200.0, wafer=IDEAL, seed=12, record_spikes="all")
    np.testing.assert_array_equal(first.spike_time, second.spike_time)
    np.testing.assert_array_equal(first.spike_neuron, second.spike_neuron)
    assert first.sizes["spike"] > 1000  # a lively network, not a trivial comparison
    assert (first.sizes["spike"] != other.sizes["spike"]
            or not np.array_equal(first.spike_time, other.spike_time))


def test_run_a_then_b_equals_run_a_plus_b(small_network, blocks):
    whole = record_everything(small_network).run(100.0)
    split = record_everything(small_network)
    assert split.layout.n_blocks == blocks
    # the cut falls inside the step current (20..60 ms) and between two array spikes
    parts = [split.run(33.3), split.run(0.0), split.run(66.7)]
    assert_parts_make_the_whole(whole, parts)


def test_run_lengths_off_the_grid_add_up(small_network):
    whole = record_everything(small_network).run(30.0)
    split = record_everything(small_network)
    parts = [split.run(0.0)] + [split.run(0.15) for _ in range(200)]
    assert split.step == 300
    np.testing.assert_array_equal(whole.trace_time,
                                  np.concatenate([p.trace_time for p in parts]))
    np.testing.assert_array_equal(whole.spike_time,
                                  np.concatenate([p.spike_time for p in parts]))


def test_results_do_not_depend_on_the_block_split(small_network, monkeypatch):
    one = record_everything(small_network).run(150.0)
    monkeypatch.setattr(layout, "CELLS_PER_BLOCK", 50)
    eight = record_everything(small_network)
    assert eight.layout.n_blocks == 8
    chunk = eight.run(150.0)
    np.testing.assert_array_equal(one.spike_cell, chunk.spike_cell)
    np.testing.assert_array_equal(one.traces["v"], chunk.traces["v"])


def test_a_parallel_kernel_leaves_out_only_the_features_its_network_does_not_use(
        small_network, monkeypatch):
    """Without spike arrays, with them, and with plastic synapses instead: each
    network's parallel kernel has just its features (``scheduler.features_of``), gives
    the spikes and traces of the kernel with every feature, and a kernel without the
    network's features would give others (what they leave out matters)."""
    monkeypatch.setattr(layout, "CELLS_PER_BLOCK", 100)
    exc, inh = small_network.populations[:2]
    arrays = [p for p in small_network.populations if p.label == "pulses"]
    populations = [p for p in small_network.populations if p not in arrays]
    projections = [q for q in small_network.projections if q.pre not in arrays]
    without_arrays = Network(*populations, *projections)
    plastic = Network(*populations, *projections,
                      Projection(exc, inh, FixedNumberPreConnector(4),
                                 TsodyksMarkramSynapse(U=0.5, tau_rec=50.0, tau_facil=0.0,
                                                       weight=0.004, delay=1.0)))

    def run_on(emulation, features):
        emulation._kernel = scheduler.kernel(
            True, contracts.METHOD_EXPONENTIAL,
            scheduler.loops_of(emulation.layout.cells, emulation.layout.neurons), features)
        return emulation.run(150.0)

    for network, features in ((without_arrays, ()), (small_network, ("spike_arrays",)),
                              (plastic, ("plasticity",))):
        own = record_everything(network)
        assert own.layout.n_blocks > 1
        assert [key[3] for key, kernel in scheduler.kernels().items()
                if kernel is own._kernel] == [features]
        chunk = own.run(150.0)
        reference = run_on(record_everything(network), scheduler.FEATURES)
        assert chunk.spike_cell.size > 0
        np.testing.assert_array_equal(chunk.spike_cell, reference.spike_cell)
        np.testing.assert_array_equal(chunk.spike_time, reference.spike_time)
        np.testing.assert_array_equal(chunk.traces["v"], reference.traces["v"])
        if features:
            lacking = run_on(record_everything(network), ())
            assert not np.array_equal(chunk.traces["v"], lacking.traces["v"])


def test_a_network_that_does_not_keep_its_synapses_runs_identically(small_network,
                                                                    blocks, monkeypatch):
    kept = record_everything(small_network).run(150.0)
    # the size above which the ideal wafer draws projections straight into the kernel
    monkeypatch.setattr(realise_module, "KEEP_SYNAPSES_UP_TO", 0)
    redrawn = record_everything(small_network)
    assert not redrawn.mapped.network.synapses_kept
    assert redrawn.mapped.network.pre is None
    chunk = redrawn.run(150.0)
    np.testing.assert_array_equal(kept.spike_cell, chunk.spike_cell)
    np.testing.assert_array_equal(kept.spike_time, chunk.spike_time)
    np.testing.assert_array_equal(kept.traces["v"], chunk.traces["v"])
    assert kept.synaptic_events == chunk.synaptic_events > 0


def test_layout_rounds_delays_as_steps_of():
    delays = np.concatenate([np.arange(1, 400) * 0.05,  # half steps: rounded up
                             np.random.default_rng(0).uniform(0.1, 20.0, 10_000)])
    delays = delays.astype(np.float32)  # as the network stores them
    steps = np.empty(delays.size, dtype=np.int16)
    assert filing._delay_steps(delays, 0.1, False, steps) == 0
    np.testing.assert_array_equal(steps, grid.steps_of(delays, 0.1))
    steps = np.empty(3, dtype=np.int16)
    assert filing._delay_steps(np.float32([0.03, 0.1, 0.25]), 0.1, True, steps) == 1
    np.testing.assert_array_equal(steps, [1, 1, 3])


def test_the_kernel_runs_on_the_threads_set_threads_chose_and_numba_is_restored(
        small_network):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs at least two threads")
    emulation = record_everything(small_network)
    seen, kernel = [], emulation._kernel

    def counting(*args):
        seen.append(numba.get_num_threads())
        return kernel(*args)

    emulation._kernel = counting
    before_numba, before = numba.get_num_threads(), bss1lab.set_threads(1)
    try:
        emulation.run(10.0)
        bss1lab.set_threads(2)
        emulation.run(10.0)
    finally:
        bss1lab.set_threads(before)
    assert set(seen[:1]) == {1} and seen[-1] == 2
    assert numba.get_num_threads() == before_numba


def test_results_do_not_depend_on_the_number_of_threads(small_network, blocks):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs at least two threads")
    before = bss1lab.set_threads(None)
    try:
        chunks = {}
        for threads in (1, 2):
            bss1lab.set_threads(threads)
            chunks[threads] = record_everything(small_network).run(150.0)
    finally:
        bss1lab.set_threads(before)
    np.testing.assert_array_equal(chunks[1].spike_cell, chunks[2].spike_cell)
    np.testing.assert_array_equal(chunks[1].spike_time, chunks[2].spike_time)
    np.testing.assert_array_equal(chunks[1].traces["v"], chunks[2].traces["v"])


def test_spike_and_event_counts_are_consistent(small_network, blocks):
    emulation = record_everything(small_network)
    chunk = emulation.run(200.0)
    net = emulation.mapped.network
    # every spike of every cell is recorded here, so the record and the counters agree
    np.testing.assert_array_equal(np.bincount(chunk.spike_cell, minlength=net.n_cells),
                                  chunk.spike_counts)
    assert np.all(np.diff(chunk.spike_time) >= 0)
    # each spike reaches each of its cell's synapses once; spikes of the last
    # synchronisation window are delivered at the start of the next, except a
    # one-synapse Poisson source's, which goes straight onto its target
    out_degree = np.bincount(net.pre, minlength=net.n_cells)
    direct = emulation.layout.cells.direct_synapse[chunk.spike_cell] >= 0
    window = emulation.window
    assert window == 5  # the shortest delay, 0.5 ms
    last_window_start = (emulation.step - 1) // window * window  # a spike of step n
    delivered = (chunk.spike_time < (last_window_start + 1) * 0.1 - 1e-9) | direct
    assert direct.any() and (~delivered).any()  # both cases occur in this network
    assert chunk.synaptic_events == int(out_degree[chunk.spike_cell[delivered]].sum())
    after = emulation.run(0.1)
    pending = out_degree[chunk.spike_cell[~delivered]].sum()
    assert after.synaptic_events == pending + int(
        out_degree[after.spike_cell[emulation.layout.cells.direct_synapse[after.spike_cell]
                                    >= 0]].sum())


@pytest.mark.parametrize("rate", [80.0, 30_000.0])  # the table's head; the guide table
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


@pytest.mark.parametrize("mean", [0.2, 3.0])  # mostly the table's head; the guide table
def test_poisson_counts_per_step_follow_the_poisson_distribution(mean):
    # 200 sources x 5,000 steps of 0.1 ms: the count of each source in each step is
    # Poisson(mean); counts of 3 and more are all finished from the guide table
    n, steps, dt = 200, 5000, 0.1
    net = Network(Population(n, SpikeSourcePoisson(rate=mean / (dt * 1e-3)), label="p"))
    chunk = Emulation(IDEAL.map(net, 0), 3, record_spikes="all").run(steps * dt)
    step = np.rint(chunk.spike_time / dt).astype(np.int64) - 1
    per_step = np.bincount(chunk.spike_cell * steps + step, minlength=n * steps)
    observed = np.bincount(per_step, minlength=12)[:12]
    k = np.arange(12)
    expected = n * steps * np.exp(-mean) * mean ** k / np.cumprod(np.maximum(k, 1))
    # each frequency is binomial: within 5 standard deviations (where 20 are expected)
    sd = np.sqrt(expected * (1.0 - expected / (n * steps)))
    tested = expected >= 20.0
    assert tested.sum() >= 4
    np.testing.assert_array_less(np.abs(observed - expected)[tested], 5.0 * sd[tested])


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
    # each spike arrives 2 ms later and steps v by 1 mV (tau_m is practically
    # infinite); v at a sample time includes what arrived at that time (NEST's order)
    np.testing.assert_allclose(t, np.arange(121) * 0.1)
    for time, before, after in ((3.0, 0, 1), (4.5, 1, 3), (9.3, 3, 4)):
        index = int(round(time / 0.1))
        assert v[index - 1] == pytest.approx(before, abs=1e-6)
        assert v[index] == pytest.approx(after, abs=1e-6)


def test_delays_shorter_than_dt_take_one_step_and_are_counted():
    # StaticSynapse's promise: rounded to the grid, at least one step, as the wafer
    # path does with routed delays
    a = Population(1, SpikeSourceArray([1.0]), label="a")
    b = Population(1, IF_cond_exp(), label="b")
    net = Network(a, b, Projection(a, b, AllToAllConnector(), StaticSynapse(0.01, 0.05)))
    short = run(net, 5.0, wafer=IDEAL, record_variables=["gsyn_exc"],
                record_cells={"b": [0]})
    assert short.attrs["delays_raised_to_dt"] == 1
    one_step = Network(a, b, Projection(a, b, AllToAllConnector(), StaticSynapse(0.01, 0.1)))
    exact = run(one_step, 5.0, wafer=IDEAL, record_variables=["gsyn_exc"],
                record_cells={"b": [0]})
    assert exact.attrs["delays_raised_to_dt"] == 0
    np.testing.assert_array_equal(short.gsyn_exc.values, exact.gsyn_exc.values)
    assert Emulation(IDEAL.map(net), dt=0.05).layout.delays_raised == 0  # on its grid


def test_current_based_cells_are_refused_by_the_wafer_and_run_ideally():
    net = Network(Population(2, IF_curr_exp(i_offset=1.0), label="curr"))
    with pytest.raises(ValueError, match="'curr' uses IF_curr_exp, a current-based"):
        Wafer().map(net)
    assert run(net, 100.0, wafer=IDEAL).sizes["spike"] > 0


@pytest.mark.parametrize("kwargs, message", [
    ({"dt": 0.0}, "dt=0.0 ms must be a number > 0"),
    ({"seed": -1}, "seed=-1 must be an int >= 0"),
    ({"record_variables": "gsyn"}, r"unknown \['gsyn'\]"),
    ({"record_cells": {"E": [0]}}, "give record_variables too"),
    ({"method": "euler"}, "method='euler'; allowed"),
    ({"record_spikes": ["nope"]}, "unknown population"),
    ({"record_variables": ["v"], "record_cells": {"E": [500]}}, r"record_cells\['E'\]"),
    ({"record_variables": ["w"], "record_cells": {"E": [0]}}, "cannot record"),
    ({"record_variables": ["v"], "record_cells": {"E": [0]}, "record_interval": 0.25},
     "multiple of dt"),
])
def test_bad_recording_requests_name_the_problem(small_network, kwargs, message):
    with pytest.raises(ValueError, match=message):
        Emulation(IDEAL.map(small_network, 0), **{"seed": 0, **kwargs})


def test_silent_network_flushes_decaying_state_to_zero():
    source = Population(1, SpikeSourceArray([1.0]), label="s")
    cells = Population(3, IF_cond_exp(v_rest=0.0, v_reset=-5.0, v_thresh=20.0), label="c")
    cells.initialize(v=3.0)
    net = Network(source, cells, Projection(source, cells, AllToAllConnector(),
                                            StaticSynapse(0.01, 1.0)))
    emulation = Emulation(IDEAL.map(net))
    emulation.run(20_000.0)
    # 20 s of exp(-t / 5 ms) and exp(-t / 20 ms) decay would leave subnormal floats
    # (slow on x86) in the conductances and, resting at 0 mV, in v
    assert np.all(emulation.state.syn_e[1:] == 0.0)
    assert np.all(emulation.state.v[1:] == 0.0)


def test_a_one_synapse_poisson_source_keeps_its_delay():
    # the source comes first and has one synapse: it writes straight into the ring
    # buffer; with delay + 1 a power of two its slot must not alias the current one
    source = Population(1, SpikeSourcePoisson(rate=50.0), label="source")
    target = Population(1, IF_curr_delta(tau_m=1e9, v_rest=0.0, v_reset=-1.0,
                                         v_thresh=1e9), label="target")
    for delay in (0.1, 0.3, 1.5):
        net = Network(source, target, Projection(source, target, AllToAllConnector(),
                                                 StaticSynapse(weight=1.0, delay=delay)))
        emulation = Emulation(IDEAL.map(net), 1, record_spikes="all",
                              record_variables=["v"], record_cells={"target": [0]})
        assert emulation.layout.cells.direct_synapse[0] >= 0
        chunk = emulation.run(1000.0)
        jumps = np.flatnonzero(np.diff(chunk.traces["v"][:, 0]) > 0.5) + 1  # 1 mV each
        arrivals = chunk.trace_time[jumps]
        spikes = np.unique(chunk.spike_time[chunk.spike_cell == 0])
        spikes = spikes[spikes + delay <= 1000.0 + 1e-9]
        assert spikes.size > 20
        np.testing.assert_allclose(arrivals, spikes + delay, atol=1e-9)


def test_current_sources_add_up():
    cells = Population(1, IF_cond_exp(tau_m=1e9, cm=1.0, v_thresh=1e9, v_rest=0.0,
                                      v_reset=-1.0), label="c")
    cells.inject(StepCurrentSource([0.0, 100.0], [0.5, 0.0]))
    cells.inject(StepCurrentSource([50.0], [0.2]))
    emulation = Emulation(IDEAL.map(Network(cells)), record_variables=["v"])
    v = emulation.run(150.0).traces["v"][:, 0]
    # dv/dt = I / C with no leak: 0.5 mV/ms for 50 ms, 0.7 for 50 ms, then 0.2
    assert v[500] == pytest.approx(25.0, rel=1e-6)
    assert v[1000] == pytest.approx(25.0 + 35.0, rel=1e-6)
    assert v[1500] == pytest.approx(60.0 + 10.0, rel=1e-6)


def test_adex_without_exponential_term_fires_at_v_thresh():
    cell = EIF_cond_exp_isfa_ista(delta_T=0.0, a=0.0, b=0.0, v_thresh=-50.0, v_spike=-30.0,
                                  i_offset=2.0)
    emulation = Emulation(IDEAL.map(Network(Population(1, cell, label="n"))),
                          record_variables=["v"])
    chunk = emulation.run(50.0)
    assert chunk.spike_time.size > 0
    assert chunk.traces["v"].max() < -50.0  # reset as soon as v_thresh is crossed


def test_delta_input_reaching_threshold_fires():
    source = Population(1, SpikeSourceArray([10.0]), label="s")
    cell = Population(1, IF_curr_delta(v_rest=-65.0, v_thresh=-55.0, tau_m=20.0),
                      label="n")
    net = Network(source, cell, Projection(source, cell, AllToAllConnector(),
                                           StaticSynapse(weight=10.0, delay=1.0)))
    chunk = Emulation(IDEAL.map(net)).run(20.0)
    np.testing.assert_allclose(chunk.spike_time, [11.0])


def test_vectorisable_expm1_matches_numpy_to_rounding():
    # the conductance-based membrane decays by exp(-g dt / C); the kernel computes
    # expm1 with a polynomial (vectorisable): it must keep double precision from
    # tiny arguments (g dt / C ~ 1e-12 for a nearly leak-free cell) to full decay
    from bss1lab.emulator.neuron import expm1_minus
    x = np.concatenate([[0.0], np.logspace(-15, np.log10(64.0), 5001)])
    got = np.array([expm1_minus(value) for value in x])
    np.testing.assert_allclose(got, np.expm1(-x), rtol=4e-15, atol=0.0)
    assert expm1_minus(1e3) == pytest.approx(-1.0, abs=1e-15)  # capped at exp(-64)
    # AdEx's runaway spike grows over a step: x down to -EXP_ARGUMENT_MAX (-50)
    growing = -np.logspace(-15, np.log10(50.0), 2001)
    got = np.array([expm1_minus(value) for value in growing])
    np.testing.assert_allclose(got, np.expm1(-growing), rtol=1e-13, atol=0.0)


def uniform_delay_network(delay: float, drive_delay: float | None = None,
                          plastic: bool = False) -> Network:
    """E/I cells driven by one-synapse and shared Poisson sources, every synapse with
    the same delay (the one-synapse drive's may differ: it never crosses blocks): the
    order in which inputs are summed is then the same whatever the synchronisation
    window, so any window must give the very same spikes. ``plastic``: the recurrent
    excitatory synapses depress and facilitate (Tsodyks-Markram), and so do those of
    the shared sources, at 1 kHz: many of them spike twice within a window."""
    drive_delay = delay if drive_delay is None else drive_delay
    cell = IF_cond_exp(tau_refrac=2.0)
    exc = Population(300, cell, label="E")
    inh = Population(80, cell, label="I")
    for population in (exc, inh):
        population.initialize(v=np.linspace(-65.0, -52.0, population.size))
    noise = Population(380, SpikeSourcePoisson(rate=3000.0), label="noise")
    shared = Population(30, SpikeSourcePoisson(rate=1000.0 if plastic else 50.0),
                        label="shared")
    w = 0.004
    if plastic:
        recurrent = TsodyksMarkramSynapse(U=0.3, tau_rec=100.0, tau_facil=50.0,
                                          weight=2 * w, delay=delay)
        from_shared = TsodyksMarkramSynapse(U=0.3, tau_rec=100.0, tau_facil=50.0,
                                            weight=w, delay=delay)
    else:
        recurrent, from_shared = StaticSynapse(w, delay), StaticSynapse(w, delay)
    return Network(
        exc, inh, noise, shared,
        Projection(exc, exc, FixedNumberPreConnector(20, allow_self_connections=False),
                   recurrent),
        Projection(exc, inh, FixedNumberPreConnector(20), recurrent),
        Projection(inh, exc, FixedNumberPreConnector(5), StaticSynapse(4 * w, delay),
                   receptor_type="inhibitory"),
        Projection(noise, exc, FromListConnector(np.c_[np.arange(300), np.arange(300)]),
                   StaticSynapse(w, drive_delay)),
        Projection(noise, inh, FromListConnector(np.c_[np.arange(300, 380), np.arange(80)]),
                   StaticSynapse(w, drive_delay)),
        Projection(shared, exc, FixedNumberPreConnector(3), from_shared),
        label="uniform delays")


@pytest.mark.parametrize("plastic", [False, True])
def test_a_window_of_the_shortest_delay_gives_the_spikes_of_a_window_of_one_step(
        monkeypatch, plastic):
    monkeypatch.setattr(layout, "CELLS_PER_BLOCK", 200)  # 790 cells -> 2 blocks
    # the one-synapse drive's 0.1 ms delay does not bound the window; nor does
    # plasticity (each step's efficacies are kept in that step's slot)
    mapped = IDEAL.map(uniform_delay_network(1.3, drive_delay=0.1, plastic=plastic),
                       seed=1)
    windowed = Emulation(mapped, 4, record_spikes="all")
    assert windowed.window == contracts.MAX_WINDOW == 8  # 13 steps, capped
    assert (windowed.layout.plasticity.synapse_slot.size > 0) == plastic
    monkeypatch.setattr(contracts, "MAX_WINDOW", 1)
    stepwise = Emulation(mapped, 4, record_spikes="all")
    assert stepwise.window == 1
    # 1,504 steps, 188 windows; one step more delivers all but that step's spikes
    a, b = windowed.run(150.4), stepwise.run(150.4)
    assert a.spike_cell.size > 3000
    np.testing.assert_array_equal(a.spike_cell, b.spike_cell)
    np.testing.assert_array_equal(a.spike_time, b.spike_time)
    assert (a.synaptic_events + windowed.run(0.1).synaptic_events
            == b.synaptic_events + stepwise.run(0.1).synaptic_events)


def test_windowed_runs_split_at_odd_steps_on_one_or_two_threads_give_one_result(
        small_network, monkeypatch):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs at least two threads")
    monkeypatch.setattr(layout, "CELLS_PER_BLOCK", 100)  # 424 cells -> 4 blocks
    before = bss1lab.set_threads(None)
    try:
        bss1lab.set_threads(1)
        whole = record_everything(small_network).run(120.0)
        bss1lab.set_threads(2)
        split = record_everything(small_network)
        assert split.window == 5 and split.layout.n_blocks == 4
        # 7, 13, 1 and 3 steps, then the rest: cuts inside windows and on their edges
        parts = [split.run(d) for d in (0.7, 1.3, 0.1, 0.3)]
        parts.append(split.run(120.0 - split.time))
    finally:
        bss1lab.set_threads(before)
    assert whole.spike_cell.size > 500
    for field in ("spike_cell", "spike_time", "trace_time"):
        np.testing.assert_array_equal(getattr(whole, field),
                                      np.concatenate([getattr(p, field) for p in parts]))
    np.testing.assert_array_equal(whole.traces["v"],
                                  np.concatenate([p.traces["v"] for p in parts]))
    assert whole.synaptic_events == sum(p.synaptic_events for p in parts)


def test_the_window_is_the_shortest_delay_capped():
    assert contracts.sync_window(np.array([15, 20])) == contracts.MAX_WINDOW
    assert contracts.sync_window(np.array([3, 20])) == 3
    assert contracts.sync_window(np.array([], dtype=np.int64)) == contracts.MAX_WINDOW
    assert contracts.step_buffer_depth(1) == 2 and contracts.step_buffer_depth(5) == 16


def test_a_run_handed_over_to_a_new_emulation_equals_one_run(small_network, blocks):
    whole = record_everything(small_network).run(100.0)
    first = record_everything(small_network)
    # the cut falls inside the step current (20..60 ms) and between two array spikes
    parts = [first.run(33.3)]
    second = record_everything(small_network)
    second.continue_from(first)
    assert second.time == first.time and second.stop_time == 33.3
    parts.append(second.run(66.7))
    assert parts[1].start_ms == parts[0].stop_ms
    assert_parts_make_the_whole(whole, parts)


def test_a_hand_over_goes_on_with_the_previous_synchronisation_window(monkeypatch):
    # the same network handed from a window of 5 steps to an emulation that could run
    # 8 (both buffers 16 steps deep): the spikes of steps 208 and 209 were delivered
    # at the meeting at step 210, and a window of 8 would deliver them again at 216
    monkeypatch.setattr(layout, "CELLS_PER_BLOCK", 200)  # 790 cells -> 2 blocks
    mapped = IDEAL.map(uniform_delay_network(1.3, drive_delay=0.1), seed=1)
    monkeypatch.setattr(contracts, "MAX_WINDOW", 5)
    whole = Emulation(mapped, 4, record_spikes="all").run(40.0)
    first = Emulation(mapped, 4, record_spikes="all")
    parts = [first.run(21.1)]
    monkeypatch.setattr(contracts, "MAX_WINDOW", 8)
    second = Emulation(mapped, 4, record_spikes="all")
    assert (first.window, second.window) == (5, 8)
    second.continue_from(first)
    assert second.window == 5
    parts.append(second.run(18.9))
    assert whole.spike_cell.size > 500
    np.testing.assert_array_equal(whole.spike_cell,
                                  np.concatenate([p.spike_cell for p in parts]))
    np.testing.assert_array_equal(whole.spike_time,
                                  np.concatenate([p.spike_time for p in parts]))
    # the other way, the new emulation could not take the window's spikes in time
    longer = Emulation(mapped, 4)
    longer.run(1.0)
    monkeypatch.setattr(contracts, "MAX_WINDOW", 5)
    shorter = Emulation(mapped, 4)
    assert (longer.window, shorter.window) == (8, 5)
    with pytest.raises(NotImplementedError, match="synchronisation window"):
        shorter.continue_from(longer)


def test_a_hand_over_on_the_wafer_keeps_the_readout_s_buffers(small_network):
    mapped = Wafer().map(small_network, seed=1)
    whole = Emulation(mapped, 3, record_spikes="all").run(100.0)
    first = Emulation(mapped, 3, record_spikes="all")
    parts = [first.run(40.0)]
    second = Emulation(mapped, 3, record_spikes="all")
    second.continue_from(first)
    # the buffers' fill is carried over (a copy: the first emulation keeps its own)
    assert second.readout is not first.readout
    np.testing.assert_array_equal(second.readout.tokens, first.readout.tokens)
    assert (second.readout.tokens < second.readout.depth).any()
    parts.append(second.run(60.0))
    np.testing.assert_array_equal(whole.spike_time,
                                  np.concatenate([p.spike_time for p in parts]))
    np.testing.assert_array_equal(whole.spike_cell,
                                  np.concatenate([p.spike_cell for p in parts]))
    np.testing.assert_array_equal(whole.readout_dropped,
                                  sum(p.readout_dropped for p in parts))


def test_a_hand_over_between_networks_of_other_shapes_names_what_changed(small_network):
    first = record_everything(small_network)
    first.run(10.0)
    bigger = Network(*small_network.populations, Population(3, IF_cond_exp(), label="new"),
                     *small_network.projections)
    with pytest.raises(NotImplementedError, match=r"'v' \(424,\) -> \(427,\)"):
        Emulation(IDEAL.map(bigger, seed=1)).continue_from(first)
    ran = record_everything(small_network)
    ran.run(1.0)
    with pytest.raises(ValueError, match="already run 1 ms"):
        ran.continue_from(first)
    with pytest.raises(ValueError, match="dt=0.05 ms"):
        record_everything(small_network, dt=0.05).continue_from(first)
    with pytest.raises(TypeError, match="previous"):
        record_everything(small_network).continue_from(small_network)


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 999)), max_size=300),
       st.sampled_from([0, 10**12, 2**62]))
def test_spike_entries_are_ordered_by_step_then_cell_as_lexsort_orders_them(pairs, offset):
    from bss1lab.emulator.engine import _by_step_then_cell
    steps = np.array([p[0] for p in pairs], dtype=np.int64) + offset
    cells = np.array([p[1] for p in pairs], dtype=np.int32)
    if offset == 2**62 and steps.size:  # a span whose key would overflow int64
        steps[0] = 0
    expected = sorted(range(steps.size), key=lambda k: (steps[k], cells[k]))  # stable
    assert _by_step_then_cell(steps, cells, 1000).tolist() == expected
