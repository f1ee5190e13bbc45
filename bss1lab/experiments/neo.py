"""Results both ways between bss1lab's ``xarray.Dataset`` and Neo, the format PyNN's
backends return and the field's analysis tools (elephant, PyNN's plotting) read.

``to_neo(ds)`` gives one ``neo.Block`` with one ``Segment``: a ``SpikeTrain`` per
neuron whose spikes were recorded (annotated with its population, local index and
HICANN, as PyNN's ``source_population`` / ``source_index``), an ``AnalogSignal`` per
traced variable and population, and the run facts as annotations. ``from_neo(block)``
reads such a block back, and any PyNN ``get_data()`` block too. Neo and quantities
are imported here only (``pip install bss1lab[pynn]``).
"""

from __future__ import annotations

import numbers

import numpy as np
import xarray as xr

from bss1lab.errors import ParameterTypeError
from bss1lab.experiments.dataset import UNITS

__all__ = ["to_neo", "from_neo"]

#: The per-neuron coordinates a block carries as annotations (``neuron_<name>``), so
#: that ``from_neo`` rebuilds the Dataset's ``neuron`` dimension exactly.
NEURON_FIELDS = ("population", "cell_type", "local_index", "spikes_recorded", "hicann")
NEURON_VARIABLES = ("spike_count", "recorded_spike_count")


def _annotation_value(value):
    if isinstance(value, (str, bool, numbers.Number)):
        return value.item() if isinstance(value, np.generic) else value
    return None


def to_neo(ds: xr.Dataset):
    """The spikes and traces of a result Dataset as a ``neo.Block``.

    Parameters
    ----------
    ds : xarray.Dataset
        What ``bss1lab.experiments.run`` (or ``bss1lab.pynn``'s ``state.dataset``)
        returns.

    Returns
    -------
    neo.Block
        Times in ms from ``t_start = start_ms`` to ``t_stop = start_ms +
        duration_ms``; signals in their Dataset units (mV, uS, nA).

    Examples
    --------
    >>> from bss1lab.experiments import run, to_neo
    >>> block = to_neo(run(network, 100.0))              # doctest: +SKIP
    >>> block.segments[0].spiketrains[0].annotations     # doctest: +SKIP
    {'source_population': 'E', 'source_index': 0, 'channel_id': 0, 'hicann': 12, ...}
    """
    import neo
    import quantities as pq

    if not isinstance(ds, xr.Dataset):
        raise ParameterTypeError(f"to_neo: ds={type(ds).__name__} must be an xarray.Dataset "
                                 "(a result of bss1lab.experiments.run)")
    missing = [n for n in ("spike_time", "spike_neuron", "population", "local_index")
               if n not in ds.variables]
    missing += [n for n in ("start_ms", "duration_ms") if n not in ds.attrs]
    if missing:
        raise ValueError(f"to_neo: ds lacks {missing}; it must be a result Dataset of "
                         "bss1lab.experiments.run")
    start = float(ds.attrs["start_ms"])
    stop = start + float(ds.attrs["duration_ms"])
    segment = neo.Segment(name="bss1lab run", t_start=start * pq.ms)
    neuron = ds["neuron"].values
    population = ds["population"].values.astype(str)
    local = ds["local_index"].values
    hicann = ds["hicann"].values if "hicann" in ds else np.full(neuron.size, -1)
    recorded = ds["spikes_recorded"].values.astype(bool)
    order = np.argsort(ds["spike_neuron"].values, kind="stable")
    cells = ds["spike_neuron"].values[order]
    times = ds["spike_time"].values[order]
    bounds = np.searchsorted(cells, neuron)
    ends = np.searchsorted(cells, neuron, side="right")
    for k in np.flatnonzero(recorded):
        train = neo.SpikeTrain(times[bounds[k]:ends[k]] * pq.ms, t_start=start * pq.ms,
                               t_stop=stop * pq.ms, source_population=population[k],
                               source_index=int(local[k]), channel_id=int(neuron[k]),
                               hicann=int(hicann[k]))
        train.segment = segment
        segment.spiketrains.append(train)
    if "time" in ds.dims:
        time = ds["time"].values
        traced = ds["recorded"].values
        period = float(np.diff(time[:2])[0]) if time.size > 1 else float(ds.attrs["dt_ms"])
        for name in [v for v in ds.data_vars if ds[v].dims == ("time", "recorded")]:
            for label in dict.fromkeys(population[traced]):
                columns = np.flatnonzero(population[traced] == label)
                signal = neo.AnalogSignal(
                    ds[name].values[:, columns], units=UNITS.get(name, "dimensionless"),
                    t_start=time[0] * pq.ms, sampling_period=period * pq.ms, name=name,
                    source_population=label,
                    array_annotations={"channel_index": local[traced[columns]],
                                       "channel_id": traced[columns]})
                signal.segment = segment
                segment.analogsignals.append(signal)
    block = neo.Block(name=str(ds.attrs.get("title", "bss1lab run")))
    block.segments.append(segment)
    segment.block = block
    facts = {key: _annotation_value(value) for key, value in ds.attrs.items()}
    block.annotate(simulator="bss1lab", **{k: v for k, v in facts.items() if v is not None})
    block.annotate(**{f"neuron_{name}": ds[name].values for name in NEURON_FIELDS
                      if name in ds}, neuron=neuron)
    block.annotate(**{f"neuron_{name}": ds[name].values for name in NEURON_VARIABLES
                      if name in ds})
    return block


