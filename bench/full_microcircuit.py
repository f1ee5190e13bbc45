"""The full-scale cortical microcircuit (77,169 neurons, 0.3 G synapses) on a laptop.

Potjans & Diesmann's model at full size (N_scaling = K_scaling = 1, Poisson
background), ideal, for a biological duration: how long it takes, how much memory it
needs at its peak (NEST 3.10 needs 14.5 GB here), and whether the population rates
come out as published. The network is too large to hold twice, so it does not keep
its flat synapse arrays: the emulator draws each projection straight into its own
(``realise(keep_synapses=...)``). Runs in a fresh process after a 1 ms warm-up of a
small microcircuit (which compiles the kernel where the cache has not).

Prints and saves JSON. Usage:
python bench/full_microcircuit.py [--duration MS] [--scaling S] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

#: The issue's memory target for the full model, bytes.
TARGET_BYTES = 4e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1000.0, help="bio ms")
    parser.add_argument("--scaling", type=float, default=1.0,
                        help="N_scaling = K_scaling (1: the full model)")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results"
                        / "full_microcircuit.json")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    from bss1lab.experiments import cortical_microcircuit
    from bss1lab.network.microcircuit import POPULATIONS
    from engine_speed import peak_memory_mb

    def peak_bytes() -> float:
        return peak_memory_mb() * 1024.0 ** 2

    cortical_microcircuit(N_scaling=0.02, K_scaling=0.02, duration=1.0)
    before = peak_bytes()
    started = time.perf_counter()
    ds = cortical_microcircuit(N_scaling=args.scaling, K_scaling=args.scaling,
                               duration=args.duration, seed=1)
    total = time.perf_counter() - started
    rates = ds.rate.groupby("population").mean()
    result = {
        "scaling": args.scaling,
        "duration_ms": args.duration,
        "neurons": ds.attrs["neurons"],
        "synapses": ds.attrs["synapses"],
        "peak_memory_gb": peak_bytes() / 1e9,
        "peak_memory_before_gb": before / 1e9,
        "memory_target_gb": TARGET_BYTES / 1e9,
        "within_target": peak_bytes() <= TARGET_BYTES,
        "set_up_s": total - ds.attrs["wall_time_s"],
        "run_wall_time_s": ds.attrs["wall_time_s"],
        "seconds_per_bio_second": ds.attrs["wall_time_s"] / (args.duration * 1e-3),
        "synaptic_events": ds.attrs["synaptic_events"],
        "synaptic_events_per_s": ds.attrs["synaptic_events_per_second"],
        "rate_hz": {name: float(rates.sel(population=name)) for name in POPULATIONS},
        "published_rate_hz": {name: float(ds.reference_rate.sel(population_name=name))
                              for name in POPULATIONS},
    }
    print(json.dumps(result, indent=1))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1))
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
