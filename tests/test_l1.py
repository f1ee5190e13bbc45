"""The L1 network: buses on their tracks, detours, and the synapse-driver packing."""

import numpy as np

from bss1lab.hardware import l1
from bss1lab.hardware.spec import DRIVERS_PER_QUADRANT, SENDING_LINES, SWITCH_CLASSES


def route(buses, targets):
    """buses: [(x, y, line)], targets: [(bus, x, y)] -> arrival line per target."""
    x, y, line = (np.array(v) for v in zip(*buses))
    bus, tx, ty = (np.array(v) for v in zip(*targets))
    priority = -np.arange(len(buses))  # in the order given
    return l1.route_buses(x, y, line, priority, bus, tx, ty)


def test_a_lone_bus_reaches_every_target_of_its_block():
    targets = [(0, x, y) for x in range(10, 16) for y in range(4, 9)]
    arrival = route([(12, 6, SENDING_LINES[0])], targets)
    assert (arrival >= 0).all()
    # one vertical track per column: on each row its line moves by two
    for x in range(10, 16):
        lines = arrival[[i for i, t in enumerate(targets) if t[1] == x]]
        assert len(set(lines // 128)) == 1  # one side per column
        assert set(np.abs(np.diff(lines))) <= {2, 126}


def test_a_taken_track_is_passed_on_the_partner_line():
    # channel 0 of x = 10 and channel 1 of x = 14 share a horizontal track (lines move
    # by two per HICANN, the sending lines by eight per channel)
    blocker = (14, 6, SENDING_LINES[1])
    bus = (10, 6, SENDING_LINES[0])
    arrival = route([blocker, bus], [(0, 14, 6), (1, 16, 6)])
    assert (arrival >= 0).all()


def test_a_bus_without_a_sending_line_reaches_nothing():
    arrival = route([(10, 6, -1)], [(0, 10, 6), (0, 11, 6)])
    assert (arrival == -1).all()


def test_one_switch_class_serves_fourteen_buses_per_side():
    # 7 primary drivers per quadrant and class: the 15th bus of a class is rejected
    n = 15
    granted = l1.assign_drivers(np.zeros(n, int), np.full(n, 3), np.ones(n, int),
                                np.arange(n, 0, -1.0))
    assert granted.sum() == 2 * DRIVERS_PER_QUADRANT // SWITCH_CLASSES == 14
    assert granted[-1] == 0  # the one with fewest synapses


def test_an_overbooked_side_is_shared_by_synapses():
    # 8 buses, one per class, want 20 drivers each (160 > 112); shares follow synapses
    synapses = np.array([400, 400, 200, 200, 100, 100, 50, 50.0])
    granted = l1.assign_drivers(np.zeros(8, int), np.arange(8), np.full(8, 20), synapses)
    assert granted.sum() <= 2 * DRIVERS_PER_QUADRANT
    assert granted.sum() >= 2 * DRIVERS_PER_QUADRANT - 8   # little left in gaps
    assert (np.diff(granted) <= 0).all() and granted[0] == 20 and granted[-1] >= 1
    # two sides of a HICANN are separate pools
    both = l1.assign_drivers(np.arange(8) % 2, np.arange(8), np.full(8, 20), synapses)
    assert (both == 20).all()


def test_input_buses_take_channels_whose_tracks_are_free():
    # a neuron bus of the HICANN at x = 14 sends on channel 1 (line 14); an input bus
    # at x = 10 crossing x = 14 on channel 0 (line 6) would share its track
    line = l1.sending_lines(np.array([1, 0]), np.array([14, 10]), np.array([6, 6]),
                            np.array([14, 10]), np.array([16, 16]), np.array([2.0, 1.0]),
                            fixed=np.array([1, -1]))
    assert line[0] == SENDING_LINES[1]
    assert line[1] != SENDING_LINES[0]
    # a HICANN has 8 channels: a ninth bus is not sent
    n = 9
    lines = l1.sending_lines(np.zeros(n, int), np.full(n, 10), np.full(n, 6),
                             np.full(n, 10), np.full(n, 12), np.arange(n, 0, -1.0))
    assert sorted(lines[:8]) == sorted(SENDING_LINES) and lines[8] == -1
