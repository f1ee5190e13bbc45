"""The panels: they run on a control's change, drop stale runs, and show code that
reproduces their result."""

import functools
import html
import json
import threading
import time

import numpy as np
import pytest

from bss1lab.hardware import Wafer

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
    assert panel.raster.spike_times().size > 0
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


def blocked_at_first():
    """Two events: a run sets ``reached`` when it gets somewhere and waits for ``go``."""
    return threading.Event(), threading.Event()


@pytest.mark.filterwarnings("ignore:Wafer.map")
def test_a_message_from_bokehjs_waits_while_a_run_changes_the_figures():
    panel = widgets.RandomNetworkPanel(duration=200.0, auto_run=False)
    panel.controls["n_neurons"].value = 500
    panel.wait(120)
    inside, go = blocked_at_first()
    show = panel._show

    def slow_show(ds, values):
        inside.set()
        assert go.wait(60)
        show(ds, values)

    panel._show = slow_show
    panel.start()
    assert inside.wait(120)
    # what jupyter_bokeh's comm handler does on the kernel's thread when BokehJS
    # moves a range
    model, x_range = panel.models[0], panel.raster.figure.x_range
    message = threading.Thread(target=model._sync_model, args=(model, {
        "event": "jsevent", "kind": "ModelChanged", "model": {"id": x_range.id},
        "attr": "start", "new": 5.0}, []))
    message.start()
    message.join(1.0)
    assert message.is_alive(), "a BokehJS message changed the document during a run's update"
    go.set()
    message.join(60)
    panel.wait(60)
    assert x_range.start == 5.0 and panel.error is None


@pytest.mark.filterwarnings("ignore:Wafer.map")
def test_rapid_changes_with_bokehjs_messages_in_between_end_in_the_last_run():
    panel = widgets.RandomNetworkPanel(duration=300.0, auto_run=False)
    model, raster = panel.models[0], panel.raster
    for i, variation in enumerate([1.0, 0.0, 1.0, 0.0, 0.5, 0.0]):
        panel.controls["variation"].value = variation
        for attr, new in (("start", float(i)), ("end", 300.0 + i)):
            model._sync_model(model, {"event": "jsevent", "kind": "ModelChanged",
                                      "model": {"id": raster.figure.x_range.id},
                                      "attr": attr, "new": new}, [])
    ds = panel.wait(300)
    assert panel.error is None and "variation x0," in ds.attrs["wafer"]
    assert panel.values["variation"] == 0.0
    # the raster shows the last run, and its title says so
    assert raster.spike_times().size == ds.sizes["spike"] == raster.total
    assert raster.figure.title.text == "spikes"


def test_a_bad_number_typed_into_a_panel_is_refused_in_words_next_to_its_control():
    panel = widgets.RandomNetworkPanel(auto_run=False)
    runs = []
    panel.start = lambda: runs.append(panel.values)
    controls = panel.controls
    for name, typed, message in (
            ("eta", "abc", "eta must be a number between 0.5 and 4; got 'abc'"),
            ("n_neurons", "-5", "neurons must be a whole number between 500 and 12500; "
                                "got '-5'"),
            ("n_neurons", "600.5", "got '600.5'"),
            ("variation", "2.5", "variation must be a number between 0 and 2; got '2.5'")):
        before = controls[name].value
        controls[name].text.value = typed
        assert controls[name].value == before and controls[name].slider.value == before
        assert message in html.unescape(controls[name].message.value)
        assert controls[name].message.layout.display != "none"
    assert runs == []
    controls["eta"].text.value = " 3.5 "
    assert controls["eta"].value == 3.5 and controls["eta"].slider.value == 3.5
    assert controls["eta"].text.value == "3.5" and controls["eta"].message.value == ""
    assert controls["eta"].message.layout.display == "none"
    assert [r["eta"] for r in runs] == [3.5]
    controls["n_neurons"].slider.value = 700  # dragging works as before
    assert runs[-1]["n_neurons"] == 700 and controls["n_neurons"].text.value == "700"
    with pytest.raises(ValueError, match="eta must be a number between 0.5 and 4; got 7"):
        controls["eta"].value = 7.0
    # a value the box shows rounded stays as it was set
    controls["eta"].value = 2 / 3
    assert controls["eta"].value == 2 / 3 and controls["eta"].text.value == "0.666667"


