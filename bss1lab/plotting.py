"""bokeh figures of the result Datasets.

Each plot is a small object: build it from a Dataset, show ``plot.figure`` (in a
notebook as ``bss1lab.widgets.Figure(plot.figure)``, which brings BokehJS into the
page; in a panel; or saved as HTML), and call
``plot.update(ds)`` with a new Dataset to redraw it in place (the figure's data
sources change; the figure, its tools and the user's zoom stay). Times are
biological; hovering shows the same instant on the wafer (biological time /
speed-up).

Plots: :class:`Raster`, :class:`Traces`, :class:`PopulationRate`,
:class:`Histogram` (rates or CVs per population), :class:`Comparison` (wafer vs
ideal, and a published reference), :class:`WaferMap` (HICANN grid with the wafer's
losses as layers), :class:`PhaseDiagram` (a g x eta sweep) and
:class:`Calibration` (a parameter's spread before and after calibration).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from bokeh.models import (BasicTicker, ColorBar, ColumnDataSource, FactorRange,
                          HoverTool, LinearColorMapper, Range1d)
from bokeh.palettes import Category10_10, Viridis256
from bokeh.plotting import figure

from bss1lab.experiments import analysis
from bss1lab.hardware.spec import SPEEDUP_NOMINAL

__all__ = ["Raster", "Traces", "PopulationRate", "Histogram", "Comparison", "WaferMap",
           "PhaseDiagram", "Calibration", "population_colors"]

#: Width of the figures, px (they fit a notebook cell and a panel's column).
WIDTH = 640


def population_colors(populations) -> dict[str, str]:
    """A stable colour per population label (Category10, in order of appearance)."""
    return {p: Category10_10[i % 10] for i, p in enumerate(dict.fromkeys(populations))}


def _speedup(ds: xr.Dataset | None) -> float:
    return float(ds.attrs.get("speedup", SPEEDUP_NOMINAL)) if ds is not None else SPEEDUP_NOMINAL


class Raster:
    """Spike raster: one dot per recorded spike, a row per neuron, populations stacked
    and coloured; hovering names the neuron and gives bio and wafer time.

    Parameters
    ----------
    ds : xarray.Dataset, optional
        A result of ``run``; may be given later to :meth:`update`.
    max_spikes : int
        At most this many spikes are drawn (evenly thinned beyond, and said so in the
        title): a browser draws some 10^5 dots fluidly.
    title : str
    """

    def __init__(self, ds: xr.Dataset | None = None, *, max_spikes: int = 100_000,
                 title: str = "Spike raster") -> None:
        self.max_spikes = int(max_spikes)
        #: Spikes drawn, and spikes in the Datasets given since the last ``update``.
        self.shown, self.total = 0, 0
        self.source = ColumnDataSource(self._empty())
        self.figure = figure(width=WIDTH, height=320, title=title,
                             x_axis_label="biological time (ms)", y_axis_label="neuron",
                             tools="pan,box_zoom,wheel_zoom,reset,save",
                             output_backend="webgl")
        self.figure.scatter("time", "row", source=self.source, color="color", size=2,
                            alpha=0.7, legend_field="population")
        self.figure.add_tools(HoverTool(tooltips=[
            ("population", "@population"), ("neuron", "@local_index"),
            ("time", "@time{0.0} ms"), ("on the wafer", "@hardware_time{0.000} us")]))
        self.figure.legend.location = "top_right"
        self.figure.legend.click_policy = "hide"
        self._title = title
        if ds is not None:
            self.update(ds)

    @staticmethod
    def _empty() -> dict:
        return {"time": [], "row": [], "population": [], "local_index": [],
                "hardware_time": [], "color": []}

    def _data(self, ds: xr.Dataset, limit: int) -> dict:
        """The columns of ``ds``'s spikes, evenly thinned to at most ``limit``."""
        recorded = ds.spikes_recorded.values
        # rows: recorded cells only, in network order
        row_of_cell = np.cumsum(recorded) - 1
        time = ds.spike_time.values
        cell = ds.spike_neuron.values
        keep = slice(None)
        if time.size > limit:
            keep = np.linspace(0, time.size - 1, max(limit, 0)).astype(np.int64)
        populations = ds.population.values
        colors = population_colors(populations[recorded])
        population = populations[cell[keep]]
        return {"time": time[keep], "row": row_of_cell[cell[keep]],
                "population": population,
                "local_index": ds.local_index.values[cell[keep]],
                "hardware_time": time[keep] / _speedup(ds) * 1e3,
                "color": np.array([colors[p] for p in population], dtype=object)}

    def _retitle(self) -> None:
        self.figure.title.text = (
            self._title if self.shown == self.total else
            f"{self._title} ({self.shown:,} of {self.total:,} spikes shown)")

    def update(self, ds: xr.Dataset) -> None:
        """Show the spikes of ``ds`` instead."""
        data = self._data(ds, self.max_spikes)
        self.shown, self.total = len(data["time"]), int(ds.sizes.get("spike", 0))
        self.source.data = data
        self._retitle()

    def stream(self, ds: xr.Dataset) -> None:
        """Add the spikes of ``ds`` (a later chunk of the same run) to those shown,
        within ``max_spikes`` in all (the title says how many are shown)."""
        data = self._data(ds, self.max_spikes - self.shown)
        self.shown += len(data["time"])
        self.total += int(ds.sizes.get("spike", 0))
        self.source.stream(data)
        self._retitle()


