"""AdEx firing patterns: the parameter sets of Naud, Marcille, Clopath & Gerstner
(2008, Biol Cybern 99:335, Table 1) as PyNN cells and their step current."""

from __future__ import annotations

from bss1lab.network.cells import EIF_cond_exp_isfa_ista

__all__ = ["NAUD_2008", "naud_pattern"]

#: Pattern -> (C pF, g_L nS, E_L mV, V_T mV, Delta_T mV, a nS, tau_w ms, b pA, V_r mV,
#: I pA), as in the paper's table.
NAUD_2008 = {
    "tonic": (200, 10, -70, -50, 2, 2, 30, 0, -58, 500),
    "adapting": (200, 12, -70, -50, 2, 2, 300, 60, -58, 500),
    "initial_burst": (130, 18, -58, -50, 2, 4, 150, 120, -50, 400),
    "regular_bursting": (200, 10, -58, -50, 2, 2, 120, 100, -46, 210),
}


def naud_pattern(pattern: str) -> tuple[EIF_cond_exp_isfa_ista, float]:
    """The AdEx cell and step current (nA) of one of Naud et al.'s patterns.

    Parameters
    ----------
    pattern : {"tonic", "adapting", "initial_burst", "regular_bursting"}

    Returns
    -------
    (EIF_cond_exp_isfa_ista, float)
        The cell in PyNN units (spike detection 5 Delta_T above V_T, no refractory
        time, as in the paper) and the current amplitude, nA.
    """
    if pattern not in NAUD_2008:
        raise ValueError(f"naud_pattern: pattern={pattern!r}; allowed: {list(NAUD_2008)}")
    c, g_l, e_l, v_t, delta_t, a, tau_w, b, v_r, current = NAUD_2008[pattern]
    cell = EIF_cond_exp_isfa_ista(cm=c * 1e-3, tau_m=c / g_l, v_rest=e_l, v_thresh=v_t,
                                  delta_T=delta_t, a=a, tau_w=tau_w, b=b * 1e-3,
                                  v_reset=v_r, v_spike=v_t + 5 * delta_t, tau_refrac=0.0)
    return cell, current * 1e-3
