"""Speed of Wafer.map: the full-scale balanced random network (12,500 neurons,
15.6 M synapses, one Poisson source per neuron) and the wafer's 2,083-neuron version,
each mapped onto the emulated wafer with every effect on. Prints and saves JSON to
bench/results/mapping_speed.json.

Usage: python bench/mapping_speed.py [--repeats N] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

from engine_speed import balanced_random_network, peak_memory_mb

from bss1lab.hardware import Wafer
from bss1lab.hardware.pipeline import forget_decisions

#: name: (neurons, excitatory in-degree, drive, pool in-degree), as in engine_speed
NETWORKS = {"brunel_12500_independent": (12500, 1000, "independent", None),
            "brunel_2083_pool": (2083, 166, "pool", 200)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path,
                        default=Path(__file__).parent / "results" / "mapping_speed.json")
    args = parser.parse_args()
    wafer = Wafer()
    results = []
    for name, (n, k, drive, pool) in NETWORKS.items():
        network = balanced_random_network(n, k, drive, pool)
        times = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # clipped parameters
            for _ in range(args.repeats):
                forget_decisions()  # a first mapping: no placement or routing kept
                started = time.perf_counter()
                mapped = wafer.map(network, seed=1)
                times.append(time.perf_counter() - started)
        report = mapped.report
        result = {"network": name, "neurons": n,
                  "synapses_requested": report["synapses_requested"],
                  "synapses_realised": report["synapses_realised"],
                  "synapse_loss_fraction": report["synapse_loss_fraction"],
                  "hicanns_used": report["hicanns_used"],
                  "map_time_s": times, "best_map_time_s": min(times),
                  "peak_memory_mb_so_far": peak_memory_mb()}
        print(json.dumps(result, indent=1))
        results.append(result)
    report = {"targets": {"brunel_12500_map_time_s": 5.0, "brunel_2083_map_time_s": 0.5},
              "note": "first repeat includes loading the numba cache", "results": results}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1))
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
