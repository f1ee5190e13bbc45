"""How long a panel's run takes once numba's cache is warm: what a student waits for
after moving a control.

For each panel with its default controls (the random network: the wafer's 2,083
neurons, 1 s of biology on the emulated wafer; the single neuron; the microcircuit),
after one warm-up run in this process: the experiment alone (mapping, emulation, the
Dataset: ``Panel._experiment``, streaming its chunks to no figure), and the whole run
as the panel does it (``start`` to the end of ``wait``: the experiment, the streamed
updates and the final figures, without a browser to draw them). Best of ``--repeats``.
Prints and saves JSON.

Usage: python bench/panel_speed.py [--repeats N] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path


def measure(name: str, panel_class, repeats: int) -> dict:
    panel = panel_class(auto_run=False)
    values = panel.values
    calls = panel.calls(values)
    panel.start()
    panel.wait()  # warm-up: loads the kernels, fills the figures
    experiment, whole = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        panel._experiment(calls, lambda *args, **kwargs: True)
        experiment.append(time.perf_counter() - started)
        started = time.perf_counter()
        panel.start()
        panel.wait()
        whole.append(time.perf_counter() - started)
    if panel.error:
        raise RuntimeError(f"{name}: {panel.error}")
    result = {"panel": name, "controls": {k: v for k, v in values.items()
                                          if isinstance(v, (int, float, str, bool))},
              "experiment_s": min(experiment), "whole_run_s": min(whole)}
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--output", type=Path,
                        default=Path(__file__).parent / "results" / "panel_speed.json")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the wafer's clipping warnings: the panels show them
    from bss1lab.widgets import MicrocircuitPanel, RandomNetworkPanel, SingleNeuronPanel
    load = os.getloadavg()
    results = [measure(name, panel, args.repeats) for name, panel in (
        ("RandomNetworkPanel", RandomNetworkPanel), ("SingleNeuronPanel", SingleNeuronPanel),
        ("MicrocircuitPanel", MicrocircuitPanel))]
    report = {"machine_cores": os.cpu_count(), "load_average_at_start": load,
              "repeats": args.repeats, "target_random_network_experiment_s": 0.3,
              "results": results}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1))
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
