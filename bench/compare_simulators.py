"""The same networks on bss1lab (ideal and on the emulated wafer) and, when installed,
on NEST (``pip install 'bss1lab[bench]'``), one run after another, each in its own
process so its peak memory is its own. Writes JSON and a bokeh HTML plot: wall time,
real-time factor, synaptic events per second, peak memory and the ratio to bss1lab.

NEST gets exactly the network bss1lab realised (the same cells, parameters, synapses,
weights and delays, translated to NEST's models and units), so the two compute the
same thing. Simulators that are not installed are reported as missing, never as zero.

Networks: the full-scale balanced random network (12,500 IF_cond_exp neurons, 15.6 M
synapses, independent Poisson drive), its 2,083-neuron wafer version, and the
cortical microcircuit at 10 % and 25 % (neurons and in-degrees), 1 s of biology each
(``--duration``); ``--full-microcircuit`` adds the full-scale microcircuit (77k
neurons, 0.3 G synapses) on bss1lab for its memory.

Usage: python bench/compare_simulators.py [--duration MS] [--threads N]
                                           [--only NAME ...] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
NETWORKS = ["brunel_12500", "brunel_2083_wafer", "microcircuit_10pct", "microcircuit_25pct"]
SIMULATORS = ["bss1lab_ideal", "bss1lab_wafer", "nest"]


def build(name: str):
    """The network ``name`` as a bss1lab Network."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bss1lab.network.brunel import brunel_network
    from bss1lab.network.microcircuit import microcircuit_network
    from engine_speed import balanced_random_network
    if name == "brunel_12500":
        return balanced_random_network(12500, 1000, "independent")
    if name == "brunel_2083_wafer":
        return brunel_network("hardware")
    if name == "microcircuit_10pct":
        return microcircuit_network(N_scaling=0.1, K_scaling=0.1)
    if name == "microcircuit_25pct":
        return microcircuit_network(N_scaling=0.25, K_scaling=0.25)
    if name == "microcircuit_full":
        return microcircuit_network(N_scaling=1.0, K_scaling=1.0)
    raise ValueError(f"unknown network {name!r}; allowed: {NETWORKS + ['microcircuit_full']}")


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_bss1lab(name: str, duration: float, wafer_kind: str) -> dict:
    from bss1lab.experiments import run
    from bss1lab.hardware import Wafer
    network = build(name)
    wafer = Wafer() if wafer_kind == "wafer" else Wafer.ideal()
    started = time.perf_counter()
    ds = run(network, duration, wafer=wafer, seed=1)
    total = time.perf_counter() - started
    return {"wall_time_s": ds.attrs["wall_time_s"], "build_time_s": total - ds.attrs[
        "wall_time_s"], "synaptic_events": ds.attrs["synaptic_events"],
        "neurons": ds.attrs["neurons"], "synapses": ds.attrs["synapses"],
        "mean_rate_hz": float(ds.rate.where(ds.spikes_recorded).mean())}


def run_nest(name: str, duration: float, threads: int) -> dict:
    import nest  # noqa: F401  (a missing NEST is reported by the caller)
    from bss1lab.hardware import Wafer
    network = build(name)
    realised = Wafer.ideal().map(network, seed=1).network
    started = time.perf_counter()
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": threads,
                          "rng_seed": 1})
    ids, sources = _nest_cells(nest, realised)
    _nest_synapses(nest, realised, ids, sources)
    recorder = nest.Create("spike_recorder")
    neurons = np.concatenate([ids[p.start:p.stop] for p in realised.populations
                              if not p.is_source])
    nest.Connect(nest.NodeCollection(sorted(neurons.tolist())), recorder)
    build_time = time.perf_counter() - started
    started = time.perf_counter()
    nest.Simulate(duration)
    wall = time.perf_counter() - started
    spikes = recorder.get("n_events")
    # every spike reaching each of its synapses, as bss1lab counts them: the neurons'
    # recorded spikes, and the Poisson sources' expected ones
    senders = np.asarray(recorder.get("events")["senders"], dtype=np.int64)
    cell_of_node = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
    cell_of_node[ids[ids > 0]] = np.flatnonzero(ids > 0)
    counts = np.bincount(cell_of_node[senders], minlength=realised.n_cells).astype(float)
    for p in realised.populations:
        if "rate" in p.parameters:
            counts[p.start:p.stop] = p.parameters["rate"] * duration * 1e-3
    out_degree = np.bincount(realised.pre, minlength=realised.n_cells)
    n_neurons = int(neurons.size)
    return {"wall_time_s": wall, "build_time_s": build_time,
            "synaptic_events": float(counts @ out_degree),
            "neurons": n_neurons, "synapses": realised.n_synapses,
            "mean_rate_hz": spikes / n_neurons / (duration * 1e-3), "threads": threads}


