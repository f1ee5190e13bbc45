"""How the emulator's cost grows with network size, up to a full wafer's worth.

The wafer's balanced random network (IF_cond_exp, connection probability 0.1, pool
drive) at sizes from 1,000 neurons to 22,656 (384 HICANNs x 59 neurons of 8
denmems: a full wafer's neurons; 51 M recurrent synapses and 4.5 M from the pool, more
than the wafer's 44 M), ideal, each size in its own process after a short warm-up run
(which compiles the kernel where the cache has not): wall time per biological second,
synaptic events per second and peak memory, next to the wafer's time for the same run
(biological time / speed-up) and its configuration. Prints and saves JSON and a bokeh
HTML plot.

Usage: python bench/scaling.py [--duration MS] [--sizes N ...] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

from bss1lab.hardware.spec import CONFIGURATION_TIME_S, NEURON_CAPACITY, HICANNS_PER_WAFER

FULL_WAFER = HICANNS_PER_WAFER * NEURON_CAPACITY[8][0]
SIZES = [1000, 2083, 5000, 10000, FULL_WAFER]


def child(size: int, duration: float) -> dict:
    from bss1lab.experiments import run
    from bss1lab.hardware import Wafer
    from engine_speed import peak_memory_mb
    from bss1lab.network.brunel import brunel_network
    warnings.simplefilter("ignore")
    network = brunel_network("hardware", n_neurons=size)
    run(network, 1.0, wafer=Wafer.ideal(), seed=1)  # compiles the kernel, if not cached
    started = time.perf_counter()
    ds = run(network, duration, wafer=Wafer.ideal(), seed=1)
    return {"neurons": size, "synapses": ds.attrs["synapses"],
            "wall_time_s": ds.attrs["wall_time_s"],
            "seconds_per_bio_second": ds.attrs["wall_time_s"] / (duration * 1e-3),
            "synaptic_events_per_s": ds.attrs["synaptic_events_per_second"],
            "mean_rate_hz": float(ds.rate.where(ds.spikes_recorded).mean()),
            "map_and_set_up_s": time.perf_counter() - started - ds.attrs["wall_time_s"],
            "peak_memory_mb": peak_memory_mb(),
            "wafer_seconds_per_bio_second": 1.0 / ds.attrs["speedup"],
            "wafer_configuration_s": CONFIGURATION_TIME_S}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1000.0)
    parser.add_argument("--sizes", type=int, nargs="*", default=SIZES)
    parser.add_argument("--output", type=Path,
                        default=Path(__file__).parent / "results" / "scaling.json")
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        print("RESULT " + json.dumps(child(args.child, args.duration)))
        return
    results = []
    for size in args.sizes:
        done = subprocess.run([sys.executable, __file__, "--child", str(size),
                               "--duration", str(args.duration)],
                              capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        entry = (json.loads(lines[-1][7:]) if lines else
                 {"neurons": size, "error": done.stderr[-2000:]})
        print(json.dumps(entry))
        results.append(entry)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"duration_ms": args.duration, "results": results},
                                      indent=1))
    _plot([r for r in results if "wall_time_s" in r], args.output.with_suffix(".html"))
    print(f"saved {args.output}")


def _plot(results: list, path: Path) -> None:
    from bokeh.io import output_file, save
    from bokeh.layouts import row
    from bokeh.plotting import figure
    synapses = [r["synapses"] for r in results]
    time_plot = figure(width=450, height=350, x_axis_type="log", y_axis_type="log",
                       x_axis_label="synapses", y_axis_label="seconds per biological second",
                       title="emulator vs wafer")
    time_plot.line(synapses, [r["seconds_per_bio_second"] for r in results],
                   legend_label="emulator", line_width=2)
    time_plot.line(synapses, [r["wafer_seconds_per_bio_second"] for r in results], color="red",
                   legend_label="wafer (run only)", line_width=2)
    memory = figure(width=450, height=350, x_axis_type="log", x_axis_label="synapses",
                    y_axis_label="peak memory (MB)", title="emulator memory")
    memory.line(synapses, [r["peak_memory_mb"] for r in results], line_width=2)
    output_file(path, title="bss1lab scaling")
    save(row(time_plot, memory))


if __name__ == "__main__":
    main()
