"""Saying so when numba compiles the emulator: the first run after installing.

numba compiles bss1lab's kernels on their first call and caches them on disk
(``cache=True``: next to the package, or in the user's cache directory when the
install is read-only; ``NUMBA_CACHE_DIR`` moves it), so later runs and new kernels
start at once. The compilation itself takes about a minute. numba announces every
real compilation (not a load from its cache) as a ``"numba:compile"`` event; this
module listens to those of bss1lab's functions and

* logs ``COMPILING_MESSAGE`` at INFO on the ``bss1lab.emulator`` logger when the
  first one starts (the others, and how long each took, at DEBUG), and prints it to
  stderr as well when logging would not show it (a script or notebook cell with
  logging as Python starts it),
* calls what ``on_compile`` registered, e.g. a panel's status line.

``warmup.warm_up`` compiles everything the course runs ahead of time (Binder does it
while building its image).
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import threading
import time
from typing import Callable, Iterator

from numba.core import event

__all__ = ["on_compile", "compilations", "compiling_now", "COMPILING_MESSAGE"]

COMPILING_MESSAGE = "compiling the emulator for this network (once: numba keeps it)..."
#: The layers' names in ``compiling_now``'s message.
LAYERS = {"emulator": "the emulator", "hardware": "the wafer's mapping",
          "network": "the network's connectors"}
#: The cell types of the neuron loops (``neuron.LOOPS``), in ``compiling_now``'s message.
CELL_TYPES = {"cond_exp": "IF_cond_exp", "adex": "EIF_cond_exp_isfa_ista",
              "curr_exp": "IF_curr_exp", "curr_delta": "IF_curr_delta"}
logger = logging.getLogger("bss1lab.emulator")

_callbacks: list[Callable[[bool], None]] = []
_lock = threading.Lock()
_count = 0


class _Listener(event.Listener):
    """Follows numba's compilations of bss1lab's functions; a function compiles the
    functions it calls inside its own compilation, so only the outermost counts."""

    def __init__(self) -> None:
        self._local = threading.local()

    def on_start(self, ev: event.Event) -> None:
        if not _ours(ev):
            return
        depth = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        if depth == 0:
            global _count
            with _lock:
                _count += 1
                callbacks = list(_callbacks)
            self._local.started = time.perf_counter()
            self._local.function = ev.data["dispatcher"].py_func
            # once per process at INFO: the first compilation is followed by others
            logger.log(logging.INFO if _count == 1 else logging.DEBUG, COMPILING_MESSAGE)
            if _count == 1 and _unheard():
                print(f"bss1lab: {COMPILING_MESSAGE}", file=sys.stderr, flush=True)
            for callback in callbacks:
                callback(True)

    def on_end(self, ev: event.Event) -> None:
        if not _ours(ev) or not getattr(self._local, "depth", 0):
            return
        self._local.depth -= 1
        if self._local.depth == 0:
            self._local.function = None
            logger.debug("compiled %s in %.1f s (cached for the next runs)",
                         _name(ev), time.perf_counter() - self._local.started)
            with _lock:
                callbacks = list(_callbacks)
            for callback in callbacks:
                callback(False)


def compiling_now() -> str | None:
    """What numba compiles in this thread now, as a status line (None: nothing), e.g.
    "compiling the emulator for IF_cond_exp cells, exponential method (once: numba
    keeps it)..." for the kernel variant of a network of IF_cond_exp cells
    (``scheduler.kernel``): an ``on_compile`` callback can show it."""
    function = getattr(_listener._local, "function", None)
    if function is None:
        return None
    layer = LAYERS.get(function.__module__.split(".")[1], "bss1lab")
    generic = f"compiling {layer} (once: numba keeps it)..."
    # the kernel variants' names: run_steps[_serial]_method[_loop1_loop2...], then
    # [__feature1_...] (their block step and neuron loops are compiled inside them:
    # never the outermost compilation)
    base = function.__name__.split("__")[0]
    variant = re.fullmatch(r"run_steps(?:_serial)?_(exponential|rk2)(?:_(.+))?", base)
    if variant is None:
        return generic
    method, loops = variant[1], variant[2]
    if loops is None:  # a network of spike sources alone
        return f"compiling {layer} for spike sources alone (once: numba keeps it)..."
    names = []
    while loops:  # loop names joined by "_": none is another's start
        loop = next((loop for loop in CELL_TYPES if f"{loops}_".startswith(f"{loop}_")),
                    None)
        if loop is None:  # a loop this module does not know: say less, not wrong
            return generic
        names.append(CELL_TYPES[loop])
        loops = loops[len(loop) + 1:]
    cells = ", ".join(names)
    return (f"compiling {layer} for {cells} cells, {method} method "
            "(once: numba keeps it)...")


def _unheard() -> bool:
    """True when nobody would see the INFO message (logging left as Python starts
    it) and the compilation runs in the main thread: a script or a notebook cell, not
    a panel's run, whose status line says it instead."""
    return (not logger.isEnabledFor(logging.INFO)
            and threading.current_thread() is threading.main_thread())


def _ours(ev: event.Event) -> bool:
    dispatcher = (ev.data or {}).get("dispatcher")
    module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
    return module.split(".")[0] == "bss1lab"


def _name(ev: event.Event) -> str:
    function = ev.data["dispatcher"].py_func
    return f"{function.__module__}.{function.__qualname__}"


def compilations() -> int:
    """How many times numba has compiled a bss1lab function in this process (the
    outermost compilations; loads from numba's cache do not count)."""
    return _count


@contextlib.contextmanager
def on_compile(callback: Callable[[bool], None]) -> Iterator[None]:
    """Call ``callback(True)`` when numba starts compiling a bss1lab function and
    ``callback(False)`` when it is done, while inside this context.

    The callback runs in the compiling thread, before and after the compilation;
    compilations in other threads call it too (numba compiles one at a time).

    Parameters
    ----------
    callback : callable
        Takes one bool: True when a compilation starts, False when it ends.
    """
    if not callable(callback):
        raise TypeError(f"on_compile: callback={callback!r} is not callable")
    with _lock:
        _callbacks.append(callback)
    try:
        yield
    finally:
        with _lock:
            _callbacks.remove(callback)


_listener = _Listener()
event.register("numba:compile", _listener)
