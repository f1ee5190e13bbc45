"""The balanced random network on the wafer: downscaling, g and eta, variation, each
hardware effect; raster, rates, a membrane, and the hardware's report."""

from __future__ import annotations

import ipywidgets as w
import xarray as xr
from bokeh.layouts import column

from bss1lab.experiments import balanced_random_network
from bss1lab.hardware import EFFECTS, Wafer
from bss1lab.network.brunel import BRUNEL_SIZE, HARDWARE_SIZE
from bss1lab.plotting import PopulationRate, Raster, Traces

from .base import Panel
from .calls import Call
from .controls import number, variation_slider, wafer_toggle

__all__ = ["RandomNetworkPanel", "hardware_report"]


def hardware_report(ds: xr.Dataset) -> str:
    """The wafer's side of a run as a short HTML table."""
    a = ds.attrs
    rows = [("neurons / synapses", f"{a['neurons']:,} / {a['synapses']:,}")]
    if "synapse_loss_fraction" in a:
        rows += [("synapses lost in routing",
                  f"{a['synapses_lost']:,} ({100 * a['synapse_loss_fraction']:.1f} %)"),
                 ("spikes dropped by the readout", f"{a['readout_spikes_dropped']:,} of "
                  f"{a['neuron_spikes_emitted']:,} the neurons emitted"),
                 ("input spikes dropped", f"{a['input_spikes_dropped']:,}"),
                 ("parameters clipped", f"{a.get('parameters_clipped', 0):,}")]
    rows += [("wafer time (run / configuration)",
              f"{a['wafer_duration_s'] * 1e3:.3g} ms / {a.get('configuration_time_s', 0):g} s"),
             ("wafer energy (run)", f"{a['wafer_energy_j']:.3g} J"),
             ("emulator wall time", f"{a['wall_time_s']:.2f} s")]
    return "<table>" + "".join(f"<tr><td>{k}</td><td><b>{v}</b></td></tr>"
                               for k, v in rows) + "</table>"


class RandomNetworkPanel(Panel):
    """Brunel's network as the wafer ran it (2,083 neurons) or downscaled otherwise.

    Controls: network size, g, eta, duration, emulated wafer or ideal, the scale of
    the fixed-pattern noise, and each hardware effect. The raster fills in as the
    emulation runs.
    """

    title = "The balanced random network on the wafer"

    def __init__(self, *, duration: float = 1000.0, auto_run: bool = True) -> None:
        self.duration = float(duration)
        super().__init__(auto_run=auto_run)

    def _build(self) -> list:
        self.controls = {
            "n_neurons": number("neurons", HARDWARE_SIZE, 500, BRUNEL_SIZE, 100),
            "g": number("g", 5.0, 1.0, 10.0, 0.5),
            "eta": number("eta", 2.0, 0.5, 4.0, 0.1),
            "duration": number("duration (ms)", self.duration, 200.0, 5000.0, 100.0),
            "wafer": wafer_toggle(),
            "variation": variation_slider(),
            **{effect: w.Checkbox(value=True, description=effect.replace("_", " "),
                                  indent=False) for effect in EFFECTS},
        }
        self.raster = Raster(title="spikes")
        self.rate = PopulationRate(bin_ms=5.0)
        self.trace = Traces(variable="v", max_traces=1, title="membrane of E neuron 0")
        return [column(self.raster.figure, self.rate.figure, self.trace.figure)]

    @staticmethod
    def _wafer(values: dict) -> Wafer:
        if values["wafer"] == "ideal":
            return Wafer.ideal()
        return Wafer(variation=values["variation"],
                     **{e: values[e] for e in EFFECTS})

    def calls(self, values: dict) -> dict[str, Call]:
        return {"ds": Call(balanced_random_network, kwargs=dict(
            n_neurons=values["n_neurons"], g=values["g"], eta=values["eta"],
            duration=values["duration"], wafer=self._wafer(values), seed=0,
            record_variables=["v"], record_cells={"E": [0]}))}

    def _stream(self, chunk: xr.Dataset) -> None:
        if chunk.attrs["start_ms"] == 0.0:  # a new run's first chunk
            self.raster.update(chunk)
        else:
            self.raster.stream(chunk)

    def _show(self, ds: xr.Dataset, values: dict) -> None:
        self.raster.update(ds)
        self.rate.update(ds)
        self.trace.update(ds)
        self.report.value = hardware_report(ds)
