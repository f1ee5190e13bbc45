"""One call from a network to an ``xarray.Dataset``."""

from __future__ import annotations

import os
from typing import Callable, Mapping, Sequence

import numpy as np
import xarray as xr

from bss1lab.emulator.engine import DEFAULT_DT, Emulation, check_dt
from bss1lab.emulator.grid import STEP_SLACK
from bss1lab.emulator.recording import RecordSpec
from bss1lab.errors import NeedsNewMapping, ParameterTypeError
from bss1lab.experiments.cost import wafer_seconds
from bss1lab.experiments.dataset import to_dataset
from bss1lab.hardware.mapped import MappedNetwork
from bss1lab.hardware.wafer import Wafer
from bss1lab.network.cells import CellType, SpikeSourceArray
from bss1lab.network.connectors import AllToAllConnector
from bss1lab.network.model import (Network, Population, Projection, StaticSynapse,
                                   StepCurrentSource)
from bss1lab.validation import (MAX_TIME_MS, as_instance, as_number, as_numbers,
                                as_seed_sequence)

__all__ = ["run", "single_neuron", "long_time_evolution"]


def run(network: Network | MappedNetwork, duration: float, *,
        wafer: Wafer | None = None,
        seed: int | None = 0,
        dt: float = DEFAULT_DT, method: str = "exponential",
        record_spikes: Sequence[str] | str | None = None,
        record_variables: Sequence[str] = (),
        record_cells: Mapping[str, Sequence[int]] | None = None,
        record_interval: float | None = None,
        isolate: Mapping[str, Sequence[int]] | None = None,
        on_chunk: Callable[[xr.Dataset, float], bool | None] | None = None,
        chunk_ms: float = 100.0,
        mapping: MappedNetwork | str | os.PathLike | None = None,
        save_mapping: str | os.PathLike | None = None) -> xr.Dataset:
    """Map ``network`` onto ``wafer``, run it for ``duration`` ms and return the results.

    Parameters
    ----------
    network : Network or MappedNetwork
        A network to map, or a mapping to run as it is (e.g. one loaded with
        ``MappedNetwork.load``; ``wafer`` and ``isolate`` then do not apply).
    duration : float
        Biological time in ms: at least one time step ``dt``, at most 1e12 ms.
    wafer : Wafer, optional
        Default ``Wafer()``, the emulated BrainScaleS-1; ``Wafer.ideal()`` for the
        reference simulation.
    seed : int or None
        One seed (>= 0) for everything random: it is split into the mapping seed
        (connectivity, parameter draws) and the run seed (Poisson input). None
        draws one; either way it is in ``ds.attrs["seed"]``.
    dt : float
        Time step, ms, 0.001..10.
    method : {"exponential", "rk2"}
        Membrane integration method (see ``Emulation``); ``"rk2"`` needs every
        ``tau_m`` and ``tau_w`` above ``dt / 2``.
    record_spikes, record_variables, record_cells, record_interval
        What to record (see ``Emulation``); by default the spikes of every neuron
        population.
    isolate : mapping of population label to local indices, optional
        Neurons that get a HICANN each on the wafer (see ``Wafer.map``).
    on_chunk : callable, optional
        Run in chunks of ``chunk_ms`` and call ``on_chunk(chunk_dataset, fraction_done)``
        after each (e.g. to draw spikes as they come); returning False stops the run
        there (the result then says ``stopped_early``). Chunking does not change the
        results.
    chunk_ms : float
        Length of a chunk, ms, at least one time step.
    mapping : MappedNetwork or path, optional
        Do not map anew: draw ``network`` (with the mapping seed) and reconfigure this
        mapping, or the one saved in this file, to it (``MappedNetwork.with_network``:
        same structure, new weights, rates or parameters; placement and routing
        kept, ``configuration_time_s`` the wafer's reconfiguration).
    save_mapping : path, optional
        Save the mapping the run used to this netCDF file (``MappedNetwork.save``).

    Returns
    -------
    xarray.Dataset
        Spikes, rates, traces and the run facts in ``attrs`` (seed, duration_ms,
        wall_time_s, synaptic_events, ...).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from bss1lab.network.brunel import brunel_network
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "brunel.nc"
    >>> ds = run(brunel_network("hardware", n_neurons=200, eta=4.0), 100.0, seed=1,
    ...          save_mapping=path)
    >>> slower = run(brunel_network("hardware", n_neurons=200, eta=2.0), 100.0, seed=1,
    ...              mapping=path)
    >>> ds.attrs["configuration_time_s"], slower.attrs["configuration_time_s"]
    (60.0, 5.0)
    """
    duration = _duration("run", "duration", duration, dt)
    _duration("run", "chunk_ms", chunk_ms, dt)
    record = RecordSpec(record_spikes, record_variables, record_cells, record_interval)
    if on_chunk is not None and not callable(on_chunk):
        raise ParameterTypeError(f"run: on_chunk={on_chunk!r} must be a function "
                                 "on_chunk(chunk_dataset, fraction_done) or None")
    emulation, seed = _emulation(network, wafer, seed, dt, method, record, isolate,
                                 mapping)
    if save_mapping is not None:
        emulation.mapped.save(save_mapping)
    if on_chunk is None:
        return to_dataset(emulation, [emulation.run(duration)], attrs={"seed": seed})
    chunks = []
    stopped = False
    while emulation.time < duration - 0.5 * dt and not stopped:
        chunks.append(emulation.run(min(chunk_ms, duration - emulation.time)))
        fraction = emulation.time / duration
        stopped = on_chunk(to_dataset(emulation, chunks[-1:]), fraction) is False
    return to_dataset(emulation, chunks, attrs={"seed": seed,
                                                "stopped_early": int(stopped)})


