"""How close the memory estimate that refuses too large networks comes to what a run
really takes.

For each network, in a fresh process: the peak resident memory of mapping and running
it for 10 ms, less the peak after a one-neuron warm-up run (interpreter, numba,
compiled kernels), against ``bss1lab.emulator.memory.estimate_bytes``. Prints and
saves JSON. Usage: python bench/memory_estimate.py [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

#: 100,000 cells, 20 synapses each of ``synapse`` (None: Projection's default)
SPARSE_100K = ("cells = Population(100_000, IF_cond_exp(), label='c'); "
               "network = Network(cells, Projection(cells, cells, "
               "FixedNumberPreConnector(20), {synapse}))")
#: name -> (wafer, code building ``network``)
NETWORKS = {
    "brunel_12500_ideal": ("ideal", "network = brunel_network('hardware', n_neurons=12500)"),
    "brunel_2083_wafer": ("wafer", "network = brunel_network('hardware')"),
    "sparse_100k_cells_ideal": ("ideal", SPARSE_100K.format(synapse="None")),
    # the same with short-term plasticity: a state per (presynaptic cell, projection)
    "sparse_100k_cells_plastic_ideal": ("ideal", SPARSE_100K.format(
        synapse="TsodyksMarkramSynapse(weight=0.001)")),
}

MEASURE = """
import json, resource, sys
from bss1lab.experiments import run
from bss1lab.hardware import Wafer
from bss1lab.network import *
from bss1lab.network.brunel import brunel_network
from bss1lab.emulator.memory import estimate_bytes
wafer = Wafer.ideal() if sys.argv[1] == "ideal" else Wafer()
run(Network(Population(1, IF_cond_exp())), 1.0, wafer=wafer)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0
exec(sys.argv[2])
estimate = estimate_bytes(network, on_wafer=not wafer.is_ideal)
ds = run(network, 10.0, wafer=wafer)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0
print(json.dumps({"cells": network.size, "synapses": ds.attrs["synapses_requested"],
                  "estimate_bytes": estimate, "measured_bytes": after - before,
                  "baseline_bytes": before}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results"
                        / "memory_estimate.json")
    args = parser.parse_args()
    results = {}
    for name, (wafer, code) in NETWORKS.items():
        out = subprocess.run([sys.executable, "-c", MEASURE, wafer, code], check=True,
                             capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        result["estimate_over_measured"] = result["estimate_bytes"] / result["measured_bytes"]
        results[name] = result
        print(f"{name}: {result['cells']:,} cells, {result['synapses']:,} synapses: "
              f"estimate {result['estimate_bytes'] / 1e6:,.0f} MB, measured "
              f"{result['measured_bytes'] / 1e6:,.0f} MB "
              f"(x{result['estimate_over_measured']:.2f})")
    args.output.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
