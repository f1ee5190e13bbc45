"""Cost per neuron step of AdEx cells (EIF_cond_exp_isfa_ista) under each integration
method, against IF_cond_exp, on one core and on the default threads.

Each measurement runs in its own process: a population of ``--neurons`` unconnected
cells, each with its own constant current (drawn uniformly, so they fire at rates
spread over about 5-60 Hz and spikes fall in every step), for ``--duration`` ms at
dt = 0.1 ms after a warm-up, ``--repeats`` times. The cases take turns, ``--rounds``
times, and each keeps its best run: on a shared machine the load then falls on all
alike. The cost is the kernel's wall time (and its CPU time, all threads) divided by
neurons x steps.

"Old" is the AdEx scheme before the second-order one (first-order exponential Euler,
exponential term and w held at their start-of-step values): the package at git
revision ``--baseline`` (default e48e3f0, its last commit) is extracted with ``git
archive`` into a temporary directory and measured from there (numba compiles it
there first; the extracted tree is kept in the temporary directory for the next
run), so both are timed on the same machine in the same way. IF_cond_exp is measured
in both trees too: its results did not change, so its ratio shows the noise.

Prints and saves bench/results/adex_cost.json.

Usage: python bench/adex_cost.py [--neurons N] [--duration MS] [--repeats R]
                                 [--rounds K] [--baseline REV] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
#: Currents (nA) the cells' constant drive is drawn from, per cell type: about 5-60 Hz.
CURRENT_RANGE_NA = {"EIF_cond_exp_isfa_ista": (0.6, 1.6), "IF_cond_exp": (0.8, 1.6)}
#: (label, code tree, cell type, method) of each measurement; "baseline" is the tree
#: of --baseline.
CASES = [("adex_old_default", "baseline", "EIF_cond_exp_isfa_ista", "exponential"),
         ("adex_new_default", "current", "EIF_cond_exp_isfa_ista", "exponential"),
         ("adex_rk2", "current", "EIF_cond_exp_isfa_ista", "rk2"),
         ("if_cond_exp", "current", "IF_cond_exp", "exponential"),
         ("if_cond_exp_old", "baseline", "IF_cond_exp", "exponential")]
DT_MS = 0.1

MEASURE = """
import json, sys
import numpy as np
import bss1lab
from bss1lab.emulator import Emulation
from bss1lab.hardware import Wafer
from bss1lab import network as n
cell_name, method, size, duration, repeats, low, high = sys.argv[1:]
size, duration, repeats = int(size), float(duration), int(repeats)
cell = getattr(n, cell_name)(i_offset=n.RandomDistribution("uniform", low=float(low),
                                                           high=float(high)))
population = n.Population(size, cell, label="cells")
mapped = Wafer.ideal().map(n.Network(population), 1)
emulation = Emulation(mapped, 2, dt={dt}, method=method)
emulation.run(50.0)  # load or compile the kernels, let the cells settle
walls, cpus, spikes = [], [], 0
for _ in range(repeats):
    chunk = emulation.run(duration)
    walls.append(chunk.wall_time_s)
    cpus.append(chunk.cpu_time_s)
    spikes += int(chunk.spike_counts.sum())
steps = round(duration / {dt})
print(json.dumps({{"package": bss1lab.__file__, "cells": size, "steps": steps,
                  "wall_times_s": walls, "cpu_times_s": cpus,
                  "mean_rate_hz": spikes / (repeats * size * duration * 1e-3)}}))
