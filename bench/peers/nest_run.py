"""Run a network file (``network_file.py``) on NEST and print its result line.

The network is built as NEST users build it: the neurons as NEST's models, every
realised synapse with its weight and delay, and the external drive through
``poisson_generator`` devices connected directly to their targets. A generator sends
each of its targets its own independent Poisson train, so all the sources that feed a
single synapse at one rate are one generator (NEST's Brunel example: one generator
for the whole network): their spikes never become network events. A source that feeds
several synapses (one train shared by its targets) goes through a ``parrot_neuron``,
NEST's way of sharing one realisation.

Usage: python nest_run.py NETWORK.npz --duration MS --threads N
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from network_file import RESOLUTION_MS, load, peak_memory_mb, report, spike_statistics

NEST_MODEL = {"IF_cond_exp": "iaf_cond_exp", "IF_curr_exp": "iaf_psc_exp",
              "IF_curr_delta": "iaf_psc_delta"}
#: NEST's weight per unit of PyNN's: nS per uS, pA per nA, mV per mV.
NEST_WEIGHT_SCALE = {"uS": 1e3, "nA": 1e3, "mV": 1.0}


def neuron_parameters(model: str, q: dict) -> dict:
    """NEST's parameters of ``model`` from a population's PyNN ones (per cell)."""
    params = {"C_m": q["cm"] * 1e3, "tau_m": q["tau_m"], "E_L": q["v_rest"],
              "V_reset": q["v_reset"], "V_th": q["v_thresh"], "t_ref": q["tau_refrac"],
              "I_e": q["i_offset"] * 1e3, "V_m": q["v"]}
    if model != "iaf_psc_delta":
        params.update({"tau_syn_ex": q["tau_syn_E"], "tau_syn_in": q["tau_syn_I"]})
    if model == "iaf_cond_exp":
        params.update({"E_ex": q["e_rev_E"], "E_in": q["e_rev_I"],
                       "g_L": q["cm"] / q["tau_m"] * 1e3})
        params.pop("tau_m")
    return params


def build(nest, network) -> tuple[np.ndarray, list]:
    """Create the cells and connect every synapse; returns each neuron's node id (0
    for a source) and the neurons' NodeCollections."""
    ids = np.zeros(network.n_cells, dtype=np.int64)
    out_degree = np.bincount(network.pre, minlength=network.n_cells)
    rate = np.zeros(network.n_cells)
    neurons = []
    for p in network.populations:
        if p.cell_type == "SpikeSourcePoisson":
            rate[p.start:p.stop] = p.parameters["rate"]
            continue
        if p.is_source:
            raise ValueError(f"no NEST model here for {p.cell_type}")
        model = NEST_MODEL[p.cell_type]
        nodes = nest.Create(model, p.size)
        nodes.set({key: values.tolist()
                   for key, values in neuron_parameters(model, p.parameters).items()})
        ids[p.start:p.stop] = nodes.tolist()
        neurons.append(nodes)
    scale = np.ones(network.n_cells)
    for p in network.populations:
        scale[p.start:p.stop] = NEST_WEIGHT_SCALE.get(p.weight_units, 1.0)
    sign = np.where(network.inhibitory, -1.0, 1.0)
    weight = sign * network.weight * scale[network.post]
    poisson = rate > 0
    shared = poisson & (out_degree > 1)
    if shared.any():  # one train to several targets: generator -> parrot -> targets
        cells = np.flatnonzero(shared)
        generators = nest.Create("poisson_generator", cells.size,
                                 params=[{"rate": float(r)} for r in rate[cells]])
        parrots = nest.Create("parrot_neuron", cells.size)
        nest.Connect(generators, parrots, "one_to_one")
        ids[cells] = parrots.tolist()
    direct = poisson[network.pre] & ~shared[network.pre]
    recurrent = ~direct
    nest.Connect(ids[network.pre[recurrent]], ids[network.post[recurrent]], "one_to_one",
                 {"synapse_model": "static_synapse", "weight": weight[recurrent],
                  "delay": network.delay[recurrent]})
    # one generator per rate, connected to every target of a source of that rate
    for value in np.unique(rate[network.pre[direct]]):
        chosen = np.flatnonzero(direct & (rate[network.pre] == value))
        generator = nest.Create("poisson_generator", params={"rate": float(value)})
        nest.Connect(np.full(chosen.size, generator.global_id),
                     ids[network.post[chosen]], "one_to_one",
                     {"synapse_model": "static_synapse", "weight": weight[chosen],
                      "delay": network.delay[chosen]})
    return ids, neurons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("network", help="a .npz network file")
    parser.add_argument("--duration", type=float, required=True, help="ms")
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    import nest
    network = load(args.network)
    started = time.perf_counter()
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": RESOLUTION_MS, "local_num_threads": args.threads,
                          "rng_seed": 1})
    ids, neurons = build(nest, network)
    recorder = nest.Create("spike_recorder")
    for nodes in neurons:
        nest.Connect(nodes, recorder)
    nest.Prepare()  # NEST's own set-up of the connection tables, not emulation
    build_time = time.perf_counter() - started
    started = time.perf_counter()
    nest.Run(args.duration)
    wall = time.perf_counter() - started
    nest.Cleanup()
    senders = np.asarray(recorder.get("events")["senders"], dtype=np.int64)
    cell_of_node = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
    cell_of_node[ids[ids > 0]] = np.flatnonzero(ids > 0)
    counts = np.bincount(cell_of_node[senders], minlength=network.n_cells)
    report({"wall_time_s": wall, "build_time_s": build_time,
            **spike_statistics(network, counts, args.duration), "threads": args.threads,
            "version": nest.__version__, "peak_memory_mb": peak_memory_mb()})


if __name__ == "__main__":
    main()
