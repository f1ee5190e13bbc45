"""The same networks on bss1lab (ideal and on the emulated wafer) and, when installed,
on NEST and Brian2 (``pip install 'bss1lab[bench]'``), one run after another, each in
its own process so its peak memory is its own. Writes JSON and a bokeh HTML plot: wall
time, real-time factor, synaptic events per second, peak memory and the ratio to
bss1lab.

NEST and Brian2 get exactly the network bss1lab realised (the same cells, parameters,
initial membrane potentials, synapses, weights and delays, translated to their models
and units), so all compute the same thing. Brian2 runs in its runtime mode (Cython code
where Cython is installed, else numpy) on one thread. Simulators that are not installed
or do not import are reported as missing, never as zero.

Networks: the full-scale balanced random network (12,500 IF_cond_exp neurons, 15.6 M
synapses, independent Poisson drive), its 2,083-neuron wafer version, and the
cortical microcircuit at 10 % and 25 % (neurons and in-degrees), 1 s of biology each
(``--duration``); the full-scale microcircuit has its own benchmark
(``full_microcircuit.py``). ``--timeout S`` stops any one run after S seconds and
reports it as timed out.

Usage: python bench/compare_simulators.py [--duration MS] [--threads N]
                                           [--only NETWORK ...] [--simulators NAME ...]
                                           [--timeout S] [--output PATH]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
NETWORKS = ["brunel_12500", "brunel_2083_wafer", "microcircuit_10pct", "microcircuit_25pct"]
SIMULATORS = ["bss1lab_ideal", "bss1lab_wafer", "nest", "brian2"]
#: The simulators that may be missing: the module each needs and how to install it.
OPTIONAL_SIMULATORS = {"nest": ("nest", "pip install nest-simulator"),
                       "brian2": ("brian2", "pip install brian2")}
#: Time step of NEST and Brian2, ms (bss1lab's own).
RESOLUTION_MS = 0.1


def build(name: str):
    """The network ``name`` as a bss1lab Network."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bss1lab.network.brunel import brunel_network
    from bss1lab.network.microcircuit import microcircuit_network
    from engine_speed import balanced_random_network
    if name == "brunel_12500":
        return balanced_random_network(12500, 1000, "independent")
    if name == "brunel_2083_wafer":
        return brunel_network("hardware")
    if name == "microcircuit_10pct":
        return microcircuit_network(N_scaling=0.1, K_scaling=0.1)
    if name == "microcircuit_25pct":
        return microcircuit_network(N_scaling=0.25, K_scaling=0.25)
    raise ValueError(f"unknown network {name!r}; allowed: {NETWORKS}")


def realised_network(name: str):
    """The network ``name`` as bss1lab's ideal wafer realised it (seed 1): what the
    other simulators are given.

    Returns
    -------
    bss1lab.network.realise.RealisedNetwork
    """
    from bss1lab.hardware import Wafer
    return Wafer.ideal().map(build(name), seed=1).network


def run_bss1lab(name: str, duration: float, wafer_kind: str) -> dict:
    from bss1lab.experiments import run
    from bss1lab.hardware import Wafer
    network = build(name)
    wafer = Wafer() if wafer_kind == "wafer" else Wafer.ideal()
    # loads the compiled kernel from numba's cache (up to a second, once per process),
    # as NEST's and Brian2's set-up is not timed either
    run(network, 1.0, wafer=wafer, seed=1)
    started = time.perf_counter()
    ds = run(network, duration, wafer=wafer, seed=1)
    total = time.perf_counter() - started
    return {"wall_time_s": ds.attrs["wall_time_s"], "build_time_s": total - ds.attrs[
        "wall_time_s"], "synaptic_events": ds.attrs["synaptic_events"],
        "neurons": ds.attrs["neurons"], "synapses": ds.attrs["synapses"],
        "mean_rate_hz": float(ds.rate.where(ds.spikes_recorded).mean())}


