"""Cell types and spike sources with PyNN's names, default values and units.

Units (PyNN's): times in ms, voltages in mV, capacitance in nF, currents in nA,
conductances in uS (the AdEx ``a`` in nS, as in PyNN), rates in Hz.

The wafer's neurons are AdEx circuits with conductance-based synapses
(``EIF_cond_exp_isfa_ista``; ``IF_cond_exp`` is the same circuit with the adaptation and
the exponential term switched off). The current-based ``IF_curr_exp`` and
``IF_curr_delta`` are here because the original Brunel (2000) and Potjans & Diesmann
(2014) models use them: the ideal reference runs them, the wafer cannot.
"""

from __future__ import annotations

from typing import ClassVar, Sequence, Union

import numpy as np

from bss1lab.network.random import RandomDistribution
from bss1lab.validation import as_number

__all__ = [
    "CellType", "IF_cond_exp", "EIF_cond_exp_isfa_ista", "IF_curr_exp", "IF_curr_delta",
    "SpikeSource", "SpikeSourcePoisson", "SpikeSourceArray", "ParameterValue",
]

#: What a parameter may be: one value for all cells, one value per cell, or a distribution.
ParameterValue = Union[float, int, Sequence[float], np.ndarray, RandomDistribution]


def check_value(owner: str, name: str, value: ParameterValue, *, positive: bool = False,
                non_negative: bool = False) -> ParameterValue:
    """Validate one parameter value and return it in canonical form.

    Scalars become ``float``, sequences a 1-D float64 array; distributions pass
    through (their draws are checked when the network is mapped).

    Raises
    ------
    ValueError
        Naming ``owner`` and ``name`` when the value is not finite, has the wrong sign
        or the wrong shape.
    """
    if isinstance(value, RandomDistribution):
        low, high = value.bounds()
        if positive and high <= 0 or non_negative and high < 0:
            raise ValueError(f"{owner}: {name}={value!r} can never be "
                             f"{'> 0' if positive else '>= 0'}")
        return value
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{owner}: {name}={value!r} must be a number, not a boolean")
    if np.isscalar(value):
        number = as_number(owner, name, value)
        values = np.array([number])
        canonical: ParameterValue = number
    else:
        try:
            values = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{owner}: {name}={value!r} is not a number or an array of "
                             "numbers") from None
        if values.ndim != 1:
            raise ValueError(f"{owner}: {name} must be a scalar or a 1-D array with one "
                             f"value per cell, got shape {values.shape}")
        canonical = values
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}")
    if positive and np.any(values <= 0):
        raise ValueError(f"{owner}: {name} must be > 0, got {value!r}")
    if non_negative and np.any(values < 0):
        raise ValueError(f"{owner}: {name} must be >= 0, got {value!r}")
    return canonical


class CellType:
    """Base of all cell types: stores and validates parameters by PyNN name.

    Subclasses set ``default_parameters`` and ``units`` (by PyNN name), which
    parameters must be positive or non-negative, what can be recorded and how the
    synapses act (``synapse_model``: ``"cond_exp"``, ``"curr_exp"`` or ``"curr_delta"``).
    """

    default_parameters: ClassVar[dict[str, float]] = {}
    units: ClassVar[dict[str, str]] = {}
    positive: ClassVar[frozenset[str]] = frozenset()
    non_negative: ClassVar[frozenset[str]] = frozenset()
    recordable: ClassVar[tuple[str, ...]] = ("spikes",)
    synapse_model: ClassVar[str] = ""
    #: Units of a synaptic weight onto this cell type.
    weight_units: ClassVar[str] = ""
    #: Pairs (low, high) of parameters where low must stay below high.
    ordered: ClassVar[tuple[tuple[str, str], ...]] = (("v_reset", "v_thresh"),)
    is_source: ClassVar[bool] = False

    def __init__(self, **parameters: ParameterValue) -> None:
        name = type(self).__name__
        unknown = sorted(set(parameters) - set(self.default_parameters))
        if unknown:
            raise ValueError(f"{name}: unknown parameter(s) {unknown}; allowed: "
                             f"{sorted(self.default_parameters)}")
        self.parameters: dict[str, ParameterValue] = {}
        for key, default in self.default_parameters.items():
            self.parameters[key] = check_value(
                name, key, parameters.get(key, default),
                positive=key in self.positive, non_negative=key in self.non_negative)
            value = self.parameters[key]
            if key in _PLAUSIBLE_MAXIMUM and not isinstance(value, RandomDistribution):
                maximum, unit = _PLAUSIBLE_MAXIMUM[key]
                if np.max(value) > maximum:
                    raise ValueError(f"{name}: {key}={np.max(value):g} is implausibly large; "
                                     f"give it in {unit}, at most {maximum:g}")
        self._check_scalar_relations()

    def _check_scalar_relations(self) -> None:
        """Check the ``ordered`` pairs where both are plain numbers; arrays and
        distributions are checked cell by cell when the network is realised."""
        p = self.parameters
        for low, high in self.ordered:
            if isinstance(p.get(low), float) and isinstance(p.get(high), float) \
                    and p[low] >= p[high]:
                raise ValueError(f"{type(self).__name__}: {low}={p[low]} mV must be below "
                                 f"{high}={p[high]} mV")

    @property
    def conductance_based(self) -> bool:
        """True when synaptic inputs are conductances (what the wafer implements)."""
        return self.synapse_model == "cond_exp"

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.parameters.items()
                   if not (isinstance(v, float) and v == self.default_parameters[k])}
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"{type(self).__name__}({args})"


