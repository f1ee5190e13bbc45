"""Time and energy on the wafer and the emulator, and the break-even of the wafer."""

import numpy as np
import pytest
import xarray as xr

from bss1lab.experiments import cost, payoff
from bss1lab.hardware.spec import (CONFIGURATION_TIME_S, MODULE_POWER_W,
                                   RECONFIGURATION_TIME_S)


def measured(duration_ms=2000.0, wall=3.0, cpu=5.0, events=4e8, speedup=1e4):
    """A result's attrs as an emulator run would leave them."""
    return xr.Dataset(attrs={"duration_ms": duration_ms, "wall_time_s": wall,
                             "cpu_time_s": cpu, "synaptic_events": events,
                             "speedup": speedup, "mapping_time_s": 0.2})


def test_cost_of_a_run_on_the_wafer_and_the_emulator():
    c = cost(measured())
    wafer, emulator = c.sel(machine="wafer"), c.sel(machine="emulator")
    assert float(wafer.run_time_s) == pytest.approx(2.0 / 1e4)       # bio / speed-up
    assert float(wafer.run_energy_j) == pytest.approx(MODULE_POWER_W * 2e-4)
    assert float(wafer.synaptic_events_per_s) == pytest.approx(4e8 / 2e-4)
    assert float(emulator.run_energy_j) == pytest.approx(5.0 * 5.0)  # CPU s x 5 W
    assert float(emulator.real_time_factor) == pytest.approx(1.5)
    assert float(wafer.setup_time_s) == CONFIGURATION_TIME_S
    whole = cost(measured(), machine_power=60.0)
    assert float(whole.run_energy_j.sel(machine="emulator")) == pytest.approx(180.0)
    with pytest.raises(ValueError, match="lacks"):
        cost(xr.Dataset())


def test_payoff_is_where_the_two_times_cross():
    result = payoff(measured(), runs=[1, 10])
    r = 1.5  # emulator seconds per bio second
    for k, t in zip([1, 10], result.break_even_time_s.values):
        wafer = CONFIGURATION_TIME_S + (k - 1) * RECONFIGURATION_TIME_S + k * t / 1e4
        assert wafer == pytest.approx(k * t * r)
    # the more runs, the shorter each may be; energy needs longer runs here (2 kW
    # against 10 W of two cores)
    assert result.break_even_time_s.values[1] < result.break_even_time_s.values[0]
    assert np.all(result.break_even_energy_s.values > result.break_even_time_s.values)
    # an emulator faster than the wafer never loses
    assert np.isinf(payoff(measured(wall=1e-5, cpu=1e-5), runs=3).break_even_time_s).all()
