"""``setup``, ``run``, ``reset``, ``end`` and the state queries of ``bss1lab.pynn``."""

from __future__ import annotations

from pyNN import common
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.recording import get_io

from bss1lab.errors import ParameterTypeError
from bss1lab.hardware import Wafer
from bss1lab.pynn import simulator
from bss1lab.validation import as_instance, as_seed

__all__ = ["setup", "end", "run", "run_until", "run_for", "reset", "initialize",
           "get_current_time", "get_time_step", "get_min_delay", "get_max_delay",
           "num_processes", "rank"]


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, max_delay=None, *,
          wafer: Wafer | None = None, seed: int = 0, **extra_params):
    """Start a simulation on the emulated wafer (the default) or the ideal reference.

    Parameters
    ----------
    timestep : float
        ms, 0.001..10 (bss1lab's ``dt``).
    min_delay, max_delay : float or "auto"
        ms, as in every PyNN backend ("auto": one time step).
    wafer : bss1lab.hardware.Wafer, optional
        ``Wafer()`` (default, as ``bss1lab.experiments.run``) or ``Wafer.ideal()``.
    seed : int
        One seed for everything random in bss1lab (mapping and Poisson input), as in
        ``bss1lab.experiments.run``; PyNN's connectors draw from their own ``rng``.
    **extra_params
        Other backends' options (e.g. ``spike_precision``) are accepted and ignored.

    Returns
    -------
    int
        The MPI rank, 0.

    Examples
    --------
    >>> import bss1lab.pynn as sim
    >>> from bss1lab.hardware import Wafer
    >>> sim.setup(timestep=0.1, wafer=Wafer.ideal())
    0
    """
    wafer = Wafer() if wafer is None else wafer
    as_instance("bss1lab.pynn.setup", "wafer", wafer, Wafer,
                "a bss1lab.hardware.Wafer: Wafer() or Wafer.ideal()")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ParameterTypeError(f"bss1lab.pynn.setup: seed={seed!r} must be an int >= 0")
    max_delay = DEFAULT_MAX_DELAY if max_delay is None else max_delay
    common.setup(timestep, min_delay, **extra_params)
    state = simulator.state
    state.clear()
    simulator.set_dt(timestep)
    state.min_delay = min_delay
    state.max_delay = max_delay
    state.wafer = wafer
    state.seed = as_seed("bss1lab.pynn.setup", "seed", seed)
    return rank()


def end(compatible_output=True):
    """Write what ``record(..., to_file=...)`` asked for; the state stays readable."""
    for population, variables, filename in simulator.state.write_on_end:
        population.write_data(get_io(filename), variables)
    simulator.state.write_on_end = []


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = \
    common.build_state_queries(simulator)