_LIF_UNITS = {"v_rest": "mV", "cm": "nF", "tau_m": "ms", "tau_refrac": "ms",
              "tau_syn_E": "ms", "tau_syn_I": "ms", "e_rev_E": "mV", "e_rev_I": "mV",
              "v_thresh": "mV", "v_reset": "mV", "i_offset": "nA"}
_TIME_CONSTANTS = frozenset({"cm", "tau_m", "tau_syn_E", "tau_syn_I", "tau_w"})
#: Largest values that can be meant in PyNN's units; beyond them a value was almost
#: surely given in other units (the usual slip: a capacitance in pF).
_PLAUSIBLE_MAXIMUM = {"cm": (100.0, "nF (PyNN's unit; 250 pF is cm=0.25)")}


class IF_cond_exp(CellType):
    """Leaky integrate-and-fire neuron with exponentially decaying synaptic conductances.

    ``C_m dV/dt = (v_rest - V) C_m / tau_m + g_E (e_rev_E - V) + g_I (e_rev_I - V) + I``;
    a spike at ``v_thresh``, then ``V = v_reset`` for ``tau_refrac``. Weights in uS.
    """

    default_parameters = {"v_rest": -65.0, "cm": 1.0, "tau_m": 20.0, "tau_refrac": 0.1,
                          "tau_syn_E": 5.0, "tau_syn_I": 5.0, "e_rev_E": 0.0,
                          "e_rev_I": -70.0, "v_thresh": -50.0, "v_reset": -65.0,
                          "i_offset": 0.0}
    units = {**_LIF_UNITS, "v": "mV", "gsyn_exc": "uS", "gsyn_inh": "uS"}
    positive = _TIME_CONSTANTS
    non_negative = frozenset({"tau_refrac"})
    recordable = ("spikes", "v", "gsyn_exc", "gsyn_inh")
    synapse_model = "cond_exp"
    weight_units = "uS"


class EIF_cond_exp_isfa_ista(CellType):
    """Adaptive exponential integrate-and-fire neuron (AdEx, Brette & Gerstner 2005).

    ``C_m dV/dt = g_L (v_rest - V) + g_L delta_T exp((V - v_thresh) / delta_T) - w
    + g_E (e_rev_E - V) + g_I (e_rev_I - V) + I`` and
    ``tau_w dw/dt = a (V - v_rest) - w``; a spike when V reaches ``v_spike``, then
    ``V = v_reset`` and ``w += b``. ``a`` in nS, ``b`` and ``w`` in nA, weights in uS.
    """

    default_parameters = {"cm": 0.281, "tau_refrac": 0.1, "v_spike": -40.0,
                          "v_reset": -70.6, "v_rest": -70.6, "tau_m": 9.3667,
                          "i_offset": 0.0, "a": 4.0, "b": 0.0805, "delta_T": 2.0,
                          "tau_w": 144.0, "v_thresh": -50.4, "e_rev_E": 0.0,
                          "tau_syn_E": 5.0, "e_rev_I": -80.0, "tau_syn_I": 5.0}
    units = {**_LIF_UNITS, "v_spike": "mV", "a": "nS", "b": "nA", "delta_T": "mV",
             "tau_w": "ms", "v": "mV", "w": "nA", "gsyn_exc": "uS", "gsyn_inh": "uS"}
    positive = _TIME_CONSTANTS
    non_negative = frozenset({"tau_refrac", "delta_T"})
    recordable = ("spikes", "v", "w", "gsyn_exc", "gsyn_inh")
    synapse_model = "cond_exp"
    weight_units = "uS"
    ordered = (("v_reset", "v_spike"), ("v_thresh", "v_spike"))


