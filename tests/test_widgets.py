"""The panels: they run on a control's change, drop stale runs, and show code that
reproduces their result."""

import time

import numpy as np
import pytest

widgets = pytest.importorskip("bss1lab.widgets")


def reproduce(panel):
    """Run the code a panel shows; return the Dataset it makes."""
    namespace = {}
    exec(panel.code_view.value, namespace)
    return namespace["ds"]


def assert_same_run(again, ds):
    """The code's Dataset is the panel's: the same variables, spikes and traces."""
    assert set(again.data_vars) == set(ds.data_vars)
    for variable in ("spike_time", "spike_neuron", "v", "w", "v_thresh", "tau_m"):
        if variable in ds:
            np.testing.assert_array_equal(again[variable].values, ds[variable].values)


@pytest.mark.filterwarnings("ignore:Wafer.map")
def test_random_network_panel_runs_on_change_and_shows_its_code():
    panel = widgets.RandomNetworkPanel(duration=200.0)
    first = panel.wait(60)
    assert panel.error is None and first is not None
    assert len(panel.raster.source.data["time"]) > 0
    assert "synapses lost" in panel.report.value
    # two quick changes: the first run is stopped and dropped, the last one is shown
    panel.controls["n_neurons"].value = 600
    time.sleep(0.05)
    panel.controls["g"].value = 6.0
    ds = panel.wait(60)
    assert (ds.attrs["g"], ds.attrs["n_neurons"]) == (6.0, 600)
    assert panel.progress.value == 1.0
    assert_same_run(reproduce(panel), ds)
    panel.controls["routing_loss"].value = False
    ds = panel.wait(60)
    assert ds.attrs["synapses_lost"] == 0
    assert "routing_loss" not in panel.code_view.value.split("Wafer(")[1].split(")")[0] \
        or "routing_loss=False" in panel.code_view.value


@pytest.mark.filterwarnings("ignore:Wafer.map")
@pytest.mark.parametrize("name", ["SingleNeuronPanel", "CalibrationPanel",
                                  "MicrocircuitPanel"])
def test_every_panel_reproduces_its_dataset_from_its_code(name):
    kwargs = {"duration": 300.0} if name == "MicrocircuitPanel" else {}
    panel = getattr(widgets, name)(**kwargs)
    ds = panel.wait(120)
    assert panel.error is None, panel.error
    again = reproduce(panel)
    assert_same_run(again, ds)
    assert isinstance(panel, widgets.Panel) and len(panel.children) == 5


@pytest.mark.filterwarnings("ignore:Wafer.map")
def test_a_failing_run_is_shown_not_raised():
    panel = widgets.SingleNeuronPanel(auto_run=False)
    panel.controls["current"].value = 1.0
    panel.wait(30)
    assert panel.error is None
    panel._experiment = lambda calls, on_chunk: (_ for _ in ()).throw(
        ValueError("current=-1 nA"))
    panel.start()
    panel.wait(30)
    assert "current=-1 nA" in panel.error and panel.progress.bar_style == "danger"
