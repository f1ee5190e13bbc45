"""bokeh figures of the result Datasets.

Each plot is a small object: build it from a Dataset, show ``plot.figure`` (in a
notebook as ``bss1lab.widgets.Figure(plot.figure)``, which brings BokehJS into the
page; in a panel; or saved as HTML), and call
``plot.update(ds)`` with a new Dataset to redraw it in place (the figure's data
sources change; the figure, its tools and the user's zoom stay). Times are
biological; hovering shows the same instant on the wafer (biological time /
speed-up).

Plots: :class:`Raster`, :class:`Traces`, :class:`PopulationRate`,
:class:`Histogram` (rates or CVs per population), :class:`Comparison` (wafer vs
ideal, and a published reference), :class:`WaferMap` (HICANN grid with the wafer's
losses as layers), :class:`PhaseDiagram` (a g x eta sweep) and
:class:`Calibration` (a parameter's spread before and after calibration).
"""

from bss1lab.plotting.maps import Calibration, PhaseDiagram, WaferMap
from bss1lab.plotting.runs import (Comparison, Histogram, PopulationRate, Raster, Traces,
                                   population_colors)

__all__ = ["Raster", "Traces", "PopulationRate", "Histogram", "Comparison", "WaferMap",
           "PhaseDiagram", "Calibration", "population_colors"]
