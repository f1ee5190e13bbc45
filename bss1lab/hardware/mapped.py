"""The mapping's result: the network as the wafer realises it, which the emulator runs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Mapping, Sequence

import numpy as np

from bss1lab.hardware.placement import Placement
from bss1lab.hardware.plasticity import stp_models
from bss1lab.hardware.routing import Routing
from bss1lab.network.realise import RealisedNetwork
from bss1lab.validation import as_seed

if TYPE_CHECKING:
    from bss1lab.hardware.wafer import Wafer
    from bss1lab.network.model import Network

__all__ = ["MappedNetwork", "StpModel", "STP_MODELS"]

#: Short-term plasticity models a projection can run: Tsodyks-Markram as PyNN
#: describes it (NEST's tsodyks2_synapse: the ideal reference), or the synapse drivers'
#: circuit, depressing (with ``tau_rec``) or facilitating (with ``tau_facil``).
StpModel = Literal["tsodyks_markram", "wafer_depression", "wafer_facilitation"]
STP_MODELS: tuple[str, ...] = ("tsodyks_markram", "wafer_depression", "wafer_facilitation")


@dataclass
class MappedNetwork:
    """What the emulator runs: the network as the wafer realises it.

    Attributes
    ----------
    network : RealisedNetwork
        Cells, parameters and synapses as they really are on the (emulated) wafer,
        in biological units (lost synapses removed).
    wafer : Wafer
        The configuration that produced it.
    hicann : int16 array or None
        Per cell: its HICANN (neurons) or input HICANN (sources); None when ideal.
    saturation : float64 array (2, cells)
        uS where each cell's excitatory (row 0) and inhibitory (row 1) synaptic input
        saturates; 0: never (``hardware.saturation``).
    stp_models : tuple of StpModel or None
        Per projection: the short-term plasticity model its synapses run, None for
        static ones (``hardware.plasticity``). Its parameters are the network's
        ``projection_plasticity`` (U, tau_rec, tau_facil).
    input_link, input_fpga : int64 arrays (cells)
        The HICANN link and the FPGA each spike source's events pass through, -1:
        unlimited (``hardware.links``).
    input_link_rate_hz, input_fpga_rate_hz : float
        Events per second of biological time one link, one FPGA serves.
    n_input_links, n_fpgas : int
        How many links and FPGAs there are (sizes of the buffers and counts).
    readout_hicann : int64 array (cells)
        The HICANN whose readout each cell's recorded spikes leave through, -1:
        unlimited (``hardware.links``).
    readout_rate_hz : float
        Events per second of biological time one readout serves.
    n_readouts : int
        How many readouts there are.
    buffer_events : float
        Events each link's (input and readout) FIFO holds.
    report : dict
        What the mapping changed or lost, for the result's attrs (numbers only).
    projection_report : dict of str to array
        Per projection: ``synapses_requested``, ``synapses_realised``,
        ``weight_quantization_error`` (mean relative error of the 4-bit weights).
    hicann_report : dict of str to array
        Per HICANN of the wafer: ``neurons_placed``, ``drivers_needed``,
        ``drivers_used``.
    requested : RealisedNetwork or None
        The network as drawn, before any hardware effect: what reprogramming and
        reconfiguring program again. None when ideal.
    placement, routing : Placement, Routing or None
        Where the cells sit and which synapses are realised on which rows; kept by
        reprogramming and reconfiguring. None when ideal.

    A mapping is saved with :meth:`save` and read back with :meth:`load` (netCDF);
    ``reprogram``, ``with_weights``, ``with_rates``, ``with_spike_times`` and
    ``with_network`` return new mappings on the same placement and routing.
    """

    network: RealisedNetwork
    wafer: "Wafer"
    hicann: np.ndarray | None = None
    saturation: np.ndarray | None = None
    stp_models: tuple | None = None
    input_link: np.ndarray | None = None
    input_fpga: np.ndarray | None = None
    input_link_rate_hz: float = np.inf
    input_fpga_rate_hz: float = np.inf
    n_input_links: int = 0
    n_fpgas: int = 0
    readout_hicann: np.ndarray | None = None
    readout_rate_hz: float = np.inf
    n_readouts: int = 0
    buffer_events: float = 0.0
    report: dict = field(default_factory=dict)
    projection_report: dict = field(default_factory=dict)
    hicann_report: dict = field(default_factory=dict)
    requested: RealisedNetwork | None = None
    placement: Placement | None = None
    routing: Routing | None = None

    def __post_init__(self) -> None:
        """Fill what a mapping left out with the neutral values of the ideal
        reference: no saturation, Tsodyks-Markram, no limited link."""
        n = self.network.n_cells
        if self.saturation is None:
            self.saturation = np.zeros((2, n))
        if self.stp_models is None:
            self.stp_models = stp_models(self.network, on_wafer=False)
        for name in ("input_link", "input_fpga", "readout_hicann"):
            if getattr(self, name) is None:
                setattr(self, name, np.full(n, -1, dtype=np.int64))

    @property
    def speedup(self) -> float:
        return self.wafer.speedup

    # --- reconfiguration without remapping (hardware.reconfigure) ----------------------

    def realised_network(self) -> "Network":
        """A plain ``Network`` of exactly what was realised: per-neuron parameters,
        the surviving synapses as FromList projections with their realised weights
        and delays (``bss1lab.hardware.realised.realised_network``); the co-execution
        step of running the wafer's network in NEST or on the ideal reference."""
        from bss1lab.hardware.realised import realised_network
        return realised_network(self)

    def reprogram(self, trial: int) -> "MappedNetwork":
        """The same network on the same chip, its floating gates programmed anew.

        Parameters
        ----------
        trial : int
            Seeds the fresh trial-to-trial deviation (the first mapping is trial 0);
            the chip's fixed pattern is kept, and so are the placement and routing.

        Returns
        -------
        MappedNetwork
            A new mapping (this one is unchanged); its ``report["configuration_time_s"]``
            is the wafer's reconfiguration time (``RECONFIGURATION_TIME_S``, s).

        Examples
        --------
        >>> from bss1lab.hardware import Wafer
        >>> from bss1lab.network.brunel import brunel_network
        >>> mapped = Wafer().map(brunel_network("hardware", n_neurons=200), seed=1)
        >>> mapped.reprogram(1).report["trial"]
        1
        """
        trial = as_seed("MappedNetwork.reprogram", "trial", trial)
        reconfigure.on_the_wafer(self, "reprogram")
        return pipeline.program(self.wafer, self.requested, self.placement, self.routing,
                                trial=trial, reconfiguration=True)

    def with_weights(self, scale: Mapping[str, float] | None = None,
                     values: Mapping[str, float | np.ndarray] | None = None
                     ) -> "MappedNetwork":
        """The same mapping with some projections' weights scaled or set.

        The requested weights change; the wafer then quantizes them again to 4 bits
        on the same synapse rows and applies the same fixed distortion (same chip,
        same seeds). Placement and routing are kept.

        Parameters
        ----------
        scale : mapping of projection label to float, optional
            Multiply the projection's requested weights by this factor (>= 0).
        values : mapping of projection label to float or array, optional
            Set the projection's requested weights (the post cell type's units: uS
            for conductance-based cells): one value, or one per requested synapse.

        Returns
        -------
        MappedNetwork
            A new mapping (this one is unchanged); ``report["configuration_time_s"]``
            is ``RECONFIGURATION_TIME_S`` (s) on the wafer and
            ``report["reconfigured_projections"]`` how many projections changed.

        Raises
        ------
        KeyError
            For a label that is not a projection.
        ValueError
            For a negative factor, a weight of the wrong sign or size, or a label in
            both ``scale`` and ``values``.

        Examples
        --------
        >>> from bss1lab.hardware import Wafer
        >>> from bss1lab.network.brunel import brunel_network
        >>> mapped = Wafer().map(brunel_network("hardware", n_neurons=200), seed=1)
        >>> stronger = mapped.with_weights(scale={"I->E": 1.5, "I->I": 1.5})
        >>> stronger.report["configuration_time_s"], stronger.report["reconfigured_projections"]
        (5.0, 2)
        """
        return reconfigure.with_weights(self, scale, values)

    def with_rates(self, rates: Mapping[str, float | np.ndarray]) -> "MappedNetwork":
        """The same mapping with some Poisson sources' rates changed.

        Parameters
        ----------
        rates : mapping of population label to float or array
            Hz (>= 0), one value or one per cell of a ``SpikeSourcePoisson``
            population. The sources keep their input links: rates above what a link
            carries are dropped there (and counted), as on the wafer.

        Returns
        -------
        MappedNetwork
            A new mapping (this one is unchanged), ``report["reconfigured_sources"]``
            populations changed at ``RECONFIGURATION_TIME_S`` (s).

        Examples
        --------
        >>> from bss1lab.hardware import Wafer
        >>> from bss1lab.network.brunel import brunel_network
        >>> mapped = Wafer().map(brunel_network("hardware", n_neurons=200), seed=1)
        >>> slower = mapped.with_rates({"external": 5.0})
        >>> float(slower.network.population("external").parameters["rate"][0])
        5.0
        """
        return reconfigure.with_rates(self, rates)

    def with_spike_times(self, spike_times: Mapping[str, Sequence]) -> "MappedNetwork":
        """The same mapping with some ``SpikeSourceArray`` populations' spikes changed.

        Parameters
        ----------
        spike_times : mapping of population label to times
            ms, as ``SpikeSourceArray(spike_times=...)`` takes them: one array for
            every cell, or one array per cell.

        Returns
        -------
        MappedNetwork
            A new mapping (this one is unchanged), at ``RECONFIGURATION_TIME_S`` (s).

        Examples
        --------
        >>> from bss1lab.hardware import Wafer
        >>> from bss1lab.network import (IF_cond_exp, Network, Population, Projection,
        ...                              AllToAllConnector, SpikeSourceArray, StaticSynapse)
        >>> stim = Population(2, SpikeSourceArray([10.0]), label="stim")
        >>> cells = Population(4, IF_cond_exp(), label="cells")
        >>> net = Network(stim, cells, Projection(stim, cells, AllToAllConnector(),
        ...                                       StaticSynapse(weight=0.01)))
        >>> later = Wafer().map(net, seed=1).with_spike_times({"stim": [20.0, 30.0]})
        >>> later.network.population("stim").parameters["spike_times"][1].tolist()
        [20.0, 30.0]
        """
        return reconfigure.with_spike_times(self, spike_times)

    def with_network(self, network: "Network",
                     seed: int | np.random.SeedSequence | None = None) -> "MappedNetwork":
        """This mapping reconfigured to ``network``: same structure, new values.

        ``network`` is drawn with ``seed`` (as ``Wafer.map`` would) and must have the
        same populations (labels, sizes, cell types) and the same connections; its
        weights, rates, spike times and neuron parameters may differ and are
        programmed on the kept placement and routing.

        Parameters
        ----------
        network : Network
        seed : int or SeedSequence, optional
            The seed the mapping was drawn with: an int, or a SeedSequence equal to
            the one given to ``Wafer.map`` but not yet spawned from (``spawn``
            advances it, and the connections would then differ).

        Returns
        -------
        MappedNetwork
            A new mapping at ``RECONFIGURATION_TIME_S`` (s), with
            ``reconfigured_projections``, ``reconfigured_sources`` and
            ``reconfigured_populations`` counted in its report.

        Raises
        ------
        NeedsNewMapping
            When the structure differs (sizes, connectors, cell types): that needs
            a new mapping (``Wafer.map``).

        Examples
        --------
        >>> from bss1lab.hardware import Wafer
        >>> from bss1lab.network.brunel import brunel_network
        >>> mapped = Wafer().map(brunel_network("hardware", n_neurons=200, eta=4.0), seed=1)
        >>> mapped.with_network(brunel_network("hardware", n_neurons=200, eta=2.0),
        ...                     seed=1).report["reconfigured_sources"]
        1
        """
        return reconfigure.with_network(self, network, seed)

    # --- persistence (hardware.store) ----------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write this mapping to a netCDF file (see ``hardware.store`` for the format).

        Parameters
        ----------
        path : str or path-like
            The file to write (``.nc``); an existing file is replaced.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from bss1lab.hardware import MappedNetwork, Wafer
        >>> from bss1lab.network.brunel import brunel_network
        >>> mapped = Wafer().map(brunel_network("hardware", n_neurons=200), seed=1)
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "brunel.nc"
        >>> mapped.save(path)
        >>> MappedNetwork.load(path).report == mapped.report
        True
        """
        store.save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "MappedNetwork":
        """Read a mapping written by :meth:`save`.

        Running it gives the same results, bit for bit, as running the mapping that
        was saved.

        Parameters
        ----------
        path : str or path-like
            A netCDF file written by :meth:`save`.

        Returns
        -------
        MappedNetwork

        Raises
        ------
        ValueError
            When the file is not a saved mapping, or was written in another format
            version (both versions are named).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from bss1lab.emulator.engine import Emulation
        >>> from bss1lab.hardware import MappedNetwork, Wafer
        >>> from bss1lab.network.brunel import brunel_network
        >>> mapped = Wafer().map(brunel_network("hardware", n_neurons=200), seed=1)
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "brunel.nc"
        >>> mapped.save(path)
        >>> first = Emulation(mapped, 5).run(50.0)
        >>> again = Emulation(MappedNetwork.load(path), 5).run(50.0)
        >>> bool((first.spike_time == again.spike_time).all())
        True
        """
        return store.load(path)


from bss1lab.hardware import pipeline, reconfigure, store  # noqa: E402  (they use the class)
