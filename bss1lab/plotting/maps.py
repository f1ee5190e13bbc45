"""Maps and parameter plots: the wafer's HICANN grid, a sweep's phase diagram, a
parameter's calibration."""

from __future__ import annotations

import numpy as np
import xarray as xr
from bokeh.models import (BasicTicker, ColorBar, ColumnDataSource, LinearColorMapper,
                          Range1d)
from bokeh.palettes import Viridis256
from bokeh.plotting import figure

from bss1lab.plotting.runs import WIDTH

__all__ = ["WaferMap", "PhaseDiagram", "Calibration"]


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
