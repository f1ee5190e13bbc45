"""What the user wants: populations, projections and cell parameters in biological
units, with PyNN's names (ms, mV, nF, nA, uS, Hz). Knows nothing about hardware."""

from bss1lab.network.cells import (EIF_cond_exp_isfa_ista, IF_cond_exp, IF_curr_delta,
                                   IF_curr_exp, SpikeSourceArray, SpikeSourcePoisson)
from bss1lab.network.connectors import (AllToAllConnector, FixedNumberPreConnector,
                                        FixedProbabilityConnector, FixedTotalNumberConnector,
                                        FromListConnector, OneToOneConnector)
from bss1lab.network.model import (Network, Population, Projection, StaticSynapse,
                                   StepCurrentSource, TsodyksMarkramSynapse)
from bss1lab.network.random import RandomDistribution
from bss1lab.network.realise import RealisedNetwork, realise

__all__ = [
    "IF_cond_exp", "EIF_cond_exp_isfa_ista", "IF_curr_exp", "IF_curr_delta",
    "SpikeSourcePoisson", "SpikeSourceArray",
    "AllToAllConnector", "OneToOneConnector", "FixedProbabilityConnector",
    "FixedNumberPreConnector", "FixedTotalNumberConnector", "FromListConnector",
    "Population", "Projection", "StaticSynapse", "TsodyksMarkramSynapse",
    "StepCurrentSource", "Network",
    "RandomDistribution", "RealisedNetwork", "realise",
]
