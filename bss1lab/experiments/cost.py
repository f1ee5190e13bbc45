"""Time and energy of a run: on the wafer, and on the machine that emulated it; and
when the wafer pays off."""

from __future__ import annotations

import numpy as np
import xarray as xr

from bss1lab.hardware.spec import (CONFIGURATION_TIME_S, MODULE_POWER_W,
                                   RECONFIGURATION_TIME_S)
from bss1lab.validation import as_count, as_instance, as_number

__all__ = ["cost", "payoff", "wafer_seconds", "wafer_energy_j", "POWER_PER_CORE_W"]

#: Model: electrical power of one busy CPU core, W. A server or laptop processor draws
#: roughly its thermal design power under load, a few watts per core (e.g. 280 W for
#: 64 cores, 15 W for 4); 5 W is this emulator's round figure. Pass your own.
POWER_PER_CORE_W = 5.0


def wafer_seconds(duration_ms: float, speedup: float) -> float:
    """How long the wafer takes for ``duration_ms`` of biological time, s."""
    return duration_ms * 1e-3 / speedup


def wafer_energy_j(wafer_s):
    """The energy the wafer module draws in ``wafer_s`` seconds (configuring or
    running), J: ``MODULE_POWER_W`` x time."""
    return MODULE_POWER_W * wafer_s


def _required(ds: xr.Dataset, *names: str) -> None:
    as_instance("cost", "ds", ds, xr.Dataset,
                "an xarray.Dataset from bss1lab.experiments.run or one of its helpers")
    missing = [n for n in names if n not in ds.attrs]
    if missing:
        raise ValueError(f"cost: the Dataset lacks {missing} in its attrs; give a result "
                         "of bss1lab.experiments.run or one of its helpers")


def cost(ds: xr.Dataset, *, power_per_core: float = POWER_PER_CORE_W,
         machine_power: float | None = None) -> xr.Dataset:
    """Time and energy of the run in ``ds`` on the wafer and on the emulating machine.

    Parameters
    ----------
    ds : xarray.Dataset
        A result of ``run`` (or a helper); the emulator's times are its own.
    power_per_core : float
        W per busy core of the emulating machine: energy = CPU time x this.
    machine_power : float, optional
        W of the whole machine instead (energy = wall time x this).

    Returns
    -------
    xarray.Dataset
        dim ``machine`` (``"wafer"``, ``"emulator"``): ``run_time_s`` (the run),
        ``setup_time_s`` (the wafer's first configuration; the emulator's mapping),
        ``rerun_setup_time_s`` (the wafer's reconfiguration for a re-run with changed
        weights or inputs), ``run_energy_j``, ``synaptic_events_per_s`` and
        ``real_time_factor`` (run time / biological time).
    """
    _required(ds, "duration_ms", "wall_time_s", "synaptic_events", "speedup")
    power_per_core = as_number("cost", "power_per_core", power_per_core, low=0.0)
    if machine_power is not None:
        machine_power = as_number("cost", "machine_power", machine_power, low=0.0)
    bio_s = ds.attrs["duration_ms"] * 1e-3
    wafer_run = wafer_seconds(ds.attrs["duration_ms"], ds.attrs["speedup"])
    wall = float(ds.attrs["wall_time_s"])
    cpu = float(ds.attrs.get("cpu_time_s", wall))
    emulator_energy = wall * machine_power if machine_power is not None else cpu * power_per_core
    events = float(ds.attrs["synaptic_events"])
    mapping = float(ds.attrs.get("mapping_time_s", np.nan))
    machine = ["wafer", "emulator"]

    def pair(wafer_value, emulator_value, units, long_name):
        return xr.DataArray([wafer_value, emulator_value], dims="machine",
                            attrs={"units": units, "long_name": long_name})

    return xr.Dataset(
        {"run_time_s": pair(wafer_run, wall, "s", "time of the run"),
         "setup_time_s": pair(CONFIGURATION_TIME_S, mapping, "s",
                              "first configuration (wafer) / mapping (emulator)"),
         "rerun_setup_time_s": pair(RECONFIGURATION_TIME_S, 0.0, "s",
                                    "setup of a re-run with changed weights or inputs"),
         "run_energy_j": pair(wafer_energy_j(wafer_run), emulator_energy, "J",
                              "energy of the run"),
         "synaptic_events_per_s": pair(events / wafer_run if wafer_run > 0 else np.nan,
                                       events / wall if wall > 0 else np.nan, "1/s",
                                       "synaptic events per second of run time"),
         "real_time_factor": pair(wafer_run / bio_s, wall / bio_s, "1",
                                  "run time / biological time")},
        coords={"machine": machine},
        attrs={"biological_time_s": bio_s, "wafer_power_w": MODULE_POWER_W,
               "emulator_power": (f"{machine_power:g} W machine" if machine_power is not None
                                  else f"{power_per_core:g} W per core x CPU time"),
               "title": f"cost of: {ds.attrs.get('title', 'a run')}"})


