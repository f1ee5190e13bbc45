"""One call -> ``xarray.Dataset``: run a network, or one neuron, on the emulated wafer
or on the ideal reference; the seed experiments; their analysis; sweeps."""

from bss1lab.experiments.analysis import (classify_regime, cv_isi, firing_rates,
                                          oscillation_frequency, population_activity,
                                          population_rates, population_summary, synchrony)
from bss1lab.experiments.coexecution import to_pynn
from bss1lab.experiments.cost import cost, payoff
from bss1lab.experiments.dataset import UNITS, to_dataset
from bss1lab.experiments.neo import from_neo, to_neo
from bss1lab.experiments.run import long_time_evolution, run, single_neuron
from bss1lab.experiments.seed_networks import (balanced_random_network, compare,
                                               cortical_microcircuit)
from bss1lab.experiments.sweep import sweep

__all__ = ["run", "single_neuron", "long_time_evolution", "balanced_random_network",
           "cortical_microcircuit", "compare", "sweep", "firing_rates", "population_rates",
           "cv_isi", "population_activity", "synchrony", "oscillation_frequency",
           "classify_regime", "population_summary", "cost", "payoff", "to_dataset",
           "UNITS", "to_neo", "from_neo", "to_pynn"]
