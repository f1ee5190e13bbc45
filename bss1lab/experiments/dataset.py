"""Turn what an ``Emulation`` recorded into an ``xarray.Dataset`` (the schema of
DESIGN.md): every experiment helper returns one of these."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import xarray as xr

import bss1lab
from bss1lab.emulator.engine import Emulation, RunChunk
from bss1lab.experiments.cost import wafer_energy_j, wafer_seconds
from bss1lab.hardware.geometry import wafer_geometry
from bss1lab.hardware.spec import HICANNS_PER_WAFER

__all__ = ["to_dataset", "UNITS"]

#: Units of the Dataset's variables and coordinates.
UNITS = {"spike_time": "ms", "time": "ms", "hardware_time": "us", "rate": "Hz",
         "spike_count": "1", "recorded_spike_count": "1", "v": "mV", "gsyn_exc": "uS", "gsyn_inh": "uS",
         "isyn_exc": "nA", "isyn_inh": "nA", "w": "nA"}
_DESCRIPTIONS = {
    "spike_time": "time of each recorded spike (biological)",
    "rate": "mean firing rate over the recorded interval, every cell",
    "spike_count": "spikes emitted in the recorded interval, every cell (the "
                   "emulator's ground truth)",
    "recorded_spike_count": "spikes in the record: what the wafer's readout delivered",
    "v": "membrane potential", "gsyn_exc": "excitatory synaptic conductance",
    "gsyn_inh": "inhibitory synaptic conductance", "isyn_exc": "excitatory synaptic current",
    "isyn_inh": "inhibitory synaptic current", "w": "adaptation current",
    "time": "biological time of each trace sample",
    "hardware_time": "the same instant on the wafer (biological time / speed-up)",
}


def _with_units(name: str, variable: xr.DataArray) -> xr.DataArray:
    variable.attrs["units"] = UNITS[name]
    if name in _DESCRIPTIONS:
        variable.attrs["long_name"] = _DESCRIPTIONS[name]
    return variable


def to_dataset(emulation: Emulation, chunks: Sequence[RunChunk], *,
               attrs: dict | None = None) -> xr.Dataset:
    """Build the result Dataset of consecutive ``chunks`` of ``emulation``.

    Parameters
    ----------
    emulation : Emulation
        The emulation that produced the chunks (for the layout and recorders).
    chunks : sequence of RunChunk
        Consecutive runs; their spikes and traces are joined.
    attrs : dict, optional
        Extra run facts for ``ds.attrs`` (numbers and strings only).

    Returns
    -------
    xarray.Dataset
        dims ``neuron`` (every cell, sources included), ``spike`` (recorded spikes,
        time-sorted), and, when states were traced, ``time`` x ``recorded``.
    """
    if not chunks:
        raise ValueError("to_dataset: needs at least one RunChunk")
    mapped = emulation.mapped
    net = mapped.network
    n = net.n_cells
    population = np.empty(n, dtype=object)
    cell_type = np.empty(n, dtype=object)
    local_index = np.empty(n, dtype=np.int32)
    for pop in net.populations:
        population[pop.start:pop.stop] = pop.label
        cell_type[pop.start:pop.stop] = type(pop.cell_type).__name__
        local_index[pop.start:pop.stop] = np.arange(pop.size)
    population = population.astype(str)
    cell_type = cell_type.astype(str)

    duration_ms = chunks[-1].stop_ms - chunks[0].start_ms
    spike_count = np.sum([c.spike_counts for c in chunks], axis=0)
    rate = spike_count / (duration_ms * 1e-3) if duration_ms > 0 else np.full(n, np.nan)
    spike_cell = np.concatenate([c.spike_cell for c in chunks])
    spike_time = np.concatenate([c.spike_time for c in chunks])
    hicann = (mapped.hicann.astype(np.int16) if mapped.hicann is not None
              else np.full(n, -1, dtype=np.int16))
    is_source = net.is_source
    wafer = mapped.wafer
    # the engine's readout already dropped what the wafer's readout would
    readout_dropped = np.sum([c.readout_dropped for c in chunks], axis=0)
    input_dropped = np.sum([c.input_dropped for c in chunks], axis=0)

    ds = xr.Dataset(
        data_vars={
            "spike_time": _with_units("spike_time", xr.DataArray(spike_time, dims="spike")),
            "rate": _with_units("rate", xr.DataArray(rate, dims="neuron")),
            "spike_count": _with_units("spike_count", xr.DataArray(spike_count,
                                                                   dims="neuron")),
            "recorded_spike_count": _with_units("recorded_spike_count", xr.DataArray(
                np.bincount(spike_cell, minlength=n), dims="neuron")),
        },
        coords={
            "neuron": ("neuron", np.arange(n, dtype=np.int32)),
            "population": ("neuron", population),
            "cell_type": ("neuron", cell_type),
            "local_index": ("neuron", local_index),
            "spikes_recorded": ("neuron", emulation.spike_recorded),
            "spike_neuron": ("spike", spike_cell),
            "spike_population": ("spike", population[spike_cell]),
            "hicann": ("neuron", hicann),
        })
    ds["hicann"].attrs["long_name"] = ("HICANN a neuron sits on, or the input HICANN of "
                                       "a spike source (-1: none, or ideal)")
    if not wafer.is_ideal:
        ds = ds.assign(_hardware_variables(mapped, readout_dropped, input_dropped))

    variables = emulation.record_variables
    if variables:
        time = np.concatenate([c.trace_time for c in chunks])
        recorded = emulation.trace_cells
        ds = ds.assign_coords(
            time=_with_units("time", xr.DataArray(time, dims="time")),
            hardware_time=_with_units("hardware_time", xr.DataArray(
                time / mapped.speedup * 1e3, dims="time")),
            recorded=("recorded", recorded.astype(np.int32)),
            recorded_population=("recorded", population[recorded]),
        )
        for name in variables:
            values = np.concatenate([c.traces[name] for c in chunks])
            ds[name] = _with_units(name, xr.DataArray(values, dims=("time", "recorded")))

    wall = float(sum(c.wall_time_s for c in chunks))
    events = int(sum(c.synaptic_events for c in chunks))
    ds.attrs.update({
        "title": f"{net.label}: {mapped.wafer.describe()}",
        "bss1lab_version": bss1lab.__version__,
        "wafer": mapped.wafer.describe(),
        # the run seed's entropy, unless the caller gives the seed it started from
        "seed": emulation.seed if emulation.seed < 2**63 else str(emulation.seed),
        "duration_ms": float(duration_ms),
        "start_ms": float(chunks[0].start_ms),
        "dt_ms": emulation.dt,
        "integration_method": emulation.method,
        "speedup": float(mapped.speedup),
        "wafer_duration_s": float(wafer_seconds(duration_ms, mapped.speedup)),
        "wall_time_s": wall,
        "cpu_time_s": float(sum(c.cpu_time_s for c in chunks)),
        "synaptic_events": events,
        "synaptic_events_per_second": events / wall if wall > 0 else float("nan"),
        "spikes_emitted": int(spike_count.sum()),
        "neuron_spikes_emitted": int(spike_count[~is_source].sum()),
        "delays_raised_to_dt": emulation.layout.delays_raised,
        "spikes_recorded": int(spike_time.size),
        "readout_spikes_dropped": int(readout_dropped.sum()),
        "input_spikes_dropped": int(input_dropped.sum()),
        "wafer_energy_j": float(wafer_energy_j(wafer_seconds(duration_ms, mapped.speedup))),
        "neurons": int((~is_source).sum()),
        "synapses": net.n_synapses,
    })
    ds.attrs.update(mapped.report)
    if "configuration_time_s" in mapped.report:
        ds.attrs["configuration_energy_j"] = wafer_energy_j(mapped.report[
            "configuration_time_s"])
    ds.attrs.update(attrs or {})
    return ds


def _hardware_variables(mapped, readout_dropped: np.ndarray,
                        input_dropped: np.ndarray) -> dict:
    """The mapping's per-projection and per-HICANN reports as Dataset variables."""
    labels = np.array(mapped.network.projection_labels, dtype=str)
    projection = {name: xr.DataArray(values, dims="projection",
                                     coords={"projection": labels})
                  for name, values in mapped.projection_report.items()}
    projection["synapses_lost"] = (projection["synapses_requested"]
                                   - projection["synapses_realised"])
    geometry = wafer_geometry()
    coords = {"wafer_hicann": np.arange(HICANNS_PER_WAFER, dtype=np.int16),
              # where each HICANN sits on the wafer's grid (column, row), for maps
              "hicann_x": ("wafer_hicann", geometry.x.astype(np.int16)),
              "hicann_y": ("wafer_hicann", geometry.y.astype(np.int16))}
    per_hicann = {f"hicann_{name}": xr.DataArray(values, dims="wafer_hicann", coords=coords)
                  for name, values in mapped.hicann_report.items()}
    per_hicann["hicann_readout_dropped"] = xr.DataArray(readout_dropped, dims="wafer_hicann",
                                                        coords=coords)
    per_hicann["hicann_input_dropped"] = xr.DataArray(input_dropped, dims="wafer_hicann",
                                                      coords=coords)
    return {**projection, **per_hicann}