class Traces:
    """Membrane potential (or another traced variable) of the recorded neurons.

    Parameters
    ----------
    ds : xarray.Dataset, optional
        A result with traces (``record_variables``).
    variable : str
        ``"v"``, ``"gsyn_exc"``, ``"gsyn_inh"``, ``"w"``, ...
    max_traces : int
        Draw at most this many recorded cells.
    """

    def __init__(self, ds: xr.Dataset | None = None, *, variable: str = "v",
                 max_traces: int = 5, title: str | None = None) -> None:
        self.variable = variable
        self.max_traces = int(max_traces)
        self._title = title or f"{variable} traces"
        self.source = ColumnDataSource({"xs": [], "ys": [], "label": [], "color": []})
        self.figure = figure(width=WIDTH, height=260, title=self._title,
                             x_axis_label="biological time (ms)",
                             tools="pan,box_zoom,wheel_zoom,reset,save")
        self.figure.multi_line("xs", "ys", source=self.source, color="color",
                               legend_field="label", line_width=1.5)
        self.figure.add_tools(HoverTool(tooltips=[
            ("cell", "@label"), ("time", "$x{0.0} ms"), (variable, "$y{0.00}")],
            line_policy="nearest"))
        self.figure.legend.location = "top_right"
        if ds is not None:
            self.update(ds)

    def update(self, ds: xr.Dataset) -> None:
        if self.variable not in ds:
            raise ValueError(f"Traces: the Dataset has no {self.variable!r} trace; traced: "
                             f"{[v for v in ds.data_vars if 'time' in ds[v].dims]}")
        values = ds[self.variable]
        n = min(self.max_traces, values.sizes["recorded"])
        time = ds.time.values
        labels = [f"{p} {int(i)}" for p, i in zip(
            ds.recorded_population.values[:n], ds.local_index.values[ds.recorded.values[:n]])]
        self.source.data = {"xs": [time] * n,
                            "ys": [values.values[:, j] for j in range(n)],
                            "label": labels,
                            "color": [Category10_10[j % 10] for j in range(n)]}
        units = values.attrs.get("units", "")
        self.figure.yaxis.axis_label = f"{self.variable} ({units})"
        speedup = _speedup(ds)
        self.figure.title.text = (f"{self._title} ({time[-1] if time.size else 0:.0f} ms of "
                                  f"biology, {time[-1] / speedup * 1e3 if time.size else 0:.3g}"
                                  " us on the wafer)")


class PopulationRate:
    """Population activity (Hz per neuron) over time, one line per population."""

    def __init__(self, ds: xr.Dataset | None = None, *, bin_ms: float = 5.0,
                 title: str = "Population rate") -> None:
        self.bin_ms = float(bin_ms)
        self.source = ColumnDataSource({"xs": [], "ys": [], "population": [], "color": []})
        self.figure = figure(width=WIDTH, height=220, title=title,
                             x_axis_label="biological time (ms)",
                             y_axis_label="rate (Hz per neuron)",
                             tools="pan,box_zoom,wheel_zoom,reset,save")
        self.figure.multi_line("xs", "ys", source=self.source, color="color",
                               legend_field="population", line_width=1.5)
        self.figure.legend.location = "top_right"
        if ds is not None:
            self.update(ds)

    def update(self, ds: xr.Dataset) -> None:
        activity = analysis.population_activity(ds, bin_ms=self.bin_ms)
        colors = population_colors(ds.population.values[ds.spikes_recorded.values])
        pops = list(activity.population.values)
        self.source.data = {"xs": [activity.time.values] * len(pops),
                            "ys": [activity.sel(population=p).values for p in pops],
                            "population": pops, "color": [colors[p] for p in pops]}


