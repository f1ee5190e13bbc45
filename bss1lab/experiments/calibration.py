"""What calibration does: the parameters a population of neurons really gets on the
wafer, with and without calibration, as a Dataset."""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr

from bss1lab.hardware.wafer import Wafer
from bss1lab.network.brunel import HARDWARE_CELL_PARAMETERS
from bss1lab.network.cells import CellType, IF_cond_exp
from bss1lab.network.model import Network, Population
from bss1lab.validation import as_count

__all__ = ["realised_parameters"]

#: Units of cell parameters (PyNN's).
PARAMETER_UNITS = {"v_rest": "mV", "v_reset": "mV", "v_thresh": "mV", "e_rev_E": "mV",
                   "e_rev_I": "mV", "tau_m": "ms", "tau_syn_E": "ms", "tau_syn_I": "ms",
                   "tau_refrac": "ms", "cm": "nF", "i_offset": "nA", "tau_w": "ms",
                   "a": "nS", "b": "nA", "delta_T": "mV", "v_spike": "mV"}


def realised_parameters(cell: CellType | None = None, n_neurons: int = 472, *,
                        wafer: Wafer | None = None, trial: int = 0) -> xr.Dataset:
    """Map ``n_neurons`` identical neurons onto the wafer, uncalibrated and
    calibrated, and return the parameters each one really gets.

    Parameters
    ----------
    cell : CellType, optional
        Default: the random network's IF_cond_exp neurons.
    n_neurons : int
        How many (472 fill one HICANN with 1-denmem neurons at ``neuron_size=1``).
    wafer : Wafer, optional
        The chip (its ``seed``), ``variation``, ``neuron_size``, ...; ``calibrated``
        is set both ways. Default ``Wafer()``.
    trial : int
        Reprogramming trial: 0 is the first programming; others redraw the
        trial-to-trial variation on the same chip.

    Returns
    -------
    xarray.Dataset
        One variable per cell parameter, dims ``calibration`` (``"uncalibrated"``,
        ``"calibrated"``) x ``neuron``, in PyNN units, with the requested value in
        each variable's ``attrs["requested"]``; coords ``hicann`` and, per
        calibration state, ``failed_denmems`` (blacklisted in calibration) in attrs.
    """
    cell = IF_cond_exp(**HARDWARE_CELL_PARAMETERS) if cell is None else cell
    n = as_count("realised_parameters", "n_neurons", n_neurons, low=1)
    wafer = Wafer() if wafer is None else wafer
    if wafer.is_ideal:
        raise ValueError("realised_parameters: Wafer.ideal() realises every parameter as "
                         "asked; give an emulated Wafer()")
    network = Network(Population(n, cell, label="neurons"))
    states = {}
    for state, calibrated in (("uncalibrated", False), ("calibrated", True)):
        mapped = dataclasses.replace(wafer, calibrated=calibrated).map(network, seed=0)
        if trial:
            mapped = mapped.reprogram(trial)
        states[state] = mapped
    population = states["calibrated"].network.populations[0]
    requested = states["calibrated"].requested.populations[0].parameters
    variables = {}
    for name in population.parameters:
        values = np.stack([np.broadcast_to(np.asarray(
            s.network.populations[0].parameters[name], dtype=float), (n,))
            for s in states.values()])
        if not np.isfinite(values).all() or values.ndim != 2:
            continue
        variables[name] = xr.DataArray(values, dims=("calibration", "neuron"), attrs={
            "units": PARAMETER_UNITS.get(name, ""),
            "requested": float(np.mean(requested[name]))})
    return xr.Dataset(
        variables,
        coords={"calibration": ["uncalibrated", "calibrated"],
                "neuron": np.arange(n, dtype=np.int32),
                "hicann": ("neuron", states["calibrated"].hicann[:n].astype(np.int16))},
        attrs={"title": f"{n} x {type(cell).__name__} on {wafer.describe()}",
               "wafer_seed": int(wafer.seed), "variation": float(wafer.variation),
               "trial": int(trial), "cell_type": type(cell).__name__})
