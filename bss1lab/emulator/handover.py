"""Handing an emulation's state over to a new one (``Emulation.continue_from``)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from bss1lab.emulator.engine import Emulation

#: Kernel state the new emulation computes itself rather than copies: the injected
#: current (its own current changes up to the step reached are applied at its next
#: run) and the spike-array cursors (found again in its own arrays).
RECOMPUTED = ("i_ext", "cursor")


def carry_over(previous: "Emulation", new: "Emulation") -> None:
    """See ``Emulation.continue_from``."""
    if new.step:
        raise ValueError(f"Emulation.continue_from: this emulation has already run "
                         f"{new.time:g} ms; continue from a new one")
    if previous.dt != new.dt:
        raise ValueError(f"Emulation.continue_from: previous.dt={previous.dt:g} ms "
                         f"differs from this emulation's dt={new.dt:g} ms")
    changed = [(name, getattr(previous.state, name).shape, getattr(new.state, name).shape)
               for name in new.state._fields if name not in RECOMPUTED
               and getattr(previous.state, name).shape != getattr(new.state, name).shape]
    if changed:
        raise NotImplementedError(
            "Emulation.continue_from: the state changed shape, "
            + ", ".join(f"{name!r} {a} -> {b}" for name, a, b in changed)
            + " (the cells, the longest delay, the plastic synapses, the input links or "
            "the thread blocks differ); only a network of the same shape can continue")
    if previous.window > new.window:
        raise NotImplementedError(
            f"Emulation.continue_from: the shortest delay ({new.window} steps) is below "
            f"the previous emulation's synchronisation window ({previous.window} steps): "
            "its spikes in flight would be delivered in the wrong steps; only a network "
            "whose delays are not shorter can continue")
    # the previous window's spikes are delivered when that window ends: go on with
    # its window (any window up to the shortest delay is correct)
    new.window = previous.window
    for name in new.state._fields:
        if name not in RECOMPUTED:
            getattr(new.state, name)[...] = getattr(previous.state, name)
    step, cells, layout = previous.step, new.layout.cells, new.layout
    cursor = new.state.cursor
    for cell in np.flatnonzero(cells.array_end > layout.array_start):
        start, end = layout.array_start[cell], cells.array_end[cell]
        cursor[cell] = start + np.searchsorted(cells.array_steps[start:end], step,
                                               side="left")
    if (np.array_equal(previous.mapped.readout_hicann, new.mapped.readout_hicann)
            and previous.mapped.n_readouts == new.mapped.n_readouts
            and previous.mapped.readout_rate_hz == new.mapped.readout_rate_hz):
        new.readout = copy.deepcopy(previous.readout)
    new.step = step
    new._stop_time = previous._stop_time
    new._sampled_start = previous._sampled_start or step > 0
