"""The warm-up runs what the course runs, so numba compiles it ahead of time."""

from bss1lab.emulator import neuron, scheduler
from bss1lab.emulator.warmup import not_warmed, warm_up


def test_the_warm_up_compiles_every_neuron_loop_and_a_serial_and_a_parallel_kernel():
    """Each cell type with each integration method, one block (a single neuron) and
    several (the wafer's 2,083-neuron network): the course needs all of them, and a
    kernel the warm-up skips compiles in a visitor's first run instead
    (``signatures`` lists what a dispatcher compiled or loaded)."""
    warm_up(verbose=False)
    assert not_warmed() == []
    assert len(neuron.loops_made()) == len(neuron.LOOPS) * len(neuron.METHOD_NAMES)
    assert {parallel for parallel, *_ in scheduler.kernels()} == {False, True}
