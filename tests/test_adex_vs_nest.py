"""AdEx (EIF_cond_exp_isfa_ista) on the ideal reference against NEST's aeif_cond_exp.

The reference (tests/data/adex_nest_reference.json, made by
tools/nest_adex_reference.py; NEST is not needed here) holds NEST 3.10's spike times
and membrane traces for four cases at dt = 0.1 and 0.01 ms, with its integrator's
tolerance tightened until its spike times converged (``gsl_error_tol``).
"""

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from bss1lab.experiments import single_neuron
from bss1lab.hardware import Wafer
from bss1lab.network import EIF_cond_exp_isfa_ista

REFERENCE = json.loads((Path(__file__).parent / "data" / "adex_nest_reference.json")
                       .read_text())
CASES = sorted(REFERENCE["cases"])
STEPS_MS = sorted(float(dt) for dt in REFERENCE["cases"][CASES[0]]["runs"])
#: Spikes compared, and by how many steps each may be off: NEST finds the crossing of
#: v_peak inside the step and stamps it at the step's end, so does bss1lab; a crossing
#: within a hair of a step's end can land on either side, and each such slip shifts
#: the later spikes by a step.
SPIKES_COMPARED = 20
STEPS_ALLOWED = 2


@lru_cache(maxsize=None)
def run_case(name: str, dt: float, method: str = "exponential"):
    """The case ``name`` of the reference on bss1lab's ideal reference (run once; the
    tests only read it)."""
    case = REFERENCE["cases"][name]
    inputs = {}
    if "current" in case:
        inputs["current"] = tuple(case["current"])
    if "excitatory_spikes" in case:
        inputs.update(excitatory_spikes=case["excitatory_spikes"],
                      excitatory_weight=case["excitatory_weight"], delay=case["delay"])
    return single_neuron(EIF_cond_exp_isfa_ista(**case["cell"]), case["duration"],
                         wafer=Wafer.ideal(), dt=dt, method=method, **inputs)


def nest_run(name: str, dt: float) -> dict:
    return REFERENCE["cases"][name]["runs"][str(dt)]


def test_reference_was_made_with_nest_3_10_aeif_cond_exp_and_holds_20_spikes_a_run():
    assert REFERENCE["nest_version"].startswith("3.10")
    assert REFERENCE["nest_model"] == "aeif_cond_exp"
    assert len(CASES) >= 3 and STEPS_MS == [0.01, 0.1]
    for name in CASES:
        for dt in STEPS_MS:
            assert len(nest_run(name, dt)["spike_times"]) >= SPIKES_COMPARED


@pytest.mark.parametrize("dt", STEPS_MS)
@pytest.mark.parametrize("name", CASES)
def test_adex_spike_times_stay_within_two_steps_of_nest_over_20_spikes(name, dt):
    ds = run_case(name, dt)
    ours = ds.spike_time.values[:SPIKES_COMPARED]
    theirs = np.asarray(nest_run(name, dt)["spike_times"][:SPIKES_COMPARED])
    assert ours.size == SPIKES_COMPARED
    steps_apart = np.abs(ours - theirs) / dt
    # measured: at most 1 step apart in every case (the first-order scheme this
    # replaced: 20-40 steps late by the 20th spike)
    assert steps_apart.max() <= STEPS_ALLOWED + 1e-6, np.round(steps_apart).tolist()


@pytest.mark.parametrize("dt", STEPS_MS)
@pytest.mark.parametrize("name", CASES)
def test_adex_spike_times_stay_close_to_nest_at_its_default_tolerance(name, dt):
    # NEST's own default (gsl_error_tol 1e-6) notices spikes up to a few microseconds
    # late: its spike times drift from the converged ones by up to 4 steps of 0.01 ms
    # over 20 spikes (tools/nest_adex_reference.py prints it); at 0.1 ms by at most 1
    ds = run_case(name, dt)
    ours = ds.spike_time.values[:SPIKES_COMPARED]
    default = nest_run(name, dt)["spike_times_default_tolerance"][:SPIKES_COMPARED]
    converged = nest_run(name, dt)["spike_times"][:SPIKES_COMPARED]
    nest_drift = np.abs(np.subtract(default, converged)).max() / dt
    assert np.abs(ours - default).max() / dt <= STEPS_ALLOWED + nest_drift + 1e-6


def subthreshold_error(name: str, dt: float) -> float:
    """Largest |v - NEST's v| (mV) over the trace before the first spike's upswing."""
    run = nest_run(name, dt)
    t = np.asarray(run["trace_time"])
    before = t < run["spike_times"][0] - 2.0
    ds = run_case(name, dt)
    ours = ds.v.sel(time=t[before], method="nearest", tolerance=dt / 2).values[:, 0]
    return float(np.abs(ours - np.asarray(run["trace_v"])[before]).max())


@pytest.mark.parametrize("name", CASES)
def test_adex_membrane_below_threshold_matches_nest_to_second_order(name):
    errors = {dt: subthreshold_error(name, dt) for dt in STEPS_MS}
    # measured 4.5e-4 .. 7.5e-4 mV at dt = 0.1 ms (the first-order scheme: 0.014 ..
    # 0.048 mV), and 100 times less at 0.01 ms: the error falls with dt squared
    assert errors[0.1] < 2e-3
    assert errors[0.1] / errors[0.01] > 50.0


@pytest.mark.parametrize("dt", STEPS_MS)
@pytest.mark.parametrize("name", CASES)
def test_adex_adaptation_current_through_the_first_spike_matches_nest(name, dt):
    # w jumps by b where v crosses v_peak inside the step, and relaxes with v held at
    # v_reset for the rest of the step (NEST's aeif models); jumping at the end of the
    # step with v left free instead puts w off by ~1e-4 nA per spike
    run = nest_run(name, dt)
    t = np.asarray(run["trace_time"])
    cell = REFERENCE["cases"][name]["cell"]
    assert run["spike_times"][0] < t[-1]  # the trace holds the first spike
    ds = run_case(name, dt)
    ours = ds.w.sel(time=t, method="nearest", tolerance=dt / 2).values[:, 0]
    theirs = np.asarray(run["trace_w"])
    after = t >= run["spike_times"][0]
    assert np.abs(ours - theirs).max() < 2e-5
    # and the jump itself is there, in the same step
    assert ours[after][0] - ours[~after][-1] == pytest.approx(cell["b"], rel=0.05)


def test_adex_is_held_at_v_reset_while_refractory_as_in_nest():
    cell = dict(REFERENCE["cases"]["pynn_default_step_current"]["cell"], tau_refrac=2.0)
    dt = 0.1
    ds = single_neuron(EIF_cond_exp_isfa_ista(**cell), 120.0, current=(20.0, 120.0, 1.0),
                       wafer=Wafer.ideal(), dt=dt)
    t = ds.time.values
    v = ds.v.values[:, 0]
    w = ds.w.values[:, 0]
    refractory_steps = round(cell["tau_refrac"] / dt)
    for spike in ds.spike_time.values:
        k = int(np.flatnonzero(np.isclose(t, spike))[0])
        held = slice(k, k + refractory_steps + 1)   # the spike's sample and tau_refrac
        assert np.all(v[held] == cell["v_reset"])
        assert v[k + refractory_steps + 1] > cell["v_reset"]  # free again
        # w relaxes towards a (v_reset - v_rest) = 0 with tau_w meanwhile
        np.testing.assert_allclose(w[k + 1:k + refractory_steps + 1],
                                   w[k] * np.exp(-dt * np.arange(1, refractory_steps + 1)
                                                 / cell["tau_w"]), rtol=1e-12)
