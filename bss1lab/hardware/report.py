"""What a mapping changed or lost, as the result's attrs and variables: the whole
network's numbers, per projection and per HICANN of the wafer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bss1lab.hardware.placement import Placement
from bss1lab.hardware.routing import Routing
from bss1lab.hardware.spec import (CONFIGURATION_TIME_S, HICANNS_PER_WAFER, MODULE_POWER_W,
                                   RECONFIGURATION_TIME_S)
from bss1lab.network.realise import RealisedNetwork

if TYPE_CHECKING:
    from bss1lab.hardware.pipeline import ProgrammedParameters
    from bss1lab.hardware.wafer import Wafer

__all__ = ["mapping_reports"]


def mapping_reports(wafer: "Wafer", requested: RealisedNetwork, network: RealisedNetwork,
                    placement: Placement, routing: Routing,
                    parameters: "ProgrammedParameters", quantization_error: np.ndarray,
                    *, trial: int, reconfiguration: bool, mapping_time_s: float
                    ) -> tuple[dict, dict, dict]:
    """``(report, projection_report, hicann_report)`` of a mapping.

    ``report`` holds numbers only (the result's attrs); ``configuration_time_s`` is
    what configuring the wafer takes (s): ``CONFIGURATION_TIME_S`` for a first
    configuration, ``RECONFIGURATION_TIME_S`` when only weights, rates or floating
    gates are programmed again on a kept placement and routing.
    """
    n_requested = requested.n_synapses
    keep = routing.realised
    realised = int(keep.sum())
    requested_per_projection = np.diff(requested.projection_offsets)
    realised_per_projection = np.diff(network.projection_offsets)
    neurons = [p for p in network.populations if not p.is_source]
    reset_above = sum(int((p.parameters["v_reset"] >= p.parameters["v_thresh"]).sum())
                      for p in neurons)
    lost = n_requested - realised
    clipped = parameters.clipped
    report = {
        "synapses_requested": n_requested,
        "synapses_realised": realised,
        "synapses_lost": lost,
        "synapses_lost_unreached": routing.synapses_unreached,
        "synapse_loss_fraction": lost / n_requested if n_requested else 0.0,
        "weight_quantization_error": float(
            np.sum(quantization_error * realised_per_projection) / max(realised, 1)),
        "parameters_clipped": int(sum(clipped.values())),
        **{f"clipped_{name}": count for name, count in clipped.items()},
        "v_reset_shared_blocks": parameters.v_reset_shared_blocks,
        "neurons_reset_at_or_above_threshold": reset_above,
        "hicanns_used": placement.hicanns_used,
        "neurons_placed": sum(p.size for p in neurons),
        "synapse_drivers_used": int(routing.drivers_used.sum()),
        "synapse_drivers_needed": int(routing.drivers_needed.sum()),
        "wafer_seed": int(wafer.seed),
        "trial": int(trial),
        "configuration_time_s": (RECONFIGURATION_TIME_S if reconfiguration
                                 else CONFIGURATION_TIME_S),
        "mapping_time_s": mapping_time_s,
        "module_power_w": MODULE_POWER_W,
    }
    neuron_cells = np.concatenate([np.arange(p.start, p.stop) for p in neurons]
                                  or [np.empty(0, int)])
    hicann_report = {
        "neurons_placed": np.bincount(placement.hicann[neuron_cells].astype(np.int64),
                                      minlength=HICANNS_PER_WAFER),
        "drivers_needed": routing.drivers_needed.copy(),
        "drivers_used": routing.drivers_used.copy(),
    }
    projection_report = {"synapses_requested": requested_per_projection,
                         "synapses_realised": realised_per_projection,
                         "weight_quantization_error": quantization_error}
    return report, projection_report, hicann_report
