"""Engine speed on the balanced random network (Brunel 2000 shape, IF_cond_exp).

Runs, in one process, the 2,083-neuron version and the full-scale network (12,500
neurons: 10,000 E + 2,500 I, fixed in-degree 1,000 E + 250 I, Poisson drive) for 1 s
of biological time each, then a fresh process with a warm numba cache that builds,
maps and runs the 2,083-neuron network once. Prints and saves JSON to
bench/results/engine_speed.json.

Usage: python bench/engine_speed.py [--duration MS] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numba
import numpy as np

from bss1lab.emulator import Emulation
from bss1lab.hardware import Wafer
from bss1lab.network.brunel import (HARDWARE_CELL_PARAMETERS, HARDWARE_EXCITATORY_WEIGHT_US,
                                   HARDWARE_PSP_MV)
from bss1lab.network import (FixedNumberPreConnector, FromListConnector, IF_cond_exp,
                             Network, Population, Projection, RandomDistribution,
                             SpikeSourcePoisson, StaticSynapse)

#: Conductance for Brunel's 0.1 mV PSP with the wafer version's cells (its weight scaled
#: linearly from the PSP it gave), uS.
W_PSP_01MV = HARDWARE_EXCITATORY_WEIGHT_US * 0.1 / HARDWARE_PSP_MV
G_RELATIVE_INHIBITION = 5.0
ETA = 2.0


def balanced_random_network(n_neurons: int, in_degree_exc: int, drive: str = "pool",
                            pool_in_degree: int | None = None) -> Network:
    """E/I network at an asynchronous irregular point (g = 5, eta = 2).

    Weights are scaled so the mean input per neuron stays that of the full model
    (K = 1,000, J = 0.1 mV). ``drive="independent"``: one Poisson source per neuron
    at eta nu_thr K (NEST's Brunel example). ``drive="pool"``: a pool of n_neurons
    Poisson sources of which each neuron samples ``pool_in_degree`` (default K), at
    the rate that gives the same total: Brunel's external population, and the drive
    the wafer's 2,083-neuron version used (200 of 2,083 sources).
    """
    n_exc = int(round(0.8 * n_neurons))
    n_inh = n_neurons - n_exc
    in_degree_inh = in_degree_exc // 4
    weight = W_PSP_01MV * 1000 / in_degree_exc
    cell = IF_cond_exp(**HARDWARE_CELL_PARAMETERS)
    exc = Population(n_exc, cell, label="E")
    inh = Population(n_inh, cell, label="I")
    for population in (exc, inh):
        population.initialize(v=RandomDistribution("uniform", low=0.0, high=20.0))
    # nu_thr: the rate per synapse that holds V at threshold, theta / (J K tau_m), with
    # J K = 0.1 mV x 1,000 whatever K is (weights scale with 1 / K)
    nu_thr = 20.0 / (0.1 * 1000 * 10.0) * 1e3  # Hz
    total_rate = ETA * nu_thr * in_degree_exc  # Hz of external spikes per neuron
    if drive == "independent":
        sources = Population(n_neurons, SpikeSourcePoisson(rate=total_rate), label="drive")
        to_exc, to_inh = _one_each(0, n_exc), _one_each(n_exc, n_inh)
    elif drive == "pool":
        k = in_degree_exc if pool_in_degree is None else pool_in_degree
        sources = Population(n_neurons, SpikeSourcePoisson(rate=total_rate / k),
                             label="drive")
        to_exc, to_inh = FixedNumberPreConnector(k), FixedNumberPreConnector(k)
    else:
        raise ValueError(f"drive={drive!r}; allowed: 'pool', 'independent'")
    exc_syn = StaticSynapse(weight, 1.5)
    inh_syn = StaticSynapse(G_RELATIVE_INHIBITION * weight, 1.5)
    return Network(
        exc, inh, sources,
        Projection(exc, exc, FixedNumberPreConnector(in_degree_exc, False), exc_syn),
        Projection(exc, inh, FixedNumberPreConnector(in_degree_exc), exc_syn),
        Projection(inh, exc, FixedNumberPreConnector(in_degree_inh), inh_syn,
                   receptor_type="inhibitory"),
        Projection(inh, inh, FixedNumberPreConnector(in_degree_inh, False), inh_syn,
                   receptor_type="inhibitory"),
        Projection(sources, exc, to_exc, exc_syn),
        Projection(sources, inh, to_inh, exc_syn),
        label=f"balanced random network, {n_neurons} neurons, {drive} drive")


def _one_each(first_source: int, n: int) -> FromListConnector:
    """Sources first_source.. drive cells 0..n-1 one to one."""
    return FromListConnector(np.c_[np.arange(first_source, first_source + n),
                                   np.arange(n)])


#: name: (neurons, excitatory in-degree, drive, pool in-degree)
NETWORKS = {
    "brunel_2083_pool": (2083, 166, "pool", 200),
    "brunel_2083_independent": (2083, 166, "independent", None),
    "brunel_12500_pool": (12500, 1000, "pool", 1000),
    "brunel_12500_independent": (12500, 1000, "independent", None),
}


def peak_memory_mb() -> float:
    """This process's peak resident memory, MiB (Linux reports kB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 ** 2 if platform.system() == "Darwin" else 1024.0)


def measure(name: str, duration_ms: float, repeats: int) -> dict:
    n_neurons, in_degree, drive, pool_in_degree = NETWORKS[name]
    started = time.perf_counter()
    network = balanced_random_network(n_neurons, in_degree, drive, pool_in_degree)
    mapped = Wafer.ideal().map(network, seed=1)
    emulation = Emulation(mapped, seed=2)
    setup = time.perf_counter() - started
    emulation.run(1.0)  # compile or load the kernels, settle
    chunk = emulation.run(duration_ms)
    wall = chunk.wall_time_s
    # the machine is shared: report the best of a few repeats as well
    best = min([wall] + [emulation.run(duration_ms).wall_time_s for _ in range(repeats - 1)])
    net = mapped.network
    neurons = [p for p in net.populations if not p.is_source]
    spikes = chunk.spike_counts
    recurrent = net.pre < neurons[-1].stop
    out_degree = np.bincount(net.pre[recurrent], minlength=net.n_cells)
    recurrent_events = int(spikes @ out_degree)
    rates = {p.label: float(spikes[p.start:p.stop].mean() / (duration_ms * 1e-3))
             for p in neurons}
    steps = round(duration_ms / emulation.dt)
    result = {
        "network": name, "drive": drive, "neurons": n_neurons,
        "synapses": int(net.n_synapses),
        "recurrent_synapses": int(recurrent.sum()), "bio_duration_ms": duration_ms,
        "setup_s": setup, "wall_time_s": wall, "best_wall_time_s": best,
        "real_time_factor": wall / (duration_ms * 1e-3),
        "rates_hz": rates,
        "synaptic_events": chunk.synaptic_events,
        "synaptic_events_per_s": chunk.synaptic_events / wall,
        "best_synaptic_events_per_s": chunk.synaptic_events / best,
        "recurrent_events_per_s": recurrent_events / wall,
        "neuron_updates_per_s": n_neurons * steps / wall,
        "peak_memory_mb_so_far": peak_memory_mb(),
    }
    print(json.dumps(result, indent=1))
    return result


FRESH_PROCESS = """
import time
started = time.perf_counter()
import importlib.util, json, sys
sys.path.insert(0, {bench!r})
from engine_speed import balanced_random_network
from bss1lab.experiments import run
from bss1lab.hardware import Wafer
imported = time.perf_counter()
ds = run(balanced_random_network(2083, 166, "pool", 200), 1000.0, wafer=Wafer.ideal(),
         seed=1)
done = time.perf_counter()
print(json.dumps({{"result_at_epoch_s": time.time(), "in_process_s": done - started,
                  "imports_s": imported - started, "run_call_s": done - imported,
                  "mapping_s": ds.attrs["mapping_time_s"],
                  "emulation_s": ds.attrs["wall_time_s"],
                  "dask_installed": importlib.util.find_spec("dask") is not None}}))
"""


def fresh_process_first_result() -> dict:
    """Seconds from launching a fresh interpreter to its first 1 s result, numba cache
    warm (``first_result_s``; the interpreter's exit after it is timed apart), and
    where they go: the interpreter's start, the imports (numba, xarray, bss1lab), the
    mapping (which includes numba's first dispatch in the process: its typing and
    target registries), the emulation, and the rest of ``run`` (the Emulation's
    set-up and the Dataset, whose first xarray variable imports dask.array when dask
    is installed)."""
    code = FRESH_PROCESS.format(bench=str(Path(__file__).parent))
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # warm
    launched, started = time.time(), time.perf_counter()
    child = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                           text=True)
    whole = time.perf_counter() - started
    stages = json.loads(child.stdout.strip().splitlines()[-1])
    first = stages.pop("result_at_epoch_s") - launched
    stages["setup_and_dataset_s"] = (stages["run_call_s"] - stages["mapping_s"]
                                     - stages["emulation_s"])
    stages["interpreter_start_s"] = first - stages["in_process_s"]
    return {"first_result_s": first, "exit_s": whole - first, **stages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1000.0, help="bio ms per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per network")
    parser.add_argument("--output", type=Path,
                        default=Path(__file__).parent / "results" / "engine_speed.json")
    args = parser.parse_args()
    results = [measure(name, args.duration, args.repeats) for name in NETWORKS]
    first = fresh_process_first_result()
    print("fresh process, warm cache, first 2,083-neuron result: "
          f"{first['first_result_s']:.2f} s", json.dumps(first))
    report = {
        "machine": {"cpus": os.cpu_count(), "numba_threads": numba.get_num_threads(),
                    "threading_layer": numba.threading_layer(),
                    "python": platform.python_version(), "numba": numba.__version__},
        "targets": {"brunel_12500_synaptic_events_per_s": 3e8,
                    "brunel_2083_wall_time_s": 0.3, "fresh_process_first_result_s": 1.5},
        "note": "wall times of 1 s bio after a warm-up; best_* is the best of --repeats",
        "results": results,
        "fresh_process_first_result_s": first["first_result_s"],
        "fresh_process_stages": first,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1))
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
