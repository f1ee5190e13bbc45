"""The same networks on bss1lab (ideal and on the emulated wafer), NEST and Brian2
(runtime, and C++ standalone with OpenMP threads), in one run, each simulator in its own
process (so its peak memory is its own) and NEST and Brian2 in their own virtual
environments under ``bench/.venvs/`` (made on the first run: Brian2 2.11 needs Python
>= 3.13, found through pyenv; neither is a dependency of bss1lab). Writes JSON and a
bokeh HTML plot: emulation time and build time apart, real-time factor, synaptic
events delivered (all, and recurrent: from neurons) and per second, mean rate, peak
memory, and the ratios to bss1lab.

NEST and Brian2 get exactly the network bss1lab realised (the same cells, parameters,
initial membrane potentials, synapses, weights and delays, translated to their models
and units; written as ``.npz`` by ``peers/network_file.py``), so all compute the same
thing. NEST's external drive is built as NEST users build it: ``poisson_generator``
devices connected directly to their targets (``peers/nest_run.py``). ``nest_pynn`` is
the co-execution of the seed experiments: NEST, through PyNN, runs the network the
emulated wafer realised (``bss1lab.experiments.to_pynn``; ``peers/nest_pynn_run.py``),
compared with ``bss1lab_wafer``; PyNN's NEST backend routes Poisson sources through
parrot neurons, so its time is not NEST's best. Simulators that do
not install or import are reported with the error, never as zero.

Networks: the full-scale balanced random network (12,500 IF_cond_exp neurons, fixed
in-degree 1,000 E + 250 I, delay 1.5 ms, one 20 kHz Poisson source per neuron), the
2,083-neuron wafer version (default), and the cortical microcircuit at 10 % and 25 %
(``--only``), 1 s of biology each (``--duration``). ``--reduced``: a 2,500-neuron
version of the first (in-degree 200 + 50) and the 2,083-neuron one for 200 ms, to
check the bench on a busy machine. ``--timeout S`` stops any one run after S seconds.

Usage: python bench/compare_simulators.py [--reduced] [--duration MS] [--threads N]
                                           [--only NETWORK ...] [--simulators NAME ...]
                                           [--brian2-method M] [--no-install]
                                           [--timeout S] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

#: The environment as the user started the bench, before ``import bss1lab`` set its
#: OpenMP wait policy: what NEST and Brian2 (both OpenMP programs) run with.
PEER_ENVIRONMENT = dict(os.environ)
HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PEERS_DIR = HERE / "peers"
VENVS = HERE / ".venvs"
sys.path[:0] = [str(HERE), str(PEERS_DIR)]
NETWORKS = ["brunel_12500", "brunel_2083_wafer", "brunel_2500", "microcircuit_10pct",
            "microcircuit_25pct"]
DEFAULT_NETWORKS = ["brunel_12500", "brunel_2083_wafer"]
REDUCED_NETWORKS = ["brunel_2500", "brunel_2083_wafer"]
REDUCED_DURATION_MS = 200.0
SIMULATORS = ["bss1lab_ideal", "bss1lab_wafer", "nest", "nest_pynn", "brian2_runtime",
              "brian2_standalone"]


def build(name: str):
    """The network ``name`` as a bss1lab Network."""
    from bss1lab.network.brunel import brunel_network
    from bss1lab.network.microcircuit import microcircuit_network
    from engine_speed import balanced_random_network
    if name == "brunel_12500":
        return balanced_random_network(12500, 1000, "independent")
    if name == "brunel_2500":
        return balanced_random_network(2500, 200, "independent")
    if name == "brunel_2083_wafer":
        return brunel_network("hardware")
    if name == "microcircuit_10pct":
        return microcircuit_network(N_scaling=0.1, K_scaling=0.1)
    if name == "microcircuit_25pct":
        return microcircuit_network(N_scaling=0.25, K_scaling=0.25)
    raise ValueError(f"unknown network {name!r}; allowed: {NETWORKS}")


def save_network(name: str) -> None:
    """Save the network ``name`` as bss1lab's ideal wafer realised it (seed 1), what
    NEST and Brian2 are given, at `network_path`."""
    from bss1lab.hardware import Wafer
    from network_file import save_realised
    save_realised(Wafer.ideal().map(build(name), seed=1).network, network_path(name))


def run_bss1lab(name: str, duration: float, wafer_kind: str) -> dict:
    """Map and run ``name`` on bss1lab (seed 1); the emulation time is the kernel's,
    the build time the mapping and the emulation's set-up."""
    from bss1lab import __version__
    from bss1lab.emulator.engine import Emulation
    from bss1lab.emulator.threads import engine_threads
    from bss1lab.hardware import Wafer
    from network_file import counted, spike_statistics
    network = build(name)
    wafer = Wafer() if wafer_kind == "wafer" else Wafer.ideal()
    started = time.perf_counter()
    mapped = wafer.map(network, seed=1)
    emulation = Emulation(mapped, seed=1)
    build_time = time.perf_counter() - started
    # loads the compiled kernel from numba's cache (up to a second, once per process),
    # as NEST's and Brian2's code generation is not in their emulation time either
    Emulation(mapped, seed=2).run(1.0)
    chunk = emulation.run(duration)
    return {"wall_time_s": chunk.wall_time_s, "cpu_time_s": chunk.cpu_time_s,
            "build_time_s": build_time,
            **spike_statistics(counted(mapped.network), chunk.spike_counts, duration),
            "events_counted": int(chunk.synaptic_events),
            "input_dropped": int(chunk.input_dropped.sum()), "threads": engine_threads(),
            "version": __version__}