def cell_parameters(population) -> dict[str, np.ndarray]:
    """A realised neuron population's parameters, one float64 value per cell.

    Parameters
    ----------
    population : bss1lab.network.realise.PopulationSlice

    Returns
    -------
    dict of str to ndarray
        Every parameter of its cell type by PyNN name and in PyNN's units, and ``"v"``:
        the initial membrane potential bss1lab drew (mV; ``v_rest`` where none was set).
    """
    def per_cell(value) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=float), (population.size,))
    values = {key: per_cell(value) for key, value in population.parameters.items()}
    values["v"] = per_cell(population.initial_values.get("v", values["v_rest"]))
    return values


def synapse_arrays(realised) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each synapse's weight, receptor and delay as the other simulators take them.

    Parameters
    ----------
    realised : bss1lab.network.realise.RealisedNetwork

    Returns
    -------
    weight : ndarray
        Magnitude in the target cell type's PyNN weight units (uS, nA or mV).
    inhibitory : ndarray of bool
    delay : ndarray
        ms, at least one time step (``RESOLUTION_MS``).
    """
    return (np.abs(realised.weight.astype(float)), realised.receptor == 1,
            np.maximum(realised.delay.astype(float), RESOLUTION_MS))


def spike_statistics(realised, spike_counts: np.ndarray, duration: float) -> dict:
    """The result fields every simulator reports, from the neurons' spike counts.

    Synaptic events count every spike reaching each of its synapses, as bss1lab counts
    them: the neurons' recorded spikes, and the Poisson sources' expected ones.

    Parameters
    ----------
    realised : bss1lab.network.realise.RealisedNetwork
    spike_counts : ndarray
        Spikes per cell in the realised numbering; the sources' entries are not used.
    duration : float
        Biological time, ms.

    Returns
    -------
    dict
        ``synaptic_events``, ``neurons``, ``synapses`` and ``mean_rate_hz``.
    """
    counts = np.asarray(spike_counts, dtype=float).copy()
    for p in realised.populations:
        if "rate" in p.parameters:
            counts[p.start:p.stop] = p.parameters["rate"] * duration * 1e-3
    out_degree = np.bincount(realised.pre, minlength=realised.n_cells)
    neuron = ~realised.is_source
    n_neurons = int(neuron.sum())
    return {"synaptic_events": float(counts @ out_degree), "neurons": n_neurons,
            "synapses": realised.n_synapses,
            "mean_rate_hz": float(counts[neuron].sum()) / n_neurons / (duration * 1e-3)}


def run_nest(name: str, duration: float, threads: int) -> dict:
    import nest  # noqa: F401  (a missing NEST is reported by the caller)
    realised = realised_network(name)
    started = time.perf_counter()
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": RESOLUTION_MS, "local_num_threads": threads,
                          "rng_seed": 1})
    ids, sources = _nest_cells(nest, realised)
    _nest_synapses(nest, realised, ids, sources)
    recorder = nest.Create("spike_recorder")
    neurons = np.concatenate([ids[p.start:p.stop] for p in realised.populations
                              if not p.is_source])
    nest.Connect(nest.NodeCollection(sorted(neurons.tolist())), recorder)
    build_time = time.perf_counter() - started
    started = time.perf_counter()
    nest.Simulate(duration)
    wall = time.perf_counter() - started
    senders = np.asarray(recorder.get("events")["senders"], dtype=np.int64)
    cell_of_node = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
    cell_of_node[ids[ids > 0]] = np.flatnonzero(ids > 0)
    counts = np.bincount(cell_of_node[senders], minlength=realised.n_cells)
    return {"wall_time_s": wall, "build_time_s": build_time,
            **spike_statistics(realised, counts, duration), "threads": threads}


NEST_MODEL = {"IF_cond_exp": "iaf_cond_exp", "IF_curr_exp": "iaf_psc_exp",
              "IF_curr_delta": "iaf_psc_delta"}
#: NEST's weight per unit of PyNN's: nS per uS, pA per nA, mV per mV.
NEST_WEIGHT_SCALE = {"uS": 1e3, "nA": 1e3, "mV": 1.0}


def _nest_cells(nest, realised):
    """Create every cell; returns NEST node ids per cell (0 for a Poisson source that
    feeds one synapse through its generator) and each source's generator."""
    ids = np.zeros(realised.n_cells, dtype=np.int64)
    generators = np.zeros(realised.n_cells, dtype=np.int64)
    out_degree = np.bincount(realised.pre, minlength=realised.n_cells)
    for p in realised.populations:
        cells = np.arange(p.start, p.stop)
        name = type(p.cell_type).__name__
        if name == "SpikeSourcePoisson":
            gens = nest.Create("poisson_generator", p.size,
                               params=[{"rate": float(r)} for r in p.parameters["rate"]])
            generators[cells] = gens.tolist()
            shared = out_degree[cells] > 1
            if shared.any():  # one train to several targets: through a parrot
                parrots = nest.Create("parrot_neuron", int(shared.sum()))
                nest.Connect(nest.NodeCollection(generators[cells][shared].tolist()),
                             parrots, "one_to_one")
                ids[cells[shared]] = parrots.tolist()
            continue
        model = NEST_MODEL[name]
        q = cell_parameters(p)
        params = {"C_m": q["cm"] * 1e3, "tau_m": q["tau_m"], "E_L": q["v_rest"],
                  "V_reset": q["v_reset"], "V_th": q["v_thresh"],
                  "t_ref": q["tau_refrac"], "I_e": q["i_offset"] * 1e3, "V_m": q["v"]}
        if model != "iaf_psc_delta":
            params.update({"tau_syn_ex": q["tau_syn_E"], "tau_syn_in": q["tau_syn_I"]})
        if model == "iaf_cond_exp":
            params.update({"E_ex": q["e_rev_E"], "E_in": q["e_rev_I"],
                           "g_L": q["cm"] / q["tau_m"] * 1e3})
            params.pop("tau_m")
        nodes = nest.Create(model, p.size)
        nodes.set({key: values.tolist() for key, values in params.items()})
        ids[cells] = nodes.tolist()
    return ids, generators


