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
