"""Compile (and cache) every numba kernel the course uses, ahead of its first run.

``python -m bss1lab.emulator.warmup`` runs, briefly, what the notebooks run: a
single neuron of each cell type on the emulated wafer and on the ideal reference
(both integration methods), the two seed networks on both, Brunel's original
current-based network on the ideal reference, and a microcircuit with its Poisson
background: every neuron loop with both integration methods, a serial kernel and
the parallel kernels of the course's large networks (``not_warmed``). numba caches
what it compiles (``cache=True``), so a kernel started later loads it instead of
compiling. Binder runs this while it builds its image (``binder/postBuild``).
"""

from __future__ import annotations

import logging
import time
import warnings

__all__ = ["warm_up", "not_warmed", "COURSE_PARALLEL_LOOPS"]


def warm_up(verbose: bool = True) -> dict:
    """Run short versions of the course's experiments, so numba compiles and caches
    their kernels now.

    Parameters
    ----------
    verbose : bool
        Print what runs, and log numba's compilations (INFO, ``bss1lab.emulator``).

    Returns
    -------
    dict
        ``compilations``: how many of bss1lab's functions numba compiled (0 when
        the cache was already warm), ``seconds``: the time it took.
    """
    from bss1lab.emulator.compiling import compilations
    from bss1lab.experiments import (balanced_random_network, cortical_microcircuit,
                                     single_neuron)
    from bss1lab.experiments.calibration import realised_parameters
    from bss1lab.hardware import Wafer
    from bss1lab.network import (EIF_cond_exp_isfa_ista, IF_cond_exp, IF_curr_delta,
                                 IF_curr_exp)

    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    before, started = compilations(), time.perf_counter()
    wafer, ideal = Wafer(seed=0), Wafer.ideal()
    steps = [
        ("single conductance-based neurons, wafer and ideal", lambda: [
            single_neuron(cell, 50.0, current=(10.0, 40.0, 0.5), excitatory_spikes=[5.0],
                          inhibitory_spikes=[20.0], wafer=target, method=method)
            for cell in (IF_cond_exp(), EIF_cond_exp_isfa_ista())
            for target in (wafer, ideal) for method in ("exponential", "rk2")]),
        ("single current-based neurons, ideal", lambda: [
            single_neuron(cell, 50.0, current=(10.0, 40.0, 0.5), excitatory_spikes=[5.0],
                          inhibitory_spikes=[20.0], inhibitory_weight=-0.01, wafer=ideal,
                          method=method)
            for cell in (IF_curr_exp(), IF_curr_delta()) for method in ("exponential", "rk2")]),
        ("calibration", lambda: realised_parameters(wafer=wafer)),
        # the wafer's 2,083 neurons and their 2,083 sources: 4,166 cells, more than
        # one block of the parallel kernel (layout.CELLS_PER_BLOCK)
        ("balanced random network, wafer and ideal", lambda: [
            balanced_random_network(wafer=target, n_neurons=2083, duration=20.0, seed=0,
                                    record_variables=["v"], record_cells={"E": [0]},
                                    on_chunk=lambda chunk, fraction: True)
            for target in (wafer, ideal)]),
        # Brunel's own model, IF_curr_delta on the ideal reference (notebook 04): a
        # parallel kernel of its own
        ("Brunel's original balanced random network, ideal", lambda:
            balanced_random_network("original", wafer=ideal, n_neurons=2500,
                                    duration=20.0, seed=0)),
        ("cortical microcircuit, wafer and ideal", lambda: [
            cortical_microcircuit("hardware", N_scaling=0.01, duration=20.0, seed=0),
            cortical_microcircuit("original", N_scaling=0.03, K_scaling=0.1,
                                  duration=20.0, seed=0)]),
    ]
    for title, step in steps:
        if verbose:
            print(f"warm-up: {title}", flush=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # clipped parameters and the like: not the point
            step()
    missing = not_warmed()
    if missing:  # a kernel the warm-up skips compiles in a visitor's first run instead
        raise RuntimeError(f"warm_up: {missing} did not run; make the warm-up's "
                           "networks cover them")
    result = {"compilations": compilations() - before,
              "seconds": time.perf_counter() - started}
    if verbose:
        print(f"warm-up: {result['compilations']} compilations in {result['seconds']:.0f} s",
              flush=True)
    return result


#: The parallel kernels of the course's networks of several blocks, by neuron loop
#: (exponential method, neither spike arrays nor plastic synapses): the wafer's
#: 2,083-neuron network and the microcircuit's hardware flavour (IF_cond_exp), its
#: original flavour (IF_curr_exp), and Brunel's original network of notebook 04
#: (IF_curr_delta). Each compiles on its own (``scheduler.kernel``).
COURSE_PARALLEL_LOOPS = ("cond_exp", "curr_exp", "curr_delta")


def not_warmed() -> list[str]:
    """What the course runs and this process has not compiled (or loaded from the
    cache): every neuron loop (each cell type with each integration method), a
    serial kernel (one block: a single neuron) and the parallel kernels of the
    course's large networks (``COURSE_PARALLEL_LOOPS``)."""
    from bss1lab.emulator import neuron, scheduler
    from bss1lab.emulator.contracts import METHOD_EXPONENTIAL

    ran = {key for key, kernel in scheduler.kernels().items() if kernel.signatures}
    covered = {(loop, method) for _, method, loops, _ in ran for loop in loops}
    missing = [f"neuron_run_{loop}_{name}" for loop in neuron.LOOPS
               for method, name in neuron.METHOD_NAMES.items()
               if (loop, method) not in covered]
    if not any(not parallel for parallel, _, _, _ in ran):
        missing.append("a serial kernel")
    missing += [f"the parallel kernel of {loop} cells" for loop in COURSE_PARALLEL_LOOPS
                if (True, METHOD_EXPONENTIAL, (loop,), ()) not in ran]
    return missing


if __name__ == "__main__":
    warm_up()
