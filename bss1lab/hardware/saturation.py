"""The synaptic input circuits' saturation: above some input the conductance a
circuit delivers falls short of the model.

The effective conductance is g / sqrt(1 + (g / g_s)^2) (the emulator's neuron step
applies it); this module chooses g_s per cell and receptor at mapping time, from the
cell's realised synapses and time constants.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from bss1lab.hardware.spec import REFERENCE_SPEEDUP, SATURATION_RATE_HZ, SATURATION_SHORTFALL
from bss1lab.network.realise import RealisedNetwork

__all__ = ["saturation_conductances"]


@njit(cache=True)
def _sum_weights(post, weight, summed):
    """Add the weights onto their targets, in synapse order (as ``np.bincount``)."""
    for s in range(post.shape[0]):
        summed[post[s]] += np.float64(weight[s])


def saturation_conductances(network: RealisedNetwork, speedup: float) -> np.ndarray:
    """Where each cell's synaptic inputs saturate, uS, shape (2, cells): row 0
    excitatory, row 1 inhibitory; 0 for cells without that synaptic time constant
    (spike sources).

    g_s is chosen so that with all its inputs firing at SATURATION_RATE_HZ (quoted at
    a speed-up of 1e4) a neuron's mean conductance (rate x tau_syn x summed weights)
    falls SATURATION_SHORTFALL short of the model.

    Examples
    --------
    >>> from bss1lab.network import IF_cond_exp, Network, Population
    >>> from bss1lab.network.realise import realise
    >>> net = realise(Network(Population(2, IF_cond_exp(), label="p")), 0)
    >>> saturation_conductances(net, 1e4).shape
    (2, 2)
    """
    n = network.n_cells
    summed = np.zeros((2, n))
    for p in range(len(network.projection_labels)):
        if network.projection_offsets[p + 1] == network.projection_offsets[p]:
            continue
        _, post, weight, _ = network.projection_synapses(p)
        _sum_weights(post, weight, summed[network.projection_receptors[p]])
    factor = 1.0 / np.sqrt(1.0 / (1.0 - SATURATION_SHORTFALL) ** 2 - 1.0)
    conductance = np.zeros((2, n))
    for receptor, name in ((0, "E"), (1, "I")):
        tau = np.zeros(n)
        for population in network.populations:
            if f"tau_syn_{name}" in population.parameters:
                tau[population.start:population.stop] = population.parameters[
                    f"tau_syn_{name}"]
        rate_hz = SATURATION_RATE_HZ * REFERENCE_SPEEDUP / speedup  # quoted at 1e4
        conductance[receptor] = rate_hz * 1e-3 * tau * summed[receptor] * factor
    return conductance
