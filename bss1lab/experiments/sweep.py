"""Parameter sweeps: one experiment over a grid, stacked into one Dataset, on local
processes or on a Dask cluster."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from bss1lab.hardware.spec import CONFIGURATION_TIME_S, RECONFIGURATION_TIME_S

__all__ = ["sweep"]

#: Run facts copied from each point's attrs into the stacked result (as variables).
FACTS = ("wall_time_s", "synaptic_events", "spikes_emitted", "spikes_recorded",
         "synapses_lost", "synapse_loss_fraction", "readout_spikes_dropped",
         "input_spikes_dropped", "wafer_duration_s", "configuration_time_s",
         "mapping_time_s")


def sweep(experiment: Callable[..., xr.Dataset], *,
          reduce: Callable[[xr.Dataset], xr.Dataset] | None = None,
          client: Any = None, workers: int | None = None, progress: bool = True,
          map_at: Mapping[str, Any] | Literal["max"] | None = None,
          **grid: Sequence) -> xr.Dataset:
    """Run ``experiment`` at every point of a grid and stack the results.

    Parameters
    ----------
    experiment : callable
        Called as ``experiment(**point)`` with one value of each grid dimension; it
        returns a Dataset (e.g. ``balanced_random_network``; fix its other
        arguments with ``functools.partial``).
    reduce : callable, optional
        Turns each point's Dataset into what is kept (default
        ``analysis.population_summary``: rate, CV, synchrony and regime per
        population). Runs where the experiment ran, so only the summary travels.
    client : dask.distributed.Client, optional
        Run on this cluster. Default: local processes (``workers`` of them, default
        one per CPU the process may use: see ``bss1lab.set_threads``), each with an
        even share of them for the engine's threads.
    workers : int, optional
        Local processes; ignored with a ``client``.
    progress : bool
        Show a progress bar (dask's).
    map_at : dict or "max", optional
        The wafer's way: map once, at this point of the grid (the most demanding
        one: the highest input rate, so that every input link holds its sources at
        every other point), and reconfigure that mapping for every other point
        (new weights and rates on the kept placement and routing) instead of
        mapping anew. ``"max"``: the highest value of every dimension. The
        experiment must take ``mapping`` and ``save_mapping`` (as ``run`` and the
        seed experiments do). Default: map every point anew.
    **grid : sequences
        The grid: dimension name -> values, e.g. ``g=[4, 6], eta=[1, 2]``.

    Returns
    -------
    xarray.Dataset
        ``reduce``'s variables with the grid dimensions added (in the order given),
        plus each point's run facts (wall time, synapses lost, spikes dropped,
        ``configuration_time_s`` ...) as variables. Every point runs with the same
        seeds wherever it runs, so the numbers do not depend on the cluster. On the
        wafer, ``attrs`` hold its total time (s, configurations plus runs) as this
        sweep configured it (``wafer_time_s``), by remapping every point
        (``wafer_time_remapping_s``) and by reconfiguring one mapping
        (``wafer_time_reconfiguring_s``), and ``mapped_at`` (the point mapped, or
        "every point").

    Notes
    -----
    Local workers are started processes ("spawn"): in a script, call ``sweep`` under
    ``if __name__ == "__main__":`` (notebooks need nothing).

    Examples
    --------
    >>> from functools import partial
    >>> from bss1lab.experiments import balanced_random_network
    >>> experiment = partial(balanced_random_network, "hardware", n_neurons=200,
    ...                      duration=100.0)
    >>> ds = sweep(experiment, progress=False, workers=1, map_at="max",
    ...            g=[4.0, 6.0], eta=[1.0, 2.0])            # doctest: +SKIP
    >>> ds.attrs["wafer_time_s"], ds.attrs["wafer_time_remapping_s"]  # doctest: +SKIP
    (75.00004, 240.00004)
    """
    if not callable(experiment):
        raise ValueError(f"sweep: experiment={experiment!r} is not callable")
    if not grid:
        raise ValueError("sweep: give at least one grid dimension, e.g. g=[4, 6]")
    axes = {}
    for name, values in grid.items():
        values = list(values) if not isinstance(values, (str, bytes)) else None
        if not values:
            raise ValueError(f"sweep: grid dimension {name}={grid[name]!r} must be a "
                             "non-empty sequence of values")
        axes[name] = values
    points = [dict(zip(axes, combination))
              for combination in itertools.product(*axes.values())]
    if map_at is None:
        results = _run_points(experiment, points, reduce, client, workers, progress)
    else:
        first = _mapping_point(map_at, axes)
        at = points.index(first)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "mapping.nc"
            mapped_first = _run_point(experiment, first, reduce, 0,
                                      {"save_mapping": path})
            if client is not None:  # the cluster may not see this file: send the mapping
                from bss1lab.hardware.mapped import MappedNetwork
                kept = {"mapping": MappedNetwork.load(path)}
            else:
                kept = {"mapping": str(path)}
            rest = _run_points(experiment, points[:at] + points[at + 1:], reduce, client,
                               workers, progress, kept)
            results = rest[:at] + [mapped_first] + rest[at:]

    index = pd.MultiIndex.from_tuples([tuple(p.values()) for p in points],
                                      names=list(axes))
    stacked = xr.concat(list(results), dim="point", join="outer",
                        combine_attrs="drop_conflicts")
    stacked = stacked.assign_coords(xr.Coordinates.from_pandas_multiindex(index, "point"))
    stacked.attrs.update(_wafer_time(stacked, None if map_at is None else first))
    return stacked.unstack("point")


def _mapping_point(map_at, axes: dict) -> dict:
    """The grid point ``map_at`` names, checked."""
    if isinstance(map_at, str) and map_at == "max":
        return {name: max(values) for name, values in axes.items()}
    if not isinstance(map_at, Mapping) or set(map_at) != set(axes):
        raise ValueError(f"sweep: map_at={map_at!r} must be 'max' or give a value of "
                         f"every grid dimension {list(axes)}")
    for name, value in map_at.items():
        if value not in axes[name]:
            raise ValueError(f"sweep: map_at[{name!r}]={value!r} is not a value of the "
                             f"grid ({axes[name]})")
    return {name: map_at[name] for name in axes}


def _wafer_time(stacked: xr.Dataset, first: dict | None) -> dict:
    """The wafer's total time for the sweep (s): as configured, by remapping every
    point, by reconfiguring one mapping."""
    if "configuration_time_s" not in stacked or "wafer_duration_s" not in stacked:
        return {}
    configured = stacked.configuration_time_s.values
    if np.isnan(configured).any():
        return {}
    runs = float(stacked.wafer_duration_s.sum())
    n = stacked.sizes["point"]
    return {"wafer_time_s": float(configured.sum()) + runs,
            "wafer_time_remapping_s": n * CONFIGURATION_TIME_S + runs,
            "wafer_time_reconfiguring_s": CONFIGURATION_TIME_S
            + (n - 1) * RECONFIGURATION_TIME_S + runs,
            "mapped_at": "every point" if first is None else repr(first)}


def _run_points(experiment, points: list, reduce, client, workers, progress,
                kept: dict | None = None) -> list:
    """Every point, on the cluster or on local processes."""
    if not points:
        return []
    try:
        import dask
    except ImportError as error:  # pragma: no cover - dask is an extra
        raise ImportError("sweep needs dask: pip install 'bss1lab[dask]'") from error

    if client is not None:
        # one point per worker thread: the emulator itself runs on one thread there
        futures = client.map(_run_point, [experiment] * len(points), points,
                             [reduce] * len(points), [1] * len(points),
                             [kept] * len(points), pure=False)
        if progress:
            from distributed import progress as show_progress
            show_progress(futures)
        results = client.gather(futures)
    else:
        from bss1lab.emulator.threads import available_cpus
        cores = available_cpus()  # the affinity mask and the cgroup quota
        n_workers = min(len(points), cores if workers is None else int(workers))
        if n_workers < 1:
            raise ValueError(f"sweep: workers={workers!r} must be >= 1")
        threads = max(1, cores // n_workers)
        tasks = [dask.delayed(_run_point)(experiment, point, reduce, threads, kept)
                 for point in points]
        if progress:
            from dask.diagnostics import ProgressBar
            with ProgressBar():
                results = dask.compute(*tasks, scheduler="processes",
                                       num_workers=n_workers)
        else:
            results = dask.compute(*tasks, scheduler="processes", num_workers=n_workers)
    return list(results)


def _run_point(experiment: Callable[..., xr.Dataset], point: dict,
               reduce: Callable[[xr.Dataset], xr.Dataset] | None,
               threads: int, extra: dict | None = None) -> xr.Dataset:
    """One grid point, in a worker: run, reduce, keep the run facts (``extra``: the
    mapping keywords of the wafer's way)."""
    from bss1lab.emulator.threads import using_threads
    with using_threads(threads if threads > 0 else None):
        ds = experiment(**point, **(extra or {}))
    if reduce is None:
        from bss1lab.experiments.analysis import population_summary
        reduce = population_summary
    summary = reduce(ds)
    if isinstance(summary, xr.DataArray):
        summary = summary.to_dataset(name=summary.name or "value")
    facts = {name: xr.DataArray(np.asarray(ds.attrs[name]))
             for name in FACTS if name in ds.attrs}
    return summary.assign(facts)
