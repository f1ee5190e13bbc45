"""bss1lab.pynn, the PyNN backend: the same numbers as bss1lab's own API, runs that
continue, Neo output with units and the hardware's annotations, PyNN's errors."""

import importlib
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("pyNN")

import quantities as pq  # noqa: E402
from pyNN import errors  # noqa: E402

import bss1lab.pynn as sim  # noqa: E402
from bss1lab import network as bss  # noqa: E402
from bss1lab.experiments import run  # noqa: E402
from bss1lab.emulator import Emulation  # noqa: E402
from bss1lab.hardware import Wafer  # noqa: E402
from bss1lab.hardware.spec import (CONFIGURATION_TIME_S,  # noqa: E402
                                   RECONFIGURATION_TIME_S)

CELL = dict(tau_m=10.0, v_rest=-65.0, v_thresh=-55.0, v_reset=-70.0, tau_refrac=2.0,
            cm=0.2)


def pynn_network(wafer, seed=3, weight=0.02):
    sim.setup(timestep=0.1, wafer=wafer, seed=seed)
    cells = sim.Population(20, sim.IF_cond_exp(**CELL), label="E")
    noise = sim.Population(20, sim.SpikeSourcePoisson(rate=400.0), label="noise")
    drive = sim.Projection(noise, cells, sim.OneToOneConnector(),
                           sim.StaticSynapse(weight=weight, delay=1.0))
    cells.record(["spikes", "v"])
    return cells, drive


def spikes_of(block):
    trains = block.segments[0].spiketrains
    return [np.asarray(t.rescale("ms").magnitude) for t in trains]


def test_a_pynn_script_gives_the_spikes_of_bss1labs_own_run_of_that_network():
    cells, _ = pynn_network(Wafer.ideal())
    sim.run(200.0)
    pynn_spikes = spikes_of(cells.get_data())
    sim.end()
    exc = bss.Population(20, bss.IF_cond_exp(**CELL), label="E")
    noise = bss.Population(20, bss.SpikeSourcePoisson(rate=400.0), label="noise")
    net = bss.Network(exc, noise, bss.Projection(noise, exc, bss.OneToOneConnector(),
                                                 bss.StaticSynapse(0.02, 1.0)))
    ds = run(net, 200.0, wafer=Wafer.ideal(), seed=3)
    assert sum(len(s) for s in pynn_spikes) == int(ds.attrs["spikes_recorded"]) > 50
    for k, times in enumerate(pynn_spikes):
        expected = ds["spike_time"].values[ds["spike_neuron"].values == k]
        np.testing.assert_array_equal(times, expected)


@pytest.mark.parametrize("wafer", [Wafer.ideal(), Wafer(seed=1)], ids=["ideal", "wafer"])
def test_run_after_run_continues_the_same_emulation_exactly(wafer):
    cells, _ = pynn_network(wafer)
    sim.run(200.0)
    whole = cells.get_data()
    cells, drive = pynn_network(wafer)
    sim.run(80.0)
    drive.set(weight=0.02)        # a change that changes nothing: a remap, same state
    sim.run(70.0)
    sim.run_until(200.0)
    split = cells.get_data()
    assert sim.get_current_time() == pytest.approx(200.0)
    for a, b in zip(spikes_of(whole), spikes_of(split)):
        np.testing.assert_array_equal(a, b)
    v_whole = whole.segments[0].analogsignals[0].magnitude
    v_split = split.segments[0].analogsignals[0].magnitude
    assert v_whole.shape == v_split.shape == (2001, 20)
    np.testing.assert_array_equal(v_whole, v_split)


def test_a_weight_set_between_runs_acts_from_then_on():
    cells, drive = pynn_network(Wafer.ideal())
    sim.run(100.0)
    drive.set(weight=0.0)
    sim.run(100.0)
    trains = spikes_of(cells.get_data())
    # what is in flight (1 ms delay) and the conductance left (tau_syn_E 5 ms) fade
    late = sum(int(np.sum(t > 130.0)) for t in trains)
    early = sum(int(np.sum(t <= 100.0)) for t in trains)
    assert early > 20 and late == 0
    assert drive.get("weight", format="array")[0, 0] == 0.0


