"""bss1lab: learn and explore BrainScaleS-1, the analog wafer-scale neuromorphic system.

Layers, with data flowing one way::

    bss1lab.network      what you want (PyNN names, bio units)
    bss1lab.hardware     what the wafer makes of it (Wafer.map -> MappedNetwork)
    bss1lab.emulator     the numba engine (Emulation.run)
    bss1lab.experiments  one call -> xarray.Dataset

Importing ``bss1lab`` loads only the network layer; the others load on first use.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

# numba's OpenMP threading layer (libgomp) keeps a thread that waits at a barrier
# spinning, by default for 300,000 turns: when another process shares its core, the
# spinning takes the time the awaited thread needs (two threads ran 20x slower than
# one, bench/shared_core.py). Sleeping at once (OMP_WAIT_POLICY=PASSIVE) costs a
# wake-up at every meeting instead, which halved the speed of networks whose threads
# meet every step (the microcircuit's 0.1 ms delays). A short spin (GOMP_SPINCOUNT)
# catches the partner a step later on a free core and sleeps soon on a shared one,
# where the engine's tuner moves to one thread anyway. Unless the user chose: libgomp
# reads these once, when numba first loads it.
WAIT_SPIN_COUNT = "5000"
if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    os.environ["GOMP_SPINCOUNT"] = WAIT_SPIN_COUNT

__version__ = "0.1.0"
_SUBMODULES = ("network", "hardware", "emulator", "experiments", "widgets")
__all__ = ["__version__", "set_threads", *_SUBMODULES]

from bss1lab.cache import clear_stale as _clear_stale  # noqa: E402

# a kernel cached before its inlined modules changed would run their old code
_clear_stale()

from bss1lab import network as network  # noqa: E402  (numpy, numba; no xarray, no Jupyter)


def set_threads(n: int | None) -> int | None:
    """Choose the number of threads the emulator runs on (None: automatic).

    By default the engine uses ``NUMBA_NUM_THREADS`` if that is set, else the CPUs
    the process may really use (its affinity mask and its cgroup CPU quota, as on
    Binder). See ``bss1lab.emulator.threads.set_threads``; returns the previous
    setting. Results do not depend on the number of threads.
    """
    from bss1lab.emulator.threads import set_threads as choose
    return choose(n)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"bss1lab.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'bss1lab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_SUBMODULES))