class Histogram:
    """Distribution of a per-neuron measure, one histogram per population.

    Parameters
    ----------
    measure : {"rate", "cv"}
        Firing rate (Hz) or CV of the inter-spike intervals.
    bins : int
    """

    MEASURES = {"rate": ("firing rate (Hz)", analysis.firing_rates),
                "cv": ("CV of ISI", analysis.cv_isi)}

    def __init__(self, ds: xr.Dataset | None = None, *, measure: str = "rate",
                 bins: int = 30, title: str | None = None) -> None:
        if measure not in self.MEASURES:
            raise ValueError(f"Histogram: measure={measure!r}; allowed: {list(self.MEASURES)}")
        self.measure = measure
        self.bins = int(bins)
        label, _ = self.MEASURES[measure]
        self.source = ColumnDataSource({"left": [], "right": [], "top": [], "population": [],
                                        "color": []})
        self.figure = figure(width=WIDTH // 2, height=240, title=title or label,
                             x_axis_label=label, y_axis_label="fraction of neurons",
                             tools="pan,box_zoom,reset,save")
        self.figure.quad(left="left", right="right", bottom=0, top="top", color="color",
                         alpha=0.45, legend_field="population", source=self.source)
        self.figure.legend.location = "top_right"
        if ds is not None:
            self.update(ds)

    def update(self, ds: xr.Dataset) -> None:
        _, compute = self.MEASURES[self.measure]
        values = compute(ds)
        finite = values.values[np.isfinite(values.values)]
        edges = np.histogram_bin_edges(finite if finite.size else [0.0, 1.0], self.bins)
        colors = population_colors(ds.population.values[ds.spikes_recorded.values])
        data = {key: [] for key in self.source.data}
        for population in dict.fromkeys(values.population.values):
            v = values.values[values.population.values == population]
            v = v[np.isfinite(v)]
            counts, _ = np.histogram(v, edges)
            data["left"] += list(edges[:-1])
            data["right"] += list(edges[1:])
            data["top"] += list(counts / max(v.size, 1))
            data["population"] += [population] * counts.size
            data["color"] += [colors[population]] * counts.size
        self.source.data = data


class Comparison:
    """Per-population bars of one measure in several runs side by side: the output of
    ``compare`` (wafer vs ideal), optionally with a published reference.

    Parameters
    ----------
    comparison : xarray.Dataset, optional
        dims ``run`` x ``population`` (``compare``'s result).
    variable : str
        ``"rate"``, ``"cv_isi"``, ``"synchrony"``, ...
    reference : xarray.DataArray, optional
        Per-population values drawn as a third bar (e.g. published rates), with a
        ``population`` dimension or a ``population_name`` one.
    """

    def __init__(self, comparison: xr.Dataset | None = None, *, variable: str = "rate",
                 reference: xr.DataArray | None = None, title: str | None = None) -> None:
        self.variable = variable
        self.reference = reference
        self.source = ColumnDataSource({"x": [], "value": [], "run": [], "color": []})
        self.figure = figure(width=WIDTH, height=260, x_range=FactorRange(),
                             title=title or f"{variable}: wafer vs ideal",
                             tools="save", tooltips=[("", "@x"), (variable, "@value")])
        self.figure.vbar(x="x", top="value", width=0.9, color="color", source=self.source,
                         legend_field="run")
        self.figure.xaxis.major_label_orientation = 0.8
        self.figure.add_layout(self.figure.legend[0], "right")  # never over a bar
        if comparison is not None:
            self.update(comparison)

    def update(self, comparison: xr.Dataset) -> None:
        values = comparison[self.variable]
        runs = [str(r) for r in values.run.values]
        populations = [str(p) for p in values.population.values]
        if self.reference is not None:
            runs = runs + ["reference"]
        palette = {"wafer": "#d95f02", "ideal": "#1b9e77", "reference": "#7570b3"}
        data = {"x": [], "value": [], "run": [], "color": []}
        for p in populations:
            for r in runs:
                if r == "reference":
                    ref = self.reference
                    dim = "population" if "population" in ref.dims else "population_name"
                    if p not in ref[dim].values:
                        continue
                    v = float(ref.sel({dim: p}))
                else:
                    v = float(values.sel(run=r, population=p))
                data["x"].append((p, r))
                data["value"].append(v)
                data["run"].append(r)
                data["color"].append(palette.get(r, "#666666"))
        self.figure.x_range.factors = [(p, r) for p in populations for r in runs
                                       if (p, r) in data["x"]]
        self.source.data = data


