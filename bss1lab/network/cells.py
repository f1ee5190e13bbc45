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
from bss1lab.validation import MAX_TIME_MS, as_number, as_numbers

__all__ = [
    "CellType", "IF_cond_exp", "EIF_cond_exp_isfa_ista", "IF_curr_exp", "IF_curr_delta",
    "SpikeSource", "SpikeSourcePoisson", "SpikeSourceArray", "ParameterValue",
]

#: What a parameter may be: one value for all cells, one value per cell, or a distribution.
ParameterValue = Union[float, int, Sequence[float], np.ndarray, RandomDistribution]


def check_value(owner: str, name: str, value: ParameterValue, *, positive: bool = False,
                non_negative: bool = False, allowed: tuple[float, float] | None = None,
                unit: str = "") -> ParameterValue:
    """Validate one parameter value and return it in canonical form.

    Scalars become ``float``, sequences a 1-D float64 array; distributions pass
    through when they can produce allowed values (their draws are checked when the
    network is mapped).

    Parameters
    ----------
    owner, name : str
        Who asks, and the parameter's name, for the messages.
    value : float, sequence of float, ndarray or RandomDistribution
    positive, non_negative : bool
        Whether every value must be > 0, or >= 0.
    allowed : (low, high), optional
        The inclusive range every value must lie in, in ``unit``.

    Raises
    ------
    ParameterTypeError
        When the value is not a number, an array of numbers or a distribution.
    ValueError
        Naming ``owner`` and ``name`` when the value is not finite, has the wrong sign,
        lies outside ``allowed`` or has the wrong shape.
    """
    if isinstance(value, RandomDistribution):
        low, high = value.bounds()
        if positive and high <= 0 or non_negative and high < 0:
            raise ValueError(f"{owner}: {name}={value!r} can never be "
                             f"{'> 0' if positive else '>= 0'}")
        if allowed is not None and (high < allowed[0] or low > allowed[1]):
            raise ValueError(f"{owner}: {name}={value!r} can never lie in the allowed "
                             f"{allowed[0]:g}..{allowed[1]:g} {unit}")
        return value
    if np.isscalar(value) or isinstance(value, (bool, np.bool_)):
        number = as_number(owner, name, value)
        values = np.array([number])
        canonical: ParameterValue = number
    else:
        values = np.asarray(as_numbers(owner, name, value)).reshape(np.shape(value))
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
    if allowed is not None and values.size and (values.min() < allowed[0]
                                                or values.max() > allowed[1]):
        outside = values[(values < allowed[0]) | (values > allowed[1])]
        raise ValueError(f"{owner}: {name}={outside[0]:g} {unit} is outside the allowed "
                         f"{allowed[0]:g}..{allowed[1]:g} {unit}"
                         + (f" ({outside.size} values outside)" if outside.size > 1 else ""))
    return canonical


#: Membrane, reset, reversal and spike potentials (and initial v), mV: one volt
#: either way is ten times any biological membrane potential.
POTENTIAL_RANGE = (-1000.0, 1000.0)
#: Currents (offsets, the AdEx spike-triggered ``b`` and initial ``w``), nA: 100 nA
#: is a hundred times the rheobase of the largest cells modelled here.
CURRENT_RANGE = (-100.0, 100.0)
#: Time constants (tau_m, tau_syn_E/I, tau_w), ms: from 1 us up.
TIME_CONSTANT_RANGE = (1e-3, MAX_TIME_MS)
#: Times (refractory period, a source's start and duration), ms.
TIME_RANGE = (0.0, MAX_TIME_MS)
#: Allowed ranges by PyNN name (inclusive), with their units; ``v_thresh`` of the
#: integrate-and-fire cells has none (a threshold that is never reached is fine).
PARAMETER_RANGES: dict[str, tuple[tuple[float, float], str]] = {
    **{name: (POTENTIAL_RANGE, "mV") for name in ("v_rest", "v_reset", "v_spike", "e_rev_E",
                                                  "e_rev_I", "v")},
    **{name: (CURRENT_RANGE, "nA") for name in ("i_offset", "b", "w")},
    **{name: (TIME_CONSTANT_RANGE, "ms") for name in ("tau_m", "tau_syn_E", "tau_syn_I",
                                                      "tau_w")},
    **{name: (TIME_RANGE, "ms") for name in ("tau_refrac", "start", "duration")},
    # 1 pF, below any neuron's membrane; the upper end is _PLAUSIBLE_MAXIMUM's
    "cm": ((1e-3, np.inf), "nF"),
    "a": ((-1000.0, 1000.0), "nS"),  # one uS: 30x the leak of PyNN's default AdEx cell
    "delta_T": ((0.0, 100.0), "mV"),  # slope factor; 0.5..5 mV in published fits
}


