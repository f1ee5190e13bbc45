"""A neuron on the wafer: LIF or AdEx, a step current, calibrated or not."""

from __future__ import annotations

import ipywidgets as w
import xarray as xr

from bss1lab.experiments import single_neuron
from bss1lab.hardware import Wafer
from bss1lab.network import IF_cond_exp
from bss1lab.network.adex import NAUD_2008, naud_pattern
from bss1lab.plotting import Traces

from .base import Panel
from .calls import Call
from .controls import STYLE, chip_slider, number, variation_slider, wafer_toggle

__all__ = ["SingleNeuronPanel"]

MODELS = ["LIF"] + [f"AdEx: {p}" for p in NAUD_2008]


class SingleNeuronPanel(Panel):
    """One neuron, driven by a step current, on the emulated wafer or ideal.

    Controls: the model (LIF, or AdEx with one of Naud et al.'s parameter sets), the
    current, calibration, the scale of the fixed-pattern noise and the chip (wafer
    seed). Shows the membrane potential; the report gives the spike count and the
    time the wafer would take.
    """

    title = "A neuron on the wafer"

    def _build(self) -> list:
        self.controls = {
            "model": w.Dropdown(options=MODELS, value="AdEx: adapting",
                                description="model", style=STYLE),
            "current": number("current (nA)", 0.5, 0.0, 1.5, 0.05),
            "wafer": wafer_toggle(),
            "calibrated": w.Checkbox(value=True, description="calibrated"),
            "variation": variation_slider(),
            "seed": chip_slider(),
        }
        self.traces = Traces(variable="v", max_traces=1, title="membrane potential")
        return [self.traces.figure]

    @staticmethod
    def cell(model: str):
        """The cell and the current the model name stands for."""
        if model == "LIF":
            return IF_cond_exp(cm=0.2, tau_m=20.0, v_rest=-70.0, v_thresh=-50.0,
                               v_reset=-58.0, tau_refrac=2.0), None
        return naud_pattern(model.split(": ")[1])

    @staticmethod
    def _wafer(values: dict) -> Wafer:
        if values["wafer"] == "ideal":
            return Wafer.ideal()
        return Wafer(calibrated=values["calibrated"], variation=values["variation"],
                     seed=values["seed"])

    def calls(self, values: dict) -> dict[str, Call]:
        cell, _ = self.cell(values["model"])
        return {"ds": Call(single_neuron, (cell, 500.0), dict(
            current=(50.0, 450.0, values["current"]), wafer=self._wafer(values),
            record_interval=0.2))}

    def _show(self, ds: xr.Dataset, values: dict) -> None:
        self.traces.update(ds)
        spikes = ds.sizes["spike"]
        self.report.value = (
            f"<b>{spikes}</b> spikes in {ds.attrs['duration_ms']:.0f} ms of biology; the "
            f"wafer runs this in <b>{ds.attrs['wafer_duration_s'] * 1e6:.0f} us</b>, the "
            f"emulator took {ds.attrs['wall_time_s'] * 1e3:.0f} ms. "
            f"{ds.attrs['wafer']}")
