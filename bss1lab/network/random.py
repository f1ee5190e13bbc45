"""Random distributions for parameters, weights and delays (PyNN's ``RandomDistribution``).

A distribution only describes how to draw; the numbers are drawn when a network is
mapped, from the generator seeded for that mapping, so the same seed gives the same
network.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from bss1lab.validation import as_number

__all__ = ["RandomDistribution"]


def _normal_clipped(rng: np.random.Generator, size: int, mu: float, sigma: float,
                    low: float, high: float) -> np.ndarray:
    """Normal draws redrawn until they fall inside [low, high] (PyNN's ``normal_clipped``)."""
    values = rng.normal(mu, sigma, size)
    outside = (values < low) | (values > high)
    for _ in range(1000):
        if not outside.any():
            return values
        values[outside] = rng.normal(mu, sigma, int(outside.sum()))
        outside = (values < low) | (values > high)
    raise ValueError(
        f"normal_clipped(mu={mu}, sigma={sigma}, low={low}, high={high}): the interval "
        "holds almost none of the distribution's mass; widen [low, high]")


# name -> (parameter names in PyNN's order, draw function)
_DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], Callable[..., np.ndarray]]] = {
    "uniform": (("low", "high"), lambda rng, n, low, high: rng.uniform(low, high, n)),
    "normal": (("mu", "sigma"), lambda rng, n, mu, sigma: rng.normal(mu, sigma, n)),
    "normal_clipped": (("mu", "sigma", "low", "high"), _normal_clipped),
    "lognormal": (("mu", "sigma"), lambda rng, n, mu, sigma: rng.lognormal(mu, sigma, n)),
    "exponential": (("beta",), lambda rng, n, beta: rng.exponential(beta, n)),
    "gamma": (("k", "theta"), lambda rng, n, k, theta: rng.gamma(k, theta, n)),
}


class RandomDistribution:
    """A named probability distribution, drawn from at mapping time.

    Parameters
    ----------
    name : str
        One of ``uniform(low, high)``, ``normal(mu, sigma)``,
        ``normal_clipped(mu, sigma, low, high)``, ``lognormal(mu, sigma)``,
        ``exponential(beta)``, ``gamma(k, theta)``.
    *args, **kwargs
        The distribution's parameters, positionally in the order above or by name,
        in the units of the quantity drawn (e.g. mV for ``v_rest``).

    Examples
    --------
    >>> RandomDistribution("normal", mu=-65.0, sigma=2.0)
    RandomDistribution('normal', mu=-65.0, sigma=2.0)
    """

    def __init__(self, name: str, *args: float, **kwargs: float) -> None:
        if not isinstance(name, str) or name not in _DISTRIBUTIONS:
            raise ValueError(f"RandomDistribution: unknown distribution {name!r}; "
                             f"allowed: {sorted(_DISTRIBUTIONS)}")
        names, _ = _DISTRIBUTIONS[name]
        if len(args) > len(names):
            raise ValueError(f"RandomDistribution({name!r}) takes {len(names)} parameters "
                             f"{names}, got {len(args)} positional values")
        params = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise ValueError(f"RandomDistribution({name!r}): unknown parameter {key!r}; "
                                 f"allowed: {names}")
            if key in params:
                raise ValueError(f"RandomDistribution({name!r}): {key!r} given twice")
            params[key] = value
        missing = [key for key in names if key not in params]
        if missing:
            raise ValueError(f"RandomDistribution({name!r}): missing parameters {missing}")
        params = {key: as_number(f"RandomDistribution({name!r})", key, value)
                  for key, value in params.items()}
        if name == "uniform" and params["low"] > params["high"]:
            raise ValueError(f"RandomDistribution('uniform'): low={params['low']} > "
                             f"high={params['high']}")
        if name == "normal_clipped" and params["low"] >= params["high"]:
            raise ValueError(f"RandomDistribution('normal_clipped'): low={params['low']} >= "
                             f"high={params['high']}")
        for key in ("sigma", "beta", "k", "theta"):
            if key in params and params[key] < 0:
                raise ValueError(f"RandomDistribution({name!r}): {key}={params[key]} must be >= 0")
        self.name = name
        self.parameters = {key: float(params[key]) for key in names}

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` values as a float64 array."""
        _, function = _DISTRIBUTIONS[self.name]
        return np.asarray(function(rng, int(size), **self.parameters), dtype=np.float64)

    def bounds(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can produce."""
        p = self.parameters
        if self.name == "uniform":
            return p["low"], p["high"]
        if self.name == "normal_clipped":
            return p["low"], p["high"]
        if self.name in ("lognormal", "exponential", "gamma"):
            return 0.0, np.inf
        return -np.inf, np.inf

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.parameters.items())
        return f"RandomDistribution({self.name!r}, {args})"
