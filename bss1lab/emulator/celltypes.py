"""How the emulator runs each PyNN cell type: one declarative translation per type.

As a PyNN backend does (``translations``, ``nest_name``), each cell type the emulator
knows has one :class:`Translation`: the kernel's kind code, the PyNN parameters its
kernel reads as they are, and whether it has the AdEx terms. Everything else the
kernel reads is derived from PyNN parameters the same way for every neuron type
(``layout.neuron_parameters``). Types are looked up by class (a subclass runs as its
nearest known base), never by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from bss1lab.emulator import contracts
from bss1lab.network.cells import (CellType, EIF_cond_exp_isfa_ista, IF_cond_exp,
                                   IF_curr_delta, IF_curr_exp, SpikeSourceArray,
                                   SpikeSourcePoisson)

__all__ = ["Translation", "TRANSLATIONS", "translation"]


@dataclass(frozen=True)
class Translation:
    """What the emulator makes of one cell type.

    Attributes
    ----------
    name : str
        The PyNN name.
    kind : int
        The kernel's ``KIND_*`` code.
    copied : tuple of str
        PyNN parameters the kernel reads unchanged (same name, same unit).
    adex : bool
        Adaptation current and exponential term (``a`` nS -> uS, ``tau_w``,
        ``v_spike`` as the spike detection threshold).
    """

    name: str
    kind: int
    copied: tuple[str, ...] = ()
    adex: bool = False

    @property
    def is_source(self) -> bool:
        return self.kind >= contracts.KIND_POISSON


_INTEGRATE_AND_FIRE = ("v_rest", "v_thresh", "v_reset", "i_offset")
_REVERSAL = ("e_rev_E", "e_rev_I")

#: The translation of every cell type the emulator runs.
TRANSLATIONS: dict[type, Translation] = {
    IF_cond_exp: Translation("IF_cond_exp", contracts.KIND_COND_EXP,
                             _INTEGRATE_AND_FIRE + _REVERSAL),
    EIF_cond_exp_isfa_ista: Translation("EIF_cond_exp_isfa_ista", contracts.KIND_COND_EXP,
                                        _INTEGRATE_AND_FIRE + _REVERSAL + ("delta_T", "b"),
                                        adex=True),
    IF_curr_exp: Translation("IF_curr_exp", contracts.KIND_CURR_EXP, _INTEGRATE_AND_FIRE),
    IF_curr_delta: Translation("IF_curr_delta", contracts.KIND_CURR_DELTA,
                               _INTEGRATE_AND_FIRE),
    SpikeSourcePoisson: Translation("SpikeSourcePoisson", contracts.KIND_POISSON),
    SpikeSourceArray: Translation("SpikeSourceArray", contracts.KIND_ARRAY),
}


def translation(cell_type: CellType) -> Translation:
    """The translation of ``cell_type`` (of its nearest base the emulator knows).

    Raises
    ------
    ValueError
        For a cell type the emulator cannot run, naming the ones it can.

    Examples
    --------
    >>> translation(IF_cond_exp()).kind == contracts.KIND_COND_EXP
    True
    """
    for cls in type(cell_type).__mro__:
        if cls in TRANSLATIONS:
            return TRANSLATIONS[cls]
    raise ValueError(f"the emulator cannot run {type(cell_type).__name__}; it runs "
                     f"{sorted(t.name for t in TRANSLATIONS.values())}")
