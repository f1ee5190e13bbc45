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


def _variable(name: str, dims: str | tuple[str, ...], values: np.ndarray) -> tuple:
    """A variable as ``(dims, values, attrs)`` with its units and description: the
    Dataset is built from these in one constructor call (no alignment of DataArrays,
    which cost a streamed chunk as much as its emulation)."""
    attrs = {"units": UNITS[name]}
    if name in _DESCRIPTIONS:
        attrs["long_name"] = _DESCRIPTIONS[name]
    return dims, values, attrs


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
    # the populations hold consecutive cells, in order (RealisedNetwork)
    sizes = [pop.size for pop in net.populations]
    population = np.repeat(np.array([pop.label for pop in net.populations], dtype=str),
                           sizes)
    cell_type = np.repeat(np.array([type(pop.cell_type).__name__
                                    for pop in net.populations], dtype=str), sizes)
    local_index = (np.arange(n, dtype=np.int32)
                   - np.repeat(np.array([pop.start for pop in net.populations],
                                        dtype=np.int32), sizes))

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

    data_vars = {
        "spike_time": _variable("spike_time", "spike", spike_time),
        "rate": _variable("rate", "neuron", rate),
        "spike_count": _variable("spike_count", "neuron", spike_count),
        "recorded_spike_count": _variable("recorded_spike_count", "neuron",
                                          np.bincount(spike_cell, minlength=n)),
    }
    coords = {
        "neuron": ("neuron", np.arange(n, dtype=np.int32)),
        "population": ("neuron", population),
        "cell_type": ("neuron", cell_type),
        "local_index": ("neuron", local_index),
        "spikes_recorded": ("neuron", emulation.spike_recorded),
        "spike_neuron": ("spike", spike_cell),
        "spike_population": ("spike", population[spike_cell]),
        "hicann": ("neuron", hicann, {"long_name": "HICANN a neuron sits on, or the input "
                                      "HICANN of a spike source (-1: none, or ideal)"}),
    }
    if not wafer.is_ideal:
        hardware_vars, hardware_coords = _hardware_variables(mapped, readout_dropped,
                                                             input_dropped)
        data_vars.update(hardware_vars)
        coords.update(hardware_coords)

    variables = emulation.record_variables
    if variables:
        time = np.concatenate([c.trace_time for c in chunks])
        recorded = emulation.trace_cells
        coords.update({
            "time": _variable("time", "time", time),
            "hardware_time": _variable("hardware_time", "time",
                                       time / mapped.speedup * 1e3),
            "recorded": ("recorded", recorded.astype(np.int32)),
            "recorded_population": ("recorded", population[recorded]),
        })
        for name in variables:
            data_vars[name] = _variable(name, ("time", "recorded"),
                                        np.concatenate([c.traces[name] for c in chunks]))
    ds = xr.Dataset(data_vars, coords)

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
                        input_dropped: np.ndarray) -> tuple[dict, dict]:
    """The mapping's per-projection and per-HICANN reports: ``(variables, coords)``
    for the Dataset."""
    variables = {name: ("projection", values)
                 for name, values in mapped.projection_report.items()}
    variables["synapses_lost"] = ("projection", mapped.projection_report["synapses_requested"]
                                  - mapped.projection_report["synapses_realised"])
    variables.update({f"hicann_{name}": ("wafer_hicann", values)
                      for name, values in mapped.hicann_report.items()})
    variables["hicann_readout_dropped"] = ("wafer_hicann", readout_dropped)
    variables["hicann_input_dropped"] = ("wafer_hicann", input_dropped)
    geometry = wafer_geometry()
    coords = {"projection": ("projection", np.array(mapped.network.projection_labels,
                                                    dtype=str)),
              "wafer_hicann": ("wafer_hicann", np.arange(HICANNS_PER_WAFER, dtype=np.int16)),
              # where each HICANN sits on the wafer's grid (column, row), for maps
              "hicann_x": ("wafer_hicann", geometry.x.astype(np.int16)),
              "hicann_y": ("wafer_hicann", geometry.y.astype(np.int16))}
    return variables, coords
