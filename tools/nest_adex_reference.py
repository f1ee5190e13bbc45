"""NEST's spike times for bss1lab's AdEx cells: the reference of tests/test_adex_vs_nest.py.

Runs NEST's ``aeif_cond_exp`` (adaptive RKF45, spike detection and reset inside the
step) with exactly the parameters of bss1lab's ``EIF_cond_exp_isfa_ista`` cases below,
at dt = 0.1 and 0.01 ms, and writes the spike times and a short membrane trace of each
run, with NEST's version and every parameter, to ``tests/data/adex_nest_reference.json``.
The tests read that file: they never need NEST.

The cases (``CASES``): PyNN's default cell under a step current, Naud et al.'s (2008)
regular bursting and adapting patterns under their step currents, and PyNN's default
cell driven by a fixed train of excitatory input spikes.

Parameters go to NEST as PyNN's NEST backend gives them (pF, nS, pA; ``v_spike`` ->
``V_peak``), and timing as PyNN defines it: a step current flows from its start time
on (NEST delivers a generator's current one connection delay after its
``amplitude_times``, so those are one step earlier) and an input spike at time t
changes the conductance at t + delay.

This script installs nothing. It needs NEST's Python package (``pip install
nest-simulator``, the ``bench`` extra; made with NEST 3.10.0) and bss1lab. Run from the
repository's root::

    python tools/nest_adex_reference.py [--output tests/data/adex_nest_reference.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from bss1lab.network import EIF_cond_exp_isfa_ista
from bss1lab.network.adex import naud_pattern

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "adex_nest_reference.json"
#: Time steps of the reference runs, ms.
STEPS_MS = (0.1, 0.01)
#: Spikes the tests compare; each case's duration gives NEST at least this many.
SPIKES_COMPARED = 20
#: Length of the recorded trace of v and w from the start of each run (it holds each
#: case's first spike), and its sampling interval, ms.
TRACE_MS = 40.0
TRACE_INTERVAL_MS = 0.1
#: NEST's ``gsl_error_tol`` for the reference runs. Its default (1e-6) lets NEST notice
#: a spike up to a few microseconds late (the adaptive step it ends in): at dt =
#: 0.01 ms that adds up to 2-4 steps over 20 spikes. At 1e-10 NEST's spike times have
#: converged (1e-8 and 1e-10 agree, and both agree with RK4 at 1/100 of the step); the
#: default's are recorded too (``spike_times_default_tolerance``).
GSL_ERROR_TOL = 1e-10
#: Seed and rate of the input spike train of the input-spike case.
INPUT_SEED = 12
INPUT_RATE_HZ = 1500.0


def input_spike_times(duration: float) -> list[float]:
    """A Poisson train (``INPUT_RATE_HZ``, seed ``INPUT_SEED``) on the 0.1 ms grid,
    one spike per grid time, from 0.1 ms to ``duration``, ms."""
    rng = np.random.default_rng(INPUT_SEED)
    intervals = rng.exponential(1e3 / INPUT_RATE_HZ, size=int(duration * INPUT_RATE_HZ))
    steps = np.unique(np.round(np.cumsum(intervals) * 10.0).astype(np.int64))
    steps = steps[(steps >= 1) & (steps * 0.1 <= duration)]
    return [round(float(s) * 0.1, 1) for s in steps]


def cases() -> dict[str, dict]:
    """Each case: the cell's PyNN parameters, its inputs (``single_neuron``'s arguments)
    and the duration, ms."""
    out: dict[str, dict] = {}
    pynn_default = EIF_cond_exp_isfa_ista()
    out["pynn_default_step_current"] = {
        "description": "PyNN's default EIF_cond_exp_isfa_ista, 1 nA from 20 ms on",
        "cell": dict(pynn_default.parameters), "duration": 1000.0,
        "current": [20.0, 1000.0, 1.0]}
    for pattern, duration in (("regular_bursting", 2000.0), ("adapting", 2000.0)):
        cell, amplitude = naud_pattern(pattern)
        out[f"naud_{pattern}"] = {
            "description": f"Naud et al. (2008, Table 1) {pattern.replace('_', ' ')}, "
                           f"{amplitude} nA from 10 ms on",
            "cell": dict(cell.parameters), "duration": duration,
            "current": [10.0, duration, amplitude]}
    duration = 600.0
    out["pynn_default_input_spikes"] = {
        "description": f"PyNN's default EIF_cond_exp_isfa_ista, a {INPUT_RATE_HZ:g} Hz "
                       f"Poisson train (seed {INPUT_SEED}) of excitatory spikes",
        "cell": dict(pynn_default.parameters), "duration": duration,
        # a weight that float32 holds exactly, as bss1lab stores weights in float32
        "excitatory_spikes": input_spike_times(duration), "excitatory_weight": 2.0 ** -8,
        "delay": 1.0}
    return out


def nest_parameters(cell: dict) -> dict:
    """``aeif_cond_exp``'s parameters for a cell given in PyNN's names and units."""
    return {"C_m": cell["cm"] * 1e3, "g_L": cell["cm"] / cell["tau_m"] * 1e3,
            "E_L": cell["v_rest"], "V_th": cell["v_thresh"], "Delta_T": cell["delta_T"],
            "a": cell["a"], "b": cell["b"] * 1e3, "tau_w": cell["tau_w"],
            "V_reset": cell["v_reset"], "V_peak": cell["v_spike"],
            "t_ref": cell["tau_refrac"], "I_e": cell["i_offset"] * 1e3,
            "E_ex": cell["e_rev_E"], "E_in": cell["e_rev_I"],
            "tau_syn_ex": cell["tau_syn_E"], "tau_syn_in": cell["tau_syn_I"],
            "V_m": cell["v_rest"], "w": 0.0}


def run_nest(nest, case: dict, dt: float, tolerance: float | None) -> dict:
    """One case on NEST at step ``dt`` and ``gsl_error_tol`` ``tolerance`` (None:
    NEST's default): spike times (ms) and the trace of V (mV) and w (nA) over the first
    ``TRACE_MS``."""
    nest.ResetKernel()
    nest.resolution = dt
    neuron = nest.Create("aeif_cond_exp", params=nest_parameters(case["cell"]))
    if tolerance is not None:
        neuron.set(gsl_error_tol=tolerance)
    if "current" in case:
        start, stop, amplitude = case["current"]
        generator = nest.Create("step_current_generator", params={
            "amplitude_times": [start - dt, stop - dt],
            "amplitude_values": [amplitude * 1e3, 0.0]})
        nest.Connect(generator, neuron, syn_spec={"delay": dt})
    if "excitatory_spikes" in case:
        generator = nest.Create("spike_generator",
                                params={"spike_times": case["excitatory_spikes"]})
        nest.Connect(generator, neuron, syn_spec={
            "weight": case["excitatory_weight"] * 1e3, "delay": case["delay"]})
    recorder = nest.Create("spike_recorder")
    nest.Connect(neuron, recorder)
    meter = nest.Create("multimeter", params={"record_from": ["V_m", "w"],
                                              "interval": TRACE_INTERVAL_MS,
                                              "stop": TRACE_MS})
    nest.Connect(meter, neuron)
    nest.Simulate(case["duration"])
    spikes = np.asarray(recorder.events["times"], dtype=np.float64)
    events = meter.events
    if spikes.size < SPIKES_COMPARED:
        raise RuntimeError(f"NEST fired {spikes.size} spikes in case {case['description']!r}"
                           f" at dt={dt}; the tests compare {SPIKES_COMPARED}")
    return {"spike_times": [round(float(t), 10) for t in spikes],
            "trace_time": [round(float(t), 10) for t in events["times"]],
            "trace_v": [round(float(v), 9) for v in events["V_m"]],
            "trace_w": [round(float(w) * 1e-3, 12) for w in events["w"]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    import nest
    nest.verbosity = nest.VerbosityLevel.ERROR
    reference = {
        "about": "Spike times of NEST's aeif_cond_exp for bss1lab's AdEx cases; made by "
                 "tools/nest_adex_reference.py. Times in ms, v in mV, w in nA; cell "
                 "parameters in PyNN's names and units (nest_parameters: NEST's).",
        "nest_version": nest.__version__, "nest_model": "aeif_cond_exp",
        "gsl_error_tol": GSL_ERROR_TOL,
        "gsl_error_tol_default": nest.GetDefaults("aeif_cond_exp")["gsl_error_tol"],
        "current_delay_ms": "one step (amplitude_times one step before the start)",
        "cases": {}}
    for name, case in cases().items():
        runs = {}
        for dt in STEPS_MS:
            run = run_nest(nest, case, dt, GSL_ERROR_TOL)
            default = run_nest(nest, case, dt, None)["spike_times"]
            run["spike_times_default_tolerance"] = default
            runs[str(dt)] = run
            n = min(len(default), len(run["spike_times"]), SPIKES_COMPARED)
            apart = np.abs(np.subtract(default[:n], run["spike_times"][:n])).max() / dt
            print(f"{name}, dt={dt} ms: {len(run['spike_times'])} spikes, first "
                  f"{run['spike_times'][:3]}; default tolerance up to {apart:.0f} steps "
                  f"apart in the first {n}")
        reference["cases"][name] = {**case, "nest_parameters": nest_parameters(case["cell"]),
                                    "runs": runs}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(reference, indent=1) + "\n")
    print(f"wrote {args.output} ({args.output.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
