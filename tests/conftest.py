"""Shared helpers for the tests."""

import os

import pytest
from hypothesis import settings

# property tests run the same examples on every machine (CI is reproducible); set
# HYPOTHESIS_PROFILE=explore to draw new ones
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

from bss1lab.network.brunel import (HARDWARE_CELL_PARAMETERS,
                                   HARDWARE_EXCITATORY_WEIGHT_US)
from bss1lab.network import (FixedNumberPreConnector, IF_cond_exp, Network, Population,
                             Projection, RandomDistribution, SpikeSourceArray,
                             SpikeSourcePoisson, StaticSynapse, StepCurrentSource)


def small_balanced_network(n_exc: int = 160, n_inh: int = 40, rate: float = 2500.0,
                           g: float = 5.0) -> Network:
    """A small recurrent E/I network driven by Poisson sources and a spike array,
    with a step current: every mechanism of the engine in one network."""
    cell = IF_cond_exp(**HARDWARE_CELL_PARAMETERS)
    exc = Population(n_exc, cell, label="E")
    inh = Population(n_inh, cell, label="I")
    for population in (exc, inh):
        population.initialize(v=RandomDistribution("uniform", low=0.0, high=20.0))
    # Poisson sources of several spikes a step (counts from the guide table) and of
    # few (from the table's head)
    noise = Population(n_exc + n_inh, SpikeSourcePoisson(rate=rate), label="noise")
    background = Population(20, SpikeSourcePoisson(rate=300.0, start=10.0), label="background")
    pulses = Population(4, SpikeSourceArray([5.0, 5.0, 12.3, 40.0]), label="pulses")
    exc.inject(StepCurrentSource([20.0, 60.0], [0.3, 0.0]))
    w = HARDWARE_EXCITATORY_WEIGHT_US
    return Network(
        exc, inh, noise, background, pulses,
        Projection(exc, exc, FixedNumberPreConnector(16, allow_self_connections=False),
                   StaticSynapse(w, 1.5)),
        Projection(exc, inh, FixedNumberPreConnector(16), StaticSynapse(w, 1.5)),
        Projection(inh, exc, FixedNumberPreConnector(4),
                   StaticSynapse(g * w, RandomDistribution("uniform", 0.8, 2.0)),
                   receptor_type="inhibitory"),
        Projection(inh, inh, FixedNumberPreConnector(4, allow_self_connections=False),
                   StaticSynapse(g * w, 0.8), receptor_type="inhibitory"),
        Projection(noise, exc, FixedNumberPreConnector(3),
                   StaticSynapse(w, 1.0)),
        Projection(pulses, inh, FixedNumberPreConnector(2), StaticSynapse(5 * w, 0.5)),
        Projection(background, inh, FixedNumberPreConnector(5), StaticSynapse(w, 1.0)),
        label="small balanced network")


@pytest.fixture
def small_network() -> Network:
    return small_balanced_network()
