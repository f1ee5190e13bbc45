"""Co-execution: the network the wafer realised, run on the ideal reference,
reproduces the wafer's run when the run-time effects are off."""

import numpy as np
import pytest

from bss1lab import network as bss
from bss1lab.experiments import run
from bss1lab.hardware import Wafer
from bss1lab.hardware.realised import realised_network

RUN_TIME_EFFECTS = dict(input_limits=False, readout_limits=False, saturation=False,
                        short_term_plasticity=False)


def small_network():
    cell = bss.IF_cond_exp(tau_m=10.0, v_thresh=-55.0, v_reset=-70.0, cm=0.2,
                           tau_refrac=2.0)
    exc = bss.Population(40, cell, label="E")
    inh = bss.Population(10, cell, label="I")
    noise = bss.Population(30, bss.SpikeSourcePoisson(rate=80.0), label="noise")
    pulses = bss.Population(2, bss.SpikeSourceArray([[5.0, 30.0], [12.0]]), label="pulses")
    exc.inject(bss.StepCurrentSource([50.0, 90.0], [0.05, 0.0]))
    exc.initialize(v=bss.RandomDistribution("uniform", low=-70.0, high=-60.0))
    return bss.Network(
        exc, inh, noise, pulses,
        bss.Projection(noise, exc, bss.FixedProbabilityConnector(0.3),
                       bss.StaticSynapse(0.012, bss.RandomDistribution("uniform", 0.5, 2.0))),
        bss.Projection(noise, inh, bss.FixedProbabilityConnector(0.3),
                       bss.StaticSynapse(0.012, 1.0)),
        bss.Projection(exc, inh, bss.FixedProbabilityConnector(0.2),
                       bss.StaticSynapse(0.01, 1.5)),
        bss.Projection(inh, exc, bss.FixedProbabilityConnector(0.3),
                       bss.StaticSynapse(0.03, 1.0), receptor_type="inhibitory"),
        bss.Projection(pulses, exc, bss.AllToAllConnector(), bss.StaticSynapse(0.02, 1.0)),
        label="small")


@pytest.fixture(scope="module")
def wafer_run():
    network = small_network()
    wafer = Wafer(seed=4).with_effects(**RUN_TIME_EFFECTS)
    map_seed, _ = np.random.SeedSequence(9).spawn(2)   # the seeds run(seed=9) uses
    mapped = wafer.map(network, map_seed)
    return mapped, run(network, 150.0, wafer=wafer, seed=9)


def test_the_realised_network_on_the_ideal_reference_spikes_as_the_wafer_did(wafer_run):
    mapped, on_wafer = wafer_run
    assert mapped.report["synapses_lost"] >= 0
    reference = run(realised_network(mapped), 150.0, wafer=Wafer.ideal(), seed=9)
    assert on_wafer.attrs["spikes_recorded"] > 100
    np.testing.assert_array_equal(reference["spike_time"].values,
                                  on_wafer["spike_time"].values)
    np.testing.assert_array_equal(reference["spike_neuron"].values,
                                  on_wafer["spike_neuron"].values)


def test_the_realised_network_holds_the_mapped_weights_delays_and_parameters(wafer_run):
    mapped, _ = wafer_run
    net = realised_network(mapped)
    assert [p.label for p in net.populations] == ["E", "I", "noise", "pulses"]
    realised = sum(p.connector.conn_list.shape[0] for p in net.projections)
    assert realised == mapped.report["synapses_realised"]
    first = net.projections[0].connector.conn_list
    pre, post, weight, delay = mapped.network.projection_synapses(0)
    np.testing.assert_array_equal(first[:, 2].astype(np.float32), weight)
    np.testing.assert_array_equal(first[:, 3].astype(np.float32), delay)
    tau_m = net.populations[0].cell_type.parameters["tau_m"]
    assert tau_m.size == 40 and np.std(tau_m) > 0      # each neuron's own, as mapped
    np.testing.assert_array_equal(tau_m, mapped.network.populations[0].parameters["tau_m"])


def test_to_pynn_builds_the_realised_network_in_a_pynn_backend(wafer_run):
    pytest.importorskip("pyNN")
    import bss1lab.pynn as sim
    from bss1lab.experiments.coexecution import to_pynn

    mapped, on_wafer = wafer_run
    sim.setup(timestep=0.1, wafer=Wafer.ideal(), seed=9)
    built = to_pynn(mapped, sim)
    for label in ("E", "I"):
        built["populations"][label].record("spikes")
    sim.run(150.0)
    ds = sim.state.dataset
    np.testing.assert_array_equal(ds["spike_time"].values, on_wafer["spike_time"].values)
    np.testing.assert_array_equal(ds["spike_neuron"].values,
                                  on_wafer["spike_neuron"].values)