def payoff(ds: xr.Dataset, runs: int | list[int] = (1, 10, 100, 1000), *,
           power_per_core: float = POWER_PER_CORE_W,
           machine_power: float | None = None) -> xr.Dataset:
    """How long each run must be for the wafer to beat the emulator, for a number of
    runs of the same network.

    The wafer pays its configuration once (about a minute) and a few seconds for each
    re-run with changed weights or inputs, then runs ``speedup`` times faster than
    biology; the emulator pays its measured time per biological second for every
    run. With ``k`` runs of ``T`` biological seconds each, the wafer takes
    ``C + (k - 1) R + k T / speedup`` and the emulator ``k T r``; they break even at
    ``T = (C + (k - 1) R) / (k (r - 1 / speedup))``. Energies likewise, with the
    wafer's 2 kW during configuration and runs.

    Parameters
    ----------
    ds : xarray.Dataset
        A run that measured the emulator (its ``wall_time_s`` per biological second
        is taken as the emulator's speed for this network).
    runs : int or list of int
        Numbers of runs.
    power_per_core, machine_power
        As for :func:`cost`.

    Returns
    -------
    xarray.Dataset
        dim ``runs``: ``break_even_time_s`` and ``break_even_energy_s`` (biological
        seconds per run above which the wafer takes less time, or less energy; inf
        where the emulator is always ahead).
    """
    costs = cost(ds, power_per_core=power_per_core, machine_power=machine_power)
    runs = [as_count("payoff", "runs", k, low=1) for k in np.atleast_1d(runs)]
    k = np.array(runs, dtype=float)
    bio_s = costs.attrs["biological_time_s"]
    wafer_rate = float(costs.real_time_factor.sel(machine="wafer"))
    emulator_rate = float(costs.real_time_factor.sel(machine="emulator"))
    setup = CONFIGURATION_TIME_S + (k - 1) * RECONFIGURATION_TIME_S
    with np.errstate(divide="ignore"):
        time_gain = emulator_rate - wafer_rate
        break_even_time = np.where(time_gain > 0, setup / (k * time_gain), np.inf)
        emulator_energy_rate = float(costs.run_energy_j.sel(machine="emulator")) / bio_s
        wafer_energy_rate = wafer_energy_j(wafer_rate)
        energy_gain = emulator_energy_rate - wafer_energy_rate
        break_even_energy = np.where(energy_gain > 0,
                                     wafer_energy_j(setup) / (k * energy_gain), np.inf)
    return xr.Dataset(
        {"break_even_time_s": ("runs", break_even_time,
                               {"units": "s", "long_name": "biological time per run above "
                                "which the wafer is faster"}),
         "break_even_energy_s": ("runs", break_even_energy,
                                 {"units": "s", "long_name": "biological time per run "
                                  "above which the wafer uses less energy"})},
        coords={"runs": runs},
        attrs={"emulator_seconds_per_bio_second": emulator_rate,
               "wafer_seconds_per_bio_second": wafer_rate,
               "configuration_time_s": CONFIGURATION_TIME_S,
               "reconfiguration_time_s": RECONFIGURATION_TIME_S})
