"""Co-execution: NEST runs the network the emulated wafer realised, built through PyNN.

The seed experiments ran NEST on what the wafer realised (the surviving synapses, their
quantised and distorted weights, the routed delays, each neuron's parameters with its
fixed-pattern noise). This runner does it the kit's way: it maps the bench's network
onto ``Wafer()`` with the bench's seed (as ``compare_simulators.run_bss1lab`` does for
``bss1lab_wafer``), and builds ``mapped.realised_network()`` in ``pyNN.nest`` with
``bss1lab.experiments.to_pynn``: one code path for "the wafer's network in NEST", the
one a user takes. PyNN's NEST backend sends each ``SpikeSourcePoisson`` through a
``parrot_neuron``, so NEST delivers every external spike as a network event: slower
than the direct ``poisson_generator`` of ``nest_run.py``, which is the speed figure;
this one is the co-execution figure.

It runs in NEST's virtual environment with bss1lab and PyNN installed in it
(``compare_simulators.PEERS``). NEST is imported after bss1lab's mapping has run
(numba's OpenMP layer loaded first: the other order crashed NEST here).

Usage: python nest_pynn_run.py NETWORK --duration MS --threads N
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from network_file import counted, peak_memory_mb, report, spike_statistics  # noqa: E402

#: The bench's mapping seed (``compare_simulators.run_bss1lab``).
MAPPING_SEED = 1
#: NEST refuses a reset at or above threshold, which the wafer's fixed-pattern noise
#: gives a few neurons (such a neuron fires at the end of every refractory period);
#: in NEST their reset sits this far below their threshold instead, mV (the bench's
#: choice), and the result counts them.
NEST_RESET_MARGIN_MV = 0.01


def reset_below_threshold(network) -> int:
    """Move every reset at or above its threshold to ``NEST_RESET_MARGIN_MV`` below it,
    in place; returns how many neurons were moved."""
    moved = 0
    for population in network.populations:
        q = population.cell_type.parameters
        if "v_reset" not in q or "v_thresh" not in q:
            continue
        reset, threshold = np.broadcast_arrays(np.asarray(q["v_reset"], dtype=float),
                                               np.asarray(q["v_thresh"], dtype=float))
        above = reset >= threshold
        if above.any():
            q["v_reset"] = np.where(above, threshold - NEST_RESET_MARGIN_MV, reset)
            moved += int(above.sum())
    return moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("network", help="a network name of compare_simulators.py")
    parser.add_argument("--duration", type=float, required=True, help="ms")
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the wafer's clipping warnings: counted in the report
    from compare_simulators import build
    from bss1lab.experiments import to_pynn
    from bss1lab.hardware import Wafer
    started = time.perf_counter()
    mapped = Wafer().map(build(args.network), seed=MAPPING_SEED)
    realised = mapped.realised_network()
    moved = reset_below_threshold(realised)
    import pyNN
    import pyNN.nest as sim
    sim.setup(timestep=0.1, threads=args.threads, rng_seed=1, min_delay=0.1)
    built = to_pynn(realised, sim)
    neurons = [p for p in built["populations"].values()
               if not p.celltype.__class__.__name__.startswith("SpikeSource")]
    for population in neurons:
        population.record("spikes")
    sim.run(0.1)  # NEST's own preparation of the connection tables, not emulation
    build_time = time.perf_counter() - started
    started = time.perf_counter()
    sim.run(args.duration)
    wall = time.perf_counter() - started
    counts = np.zeros(mapped.network.n_cells, dtype=np.int64)
    start = 0
    for part, population in zip(realised.populations, built["populations"].values()):
        if population in neurons:
            spiked = population.get_spike_counts()
            counts[start:start + part.size] = [spiked[i] for i in population.all_cells]
        start += part.size
    sim.end()
    report({"wall_time_s": wall, "build_time_s": build_time,
            **spike_statistics(counted(mapped.network), counts, args.duration), "threads": args.threads,
            "version": f"NEST {sim.nest.__version__}, PyNN {pyNN.__version__}",
            "synapses_lost_on_the_wafer": int(mapped.report["synapses_lost"]),
            "neurons_reset_moved_below_threshold": moved,
            "peak_memory_mb": peak_memory_mb()})


if __name__ == "__main__":
    main()