def _nest_synapses(nest, realised, ids, generators):
    """Connect every synapse with its weight (nS or pA or mV, signed for inhibition)
    and delay."""
    pre, post = realised.pre.astype(np.int64), realised.post.astype(np.int64)
    weight, inhibitory, delay = synapse_arrays(realised)
    scale = np.ones(realised.n_cells)
    for p in realised.populations:
        scale[p.start:p.stop] = NEST_WEIGHT_SCALE.get(p.cell_type.weight_units, 1.0)
    weight = np.where(inhibitory, -1.0, 1.0) * weight * scale[post]
    source = np.where(ids[pre] > 0, ids[pre], generators[pre])
    nest.Connect(source, ids[post], "one_to_one",
                 {"synapse_model": "static_synapse", "weight": weight, "delay": delay})


#: Brian2's membrane and synapse equations of each PyNN cell type (PyNN's semantics:
#: exponentially decaying conductances or currents, V held while refractory).
#: Parameters are per cell (``BRIAN2_BASE_UNIT``); inhibitory currents count as
#: positive and are subtracted.
BRIAN2_EQUATIONS = {
    "IF_cond_exp": """
        dv/dt = (v_rest - v) / tau_m
                + (g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v) + i_offset) / c_m
                : volt (unless refractory)
        dg_exc/dt = -g_exc / tau_syn_E : siemens
        dg_inh/dt = -g_inh / tau_syn_I : siemens
        """,
    "IF_curr_exp": """
        dv/dt = (v_rest - v) / tau_m + (i_exc - i_inh + i_offset) / c_m
                : volt (unless refractory)
        di_exc/dt = -i_exc / tau_syn_E : amp
        di_inh/dt = -i_inh / tau_syn_I : amp
        """,
    "IF_curr_delta": """
        dv/dt = (v_rest - v) / tau_m + i_offset / c_m : volt (unless refractory)
        """,
}
#: Integration: exact for the linear current-based models; fourth-order Runge-Kutta for
#: the conductance-based one (NEST integrates it with adaptive RKF45; Brian2's
#: exponential Euler, holding the conductances at their start-of-step values over the
#: step, overestimates the input and gives the 2,083-neuron network 2 % more spikes).
BRIAN2_METHOD = {"IF_cond_exp": "rk4", "IF_curr_exp": "exact", "IF_curr_delta": "exact"}
#: What an (excitatory, inhibitory) spike does to its target, ``{w}`` standing for the
#: weight's magnitude times the spikes; delta synapses are lost in the refractory
#: period, as in NEST.
BRIAN2_ON_PRE = {
    "IF_cond_exp": ("g_exc_post += {w}", "g_inh_post += {w}"),
    "IF_curr_exp": ("i_exc_post += {w}", "i_inh_post += {w}"),
    "IF_curr_delta": ("v_post += {w} * int(not_refractory_post)",
                      "v_post -= {w} * int(not_refractory_post)"),
}
#: Brian2's names of the PyNN parameters whose own name is taken (``cm``: centimetre).
BRIAN2_RENAMED = {"cm": "c_m"}
#: Brian2's base unit (as written in equations) of each of PyNN's units.
BRIAN2_BASE_UNIT = {"mV": "volt", "ms": "second", "nF": "farad", "nA": "amp",
                    "uS": "siemens"}
