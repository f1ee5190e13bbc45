"""Short-term plasticity on the wafer: the synapse drivers' circuit.

It does depression or facilitation, not both, with U in a narrow range
(``STP_U_RANGE``); a plastic projection mapped with this effect runs the circuit's
model instead of Tsodyks-Markram (depressing without ``tau_facil``, else
facilitating). The emulator runs whichever model ``MappedNetwork.stp_models`` names.
"""

from __future__ import annotations

import warnings

import numpy as np

from bss1lab.hardware.spec import STP_U_RANGE
from bss1lab.network.realise import RealisedNetwork

__all__ = ["wafer_plasticity", "stp_models"]


def wafer_plasticity(network: RealisedNetwork, mode: str, clipped: dict) -> tuple:
    """Plastic projections as the synapse drivers can run them: depression or
    facilitation, not both, with U in the circuit's range (clipped and counted in
    ``clipped``, or an error, by ``mode``)."""
    low, high = STP_U_RANGE
    translated = []
    for label, plasticity in zip(network.projection_labels, network.projection_plasticity):
        if plasticity is None:
            translated.append(None)
            continue
        U, tau_rec, tau_facil = plasticity
        if tau_rec > 0 and tau_facil > 0:
            raise ValueError(f"Wafer.map: projection {label!r}: the synapse drivers do "
                             "depression or facilitation, not both; set tau_rec or "
                             "tau_facil to 0, or switch short_term_plasticity off")
        if not low <= U <= high:
            if mode == "error":
                raise ValueError(f"Wafer.map: projection {label!r}: U={U:g} is outside "
                                 f"the {low:g}..{high:g} the synapse drivers realise")
            warnings.warn(f"Wafer.map: projection {label!r}: U={U:g} clipped to the "
                          f"synapse drivers' {low:g}..{high:g}", stacklevel=4)
            clipped["stp_U"] = clipped.get("stp_U", 0) + 1
        translated.append((float(np.clip(U, low, high)), tau_rec, tau_facil))
    return tuple(translated)


def stp_models(network: RealisedNetwork, on_wafer: bool) -> tuple:
    """Per projection, the model its plastic synapses run (``mapped.StpModel``), None
    for static ones: the synapse drivers' circuit ``on_wafer``, else Tsodyks-Markram.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> net = SimpleNamespace(projection_plasticity=(None, (0.3, 100.0, 0.0),
    ...                                              (0.3, 0.0, 50.0)))
    >>> stp_models(net, on_wafer=True)
    (None, 'wafer_depression', 'wafer_facilitation')
    """
    if not on_wafer:
        return tuple(None if p is None else "tsodyks_markram"
                     for p in network.projection_plasticity)
    return tuple(None if p is None else
                 "wafer_facilitation" if p[2] > 0 else "wafer_depression"
                 for p in network.projection_plasticity)