def test_a_weight_set_between_runs_on_the_wafer_reconfigures_the_kept_mapping():
    cells, drive = pynn_network(Wafer(seed=1))
    sim.run(100.0)
    first = sim.state.mapped
    drive.set(weight=0.04)
    sim.run(100.0)
    second = sim.state.mapped
    assert second is not first
    # placement and routing stay as the wafer has them; the weights are programmed
    np.testing.assert_array_equal(second.placement.hicann, first.placement.hicann)
    for name in ("realised", "row_group", "drivers_needed", "drivers_used"):
        np.testing.assert_array_equal(getattr(second.routing, name),
                                      getattr(first.routing, name))
    assert first.report["configuration_time_s"] == CONFIGURATION_TIME_S
    report = sim.state.mapping
    assert report["configuration_time_s"] == RECONFIGURATION_TIME_S
    assert report["reconfigured_projections"] == 1
    assert report["configuration_time_total_s"] == CONFIGURATION_TIME_S + RECONFIGURATION_TIME_S
    late = [t[t > 100.0] for t in spikes_of(cells.get_data())]
    # the same spikes as the reconfigured mapping run on from the first emulation
    _, run_seed = np.random.SeedSequence(3).spawn(2)
    before = Emulation(first, run_seed, record_spikes=["E"])
    before.run(100.0)
    (label,) = first.network.projection_labels
    after = Emulation(first.with_weights(values={label: 0.04}), run_seed,
                      record_spikes=["E"])
    after.continue_from(before)
    chunk = after.run(100.0)
    assert sum(t.size for t in late) == chunk.spike_time.size > 50
    for k, times in enumerate(late):
        np.testing.assert_array_equal(times, chunk.spike_time[chunk.spike_cell == k])


def test_a_change_of_structure_between_runs_maps_anew():
    cells, _ = pynn_network(Wafer(seed=1))
    sim.run(50.0)
    first = sim.state.mapped
    extra = sim.Population(5, sim.SpikeSourceArray(spike_times=[60.0]), label="extra")
    sim.Projection(extra, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01))
    with pytest.raises(NotImplementedError, match="changed shape"):
        sim.run(50.0)
    sim.reset()
    sim.run(50.0)
    assert sim.state.mapped is not first
    assert sim.state.mapping["configuration_time_s"] == CONFIGURATION_TIME_S


def test_get_data_gives_neo_with_units_times_and_the_wafers_annotations():
    cells, _ = pynn_network(Wafer(seed=7))
    sim.run(100.0)
    block = cells.get_data()
    ds = sim.state.dataset
    train = block.segments[0].spiketrains[0]
    signal = block.segments[0].analogsignals[0]
    assert train.units == pq.ms and train.t_start == 0 * pq.ms
    assert train.t_stop == 100.0 * pq.ms
    assert signal.units == pq.mV and signal.name == "v"
    notes = block.annotations
    assert notes["simulator"] == "bss1lab" and notes["mpi_processes"] == 1
    assert notes["wafer_seed"] == 7 and notes["label"] == "E"
    np.testing.assert_array_equal(notes["hicann"], ds["hicann"].values[:20])
    assert np.all(notes["hicann"] >= 0)
    for fact in ("synapses_lost", "readout_spikes_dropped", "input_spikes_dropped"):
        assert notes[fact] == ds.attrs[fact]
    # what the readout delivered is what get_data holds
    assert sum(t.size for t in block.segments[0].spiketrains) == \
        int(ds["recorded_spike_count"].values[:20].sum())
    assert sim.state.mapping["synapses_requested"] == 20


