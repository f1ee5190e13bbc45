"""The 10 % microcircuit with its Poisson background (7,717 neurons, one Poisson source
each): emulation time and CPU time per biological second, on the default threads and
on one, after a warm-up; with each population's rate, so a change of generator can be
checked against the model's rates. Each of ``--repeats`` runs is a new emulation (as a
student's run is: its thread tuner starts afresh), the thread counts taking turns; the
report gives every run and the median. Prints and saves JSON.

Usage: python bench/microcircuit_poisson.py [--duration MS] [--repeats N] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

T_START_MS = 100.0  # rates are counted from here on: the onset transient is over


def measure(duration: float, threads: int | None) -> dict:
    import bss1lab
    from bss1lab.emulator.engine import Emulation
    from bss1lab.hardware import Wafer
    from bss1lab.network.microcircuit import microcircuit_network
    bss1lab.set_threads(threads)
    network = microcircuit_network(N_scaling=0.1, K_scaling=0.1)
    started = time.perf_counter()
    mapped = Wafer.ideal().map(network, seed=1)
    emulation = Emulation(mapped, seed=1)
    build = time.perf_counter() - started
    Emulation(mapped, seed=2).run(1.0)  # loads the kernel from numba's cache
    first = emulation.run(T_START_MS)
    chunk = emulation.run(duration - T_START_MS)
    seconds = (duration - T_START_MS) * 1e-3
    rates = {p.label: float(chunk.spike_counts[p.start:p.stop].mean() / seconds)
             for p in mapped.network.populations if not p.is_source}
    wall = first.wall_time_s + chunk.wall_time_s
    cpu = first.cpu_time_s + chunk.cpu_time_s
    return {"threads": threads or "default", "wall_time_s": wall, "cpu_time_s": cpu,
            "wall_s_per_bio_s": wall / (duration * 1e-3),
            "cpu_s_per_bio_s": cpu / (duration * 1e-3), "build_time_s": build,
            "window_steps": emulation.window, "blocks": emulation.layout.n_blocks,
            "rates_hz": rates}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=1000.0, help="ms, > 100")
    parser.add_argument("--output", type=Path,
                        default=Path(__file__).parent / "results" / "microcircuit_poisson.json")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each thread count, taking turns")
    args = parser.parse_args()
    load = os.getloadavg()
    runs: dict[object, list[dict]] = {"default": [], 1: []}
    for _ in range(args.repeats):
        for threads in (None, 1):
            run = measure(args.duration, threads)
            runs[run["threads"]].append(run)
            print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v)
                              for k, v in run.items() if k != "rates_hz"}), flush=True)
    results = [{"threads": threads, "runs": these,
                "median_wall_s_per_bio_s": float(np.median(
                    [r["wall_s_per_bio_s"] for r in these]))}
               for threads, these in runs.items()]
    for r in results:
        print(f"threads {r['threads']}: median {r['median_wall_s_per_bio_s']:.3f} s "
              "per biological second")
    rates = runs["default"][0]["rates_hz"]
    print("rates (Hz):", {k: round(v, 2) for k, v in rates.items()})
    report = {"machine_cores": os.cpu_count(), "load_average_at_start": load,
              "bio_duration_ms": args.duration, "repeats": args.repeats,
              "results": results, "mean_rate_hz": float(np.mean(list(rates.values())))}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1))
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
