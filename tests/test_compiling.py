"""numba's compilations of bss1lab's functions are announced: log and callbacks."""

import logging

import numba
import pytest

from bss1lab.emulator import compiling


def fresh_functions():
    """Two new jitted functions, the outer calling the inner, that numba has not seen
    (so calling them compiles), presented as bss1lab's."""
    def inner(x):
        return x + 1.0

    def outer(x):
        return inner_jit(x) * 2.0

    inner.__module__ = outer.__module__ = "bss1lab.emulator.example"
    inner_jit = numba.njit(inner)
    return numba.njit(outer)


def test_a_compilation_calls_back_before_and_after_and_is_counted_once(caplog):
    outer = fresh_functions()
    seen = []
    before = compiling.compilations()
    with caplog.at_level(logging.DEBUG, logger="bss1lab.emulator"):
        with compiling.on_compile(seen.append):
            assert outer(1.0) == 4.0
            outer(2.0)  # compiled already: nothing
    assert seen == [True, False]  # the inner function compiles inside the outer one
    assert compiling.compilations() == before + 1
    assert any(r.getMessage().startswith("compiled bss1lab.emulator.example.") and
               "outer in" in r.getMessage() for r in caplog.records)


def test_callbacks_stop_with_their_context_and_others_functions_are_not_ours():
    seen = []
    with compiling.on_compile(seen.append):
        pass
    fresh_functions()(1.0)
    before = compiling.compilations()
    with compiling.on_compile(seen.append):
        numba.njit(lambda x: x - 1.0)(1.0)  # defined here, in the tests: not bss1lab's
    assert seen == [] and compiling.compilations() == before


def test_on_compile_refuses_what_it_cannot_call():
    with pytest.raises(TypeError, match="callback=3"):
        with compiling.on_compile(3):
            pass


def test_the_first_compilation_is_printed_where_logging_would_not_show_it():
    """A script with logging as Python starts it sees the notice on stderr, once."""
    import subprocess
    import sys
    code = ("import numba\n"
            "import bss1lab.emulator.compiling\n"
            "def f(x):\n    return x + 1.0\n"
            "def g(x):\n    return x - 1.0\n"
            "f.__module__ = g.__module__ = 'bss1lab.emulator.example'\n"
            "numba.njit(f)(1.0); numba.njit(g)(1.0)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(compiling.COMPILING_MESSAGE) == 1, result.stderr


@pytest.mark.parametrize("name, says", [
    ("run_steps_serial_exponential_cond_exp__spike_arrays_plasticity",
     "the emulator for IF_cond_exp cells, exponential method"),
    ("run_steps_exponential_cond_exp_curr_exp__plasticity",
     "the emulator for IF_cond_exp, IF_curr_exp cells, exponential method"),
    ("run_steps_rk2_cond_exp_adex_curr_exp_curr_delta",
     "the emulator for IF_cond_exp, EIF_cond_exp_isfa_ista, IF_curr_exp, IF_curr_delta "
     "cells, rk2 method"),
    ("run_steps_exponential_adex", "the emulator for EIF_cond_exp_isfa_ista cells, "
                                   "exponential method"),
    ("run_steps_serial_exponential__spike_arrays_plasticity",
     "the emulator for spike sources alone"),
    ("run_steps_rk2__plasticity", "the emulator for spike sources alone"),
    ("run_steps_exponential_hodgkin_huxley", "the emulator"),
])
def test_the_status_names_the_cell_types_and_the_method_a_kernel_compiles_for(name, says):
    """A panel's status line, while numba compiles a kernel variant."""
    seen = []

    def kernel(x):
        return x + 1.0

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__module__ = "bss1lab.emulator.scheduler"
    with compiling.on_compile(lambda now: seen.append(compiling.compiling_now())):
        numba.njit(kernel)(1.0)
    assert seen == [f"compiling {says} (once: numba keeps it)...", None]
    assert compiling.compiling_now() is None


def test_a_single_conductance_based_neuron_compiles_only_its_own_neuron_loop():
    """A student's first run (one IF_cond_exp cell, exponential Euler) needs neither
    rk2, AdEx nor the current-based loops: its kernel variant has its loop alone, and
    the process makes no other (in a process of its own: the tests' other runs make
    the others)."""
    import subprocess
    import sys
    code = ("import warnings; warnings.simplefilter('ignore')\n"
            "from bss1lab.experiments import single_neuron\n"
            "from bss1lab.network import IF_cond_exp\n"
            "from bss1lab.emulator import neuron, scheduler\n"
            "single_neuron(IF_cond_exp(), 20.0, current=(5.0, 15.0, 0.5))\n"
            "print(neuron.loops_made(), list(scheduler.kernels()))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == (
        "['neuron_run_cond_exp_exponential'] "
        "[(False, 0, ('cond_exp',), ('spike_arrays', 'plasticity'))]")