def test_to_pynn_builds_the_network_in_nest():
    pytest.importorskip("pyNN.nest", reason="NEST is not installed (not a test extra)")
    import pyNN.nest as nest_sim
    from bss1lab.experiments.coexecution import to_pynn

    mapped = Wafer(seed=4).map(small_network(), 1)
    nest_sim.setup(timestep=0.1)
    built = to_pynn(mapped, nest_sim)
    assert sum(p.size() for p in built["projections"].values()) == \
        mapped.report["synapses_realised"]
    first = next(iter(built["projections"].values()))
    nest_weights = np.array(first.get("weight", format="list", with_address=False))
    _, _, weight, delay = mapped.network.projection_synapses(0)
    np.testing.assert_allclose(np.sort(nest_weights), np.sort(weight), rtol=1e-6)
    nest_delays = np.array(first.get("delay", format="list", with_address=False))
    np.testing.assert_allclose(np.sort(nest_delays), np.round(np.sort(delay) / 0.1) * 0.1,
                               atol=1e-9)  # NEST keeps delays on its 0.1 ms grid
    built["populations"]["E"].record("spikes")
    nest_sim.run(150.0)
    assert len(built["populations"]["E"].get_data().segments[0].spiketrains) == 40
    nest_sim.end()


def with_source_trains(network, label, trains):
    """``network`` with population ``label`` replaced by a SpikeSourceArray of
    ``trains`` (its cells, its projections otherwise unchanged)."""
    made = {}
    for p in network.populations:
        if p.label == label:
            made[label] = bss.Population(p.size, bss.SpikeSourceArray(trains), label=label)
            continue
        made[p.label] = bss.Population(p.size, p.cell_type, label=p.label)
        if p.initial_values:
            made[p.label].initialize(**p.initial_values)
        for source in p.current_sources:
            made[p.label].inject(source)
    return bss.Network(*made.values(), *(
        bss.Projection(made[p.pre.label], made[p.post.label], p.connector, p.synapse_type,
                       receptor_type=p.receptor_type, label=p.label)
        for p in network.projections))


def test_nest_fires_the_realised_network_as_the_ideal_reference_given_the_same_input(
        wafer_run):
    pytest.importorskip("pyNN.nest", reason="NEST is not installed (not a test extra)")
    import pyNN.nest as nest_sim
    from bss1lab.experiments.coexecution import to_pynn

    mapped, _ = wafer_run
    realised = realised_network(mapped)
    # the Poisson trains of the wafer's run, as spike arrays, so both get one input
    drawn = run(realised, 150.0, wafer=Wafer.ideal(), seed=9, record_spikes="all")
    noise = next(p for p in realised.populations if p.label == "noise")
    first = sum(p.size for p in realised.populations[:2])     # E and I come first
    time, cell = drawn["spike_time"].values, drawn["spike_neuron"].values
    trains = [time[(cell == first + k) & (time > 0.1)] for k in range(noise.size)]
    network = with_source_trains(realised, "noise", trains)
    ideal = run(network, 150.0, wafer=Wafer.ideal(), seed=9)
    nest_sim.setup(timestep=0.1)
    built = to_pynn(network, nest_sim)
    cells = built["populations"]["E"] + built["populations"]["I"]
    cells.record("spikes")
    nest_sim.run(150.0)
    in_nest = [np.asarray(t.magnitude) for t in cells.get_data().segments[0].spiketrains]
    nest_sim.end()
    # same weights (uS), delays and parameters: the spike counts agree to a few
    # percent, what NEST's adaptive integrator and bss1lab's exponential Euler at
    # 0.1 ms make of the same input (a unit error would change them many-fold)
    counts = np.array([t.size for t in in_nest])
    expected = np.bincount(ideal["spike_neuron"].values, minlength=50)[:50]
    assert expected.sum() > 100
    assert abs(counts.sum() - expected.sum()) <= 0.05 * expected.sum()
    # the first spikes (before the network's chaos amplifies the difference) fall in
    # the same or the next step, a few where v grazes the threshold within 1 ms
    diffs = []
    for k, times in enumerate(in_nest):
        reference = ideal["spike_time"].values[ideal["spike_neuron"].values == k]
        if times.size and reference.size:
            diffs.append(times[0] - reference[0])
    diffs = np.abs(diffs)
    assert diffs.size >= 30 and np.all(diffs <= 1.0)
    assert np.mean(diffs <= 0.1 + 1e-9) >= 0.9
