"""The warm-up runs what the course runs, so numba compiles it ahead of time."""

import subprocess
import sys

from bss1lab.emulator import neuron, scheduler
from bss1lab.emulator.warmup import COURSE_PARALLEL_LOOPS, not_warmed, warm_up


def test_the_warm_up_compiles_every_neuron_loop_a_serial_and_the_course_s_parallel_kernels():
    """Each cell type with each integration method, one block (a single neuron) and
    the parallel kernels of the course's large networks: the course needs all of
    them, and a kernel the warm-up skips compiles in a visitor's first run instead
    (``signatures`` lists what a dispatcher compiled or loaded)."""
    warm_up(verbose=False)
    assert not_warmed() == []
    assert len(neuron.loops_made()) == len(neuron.LOOPS) * len(neuron.METHOD_NAMES)
    parallel = {loops for (is_parallel, _, loops, _), kernel in scheduler.kernels().items()
                if is_parallel and kernel.signatures}
    assert {(loop,) for loop in COURSE_PARALLEL_LOOPS} <= parallel


def test_a_process_that_ran_nothing_is_told_every_kernel_the_course_needs():
    """In a fresh process (no kernel made): every loop, the serial kernel and each
    of the course's parallel kernels are missing, by name."""
    code = ("from bss1lab.emulator.warmup import not_warmed\n"
            "print('\\n'.join(not_warmed()))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    missing = result.stdout.splitlines()
    assert len(missing) == len(neuron.LOOPS) * len(neuron.METHOD_NAMES) + 1 + len(
        COURSE_PARALLEL_LOOPS)
    assert "a serial kernel" in missing
    assert "the parallel kernel of curr_delta cells" in missing
