"""The warm-up runs what the course runs, so numba compiles it ahead of time."""

from bss1lab.emulator import scheduler
from bss1lab.emulator.warmup import warm_up


def test_the_warm_up_runs_the_serial_and_the_parallel_kernel():
    """One block (a single neuron) and several (the wafer's 2,083-neuron network):
    the course needs both, and a kernel the warm-up skips compiles in a visitor's
    first run instead (``signatures`` lists what a dispatcher compiled or loaded)."""
    warm_up(verbose=False)
    assert scheduler.run_steps_serial.signatures and scheduler.run_steps.signatures
