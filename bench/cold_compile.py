"""What a fresh install pays to compile the emulator: each case from a cold numba cache.

Each case runs in its own process with ``NUMBA_CACHE_DIR`` set to a new empty folder,
so numba compiles everything the case calls (as on CI, on Binder before its warm-up,
and on a student's first Run All):

* ``warm_up``: ``bss1lab.emulator.warmup.warm_up()``, all the course compiles;
* ``single_neuron``: one IF_cond_exp neuron, 100 ms on the wafer (a student's first run);
* ``balanced_2083``: the wafer's 2,083-neuron balanced random network, 100 ms.

The machine is shared (CI, other sessions): the figure that counts is the CPU time of
the case's process (``resource.getrusage(RUSAGE_CHILDREN)``, user + system), with the
wall time beside it, and the number of numba compilations of bss1lab's functions
(``bss1lab.emulator.compiling.compilations()``).

Usage::

    python bench/cold_compile.py [--cases warm_up single_neuron balanced_2083]
        [--label after] [--out bench/results/cold_compile.json]

The results of earlier labels in the output file are kept (``before`` and ``after``
side by side). ``PYTHONPATH=<checkout>`` measures another checkout's package (e.g. a
``git worktree`` of an older commit); each case checks that it imported the same
package as this script.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = {
    "warm_up": """
from bss1lab.emulator.warmup import warm_up
warm_up(verbose=False)
""",
    "single_neuron": """
from bss1lab.experiments import single_neuron
from bss1lab.hardware import Wafer
from bss1lab.network import IF_cond_exp
single_neuron(IF_cond_exp(), 100.0, current=(10.0, 80.0, 0.5), excitatory_spikes=[5.0],
              wafer=Wafer(seed=0))
""",
    "balanced_2083": """
from bss1lab.experiments import balanced_random_network
from bss1lab.hardware import Wafer
balanced_random_network(wafer=Wafer(seed=0), n_neurons=2083, duration=100.0, seed=0)
""",
}

FOOTER = """
import json, warnings
import bss1lab
from bss1lab.emulator.compiling import compilations
print("RESULT " + json.dumps({"compilations": compilations(), "package": bss1lab.__file__}))
"""


def run_case(name: str) -> dict:
    """Run case ``name`` in a fresh process on an empty numba cache."""
    with tempfile.TemporaryDirectory(prefix="bss1lab-cold-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONWARNINGS="ignore")
        if env.get("PYTHONPATH"):  # the case runs elsewhere: relative entries would break
            env["PYTHONPATH"] = os.pathsep.join(
                os.path.abspath(entry) for entry in env["PYTHONPATH"].split(os.pathsep))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        # in the empty cache folder: ``python -c`` puts its working directory first on
        # sys.path, so from a checkout it would import that checkout, not PYTHONPATH's
        done = subprocess.run([sys.executable, "-c", CASES[name] + FOOTER], env=env,
                              cwd=cache, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"case {name} failed:\n{done.stderr[-3000:]}")
    line = [row for row in done.stdout.splitlines() if row.startswith("RESULT ")][-1]
    result = json.loads(line[len("RESULT "):])
    import bss1lab
    if Path(result["package"]).resolve() != Path(bss1lab.__file__).resolve():
        raise RuntimeError(f"case {name} measured {result['package']}, "
                           f"not {bss1lab.__file__}")
    result["cpu_s"] = round((after.ru_utime - before.ru_utime)
                            + (after.ru_stime - before.ru_stime), 1)
    result["wall_s"] = round(wall, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--label", default="after")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "cold_compile.json")
    args = parser.parse_args()
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    import numba

    import bss1lab
    run = {"bss1lab": bss1lab.__file__, "numba": numba.__version__,
           "cpus": os.cpu_count(), "load_average": os.getloadavg()[0]}
    results[args.label] = run
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for name in args.cases:  # saved case by case: a long run's cases are kept
        run[name] = run_case(name)
        print(f"{args.label} {name}: {run[name]}", flush=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(run, indent=1))


if __name__ == "__main__":
    main()
