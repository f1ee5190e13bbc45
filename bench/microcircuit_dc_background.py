"""The microcircuit with a DC background: where in-degree downscaling loses its state.

Potjans & Diesmann's model at 10 % of the neurons, ideal, with van Albada's
compensation, for several K_scaling: each population's rate with the Poisson
background and with its mean as a DC (``microcircuit_network(background=...)``),
and, at the smallest K, the DC network started with a Poisson drive of the same mean
for its first ``--kick`` ms (a step current takes that mean off again): does the
asynchronous state survive when only the drive's fluctuations go? Also each
population's membrane potential under its DC alone (the silent network's).
The numbers behind ``microcircuit.DC_MIN_K_SCALING``.

Prints and saves JSON. Usage:
python bench/microcircuit_dc_background.py [--duration MS] [--kick MS] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np

N_SCALING = 0.1
K_SCALINGS = (0.1, 0.15, 0.2, 0.25, 0.5)
#: Rates are counted from here on (ms): the onset transient is over.
T_START_MS = 200.0


def rates(network, duration, t_stop=None, t_start=T_START_MS):
    from bss1lab.experiments import population_rates, run
    from bss1lab.hardware import Wafer
    from bss1lab.network.microcircuit import POPULATIONS

    ds = run(network, duration, wafer=Wafer.ideal(), seed=2)
    return ds, population_rates(ds, t_start=t_start, t_stop=t_stop).sel(
        population=list(POPULATIONS)).values


def kicked(k_scaling, duration, kick):
    """The DC network, plus for ``kick`` ms the Poisson background with its mean
    taken off by a step current: rates while kicked, just after, and at the end."""
    from bss1lab.network import (Network, OneToOneConnector, Population, Projection,
                                 SpikeSourcePoisson, StepCurrentSource)
    from bss1lab.network.microcircuit import (BACKGROUND_RATE_HZ, CELL_PARAMETERS,
                                              EXTERNAL_IN_DEGREES, POPULATIONS,
                                              microcircuit_network)
    from bss1lab.network.psp import psc_for_psp

    dc = microcircuit_network(N_scaling=N_SCALING, K_scaling=k_scaling, background="dc")
    poisson = microcircuit_network(N_scaling=N_SCALING, K_scaling=k_scaling)
    targets = {p.label: p for p in dc.populations}
    extra = []
    for projection in poisson.projections:
        if projection.label.startswith("background->"):
            source = projection.pre
            drive = Population(source.size, SpikeSourcePoisson(
                rate=source.cell_type.parameters["rate"], duration=kick), label=source.label)
            extra += [drive, Projection(drive, targets[projection.post.label],
                                        OneToOneConnector(), projection.synapse_type,
                                        label=projection.label)]
    psc = psc_for_psp(0.15, CELL_PARAMETERS["cm"], CELL_PARAMETERS["tau_m"],
                      CELL_PARAMETERS["tau_syn_E"])
    for label, k_ext in zip(POPULATIONS, EXTERNAL_IN_DEGREES):
        mean = np.sqrt(k_scaling) * psc * k_ext * BACKGROUND_RATE_HZ * 1e-3 * \
            CELL_PARAMETERS["tau_syn_E"]  # nA: the kick's mean, taken off again
        targets[label].inject(StepCurrentSource([0.0, kick], [-mean, 0.0]))
    ds, during = rates(Network(*dc.populations, *dc.projections, *extra), duration,
                       t_stop=kick)
    from bss1lab.experiments import population_rates
    after = population_rates(ds, t_start=kick, t_stop=kick + 20.0).sel(
        population=list(POPULATIONS)).values
    end = population_rates(ds, t_start=duration - 500.0).sel(
        population=list(POPULATIONS)).values
    return during, after, end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1500.0, help="bio ms")
    parser.add_argument("--kick", type=float, default=300.0, help="bio ms")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results"
                        / "microcircuit_dc_background.json")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from bss1lab.network.microcircuit import POPULATIONS, microcircuit_network

    result = {"N_scaling": N_SCALING, "duration_ms": args.duration,
              "t_start_ms": T_START_MS, "populations": list(POPULATIONS), "runs": []}
    for k in K_SCALINGS:
        row = {"K_scaling": k}
        for background in ("poisson", "dc"):
            network = microcircuit_network(N_scaling=N_SCALING, K_scaling=k,
                                           background=background)
            row[f"rate_{background}_hz"] = rates(network, args.duration)[1].round(3).tolist()
            if background == "dc":
                cells = [network.population(p).cell_type.parameters for p in POPULATIONS]
                row["dc_free_potential_mv"] = [
                    round(c["v_rest"] + c["i_offset"] * c["tau_m"] / c["cm"], 2)
                    for c in cells]
        row["dc_over_poisson"] = (np.array(row["rate_dc_hz"])
                                  / np.array(row["rate_poisson_hz"])).round(3).tolist()
        print(json.dumps(row), flush=True)
        result["runs"].append(row)
    during, after, end = kicked(K_SCALINGS[0], args.duration, args.kick)
    result["kick"] = {"K_scaling": K_SCALINGS[0], "kick_ms": args.kick,
                      "rate_kicked_hz": during.round(3).tolist(),
                      "rate_20ms_after_hz": after.round(3).tolist(),
                      "rate_last_500ms_hz": end.round(3).tolist()}
    print(json.dumps(result["kick"]), flush=True)
    args.output.parent.mkdir(exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