#: Each peer: its virtual environment under ``bench/.venvs/``, the Python to make it
#: with (None: this one), what to install, the modules it needs, its runner script and
#: its fixed arguments. ``nest_pynn`` shares NEST's environment, with bss1lab and PyNN
#: installed in it (its runner maps the network itself: it takes the network's name).
PEERS = {
    "nest": ("nest", None, ["nest-simulator"], ["nest"], "nest_run.py", []),
    "nest_pynn": ("nest", None, ["nest-simulator", "-e", f"{HERE.parent}[pynn]"],
                  ["nest", "pyNN.nest", "bss1lab"], "nest_pynn_run.py", []),
    "brian2_runtime": ("brian2", (3, 13), ["brian2>=2.11", "cython"], ["brian2"],
                       "brian2_run.py", ["--device", "runtime"]),
    "brian2_standalone": ("brian2", (3, 13), ["brian2>=2.11", "cython"], ["brian2"],
                          "brian2_run.py", ["--device", "standalone"]),
}


def python_at_least(version: tuple[int, int]) -> str:
    """A Python interpreter of at least ``version``: this one, or pyenv's newest one
    that is (``~/.pyenv/versions``); raises when there is none."""
    if sys.version_info[:2] >= version:
        return sys.executable
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = []
    for folder in root.glob("*"):
        parts = folder.name.split(".")
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit() \
                and (int(parts[0]), int(parts[1])) >= version \
                and (folder / "bin" / "python").exists():
            found.append(((int(parts[0]), int(parts[1])), folder / "bin" / "python"))
    if not found:
        raise RuntimeError(f"no Python >= {'.'.join(map(str, version))} here or in {root}"
                           " (install one with pyenv)")
    return str(max(found)[1])


def peer_python(peer: str, install: bool) -> str:
    """The Python of ``peer``'s virtual environment, made and filled first when it is
    missing and ``install`` is True; raises RuntimeError saying what failed."""
    folder, version, packages, modules, _, _ = PEERS[peer]
    venv = VENVS / folder
    python = venv / "bin" / "python"
    check = [python, "-c", "; ".join(f"import {module}" for module in modules)]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return str(python)
    if not install:
        raise RuntimeError(f"{venv} lacks one of {modules} (run without --no-install "
                           "to make it)")
    base = python_at_least(version) if version else sys.executable
    commands = [] if python.exists() else [[base, "-m", "venv", str(venv)]]
    commands.append([python, "-m", "pip", "install", "-q", "numpy", *packages])
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{' '.join(map(str, command))} failed: "
                               f"{done.stderr[-1500:]}")
    return str(python)


def child(args) -> None:
    """Run one bss1lab (simulator, network) and print its result line."""
    from network_file import peak_memory_mb, report
    warnings.simplefilter("ignore")
    result = run_bss1lab(args.network, args.duration, args.simulator.split("_")[1])
    report({**result, "peak_memory_mb": peak_memory_mb()})