class WaferMap:
    """The wafer's HICANNs on their grid, coloured by what a run placed there, with
    the wafer's limits as layers that the legend switches: spikes the readout
    dropped, input spikes dropped, synapse drivers short.

    Parameters
    ----------
    ds : xarray.Dataset, optional
        A result on the emulated wafer: it carries the ``hicann_*`` variables and the
        HICANNs' grid positions (coordinates ``hicann_x``, ``hicann_y``). The map
        shows the wafer of the first Dataset it is given.
    """

    def __init__(self, ds: xr.Dataset | None = None, *, title: str = "The wafer") -> None:
        self.source = ColumnDataSource({name: [] for name in (
            "x", "y", "hicann", "neurons", "readout_dropped", "input_dropped",
            "drivers_short", "readout_size", "input_size", "drivers_size")})
        self.mapper = LinearColorMapper(palette=Viridis256, low=0, high=1,
                                        low_color="#eeeeee")
        self.figure = figure(width=WIDTH, height=WIDTH // 2 + 100,
                             title=title, x_range=Range1d(-1, 1), y_range=Range1d(1, -1),
                             tools="save", match_aspect=True,
                             tooltips=[("HICANN", "@hicann"), ("neurons", "@neurons"),
                                       ("readout dropped", "@readout_dropped"),
                                       ("input dropped", "@input_dropped"),
                                       ("drivers short", "@drivers_short")])
        self.figure.rect("x", "y", 0.92, 0.92, source=self.source, line_color="#999999",
                         fill_color={"field": "neurons", "transform": self.mapper},
                         legend_label="neurons placed")
        for field, color, label in (("readout_size", "#d62728", "readout spikes dropped"),
                                    ("input_size", "#ff7f0e", "input spikes dropped"),
                                    ("drivers_size", "#9467bd", "synapse drivers short")):
            self.figure.scatter("x", "y", size=field, source=self.source, color=color,
                                alpha=0.6, legend_label=label)
        self.figure.add_layout(ColorBar(color_mapper=self.mapper, ticker=BasicTicker(),
                                        title="neurons"), "right")
        self.figure.legend.click_policy = "hide"
        self.figure.legend.orientation = "horizontal"
        self.figure.legend.ncols = 2  # the four entries in one row are wider than the map
        self.figure.add_layout(self.figure.legend[0], "below")
        self.figure.axis.visible = False
        self.figure.grid.visible = False
        if ds is not None:
            self.update(ds)

    @staticmethod
    def _size(values: np.ndarray) -> np.ndarray:
        top = values.max()
        return np.where(values > 0, 4 + 10 * np.sqrt(values / top), 0) if top > 0 else \
            np.zeros_like(values, dtype=float)

    def update(self, ds: xr.Dataset) -> None:
        if "hicann_neurons_placed" not in ds:
            raise ValueError("WaferMap: the Dataset has no hicann_* variables: it was run "
                             "on Wafer.ideal(), which places nothing on HICANNs")
        x, y = ds.hicann_x.values, ds.hicann_y.values
        columns, rows = int(x.max()) + 1, int(y.max()) + 1
        self.figure.x_range.update(start=-1, end=columns)
        self.figure.y_range.update(start=rows, end=-1)
        self.figure.height = int(WIDTH * rows / columns) + 100
        neurons = ds.hicann_neurons_placed.values.astype(float)
        readout = ds.hicann_readout_dropped.values.astype(float)
        inputs = ds.hicann_input_dropped.values.astype(float)
        short = (ds.hicann_drivers_needed - ds.hicann_drivers_used).values.astype(float)
        self.mapper.low, self.mapper.high = 0.5, max(float(neurons.max()), 1.0)
        self.source.data = dict(
            x=x, y=y, hicann=ds.wafer_hicann.values, neurons=neurons,
            readout_dropped=readout, input_dropped=inputs, drivers_short=short,
            readout_size=self._size(readout), input_size=self._size(inputs),
            drivers_size=self._size(short))


