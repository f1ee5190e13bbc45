"""How many threads the engine runs on: what the process may really use.

numba starts one thread per core the machine shows, but a container host (Binder,
most CI runners) usually grants a CPU quota far below that, and the engine
synchronises its threads once per window of steps: threads beyond the quota wait for
each other.
So the engine uses, in this order of precedence:

1. ``using_threads(n)``, in the thread inside that context (sweeps use it to share
   the CPUs out between their workers);
2. ``bss1lab.set_threads(n)``, if called with a number;
3. the environment variable ``NUMBA_NUM_THREADS``, if set (numba's own setting);
4. the CPUs the process may use: the cores in its affinity mask
   (``os.sched_getaffinity``), limited by its cgroup CPU quota (cgroup v2
   ``cpu.max``, v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``), rounded up, at
   least 1;

never more than numba's thread pool holds (``numba.config.NUMBA_NUM_THREADS``).
Within a run, ``tuning.ThreadTuner`` drops to one thread while that is faster (a core
shared with another process), and ``import bss1lab`` keeps OpenMP's waiting threads
from spinning long (``GOMP_SPINCOUNT``, unless it or ``OMP_WAIT_POLICY`` is set).
This module imports no numba: ``import bss1lab`` stays light.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import warnings
from pathlib import Path
from typing import Iterator

__all__ = ["set_threads", "using_threads", "engine_threads", "available_cpus", "cgroup_cpu_quota",
           "affinity_cpus"]

#: Where cgroups are mounted.
CGROUP_ROOT = Path("/sys/fs/cgroup")
#: v1 controller directories that may hold the CPU quota files.
CGROUP_V1_CPU_DIRS = ("cpu", "cpu,cpuacct", "cpuacct,cpu")

_chosen: int | None = None
_here = threading.local()
_capped_warned: set[tuple[int, int]] = set()


def set_threads(n: int | None) -> int | None:
    """Choose the number of threads the engine runs on, for this process.

    Parameters
    ----------
    n : int or None
        Threads, >= 1; None returns to the automatic choice (``NUMBA_NUM_THREADS`` if
        set, else the CPUs the process may use: see ``available_cpus``). More than
        numba's thread pool holds is capped to it, with a warning at the first run.

    Returns
    -------
    int or None
        The previous setting, to restore it later.

    Raises
    ------
    TypeError
        If ``n`` is not an int or None.
    ValueError
        If ``n`` < 1.
    """
    global _chosen
    n = _count("set_threads", n)
    previous, _chosen = _chosen, n
    return previous


@contextlib.contextmanager
def using_threads(n: int | None) -> Iterator[None]:
    """Run the engine on ``n`` threads inside this context, in the calling thread only.

    Parameters
    ----------
    n : int or None
        Threads, >= 1; None: the process's choice (``set_threads`` or automatic).
    """
    n = _count("using_threads", n)
    previous = getattr(_here, "n", None)
    _here.n = n
    try:
        yield
    finally:
        _here.n = previous


def _count(owner: str, n: object) -> int | None:
    """``n`` as a thread count (None stays None); TypeError or ValueError otherwise."""
    if n is None:
        return None
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"{owner}: n={n!r} must be an int >= 1 or None")
    count = int(n.__index__())  # type: ignore[attr-defined]
    if count < 1:
        raise ValueError(f"{owner}: n={count} must be >= 1 (or None: automatic)")
    return count


def cgroup_cpu_quota(root: str | os.PathLike = CGROUP_ROOT,
                     proc_cgroup: str | os.PathLike = "/proc/self/cgroup") -> int | None:
    """The CPUs the cgroup quota grants the process, rounded up; None if unlimited.

    Reads cgroup v2's ``cpu.max`` ("max 100000" or "<quota> <period>", in the
    process's cgroup and each of its ancestors: the smallest limit counts), else
    cgroup v1's ``cpu.cfs_quota_us`` and ``cpu.cfs_period_us`` (-1: unlimited).
    Missing or unreadable files mean no limit.

    Parameters
    ----------
    root : path
        Where the cgroup hierarchy is mounted.
    proc_cgroup : path
        The process's cgroup membership (``/proc/self/cgroup``), for its v2 path.

    Returns
    -------
    int or None
        ``ceil(quota / period)``, at least 1; None when no quota applies.
    """
    root = Path(root)
    limits = [_ratio(text.split()) for text in
              (_read(directory / "cpu.max") for directory in _v2_directories(root, proc_cgroup))
              if text is not None]
    for name in CGROUP_V1_CPU_DIRS:
        directory = root / name
        quota, period = _read(directory / "cpu.cfs_quota_us"), _read(directory / "cpu.cfs_period_us")
        if quota is not None and period is not None:
            limits.append(_ratio([quota, period]))
    limits = [limit for limit in limits if limit is not None]
    return min(limits) if limits else None


def affinity_cpus() -> int:
    """Cores in the process's affinity mask (``os.cpu_count()`` where there is none)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def available_cpus(root: str | os.PathLike = CGROUP_ROOT,
                   proc_cgroup: str | os.PathLike = "/proc/self/cgroup") -> int:
    """CPUs the process may really use: its affinity mask, limited by the cgroup quota.

    Parameters
    ----------
    root, proc_cgroup : path
        As for ``cgroup_cpu_quota``.

    Returns
    -------
    int
        At least 1.
    """
    quota = cgroup_cpu_quota(root, proc_cgroup)
    cores = affinity_cpus()
    return cores if quota is None else max(1, min(cores, quota))


def engine_threads(pool: int | None = None) -> int:
    """The number of threads the engine runs on now (see the module's docstring).

    Parameters
    ----------
    pool : int, optional
        Threads numba's pool holds; default ``numba.config.NUMBA_NUM_THREADS``
        (this imports numba).

    Returns
    -------
    int
        Between 1 and ``pool``.
    """
    if pool is None:
        import numba
        pool = int(numba.config.NUMBA_NUM_THREADS)
    chosen = getattr(_here, "n", None) or _chosen
    if chosen is not None:
        wanted = chosen
    elif os.environ.get("NUMBA_NUM_THREADS", "").strip():
        return pool  # numba made its pool this size from the variable: respect it
    else:
        wanted = available_cpus()
    if wanted > pool and chosen is not None and (wanted, pool) not in _capped_warned:
        _capped_warned.add((wanted, pool))
        warnings.warn(f"{wanted} threads chosen: numba's thread pool holds {pool} threads "
                      "(NUMBA_NUM_THREADS or the core count); the engine uses "
                      f"{pool}", RuntimeWarning, stacklevel=2)
    return max(1, min(wanted, pool))


def _v2_directories(root: Path, proc_cgroup: str | os.PathLike) -> list[Path]:
    """The process's cgroup v2 directory and its ancestors up to ``root``."""
    relative = ""
    text = _read(Path(proc_cgroup))
    for line in (text or "").splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and controllers == "":
            relative = path.strip().strip("/")
    directories = [root]
    for part in [p for p in relative.split("/") if p and p != ".."]:
        directories.append(directories[-1] / part)
    return directories


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


def _ratio(fields: list[str]) -> int | None:
    """``ceil(quota / period)`` of a quota and a period in microseconds; None if the
    quota is unlimited ("max" or negative) or the text is not two numbers."""
    if len(fields) != 2 or fields[0] == "max":
        return None
    try:
        quota, period = int(fields[0]), int(fields[1])
    except ValueError:
        return None
    if quota <= 0 or period <= 0:
        return None
    return max(1, math.ceil(quota / period))
