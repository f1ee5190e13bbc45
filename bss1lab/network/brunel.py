"""The balanced random network (Brunel 2000) as BrainScaleS-1 ran it.

Numbers from the wafer experiment (electronicvisions/brainscales1-demos:
random_network.rst), as collected in the project's hardware reference.
"""

from __future__ import annotations

__all__ = ["HARDWARE_CELL_PARAMETERS", "HARDWARE_PSP_MV", "HARDWARE_EXCITATORY_WEIGHT_US"]

#: IF_cond_exp parameters of the wafer's 2,083-neuron random network (PyNN units).
HARDWARE_CELL_PARAMETERS = {
    "cm": 1.0, "tau_m": 10.0, "tau_syn_E": 3.0, "tau_syn_I": 3.0, "tau_refrac": 2.0,
    "v_rest": 0.0, "v_reset": 10.0, "v_thresh": 20.0, "e_rev_E": 140.0, "e_rev_I": -140.0,
}
#: PSP of one excitatory synapse in the wafer's version: Brunel's 0.1 mV, scaled up 6x
#: for the 6x smaller network and by a further 1.2.
HARDWARE_PSP_MV = 0.1 * 6 * 1.2
#: Conductance that gives HARDWARE_PSP_MV at the mean membrane potential (uS).
HARDWARE_EXCITATORY_WEIGHT_US = 1.714e-3
