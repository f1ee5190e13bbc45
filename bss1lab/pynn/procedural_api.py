"""PyNN's procedural API (``create``, ``connect``, ``record``) for ``bss1lab.pynn``."""

from pyNN import common
from pyNN.connectors import FixedProbabilityConnector

from bss1lab.pynn import simulator
from bss1lab.pynn.populations import Population
from bss1lab.pynn.projections import Projection
from bss1lab.pynn.standardmodels import StaticSynapse

__all__ = ["create", "connect", "record", "record_v", "record_gsyn"]

create = common.build_create(Population)
connect = common.build_connect(Projection, FixedProbabilityConnector, StaticSynapse)
record = common.build_record(simulator)


def record_v(source, filename):
    return record(["v"], source, filename)


def record_gsyn(source, filename):
    return record(["gsyn_exc", "gsyn_inh"], source, filename)