class IF_curr_exp(CellType):
    """Leaky integrate-and-fire neuron with exponentially decaying synaptic currents.

    Current-based: the original Potjans & Diesmann (2014) neuron. Weights in nA
    (negative for inhibitory synapses). Runs on the ideal reference only.
    """

    default_parameters = {"v_rest": -65.0, "cm": 1.0, "tau_m": 20.0, "tau_refrac": 0.1,
                          "tau_syn_E": 5.0, "tau_syn_I": 5.0, "i_offset": 0.0,
                          "v_reset": -65.0, "v_thresh": -50.0}
    units = {**{k: v for k, v in _LIF_UNITS.items() if not k.startswith("e_rev")},
             "v": "mV", "isyn_exc": "nA", "isyn_inh": "nA"}
    positive = _TIME_CONSTANTS
    non_negative = frozenset({"tau_refrac"})
    recordable = ("spikes", "v", "isyn_exc", "isyn_inh")
    synapse_model = "curr_exp"
    weight_units = "nA"


class IF_curr_delta(CellType):
    """Leaky integrate-and-fire neuron whose inputs step the membrane potential.

    Current-based with delta synapses: the original Brunel (2000) neuron. Weights are
    the voltage jumps in mV (negative for inhibitory synapses); inputs arriving during
    the refractory period are discarded, as in NEST's ``iaf_psc_delta``. Runs on the
    ideal reference only.
    """

    default_parameters = {"v_rest": -65.0, "cm": 1.0, "tau_m": 20.0, "tau_refrac": 0.1,
                          "i_offset": 0.0, "v_reset": -65.0, "v_thresh": -50.0}
    units = {k: v for k, v in _LIF_UNITS.items()
             if not (k.startswith("e_rev") or k.startswith("tau_syn"))} | {"v": "mV"}
    positive = _TIME_CONSTANTS
    non_negative = frozenset({"tau_refrac"})
    recordable = ("spikes", "v")
    synapse_model = "curr_delta"
    weight_units = "mV"


class SpikeSource(CellType):
    """Base of the spike sources: cells that emit spikes and receive none."""

    is_source = True
    recordable = ("spikes",)


class SpikeSourcePoisson(SpikeSource):
    """Independent Poisson spike trains of ``rate`` (Hz) from ``start`` for ``duration`` (ms).

    The spikes are drawn inside the emulator's kernel from the run seed.
    """

    default_parameters = {"rate": 1.0, "start": 0.0, "duration": 1e10}
    units = {"rate": "Hz", "start": "ms", "duration": "ms"}
    non_negative = frozenset({"rate", "start", "duration"})


class SpikeSourceArray(SpikeSource):
    """Spikes at given times (ms).

    Parameters
    ----------
    spike_times : array_like or sequence of array_like
        One array of times for every cell, or one array per cell. Times must be > 0.
    """

    default_parameters = {"spike_times": ()}  # type: ignore[dict-item]
    units = {"spike_times": "ms"}

    def __init__(self, spike_times: Sequence[float] | Sequence[Sequence[float]] = ()) -> None:
        trains = self._as_trains(spike_times)
        for i, train in enumerate(trains):
            where = "" if len(trains) == 1 else f"[{i}]"
            if not np.all(np.isfinite(train)):
                raise ValueError(f"SpikeSourceArray: spike_times{where} must be finite")
            if np.any(train <= 0):
                raise ValueError(f"SpikeSourceArray: spike_times{where} must be > 0 ms, got "
                                 f"{train[train <= 0][:5].tolist()}")
        self.parameters = {"spike_times": trains}
        self.per_cell = not (len(trains) == 1 and not _is_nested(spike_times))

    @staticmethod
    def _as_trains(spike_times: object) -> list[np.ndarray]:
        try:
            if _is_nested(spike_times):
                return [np.sort(np.asarray(t, dtype=np.float64).ravel())
                        for t in spike_times]  # type: ignore[union-attr]
            return [np.sort(np.asarray(spike_times, dtype=np.float64).ravel())]
        except (TypeError, ValueError):
            raise ValueError("SpikeSourceArray: spike_times must be an array of times in ms "
                             "or a sequence of such arrays, one per cell") from None

    def __repr__(self) -> str:
        trains = self.parameters["spike_times"]
        total = sum(len(t) for t in trains)
        return f"SpikeSourceArray({len(trains)} train(s), {total} spikes)"


def _is_nested(spike_times: object) -> bool:
    """True when ``spike_times`` is a sequence of sequences (one train per cell)."""
    if isinstance(spike_times, np.ndarray):
        return spike_times.dtype == object or spike_times.ndim > 1
    if isinstance(spike_times, (list, tuple)) and spike_times:
        return any(not np.isscalar(t) for t in spike_times)
    return False
