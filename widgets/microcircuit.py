"""The cortical microcircuit: scaling, background, wafer or ideal; rates against the
published reference and the ideal run."""

from __future__ import annotations

import ipywidgets as w
import xarray as xr
from bokeh.layouts import column

from bss1lab.experiments import compare, cortical_microcircuit, population_summary
from bss1lab.hardware import Wafer
from bss1lab.network.microcircuit import POPULATIONS
from bss1lab.plotting import Comparison, Raster

from .base import Panel
from .calls import Call
from .controls import STYLE, number, variation_slider
from .random_network import hardware_report

__all__ = ["MicrocircuitPanel"]


class MicrocircuitPanel(Panel):
    """Potjans & Diesmann's microcircuit, original (ideal reference) or as the wafer ran
    it, with each population's rate next to the full model's published rate and,
    for the wafer version, its ideal twin.

    Controls: version, neuron and in-degree scaling (original), background (Poisson
    or DC), the scale of the fixed-pattern noise (wafer version), duration.
    """

    title = "The cortical microcircuit"

    def __init__(self, *, duration: float = 1000.0, auto_run: bool = True) -> None:
        self.duration = float(duration)
        super().__init__(auto_run=auto_run)

    def _build(self) -> list:
        self.controls = {
            "flavour": w.ToggleButtons(options=["original", "hardware"], value="original",
                                       style={"button_width": "110px"}),
            "N_scaling": number("N scaling", 0.05, 0.02, 0.2, 0.01),
            "K_scaling": number("K scaling", 0.5, 0.1, 1.0, 0.05),
            "background": w.Dropdown(options=["poisson", "dc"], value="poisson",
                                     description="background", style=STYLE),
            "variation": variation_slider(),
            "duration": number("duration (ms)", self.duration, 300.0, 5000.0, 100.0),
        }
        self.raster = Raster(title="spikes", max_spikes=60_000)
        self.rates = Comparison(variable="rate", title="population rates (Hz)")
        return [column(self.rates.figure, self.raster.figure)]

    def calls(self, values: dict) -> dict[str, Call]:
        common = dict(duration=values["duration"], seed=0)
        if values["flavour"] == "original":
            return {"ds": Call(cortical_microcircuit, ("original",), dict(
                N_scaling=values["N_scaling"], K_scaling=values["K_scaling"],
                background=values["background"], **common))}
        return {"ds": Call(cortical_microcircuit, ("hardware",), dict(
                    wafer=Wafer(variation=values["variation"]), **common)),
                "ideal": Call(cortical_microcircuit, ("hardware",), dict(
                    wafer=Wafer.ideal(), **common))}

    epilogue_uses = (compare,)

    def epilogue(self, values: dict) -> str:
        return "" if values["flavour"] == "original" else "compare(ds, ideal)"

    def _experiment(self, calls: dict[str, Call], on_chunk) -> xr.Dataset:
        if "ideal" not in calls:
            ds = calls["ds"](on_chunk=on_chunk)
            # the original model runs ideal only: one run to show, summarised once
            self._comparison = population_summary(ds).expand_dims(run=["ideal"])
            return ds
        # the wafer's run is streamed; its ideal twin only counts in the progress
        # and stops too when the user moves on
        ds = calls["ds"](on_chunk=lambda chunk, fraction: on_chunk(chunk, fraction / 2))
        if ds.attrs["stopped_early"]:
            return ds  # dropped: the user moved on
        ideal = calls["ideal"](on_chunk=lambda chunk, fraction: on_chunk(
            chunk, 0.5 + fraction / 2, stream=False))
        self._comparison = compare(ds, ideal)
        return ds

    def _show(self, ds: xr.Dataset, values: dict) -> None:
        self.rates.reference = ds.reference_rate
        self.rates.update(self._comparison.sel(population=list(POPULATIONS)))
        self.raster.update(ds)
        self.report.value = hardware_report(ds)
