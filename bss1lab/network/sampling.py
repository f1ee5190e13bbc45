"""Fast sampling of connection partners (numba), used by the connectors."""

from __future__ import annotations

import numpy as np
from numba import njit


def sample_partners(rng: np.random.Generator, counts: np.ndarray, n_pool: int,
                    excluded: np.ndarray, with_replacement: bool) -> np.ndarray:
    """Draw ``counts[j]`` indices from ``range(n_pool)`` for every row ``j``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Advanced in place; the same state gives the same draws.
    counts : int64 array
        How many indices each row gets.
    n_pool : int
        Size of the pool the indices come from.
    excluded : int64 array
        Per row, one index that must not be drawn (the row's own cell, to avoid
        autapses), or -1.
    with_replacement : bool
        Whether an index may repeat within a row (multapses).

    Returns
    -------
    int64 array
        The rows' indices one after the other, each row's indices sorted.

    Examples
    --------
    >>> rows = sample_partners(np.random.default_rng(0), np.array([3, 2]), 10,
    ...                        np.array([0, -1]), False)
    >>> rows.shape, bool(np.all(rows[:3] > 0))
    ((5,), True)
    """
    # every row takes one uniform per index (Floyd's algorithm too): numpy draws them
    # all at once, the same numbers in the same order as one at a time (and faster)
    uniforms = rng.random(int(np.sum(counts)))
    # the keys replace the uniforms they are drawn from; only drawing without
    # replacement needs to remember what was taken (both made here, not inside
    # numba: DESIGN.md, performance shape)
    keys = uniforms.view(np.int64)
    taken = np.zeros(1 if with_replacement else int(n_pool), dtype=np.bool_)
    _draw_keys(uniforms, keys, counts, int(n_pool), excluded, bool(with_replacement),
               taken)
    # one numpy sort of the keys row * n_pool + index sorts every row at once, in
    # place: faster than numba's sort row by row, which would also be half of this
    # module's first compilation
    keys.sort()
    return np.remainder(keys, n_pool, out=keys)


@njit(cache=True)
def _draw_keys(uniforms, out, counts, n_pool, excluded, with_replacement, taken):
    """``sample_partners``'s draws as keys ``row * n_pool + index``, each row's in the
    order drawn, from one uniform on [0, 1) per index, into ``out``: ``uniforms``'
    memory as int64 (a key replaces the uniform it was drawn from). ``taken``: one
    False per index of the pool (drawing without replacement), left all False."""
    # int(u * m) for a 53-bit uniform u: uniform on range(m) up to 2**-22 relative
    # bias for any pool below 2**31, and ~20x faster than Generator.integers here
    position = 0
    for row in range(counts.shape[0]):
        k = counts[row]
        skip = excluded[row]
        n = n_pool - 1 if skip >= 0 else n_pool
        start = position
        if with_replacement:
            for _ in range(k):
                index = int(uniforms[position] * n)
                if skip >= 0 and index >= skip:
                    index += 1
                out[position] = index
                position += 1
        else:
            # Floyd's algorithm: k distinct indices in O(k) draws.
            for j in range(n - k, n):
                index = int(uniforms[position] * (j + 1))
                if taken[index]:
                    index = j
                taken[index] = True
                out[position] = index
                position += 1
            for p in range(start, position):
                taken[out[p]] = False
                if skip >= 0 and out[p] >= skip:
                    out[p] += 1
        for p in range(start, position):
            out[p] += row * n_pool
