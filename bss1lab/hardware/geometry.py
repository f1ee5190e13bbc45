"""Where the HICANNs sit on the wafer, which FPGA serves each, and how far apart
they are (routing distance in HICANN hops)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from bss1lab.hardware.spec import (FPGAS_PER_WAFER, HICANNS_PER_WAFER, RETICLE_SHAPE,
                                   WAFER_GRID)

__all__ = ["WaferGeometry", "wafer_geometry"]

#: Reticles per row of reticles, top to bottom: the round wafer's 48 reticles of
#: 4 x 2 HICANNs, centred in the 36 x 16 grid (model of the layout: the counts are
#: those of the wafer, the exact outline is this emulator's choice).
RETICLES_PER_ROW = (3, 5, 7, 9, 9, 7, 5, 3)


@dataclass(frozen=True)
class WaferGeometry:
    """Grid position and FPGA of every HICANN, numbered row by row from the top left.

    Attributes
    ----------
    x, y : int arrays
        Column and row of each HICANN in the 36 x 16 grid.
    fpga : int array
        The FPGA (= reticle) each HICANN's links go through.
    """

    x: np.ndarray
    y: np.ndarray
    fpga: np.ndarray

    def hops(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Routing distance between HICANNs ``a`` and ``b`` (Manhattan, in HICANNs)."""
        return self._hop_table[a, b]

    @cached_property
    def _hop_table(self) -> np.ndarray:
        """The distance of every pair of HICANNs: one look-up per synapse instead of
        four (a mapping asks for the hops of every synapse)."""
        return (np.abs(self.x[:, None] - self.x[None, :])
                + np.abs(self.y[:, None] - self.y[None, :]))


@lru_cache(maxsize=1)
def wafer_geometry() -> WaferGeometry:
    """The wafer's 384 HICANNs on the grid."""
    width, height = RETICLE_SHAPE
    columns, _ = WAFER_GRID
    xs, ys, fpgas = [], [], []
    fpga = 0
    for reticle_row, count in enumerate(RETICLES_PER_ROW):
        first_column = (columns - count * width) // 2
        for row in range(height):
            y = reticle_row * height + row
            for reticle in range(count):
                for column in range(width):
                    xs.append(first_column + reticle * width + column)
                    ys.append(y)
                    fpgas.append(fpga + reticle)
        fpga += count
    order = np.lexsort((np.array(xs), np.array(ys)))  # row by row, left to right
    geometry = WaferGeometry(np.array(xs)[order], np.array(ys)[order],
                             np.array(fpgas)[order])
    assert geometry.x.size == HICANNS_PER_WAFER and fpga == FPGAS_PER_WAFER
    return geometry
