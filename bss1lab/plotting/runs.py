"""Plots of one run or a comparison of runs: spikes, traces, rates, histograms."""

from __future__ import annotations

import numpy as np
import xarray as xr
from bokeh.models import ColumnDataSource, FactorRange, HoverTool, Legend, LegendItem
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from bss1lab.experiments import analysis
from bss1lab.experiments.window import window_of
from bss1lab.hardware.spec import SPEEDUP_NOMINAL

__all__ = ["Raster", "Traces", "PopulationRate", "Histogram", "Comparison",
           "population_colors", "WIDTH"]

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

    Each population is a renderer of its own, with numbers only in its columns (a
    column of labels would go to the browser, and through bokeh's serialiser, one
    string per spike); the legend hides a population on a click.

    Parameters
    ----------
    ds : xarray.Dataset, optional
        A result of ``run``; may be given later to :meth:`update`.
    max_spikes : int
        At most this many spikes are drawn (evenly thinned beyond, and said so in the
        title): a browser draws some 10^5 dots fluidly.
    title : str

    Attributes
    ----------
    sources : dict of str to ColumnDataSource
        Per population label, the spikes drawn (``time``, ``row``, ``local_index``,
        ``hardware_time``); the populations of earlier Datasets stay, empty.
    """

    def __init__(self, ds: xr.Dataset | None = None, *, max_spikes: int = 100_000,
                 title: str = "Spike raster") -> None:
        self.max_spikes = int(max_spikes)
        #: Spikes drawn, and spikes in the Datasets given since the last ``update``.
        self.shown, self.total = 0, 0
        self.sources: dict[str, ColumnDataSource] = {}
        self._renderers: dict = {}
        self._labels: list[str] = []  # the populations shown, in network order
        self.figure = figure(width=WIDTH, height=320, title=title,
                             x_axis_label="biological time (ms)", y_axis_label="neuron",
                             tools="pan,box_zoom,wheel_zoom,reset,save",
                             output_backend="webgl")
        self.figure.add_tools(HoverTool(tooltips=[
            ("population", "$name"), ("neuron", "@local_index"),
            ("time", "@time{0.0} ms"), ("on the wafer", "@hardware_time{0.000} us")]))
        self.legend = Legend(location="top_right", click_policy="hide")
        self.figure.add_layout(self.legend)
        self._title = title
        if ds is not None:
            self.update(ds)

    @staticmethod
    def _empty() -> dict:
        return {"time": [], "row": [], "local_index": [], "hardware_time": []}

    def _data(self, ds: xr.Dataset, limit: int) -> dict[str, dict]:
        """The columns of ``ds``'s spikes per population label (in network order),
        evenly thinned to at most ``limit`` in all."""
        record = window_of("Raster", ds, None, None)
        time, cell = record.spike_time, record.spike_cell
        if time.size > limit:
            keep = np.linspace(0, time.size - 1, max(limit, 0)).astype(np.int64)
            time, cell = time[keep], cell[keep]
        row_of_cell = np.cumsum(record.recorded) - 1  # a row per recorded cell, in order
        spike_code = record.pop_code[cell]
        local_index = ds.local_index.values
        data = {}
        for code, label in enumerate(record.labels):
            mine = spike_code == code
            data[str(label)] = {"time": time[mine], "row": row_of_cell[cell[mine]],
                                "local_index": local_index[cell[mine]],
                                "hardware_time": time[mine] / _speedup(ds) * 1e3}
        return data

    def _source(self, label: str) -> ColumnDataSource:
        """The source of population ``label``, made with its renderer the first time."""
        if label not in self.sources:
            self.sources[label] = ColumnDataSource(self._empty())
            self._renderers[label] = self.figure.scatter(
                "time", "row", source=self.sources[label], size=2, alpha=0.7, name=label)
        return self.sources[label]

    def _show_populations(self, labels: list[str]) -> None:
        """Colour and list in the legend the populations ``labels``, in this order
        (``population_colors``). The others' renderers are hidden; one shown before
        keeps its visibility (the legend hides it on a click), one new is shown."""
        colors = population_colors(labels)
        for label, renderer in self._renderers.items():
            renderer.visible = label in colors and (renderer.visible
                                                    or label not in self._labels)
            if label in colors:
                renderer.glyph.fill_color = renderer.glyph.line_color = colors[label]
        self.legend.items = [LegendItem(label=label, renderers=[self._renderers[label]])
                             for label in colors]
        self._labels = list(labels)

    def _drawn(self, column: str, dtype) -> np.ndarray:
        """``column`` of every population's spikes drawn, population after population."""
        return np.concatenate([np.asarray(s.data[column], dtype=dtype)
                               for s in self.sources.values()] or [np.empty(0, dtype)])

    def spike_times(self) -> np.ndarray:
        """The times of the spikes drawn (ms), time-sorted."""
        return np.sort(self._drawn("time", float))

    def rows(self) -> np.ndarray:
        """The rows of the spikes drawn (in no particular order)."""
        return self._drawn("row", np.int64)

    def _retitle(self) -> None:
        self.figure.title.text = (
            self._title if self.shown == self.total else
            f"{self._title} ({self.shown:,} of {self.total:,} spikes shown)")

    def update(self, ds: xr.Dataset) -> None:
        """Show the spikes of ``ds`` instead."""
        data = self._data(ds, self.max_spikes)
        for label in data:
            self._source(label)
        for label, source in self.sources.items():
            source.data = data.get(label, self._empty())
        self._show_populations(list(data))
        self.shown = sum(len(d["time"]) for d in data.values())
        self.total = int(ds.sizes.get("spike", 0))
        self._retitle()

    def stream(self, ds: xr.Dataset) -> None:
        """Add the spikes of ``ds`` (a later chunk of the same run) to those shown,
        within ``max_spikes`` in all (the title says how many are shown)."""
        data = self._data(ds, self.max_spikes - self.shown)
        new = [label for label in data if label not in self._labels]
        for label, columns in data.items():
            self._source(label).stream(columns)
        if new:  # a chunk's Dataset lists every recorded population: rarely taken
            self._show_populations([*self._labels, *new])
        self.shown += sum(len(d["time"]) for d in data.values())
        self.total += int(ds.sizes.get("spike", 0))
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