def test_spike_counts_are_those_of_the_recorded_trains():
    cells, _ = pynn_network(Wafer.ideal())
    sim.run(100.0)
    counts = cells.get_spike_counts()
    trains = spikes_of(cells.get_data())
    assert [counts[cell] for cell in cells] == [t.size for t in trains]
    assert cells.mean_spike_count() == pytest.approx(np.mean([t.size for t in trains]))
    view = cells[2:5]
    assert list(view.get_spike_counts().values()) == [t.size for t in trains[2:5]]


def test_a_dc_current_charges_the_membrane_as_the_rc_circuit_does():
    sim.setup(timestep=0.1, wafer=Wafer.ideal())
    cell = sim.Population(1, sim.IF_cond_exp(**CELL))
    source = sim.DCSource(amplitude=0.15, start=20.0, stop=80.0)
    source.inject_into(cell)
    cell.record("v")
    sim.run(100.0)
    v = cell.get_data().segments[0].analogsignals[0].magnitude[:, 0]
    t = np.arange(v.size) * 0.1
    # R = tau_m / cm = 50 MOhm: 0.15 nA lift 7.5 mV, below threshold (10 mV)
    lift = 0.15 * CELL["tau_m"] / CELL["cm"]
    charged = lift * (1 - np.exp(-(np.clip(t, 20.0, 80.0) - 20.0) / CELL["tau_m"]))
    expected = -65.0 + charged * np.exp(-np.clip(t - 80.0, 0.0, None) / CELL["tau_m"])
    # exponential Euler is exact for constant input; the step's 0.1 ms placement of
    # the switch-on and -off leaves at most lift * dt / tau_m = 0.075 mV
    np.testing.assert_allclose(v, expected, atol=0.08)
    assert v.max() == pytest.approx(-65.0 + charged.max(), abs=0.08)


def test_current_based_cells_are_refused_on_the_wafer_with_pynns_error():
    sim.setup(wafer=Wafer())
    with pytest.raises(errors.NoModelAvailableError, match="conductance-based"):
        sim.Population(2, sim.IF_curr_exp())
    sim.setup(wafer=Wafer.ideal())
    assert sim.Population(2, sim.IF_curr_exp()).size == 2


def test_current_sources_the_engine_lacks_say_what_is_missing():
    sim.setup(wafer=Wafer.ideal())
    with pytest.raises(NotImplementedError, match="ACSource is not available"):
        sim.ACSource(amplitude=0.1, frequency=10.0)
    with pytest.raises(NotImplementedError, match="no noise current"):
        sim.NoisyCurrentSource(mean=0.1, stdev=0.1)


def test_setup_refuses_what_is_not_a_wafer():
    with pytest.raises(TypeError, match="wafer"):
        sim.setup(wafer="ideal")


def test_pynn_finds_the_backend_by_name():
    assert importlib.import_module("pyNN.bss1lab") is sim


def test_importing_bss1lab_does_not_import_pynn():
    code = "import sys, bss1lab; print('pyNN' in sys.modules, 'neo' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"]


def test_get_simulator_picks_the_backend_by_name(monkeypatch):
    from pyNN.utility import get_simulator

    monkeypatch.setattr(sys, "argv", ["script.py", "bss1lab"])
    chosen, _ = get_simulator()
    assert chosen is sim


def test_projection_save_writes_the_weights_and_delays_it_holds(tmp_path):
    _, drive = pynn_network(Wafer.ideal(), weight=0.025)
    path = tmp_path / "drive.txt"
    drive.save(["weight", "delay"], str(path), format="list")
    rows = np.loadtxt(path)
    assert rows.shape == (20, 4) and drive.size() == 20
    np.testing.assert_array_equal(rows[:, 0], rows[:, 1])      # one to one
    np.testing.assert_allclose(rows[:, 2:], [[0.025, 1.0]] * 20)


