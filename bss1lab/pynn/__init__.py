"""bss1lab as a PyNN 0.13 backend: ``import bss1lab.pynn as sim``.

A PyNN script written for ``pyNN.nest`` runs on the emulated BrainScaleS-1 wafer
with only its import changed::

    import bss1lab.pynn as sim          # instead of: import pyNN.nest as sim

    sim.setup(timestep=0.1)             # wafer=Wafer() by default; Wafer.ideal() too
    cells = sim.Population(100, sim.IF_cond_exp(tau_m=10.0), label="E")
    noise = sim.Population(100, sim.SpikeSourcePoisson(rate=20.0))
    sim.Projection(noise, cells, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=0.01, delay=1.0))
    cells.record("spikes")
    sim.run(500.0)
    block = cells.get_data()            # a neo.Block, as from every PyNN backend
    sim.end()

The backend is PyNN's common classes with bss1lab's translations and simulator state
(``pyNN.mock`` is built the same way); ``sim.state.mapping`` is the hardware report
of the mapping, ``sim.state.dataset`` the ``xarray.Dataset`` of the run, readable by
every bss1lab plot and panel. Importing this module also registers it as
``pyNN.bss1lab``, so ``pyNN.utility.get_simulator`` finds it by the name
``bss1lab``.

What bss1lab does not model is refused with PyNN's errors: other cell types
(``NoModelAvailableError``), current-based cells on the wafer (the same),
``ACSource`` and ``NoisyCurrentSource`` (``NotImplementedError``), multi-compartment
locations, STDP.
"""

import sys

from pyNN import errors, random, space  # noqa: F401
from pyNN.connectors import *  # noqa: F401,F403
from pyNN.network import Network  # noqa: F401
from pyNN.random import GSLRNG, NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.recording import *  # noqa: F401,F403
from pyNN.space import Space  # noqa: F401
from pyNN.standardmodels import StandardCellType

from bss1lab.pynn.control import (end, get_current_time, get_max_delay,  # noqa: F401
                                  get_min_delay, get_time_step, initialize, num_processes,
                                  rank, reset, run, run_for, run_until, setup)
from bss1lab.pynn.populations import Assembly, Population, PopulationView  # noqa: F401
from bss1lab.pynn.procedural_api import (connect, create, record,  # noqa: F401
                                         record_gsyn, record_v)
from bss1lab.pynn.projections import Projection  # noqa: F401
from bss1lab.pynn.simulator import state  # noqa: F401
from bss1lab.pynn.standardmodels import *  # noqa: F401,F403


def list_standard_models():
    """The names of the standard cell types bss1lab runs."""
    return [obj.__name__ for obj in globals().values()
            if isinstance(obj, type) and issubclass(obj, StandardCellType)
            and hasattr(obj, "bss1lab_type")]


def hardware_report() -> dict:
    """The mapping's hardware report of the current run (``state.mapping``)."""
    return state.mapping


# pyNN.utility.get_simulator("bss1lab") imports "pyNN.bss1lab": this module
sys.modules.setdefault("pyNN.bss1lab", sys.modules[__name__])
