"""Connectors with PyNN's names: which pre cells connect to which post cells.

A connector describes a rule; ``connect`` applies it with a seeded generator and
returns the (pre, post) index pairs, local to the two populations.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from bss1lab.network.sampling import sample_partners
from bss1lab.validation import as_count, as_flag, as_number, as_numbers

__all__ = [
    "Connector", "AllToAllConnector", "OneToOneConnector", "FixedProbabilityConnector",
    "FixedNumberPreConnector", "FixedTotalNumberConnector", "FromListConnector",
]


class Connector:
    """Base of all connectors.

    Parameters
    ----------
    allow_self_connections : bool
        When pre and post are the same population, whether a cell may connect to
        itself (an autapse).
    """

    def __init__(self, allow_self_connections: bool = True) -> None:
        self.allow_self_connections = as_flag(type(self).__name__, "allow_self_connections",
                                              allow_self_connections)

    def connect(self, n_pre: int, n_post: int, same_population: bool,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Realise the rule: local ``(pre, post)`` int64 index arrays, one entry per connection.

        Parameters
        ----------
        n_pre, n_post : int
            Sizes of the pre- and postsynaptic populations.
        same_population : bool
            True when pre and post are the same population (autapses possible).
        rng : numpy.random.Generator
            Source of randomness; advanced in place. The result must depend on
            nothing else, so that a projection can be drawn again identically.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement connect()")

    def expected_count(self, n_pre: int, n_post: int, same_population: bool
                       ) -> float | None:
        """How many connections ``connect`` makes on average, to size memory before
        drawing (see ``realise``).

        Parameters
        ----------
        n_pre, n_post, same_population
            As for ``connect``.

        Returns
        -------
        float or None
            The mean number of connections; None when the rule cannot tell (the
            default, for connectors that only implement ``connect``).
        """
        return None

    def _pairs(self, n_pre: int, n_post: int, same_population: bool) -> int:
        """Distinct (pre, post) pairs the rule may use."""
        return n_post * (n_pre - 1 if self._no_autapses(same_population) else n_pre)

    def _no_autapses(self, same_population: bool) -> bool:
        return same_population and not self.allow_self_connections

    def _excluded(self, n_post: int, same_population: bool) -> np.ndarray:
        if self._no_autapses(same_population):
            return np.arange(n_post, dtype=np.int64)
        return np.full(n_post, -1, dtype=np.int64)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class AllToAllConnector(Connector):
    """Every pre cell connects to every post cell."""

    def connect(self, n_pre, n_post, same_population, rng):
        post, pre = np.divmod(np.arange(n_pre * n_post, dtype=np.int64), n_pre)
        if self._no_autapses(same_population):
            keep = pre != post
            pre, post = pre[keep], post[keep]
        return pre, post

    def expected_count(self, n_pre, n_post, same_population):
        return float(self._pairs(n_pre, n_post, same_population))


class OneToOneConnector(Connector):
    """Cell i of pre connects to cell i of post; the populations must be equally large."""

    def connect(self, n_pre, n_post, same_population, rng):
        if n_pre != n_post:
            raise ValueError(f"OneToOneConnector needs equally large populations, got "
                             f"{n_pre} pre and {n_post} post cells")
        if self._no_autapses(same_population):
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        index = np.arange(n_pre, dtype=np.int64)
        return index, index.copy()

    def expected_count(self, n_pre, n_post, same_population):
        return 0.0 if self._no_autapses(same_population) else float(min(n_pre, n_post))


class FixedProbabilityConnector(Connector):
    """Each (pre, post) pair connects independently with probability ``p_connect``."""

    def __init__(self, p_connect: float, allow_self_connections: bool = True) -> None:
        super().__init__(allow_self_connections)
        self.p_connect = as_number("FixedProbabilityConnector", "p_connect", p_connect,
                                   low=0.0, high=1.0)

    def connect(self, n_pre, n_post, same_population, rng):
        excluded = self._excluded(n_post, same_population)
        n_candidates = n_pre - (excluded >= 0)
        # Bernoulli trials per pair are, per post cell, a binomial count of distinct pres.
        counts = rng.binomial(n_candidates, self.p_connect).astype(np.int64)
        pre = sample_partners(rng, counts, n_pre, excluded, False)
        return pre, np.repeat(np.arange(n_post, dtype=np.int64), counts)

    def expected_count(self, n_pre, n_post, same_population):
        return self.p_connect * self._pairs(n_pre, n_post, same_population)


class FixedNumberPreConnector(Connector):
    """Each post cell receives exactly ``n`` connections (fixed in-degree).

    Parameters
    ----------
    n : int
        In-degree.
    with_replacement : bool
        Whether the same pre cell may be drawn twice for one post cell (multapses).
    """

    def __init__(self, n: int, allow_self_connections: bool = True,
                 with_replacement: bool = False) -> None:
        super().__init__(allow_self_connections)
        self.n = as_count("FixedNumberPreConnector", "n", n)
        self.with_replacement = as_flag(type(self).__name__, "with_replacement",
                                        with_replacement)

    def connect(self, n_pre, n_post, same_population, rng):
        excluded = self._excluded(n_post, same_population)
        available = n_pre - (1 if self._no_autapses(same_population) else 0)
        if not self.with_replacement and self.n > available:
            raise ValueError(f"FixedNumberPreConnector: n={self.n} exceeds the {available} "
                             "distinct pre cells available; allow with_replacement=True "
                             "or lower n")
        if self.n > 0 and available <= 0:
            raise ValueError("FixedNumberPreConnector: no pre cell is available")
        counts = np.full(n_post, self.n, dtype=np.int64)
        pre = sample_partners(rng, counts, n_pre, excluded, self.with_replacement)
        return pre, np.repeat(np.arange(n_post, dtype=np.int64), counts)

    def expected_count(self, n_pre, n_post, same_population):
        return float(self.n * n_post)


class FixedTotalNumberConnector(Connector):
    """Exactly ``n`` connections between the two populations, pairs drawn uniformly.

    Parameters
    ----------
    n : int
        Total number of connections.
    with_replacement : bool
        Whether a pair may be drawn more than once (multapses); PyNN's default is True.
    """

    def __init__(self, n: int, allow_self_connections: bool = True,
                 with_replacement: bool = True) -> None:
        super().__init__(allow_self_connections)
        self.n = as_count("FixedTotalNumberConnector", "n", n)
        self.with_replacement = as_flag(type(self).__name__, "with_replacement",
                                        with_replacement)

    def connect(self, n_pre, n_post, same_population, rng):
        no_autapses = self._no_autapses(same_population)
        # Pairs are indexed post * n_pre + pre; without autapses the diagonal is removed
        # by drawing from n_post rows of (n_pre - 1) and skipping pre == post.
        row_length = n_pre - 1 if no_autapses else n_pre
        n_pairs = self._pairs(n_pre, n_post, same_population)
        if not self.with_replacement and self.n > n_pairs:
            raise ValueError(f"FixedTotalNumberConnector: n={self.n} exceeds the {n_pairs} "
                             "distinct pairs available")
        if self.n > 0 and n_pairs <= 0:
            raise ValueError("FixedTotalNumberConnector: no pair is available")
        flat = sample_partners(rng, np.array([self.n], dtype=np.int64), n_pairs,
                               np.array([-1], dtype=np.int64), self.with_replacement)
        # in place: at 45 M connections each int64 copy is 360 MB
        post = flat // row_length
        pre = np.remainder(flat, row_length, out=flat)
        if no_autapses:
            pre += pre >= post
        return pre, post

    def expected_count(self, n_pre, n_post, same_population):
        return float(self.n)


class FromListConnector(Connector):
    """Connections given explicitly as rows ``(pre, post)`` or ``(pre, post, weight, delay)``.

    Parameters
    ----------
    conn_list : sequence of tuples or 2-D array
        Local indices of pre and post cells, optionally with weight (in the weight
        units of the post cell type) and delay (ms) per connection, which then replace
        the synapse's.
    """

    def __init__(self, conn_list: Sequence[Sequence[float]] | np.ndarray) -> None:
        super().__init__(allow_self_connections=True)
        array = np.asarray(as_numbers("FromListConnector", "conn_list", conn_list)
                           ).reshape(np.shape(conn_list))
        if array.size == 0:
            array = array.reshape(0, 2)
        if array.ndim != 2 or array.shape[1] not in (2, 3, 4):
            raise ValueError("FromListConnector: conn_list must have rows (pre, post), "
                             f"(pre, post, weight) or (pre, post, weight, delay); got shape "
                             f"{array.shape}")
        if not np.all(np.isfinite(array)):
            raise ValueError("FromListConnector: conn_list must be finite")
        indices = array[:, :2]
        if np.any(indices < 0) or np.any(indices != np.round(indices)):
            raise ValueError("FromListConnector: pre and post must be whole numbers >= 0")
        self.conn_list = array

    @property
    def weights(self) -> np.ndarray | None:
        """Per-connection weights, if the list gives them."""
        return self.conn_list[:, 2] if self.conn_list.shape[1] >= 3 else None

    @property
    def delays(self) -> np.ndarray | None:
        """Per-connection delays in ms, if the list gives them."""
        return self.conn_list[:, 3] if self.conn_list.shape[1] == 4 else None

    def connect(self, n_pre, n_post, same_population, rng):
        pre = self.conn_list[:, 0].astype(np.int64)
        post = self.conn_list[:, 1].astype(np.int64)
        if pre.size and (pre.max() >= n_pre or post.max() >= n_post):
            raise ValueError(f"FromListConnector: indices exceed the populations "
                             f"(pre < {n_pre}, post < {n_post} required; got max pre "
                             f"{pre.max()}, max post {post.max()})")
        return pre, post

    def expected_count(self, n_pre, n_post, same_population):
        return float(len(self.conn_list))

    def __repr__(self) -> str:
        return f"FromListConnector({len(self.conn_list)} connections)"