NEST_MODEL = {"IF_cond_exp": "iaf_cond_exp", "IF_curr_exp": "iaf_psc_exp",
              "IF_curr_delta": "iaf_psc_delta"}


def _nest_cells(nest, realised):
    """Create every cell; returns NEST node ids per cell (0 for a Poisson source that
    feeds one synapse through its generator) and each source's generator."""
    ids = np.zeros(realised.n_cells, dtype=np.int64)
    generators = np.zeros(realised.n_cells, dtype=np.int64)
    out_degree = np.bincount(realised.pre, minlength=realised.n_cells)
    for p in realised.populations:
        q = p.parameters
        cells = np.arange(p.start, p.stop)
        name = type(p.cell_type).__name__
        if name == "SpikeSourcePoisson":
            gens = nest.Create("poisson_generator", p.size,
                               params=[{"rate": float(r)} for r in q["rate"]])
            generators[cells] = gens.tolist()
            shared = out_degree[cells] > 1
            if shared.any():  # one train to several targets: through a parrot
                parrots = nest.Create("parrot_neuron", int(shared.sum()))
                nest.Connect(nest.NodeCollection(generators[cells][shared].tolist()),
                             parrots, "one_to_one")
                ids[cells[shared]] = parrots.tolist()
            continue
        model = NEST_MODEL[name]
        params = {"C_m": q["cm"] * 1e3, "tau_m": q["tau_m"], "E_L": q["v_rest"],
                  "V_reset": q["v_reset"], "V_th": q["v_thresh"],
                  "t_ref": q["tau_refrac"], "I_e": q["i_offset"] * 1e3}
        if model != "iaf_psc_delta":
            params.update({"tau_syn_ex": q["tau_syn_E"], "tau_syn_in": q["tau_syn_I"]})
        if model == "iaf_cond_exp":
            params.update({"E_ex": q["e_rev_E"], "E_in": q["e_rev_I"],
                           "g_L": q["cm"] / q["tau_m"] * 1e3})
            params.pop("tau_m")
        nodes = nest.Create(model, p.size)
        nodes.set({key: np.broadcast_to(np.asarray(v, dtype=float), (p.size,)).tolist()
                   for key, v in params.items()})
        start = np.broadcast_to(np.asarray(p.initial_values.get("v", q["v_rest"]),
                                           dtype=float), (p.size,))
        nodes.set({"V_m": start.tolist()})
        ids[cells] = nodes.tolist()
    return ids, generators


def _nest_synapses(nest, realised, ids, generators):
    """Connect every synapse with its weight (nS or pA or mV, signed for inhibition)
    and delay."""
    pre, post = realised.pre.astype(np.int64), realised.post.astype(np.int64)
    scale = np.ones(realised.n_cells)
    for p in realised.populations:
        if type(p.cell_type).__name__ in ("IF_cond_exp", "IF_curr_exp"):
            scale[p.start:p.stop] = 1e3  # uS -> nS, nA -> pA
    weight = realised.weight.astype(float) * scale[post]
    inhibitory = realised.receptor == 1
    weight = np.where(inhibitory, -np.abs(weight), weight)
    source = np.where(ids[pre] > 0, ids[pre], generators[pre])
    nest.Connect(source, ids[post], "one_to_one",
                 {"synapse_model": "static_synapse", "weight": weight,
                  "delay": np.maximum(realised.delay.astype(float), 0.1)})