@pytest.mark.filterwarnings("ignore:Wafer.map")
def test_a_single_neuron_run_the_user_moved_on_from_stops_at_its_next_chunk(monkeypatch):
    import bss1lab.widgets.single_neuron as module
    finished = []
    real = module.single_neuron

    @functools.wraps(real)
    def recording(*args, **kwargs):
        ds = real(*args, **kwargs)
        finished.append(dict(ds.attrs))
        return ds

    monkeypatch.setattr(module, "single_neuron", recording)
    panel = widgets.SingleNeuronPanel(auto_run=False)
    reached, go = blocked_at_first()

    def stream(chunk):
        if not reached.is_set():
            reached.set()
            assert go.wait(60)

    panel._stream = stream
    panel.start()
    assert reached.wait(120), "the single-neuron run never reported a chunk"
    panel.controls["current"].value = 1.0  # the user moves on
    go.set()
    ds = panel.wait(120)
    first, second = finished
    # the user moved on while the first chunk was being shown: the run stops when it
    # reports its second chunk, 200 of 500 ms
    assert (first["stopped_early"], first["duration_ms"]) == (1, 200.0)
    assert (second["stopped_early"], second["duration_ms"]) == (0, 500.0)
    assert ds.attrs["duration_ms"] == 500.0


@pytest.mark.filterwarnings("ignore:Wafer.map")
def test_the_microcircuits_ideal_twin_stops_when_the_user_moves_on(monkeypatch):
    import bss1lab.widgets.microcircuit as module
    finished = []
    real = module.cortical_microcircuit
    reached, go = blocked_at_first()

    @functools.wraps(real)
    def recording(flavour, *, wafer=None, on_chunk=None, **kwargs):
        twin = flavour == "hardware" and wafer.is_ideal
        if flavour == "hardware" and not twin:
            wafer = Wafer.ideal()  # the wafer's own run, made cheap: the twin is tested

        def watched(chunk, fraction):
            if twin and not reached.is_set():
                reached.set()
                assert go.wait(60)
            return on_chunk(chunk, fraction)

        ds = real(flavour, wafer=wafer, on_chunk=watched if on_chunk else None, **kwargs)
        finished.append((twin, dict(ds.attrs)))
        return ds

    monkeypatch.setattr(module, "cortical_microcircuit", recording)
    panel = widgets.MicrocircuitPanel(duration=300.0, auto_run=False)
    panel.controls["N_scaling"].value = 0.02  # what the user moves on to: small
    panel.wait(120)
    finished.clear()
    panel.controls["flavour"].value = "hardware"
    assert reached.wait(300), "the ideal twin never reported a chunk"
    panel.controls["flavour"].value = "original"  # the user moves on
    go.set()
    ds = panel.wait(300)
    (wafer_is_twin, _), (twin_is_twin, twin) = finished[:2]
    assert not wafer_is_twin and twin_is_twin
    # the user moved on before the twin reported its first chunk: it stops there
    assert (twin["stopped_early"], twin["duration_ms"]) == (1, 100.0)
    assert ds.attrs["flavour"] == "original" and not ds.attrs["stopped_early"]
    assert len(finished) == 3


@pytest.mark.filterwarnings("ignore:Wafer.map")
def test_a_view_drawn_after_a_run_shows_the_runs_figures():
    from bokeh.document import Document
    panel = widgets.CalibrationPanel()
    panel.wait(60)
    panel.controls["parameter"].value = "tau_m"
    ds = panel.wait(60)
    # a view the browser draws now (first display, a reloaded page) starts from
    # the model's render_bundle
    (docs_json,) = panel.models[0].render_bundle["docs_json"].values()
    drawn = Document.from_json(docs_json)
    bars = drawn.get_model_by_id(panel.plot.source.id)
    assert len(bars.data["top"]) == 2 * panel.plot.bins
    assert np.sum(bars.data["top"]) == pytest.approx(2.0)  # each state's fractions
    assert drawn.get_model_by_id(panel.plot.figure.xaxis[0].id).axis_label == "tau_m (ms)"
    assert ds.attrs["wafer_seed"] == 0


@pytest.mark.filterwarnings("ignore:Wafer.map")
def test_a_finished_run_redraws_its_figures_with_ranges_that_follow_the_new_data():
    panel = widgets.MicrocircuitPanel(duration=300.0, auto_run=False)
    panel.start()
    panel.wait(300)
    model, y_range = panel.models[0], panel.rates.figure.y_range
    y_range.start = 0.0  # a limit set in Python
    # BokehJS sends back the extent it drew the first run's rates in
    model._sync_model(model, {"event": "jsevent", "kind": "ModelChanged",
                              "model": {"id": y_range.id}, "attr": "end", "new": 10.0}, [])
    panel.controls["flavour"].value = "hardware"  # rates above 10 Hz
    panel.wait(300)
    assert panel.error is None
    # the redrawn document leaves the end to follow the data, not fixed at 10 Hz
    assert np.isnan(y_range.end) and y_range.start == 0.0
    drawn = json.dumps(model.render_bundle)
    assert '"end": 10.0' not in drawn[drawn.index(f'"id": "{y_range.id}"'):][:200]