#: The group of the Poisson sources that feed several synapses: one spike train each.
BRIAN2_SHARED_POISSON = "poisson_shared"
#: The group of the Poisson sources that feed one synapse: they fire every step, and
#: their synapse draws the step's Poisson number of spikes when it delivers.
BRIAN2_DIRECT_POISSON = "poisson_direct"
#: What ``{w}`` in ``BRIAN2_ON_PRE`` is for a spike from each kind of source group.
BRIAN2_SPIKE_WEIGHT = {BRIAN2_DIRECT_POISSON: "w * poisson(rate_pre * dt)"}


def run_brian2(name: str, duration: float, threads: int) -> dict:
    """Run the network ``name`` on Brian2 and time the run alone.

    Brian2 gets the network bss1lab realised, as NEST does: one ``NeuronGroup`` per
    cell type holding all its populations (PyNN's equations in PyNN's units, each
    cell's own parameters and initial membrane potential), the Poisson sources with
    their rates, and one ``Synapses`` per source group, target group and receptor,
    connected with the realised pre, post, weight and delay of every synapse. Like
    NEST's ``poisson_generator`` and bss1lab, a source that feeds one synapse sends a
    Poisson number of spikes each step, drawn when its synapse delivers them: a
    ``PoissonGroup`` sends one spike a step at most, which takes 13-23 % of the
    variance out of the microcircuit's 1.2-2.3 kHz background (and 6 % of its
    rate) and caps the 40 kHz drive of the 12,500-neuron network at 10 kHz. The
    sources that feed several synapses (one spike train to all) are one
    ``PoissonGroup``. It runs in Brian2's runtime mode, which is single-threaded, with
    Cython code where Cython is installed, else numpy; the code is generated and
    compiled before the clock starts.

    Parameters
    ----------
    name : str
        One of ``NETWORKS``.
    duration : float
        Biological time, ms.
    threads : int
        Not used: Brian2's runtime mode runs on one thread, so the result says 1.

    Returns
    -------
    dict
        As `run_nest`, with ``threads`` 1 and ``codegen_target`` ("cython" or "numpy").
    """
    import brian2  # a missing Brian2 is reported by the caller
    realised = realised_network(name)
    started = time.perf_counter()
    target = "cython" if importlib.util.find_spec("Cython") else "numpy"
    brian2.prefs.codegen.target = target
    brian2.prefs.logging.file_log = False
    # the direct sources' synapses add random numbers of spikes to their targets in
    # place: Brian2 warns that the order could matter; for a sum it does not
    brian2.BrianLogger.suppress_hierarchy("brian2.codegen.generators.base")
    brian2.defaultclock.dt = RESOLUTION_MS * brian2.ms
    brian2.seed(1)
    groups, group_of_cell, index_in_group = _brian2_groups(brian2, realised)
    synapses = _brian2_synapses(brian2, realised, groups, group_of_cell, index_in_group)
    monitors = {key: brian2.SpikeMonitor(group, record=False)
                for key, group in groups.items() if key in BRIAN2_EQUATIONS}
    network = brian2.Network(*groups.values(), *synapses, *monitors.values())
    network.run(0 * brian2.ms)  # generates and compiles the code
    build_time = time.perf_counter() - started
    started = time.perf_counter()
    network.run(duration * brian2.ms)
    wall = time.perf_counter() - started
    counts = np.zeros(realised.n_cells)
    for key, monitor in monitors.items():
        in_group = group_of_cell == key
        counts[in_group] = np.asarray(monitor.count)[index_in_group[in_group]]
    return {"wall_time_s": wall, "build_time_s": build_time,
            **spike_statistics(realised, counts, duration), "threads": 1,
            "codegen_target": target}


