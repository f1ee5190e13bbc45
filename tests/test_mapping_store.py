"""A mapping saved and loaded: the file holds the whole contract, runs bit-identically,
names its versions, and every field of MappedNetwork is accounted for."""

import dataclasses
import json
import warnings

import netCDF4
import numpy as np
import pytest

import bss1lab
from bss1lab.emulator.engine import Emulation
from bss1lab.experiments import run
from bss1lab.hardware import MappedNetwork, Wafer, store
from bss1lab.network import (AllToAllConnector, IF_cond_exp, Network, Population,
                             Projection, SpikeSourceArray)
from bss1lab.network.brunel import brunel_network
from bss1lab.network.microcircuit import microcircuit_network
from bss1lab.network.model import TsodyksMarkramSynapse

from conftest import small_balanced_network

SEED_NETWORKS = {
    "brunel hardware": lambda: brunel_network("hardware", n_neurons=300),
    "microcircuit hardware": lambda: microcircuit_network("hardware", N_scaling=0.02,
                                                          K_scaling=0.02),
    "small balanced": small_balanced_network,
}
#: The current-based originals run on the ideal reference only.
IDEAL_ONLY = {
    "brunel original": lambda: brunel_network("original", n_neurons=500),
    "microcircuit original": lambda: microcircuit_network(N_scaling=0.02, K_scaling=0.02),
}


@pytest.fixture(autouse=True)
def quiet_clipping():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def saved_and_loaded(mapped: MappedNetwork, tmp_path) -> MappedNetwork:
    path = tmp_path / "mapping.nc"
    mapped.save(path)
    return MappedNetwork.load(path)


def assert_same_spikes(a: MappedNetwork, b: MappedNetwork, duration: float = 150.0):
    first, second = Emulation(a, 9).run(duration), Emulation(b, 9).run(duration)
    assert first.spike_time.size > 0
    np.testing.assert_array_equal(first.spike_time, second.spike_time)
    np.testing.assert_array_equal(first.spike_cell, second.spike_cell)
    np.testing.assert_array_equal(first.input_dropped, second.input_dropped)


