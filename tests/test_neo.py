"""Results both ways between xarray and Neo: a round trip keeps what both hold, and
elephant's statistics on the converted block are bss1lab's own."""

import numpy as np
import pytest

neo = pytest.importorskip("neo")

from bss1lab import network as bss  # noqa: E402
from bss1lab.experiments import cv_isi, firing_rates, run  # noqa: E402
from bss1lab.experiments.neo import from_neo, to_neo  # noqa: E402
from bss1lab.hardware import Wafer  # noqa: E402


@pytest.fixture(scope="module")
def ds():
    cell = bss.IF_cond_exp(tau_m=10.0, v_thresh=-55.0, v_reset=-70.0, cm=0.2,
                           tau_refrac=2.0)
    exc = bss.Population(12, cell, label="E")
    inh = bss.Population(4, cell, label="I")
    noise = bss.Population(16, bss.SpikeSourcePoisson(rate=500.0), label="noise")
    net = bss.Network(exc, inh, noise,
                      bss.Projection(noise, exc, bss.FromListConnector(
                          [(i, i) for i in range(12)]), bss.StaticSynapse(0.02, 1.0)),
                      bss.Projection(noise, inh, bss.FromListConnector(
                          [(12 + i, i) for i in range(4)]), bss.StaticSynapse(0.02, 1.0)))
    return run(net, 300.0, wafer=Wafer(seed=2), seed=5, record_variables=["v"],
               record_cells={"E": [0, 3], "I": [1]}, record_interval=1.0)


def test_to_neo_and_back_keeps_spikes_traces_and_neuron_coordinates(ds):
    back = from_neo(to_neo(ds))
    for name in ("spike_time", "spike_neuron", "spike_count", "recorded_spike_count",
                 "population", "local_index", "hicann", "spikes_recorded", "v", "time",
                 "recorded"):
        np.testing.assert_array_equal(back[name].values, ds[name].values, err_msg=name)
    for fact in ("start_ms", "duration_ms", "seed", "synapses_lost", "wafer"):
        assert back.attrs[fact] == ds.attrs[fact]
    np.testing.assert_allclose(back["rate"].values, ds["rate"].values, rtol=1e-12)


def test_to_neo_gives_one_train_per_recorded_neuron_with_pynns_annotations(ds):
    block = to_neo(ds)
    trains = block.segments[0].spiketrains
    assert len(trains) == 16  # E and I: the sources are not recorded by default
    assert trains[12].annotations["source_population"] == "I"
    assert trains[12].annotations["source_index"] == 0
    assert sum(t.size for t in trains) == ds.attrs["spikes_recorded"]
    assert {s.annotations["source_population"] for s in block.segments[0].analogsignals} \
        == {"E", "I"}


def test_elephant_reads_the_rates_and_cvs_bss1lab_computes(ds):
    statistics = pytest.importorskip("elephant.statistics")
    import quantities as pq

    trains = to_neo(ds).segments[0].spiketrains
    ours = firing_rates(ds).values
    theirs = [float(statistics.mean_firing_rate(t).rescale(pq.Hz)) for t in trains]
    np.testing.assert_allclose(theirs, ours, rtol=1e-12)
    cv = cv_isi(ds, min_spikes=3).values
    elephant_cv = np.array([statistics.cv(statistics.isi(t)) if t.size >= 3 else np.nan
                            for t in trains])
    assert np.isfinite(cv).sum() > 10
    np.testing.assert_allclose(elephant_cv, cv, rtol=1e-9)


def test_from_neo_reads_a_pynn_block():
    pytest.importorskip("pyNN")
    import bss1lab.pynn as sim

    sim.setup(wafer=Wafer.ideal(), seed=1)
    cells = sim.Population(5, sim.IF_cond_exp(tau_m=10.0, v_thresh=-60.0, cm=0.2),
                           label="cells")
    cells.record(["spikes", "v"])
    sim.DCSource(amplitude=0.3).inject_into(cells)
    sim.run(50.0)
    ds = from_neo(cells.get_data())
    block_trains = cells.get_data().segments[0].spiketrains
    assert ds.sizes["neuron"] == 5 and ds.sizes["recorded"] == 5
    assert ds["spike_time"].size == sum(t.size for t in block_trains) > 5
    assert list(ds["population"].values) == ["cells"] * 5
    np.testing.assert_allclose(firing_rates(ds).values,
                               [t.size / 0.05 for t in block_trains])
