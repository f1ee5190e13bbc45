"""The contract between the hardware and the emulator: the emulator reads the mapping
(``MappedNetwork``) and knows no hardware; run-time effects run where they happen."""

import ast
import warnings
from pathlib import Path

import numpy as np
import pytest

import bss1lab
from bss1lab.experiments import run
from bss1lab.hardware import EFFECTS, Wafer
from bss1lab.hardware.spec import LINK_BUFFER_EVENTS
from bss1lab.network import (AllToAllConnector, IF_cond_exp, Network, Population,
                             Projection, SpikeSourceArray, StaticSynapse)
from bss1lab.network.brunel import HARDWARE_CELL_PARAMETERS

EMULATOR = Path(bss1lab.__file__).parent / "emulator"
#: What of hardware/ the emulator may import: the contract's types.
ALLOWED_FROM_HARDWARE = {"bss1lab.hardware.mapped"}
#: Not part of the engine: the warm-up runs the course's experiments end to end (the
#: top layer), to compile what they use.
NOT_THE_ENGINE = {"warmup.py"}


def _imports(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_the_emulator_imports_nothing_of_the_hardware_but_the_contract():
    modules = sorted(p for p in EMULATOR.glob("*.py") if p.name not in NOT_THE_ENGINE)
    assert len(modules) > 8  # the check reads the emulator's modules
    wrong = {}
    for path in modules:
        tree = ast.parse(path.read_text(), filename=str(path))
        imported = [name for name in _imports(tree) if name.startswith("bss1lab.hardware")
                    and not any(name == allowed or name.startswith(allowed + ".")
                                for allowed in ALLOWED_FROM_HARDWARE)
                    and name not in {"bss1lab.hardware"}]
        # "from bss1lab.hardware import X" is caught by its "bss1lab.hardware.X"
        if imported:
            wrong[path.name] = imported
    assert wrong == {}


def test_the_emulator_reads_no_wafer_switch():
    # the mapping's wafer configuration (mapped.wafer.saturation, ...) is the
    # hardware's to read; the emulator reads the fields the mapping filled (any
    # reading of the switches goes through .wafer or asks whether the wafer is ideal)
    readers = {}
    for path in sorted(EMULATOR.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        lines = [node.lineno for node in ast.walk(tree)
                 if isinstance(node, ast.Attribute)
                 and node.attr in ("wafer", "is_ideal", "speedup", "effects_on")]
        if lines:
            readers[path.name] = lines
    assert readers == {}


def _burst_network() -> Network:
    """59 neurons of one HICANN fire together every 100 ms: the readout passes
    LINK_BUFFER_EVENTS of each burst and drops the rest."""
    neurons = Population(59, IF_cond_exp(**HARDWARE_CELL_PARAMETERS), label="N")
    kick = Population(1, SpikeSourceArray(np.arange(10.0, 500.0, 100.0)), label="kick")
    return Network(neurons, kick, Projection(kick, neurons, AllToAllConnector(),
                                             StaticSynapse(0.12, 1.0)))


def test_streamed_chunks_hold_the_spikes_of_the_final_dataset():
    wafer = Wafer(variation=0.0, **{effect: effect == "readout_limits"
                                    for effect in EFFECTS if effect != "variation"})
    streamed = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # clipped parameters
        final = run(_burst_network(), 500.0, wafer=wafer, seed=3, chunk_ms=35.0,
                    on_chunk=lambda chunk, fraction: streamed.append(chunk))
        whole = run(_burst_network(), 500.0, wafer=wafer, seed=3)
    assert len(streamed) == 15
    assert final.attrs["readout_spikes_dropped"] == 5 * (59 - LINK_BUFFER_EVENTS)
    for ds in (final, whole):
        np.testing.assert_array_equal(
            np.concatenate([c.spike_time.values for c in streamed]), ds.spike_time.values)
        np.testing.assert_array_equal(
            np.concatenate([c.spike_neuron.values for c in streamed]),
            ds.spike_neuron.values)
    assert sum(c.attrs["readout_spikes_dropped"] for c in streamed) == \
        final.attrs["readout_spikes_dropped"]
    # emitted = recorded + dropped, in the whole and in every chunk
    for ds in (final, *streamed):
        emitted = int(ds.spike_count.values[ds.spikes_recorded.values].sum())
        assert emitted == ds.sizes["spike"] + ds.attrs["readout_spikes_dropped"]
        assert int(ds.hicann_readout_dropped.sum()) == ds.attrs["readout_spikes_dropped"]


@pytest.mark.parametrize("wafer", [Wafer(), Wafer.ideal()], ids=["wafer", "ideal"])
def test_the_mapping_holds_every_hardware_decision(wafer):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        mapped = wafer.map(_burst_network(), 0)
    n = mapped.network.n_cells
    assert mapped.saturation.shape == (2, n)
    assert mapped.stp_models == (None,)
    assert mapped.input_link.shape == mapped.input_fpga.shape == (n,)
    # the kick (a source) enters through a link on the wafer; neurons never do
    assert (mapped.input_link[:59] == -1).all()
    if wafer.is_ideal:
        assert not mapped.saturation.any() and (mapped.input_link == -1).all()
        assert (mapped.readout_hicann == -1).all()
    else:
        assert (mapped.saturation[0, :59] > 0).all() and mapped.input_link[59] >= 0
        assert (mapped.readout_hicann[:59] == mapped.hicann[:59]).all()
        assert mapped.readout_hicann[59] == -1
