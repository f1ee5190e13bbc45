"""ipywidgets panels built from ``bss1lab.plotting`` and jupyter_bokeh. Importing
``bss1lab`` never imports this package, so the library stays usable without Jupyter.

Each panel runs its experiment when a control is released or a number typed into its
box (in a background thread, with a progress bar; a run the user has moved on from is
stopped and dropped), keeps the last result in ``panel.result`` and shows the code
that reproduces it, made from the same description of the call (``Call``).
"""

from .base import Panel
from .calls import Call
from .figures import Figure, ensure_bokehjs
from .calibration import CalibrationPanel
from .microcircuit import MicrocircuitPanel
from .random_network import RandomNetworkPanel
from .single_neuron import SingleNeuronPanel

__all__ = ["Panel", "Call", "Figure", "ensure_bokehjs", "SingleNeuronPanel",
           "CalibrationPanel", "RandomNetworkPanel", "MicrocircuitPanel"]