def _brian2_groups(brian2, realised) -> tuple[dict, np.ndarray, np.ndarray]:
    """One group per cell type, its populations one after another, and the Poisson
    sources in ``BRIAN2_SHARED_POISSON`` and ``BRIAN2_DIRECT_POISSON``.

    Returns
    -------
    groups : dict of str to brian2 group
        By cell type name or Poisson group name.
    group_of_cell : ndarray of str
        Per cell in the realised numbering: the key of its group.
    index_in_group : ndarray of int
        Per cell: its index in that group.
    """
    group_of_cell = np.empty(realised.n_cells, dtype=object)
    rate = np.zeros(realised.n_cells)
    for p in realised.populations:
        group_of_cell[p.start:p.stop] = type(p.cell_type).__name__
        if "rate" in p.parameters:
            rate[p.start:p.stop] = p.parameters["rate"]
    unsupported = sorted(set(group_of_cell) - set(BRIAN2_EQUATIONS) - {"SpikeSourcePoisson"})
    if unsupported:
        raise ValueError(f"no Brian2 model for {unsupported}; supported: "
                         f"{sorted(BRIAN2_EQUATIONS) + ['SpikeSourcePoisson']}")
    poisson = group_of_cell == "SpikeSourcePoisson"
    shared = np.bincount(realised.pre, minlength=realised.n_cells) > 1
    group_of_cell[poisson & shared] = BRIAN2_SHARED_POISSON
    group_of_cell[poisson & ~shared] = BRIAN2_DIRECT_POISSON
    index_in_group = np.empty(realised.n_cells, dtype=np.int64)
    groups = {}
    for key in dict.fromkeys(group_of_cell):  # in the order of the cells
        cells = np.flatnonzero(group_of_cell == key)
        index_in_group[cells] = np.arange(cells.size)
        if key == BRIAN2_SHARED_POISSON:
            groups[key] = brian2.PoissonGroup(cells.size, rate[cells] * brian2.Hz, name=key)
        elif key == BRIAN2_DIRECT_POISSON:
            groups[key] = brian2.NeuronGroup(cells.size, "rate : Hz (constant)",
                                             threshold="True", reset="", name=key)
            groups[key].rate = rate[cells] * brian2.Hz
        else:
            groups[key] = _brian2_neurons(brian2, key, [
                p for p in realised.populations if type(p.cell_type).__name__ == key])
    return groups, group_of_cell, index_in_group


