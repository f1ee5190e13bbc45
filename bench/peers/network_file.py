"""A realised network as a plain ``.npz`` file (numpy arrays and one JSON header, no
pickle), so that NEST and Brian2 can run it from their own virtual environments
without importing bss1lab; and the result fields every peer reports.

This module needs numpy alone: ``compare_simulators.py`` writes the file with
`save_realised` from bss1lab's environment, the peers' runners read it with `load`.
"""

from __future__ import annotations

import json
import platform
import resource
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Time step of NEST and Brian2, ms (bss1lab's own default).
RESOLUTION_MS = 0.1


@dataclass
class Population:
    """One population of the realised network, cells ``start..stop - 1``.

    ``parameters`` holds every parameter of its cell type by PyNN name, one float64
    value per cell in PyNN's units, and ``"v"``: the initial membrane potential
    bss1lab drew (mV; ``v_rest`` where none was set). ``units`` maps each parameter to
    its PyNN unit; ``weight_units`` is the cell type's ("uS", "nA" or "mV"; "" for a
    source).
    """

    label: str
    cell_type: str
    start: int
    stop: int
    units: dict
    weight_units: str
    parameters: dict

    @property
    def size(self) -> int:
        return self.stop - self.start

    @property
    def is_source(self) -> bool:
        return self.cell_type.startswith("SpikeSource")


@dataclass
class NetworkFile:
    """What the peers build: populations, and per synapse pre and post (global cell
    numbers), weight magnitude (the target's PyNN weight units), inhibitory or not, and
    delay (ms, at least ``RESOLUTION_MS``)."""

    populations: list
    pre: np.ndarray
    post: np.ndarray
    weight: np.ndarray
    inhibitory: np.ndarray
    delay: np.ndarray

    @property
    def n_cells(self) -> int:
        return self.populations[-1].stop if self.populations else 0

    @property
    def n_synapses(self) -> int:
        return int(self.pre.size)


def save_realised(realised, path: Path) -> None:
    """Write a ``bss1lab.network.realise.RealisedNetwork`` as `load` reads it."""
    header, arrays = [], {}
    for k, p in enumerate(realised.populations):
        values = {key: np.broadcast_to(np.asarray(value, dtype=float), (p.size,))
                  for key, value in p.parameters.items()}
        if not p.is_source:
            values["v"] = np.broadcast_to(np.asarray(
                p.initial_values.get("v", values["v_rest"]), dtype=float), (p.size,))
        for key, value in values.items():
            arrays[f"p{k}_{key}"] = np.ascontiguousarray(value)
        header.append({"label": p.label, "cell_type": type(p.cell_type).__name__,
                       "start": int(p.start), "stop": int(p.stop),
                       "units": dict(p.cell_type.units),
                       "weight_units": p.cell_type.weight_units,
                       "parameters": sorted(values)})
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, header=np.array(json.dumps(header)),
             pre=realised.pre.astype(np.int64), post=realised.post.astype(np.int64),
             weight=np.abs(realised.weight.astype(float)),
             inhibitory=realised.receptor == 1,
             delay=np.maximum(realised.delay.astype(float), RESOLUTION_MS), **arrays)


def load(path: Path) -> NetworkFile:
    """The network `save_realised` wrote to ``path``."""
    with np.load(path, allow_pickle=False) as data:
        populations = [
            Population(label=h["label"], cell_type=h["cell_type"], start=h["start"],
                       stop=h["stop"], units=h["units"], weight_units=h["weight_units"],
                       parameters={key: data[f"p{k}_{key}"] for key in h["parameters"]})
            for k, h in enumerate(json.loads(str(data["header"])))]
        return NetworkFile(populations, data["pre"], data["post"], data["weight"],
                           data["inhibitory"], data["delay"])


def counted(realised) -> NetworkFile:
    """What `spike_statistics` needs of a ``RealisedNetwork`` (populations with their
    parameters, and the synapses), without writing it to a file."""
    populations = [Population(p.label, type(p.cell_type).__name__, p.start, p.stop, {},
                              "", dict(p.parameters)) for p in realised.populations]
    return NetworkFile(populations, realised.pre, realised.post, realised.weight,
                       realised.receptor == 1, realised.delay)


def spike_statistics(network: NetworkFile, spike_counts: np.ndarray,
                     duration: float) -> dict:
    """The result fields every simulator reports, from the neurons' spike counts.

    Synaptic events count every spike reaching each of its synapses, as bss1lab counts
    them: the neurons' recorded spikes, and the Poisson sources' expected ones.

    Parameters
    ----------
    spike_counts : ndarray
        Spikes per cell in the realised numbering; the sources' entries are not used.
    duration : float
        Biological time, ms.

    Returns
    -------
    dict
        ``synaptic_events``, ``recurrent_events`` (from neurons only), ``neurons``,
        ``synapses`` and ``mean_rate_hz``.
    """
    counts = np.asarray(spike_counts, dtype=float).copy()
    neuron = np.ones(network.n_cells, dtype=bool)
    for p in network.populations:
        if p.is_source:
            neuron[p.start:p.stop] = False
            counts[p.start:p.stop] = p.parameters.get("rate", 0.0) * duration * 1e-3
    out_degree = np.bincount(network.pre, minlength=network.n_cells)
    n_neurons = int(neuron.sum())
    return {"synaptic_events": float(counts @ out_degree),
            "recurrent_events": float(counts[neuron] @ out_degree[neuron]),
            "neurons": n_neurons, "synapses": network.n_synapses,
            "mean_rate_hz": float(counts[neuron].sum()) / n_neurons / (duration * 1e-3)}


def peak_memory_mb() -> float:
    """Peak resident memory of this process, MiB: Linux's ``VmHWM``, which starts
    afresh at ``exec`` (``ru_maxrss`` keeps the peak of the process that forked this
    one: the bench's own); elsewhere ``ru_maxrss`` (kB, macOS bytes)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 ** 2 if platform.system() == "Darwin" else 1024.0)


def children_peak_memory_mb() -> float:
    """The largest peak resident memory of the processes this one waited for, MiB
    (Brian2 standalone: its compiler and its binary together, an upper bound on the
    binary's)."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / (1024.0 ** 2 if platform.system() == "Darwin" else 1024.0)


def report(result: dict) -> None:
    """Print a runner's result as the one line ``compare_simulators.py`` reads."""
    print("RESULT " + json.dumps(result), flush=True)