def test_pynns_plotting_draws_what_get_data_returns(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    from pyNN.utility.plotting import Figure, Panel

    cells, _ = pynn_network(Wafer.ideal())
    sim.run(50.0)
    segment = cells.get_data().segments[0]
    Figure(Panel(segment.filter(name="v")[0], ylabel="v (mV)"),
           Panel(segment.spiketrains, xlabel="time (ms)")).save(str(tmp_path / "f.png"))
    assert (tmp_path / "f.png").stat().st_size > 1000


def test_a_projection_onto_an_assembly_guesses_excitatory_for_positive_weights():
    sim.setup(wafer=Wafer.ideal())
    cells = sim.Population(3, sim.IF_cond_exp()) + sim.Population(2, sim.EIF_cond_exp_isfa_ista())
    assert cells.receptor_types == ["excitatory", "inhibitory"]
    noise = sim.Population(5, sim.SpikeSourcePoisson(rate=10.0))
    assert sim.Projection(noise, cells, sim.OneToOneConnector(),
                          sim.StaticSynapse(weight=0.01)).receptor_type == "excitatory"


def test_spikes_the_readout_drops_are_absent_from_get_data_and_counted():
    sim.setup(timestep=0.1, wafer=Wafer(seed=3), seed=2)
    cells = sim.Population(100, sim.IF_cond_exp(**CELL), label="busy")
    noise = sim.Population(100, sim.SpikeSourcePoisson(rate=2000.0), label="noise")
    sim.Projection(noise, cells, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=0.05, delay=1.0))
    cells.record("spikes")
    sim.run(100.0)
    block = cells.get_data()
    ds = sim.state.dataset
    delivered = sum(t.size for t in block.segments[0].spiketrains)
    emitted = int(ds["spike_count"].values[:100].sum())
    dropped = block.annotations["readout_spikes_dropped"]
    assert dropped > 0 and delivered + dropped == emitted


def test_write_data_writes_what_get_data_returns(tmp_path):
    pytest.importorskip("scipy")
    from scipy.io import loadmat

    cells, _ = pynn_network(Wafer.ideal())
    sim.run(50.0)
    path = tmp_path / "cells.mat"
    cells.write_data(str(path), "spikes")
    written = loadmat(path)["block"]
    assert written.size == 1
    trains = cells.get_data().segments[0].spiketrains
    stored = written[0, 0]["segments"][0, 0][0, 0]["spiketrains"]
    assert stored.shape == (1, 20)
    for k in (0, 7):
        np.testing.assert_allclose(np.ravel(stored[0, k][0, 0]["times"]), trains[k].magnitude)
    assert sum(t.size for t in trains) > 10


def test_a_poisson_rate_set_between_runs_acts_from_then_on():
    sim.setup(wafer=Wafer.ideal(), seed=1)
    noise = sim.Population(50, sim.SpikeSourcePoisson(rate=400.0), label="noise")
    noise.record("spikes")
    sim.run(200.0)
    noise.set(rate=800.0)
    sim.run(200.0)
    times = np.concatenate(spikes_of(noise.get_data()))
    # 50 sources x 0.2 s: 4,000 and 8,000 spikes expected, Poisson sd 1.6 % and 1.1 %
    assert np.sum(times <= 200.0) / 10.0 == pytest.approx(400.0, rel=0.05)
    assert np.sum(times > 200.0) / 10.0 == pytest.approx(800.0, rel=0.05)


def test_a_recorded_current_source_gives_the_current_each_step_received():
    sim.setup(timestep=0.1, wafer=Wafer.ideal())
    cell = sim.Population(1, sim.IF_cond_exp(**CELL))
    steps = sim.StepCurrentSource(times=[10.0, 20.0], amplitudes=[0.1, 0.05])
    steps.inject_into(cell)
    steps.record()
    cell.record("v")
    sim.run(30.0)
    steps.amplitudes = [0.1, 0.0]   # from 30 ms on, the second step is 0
    sim.run(10.0)
    current = steps.get_data()
    assert current.units == pq.nA and current.shape[0] == 401
    values = current.magnitude.ravel()
    np.testing.assert_array_equal(values[[0, 99, 100, 199, 200, 299, 300, 400]],
                                  [0, 0, 0.1, 0.1, 0.05, 0.05, 0.0, 0.0])
    # the membrane saw that current: after 30 ms it relaxes back towards rest
    v = cell.get_data().segments[0].analogsignals[0].magnitude.ravel()
    assert v[300] > v[400] > -65.0