class CellType:
    """Base of all cell types: stores and validates parameters by PyNN name.

    Subclasses set ``default_parameters`` and ``units`` (by PyNN name), which
    parameters must be positive or non-negative, what can be recorded and how the
    synapses act (``synapse_model``: ``"cond_exp"``, ``"curr_exp"`` or ``"curr_delta"``).

    Every value must be finite and lie in its allowed range (``PARAMETER_RANGES``):
    potentials (``v_rest``, ``v_reset``, ``v_spike``, ``e_rev_E``, ``e_rev_I``)
    -1000..1000 mV; currents (``i_offset``, ``b``) -100..100 nA; time constants
    (``tau_m``, ``tau_syn_E``, ``tau_syn_I``, ``tau_w``) 0.001..1e12 ms;
    ``tau_refrac`` 0..1e12 ms; ``cm`` 0.001..100 nF; AdEx ``a``
    -1000..1000 nS and ``delta_T`` 0..100 mV. ``v_thresh`` of the integrate-and-fire
    cells may be any number above ``v_reset`` (one never reached makes a cell that
    never fires); the AdEx ``v_thresh`` is a potential like the others. With
    ``method="rk2"`` the run also needs ``tau_m`` and ``tau_w`` above ``dt / 2``.
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
                positive=key in self.positive, non_negative=key in self.non_negative,
                **self.allowed_range(key))
            value = self.parameters[key]
            if key in _PLAUSIBLE_MAXIMUM and not isinstance(value, RandomDistribution):
                maximum, unit = _PLAUSIBLE_MAXIMUM[key]
                if np.max(value) > maximum:
                    raise ValueError(f"{name}: {key}={np.max(value):g} is implausibly large; "
                                     f"give it in {unit}, at most {maximum:g}")
        self._check_scalar_relations()

    def allowed_range(self, name: str) -> dict:
        """``{"allowed": (low, high), "unit": ...}`` for parameter ``name`` (the
        keywords of ``check_value``), or ``{}`` when only its sign is checked."""
        if name == "v_thresh" and "v_spike" not in self.default_parameters:
            return {}
        if name not in PARAMETER_RANGES:
            return {}
        allowed, unit = PARAMETER_RANGES[name]
        return {"allowed": allowed, "unit": unit}

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
    Allowed values: see :class:`CellType`.
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
    Allowed values: see :class:`CellType` (``v_thresh`` here -1000..1000 mV).
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

    def mean_rates(self, parameters: dict) -> np.ndarray:
        """Mean rate (Hz) of each cell of a population of this source with the
        realised per-cell ``parameters``."""
        raise NotImplementedError(f"{type(self).__name__} must implement mean_rates()")


class SpikeSourcePoisson(SpikeSource):
    """Independent Poisson spike trains of ``rate`` (Hz) from ``start`` for ``duration`` (ms).

    The spikes are drawn inside the emulator's kernel from the run seed. ``rate`` must
    be >= 0 (the run refuses more than 500 spikes per time step), ``start`` and
    ``duration`` 0..1e12 ms.
    """

    default_parameters = {"rate": 1.0, "start": 0.0, "duration": 1e10}
    units = {"rate": "Hz", "start": "ms", "duration": "ms"}
    non_negative = frozenset({"rate", "start", "duration"})

    def mean_rates(self, parameters: dict) -> np.ndarray:
        return np.asarray(parameters["rate"], dtype=np.float64)


class SpikeSourceArray(SpikeSource):
    """Spikes at given times (ms).

    Parameters
    ----------
    spike_times : array_like or sequence of array_like
        One array of times for every cell, or one array per cell. Times must be > 0
        and at most 1e12 ms.
    """

    default_parameters = {"spike_times": ()}  # type: ignore[dict-item]
    units = {"spike_times": "ms"}

    def __init__(self, spike_times: Sequence[float] | Sequence[Sequence[float]] = ()) -> None:
        trains = self._as_trains(spike_times)
        for i, train in enumerate(trains):
            where = "" if len(trains) == 1 else f"[{i}]"
            if not np.all(np.isfinite(train)):
                raise ValueError(f"SpikeSourceArray: spike_times{where} must be finite")
            wrong = (train <= 0) | (train > MAX_TIME_MS)
            if np.any(wrong):
                raise ValueError(f"SpikeSourceArray: spike_times{where} must be > 0 ms and "
                                 f"at most {MAX_TIME_MS:g} ms, got {train[wrong][:5].tolist()}")
        self.parameters = {"spike_times": trains}
        self.per_cell = not (len(trains) == 1 and not _is_nested(spike_times))

    def mean_rates(self, parameters: dict) -> np.ndarray:
        """Spikes per second up to each train's last spike."""
        return np.array([t.size / t.max() * 1e3 if t.size else 0.0
                         for t in parameters["spike_times"]])

    @staticmethod
    def _as_trains(spike_times: object) -> list[np.ndarray]:
        if _is_nested(spike_times):
            return [np.sort(as_numbers("SpikeSourceArray", f"spike_times[{i}]", t))
                    for i, t in enumerate(spike_times)]  # type: ignore[arg-type]
        return [np.sort(as_numbers("SpikeSourceArray", "spike_times", spike_times))]

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
