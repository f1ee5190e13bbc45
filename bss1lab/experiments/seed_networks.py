"""The two networks the BrainScaleS-1 authors ran, as one-call experiments, and the
side-by-side view of a wafer run and its ideal reference."""

from __future__ import annotations

import os
from typing import Callable, Mapping, Sequence

import numpy as np
import xarray as xr

from bss1lab.experiments.run import run
from bss1lab.hardware.mapped import MappedNetwork
from bss1lab.hardware.wafer import Wafer
from bss1lab.network.brunel import brunel_network
from bss1lab.network.microcircuit import (POPULATIONS, REFERENCE_RATES_HZ,
                                          microcircuit_network)

__all__ = ["balanced_random_network", "cortical_microcircuit", "compare"]


def balanced_random_network(flavour: str = "hardware", *, wafer: Wafer | None = None,
                            duration: float = 1000.0, seed: int | None = 0,
                            record_spikes: Sequence[str] | str | None = None,
                            record_variables: Sequence[str] = (),
                            record_cells: Mapping[str, Sequence[int]] | None = None,
                            isolate: Mapping[str, Sequence[int]] | None = None,
                            on_chunk: Callable | None = None,
                            mapping: MappedNetwork | str | os.PathLike | None = None,
                            save_mapping: str | os.PathLike | None = None,
                            **parameters) -> xr.Dataset:
    """Run Brunel's balanced random network (see ``brunel_network``).

    Parameters
    ----------
    flavour : {"hardware", "original"}
        The wafer run's adaptation (2,083 IF_cond_exp neurons) or Brunel's model.
    wafer : Wafer, optional
        Default ``Wafer()``; ``Wafer.ideal()`` for the reference simulation. The
        original flavour (current-based) runs on ``Wafer.ideal()`` only.
    duration : float
        Biological ms.
    seed : int or None
        One seed for connectivity and input (see ``run``).
    record_spikes, record_variables, record_cells, isolate, on_chunk
        As for ``run``; e.g. ``isolate={"E": range(30)}`` gives 30 neurons a HICANN
        each, as the seed experiment did to record them at high rates.
    mapping, save_mapping
        As for ``run``: reconfigure a kept mapping instead of mapping anew (what the
        seed experiment did across its g x eta sweep), or save the one used.
    **parameters
        Network parameters: ``n_neurons``, ``g``, ``eta``, ``J``, ``epsilon``,
        ``excitatory_fraction``, ``delay``, ``keep``, ``extra_weight_factor``,
        ``pool_in_degree``, ``v_mean``.

    Returns
    -------
    xarray.Dataset
        As ``run``'s, with ``experiment``, ``flavour`` and the parameters in attrs.
    """
    network = brunel_network(flavour, **parameters)
    ds = run(network, duration, wafer=wafer, seed=seed, record_spikes=record_spikes,
             record_variables=record_variables, record_cells=record_cells,
             isolate=isolate, on_chunk=on_chunk, mapping=mapping,
             save_mapping=save_mapping)
    return ds.assign_attrs(experiment="balanced random network", flavour=flavour,
                           **_parameter_attrs(parameters))


def cortical_microcircuit(flavour: str = "original", *, wafer: Wafer | None = None,
                          duration: float = 1000.0, seed: int | None = 0,
                          record_spikes: Sequence[str] | str | None = None,
                          record_variables: Sequence[str] = (),
                          record_cells: Mapping[str, Sequence[int]] | None = None,
                          on_chunk: Callable | None = None,
                          mapping: MappedNetwork | str | os.PathLike | None = None,
                          save_mapping: str | os.PathLike | None = None,
                          **parameters) -> xr.Dataset:
    """Run the cortical microcircuit (see ``microcircuit_network``).

    Parameters
    ----------
    flavour : {"original", "hardware"}
        Potjans & Diesmann's model (current-based: runs on ``Wafer.ideal()`` only) or
        the wafer run's adaptation (IF_cond_exp, 10 % scale, no external input).
    wafer : Wafer, optional
        Default ``Wafer.ideal()`` for the original flavour, ``Wafer()`` for the
        hardware one.
    duration, seed, record_spikes, record_variables, record_cells, on_chunk, mapping,
    save_mapping
        As for ``balanced_random_network``.
    **parameters
        Network parameters: ``N_scaling``, ``K_scaling``, ``background``, ``g``,
        ``mean_psp``, ``background_rate``.

    Returns
    -------
    xarray.Dataset
        As ``run``'s, plus ``reference_rate`` (dim population): the full model's
        published population rates (Hz) to compare with.
    """
    network = microcircuit_network(flavour, **parameters)
    if wafer is None and mapping is None:
        wafer = Wafer() if flavour == "hardware" else Wafer.ideal()
    ds = run(network, duration, wafer=wafer, seed=seed, record_spikes=record_spikes,
             record_variables=record_variables, record_cells=record_cells,
             on_chunk=on_chunk, mapping=mapping, save_mapping=save_mapping)
    reference = xr.DataArray(REFERENCE_RATES_HZ, dims="population_name",
                             coords={"population_name": list(POPULATIONS)},
                             attrs={"units": "Hz", "long_name": "full-scale model's mean "
                                    "rate (PD14 reference implementation, NEST)"})
    return ds.assign(reference_rate=reference).assign_attrs(
        experiment="cortical microcircuit", flavour=flavour, **_parameter_attrs(parameters))


def compare(on_wafer: xr.Dataset, ideal: xr.Dataset, *, t_start: float | None = None,
            t_stop: float | None = None) -> xr.Dataset:
    """Put a wafer run and its ideal reference side by side, population by population.

    Parameters
    ----------
    on_wafer, ideal : xarray.Dataset
        Results of the same experiment on ``Wafer()`` and on ``Wafer.ideal()``.
    t_start, t_stop : float, optional
        The window analysed, ms (default: each record's whole interval).

    Returns
    -------
    xarray.Dataset
        dims ``run`` (``"wafer"``, ``"ideal"``) x ``population``: rate, cv_isi,
        synchrony, oscillation frequency and regime (see ``analysis``), and the
        wafer run's losses (synapses lost, spikes dropped) and times in attrs.
    """
    from bss1lab.experiments.analysis import population_summary

    summaries = [population_summary(ds, t_start=t_start, t_stop=t_stop)
                 for ds in (on_wafer, ideal)]
    both = xr.concat(summaries, dim=xr.DataArray(["wafer", "ideal"], dims="run",
                                                 name="run"), join="outer")
    facts = ("synapses_requested", "synapses_realised", "synapses_lost",
             "synapse_loss_fraction", "readout_spikes_dropped", "input_spikes_dropped",
             "wall_time_s", "wafer_duration_s", "wafer")
    both.attrs = {f"wafer_{k}" if not k.startswith("wafer") else k: on_wafer.attrs[k]
                  for k in facts if k in on_wafer.attrs}
    both.attrs["ideal_wall_time_s"] = ideal.attrs.get("wall_time_s", np.nan)
    return both


def _parameter_attrs(parameters: dict) -> dict:
    """Network parameters as attrs (numbers and strings keep; others as text)."""
    return {key: value if isinstance(value, (int, float, str)) else repr(value)
            for key, value in parameters.items()}
