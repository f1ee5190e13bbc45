"""Parameter sweeps: one experiment over a grid, stacked into one Dataset, on local
processes or on a Dask cluster."""

from __future__ import annotations

import itertools
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["sweep"]

#: Run facts copied from each point's attrs into the stacked result (as variables).
FACTS = ("wall_time_s", "synaptic_events", "spikes_emitted", "spikes_recorded",
         "synapses_lost", "synapse_loss_fraction", "readout_spikes_dropped",
         "input_spikes_dropped", "wafer_duration_s")


def sweep(experiment: Callable[..., xr.Dataset], *,
          reduce: Callable[[xr.Dataset], xr.Dataset] | None = None,
          client: Any = None, workers: int | None = None, progress: bool = True,
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
    **grid : sequences
        The grid: dimension name -> values, e.g. ``g=[4, 6], eta=[1, 2]``.

    Returns
    -------
    xarray.Dataset
        ``reduce``'s variables with the grid dimensions added (in the order given),
        plus each point's run facts (wall time, synapses lost, spikes dropped, ...)
        as variables. Every point runs with the same seeds wherever it runs, so the
        numbers do not depend on the cluster.

    Notes
    -----
    Local workers are started processes ("spawn"): in a script, call ``sweep`` under
    ``if __name__ == "__main__":`` (notebooks need nothing).
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
    try:
        import dask
    except ImportError as error:  # pragma: no cover - dask is an extra
        raise ImportError("sweep needs dask: pip install 'bss1lab[dask]'") from error

    if client is not None:
        # one point per worker thread: the emulator itself runs on one thread there
        futures = client.map(_run_point, [experiment] * len(points), points,
                             [reduce] * len(points), [1] * len(points), pure=False)
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
        tasks = [dask.delayed(_run_point)(experiment, point, reduce, threads)
                 for point in points]
        if progress:
            from dask.diagnostics import ProgressBar
            with ProgressBar():
                results = dask.compute(*tasks, scheduler="processes",
                                       num_workers=n_workers)
        else:
            results = dask.compute(*tasks, scheduler="processes", num_workers=n_workers)

    index = pd.MultiIndex.from_tuples([tuple(p.values()) for p in points],
                                      names=list(axes))
    stacked = xr.concat(list(results), dim="point", join="outer",
                        combine_attrs="drop_conflicts")
    stacked = stacked.assign_coords(xr.Coordinates.from_pandas_multiindex(index, "point"))
    return stacked.unstack("point")


def _run_point(experiment: Callable[..., xr.Dataset], point: dict,
               reduce: Callable[[xr.Dataset], xr.Dataset] | None,
               threads: int) -> xr.Dataset:
    """One grid point, in a worker: run, reduce, keep the run facts."""
    from bss1lab.emulator.threads import using_threads
    with using_threads(threads if threads > 0 else None):
        ds = experiment(**point)
    if reduce is None:
        from bss1lab.experiments.analysis import population_summary
        reduce = population_summary
    summary = reduce(ds)
    if isinstance(summary, xr.DataArray):
        summary = summary.to_dataset(name=summary.name or "value")
    facts = {name: xr.DataArray(np.asarray(ds.attrs[name]))
             for name in FACTS if name in ds.attrs}
    return summary.assign(facts)
