"""Fixed-pattern noise and calibration: a population of neurons' parameters on one
chip, before and after calibration, and reprogramming."""

from __future__ import annotations

import ipywidgets as w
import xarray as xr

from bss1lab.experiments.calibration import realised_parameters
from bss1lab.hardware import Wafer
from bss1lab.plotting import Calibration

from .base import Panel
from .calls import Call
from .controls import STYLE, chip_slider, number, variation_slider

__all__ = ["CalibrationPanel"]

PARAMETERS = ["v_thresh", "v_rest", "v_reset", "tau_m", "tau_syn_E", "tau_syn_I",
              "tau_refrac", "e_rev_E", "e_rev_I"]


class CalibrationPanel(Panel):
    """The parameters 472 identical neurons really get on one chip.

    Controls: the parameter shown, the scale of the fixed-pattern noise, the chip
    (wafer seed) and the reprogramming trial (the fixed pattern stays, a small
    trial-to-trial part is drawn anew).
    """

    title = "Fixed-pattern noise and calibration"

    def _build(self) -> list:
        self.controls = {
            "parameter": w.Dropdown(options=PARAMETERS, value="v_thresh",
                                    description="parameter", style=STYLE),
            "variation": variation_slider(),
            "seed": chip_slider(),
            "trial": number("reprogram trial", 0, 0, 10, 1),
        }
        self.plot = Calibration()
        return [self.plot.figure]

    def calls(self, values: dict) -> dict[str, Call]:
        return {"ds": Call(realised_parameters, kwargs=dict(
            wafer=Wafer(variation=values["variation"], seed=values["seed"]),
            trial=values["trial"]))}

    def epilogue(self, values: dict) -> str:
        return f"ds[{values['parameter']!r}].std('neuron')"

    def _experiment(self, calls: dict[str, Call], on_chunk) -> xr.Dataset:
        # mapping only, nothing is run: a few tens of ms, no chunk to stop at
        return calls["ds"]()

    def _show(self, ds: xr.Dataset, values: dict) -> None:
        self.plot.parameter = values["parameter"]
        self.plot.update(ds)
        spread = ds.std("neuron")
        rows = "".join(
            f"<tr><td>{name}</td><td>{float(spread[name].sel(calibration='uncalibrated')):.3g}"
            f"</td><td>{float(spread[name].sel(calibration='calibrated')):.3g}</td>"
            f"<td>{ds[name].attrs['units']}</td></tr>" for name in PARAMETERS if name in ds)
        self.report.value = ("<table><tr><th>parameter</th><th>sd uncalibrated</th>"
                             f"<th>sd calibrated</th><th></th></tr>{rows}</table>")
