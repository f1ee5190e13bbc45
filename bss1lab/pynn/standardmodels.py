"""PyNN's standard models as bss1lab runs them: each cell type names the bss1lab cell
type it becomes, with PyNN's parameter names kept as the native ones (bss1lab speaks
PyNN's names and units already, so every translation is the identity)."""

from __future__ import annotations

import numpy as np
from pyNN import errors
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import (StandardCurrentSource, build_translations, cells,
                                 electrodes, synapses)

from bss1lab import network as bss
from bss1lab.pynn.simulator import state
from bss1lab.validation import MAX_TIME_MS

__all__ = ["IF_cond_exp", "EIF_cond_exp_isfa_ista", "IF_curr_exp", "IF_curr_delta",
           "SpikeSourcePoisson", "SpikeSourceArray", "DCSource", "StepCurrentSource",
           "ACSource", "NoisyCurrentSource", "StaticSynapse", "TsodyksMarkramSynapse"]


def _identity(pynn_class: type) -> dict:
    return build_translations(*[(name, name) for name in pynn_class.default_parameters])


class IF_cond_exp(cells.IF_cond_exp):
    __doc__ = cells.IF_cond_exp.__doc__
    translations = _identity(cells.IF_cond_exp)
    bss1lab_type = bss.IF_cond_exp


class EIF_cond_exp_isfa_ista(cells.EIF_cond_exp_isfa_ista):
    __doc__ = cells.EIF_cond_exp_isfa_ista.__doc__
    translations = _identity(cells.EIF_cond_exp_isfa_ista)
    bss1lab_type = bss.EIF_cond_exp_isfa_ista


class IF_curr_exp(cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    translations = _identity(cells.IF_curr_exp)
    bss1lab_type = bss.IF_curr_exp


class IF_curr_delta(cells.IF_curr_delta):
    __doc__ = cells.IF_curr_delta.__doc__
    translations = _identity(cells.IF_curr_delta)
    bss1lab_type = bss.IF_curr_delta


class SpikeSourcePoisson(cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = _identity(cells.SpikeSourcePoisson)
    bss1lab_type = bss.SpikeSourcePoisson


class SpikeSourceArray(cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    translations = _identity(cells.SpikeSourceArray)
    bss1lab_type = bss.SpikeSourceArray


class _CurrentSource(StandardCurrentSource):
    """A current source: its parameters, and the cells (global indices) it feeds.

    Sources become ``bss1lab.network.StepCurrentSource`` steps when the network is
    mapped; a change to a source after a run takes effect from that time on."""

    def __init__(self, **parameters):
        object.__setattr__(self, "_native", {})
        object.__setattr__(self, "cells", np.empty(0, dtype=np.int64))
        object.__setattr__(self, "_history", [])  # (from ms, steps) per setting
        super().__init__(**parameters)
        space = ParameterSpace(self.default_parameters, self.get_schema(), shape=(1,))
        space.update(**parameters)
        self.set_native_parameters(self.translate(space))
        state.current_sources.append(self)

    def set_native_parameters(self, parameters):
        parameters.evaluate(simplify=True)
        for name, value in parameters.items():
            self._native[name] = value.value if isinstance(value, Sequence) else value
        if len(self._native) == len(self.default_parameters):
            self._history.append((state.t if state.running else 0.0, self.steps()))
        state.changed = True

    def get_native_parameters(self):
        return ParameterSpace(dict(self._native))

    def inject_into(self, cells):
        for cell in cells:
            if not cell.celltype.injectable:
                raise TypeError(f"{type(self).__name__}.inject_into: cannot inject current "
                                f"into {type(cell.celltype).__name__} (a spike source)")
        object.__setattr__(self, "cells", np.union1d(
            self.cells, np.fromiter((int(c) for c in cells), dtype=np.int64)))
        state.changed = True

    def steps(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(times, amplitudes)`` of the piecewise-constant current (ms, nA)."""
        raise NotImplementedError

    def record(self):
        """Record the injected current (``get_data()`` after the run)."""

    def _get_data(self):
        """The current each time step received, ms and nA, from 0 to now: each
        setting of the source from the time it was made (as the emulation ran it)."""
        dt = state.dt
        step = np.arange(int(round(state.t / dt)) + 1)
        current = np.zeros(step.size)
        history = self._history
        for k, (since, steps) in enumerate(history):
            until = history[k + 1][0] if k + 1 < len(history) else np.inf
            now = (step * dt >= since - dt / 2) & (step * dt < until - dt / 2)
            level = np.zeros(step.size)
            for time, amplitude in zip(*(steps or ((), ()))):
                level[step >= round(time / dt)] = amplitude
            current[now] = level[now]
        return step * dt, current


class DCSource(_CurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = _identity(electrodes.DCSource)

    def steps(self):
        start, stop, amplitude = (float(self._native[k]) for k in ("start", "stop",
                                                                    "amplitude"))
        if stop <= start:
            return None
        if stop >= MAX_TIME_MS:
            return np.array([start]), np.array([amplitude])
        return np.array([start, stop]), np.array([amplitude, 0.0])


class StepCurrentSource(_CurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = _identity(electrodes.StepCurrentSource)

    def steps(self):
        times = np.asarray(self._native["times"], dtype=float)
        amplitudes = np.asarray(self._native["amplitudes"], dtype=float)
        if times.size != amplitudes.size:
            raise errors.InvalidParameterValueError(
                f"StepCurrentSource: times has {times.size} entries but amplitudes "
                f"{amplitudes.size}; they must match")
        return (times, amplitudes) if times.size else None


class _NotEmulated:
    """A current source bss1lab's engine does not have: refused on creation."""

    missing = ""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(f"bss1lab.pynn: {type(self).__name__} is not available: "
                                  f"{self.missing}. DCSource and StepCurrentSource are.")


class ACSource(_NotEmulated, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    missing = ("the engine's current input changes only at given steps (a sine would "
               "need a change every step)")


class NoisyCurrentSource(_NotEmulated, electrodes.NoisyCurrentSource):
    __doc__ = electrodes.NoisyCurrentSource.__doc__
    missing = "the engine has no noise current (use a SpikeSourcePoisson drive)"


def _minimum_delay(self) -> float:
    return state.dt if state._min_delay == "auto" else state._min_delay


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = _identity(synapses.StaticSynapse)
    _get_minimum_delay = _minimum_delay


class TsodyksMarkramSynapse(synapses.TsodyksMarkramSynapse):
    __doc__ = synapses.TsodyksMarkramSynapse.__doc__
    translations = _identity(synapses.TsodyksMarkramSynapse)
    _get_minimum_delay = _minimum_delay