def _brian2_neurons(brian2, cell_type: str, populations: list):
    """The populations of ``cell_type`` as one ``NeuronGroup``, each cell with its own
    parameters and initial membrane potential."""
    per_population = [cell_parameters(p) for p in populations]
    values = {key: np.concatenate([q[key] for q in per_population])
              for key in per_population[0]}
    units = populations[0].cell_type.units
    parameters = "\n".join(
        f"{BRIAN2_RENAMED.get(key, key)} : {BRIAN2_BASE_UNIT[units[key]]} (constant)"
        for key in values if key != "v")
    group = brian2.NeuronGroup(
        values["v"].size, BRIAN2_EQUATIONS[cell_type] + parameters,
        threshold="v >= v_thresh", reset="v = v_reset", refractory="tau_refrac",
        method=BRIAN2_METHOD[cell_type], namespace={}, name=cell_type.lower())
    for key, column in values.items():
        setattr(group, BRIAN2_RENAMED.get(key, key), column * getattr(brian2, units[key]))
    return group


def _brian2_synapses(brian2, realised, groups: dict, group_of_cell: np.ndarray,
                     index_in_group: np.ndarray) -> list:
    """One ``Synapses`` per (source group, target group, receptor), connected with the
    realised pre, post, weight (in the target's PyNN weight units) and delay."""
    weight, inhibitory, delay = synapse_arrays(realised)
    number = {key: k for k, key in enumerate(groups)}  # compared faster than names
    number_of_cell = np.vectorize(number.get, otypes=[np.int64])(group_of_cell)
    pre_group, post_group = number_of_cell[realised.pre], number_of_cell[realised.post]
    weight_unit = {type(p.cell_type).__name__: p.cell_type.weight_units
                   for p in realised.populations}
    targets = {key: group for key, group in groups.items() if key in BRIAN2_EQUATIONS}
    synapses = []
    for source_key, source in groups.items():
        for target_key, target in targets.items():
            unit = weight_unit[target_key]
            for receptor, on_pre in enumerate(BRIAN2_ON_PRE[target_key]):
                chosen = np.flatnonzero((pre_group == number[source_key])
                                        & (post_group == number[target_key])
                                        & (inhibitory == bool(receptor)))
                if not chosen.size:
                    continue
                pathway = brian2.Synapses(
                    source, target, f"w : {BRIAN2_BASE_UNIT[unit]} (constant)",
                    on_pre=on_pre.format(w=BRIAN2_SPIKE_WEIGHT.get(source_key, "w")),
                    namespace={}, name=f"{source_key}_to_{target_key.lower()}_{receptor}")
                pathway.connect(i=index_in_group[realised.pre[chosen]],
                                j=index_in_group[realised.post[chosen]])
                pathway.w = weight[chosen] * getattr(brian2, unit)
                pathway.delay = delay[chosen] * brian2.ms
                synapses.append(pathway)
    return synapses


#: How each simulator other than bss1lab runs one network: (name, duration, threads).
RUNNERS = {"nest": run_nest, "brian2": run_brian2}


def child(args) -> None:
    """Run one (simulator, network) and print its JSON."""
    from engine_speed import peak_memory_mb
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    if args.simulator in RUNNERS:
        result = RUNNERS[args.simulator](args.network, args.duration, args.threads)
    else:
        result = run_bss1lab(args.network, args.duration, args.simulator.split("_")[1])
    result.update(simulator=args.simulator, network=args.network,
                  bio_duration_ms=args.duration, peak_memory_mb=peak_memory_mb(),
                  total_time_s=time.perf_counter() - started)
    if result.get("synaptic_events"):
        result["synaptic_events_per_s"] = result["synaptic_events"] / result["wall_time_s"]
    result["real_time_factor"] = result["wall_time_s"] / (args.duration * 1e-3)
    print("RESULT " + json.dumps(result))


def missing_simulators(simulators: list[str]) -> dict[str, str]:
    """The optional simulators among ``simulators`` that do not import.

    Returns
    -------
    dict of str to str
        Simulator name to a note with how to install it and, for one that is installed
        but fails to import (Brian2 2.9 with numpy >= 2.4, say), the error.
    """
    missing = {}
    for simulator in simulators:
        if simulator not in OPTIONAL_SIMULATORS:
            continue
        module, install = OPTIONAL_SIMULATORS[simulator]
        try:
            importlib.import_module(module)
        except ImportError:
            missing[simulator] = f"{simulator} ({install})"
        except Exception as error:  # noqa: BLE001  (installed, but broken)
            missing[simulator] = (f"{simulator} ({install}): import failed: "
                                  f"{type(error).__name__}: {error}")
    return missing