def long_time_evolution(network: Network, record: float, evolve: float, *,
                        wafer: Wafer | None = None, seed: int | None = 0,
                        dt: float = DEFAULT_DT, method: str = "exponential",
                        record_spikes: Sequence[str] | str | None = None,
                        isolate: Mapping[str, Sequence[int]] | None = None) -> xr.Dataset:
    """Record, let the network evolve unrecorded and unreconfigured, record again.

    The wafer's case for long experiments: one day of biology takes 8.64 s on the
    wafer. The emulator runs the same network step by step, so the evolution costs it
    ``evolve`` times its speed per biological second (see ``evolution_wall_time_s``).

    Parameters
    ----------
    network : Network
    record : float
        ms recorded before and again after the evolution, > 0.
    evolve : float
        ms of biological time in between, not recorded, >= 0 (a day: 86,400,000).
    wafer, seed, dt, method, record_spikes, isolate
        As for :func:`run`.

    Returns
    -------
    xarray.Dataset
        The second recording (spikes, rates, ``start_ms`` = ``record + evolve``), with
        the first one's ``rate_before`` and ``spike_count_before`` per neuron, and in
        ``attrs``: ``evolved_ms``, ``evolution_wall_time_s`` (the emulator) and
        ``evolution_wafer_time_s`` (the wafer, ``evolve`` / speed-up).
    """
    record = _duration("long_time_evolution", "record", record, dt)
    as_number("long_time_evolution", "evolve", evolve, low=0.0, high=MAX_TIME_MS)
    emulation, seed = _emulation(network, wafer, seed, dt, method,
                                 RecordSpec(record_spikes), isolate)
    before = emulation.run(record)
    evolution = emulation.run(evolve, record=False)
    after = emulation.run(record)
    ds = to_dataset(emulation, [after], attrs={
        "seed": seed, "evolved_ms": float(evolution.stop_ms - evolution.start_ms),
        "evolution_wall_time_s": evolution.wall_time_s,
        "evolution_wafer_time_s": float(wafer_seconds(evolution.stop_ms
                                                      - evolution.start_ms,
                                                      emulation.mapped.speedup)),
        "evolution_synaptic_events": int(evolution.synaptic_events),
        "before_start_ms": before.start_ms, "before_duration_ms": before.stop_ms
        - before.start_ms})
    ds["spike_count_before"] = xr.DataArray(before.spike_counts, dims="neuron",
                                            attrs={"units": "1"})
    recorded_s = (before.stop_ms - before.start_ms) * 1e-3
    ds["rate_before"] = xr.DataArray(before.spike_counts / recorded_s, dims="neuron",
                                     attrs={"units": "Hz", "long_name": "mean firing "
                                            "rate in the first recording"})
    return ds


def _duration(owner: str, name: str, duration: object, dt: object) -> float:
    """A run's length (ms): a number of at least one step of ``dt`` (else the run
    would hold no step and its rates no meaning), at most ``MAX_TIME_MS``."""
    dt = check_dt(owner, dt)
    duration = as_number(owner, name, duration, low=0.0, low_inclusive=False,
                         high=MAX_TIME_MS)
    if duration < dt * (1.0 - STEP_SLACK):
        raise ValueError(f"{owner}: {name}={duration!r} ms is shorter than one time step "
                         f"(dt={dt:g} ms): it must be >= dt, at most {MAX_TIME_MS:g} ms")
    return duration


def _mapped(network, wafer, map_seed, isolate, mapping) -> MappedNetwork:
    """The mapping a run runs: ``network`` itself when it is one, ``mapping``
    reconfigured to ``network``, or ``network`` mapped onto ``wafer``."""
    as_instance("run", "network", network, (Network, MappedNetwork),
                "a Network (bss1lab.network.Network(population, ...)) or a MappedNetwork")
    if wafer is not None:
        as_instance("run", "wafer", wafer, Wafer, "a Wafer; use Wafer() or Wafer.ideal()")
    kept = network if isinstance(network, MappedNetwork) else mapping
    if kept is None:
        return (Wafer() if wafer is None else wafer).map(network, map_seed,
                                                         isolate=isolate)
    if isinstance(network, MappedNetwork) and mapping is not None:
        raise ValueError("run: network is already a MappedNetwork; give no mapping")
    if isinstance(kept, (str, os.PathLike)):
        kept = MappedNetwork.load(kept)
    as_instance("run", "mapping", kept, MappedNetwork,
                "a MappedNetwork or the path of a saved one")
    if wafer is not None and wafer != kept.wafer:
        raise NeedsNewMapping(f"run: wafer={wafer!r} is not the configuration the "
                              "mapping was made for; a new configuration needs a new "
                              "mapping (give no mapping)")
    if isolate is not None:
        raise NeedsNewMapping("run: isolate places neurons; with a kept mapping the "
                              "placement is fixed (give no mapping)")
    return kept if kept is network else kept.with_network(network, map_seed)


