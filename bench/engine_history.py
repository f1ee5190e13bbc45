"""The engine's speed across commits: the same networks, timed on each commit's code.

Checks a list of commits out as git worktrees (under ``--trees``, kept for the next
run; default a temporary folder, removed at the end with its worktrees), and for each
runs, in its own process with its own empty numba cache (``NUMBA_CACHE_DIR``: numba
would otherwise load another commit's kernels), the
full-scale balanced random networks of ``engine_speed.py`` (pool and independent
drive) and the 10 % microcircuit with its Poisson background on 1 and on 2 threads:
5 ms to settle, then the best of three runs of ``--duration`` ms; and the random
network panel's run with its default controls (``Panel._experiment``: mapping onto the
emulated wafer, 1 s of biology in streamed chunks, the Datasets), the best of three
after one to load the kernels (``--networks`` picks some). ``--rounds`` repeats the
whole list, commit after commit, so that a drift of the machine's speed (a virtual
machine's neighbours) falls on every commit alike; the report gives each case's median
over the rounds. The networks come from each commit's own code
(``bench/engine_speed.py``, ``bss1lab.network.microcircuit``, ``bss1lab.widgets``), so
the spike counts printed beside the times show whether the commits compute the same
thing. Runs one process at a time: on a quiet machine, the figures compare commits; a
busy one only adds noise. Prints and saves JSON.

Usage: python bench/engine_history.py COMMIT ... [--duration MS] [--rounds N]
                                       [--networks NAME,...] [--trees DIR]
                                       [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent
NETWORKS = ["brunel_12500_pool", "brunel_12500_independent", "microcircuit_10pct",
            "random_network_panel"]
THREADS = [1, 2]

CHILD = """
import json, sys, time
tree = sys.argv[1]
sys.path[:0] = [tree, tree + "/bench"]
import bss1lab, numba
assert bss1lab.__file__.startswith(tree), bss1lab.__file__
from engine_speed import NETWORKS, balanced_random_network
from bss1lab.emulator import Emulation
from bss1lab.hardware import Wafer
result = {"threads": numba.get_num_threads()}
for name in sys.argv[3].split(","):
    if name == "random_network_panel":  # what a student waits for: map, run, Datasets
        import warnings
        warnings.simplefilter("ignore")  # the wafer's clipping warnings
        from bss1lab.widgets import RandomNetworkPanel
        panel = RandomNetworkPanel(auto_run=False)
        calls = panel.calls(panel.values)
        walls = []
        for _ in range(4):  # the first loads (or compiles) the kernels
            started = time.perf_counter()
            ds = panel._experiment(calls, lambda *args, **kwargs: True)
            walls.append(time.perf_counter() - started)
        result[name] = {"best_wall_time_s": min(walls[1:]),
                        "spikes": int(ds.attrs["spikes_emitted"])}
        continue
    if name == "microcircuit_10pct":
        from bss1lab.network.microcircuit import microcircuit_network
        network = microcircuit_network(N_scaling=0.1, K_scaling=0.1)
    else:
        network = balanced_random_network(*NETWORKS[name])
    mapped = Wafer.ideal().map(network, seed=1)
    emulation = Emulation(mapped, seed=2)
    emulation.run(5.0)
    walls = []
    for _ in range(3):
        started = time.perf_counter()
        chunk = emulation.run(float(sys.argv[2]))
        walls.append(time.perf_counter() - started)
    result[name] = {"best_wall_time_s": min(walls), "spikes": int(chunk.spike_counts.sum())}
print(json.dumps(result))
"""


def measure(commit: str, trees: Path, duration: float, networks: list[str]) -> list[dict]:
    tree = trees / commit
    if not tree.exists():
        subprocess.run(["git", "-C", str(REPOSITORY), "worktree", "add", "--detach",
                        str(tree), commit], check=True, capture_output=True)
    results = []
    for threads in THREADS:
        environment = dict(os.environ, NUMBA_NUM_THREADS=str(threads),
                           NUMBA_CACHE_DIR=str(trees / f"numba-cache-{commit}"))
        done = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(duration),
                               ",".join(networks)], env=environment, cwd=tempfile.gettempdir(),
                              check=True, capture_output=True, text=True)
        result = {"commit": commit, **json.loads(done.stdout.strip().splitlines()[-1])}
        print(json.dumps(result), flush=True)
        results.append(result)
    return results


def remove_trees(trees: Path) -> None:
    """Remove ``trees`` with its worktrees and caches, then git's entries of worktrees
    whose folders are gone (``git worktree prune``). Unchecked: it runs in a ``finally``
    and must not hide the error that ended the run."""
    shutil.rmtree(trees, ignore_errors=True)
    subprocess.run(["git", "-C", str(REPOSITORY), "worktree", "prune"], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commits", nargs="+")
    parser.add_argument("--duration", type=float, default=200.0, help="bio ms per run")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the commits")
    parser.add_argument("--networks", default=",".join(NETWORKS),
                        help=f"comma-separated, of {NETWORKS}")
    parser.add_argument("--trees", type=Path, default=None,
                        help="folder for the worktrees and numba caches (default: temporary)")
    parser.add_argument("--output", type=Path,
                        default=HERE / "results" / "engine_history.json")
    args = parser.parse_args()
    networks = args.networks.split(",")
    unknown = set(networks) - set(NETWORKS)
    if unknown:
        parser.error(f"--networks: {sorted(unknown)} unknown; allowed: {NETWORKS}")
    trees = args.trees or Path(tempfile.mkdtemp(prefix="bss1lab-history-"))
    trees.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    try:
        results = [{"round": k, **r} for k in range(args.rounds) for commit in args.commits
                   for r in measure(commit, trees, args.duration, networks)]
    finally:
        if args.trees is None:  # a temporary folder: its worktrees and caches go too
            remove_trees(trees)
    medians = {}
    for commit in args.commits:
        for threads in THREADS:
            runs = [r for r in results if r["commit"] == commit and r["threads"] == threads]
            medians[f"{commit} {threads} threads"] = {
                name: statistics.median(r[name]["best_wall_time_s"] for r in runs)
                for name in networks}
    print(json.dumps(medians, indent=1))
    report = {"machine_cores": os.cpu_count(), "load_average_at_start": load,
              "bio_duration_ms": args.duration, "rounds": args.rounds,
              "note": "best of 3 runs after 5 ms; each commit with its own numba cache; "
                      "medians over the rounds",
              "median_wall_time_s": medians, "results": results}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1))
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