def run_child(command: list, simulator: str, network: str, timeout: float | None) -> dict:
    """Run one (simulator, network) in its own process; its result, or why there is
    none."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False,
                              timeout=timeout, cwd=PEERS_DIR,
                              env=None if simulator.startswith("bss1lab") else PEER_ENVIRONMENT)
    except subprocess.TimeoutExpired:
        return {"simulator": simulator, "network": network,
                "error": f"timed out after {timeout:g} s (--timeout)"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        return {"simulator": simulator, "network": network,
                "error": (done.stderr or done.stdout)[-2000:]}
    result = json.loads(lines[-1][len("RESULT "):])
    result.update(simulator=simulator, network=network)
    return result


def command_of(simulator: str, network: str, args, pythons: dict) -> list:
    """The command line that runs ``simulator`` on ``network``."""
    common = ["--duration", str(args.duration), "--threads", str(args.threads)]
    if simulator.startswith("bss1lab"):
        return [sys.executable, str(Path(__file__).resolve()), "--child", simulator,
                network, *common]
    _, _, _, _, script, fixed = PEERS[simulator]
    extra = ["--method", args.brian2_method] if simulator.startswith("brian2") else []
    given = network if simulator == "nest_pynn" else str(network_path(network))
    return [pythons[simulator], script, given, *common, *fixed, *extra]


def network_path(name: str) -> Path:
    """Where the realised network ``name`` is saved for the peers."""
    return VENVS / "networks" / f"{name}.npz"


def derived(entry: dict, duration: float) -> dict:
    """``entry`` with the real-time factor and the events per second of emulation."""
    if "wall_time_s" in entry:
        entry["bio_duration_ms"] = duration
        entry["real_time_factor"] = entry["wall_time_s"] / (duration * 1e-3)
        entry["synaptic_events_per_s"] = entry["synaptic_events"] / entry["wall_time_s"]
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--reduced", action="store_true",
                        help=f"{' '.join(REDUCED_NETWORKS)} for {REDUCED_DURATION_MS:g} "
                             "ms: checks the bench, not for figures")
    parser.add_argument("--duration", type=float, default=None,
                        help="ms of biology (default 1000; --reduced: "
                             f"{REDUCED_DURATION_MS:g})")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads of NEST and Brian2 standalone (default 2); bss1lab "
                             "uses its default (NUMBA_NUM_THREADS or the CPU quota, "
                             "tuned while it runs)")
    parser.add_argument("--only", nargs="*", default=None, metavar="NETWORK",
                        choices=NETWORKS,
                        help=f"networks to run (default: {' '.join(DEFAULT_NETWORKS)})")
    parser.add_argument("--simulators", nargs="*", default=None, choices=SIMULATORS,
                        metavar="NAME",
                        help=f"simulators to run (default: all of {' '.join(SIMULATORS)})")
    parser.add_argument("--brian2-method", default="rk4",
                        help="Brian2's integration of IF_cond_exp (default rk4; its own "
                             "default is exponential_euler)")
    parser.add_argument("--no-install", action="store_true",
                        help="do not make the peers' virtual environments")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="stop any one run after S seconds (default: no limit)")
    parser.add_argument("--output", type=Path, default=None,
                        help="default results/compare_simulators[_reduced].json")
    parser.add_argument("--child", nargs=2, metavar=("SIMULATOR", "NETWORK"))
    args = parser.parse_args()
    if args.duration is None:
        args.duration = REDUCED_DURATION_MS if args.reduced else 1000.0
    if args.child:
        args.simulator, args.network = args.child
        child(args)
        return
    networks = args.only or (REDUCED_NETWORKS if args.reduced else DEFAULT_NETWORKS)
    output = args.output or RESULTS / ("compare_simulators_reduced.json" if args.reduced
                                       else "compare_simulators.json")
    wanted = args.simulators or SIMULATORS
    pythons, missing = {}, {}
    for simulator in wanted:
        if simulator in PEERS:
            try:
                pythons[simulator] = peer_python(simulator, not args.no_install)
            except RuntimeError as error:
                missing[simulator] = str(error)
    for network in networks:
        save_network(network)
    results = []
    for network in networks:
        for simulator in wanted:
            if (simulator in ("bss1lab_wafer", "nest_pynn")
                    and network.startswith("microcircuit")):
                continue  # current-based: the wafer runs conductance-based models only
            if simulator in missing:
                entry = {"simulator": simulator, "network": network,
                         "error": missing[simulator]}
            else:
                entry = derived(run_child(command_of(simulator, network, args, pythons),
                                          simulator, network, args.timeout), args.duration)
            print(json.dumps(entry), flush=True)
            results.append(entry)
    for entry in results:
        base = next((r for r in results if r["network"] == entry["network"]
                     and r["simulator"] == "bss1lab_ideal" and "wall_time_s" in r), None)
        if base and "wall_time_s" in entry:
            entry["wall_time_vs_bss1lab_ideal"] = entry["wall_time_s"] / base["wall_time_s"]
            entry["rate_vs_bss1lab_ideal"] = entry["mean_rate_hz"] / base["mean_rate_hz"]
        if entry["simulator"] == "nest_pynn" and "wall_time_s" in entry:
            # co-execution: NEST on the network the wafer realised, against the wafer
            wafer = next((r for r in results if r["network"] == entry["network"]
                          and r["simulator"] == "bss1lab_wafer" and "wall_time_s" in r),
                         None)
            if wafer:
                entry["wall_time_vs_bss1lab_wafer"] = (entry["wall_time_s"]
                                                       / wafer["wall_time_s"])
                entry["rate_vs_bss1lab_wafer"] = entry["mean_rate_hz"] / wafer["mean_rate_hz"]
    report = {"machine_cores": os.cpu_count(), "threads": args.threads,
              "load_average_at_start": os.getloadavg(), "reduced": args.reduced,
              "results": results}
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1))
    _plot(results, output.with_suffix(".html"))
    print(f"saved {output} and {output.with_suffix('.html')}")


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
    for key, label in (("real_time_factor", "emulation time / biological time"),
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