def assert_same(a, b, where="mapped"):
    """Deep equality of two saved values: arrays by value and dtype."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, bss1lab.network.cells.CellType):
        assert type(a) is type(b), where
    elif isinstance(a, bss1lab.network.model.StepCurrentSource):
        np.testing.assert_array_equal(a.times, b.times, err_msg=where)
        np.testing.assert_array_equal(a.amplitudes, b.amplitudes, err_msg=where)
    else:
        assert a == b, where


@pytest.mark.parametrize("name", list(SEED_NETWORKS))
@pytest.mark.parametrize("wafer", [Wafer(), Wafer.ideal()], ids=["wafer", "ideal"])
def test_a_loaded_seed_network_runs_bit_identically(name, wafer, tmp_path):
    mapped = wafer.map(SEED_NETWORKS[name](), seed=2)
    loaded = saved_and_loaded(mapped, tmp_path)
    assert_same(mapped, loaded)
    assert_same_spikes(mapped, loaded)


@pytest.mark.parametrize("name", list(IDEAL_ONLY))
def test_a_loaded_current_based_original_runs_bit_identically(name, tmp_path):
    mapped = Wafer.ideal().map(IDEAL_ONLY[name](), seed=2)
    loaded = saved_and_loaded(mapped, tmp_path)
    assert_same(mapped, loaded)
    assert_same_spikes(mapped, loaded, duration=50.0)


def test_a_saved_mapping_runs_through_run_as_the_original(tmp_path):
    network = brunel_network("hardware", n_neurons=300)
    path = tmp_path / "brunel.nc"
    original = run(network, 200.0, seed=4, save_mapping=path)
    as_saved = run(MappedNetwork.load(path), 200.0, seed=4)
    reconfigured = run(network, 200.0, seed=4, mapping=path)
    for ds in (as_saved, reconfigured):
        np.testing.assert_array_equal(ds.spike_time, original.spike_time)
        np.testing.assert_array_equal(ds.spike_neuron, original.spike_neuron)
        assert ds.attrs["synapses_lost"] == original.attrs["synapses_lost"]
    # the file's mapping was the first configuration; reconfiguring it costs less
    assert as_saved.attrs["configuration_time_s"] == 60.0
    assert reconfigured.attrs["configuration_time_s"] == 5.0


def test_a_reprogrammed_and_a_plastic_mapping_survive_the_file(tmp_path):
    stim = Population(5, SpikeSourceArray([[1.0 + i, 30.0] for i in range(5)]),
                      label="stim")
    cells = Population(20, IF_cond_exp(), label="cells")
    network = Network(stim, cells, Projection(
        stim, cells, AllToAllConnector(),
        TsodyksMarkramSynapse(weight=0.02, U=0.3, tau_rec=50.0, tau_facil=0.0)))
    mapped = Wafer().map(network, seed=1).reprogram(3)
    loaded = saved_and_loaded(mapped, tmp_path)
    assert loaded.report["trial"] == 3 and loaded.network.projection_plasticity[0][0] == 0.3
    assert_same(mapped, loaded)
    # a loaded mapping reprograms as the original does
    assert_same(mapped.reprogram(5).network, loaded.reprogram(5).network)


def test_the_file_holds_its_provenance(tmp_path):
    mapped = Wafer(seed=7).map(brunel_network("hardware", n_neurons=200), seed=3)
    path = tmp_path / "m.nc"
    mapped.save(path)
    facts = store.provenance(path)
    assert facts["format_version"] == store.FORMAT_VERSION
    assert facts["bss1lab_version"] == bss1lab.__version__
    assert facts["wafer_seed"] == 7 and facts["network_seed"] == "3"
    assert facts["wafer_description"] == mapped.wafer.describe()
    # the file is plain netCDF-4: groups any netCDF reader opens
    with netCDF4.Dataset(path) as nc:
        assert {"network", "requested", "wafer", "placement", "routing"} <= set(nc.groups)
        assert nc["network"]["weight"].dtype == np.float32


def test_a_file_of_another_format_version_is_refused_naming_both(tmp_path):
    path = tmp_path / "m.nc"
    Wafer.ideal().map(brunel_network("hardware", n_neurons=200), seed=3).save(path)
    with netCDF4.Dataset(path, "a") as nc:
        nc.format_version = np.int64(store.FORMAT_VERSION + 1)
    with pytest.raises(ValueError, match=f"version {store.FORMAT_VERSION + 1}.*"
                       f"version {store.FORMAT_VERSION} only"):
        MappedNetwork.load(path)


def test_a_netcdf_file_that_is_not_a_mapping_is_refused(tmp_path):
    path = tmp_path / "other.nc"
    with netCDF4.Dataset(path, "w") as nc:
        nc.title = "something else"
    with pytest.raises(ValueError, match="is not a saved mapping"):
        MappedNetwork.load(path)


def test_every_field_of_mapped_network_is_saved_or_listed_as_derived(tmp_path):
    """Fails when a field is added to MappedNetwork (or to the records it holds)
    that the file does not restore: save it, or list it in store.DERIVED."""
    mapped = Wafer().map(small_balanced_network(), seed=1)
    path = tmp_path / "m.nc"
    mapped.save(path)
    with netCDF4.Dataset(path) as nc:
        kinds = json.loads(nc.bss1lab_kinds)
    for f in dataclasses.fields(MappedNetwork):
        assert f.name in kinds or f.name in store.DERIVED, (
            f"MappedNetwork.{f.name} is neither saved nor in store.DERIVED")
        assert not (f.name in kinds and f.name in store.DERIVED), f.name
    assert_same(mapped, MappedNetwork.load(path))  # and each comes back as it was


def test_a_network_drawn_anew_for_each_run_is_saved_with_its_synapses(tmp_path):
    from bss1lab.network.realise import realise
    network = brunel_network("hardware", n_neurons=300)
    drawn_again = realise(network, 5, keep_synapses=False)
    mapped = MappedNetwork(drawn_again, Wafer.ideal(), report={"synapses_lost": 0})
    loaded = saved_and_loaded(mapped, tmp_path)
    assert loaded.network.synapses_kept and loaded.network.redraw == ()
    assert_same_spikes(mapped, loaded)