def test_initialize_after_a_run_sets_the_membrane_then():
    sim.setup(timestep=0.1, wafer=Wafer.ideal())
    cells = sim.Population(2, sim.IF_cond_exp(**CELL))
    cells.record("v")
    sim.run(50.0)
    cells.initialize(v=np.array([-65.0, -60.0]))   # cell 0 is at rest anyway
    sim.run(50.0)
    v = cells.get_data().segments[0].analogsignals[0].magnitude
    t = np.arange(v.shape[0]) * 0.1
    np.testing.assert_allclose(v[:, 0], -65.0)
    # from 50 ms on, cell 1 relaxes from -60 mV to rest with tau_m (exact for the leak)
    later = t > 50.0
    np.testing.assert_allclose(v[later, 1], -65.0 + 5.0 * np.exp(-(t[later] - 50.0) / 10.0),
                               atol=1e-9)
    np.testing.assert_allclose(v[t <= 50.0, 1], -65.0)


def test_initialize_on_a_view_sets_its_cells_and_initial_values_hold_what_was_drawn():
    from pyNN.random import RandomDistribution
    sim.setup(timestep=0.1, wafer=Wafer.ideal(), seed=4)
    cells = sim.Population(6, sim.IF_cond_exp(**CELL), initial_values={"v": -65.0})
    cells[1:3].initialize(v=-60.0)
    cells[[4, 5]].initialize(v=RandomDistribution("uniform", low=-70.0, high=-66.0))
    drawn = cells.initial_values["v"].evaluate()
    # reading again gives the same numbers: the ones the run starts from
    np.testing.assert_array_equal(cells.initial_values["v"].evaluate(), drawn)
    np.testing.assert_array_equal(cells[1:3].initial_values["v"].evaluate(), [-60.0, -60.0])
    assert np.all((drawn[4:] >= -70.0) & (drawn[4:] < -66.0))
    cells.record("v")
    sim.run(0.1)
    v0 = cells.get_data().segments[0].analogsignals[0].magnitude[0]
    np.testing.assert_array_equal(v0, drawn)


def test_a_poisson_rate_set_between_runs_acts_at_once_and_leaves_no_burst():
    # 100 Hz draws its counts from its table's head, 5,000 Hz (0.5 a step) from its
    # guide table in about 1 step in 70
    sim.setup(wafer=Wafer.ideal(), seed=2)
    noise = sim.Population(40, sim.SpikeSourcePoisson(rate=100.0), label="noise")
    noise.record("spikes")
    for rate in (5000.0, 100.0):
        sim.run(200.0)
        noise.set(rate=rate)
    sim.run(200.0)
    trains = noise.get_data().segments[0].spiketrains
    times = np.concatenate([np.asarray(t.rescale("ms").magnitude) for t in trains])
    # 40 sources x 0.2 s at 100, 5,000 and 100 Hz: 800, 40,000 and 800 spikes expected
    # (Poisson sd 3.5 %, 0.5 %, 3.5 %)
    counts = np.histogram(times, bins=[0.0, 200.0, 400.0, 600.0])[0]
    np.testing.assert_allclose(counts / (40 * 0.2), [100.0, 5000.0, 100.0], rtol=0.15)
    # no source makes up for the steps of another rate: no burst when it changes
    first_after = [t[(t > 400.0)][:3] for t in
                   (np.asarray(s.rescale("ms").magnitude) for s in trains)]
    assert max(np.sum(np.isclose(f, f[0])) if f.size else 0 for f in first_after) <= 2