class PhaseDiagram:
    """A measure over a two-parameter sweep (e.g. ``g`` x ``eta``) as a heat map, with
    each point's regime written on it.

    Parameters
    ----------
    sweep : xarray.Dataset, optional
        ``sweep``'s result (default reduction: ``population_summary``).
    variable : str
        What colours the map (``"rate"``, ``"cv_isi"``, ``"synchrony"``).
    population : str
    x, y : str
        The two grid dimensions (default: the sweep's first two).
    """

    def __init__(self, sweep: xr.Dataset | None = None, *, variable: str = "rate",
                 population: str = "E", x: str | None = None, y: str | None = None,
                 title: str | None = None) -> None:
        self.variable, self.population, self.x, self.y = variable, population, x, y
        self.source = ColumnDataSource({"x": [], "y": [], "value": [], "label": [],
                                        "width": [], "height": []})
        self.mapper = LinearColorMapper(palette=Viridis256, low=0, high=1)
        self.figure = figure(width=WIDTH // 2 + 120, height=WIDTH // 2 + 40,
                             title=title or f"{variable} of {population}",
                             tools="save", tooltips=[("value", "@value"),
                                                           ("regime", "@label")])
        self.figure.rect("x", "y", "width", "height", source=self.source,
                         fill_color={"field": "value", "transform": self.mapper},
                         line_color=None)
        self.figure.text("x", "y", text="label", source=self.source, text_align="center",
                         text_baseline="middle", text_color="white", text_font_size="9pt")
        self.figure.add_layout(ColorBar(color_mapper=self.mapper, title=variable), "right")
        if sweep is not None:
            self.update(sweep)

    def update(self, sweep: xr.Dataset) -> None:
        values = sweep[self.variable].sel(population=self.population)
        dims = [d for d in values.dims]
        x = self.x or dims[0]
        y = self.y or dims[1]
        values = values.transpose(x, y)
        xs, ys = values[x].values.astype(float), values[y].values.astype(float)
        gx, gy = np.meshgrid(xs, ys, indexing="ij")
        width = np.min(np.diff(xs)) if xs.size > 1 else 1.0
        height = np.min(np.diff(ys)) if ys.size > 1 else 1.0
        labels = (sweep["regime"].sel(population=self.population).transpose(x, y).values
                  .ravel().astype(str) if "regime" in sweep else [""] * gx.size)
        v = values.values.ravel().astype(float)
        finite = v[np.isfinite(v)]
        self.mapper.low = float(finite.min()) if finite.size else 0.0
        self.mapper.high = float(finite.max()) if finite.size else 1.0
        self.source.data = {"x": gx.ravel(), "y": gy.ravel(), "value": v,
                            "label": list(labels), "width": [width * 0.95] * gx.size,
                            "height": [height * 0.95] * gx.size}
        self.figure.xaxis.axis_label = x
        self.figure.yaxis.axis_label = y


class Calibration:
    """One neuron parameter across a population, uncalibrated and calibrated: the
    output of ``experiments.realised_parameters``.

    Parameters
    ----------
    parameters : xarray.Dataset, optional
    parameter : str
        ``"v_thresh"``, ``"tau_m"``, ``"v_reset"``, ...
    bins : int
    """

    COLORS = {"uncalibrated": "#d95f02", "calibrated": "#1b9e77"}

    def __init__(self, parameters: xr.Dataset | None = None, *, parameter: str = "v_thresh",
                 bins: int = 40) -> None:
        self.parameter = parameter
        self.bins = int(bins)
        self.source = ColumnDataSource({"left": [], "right": [], "top": [], "state": [],
                                        "color": []})
        self.figure = figure(width=WIDTH, height=260, y_axis_label="fraction of neurons",
                             tools="pan,box_zoom,reset,save",
                             tooltips=[("", "@state"), ("fraction", "@top{0.000}")])
        self.figure.quad(left="left", right="right", bottom=0, top="top", color="color",
                         alpha=0.5, legend_field="state", source=self.source)
        self.requested = self.figure.ray(x=[0.0], y=[0.0], angle=np.pi / 2, length=0,
                                         color="black", line_dash="dashed", line_width=2)
        if parameters is not None:
            self.update(parameters)

    def update(self, parameters: xr.Dataset) -> None:
        if self.parameter not in parameters:
            raise ValueError(f"Calibration: no parameter {self.parameter!r}; the Dataset "
                             f"has {list(parameters.data_vars)}")
        values = parameters[self.parameter]
        edges = np.histogram_bin_edges(values.values, self.bins)
        data = {key: [] for key in self.source.data}
        for state in values.calibration.values:
            v = values.sel(calibration=state).values
            counts, _ = np.histogram(v, edges)
            label = f"{state} (sd {v.std():.3g} {values.attrs.get('units', '')})"
            data["left"] += list(edges[:-1])
            data["right"] += list(edges[1:])
            data["top"] += list(counts / v.size)
            data["state"] += [label] * counts.size
            data["color"] += [self.COLORS.get(str(state), "#666666")] * counts.size
        self.source.data = data
        self.requested.data_source.data = {"x": [values.attrs.get("requested", 0.0)],
                                           "y": [0.0]}
        self.figure.xaxis.axis_label = f"{self.parameter} ({values.attrs.get('units', '')})"
        self.figure.title.text = (f"{self.parameter} of {values.sizes['neuron']} neurons "
                                  "(dashed: requested)")