def _emulation(network: Network | MappedNetwork, wafer: Wafer | None, seed: int | None, dt: float,
               method: str, record: RecordSpec,
               isolate: Mapping[str, Sequence[int]] | None,
               mapping: MappedNetwork | str | os.PathLike | None = None
               ) -> tuple[Emulation, int]:
    """Map and set up an emulation the way every experiment does; returns it and the
    seed it used."""
    if seed is None:  # draw one that fits the Dataset's attrs (netCDF: int64)
        seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
    map_seed, run_seed = as_seed_sequence("run", seed).spawn(2)
    mapped = _mapped(network, wafer, map_seed, isolate, mapping)
    emulation = Emulation(mapped, run_seed, dt=dt, method=method, record=record)
    return emulation, seed


def single_neuron(cell_type: CellType, duration: float, *,
                  current: StepCurrentSource | tuple[float, float, float] | None = None,
                  excitatory_spikes: Sequence[float] | None = None,
                  inhibitory_spikes: Sequence[float] | None = None,
                  excitatory_weight: float = 0.01, inhibitory_weight: float = 0.01,
                  delay: float = 1.0, wafer: Wafer | None = None, seed: int = 0,
                  dt: float = DEFAULT_DT, method: str = "exponential",
                  record_interval: float | None = None,
                  on_chunk: Callable[[xr.Dataset, float], bool | None] | None = None,
                  chunk_ms: float = 100.0) -> xr.Dataset:
    """Run one neuron with an optional step current and input spike trains.

    Parameters
    ----------
    cell_type : CellType
        E.g. ``EIF_cond_exp_isfa_ista(a=2.0, b=0.0)``.
    duration : float
        ms.
    current : StepCurrentSource or (start, stop, amplitude), optional
        A step current: ``amplitude`` nA from ``start`` to ``stop`` ms.
    excitatory_spikes, inhibitory_spikes : sequence of float, optional
        Input spike times in ms, each through one synapse.
    excitatory_weight, inhibitory_weight : float
        In the cell type's weight units (uS for conductance-based cells). For
        current-based cells, give the inhibitory weight as a negative number.
    delay : float
        Synaptic delay, ms.
    wafer : Wafer, optional
        Default ``Wafer()``; ``Wafer.ideal()`` for the reference.
    seed, dt, method, record_interval, on_chunk, chunk_ms
        As for :func:`run` (``on_chunk`` returning False stops the run).

    Returns
    -------
    xarray.Dataset
        As :func:`run`, with every state variable of the cell traced; the input
        populations are called ``"excitatory input"`` and ``"inhibitory input"``.
    """
    as_instance("single_neuron", "cell_type", cell_type, CellType,
                "a cell type such as EIF_cond_exp_isfa_ista()")
    if cell_type.is_source:
        raise ValueError(f"single_neuron: cell_type={cell_type!r} is a spike source; give "
                         "a neuron model such as IF_cond_exp()")
    _duration("single_neuron", "duration", duration, dt)
    neuron = Population(1, cell_type, label="neuron")
    items: list = [neuron]
    if current is not None:
        if not isinstance(current, StepCurrentSource):
            try:
                start, stop, amplitude = current
            except (TypeError, ValueError):
                raise ParameterTypeError(f"single_neuron: current={current!r} must be a "
                                         "StepCurrentSource or (start_ms, stop_ms, "
                                         "amplitude_nA)") from None
            start, stop, amplitude = (as_number("single_neuron", f"current {what}", value)
                                      for what, value in (("start", start), ("stop", stop),
                                                          ("amplitude", amplitude)))
            if not stop > start:
                raise ValueError(f"single_neuron: current stops at {stop} ms, before it "
                                 f"starts at {start} ms")
            current = StepCurrentSource([start, stop], [amplitude, 0.0])
        neuron.inject(current)
    for receptor, times, weight in (("excitatory", excitatory_spikes, excitatory_weight),
                                    ("inhibitory", inhibitory_spikes, inhibitory_weight)):
        if times is None:
            continue
        times = as_numbers("single_neuron", f"{receptor}_spikes", times)
        source = Population(1, SpikeSourceArray(times), label=f"{receptor} input")
        items += [source, Projection(source, neuron, AllToAllConnector(),
                                     StaticSynapse(weight=weight, delay=delay),
                                     receptor_type=receptor)]
    variables = [v for v in cell_type.recordable if v != "spikes"]
    return run(Network(*items, label=f"single {type(cell_type).__name__}"), duration,
               wafer=wafer, seed=seed, dt=dt, method=method, record_variables=variables,
               record_cells={"neuron": [0]}, record_interval=record_interval,
               on_chunk=on_chunk, chunk_ms=chunk_ms)
