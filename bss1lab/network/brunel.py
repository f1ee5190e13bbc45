"""The balanced random network (Brunel 2000), in its original form and as
BrainScaleS-1 ran it.

Numbers from Brunel (2000) and the wafer experiment (electronicvisions/
brainscales1-demos: random_network.rst), as collected in the project's hardware
reference.
"""

from __future__ import annotations

from bss1lab.network.cells import IF_cond_exp, IF_curr_delta, SpikeSourcePoisson
from bss1lab.network.connectors import FixedNumberPreConnector, OneToOneConnector
from bss1lab.network.model import Network, Population, Projection, StaticSynapse
from bss1lab.network.psp import conductance_for_delta_psp
from bss1lab.network.random import RandomDistribution
from bss1lab.validation import as_count, as_number

__all__ = ["brunel_network", "BRUNEL_SIZE", "BRUNEL_CELL_PARAMETERS",
           "HARDWARE_SIZE", "HARDWARE_CELL_PARAMETERS", "HARDWARE_PSP_MV",
           "HARDWARE_EXCITATORY_WEIGHT_US", "FLAVOURS", "KEEP"]

#: Brunel's network: 10,000 excitatory + 2,500 inhibitory neurons.
BRUNEL_SIZE = 12500
#: Brunel's neurons (current-based, delta synapses): tau 20 ms, theta 20 mV, V_r 10 mV,
#: tau_rp 2 ms, rest 0 mV. ``cm`` does not enter a delta-synapse network.
BRUNEL_CELL_PARAMETERS = {"cm": 1.0, "tau_m": 20.0, "tau_refrac": 2.0, "v_rest": 0.0,
                          "v_reset": 10.0, "v_thresh": 20.0}
#: The wafer version: 12,500 neurons scaled down 6x.
HARDWARE_SIZE = 2083
#: IF_cond_exp parameters of the wafer's 2,083-neuron random network (PyNN units).
HARDWARE_CELL_PARAMETERS = {
    "cm": 1.0, "tau_m": 10.0, "tau_syn_E": 3.0, "tau_syn_I": 3.0, "tau_refrac": 2.0,
    "v_rest": 0.0, "v_reset": 10.0, "v_thresh": 20.0, "e_rev_E": 140.0, "e_rev_I": -140.0,
}
#: The wafer run scaled the weights by the downscaling factor and then by this.
HARDWARE_EXTRA_WEIGHT_FACTOR = 1.2
#: PSP of one excitatory synapse in the wafer's version: Brunel's 0.1 mV, scaled up 6x
#: for the 6x smaller network and by a further 1.2.
HARDWARE_PSP_MV = 0.1 * 6 * HARDWARE_EXTRA_WEIGHT_FACTOR
#: Its Poisson pool: each neuron samples this many of the pool's sources.
HARDWARE_POOL_IN_DEGREE = 200
#: The membrane potential at which the wafer run converted weights to conductances.
HARDWARE_V_MEAN_MV = 0.0
#: Conductance that gives HARDWARE_PSP_MV's charge at that potential (uS): 1.714 nS.
HARDWARE_EXCITATORY_WEIGHT_US = conductance_for_delta_psp(
    HARDWARE_PSP_MV, HARDWARE_CELL_PARAMETERS["cm"], HARDWARE_CELL_PARAMETERS["tau_syn_E"],
    HARDWARE_CELL_PARAMETERS["e_rev_E"], HARDWARE_V_MEAN_MV)

FLAVOURS = ("original", "hardware")
#: What downscaling keeps: the connection probability (in-degrees shrink, weights grow
#: by the downscaling factor: the seed approach) or Brunel's in-degrees (weights stay).
KEEP = ("probability", "in_degree")