def run_child(simulator: str, network: str, args) -> dict:
    """Run one (simulator, network) in its own process; its result, or why there is
    none."""
    command = [sys.executable, __file__, "--child", simulator, network,
               "--duration", str(args.duration), "--threads", str(args.threads)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False,
                              timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"simulator": simulator, "network": network,
                "error": f"timed out after {args.timeout:g} s (--timeout)"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        return {"simulator": simulator, "network": network,
                "error": (done.stderr or done.stdout)[-2000:]}
    return json.loads(lines[-1][len("RESULT "):])


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--duration", type=float, default=1000.0)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", nargs="*", default=None, metavar="NETWORK",
                        help=f"networks to run (default: {' '.join(NETWORKS)})")
    parser.add_argument("--simulators", nargs="*", default=None, choices=SIMULATORS,
                        metavar="NAME",
                        help=f"simulators to run (default: all of {' '.join(SIMULATORS)})")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="stop any one run after S seconds (default: no limit)")
    parser.add_argument("--output", type=Path, default=RESULTS / "compare_simulators.json")
    parser.add_argument("--child", nargs=2, metavar=("SIMULATOR", "NETWORK"))
    args = parser.parse_args()
    if args.child:
        args.simulator, args.network = args.child
        child(args)
        return
    networks = args.only or NETWORKS
    wanted = args.simulators or SIMULATORS
    missing = missing_simulators(wanted)
    simulators = [s for s in wanted if s not in missing]
    results = []
    for network in networks:
        for simulator in simulators:
            if simulator == "bss1lab_wafer" and network.startswith("microcircuit"):
                continue  # current-based: the wafer runs conductance-based models only
            entry = run_child(simulator, network, args)
            print(json.dumps(entry))
            results.append(entry)
    for entry in results:
        base = next((r for r in results if r["network"] == entry["network"]
                     and r["simulator"] == "bss1lab_ideal" and "wall_time_s" in r), None)
        if base and "wall_time_s" in entry:
            entry["wall_time_vs_bss1lab_ideal"] = entry["wall_time_s"] / base["wall_time_s"]
    report = {"machine_cores": os.cpu_count(), "threads": args.threads,
              "missing_simulators": list(missing.values()), "results": results}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1))
    _plot(results, args.output.with_suffix(".html"))
    print(f"saved {args.output} and {args.output.with_suffix('.html')}")


def _plot(results: list, path: Path) -> None:
    """Bar charts of the real-time factor and peak memory, by network and simulator
    (each simulator in its own colour)."""
    from bokeh.io import output_file, save
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource, FactorRange
    from bokeh.palettes import Category10
    from bokeh.plotting import figure
    from bokeh.transform import factor_cmap
    done = [r for r in results if "wall_time_s" in r]
    factors = [(r["network"], r["simulator"]) for r in done]
    figures = []
    for key, label in (("real_time_factor", "wall time / biological time"),
                       ("peak_memory_mb", "peak memory (MB)")):
        source = ColumnDataSource({"x": factors, "value": [r[key] for r in done]})
        f = figure(x_range=FactorRange(*factors), height=320, width=900, title=label,
                   tools="save,hover", tooltips=[("", "@x"), (key, "@value")])
        f.vbar(x="x", top="value", width=0.9, source=source,
               fill_color=factor_cmap("x", Category10[10][:len(SIMULATORS)], SIMULATORS,
                                      start=1, end=2))
        f.xaxis.major_label_orientation = 1.0
        figures.append(f)
    output_file(path, title="bss1lab vs simulators")
    save(column(*figures))


if __name__ == "__main__":
    main()