""".format(dt=DT_MS)


def extract(revision: str) -> Path:
    """A directory holding the ``bss1lab`` package of git ``revision`` (extracted once
    into the temporary directory, then reused with its numba cache)."""
    into = Path(tempfile.gettempdir()) / f"bss1lab_{revision}"
    if not (into / "bss1lab" / "__init__.py").exists():
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "bss1lab"],
                                 check=True, capture_output=True).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(into, filter="data")
    return into


def measure(tree: Path, cell: str, method: str, threads: int | None, args) -> dict:
    """One measurement in a fresh process importing bss1lab from ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    if threads is not None:
        env["NUMBA_NUM_THREADS"] = str(threads)
    low, high = CURRENT_RANGE_NA[cell]
    done = subprocess.run([sys.executable, "-c", MEASURE, cell, method, str(args.neurons),
                           str(args.duration), str(args.repeats), str(low), str(high)],
                          check=True, capture_output=True, text=True, env=env, cwd=tree)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not Path(result["package"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"measured {result['package']}, not the tree {tree}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=20000)
    parser.add_argument("--duration", type=float, default=500.0, help="bio ms per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default="e48e3f0",
                        help="git revision with the old AdEx scheme")
    parser.add_argument("--output", type=Path, default=RESULTS / "adex_cost.json")
    args = parser.parse_args()
    import numba
    default_threads = numba.config.NUMBA_NUM_THREADS
    results: dict[str, dict] = {}
    trees = {"current": ROOT, "baseline": extract(args.baseline)}
    for threads in (1, None):
        key = "1_thread" if threads == 1 else f"{default_threads}_threads"
        results[key] = {label: {"cell": cell, "method": method, "code": tree,
                                "wall_times_s": [], "cpu_times_s": []}
                        for label, tree, cell, method in CASES}
        for round_ in range(args.rounds):
            for label, tree, cell, method in CASES:
                result = measure(trees[tree], cell, method, threads, args)
                entry = results[key][label]
                entry["wall_times_s"] += result["wall_times_s"]
                entry["cpu_times_s"] += result["cpu_times_s"]
                entry.update(cells=result["cells"], steps=result["steps"],
                             mean_rate_hz=result["mean_rate_hz"])
                updates = result["cells"] * result["steps"]
                entry["ns_per_neuron_step"] = min(entry["wall_times_s"]) / updates * 1e9
                entry["cpu_ns_per_neuron_step"] = min(entry["cpu_times_s"]) / updates * 1e9
                print(f"{key:10s} round {round_} {label:18s} "
                      f"{entry['ns_per_neuron_step']:6.2f} ns per neuron step, CPU "
                      f"{entry['cpu_ns_per_neuron_step']:6.2f} ns "
                      f"({result['mean_rate_hz']:.1f} Hz)", flush=True)
    pairs = {"adex_new_over_old": ("adex_new_default", "adex_old_default"),
             "adex_rk2_over_old": ("adex_rk2", "adex_old_default"),
             "adex_new_over_if_cond_exp": ("adex_new_default", "if_cond_exp"),
             "if_cond_exp_new_over_old": ("if_cond_exp", "if_cond_exp_old")}
    ratios = {key: {f"{name}{suffix}": r[top][field] / r[bottom][field]
                    for name, (top, bottom) in pairs.items()
                    for suffix, field in (("", "ns_per_neuron_step"),
                                          ("_cpu", "cpu_ns_per_neuron_step"))}
              for key, r in results.items()}
    for key, ratio in ratios.items():
        print(f"{key}: " + ", ".join(f"{name} {value:.2f}" for name, value in ratio.items()))
    report = {
        "machine": {"cpus": os.cpu_count(), "default_threads": default_threads,
                    "python": platform.python_version(), "numba": numba.__version__},
        "note": "ns per neuron step: best kernel wall (cpu_: CPU, all threads) time / "
                f"(cells x steps), dt = {DT_MS} ms, unconnected cells with constant "
                f"currents; old = git {args.baseline}; load average at the end "
                f"{os.getloadavg()[0]:.1f}",
        "settings": {"neurons": args.neurons, "duration_ms": args.duration,
                     "repeats": args.repeats, "rounds": args.rounds,
                     "baseline": args.baseline,
                     "current_range_nA": CURRENT_RANGE_NA},
        "results": results, "ratios": ratios}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1) + "\n")
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
