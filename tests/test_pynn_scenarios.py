"""PyNN's own system scenarios (``test/system/scenarios`` of PyNN 0.13's sdist, the
tests every PyNN backend is held to) run against ``bss1lab.pynn``, on the ideal
reference and on the emulated wafer.

The sdist is downloaded once into the git-ignored ``.cache/`` (tests/pynn_sdist.py).
Every scenario runs unless it is listed below with the reason bss1lab cannot run it;
the reasons are in the skip messages (``pytest -rs``).
"""

from __future__ import annotations

import importlib
import inspect
import sys
import types

import pytest

pytest.importorskip("pyNN")

from pynn_sdist import pynn_source  # noqa: E402

from pyNN import errors  # noqa: E402

import bss1lab.pynn  # noqa: E402
from bss1lab.hardware import Wafer  # noqa: E402

MODULES = ("test__simulation_control", "test_cell_types", "test_connection_handling",
           "test_connectors", "test_electrodes", "test_issue231", "test_issue274",
           "test_parameter_handling", "test_procedural_api", "test_recording",
           "test_scenario1", "test_scenario2", "test_scenario3", "test_scenario4",
           "test_scenario5", "test_synapse_types", "test_ticket166")

NOT_MODELLED = {
    "test_EIF_cond_alpha_isfa_ista": "alpha-shaped synapses (bss1lab: exponential only)",
    "test_HH_cond_exp": "Hodgkin-Huxley cells",
    "test_HH_cond_exp_standard_receptors": "Hodgkin-Huxley cells",
    "test_SpikeSourceGamma": "gamma-process spike sources",
    "test_SpikeSourcePoissonRefractory": "Poisson sources with a dead time",
    "test_composed_neuron_model_homogeneous_receptors": "PyNN's composed (PointNeuron) "
                                                        "cell models",
    "test_issue652": "Izhikevich cells",
    "test_simple_stochastic_synapse": "stochastic synapses",
    "test_scenario5": "multi-compartment neurons",
    "test_scenario3": "STDP (bss1lab's wafer has short-term plasticity only)",
    "test_record_with_filename": "loading a pickle (it reads its results back with "
                                 "pickle), which bss1lab's rules forbid",
    "test_issue437": "IF_curr_alpha (alpha-shaped synapses; bss1lab: exponential)",
    "test_issue442": "IF_curr_alpha (alpha-shaped synapses; bss1lab: exponential)",
    "test_issue445": "ACSource (the engine's current input changes only at given steps)",
    "test_ticket226": "IF_curr_alpha (alpha-shaped synapses; bss1lab: exponential)",
    "test_issue321": "IF_curr_alpha (alpha-shaped synapses; bss1lab: exponential)",
    "test_scenario1a": "IF_cond_alpha (alpha-shaped synapses; bss1lab: exponential)",
    "test_issue259": "off-grid spike times (spike_precision='off_grid'); bss1lab's "
                     "spikes are on the time grid",
    "test_mix_procedural_and_oo": "loading a pickle (it reads its results back with "
                                  "neo's PickleIO), which bss1lab's rules forbid",
    "test_issue512": "ACSource and NoisyCurrentSource (the engine's current input "
                     "changes only at given steps)",
    "test_issue_465_474_630": "ACSource (the engine's current input changes only at given steps)",
    "test_issue497": "ACSource (the engine's current input changes only at given steps)",
    "test_issue631": "ACSource (the engine's current input changes only at given steps)",
}
#: On the wafer, in addition: what the hardware itself changes.
NOT_ON_THE_WAFER = {
    "test_issue165": "it expects v = v_rest = -65.0 mV exactly; each circuit's fixed-pattern "
                     "noise gives it its own resting potential",
    "test_ticket166": "it expects the membrane to cross -60 mV at a time set by the nominal "
                      "parameters; fixed-pattern noise moves each neuron's",
    "test_ticket195": "it expects one spike at 13.4 ms from nominal parameters; with "
                      "fixed-pattern noise the neuron fires elsewhere",
    "test_scenario4": "its synapses both depress and facilitate; the synapse drivers do one "
                      "or the other (Wafer.map refuses it)",
}


def _scenarios() -> list:
    root = pynn_source() / "test" / "system"
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    found = []
    for name in MODULES:
        try:
            module = importlib.import_module(f"scenarios.{name}")
        except ImportError as error:  # e.g. a scenario needing an absent package
            found.append((name, None, str(error)))
            continue
        for function_name, function in inspect.getmembers(module, inspect.isfunction):
            if function_name.startswith("test") and function.__module__ == module.__name__:
                found.append((name, function_name, function))
    return found


def _simulator(wafer: Wafer) -> types.ModuleType:
    """``bss1lab.pynn`` whose ``setup`` runs on ``wafer``, as the scenarios' ``sim``."""
    module = types.ModuleType("bss1lab.pynn")
    module.__dict__.update(vars(bss1lab.pynn))
    module.setup = lambda *args, **kwargs: bss1lab.pynn.setup(*args, wafer=wafer, **kwargs)
    return module


SCENARIOS = _scenarios()
WAFERS = {"ideal": Wafer.ideal(), "wafer": Wafer()}


@pytest.mark.parametrize("backend", list(WAFERS))
@pytest.mark.parametrize("module_name, name, scenario",
                         SCENARIOS, ids=[f"{m}::{n}" for m, n, _ in SCENARIOS])
def test_pynn_scenario_runs_on_bss1lab(module_name, name, scenario, backend):
    if name is None:
        pytest.skip(f"{module_name} does not import: {scenario}")
    if name in NOT_MODELLED:
        pytest.skip(f"needs {NOT_MODELLED[name]}")
    if backend == "wafer" and name in NOT_ON_THE_WAFER:
        pytest.skip(f"on the wafer: {NOT_ON_THE_WAFER[name]}")
    sim = _simulator(WAFERS[backend])
    arguments = {} if len(inspect.signature(scenario).parameters) == 1 else \
        {"plot_figure": False}
    try:
        scenario(sim, **arguments)
    except errors.NoModelAvailableError as error:
        if backend == "wafer" and "current-based" in str(error):
            pytest.skip(f"on the wafer: {error}")
        raise
