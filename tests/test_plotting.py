"""The bokeh plots: built from Datasets, and redrawn in place from new ones."""

import functools

import numpy as np
import pytest

from bss1lab import plotting
from bss1lab.experiments import balanced_random_network, compare
from bss1lab.experiments.calibration import realised_parameters
from bss1lab.hardware import Wafer


@pytest.fixture(scope="module")
def runs():
    kwargs = dict(n_neurons=400, duration=200.0, seed=1, record_variables=["v"],
                  record_cells={"E": [0, 1, 2]})
    wafer = balanced_random_network(**kwargs)
    ideal = balanced_random_network(wafer=Wafer.ideal(), **kwargs)
    return wafer, ideal


def test_raster_shows_every_recorded_spike_and_redraws(runs):
    wafer, ideal = runs
    raster = plotting.Raster(wafer)
    assert raster.spike_times().size == wafer.sizes["spike"]
    figure = raster.figure
    raster.update(ideal)
    assert raster.figure is figure
    np.testing.assert_array_equal(raster.spike_times(), ideal.spike_time.values)
    # rows: one per recorded neuron, in network order
    assert raster.rows().max() < int(ideal.spikes_recorded.sum())
    thin = plotting.Raster(ideal, max_spikes=100)
    assert thin.spike_times().size == 100 and "100 of" in thin.figure.title.text


def test_a_raster_has_a_renderer_per_population_with_numbers_only(runs):
    wafer, _ = runs
    raster = plotting.Raster(wafer)
    assert sorted(raster.sources) == ["E", "I"]
    for label, source in raster.sources.items():
        # nothing per spike goes to the browser as text
        assert all(np.asarray(column).dtype.kind in "iuf" for column in source.data.values())
        mine = wafer.spike_population.values == label
        np.testing.assert_array_equal(source.data["time"], wafer.spike_time.values[mine])
    assert [item.label.value for item in raster.legend.items] == ["E", "I"]
    # a Dataset of other populations: theirs are shown, the earlier ones hidden and empty
    single = wafer.assign_coords(population=("neuron", np.where(
        wafer.population.values == "E", "exc", "inh")))
    raster.update(single)
    assert [item.label.value for item in raster.legend.items] == ["exc", "inh"]
    assert not any(r.visible for label, r in raster._renderers.items() if label in ("E", "I"))
    assert len(raster.sources["E"].data["time"]) == 0



def test_a_streamed_raster_stays_within_its_limit_and_its_title_says_so(runs):
    wafer, ideal = runs
    limit = wafer.sizes["spike"] + ideal.sizes["spike"] // 2
    raster = plotting.Raster(wafer, max_spikes=limit)
    assert raster.figure.title.text == "Spike raster"  # all shown
    raster.stream(ideal)  # a later chunk: only half of it fits
    shown = raster.spike_times().size
    total = wafer.sizes["spike"] + ideal.sizes["spike"]
    assert shown == limit
    assert raster.figure.title.text == f"Spike raster ({shown:,} of {total:,} spikes shown)"
    raster.update(ideal)  # a new run: title and data start afresh
    assert raster.spike_times().size == ideal.sizes["spike"]
    assert raster.figure.title.text == "Spike raster"


def test_traces_population_rate_and_histograms(runs):
    wafer, _ = runs
    traces = plotting.Traces(wafer, max_traces=2)
    assert len(traces.source.data["ys"]) == 2
    np.testing.assert_array_equal(traces.source.data["ys"][1], wafer.v.values[:, 1])
    with pytest.raises(ValueError, match="no 'w' trace"):
        plotting.Traces(wafer, variable="w")
    rate = plotting.PopulationRate(wafer, bin_ms=10.0)
    # the activity integrates back to the recorded spikes of each population
    for population, ys in zip(rate.source.data["population"], rate.source.data["ys"]):
        n = int((wafer.spikes_recorded & (wafer.population == population)).sum())
        spikes = int((wafer.spike_population == population).sum())
        assert np.sum(ys) * 10e-3 * n == pytest.approx(spikes, abs=1e-6 * spikes + 1e-9)
    histogram = plotting.Histogram(wafer, measure="cv", bins=10)
    tops = np.array(histogram.source.data["top"])
    assert tops.reshape(-1, 10).sum(axis=1) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="measure='isi'"):
        plotting.Histogram(wafer, measure="isi")