def child(args) -> None:
    """Run one (simulator, network) and print its JSON."""
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    if args.simulator == "nest":
        result = run_nest(args.network, args.duration, args.threads)
    else:
        result = run_bss1lab(args.network, args.duration, args.simulator.split("_")[1])
    result.update(simulator=args.simulator, network=args.network,
                  bio_duration_ms=args.duration, peak_memory_mb=peak_memory_mb(),
                  total_time_s=time.perf_counter() - started)
    if result.get("synaptic_events"):
        result["synaptic_events_per_s"] = result["synaptic_events"] / result["wall_time_s"]
    result["real_time_factor"] = result["wall_time_s"] / (args.duration * 1e-3)
    print("RESULT " + json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1000.0)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--full-microcircuit", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS / "compare_simulators.json")
    parser.add_argument("--child", nargs=2, metavar=("SIMULATOR", "NETWORK"))
    args = parser.parse_args()
    if args.child:
        args.simulator, args.network = args.child
        child(args)
        return
    networks = (args.only or NETWORKS) + (["microcircuit_full"] if args.full_microcircuit
                                          else [])
    results, missing = [], []
    try:
        import nest  # noqa: F401
        simulators = SIMULATORS
    except ImportError:
        simulators = [s for s in SIMULATORS if s != "nest"]
        missing.append("nest (pip install nest-simulator)")
    for network in networks:
        for simulator in simulators:
            if network == "microcircuit_full" and simulator != "bss1lab_ideal":
                continue
            if simulator == "bss1lab_wafer" and network.startswith("microcircuit"):
                continue  # current-based: the wafer runs conductance-based models only
            command = [sys.executable, __file__, "--child", simulator, network,
                       "--duration", str(args.duration), "--threads", str(args.threads)]
            done = subprocess.run(command, capture_output=True, text=True)
            lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
            if done.returncode or not lines:
                entry = {"simulator": simulator, "network": network,
                         "error": (done.stderr or done.stdout)[-2000:]}
            else:
                entry = json.loads(lines[-1][len("RESULT "):])
            print(json.dumps(entry))
            results.append(entry)
    for entry in results:
        base = next((r for r in results if r["network"] == entry["network"]
                     and r["simulator"] == "bss1lab_ideal" and "wall_time_s" in r), None)
        if base and "wall_time_s" in entry:
            entry["wall_time_vs_bss1lab_ideal"] = entry["wall_time_s"] / base["wall_time_s"]
    report = {"machine_cores": os.cpu_count(), "threads": args.threads,
              "missing_simulators": missing, "results": results}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1))
    _plot(results, args.output.with_suffix(".html"))
    print(f"saved {args.output} and {args.output.with_suffix('.html')}")


def _plot(results: list, path: Path) -> None:
    from bokeh.io import output_file, save
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource, FactorRange
    from bokeh.plotting import figure
    done = [r for r in results if "wall_time_s" in r]
    factors = [(r["network"], r["simulator"]) for r in done]
    figures = []
    for key, label in (("real_time_factor", "wall time / biological time"),
                       ("peak_memory_mb", "peak memory (MB)")):
        source = ColumnDataSource({"x": factors, "value": [r[key] for r in done]})
        f = figure(x_range=FactorRange(*factors), height=320, width=900, title=label,
                   tools="save,hover", tooltips=[("", "@x"), (key, "@value")])
        f.vbar(x="x", top="value", width=0.9, source=source)
        f.xaxis.major_label_orientation = 1.0
        figures.append(f)
    output_file(path, title="bss1lab vs simulators")
    save(column(*figures))


if __name__ == "__main__":
    main()