def brunel_network(flavour: str = "hardware", *, n_neurons: int | None = None,
                   excitatory_fraction: float = 0.8, epsilon: float = 0.1, g: float = 5.0,
                   eta: float = 2.0, J: float = 0.1, delay: float = 1.5,
                   keep: str = "probability", extra_weight_factor: float | None = None,
                   pool_in_degree: int = HARDWARE_POOL_IN_DEGREE,
                   v_mean: float = HARDWARE_V_MEAN_MV) -> Network:
    """Build Brunel's balanced random network.

    Parameters
    ----------
    flavour : {"original", "hardware"}
        ``"original"``: Brunel's model (IF_curr_delta, tau_m 20 ms), each neuron driven
        by its own Poisson source at ``eta`` times the threshold rate, for the ideal
        reference. ``"hardware"``: the wafer run's adaptation (IF_cond_exp with the
        reference's parameters, weights as conductances carrying the charge of the
        current-based PSP at ``v_mean``, and a pool of ``n_neurons`` Poisson sources of
        which each neuron samples ``pool_in_degree``).
    n_neurons : int, optional
        Total size; default 12,500 (original) or 2,083 (hardware). Smaller than
        12,500 is a downscaled network.
    excitatory_fraction, epsilon : float
        N_E / N (0.8) and the connection probability (0.1).
    g, eta : float
        Relative inhibition (I weights are ``g`` times E weights) and external rate
        in units of the threshold rate nu_thr (Brunel's phase-diagram axes).
    J : float
        Brunel's EPSP, mV (0.1), before downscaling.
    delay : float
        ms, every synapse (1.5).
    keep : {"probability", "in_degree"}
        Downscaling keeps the connection probability (in-degree ``epsilon N_E``,
        weights x 12,500 / ``n_neurons``: the seed approach) or Brunel's in-degrees
        (``epsilon`` x 10,000 and x 2,500; weights unchanged).
    extra_weight_factor : float, optional
        Further factor on every weight, not on the drive: 1.2 in the wafer run
        (default for "hardware"), 1 for "original".
    pool_in_degree : int
        Hardware flavour: pool sources per neuron (200).
    v_mean : float
        Hardware flavour: membrane potential of the weight conversion, mV (0).

    Returns
    -------
    Network
        Populations ``"E"`` and ``"I"``, and the Poisson drive: ``"external"`` (the
        hardware flavour's pool) or ``"external E"`` and ``"external I"`` (one source
        per neuron).
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"brunel_network: flavour={flavour!r}; allowed: {FLAVOURS}")
    if keep not in KEEP:
        raise ValueError(f"brunel_network: keep={keep!r}; allowed: {KEEP}")
    hardware = flavour == "hardware"
    default_size = HARDWARE_SIZE if hardware else BRUNEL_SIZE
    n = as_count("brunel_network", "n_neurons", default_size if n_neurons is None
                 else n_neurons, low=2)
    f = as_number("brunel_network", "excitatory_fraction", excitatory_fraction, low=0.0,
                  high=1.0, low_inclusive=False)
    epsilon = as_number("brunel_network", "epsilon", epsilon, low=0.0, high=1.0,
                        low_inclusive=False)
    g = as_number("brunel_network", "g", g, low=0.0)
    eta = as_number("brunel_network", "eta", eta, low=0.0)
    J = as_number("brunel_network", "J", J, low=0.0, low_inclusive=False)
    delay = as_number("brunel_network", "delay", delay, low=0.0, low_inclusive=False)
    extra = as_number("brunel_network", "extra_weight_factor",
                      (HARDWARE_EXTRA_WEIGHT_FACTOR if hardware else 1.0)
                      if extra_weight_factor is None else extra_weight_factor,
                      low=0.0, low_inclusive=False)

    n_exc = int(round(f * n))
    n_inh = n - n_exc
    if keep == "probability":
        in_exc, in_inh = int(epsilon * n_exc), int(epsilon * n_inh)
        downscaling = BRUNEL_SIZE / n
    else:
        in_exc = int(epsilon * round(f * BRUNEL_SIZE))
        in_inh = int(epsilon * (BRUNEL_SIZE - round(f * BRUNEL_SIZE)))
        downscaling = 1.0
        if in_exc > n_exc or in_inh > n_inh:
            raise ValueError(
                f"brunel_network: keep='in_degree' needs at least {in_exc} excitatory "
                f"and {in_inh} inhibitory neurons for Brunel's in-degrees; "
                f"n_neurons={n} gives {n_exc} and {n_inh}. Use keep='probability'.")
    if in_exc < 1 or in_inh < 1:
        raise ValueError(f"brunel_network: n_neurons={n} with epsilon={epsilon} leaves "
                         f"in-degrees {in_exc} (E) and {in_inh} (I); both must be >= 1")
    jump = J * downscaling            # mV: the PSP that keeps the mean input
    weight_jump = jump * extra        # mV: what the synapses get

    parameters = dict(HARDWARE_CELL_PARAMETERS if hardware else BRUNEL_CELL_PARAMETERS)
    cell = IF_cond_exp(**parameters) if hardware else IF_curr_delta(**parameters)
    theta = parameters["v_thresh"] - parameters["v_rest"]
    # the external rate per neuron that holds the mean input at threshold (Brunel's
    # C_E nu_thr = theta / (J tau)), times eta
    external_rate = eta * theta / (jump * parameters["tau_m"]) * 1e3  # Hz

    exc = Population(n_exc, cell, label="E")
    inh = Population(n_inh, cell, label="I")
    start = RandomDistribution("uniform", low=parameters["v_rest"],
                               high=parameters["v_thresh"])
    for population in (exc, inh):
        population.initialize(v=start)
    if hardware:
        w_exc = conductance_for_delta_psp(weight_jump, parameters["cm"],
                                          parameters["tau_syn_E"], parameters["e_rev_E"],
                                          v_mean)
        w_inh = conductance_for_delta_psp(g * weight_jump, parameters["cm"],
                                          parameters["tau_syn_I"], parameters["e_rev_I"],
                                          v_mean)
        k = as_count("brunel_network", "pool_in_degree", pool_in_degree, low=1)
        if k > n:
            raise ValueError(f"brunel_network: pool_in_degree={k} exceeds the pool of "
                             f"{n} sources")
        pool = Population(n, SpikeSourcePoisson(rate=external_rate / k), label="external")
        external_exc = external_inh = pool
        sources = [pool]
        to_exc, to_inh = FixedNumberPreConnector(k), FixedNumberPreConnector(k)
    else:
        # one source per neuron carrying all of its C_E external synapses
        w_exc, w_inh = weight_jump, -g * weight_jump
        drive = SpikeSourcePoisson(rate=external_rate)
        external_exc = Population(n_exc, drive, label="external E")
        external_inh = Population(n_inh, drive, label="external I")
        sources = [external_exc, external_inh]
        to_exc, to_inh = OneToOneConnector(), OneToOneConnector()
    excitatory = StaticSynapse(w_exc, delay)
    inhibitory = StaticSynapse(w_inh, delay)
    return Network(
        exc, inh, *sources,
        Projection(exc, exc, FixedNumberPreConnector(in_exc, False), excitatory,
                   label="E->E"),
        Projection(exc, inh, FixedNumberPreConnector(in_exc, False), excitatory,
                   label="E->I"),
        Projection(inh, exc, FixedNumberPreConnector(in_inh, False), inhibitory,
                   receptor_type="inhibitory", label="I->E"),
        Projection(inh, inh, FixedNumberPreConnector(in_inh, False), inhibitory,
                   receptor_type="inhibitory", label="I->I"),
        Projection(external_exc, exc, to_exc, excitatory, label="external->E"),
        Projection(external_inh, inh, to_inh, excitatory, label="external->I"),
        label=f"balanced random network ({flavour}, N={n}, g={g:g}, eta={eta:g})")
