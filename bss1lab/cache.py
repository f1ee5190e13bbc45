"""Keep numba's on-disk cache of bss1lab's kernels in step with their sources.

numba keys each cached function by the file that defines it (its modification time
and size) and nothing else: a kernel that inlines functions of other modules (the
scheduler inlines the neuron step, the sources, the delivery) is loaded stale from
the cache after a change to one of those modules alone, and runs the old code. For a
package installed by pip that cannot happen (an upgrade writes every file anew), but
in a working tree it does: editing ``emulator/neuron.py`` would leave the cached
``run_steps`` running the previous neuron step.

So, where the cache sits next to the sources (numba's default for a writable
package), ``clear_stale`` removes bss1lab's cache files when any source of a layer
with numba code is newer than the oldest of them; numba then compiles afresh. Only
file times are read: ``import bss1lab`` stays light.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["clear_stale", "NUMBA_LAYERS"]

#: The folders of the package whose modules hold numba functions.
NUMBA_LAYERS = ("network", "hardware", "emulator")
#: numba's cache files: the index of each function and its compiled code.
CACHE_SUFFIXES = (".nbi", ".nbc")


def clear_stale(package: Path = Path(__file__).resolve().parent) -> int:
    """Remove the cache files of ``package``'s numba layers if a source is newer.

    Parameters
    ----------
    package : Path
        The bss1lab package folder (default: this one).

    Returns
    -------
    int
        The number of cache files removed (0 when the cache is in step, or kept
        elsewhere: ``NUMBA_CACHE_DIR`` or a read-only install's user cache).
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return 0  # numba keys that folder by the sources' paths; the user manages it
    sources, cached = [], []
    for layer in NUMBA_LAYERS:
        folder = package / layer
        sources += folder.glob("*.py")
        cached += [f for f in (folder / "__pycache__").glob("*.nb*")
                   if f.suffix in CACHE_SUFFIXES]
    try:
        newest_source = max(f.stat().st_mtime for f in sources)
        oldest_index = min(f.stat().st_mtime for f in cached if f.suffix == ".nbi")
    except (ValueError, FileNotFoundError):  # nothing cached yet, or a race: in step
        return 0
    if newest_source <= oldest_index:
        return 0
    removed = 0
    for f in cached:
        try:
            f.unlink()
            removed += 1
        except FileNotFoundError:  # another process (a test worker) was first
            pass
    return removed
