"""The L1 network: how each bus of spikes reaches the HICANNs it has targets on, and
which synapse drivers it gets there.

Two steps, after marocco's backbone router and its driver assignment ("Fieres"), on
halco's line geometry (numbers and sources in ``spec.py``):

0. **Output channels.** Each HICANN has 8 output channels, each sending on its own
   horizontal line. Its neurons' buses go out on channels 0, 1, ... (the merger
   tree joins neuron blocks in order); an input link's bus takes the free channel
   whose track is least used along its way (input placement has that choice),
   busiest first. A HICANN with more than 8 buses cannot send the rest.
1. **Buses.** A bus leaves its HICANN on the horizontal line of its output channel.
   A line continues on the neighbouring HICANN two lines further, so the bus owns one
   horizontal *track* of its row, from its westmost to its eastmost target column. In
   each column with targets it turns, through the crossbar, onto one of 8 vertical
   lines (4 per side) and owns that line's track up and down the column. A track
   segment carries one bus. Buses are routed most synapses first; a bus that meets a
   taken segment stops there, and the HICANNs beyond it are not reached.
2. **Drivers.** On a target HICANN the bus arrives on a vertical line of the left or
   right side, which reaches 14 of that side's 112 synapse drivers: one in each block
   of eight (its switch class). The bus enters one such free *primary* driver and is
   passed on to adjacent free drivers of the quadrant (56 drivers). When a side's
   buses want more drivers than it has, each gets a share in proportion to its
   synapses. Buses are packed most synapses first, each into the smallest gap around
   a free primary of its class that fits it, else the largest; a bus that finds no
   free primary is rejected.

What this leaves out: routes that turn more than once, the odd horizontal lines,
defective repeaters and drivers, and drivers fed from a neighbour's lines.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from bss1lab.hardware.spec import (CROSSBAR_STRIDE, DRIVERS_PER_QUADRANT,
                                   HORIZONTAL_LINES, LINE_SHIFT_PER_HOP, SENDING_LINES,
                                   SWITCH_CLASSES, VERTICAL_LINES_PER_SIDE, WAFER_GRID)

__all__ = ["sending_lines", "route_buses", "assign_drivers", "switch_class",
           "DRIVERS_PER_SIDE"]

DRIVERS_PER_SIDE = 2 * DRIVERS_PER_QUADRANT
_COLUMNS, _ROWS = WAFER_GRID
_CROSSBAR_CHOICES = VERTICAL_LINES_PER_SIDE // CROSSBAR_STRIDE  # per side
_LINES_PER_CLASS_BLOCK = CROSSBAR_STRIDE // SWITCH_CLASSES        # 4


def sending_lines(hicann: np.ndarray, x: np.ndarray, y: np.ndarray, low: np.ndarray,
                  high: np.ndarray, priority: np.ndarray,
                  fixed: np.ndarray | None = None) -> np.ndarray:
    """Choose each bus's output channel, hence its horizontal line.

    Parameters
    ----------
    hicann : int array (buses)
        The HICANN each bus leaves from (buses of one HICANN share its 8 channels).
    x, y : int arrays (buses)
        Its grid position.
    low, high : int arrays (buses)
        The columns the bus must span (its targets' and its own).
    priority : array (buses)
        Busiest first.
    fixed : int array (buses), optional
        A channel the hardware dictates (the merger tree sends a HICANN's neurons on
        channels 0, 1, ...), or -1 where the channel is free to choose (input links).

    Returns
    -------
    int array (buses)
        The sending line, or -1 for a bus its HICANN has no channel left for.
    """
    usage = np.zeros((_ROWS, HORIZONTAL_LINES, _COLUMNS), dtype=np.int64)
    taken = np.zeros((int(hicann.max()) + 1 if hicann.size else 1, len(SENDING_LINES)),
                     dtype=bool)
    line = np.full(hicann.size, -1, dtype=np.int64)
    lines = np.asarray(SENDING_LINES)
    fixed = np.full(hicann.size, -1) if fixed is None else np.asarray(fixed)
    dictated = np.flatnonzero((fixed >= 0) & (fixed < len(SENDING_LINES)))
    taken[hicann[dictated], fixed[dictated]] = True
    for b in np.argsort(-np.asarray(priority), kind="stable"):
        if fixed[b] >= len(SENDING_LINES):
            continue  # more buses than the HICANN has channels
        if fixed[b] >= 0:
            free = np.array([fixed[b]])
        else:
            free = np.flatnonzero(~taken[hicann[b]])
        if free.size == 0:
            continue
        tracks = (lines[free] - LINE_SHIFT_PER_HOP * x[b]) % HORIZONTAL_LINES
        overlap = usage[y[b], tracks, low[b]:high[b] + 1].sum(axis=1)
        channel = free[int(np.argmin(overlap))]
        taken[hicann[b], channel] = True
        line[b] = lines[channel]
        track = (line[b] - LINE_SHIFT_PER_HOP * x[b]) % HORIZONTAL_LINES
        usage[y[b], track, low[b]:high[b] + 1] += 1
    return line


@njit(cache=True)
def _crossbar_lane(hline, choice, y):
    """Vertical track (0..255, left side first) of crossbar choice 0..7 of horizontal
    line ``hline`` on row ``y`` of a column."""
    side = choice // _CROSSBAR_CHOICES
    k = choice % _CROSSBAR_CHOICES
    if side == 0:
        line = CROSSBAR_STRIDE - 1 - hline // 2 + CROSSBAR_STRIDE * k
        lane = (line + LINE_SHIFT_PER_HOP * y) % VERTICAL_LINES_PER_SIDE
    else:
        line = hline // 2 + CROSSBAR_STRIDE * k
        lane = (line - LINE_SHIFT_PER_HOP * y) % VERTICAL_LINES_PER_SIDE
    return side * VERTICAL_LINES_PER_SIDE + lane


@njit(cache=True)
def _vertical_line(lane, y):
    """The vertical line (0..255) that track ``lane`` is on row ``y``."""
    side = lane // VERTICAL_LINES_PER_SIDE
    track = lane % VERTICAL_LINES_PER_SIDE
    if side == 0:
        line = (track - LINE_SHIFT_PER_HOP * y) % VERTICAL_LINES_PER_SIDE
    else:
        line = (track + LINE_SHIFT_PER_HOP * y) % VERTICAL_LINES_PER_SIDE
    return side * VERTICAL_LINES_PER_SIDE + line


@njit(cache=True)
def _extend(horizontal, vertical, hline_at, y, x, step, limit):
    """Grow a backbone from column ``x`` by ``step`` (+1 east, -1 west) towards
    ``limit``; where the next segment is taken, detour through a vertical line onto
    the partner line (even <-> odd) of the same pair. Returns the last column reached
    and fills ``hline_at`` on the way."""
    shift = LINE_SHIFT_PER_HOP
    while x != limit:
        hline = hline_at[x]
        track = (hline - shift * x) % HORIZONTAL_LINES
        if horizontal[y, track, x + step]:
            partner = hline ^ 1
            partner_track = (partner - shift * x) % HORIZONTAL_LINES
            if horizontal[y, partner_track, x] or horizontal[y, partner_track, x + step]:
                return x
            detour = -1
            for choice in range(2 * _CROSSBAR_CHOICES):
                lane = _crossbar_lane(hline, choice, y)
                if not vertical[x, lane, y]:
                    detour = lane
                    break
            if detour < 0:
                return x
            vertical[x, detour, y] = True
            horizontal[y, partner_track, x] = True
            hline_at[x] = partner
            track = partner_track
        x += step
        horizontal[y, track, x] = True
        hline_at[x] = (track + shift * x) % HORIZONTAL_LINES
    return x


@njit(cache=True)
def _route_buses(order, bus_x, bus_y, bus_line, target_start, target_x, target_y,
                 arrival, horizontal, vertical, load, hline_at):
    for b in range(bus_x.size):  # each sender owns its line on its own HICANN
        if bus_line[b] >= 0:
            track = (bus_line[b] - LINE_SHIFT_PER_HOP * bus_x[b]) % HORIZONTAL_LINES
            horizontal[bus_y[b], track, bus_x[b]] = True
    for b in order:
        first = target_start[b]
        last = target_start[b + 1]
        for t in range(first, last):
            arrival[t] = -1
        if bus_line[b] < 0 or first == last:
            continue
        x0 = bus_x[b]
        y0 = bus_y[b]
        hline_at[x0] = bus_line[b]
        # steps as int64, not literals: numba would compile _extend once per literal
        east = _extend(horizontal, vertical, hline_at, y0, x0, np.int64(1),
                       max(x0, target_x[last - 1]))
        west = _extend(horizontal, vertical, hline_at, y0, x0, np.int64(-1),
                       min(x0, target_x[first]))
        t = first
        while t < last:  # one column of targets (sorted by column, then row)
            x = target_x[t]
            end = t
            while end < last and target_x[end] == x:
                end += 1
            if west <= x <= east:
                top = min(y0, target_y[t])
                bottom = max(y0, target_y[end - 1])
                best_lane = np.int64(-1)  # not the literal: see _extend's steps
                best_score, best_load, best_up, best_down = 0, 0, 0, 0
                for choice in range(2 * _CROSSBAR_CHOICES):
                    lane = _crossbar_lane(hline_at[x], choice, y0)
                    if vertical[x, lane, y0]:
                        continue
                    up = y0
                    while up > top and not vertical[x, lane, up - 1]:
                        up -= 1
                    down = y0
                    while down < bottom and not vertical[x, lane, down + 1]:
                        down += 1
                    score = 0
                    crowding = 0
                    for s in range(t, end):
                        y = target_y[s]
                        if up <= y <= down:
                            score += 1
                            line = _vertical_line(lane, y)
                            crowding += load[x, y, _pool_slot(line)]
                    if score > best_score or (score == best_score and score > 0
                                              and crowding < best_load):
                        best_lane, best_score, best_load = lane, score, crowding
                        best_up, best_down = up, down
                if best_lane >= 0:
                    for y in range(best_up, best_down + 1):
                        vertical[x, best_lane, y] = True
                    for s in range(t, end):
                        y = target_y[s]
                        if best_up <= y <= best_down:
                            line = _vertical_line(best_lane, y)
                            arrival[s] = line
                            load[x, y, _pool_slot(line)] += 1
            t = end


@njit(cache=True)
def _pool_slot(line):
    """Side and switch class of vertical line ``line`` as one index 0..15."""
    side = line // VERTICAL_LINES_PER_SIDE
    return side * SWITCH_CLASSES + (line % CROSSBAR_STRIDE) // _LINES_PER_CLASS_BLOCK


def route_buses(source_x: np.ndarray, source_y: np.ndarray, sending_line: np.ndarray,
                priority: np.ndarray, target_bus: np.ndarray, target_x: np.ndarray,
                target_y: np.ndarray) -> np.ndarray:
    """Route every bus to its target HICANNs.

    Parameters
    ----------
    source_x, source_y : int arrays (buses)
        Grid position of the HICANN each bus leaves from.
    sending_line : int array (buses)
        Its horizontal line there; -1 for a bus that got no output channel.
    priority : array (buses)
        Buses are routed in decreasing priority (e.g. their synapse counts).
    target_bus, target_x, target_y : int arrays (bus-target pairs)
        Each pair: a bus and the grid position of a HICANN it has synapses on.

    Returns
    -------
    int array (pairs)
        The vertical line (0..255, left side first) each pair's bus arrives on at the
        target HICANN, or -1 when the bus does not reach it.
    """
    order = np.lexsort((target_y, target_x, target_bus))
    n_buses = source_x.size
    target_start = np.searchsorted(target_bus[order], np.arange(n_buses + 1))
    arrival_sorted = np.empty(order.size, dtype=np.int64)
    # the lines taken so far, made here, not inside numba (DESIGN.md, performance shape)
    horizontal = np.zeros((_ROWS, HORIZONTAL_LINES, _COLUMNS), dtype=np.bool_)
    vertical = np.zeros((_COLUMNS, 2 * VERTICAL_LINES_PER_SIDE, _ROWS), dtype=np.bool_)
    # buses arriving per HICANN, side and switch class: ties go to the emptier one
    load = np.zeros((_COLUMNS, _ROWS, 2 * SWITCH_CLASSES), dtype=np.int64)
    hline_at = np.zeros(_COLUMNS, dtype=np.int64)  # each column's line of this bus
    _route_buses(np.argsort(-np.asarray(priority), kind="stable").astype(np.int64),
                 source_x.astype(np.int64), source_y.astype(np.int64),
                 sending_line.astype(np.int64), target_start.astype(np.int64),
                 target_x[order].astype(np.int64), target_y[order].astype(np.int64),
                 arrival_sorted, horizontal, vertical, load, hline_at)
    arrival = np.empty_like(arrival_sorted)
    arrival[order] = arrival_sorted
    return arrival


def switch_class(vertical_line: np.ndarray) -> np.ndarray:
    """The switch class (0..7) of the drivers a vertical line reaches."""
    return (vertical_line % CROSSBAR_STRIDE) // _LINES_PER_CLASS_BLOCK


@njit(cache=True)
def _assign_drivers(pool_start, route_class, wanted, synapses, granted, share, taken):
    for p in range(pool_start.size - 1):
        a = pool_start[p]
        b = pool_start[p + 1]
        total_wanted = 0
        total_synapses = 0.0
        for r in range(a, b):
            share[r] = wanted[r]
            total_wanted += wanted[r]
            total_synapses += synapses[r]
        if total_wanted > DRIVERS_PER_SIDE:
            # shares in proportion to synapses, at least one, at most what is wanted;
            # then top up (most synapses first) or trim (fewest first) to the total
            assigned = 0
            for r in range(a, b):
                fair = int(synapses[r] / total_synapses * DRIVERS_PER_SIDE)
                share[r] = max(1, min(wanted[r], fair))
                assigned += share[r]
            changed = True
            while assigned < DRIVERS_PER_SIDE and changed:
                changed = False
                for r in range(a, b):
                    if share[r] < wanted[r] and assigned < DRIVERS_PER_SIDE:
                        share[r] += 1
                        assigned += 1
                        changed = True
            while assigned > DRIVERS_PER_SIDE:
                for r in range(b - 1, a - 1, -1):
                    if share[r] > 0 and assigned > DRIVERS_PER_SIDE:
                        share[r] -= 1
                        assigned -= 1
        taken[:, :] = False
        for r in range(a, b):  # most synapses first
            granted[r] = 0
            length = share[r]
            if length == 0:
                continue
            best_quadrant, best_primary, best_start, best_gap = -1, 0, 0, 0
            for quadrant in range(2):
                for block in range(DRIVERS_PER_QUADRANT // SWITCH_CLASSES):
                    # the lower quadrant mirrors the upper one's switch pattern
                    cls = route_class[r] if quadrant == 0 else SWITCH_CLASSES - 1 - route_class[r]
                    primary = block * SWITCH_CLASSES + cls
                    if taken[quadrant, primary]:
                        continue
                    start = primary
                    while start > 0 and not taken[quadrant, start - 1]:
                        start -= 1
                    stop = primary + 1
                    while stop < DRIVERS_PER_QUADRANT and not taken[quadrant, stop]:
                        stop += 1
                    gap = stop - start
                    fits, best_fits = gap >= length, best_gap >= length
                    better = (best_quadrant < 0 or (fits and not best_fits)
                              or (fits and best_fits and gap < best_gap)
                              or (not fits and not best_fits and gap > best_gap))
                    if better:
                        best_quadrant, best_primary, best_start, best_gap = (
                            quadrant, primary, start, gap)
            if best_quadrant < 0:
                continue  # rejected: every primary driver of its class is taken
            take = min(length, best_gap)
            first = max(best_start, best_primary - (take - 1))
            for d in range(first, first + take):
                taken[best_quadrant, d] = True
            granted[r] = take


def assign_drivers(pool: np.ndarray, route_class: np.ndarray, wanted: np.ndarray,
                   synapses: np.ndarray) -> np.ndarray:
    """Synapse drivers each bus gets on each side of each target HICANN.

    Parameters
    ----------
    pool : int array (routes)
        The (HICANN, side) each route (a bus arriving at a HICANN) competes in.
    route_class : int array (routes)
        The switch class of the vertical line it arrives on.
    wanted : int array (routes)
        Drivers it needs for all its synapses there.
    synapses : array (routes)
        Its synapses there (the share and the packing order follow them).

    Returns
    -------
    int array (routes)
        Drivers granted (0: rejected).
    """
    if pool.size == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((-np.asarray(synapses), pool))
    pool_start = np.flatnonzero(np.r_[True, pool[order][1:] != pool[order][:-1], True])
    granted_sorted = np.zeros(order.size, dtype=np.int64)
    # each route's share of its pool, and the pool's drivers taken (made here, as in
    # route_buses)
    share = np.empty(order.size, dtype=np.int64)
    taken = np.zeros((2, DRIVERS_PER_QUADRANT), dtype=np.bool_)
    _assign_drivers(pool_start.astype(np.int64), route_class[order].astype(np.int64),
                    wanted[order].astype(np.int64), synapses[order].astype(np.float64),
                    granted_sorted, share, taken)
    granted = np.empty_like(granted_sorted)
    granted[order] = granted_sorted
    return granted