def test_comparison_wafer_map_and_calibration(runs):
    wafer, ideal = runs
    side_by_side = compare(wafer, ideal)
    bars = plotting.Comparison(side_by_side)
    assert set(bars.figure.x_range.factors) == {(p, r) for p in ("E", "I")
                                                for r in ("wafer", "ideal")}
    assert bars.source.data["value"][1] == pytest.approx(
        float(side_by_side.rate.sel(run="ideal", population="E")))
    wafer_map = plotting.WaferMap(wafer)
    assert wafer_map.source.data["neurons"].sum() == 400
    with pytest.raises(ValueError, match="Wafer.ideal"):
        wafer_map.update(ideal)
    parameters = realised_parameters(n_neurons=100)
    calibration = plotting.Calibration(parameters, parameter="tau_m", bins=20)
    tops = np.array(calibration.source.data["top"]).reshape(2, 20)
    assert tops.sum(axis=1) == pytest.approx(1.0)
    assert calibration.requested.data_source.data["x"] == [10.0]


def test_phase_diagram_of_a_sweep():
    from bss1lab.experiments import sweep
    experiment = functools.partial(balanced_random_network, n_neurons=200, duration=100.0,
                                   wafer=Wafer.ideal())
    result = sweep(experiment, progress=False, g=[4.0, 6.0], eta=[1.0, 2.0], workers=1)
    diagram = plotting.PhaseDiagram(result, variable="rate", population="E")
    assert len(diagram.source.data["value"]) == 4
    assert diagram.source.data["value"][3] == pytest.approx(
        float(result.rate.sel(population="E", g=6.0, eta=2.0)))
    assert set(diagram.source.data["label"]) <= {"AI", "SI", "SR", "AR", "silent",
                                                 "undetermined"}


def legend_row_width(legend, font_px=13.0):
    """A generous estimate of a legend's widest row, px: bokeh's default label font is
    13 px and its glyphs average under 0.6 em; each entry adds a 20 px glyph and
    padding (bokeh's default label_standoff, spacing and glyph_width sum to 35 px)."""
    labels = [item.label.value for item in legend.items]
    per_row = legend.ncols if legend.orientation == "horizontal" else 1
    per_row = per_row or len(labels)
    widths = [0.6 * font_px * len(label) + 35 for label in labels]
    return max(sum(widths[i:i + per_row]) for i in range(0, len(widths), per_row))


def test_legends_neither_cover_bars_nor_run_off_the_map(runs):
    from bokeh.models import Legend
    wafer, ideal = runs
    bars = plotting.Comparison(compare(wafer, ideal))
    assert any(isinstance(r, Legend) for r in bars.figure.right)  # beside the bars
    wafer_map = plotting.WaferMap(wafer)
    (legend,) = wafer_map.figure.below[-1:]
    assert isinstance(legend, Legend)
    assert legend_row_width(legend) <= wafer_map.figure.width


def test_a_population_hidden_in_the_legend_stays_hidden_in_the_next_run(runs):
    wafer, ideal = runs
    raster = plotting.Raster(wafer)
    raster._renderers["I"].visible = False  # what a click on the legend's "I" sends back
    raster.update(ideal)
    assert not raster._renderers["I"].visible and raster._renderers["E"].visible
    assert [item.label.value for item in raster.legend.items] == ["E", "I"]


def test_a_raster_of_part_of_a_dataset_draws_the_spikes_of_that_part(runs):
    wafer, _ = runs
    part = wafer.isel(neuron=slice(300, 400))  # the neuron coordinate no longer 0..n-1
    raster = plotting.Raster(part)
    inside = (wafer.spike_neuron.values >= 300) & (wafer.spike_neuron.values < 400)
    np.testing.assert_array_equal(raster.spike_times(), wafer.spike_time.values[inside])
    assert raster.rows().max() < int(part.spikes_recorded.sum())
    with pytest.raises(TypeError, match="xarray.Dataset"):
        plotting.Raster([1.0, 2.0])
