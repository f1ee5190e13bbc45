"""A bounded CPU-bound load: one process spinning on one core for a given time, then
stopping by itself (what another program on a shared laptop or Binder node does).

Usage: python bench/cpu_load.py [--seconds S] [--core N]

``--seconds`` (default 60, at most 3600) bounds it; ``--core`` pins it to one core
(Linux), default the last one. As a module: ``with cpu_load(seconds): ...`` runs the
load in a child process for the block and ends it on leaving.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from typing import Iterator

#: The longest load the script makes, s: it never outlives a forgotten bench.
MAX_SECONDS = 3600.0


def spin(seconds: float) -> int:
    """Busy-loop for ``seconds`` of wall time; returns the loop count (so the work
    cannot be skipped)."""
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"seconds={seconds!r} must be in (0, {MAX_SECONDS:g}]")
    stop = time.monotonic() + seconds
    count = 0
    while time.monotonic() < stop:
        for _ in range(10_000):
            count += 1
    return count


def last_core() -> int:
    """The highest-numbered core this process may run on."""
    try:
        return max(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return (os.cpu_count() or 1) - 1


@contextlib.contextmanager
def cpu_load(seconds: float, core: int | None = None) -> Iterator[subprocess.Popen]:
    """Run `spin` on ``core`` (default `last_core`) in a child process for the block;
    the child stops after ``seconds`` at the latest, and is ended on leaving."""
    command = [sys.executable, __file__, "--seconds", str(seconds)]
    if core is not None:
        command += ["--core", str(core)]
    child = subprocess.Popen(command)
    try:
        time.sleep(0.2)  # it is spinning before the measurement starts
        yield child
    finally:
        child.terminate()
        child.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--core", type=int, default=None)
    args = parser.parse_args()
    core = last_core() if args.core is None else args.core
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})
    spin(args.seconds)


if __name__ == "__main__":
    main()
