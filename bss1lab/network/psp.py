"""Translations between the ways models state a synapse's strength: a PSP in mV, a
current amplitude in nA, a conductance in uS. Used by the seed networks to carry a
weight from one neuron model to another."""

from __future__ import annotations

import numpy as np

__all__ = ["psc_for_psp", "conductance_for_delta_psp"]


def psc_for_psp(psp: float, cm: float, tau_m: float, tau_syn: float) -> float:
    """Amplitude (nA) of an exponentially decaying current whose PSP peaks at ``psp``.

    Parameters
    ----------
    psp : float
        Peak of the postsynaptic potential, mV.
    cm : float
        Membrane capacitance, nF.
    tau_m, tau_syn : float
        Membrane and synaptic time constants, ms (different).

    Returns
    -------
    float
        nA; the peak of the PSP of ``I(t) = A exp(-t / tau_syn)`` on a leaky membrane
        is ``A tau_m tau_syn / (cm (tau_m - tau_syn)) (r^(tau_syn / d) - r^(tau_m / d))``
        with ``r = tau_syn / tau_m`` and ``d = tau_m - tau_syn``.
    """
    if tau_m == tau_syn:
        raise ValueError(f"psc_for_psp: tau_m={tau_m} ms equals tau_syn={tau_syn} ms; "
                         "the closed form needs them different")
    d = tau_m - tau_syn
    r = tau_syn / tau_m
    peak_per_na = tau_m * tau_syn / (cm * d) * (r ** (tau_syn / d) - r ** (tau_m / d))
    return psp / peak_per_na


def conductance_for_delta_psp(jump: float, cm: float, tau_syn: float, e_rev: float,
                              v_mean: float) -> float:
    """Conductance (uS) that carries the charge of a delta synapse's voltage jump.

    A jump of ``jump`` mV on ``cm`` nF is a charge ``jump * cm`` pC; an exponentially
    decaying conductance ``g`` at the driving force ``e_rev - v_mean`` carries
    ``g |e_rev - v_mean| tau_syn``. This is how the wafer's random network turned
    Brunel's current-based weights into conductances (it gives its 1.714 nS for a
    0.72 mV jump, 1 nF, tau_syn 3 ms, E_rev 140 mV, V 0 mV).

    Parameters
    ----------
    jump : float
        mV (its sign is ignored; the receptor decides).
    cm : float
        nF.
    tau_syn : float
        ms.
    e_rev, v_mean : float
        Reversal potential of the synapse and the membrane potential it is evaluated
        at, mV.
    """
    driving_force = abs(e_rev - v_mean)
    if driving_force == 0:
        raise ValueError(f"conductance_for_delta_psp: e_rev={e_rev} mV equals "
                         f"v_mean={v_mean} mV; there is no driving force")
    return float(np.abs(jump) * cm / (tau_syn * driving_force))
