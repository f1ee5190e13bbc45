"""bss1lab when one core is busy with another process: its default thread count
against one thread, with and without `cpu_load` spinning on the last core.

Each (network, load, threads) runs in its own process after a warm-up
(``compare_simulators.run_bss1lab``: seed 1, ideal or wafer as the network says).
Reports emulation wall time, the process's CPU time, and per network and load the
ratio of the default's wall time to one thread's (the issue's target with the load:
at most 1.1). Prints and saves JSON.

``--wait-policies`` runs every case under each of OpenMP's wait policies given
(``bss1lab``: what ``import bss1lab`` sets, a short spin; ``PASSIVE``: sleep at once;
``ACTIVE``: spin; ``default``: libgomp's own, spinning 300,000 turns), to weigh what
sleeping waiters cost on a quiet machine against what spinning ones cost on a shared
one.

Usage: python bench/shared_core.py [--reduced] [--duration MS] [--only NETWORK ...]
                                   [--repeats N] [--wait-policies P ...]
                                   [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "peers")]

from compare_simulators import REDUCED_DURATION_MS, run_bss1lab  # noqa: E402
from cpu_load import cpu_load  # noqa: E402

#: network: how bss1lab runs it (the ideal wafer, or the emulated one).
ALL_NETWORKS = {"brunel_12500": "ideal", "brunel_2083_wafer": "wafer",
                "brunel_2500": "ideal", "microcircuit_10pct": "ideal"}
NETWORKS = ["brunel_12500", "brunel_2083_wafer"]
REDUCED_NETWORKS = ["brunel_2500", "brunel_2083_wafer"]


def child(network: str, wafer_kind: str, duration: float, threads: int | None) -> None:
    import bss1lab
    from network_file import peak_memory_mb, report
    bss1lab.set_threads(threads)
    report({**run_bss1lab(network, duration, wafer_kind),
            "peak_memory_mb": peak_memory_mb()})


def measure(network: str, wafer_kind: str, duration: float, threads: int | None,
            loaded: bool, policy: str) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    if policy != "bss1lab":  # else bss1lab's own choice (bss1lab/__init__.py)
        env["OMP_WAIT_POLICY"] = "" if policy == "default" else policy
    command = [sys.executable, __file__, "--child", network, wafer_kind,
               "--duration", str(duration)]
    if threads is not None:
        command += ["--threads", str(threads)]
    if loaded:
        # bounded: long enough for any one run here, never longer
        with cpu_load(900.0):
            done = subprocess.run(command, capture_output=True, text=True, env=env)
    else:
        done = subprocess.run(command, capture_output=True, text=True, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        return {"error": (done.stderr or done.stdout)[-2000:]}
    result = json.loads(lines[-1][len("RESULT "):])
    keep = ("wall_time_s", "cpu_time_s", "build_time_s", "threads", "mean_rate_hz",
            "synaptic_events", "peak_memory_mb")
    return {key: result[key] for key in keep}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reduced", action="store_true",
                        help="a 2,500-neuron Brunel and the 2,083-neuron one, 200 ms")
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--only", nargs="*", default=None, choices=list(ALL_NETWORKS))
    parser.add_argument("--wait-policies", nargs="*", default=["bss1lab"],
                        choices=["bss1lab", "PASSIVE", "ACTIVE", "default"])
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of each case; the fastest counts")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--child", nargs=2, metavar=("NETWORK", "WAFER"))
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    duration = args.duration or (REDUCED_DURATION_MS if args.reduced else 1000.0)
    if args.child:
        child(*args.child, duration, args.threads)
        return
    networks = args.only or (REDUCED_NETWORKS if args.reduced else NETWORKS)
    output = args.output or HERE / "results" / (
        "shared_core_reduced.json" if args.reduced else "shared_core.json")
    results = []
    cases = [(network, loaded, policy) for network in networks for loaded in (False, True)
             for policy in args.wait_policies]
    for network, loaded, policy in cases:
        runs = {}
        for threads in (None, 1):
            tries = [measure(network, ALL_NETWORKS[network], duration, threads,
                             loaded, policy) for _ in range(args.repeats)]
            good = [t for t in tries if "wall_time_s" in t]
            runs["default" if threads is None else "1"] = (
                min(good, key=lambda t: t["wall_time_s"]) if good else tries[0])
        entry = {"network": network, "cpu_load_on_one_core": loaded,
                 "omp_wait_policy": policy, "bio_duration_ms": duration, "runs": runs}
        if all("wall_time_s" in r for r in runs.values()):
            entry["default_over_one_thread"] = (runs["default"]["wall_time_s"]
                                                / runs["1"]["wall_time_s"])
        print(json.dumps(entry), flush=True)
        results.append(entry)
    report = {"machine_cores": os.cpu_count(), "load_average_at_start": os.getloadavg(),
              "reduced": args.reduced, "results": results}
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1))
    print(f"saved {output}")


if __name__ == "__main__":
    main()