def from_neo(block) -> xr.Dataset:
    """A result Dataset from a ``neo.Block`` of one segment (``to_neo``'s, or a PyNN
    backend's ``get_data()``).

    Spike trains become ``spike_time`` / ``spike_neuron`` (sorted by time, then cell);
    analog signals the traces along ``time`` x ``recorded``. A block from ``to_neo``
    gives back the Dataset's neuron coordinates, counts and run facts exactly; for
    other blocks the neurons are the spike trains (``source_population``,
    ``source_index``) and the counts those of the trains.

    Parameters
    ----------
    block : neo.Block

    Returns
    -------
    xarray.Dataset
    """
    import neo

    if not isinstance(block, neo.Block):
        raise ParameterTypeError(f"from_neo: block={type(block).__name__} must be a "
                                 "neo.Block")
    if len(block.segments) != 1:
        raise ValueError(f"from_neo: the block has {len(block.segments)} segments; give "
                         "one (e.g. neo.Block with block.segments[i] alone)")
    segment = block.segments[0]
    notes = block.annotations
    trains = list(segment.spiketrains)
    if "neuron" in notes:
        neuron = np.asarray(notes["neuron"])
        coords = {name: np.asarray(notes[f"neuron_{name}"]) for name in NEURON_FIELDS
                  if f"neuron_{name}" in notes}
        train_cells = np.array([t.annotations["channel_id"] for t in trains], dtype=np.int64)
    else:
        neuron = np.arange(len(trains))
        train_cells = neuron
        coords = {"population": np.array([str(t.annotations.get("source_population", ""))
                                          for t in trains]),
                  "local_index": np.array([t.annotations.get("source_index", k)
                                           for k, t in enumerate(trains)]),
                  "spikes_recorded": np.ones(len(trains), dtype=bool)}
    times = [np.asarray(t.rescale("ms").magnitude, dtype=float) for t in trains]
    spike_time = np.concatenate(times) if times else np.empty(0)
    spike_neuron = (np.repeat(train_cells, [t.size for t in times]) if times
                    else np.empty(0, dtype=np.int64)).astype(np.int32)
    order = np.lexsort((spike_neuron, spike_time))
    spike_time, spike_neuron = spike_time[order], spike_neuron[order]
    if trains:
        start = float(trains[0].t_start.rescale("ms").magnitude)
        stop = float(trains[0].t_stop.rescale("ms").magnitude)
    else:
        start = float(notes.get("start_ms", 0.0))
        stop = start + float(notes.get("duration_ms", 0.0))
    position = np.searchsorted(neuron, spike_neuron)
    recorded_count = np.bincount(position, minlength=neuron.size)
    counts = {"spike_count": np.asarray(notes.get("neuron_spike_count", recorded_count)),
              "recorded_spike_count": np.asarray(notes.get("neuron_recorded_spike_count",
                                                           recorded_count))}
    duration = float(notes.get("duration_ms", stop - start))
    population = coords["population"].astype(str)
    ds = xr.Dataset(
        {"spike_time": xr.DataArray(spike_time, dims="spike", attrs={"units": "ms"}),
         **{name: xr.DataArray(values, dims="neuron", attrs={"units": "1"})
            for name, values in counts.items()},
         "rate": xr.DataArray(counts["spike_count"] / (duration * 1e-3) if duration > 0
                              else np.full(neuron.size, np.nan), dims="neuron",
                              attrs={"units": "Hz"})},
        coords={"neuron": ("neuron", neuron.astype(np.int32)),
                **{name: ("neuron", values if name != "population" else population)
                   for name, values in coords.items()},
                "spike_neuron": ("spike", spike_neuron),
                "spike_population": ("spike", population[position])})
    ds = _with_signals(ds, segment, neuron, population, coords)
    ds.attrs.update({k: v for k, v in notes.items()
                     if isinstance(v, (str, numbers.Number)) and not k.startswith("neuron")
                     and k != "simulator"})
    ds.attrs.update(start_ms=start, duration_ms=duration)
    return ds


def _with_signals(ds, segment, neuron, population, coords) -> xr.Dataset:
    """The segment's analog signals as traces (``time`` x ``recorded``)."""
    signals = list(segment.analogsignals)
    if not signals:
        return ds
    time = np.asarray(signals[0].times.rescale("ms").magnitude, dtype=float)
    by_name: dict[str, list] = {}
    for signal in signals:
        by_name.setdefault(signal.name, []).append(signal)
    recorded = None
    for name, parts in by_name.items():
        cells = []
        for signal in parts:
            if "channel_id" in signal.array_annotations:
                cells.append(np.asarray(signal.array_annotations["channel_id"]))
            else:  # a PyNN block: the population's train of that index
                index = np.asarray(signal.array_annotations["channel_index"])
                label = signal.annotations.get("source_population", "")
                lookup = {(p, int(i)): int(n) for p, i, n in
                          zip(population, coords["local_index"], neuron)}
                cells.append(np.array([lookup[(label, int(i))] for i in index]))
        cells = np.concatenate(cells)
        values = np.concatenate([np.asarray(s.magnitude) for s in parts], axis=1)
        order = np.argsort(cells, kind="stable")
        if recorded is None:
            recorded = cells[order]
            ds = ds.assign_coords(time=("time", time), recorded=("recorded", recorded),
                                  recorded_population=("recorded", population[
                                      np.searchsorted(neuron, recorded)]))
            ds["time"].attrs["units"] = "ms"
        ds[name] = xr.DataArray(values[:, order], dims=("time", "recorded"),
                                attrs={"units": str(parts[0].units.dimensionality)})
    return ds
