"""Short-term plasticity: the Tsodyks-Markram model on the ideal reference and the
synapse drivers' circuit on the wafer, against their recursions."""

import numpy as np
import pytest

from bss1lab.emulator import Emulation
from bss1lab.hardware import EFFECTS, Wafer
from bss1lab.hardware.spec import STP_U_RANGE
from bss1lab.network import (AllToAllConnector, IF_cond_exp, IF_curr_delta, Network,
                             Population, Projection, SpikeSourceArray, TsodyksMarkramSynapse)

TRAIN = np.arange(10.0, 400.0, 25.0)   # a regular 40 Hz train
GAP = 25.0


def jumps(wafer, cell, synapse, variable):
    """The size of each input's step in ``variable`` of a leak-free target."""
    source = Population(1, SpikeSourceArray(TRAIN), label="s")
    target = Population(1, cell, label="t")
    net = Network(source, target, Projection(source, target, AllToAllConnector(), synapse))
    emulation = Emulation(wafer.map(net), record_variables=[variable],
                          record_cells={"t": [0]})
    chunk = emulation.run(420.0)
    trace = chunk.traces[variable][:, 0]
    arrivals = np.searchsorted(chunk.trace_time, TRAIN + synapse.delay - 1e-9)
    return trace[arrivals] - trace[arrivals - 1], emulation


def tsodyks_markram(U, tau_rec, tau_facil, n):
    """NEST's tsodyks2 recursion for a regular train."""
    x, u, efficacies = 1.0, U, []
    for spike in range(n):
        if spike:
            x = 1 + (x - 1) * np.exp(-GAP / tau_rec) if tau_rec > 0 else 1.0
            u = U + u * (1 - U) * np.exp(-GAP / tau_facil) if tau_facil > 0 else U
        efficacies.append(u * x)
        x -= u * x
    return np.array(efficacies)


@pytest.mark.parametrize("U, tau_rec, tau_facil", [(0.5, 200.0, 0.0), (0.1, 0.0, 300.0),
                                                   (0.3, 100.0, 500.0)])
def test_tsodyks_markram_on_the_ideal_reference(U, tau_rec, tau_facil):
    cell = IF_curr_delta(tau_m=1e9, v_rest=0.0, v_reset=-1.0, v_thresh=1e9)
    synapse = TsodyksMarkramSynapse(U=U, tau_rec=tau_rec, tau_facil=tau_facil,
                                    weight=2.0, delay=1.0)
    measured, _ = jumps(Wafer.ideal(), cell, synapse, "v")
    expected = 2.0 * tsodyks_markram(U, tau_rec, tau_facil, TRAIN.size)
    # exact but for the leak of tau_m = 1e9 ms over one step (v * 1e-10)
    np.testing.assert_allclose(measured, expected, rtol=1e-7)
    assert measured[-1] != pytest.approx(measured[0], rel=0.05)  # it did change


def wafer_circuit(U, tau, facilitating, n):
    """The driver's recursion: I <- I exp(-dt/tau); factor 1 -/+ I; I <- I + U(1 - I)."""
    inactive, factors = 0.0, []
    for spike in range(n):
        if spike:
            inactive *= np.exp(-GAP / tau)
        factors.append(1 + inactive if facilitating else 1 - inactive)
        inactive += U * (1 - inactive)
    return np.array(factors)


@pytest.mark.parametrize("tau_rec, tau_facil", [(200.0, 0.0), (0.0, 150.0)])
def test_the_wafer_runs_the_drivers_circuit(tau_rec, tau_facil):
    wafer = Wafer(variation=0.0, **{e: e == "short_term_plasticity"
                                    for e in EFFECTS if e != "variation"})
    cell = IF_cond_exp(tau_syn_E=1e9, tau_m=1e9, v_thresh=1e9, v_reset=-70.0)
    synapse = TsodyksMarkramSynapse(U=0.5, tau_rec=tau_rec, tau_facil=tau_facil,
                                    weight=0.01, delay=1.0)
    with pytest.warns(UserWarning, match="U=0.5 clipped to the synapse drivers'"):
        measured, emulation = jumps(wafer, cell, synapse, "gsyn_exc")
    U = STP_U_RANGE[1]  # 0.5 is beyond the circuit's range: clipped to 0.40
    assert emulation.mapped.report["clipped_stp_U"] == 1
    expected = 0.01 * wafer_circuit(U, tau_rec or tau_facil, tau_facil > 0, TRAIN.size)
    np.testing.assert_allclose(measured, expected, rtol=1e-6)


def test_the_wafer_cannot_depress_and_facilitate_at_once():
    source = Population(1, SpikeSourceArray([1.0]), label="s")
    target = Population(1, IF_cond_exp(), label="t")
    both = TsodyksMarkramSynapse(U=0.3, tau_rec=100.0, tau_facil=100.0, weight=0.01)
    net = Network(source, target, Projection(source, target, AllToAllConnector(), both))
    with pytest.raises(ValueError, match="depression or facilitation, not both"):
        Wafer().map(net)
    Wafer().with_effects(short_term_plasticity=False).map(net)  # the reference model


def test_plastic_runs_continue_exactly(small_network):
    exc = small_network.population("E")
    plastic = Projection(exc, exc, AllToAllConnector(allow_self_connections=False),
                         TsodyksMarkramSynapse(U=0.4, tau_rec=150.0, weight=1e-4))
    net = Network(*small_network.populations, *small_network.projections, plastic)
    whole = Emulation(Wafer.ideal().map(net, 1), 2).run(120.0)
    split = Emulation(Wafer.ideal().map(net, 1), 2)
    parts = [split.run(47.3), split.run(72.7)]
    np.testing.assert_array_equal(whole.spike_time,
                                  np.concatenate([p.spike_time for p in parts]))
    np.testing.assert_array_equal(whole.spike_cell,
                                  np.concatenate([p.spike_cell for p in parts]))
