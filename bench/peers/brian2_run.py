"""Run a network file (``network_file.py``) on Brian2 and print its result line.

Brian2 gets the network bss1lab realised, as NEST does: one ``NeuronGroup`` per cell
type holding all its populations (PyNN's equations in PyNN's units, each cell's own
parameters and initial membrane potential), the Poisson sources with their rates, and
one ``Synapses`` per source group, target group and receptor, connected with the
realised pre, post, weight and delay of every synapse. Like NEST's
``poisson_generator`` and bss1lab, a source that feeds one synapse sends a Poisson
number of spikes each step, drawn when its synapse delivers them: a ``PoissonGroup``
sends one spike a step at most, which caps the 20 kHz drive of the 12,500-neuron
network at 10 kHz. The sources that feed several synapses (one train to all) are one
``PoissonGroup``.

Two devices: ``runtime`` (Brian2's default, one thread, Cython code where Cython is
installed; the code is generated and compiled before the clock starts) and
``standalone`` (C++ standalone with ``--threads`` OpenMP threads; the emulation time is
the one the binary measures around its simulation loop, the build time everything
else: code generation, compilation, initialisation).

Usage: python brian2_run.py NETWORK.npz --duration MS --threads N
                            --device {runtime,standalone} [--method METHOD]
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time

import numpy as np

from network_file import (RESOLUTION_MS, children_peak_memory_mb, load, peak_memory_mb,
                          report, spike_statistics)

#: Brian2's membrane and synapse equations of each PyNN cell type (PyNN's semantics:
#: exponentially decaying conductances or currents, V held while refractory).
#: Inhibitory currents count as positive and are subtracted.
EQUATIONS = {
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
#: the conductance-based one by default (NEST integrates it with adaptive RKF45;
#: Brian2's exponential Euler, holding the conductances at their start-of-step values
#: over the step, delivers about 10 % more charge per input: ``--method``).
METHOD = {"IF_cond_exp": "rk4", "IF_curr_exp": "exact", "IF_curr_delta": "exact"}
#: What an (excitatory, inhibitory) spike does to its target, ``{w}`` standing for the
#: weight's magnitude times the spikes; delta synapses are lost in the refractory
#: period, as in NEST.
ON_PRE = {
    "IF_cond_exp": ("g_exc_post += {w}", "g_inh_post += {w}"),
    "IF_curr_exp": ("i_exc_post += {w}", "i_inh_post += {w}"),
    "IF_curr_delta": ("v_post += {w} * int(not_refractory_post)",
                      "v_post -= {w} * int(not_refractory_post)"),
}
#: Brian2's names of the PyNN parameters whose own name is taken (``cm``: centimetre).
RENAMED = {"cm": "c_m"}
#: Brian2's base unit (as written in equations) of each of PyNN's units.
BASE_UNIT = {"mV": "volt", "ms": "second", "nF": "farad", "nA": "amp", "uS": "siemens"}
#: The group of the Poisson sources that feed several synapses: one spike train each.
SHARED_POISSON = "poisson_shared"
#: The group of the Poisson sources that feed one synapse: they fire every step, and
#: their synapse draws the step's Poisson number of spikes when it delivers.
DIRECT_POISSON = "poisson_direct"
#: What ``{w}`` in ``ON_PRE`` is for a spike from each kind of source group.
SPIKE_WEIGHT = {DIRECT_POISSON: "w * poisson(rate_pre * dt)"}


def groups_of(brian2, network, method: str) -> tuple[dict, np.ndarray, np.ndarray]:
    """One group per cell type, its populations one after another, and the Poisson
    sources in ``SHARED_POISSON`` and ``DIRECT_POISSON``.

    Returns
    -------
    groups : dict of str to brian2 group
        By cell type name or Poisson group name.
    group_of_cell : ndarray of str
        Per cell in the realised numbering: the key of its group.
    index_in_group : ndarray of int
        Per cell: its index in that group.
    """
    group_of_cell = np.empty(network.n_cells, dtype=object)
    rate = np.zeros(network.n_cells)
    for p in network.populations:
        group_of_cell[p.start:p.stop] = p.cell_type
        if "rate" in p.parameters:
            rate[p.start:p.stop] = p.parameters["rate"]
    unsupported = sorted(set(group_of_cell) - set(EQUATIONS) - {"SpikeSourcePoisson"})
    if unsupported:
        raise ValueError(f"no Brian2 model for {unsupported}; supported: "
                         f"{sorted(EQUATIONS) + ['SpikeSourcePoisson']}")
    poisson = group_of_cell == "SpikeSourcePoisson"
    shared = np.bincount(network.pre, minlength=network.n_cells) > 1
    group_of_cell[poisson & shared] = SHARED_POISSON
    group_of_cell[poisson & ~shared] = DIRECT_POISSON
    index_in_group = np.empty(network.n_cells, dtype=np.int64)
    groups = {}
    for key in dict.fromkeys(group_of_cell):  # in the order of the cells
        cells = np.flatnonzero(group_of_cell == key)
        index_in_group[cells] = np.arange(cells.size)
        if key == SHARED_POISSON:
            groups[key] = brian2.PoissonGroup(cells.size, rate[cells] * brian2.Hz, name=key)
        elif key == DIRECT_POISSON:
            groups[key] = brian2.NeuronGroup(cells.size, "rate : Hz (constant)",
                                             threshold="True", reset="", name=key)
            groups[key].rate = rate[cells] * brian2.Hz
        else:
            groups[key] = neurons_of(brian2, key, [
                p for p in network.populations if p.cell_type == key],
                method if key == "IF_cond_exp" else METHOD[key])
    return groups, group_of_cell, index_in_group


def neurons_of(brian2, cell_type: str, populations: list, method: str):
    """The populations of ``cell_type`` as one ``NeuronGroup``, each cell with its own
    parameters and initial membrane potential."""
    values = {key: np.concatenate([p.parameters[key] for p in populations])
              for key in populations[0].parameters}
    units = populations[0].units
    parameters = "\n".join(
        f"{RENAMED.get(key, key)} : {BASE_UNIT[units[key]]} (constant)"
        for key in values if key != "v")
    group = brian2.NeuronGroup(
        values["v"].size, EQUATIONS[cell_type] + parameters, threshold="v >= v_thresh",
        reset="v = v_reset", refractory="tau_refrac", method=method, namespace={},
        name=cell_type.lower())
    for key, column in values.items():
        setattr(group, RENAMED.get(key, key), column * getattr(brian2, units[key]))
    return group


def synapses_of(brian2, network, groups: dict, group_of_cell: np.ndarray,
                index_in_group: np.ndarray) -> list:
    """One ``Synapses`` per (source group, target group, receptor), connected with the
    realised pre, post, weight (in the target's PyNN weight units) and delay."""
    number = {key: k for k, key in enumerate(groups)}  # compared faster than names
    number_of_cell = np.vectorize(number.get, otypes=[np.int64])(group_of_cell)
    pre_group, post_group = number_of_cell[network.pre], number_of_cell[network.post]
    weight_unit = {p.cell_type: p.weight_units for p in network.populations}
    targets = {key: group for key, group in groups.items() if key in EQUATIONS}
    synapses = []
    for source_key, source in groups.items():
        for target_key, target in targets.items():
            unit = weight_unit[target_key]
            for receptor, on_pre in enumerate(ON_PRE[target_key]):
                chosen = np.flatnonzero((pre_group == number[source_key])
                                        & (post_group == number[target_key])
                                        & (network.inhibitory == bool(receptor)))
                if not chosen.size:
                    continue
                pathway = brian2.Synapses(
                    source, target, f"w : {BASE_UNIT[unit]} (constant)",
                    on_pre=on_pre.format(w=SPIKE_WEIGHT.get(source_key, "w")),
                    namespace={}, name=f"{source_key}_to_{target_key.lower()}_{receptor}")
                pathway.connect(i=index_in_group[network.pre[chosen]],
                                j=index_in_group[network.post[chosen]])
                pathway.w = network.weight[chosen] * getattr(brian2, unit)
                pathway.delay = network.delay[chosen] * brian2.ms
                synapses.append(pathway)
    return synapses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("network", help="a .npz network file")
    parser.add_argument("--duration", type=float, required=True, help="ms")
    parser.add_argument("--threads", type=int, required=True,
                        help="OpenMP threads of the standalone device (runtime: 1)")
    parser.add_argument("--device", choices=["runtime", "standalone"], required=True)
    parser.add_argument("--method", default=METHOD["IF_cond_exp"],
                        help="integration of IF_cond_exp (default rk4; Brian2's own "
                             "default for it: exponential_euler)")
    args = parser.parse_args()
    import brian2
    network = load(args.network)
    started = time.perf_counter()
    directory = tempfile.mkdtemp(prefix="brian2_standalone_")
    if args.device == "standalone":
        brian2.set_device("cpp_standalone", directory=directory, build_on_run=False)
        brian2.prefs.devices.cpp_standalone.openmp_threads = args.threads
        target = "cpp_standalone"
    else:
        target = "cython" if importlib.util.find_spec("Cython") else "numpy"
        brian2.prefs.codegen.target = target
    brian2.prefs.logging.file_log = False
    # the direct sources' synapses add random numbers of spikes to their targets in
    # place: Brian2 warns that the order could matter; for a sum it does not
    brian2.BrianLogger.suppress_hierarchy("brian2.codegen.generators.base")
    brian2.defaultclock.dt = RESOLUTION_MS * brian2.ms
    brian2.seed(1)
    groups, group_of_cell, index_in_group = groups_of(brian2, network, args.method)
    synapses = synapses_of(brian2, network, groups, group_of_cell, index_in_group)
    monitors = {key: brian2.SpikeMonitor(group, record=False)
                for key, group in groups.items() if key in EQUATIONS}
    net = brian2.Network(*groups.values(), *synapses, *monitors.values())
    if args.device == "standalone":
        net.run(args.duration * brian2.ms)
        brian2.device.build(directory=directory, compile=True, run=True)
        total = time.perf_counter() - started
        wall = float(brian2.device._last_run_time)  # the binary's simulation loop
        build_time = total - wall
    else:
        net.run(0 * brian2.ms)  # generates and compiles the code
        build_time = time.perf_counter() - started
        started = time.perf_counter()
        net.run(args.duration * brian2.ms)
        wall = time.perf_counter() - started
    counts = np.zeros(network.n_cells)
    for key, monitor in monitors.items():
        in_group = group_of_cell == key
        counts[in_group] = np.asarray(monitor.count)[index_in_group[in_group]]
    report({"wall_time_s": wall, "build_time_s": build_time,
            **spike_statistics(network, counts, args.duration),
            "threads": args.threads if args.device == "standalone" else 1,
            "codegen_target": target, "method": args.method,
            "version": brian2.__version__, "peak_memory_mb": peak_memory_mb(),
            "children_peak_memory_mb": children_peak_memory_mb()})


if __name__ == "__main__":
    main()
