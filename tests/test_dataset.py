"""The result Dataset: schema, units, facts in attrs, netCDF round trip, import cost."""

import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from bss1lab.experiments import UNITS, run, single_neuron
from bss1lab.hardware import Wafer
from bss1lab.network import EIF_cond_exp_isfa_ista, Network, Population


def test_dataset_schema(small_network):
    ds = run(small_network, 300.0, wafer=Wafer.ideal(), seed=4,
             record_variables=["v", "gsyn_exc", "gsyn_inh"],
             record_cells={"E": [0, 1, 2], "I": [5]}, record_interval=0.5)
    assert ds.sizes["neuron"] == 160 + 40 + 200 + 20 + 4
    assert set(np.unique(ds.population.values)) == {"E", "I", "noise", "background",
                                                    "pulses"}
    # spikes: a flat list, time-sorted, of the neuron populations only (default)
    assert np.all(np.diff(ds.spike_time.values) >= 0)
    assert set(np.unique(ds.spike_population.values)) <= {"E", "I"}
    np.testing.assert_array_equal(ds.spike_population.values,
                                  ds.population.values[ds.spike_neuron.values])
    # rates from the counts of every cell, recorded or not
    np.testing.assert_allclose(ds.rate.values, ds.spike_count.values / 0.3)
    recorded = ds.spikes_recorded.values
    np.testing.assert_array_equal(np.bincount(ds.spike_neuron.values, minlength=424)[recorded],
                                  ds.spike_count.values[recorded])
    noise_rate = float(ds.rate.where(ds.population == "noise", drop=True).mean())
    assert noise_rate == pytest.approx(2500.0, rel=0.02)  # 200 x 750 spikes: 0.3 % sd
    # traces on a time axis with units, bio and hardware time
    assert ds.v.dims == ("time", "recorded") and ds.v.shape == (601, 4)
    np.testing.assert_allclose(ds.time.values, np.arange(601) * 0.5)
    np.testing.assert_allclose(ds.hardware_time.values, ds.time.values / 1e4 * 1e3)
    for name in ("spike_time", "rate", "v", "gsyn_exc", "time", "hardware_time"):
        assert ds[name].attrs["units"] == UNITS[name]
    for key in ("seed", "duration_ms", "wall_time_s", "synaptic_events", "dt_ms", "speedup",
                "wafer_duration_s", "spikes_emitted", "synapses"):
        assert key in ds.attrs
    assert ds.attrs["seed"] == 4 and ds.attrs["duration_ms"] == 300.0
    assert ds.attrs["wafer_duration_s"] == 300.0e-3 / 1e4
    assert ds.attrs["synaptic_events"] > 0


def test_netcdf_round_trip(tmp_path, small_network):
    ds = run(small_network, 100.0, wafer=Wafer.ideal(), record_variables=["v"],
             record_cells={"E": [3]})
    path = tmp_path / "result.nc"
    ds.to_netcdf(path)
    with xr.open_dataset(path) as back:
        xr.testing.assert_identical(ds, back.load())
    adex = single_neuron(EIF_cond_exp_isfa_ista(), 50.0, current=(10.0, 40.0, 1.0))
    adex.to_netcdf(tmp_path / "adex.nc")
    with xr.open_dataset(tmp_path / "adex.nc") as back:
        xr.testing.assert_identical(adex, back.load())


def test_seeds_are_recorded_and_reproduce(tmp_path):
    ds = single_neuron(EIF_cond_exp_isfa_ista(), 20.0, seed=None)
    assert isinstance(ds.attrs["seed"], int) and 0 <= ds.attrs["seed"] < 2**63
    ds.to_netcdf(tmp_path / "drawn_seed.nc")
    with pytest.raises(ValueError, match="seed=-3 must be an int >= 0"):
        single_neuron(EIF_cond_exp_isfa_ista(), 20.0, seed=-3)
    with pytest.raises(ValueError, match="run: duration='10' must be a number"):
        run(Network(Population(1, EIF_cond_exp_isfa_ista())), "10")


def test_single_neuron_records_every_state_variable():
    ds = single_neuron(EIF_cond_exp_isfa_ista(), 100.0, current=(20.0, 80.0, 2.0),
                       excitatory_spikes=[5.0], inhibitory_spikes=[10.0])
    assert {"v", "w", "gsyn_exc", "gsyn_inh"} <= set(ds.data_vars)
    assert ds.gsyn_exc.max() > 0 and ds.gsyn_inh.max() > 0
    spikes = ds.spike_time.values
    assert spikes.size > 3 and spikes.min() > 20.0 and spikes.max() < 82.0


def test_import_is_light():
    code = ("import sys, time; t = time.perf_counter(); import bss1lab; "
            "heavy = [m for m in ('bokeh', 'ipywidgets', 'jupyter_bokeh', 'IPython', "
            "'jupyter_client', 'ipykernel', 'xarray') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
