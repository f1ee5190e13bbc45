"""Lay a mapped network out as the flat arrays the kernels run on.

Validation against the time step happens here (delays, Poisson rates); everything
else was validated when the network was described. The layout decides nothing about
the hardware: it reads what the mapping decided from ``MappedNetwork``'s fields
(saturation, plasticity models, input links) and puts it on the time grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bss1lab.emulator import contracts
from bss1lab.emulator.celltypes import translation
from bss1lab.emulator.filing import count_synapses, file_synapses
from bss1lab.emulator.grid import steps_of
from bss1lab.emulator.neuron import ADEX_SUBSTEPS
from bss1lab.hardware.mapped import MappedNetwork
from bss1lab.network.realise import PopulationSlice, RealisedNetwork

__all__ = ["Layout", "lay_out", "check_stability"]

#: About this many cells per block of the kernel's work split (fixed, so results never
#: depend on the number of threads); at most MAX_BLOCKS blocks, a power of two.
CELLS_PER_BLOCK = 2048
MAX_BLOCKS = 16
#: The Poisson generator inverts one uniform by summing terms; beyond this mean
#: count per step that gets slow and imprecise.
MAX_POISSON_MEAN_PER_STEP = 500.0


@dataclass
class Layout:
    """A network on a time grid of ``dt`` ms, as the kernels take it.

    Attributes
    ----------
    cells, neurons, synapses, plasticity : contracts.Cells, contracts.NeuronParameters,
        contracts.Synapses, contracts.Plasticity
    out_degree : int64 array
        Synapses per cell.
    array_start : int64 array
        Where each cell's spike train starts in ``cells.array_steps``.
    ring_size : int
        Slots of the input ring buffer (a power of two).
    current_changes : list of (step, cells, change in nA)
        When current sources switch, sorted by step; the changes of several sources
        onto one cell add up.
    delays_raised : int
        Delays shorter than ``dt`` that were lengthened to one step: the wafer's
        routed delays, or the user's (``StaticSynapse`` promises at least one step).
    """

    dt: float
    cells: contracts.Cells
    neurons: contracts.NeuronParameters
    synapses: contracts.Synapses
    plasticity: contracts.Plasticity
    out_degree: np.ndarray
    array_start: np.ndarray
    ring_size: int
    current_changes: list
    delays_raised: int = 0

    @property
    def n_cells(self) -> int:
        return int(self.cells.kind.size)

    @property
    def n_blocks(self) -> int:
        return int(self.cells.block_offset.size - 1)

    def block_of(self, cells: np.ndarray) -> np.ndarray:
        """The block each of ``cells`` (global indices) is in, int64."""
        position = np.empty(self.n_cells, dtype=np.int64)
        position[self.cells.block_cells] = np.arange(self.n_cells)
        return (np.searchsorted(self.cells.block_offset, position[np.asarray(cells)],
                                side="right") - 1).astype(np.int64)


#: Explicit integration methods and how many time constants a step may span: Heun's
#: method on dv/dt = -v / tau is stable for dt <= 2 tau (|1 - x + x^2 / 2| <= 1).
STABLE_STEP_IN_TAU = {"rk2": 2.0}


def check_stability(net: RealisedNetwork, dt: float, method: str) -> None:
    """Refuse a step ``dt`` (ms) that an explicit ``method`` cannot integrate stably:
    for ``"rk2"`` every neuron's ``tau_m`` and ``tau_w`` (AdEx) must exceed dt / 2
    (conductances shorten the effective membrane time constant further: leave room).
    The exponential method solves the linear part exactly and is stable for any dt.

    Raises
    ------
    ValueError
        Naming the population, the time constant, dt and the method.
    """
    limit = STABLE_STEP_IN_TAU.get(method)
    if limit is None:
        return
    for population in net.populations:
        for name in ("tau_m", "tau_w"):
            tau = population.parameters.get(name) if not population.is_source else None
            if tau is not None and np.asarray(tau).size and np.min(tau) * limit <= dt:
                raise ValueError(
                    f"Population {population.label!r}: {name}={np.min(tau):g} ms is too "
                    f"short for method={method!r} at dt={dt:g} ms: it needs {name} > "
                    f"dt / {limit:g} = {dt / limit:g} ms. Use method='exponential', a "
                    f"smaller dt or a longer {name}.")


def neuron_parameters(population: PopulationSlice, dt: float) -> np.ndarray:
    """Records of the kernel's neuron parameters (``contracts.PARAMETER_DTYPE``, the
    fields of ``contracts.NeuronParameters``) for one population of neurons, from its
    PyNN parameters (bio units) and the time step ``dt`` (ms): those its cell type's
    translation copies, and the ones derived from them."""
    q = population.parameters
    cell = translation(population.cell_type)
    records = np.zeros(population.size, dtype=contracts.PARAMETER_DTYPE)
    for name in cell.copied:
        records[name] = q[name]
    records["g_l"] = q["cm"] / q["tau_m"]
    records["dt_over_cm"] = dt / q["cm"]
    # AdEx spikes at v_spike; without the exponential term (delta_T = 0) at v_thresh,
    # as in NEST's aeif models
    records["v_peak"] = (np.where(q["delta_T"] > 0, q["v_spike"], q["v_thresh"])
                         if cell.adex else q["v_thresh"])
    records["a"] = q["a"] * 1e-3 if cell.adex else 0.0  # nS -> uS
    tau_w = q["tau_w"] if cell.adex else 1.0
    records["rate_w"] = 1.0 / tau_w
    records["decay_w"] = np.exp(-dt / tau_w)
    records["decay_m"] = np.exp(-dt / q["tau_m"])
    substep = dt / ADEX_SUBSTEPS
    records["substep_decay_w"] = np.exp(-substep / tau_w)
    for receptor in ("E", "I"):
        tau = q.get(f"tau_syn_{receptor}")
        if tau is not None:  # delta synapses keep no synaptic state: both stay 0
            for prefix, step in (("", dt), ("substep_", substep)):
                records[f"{prefix}decay_{receptor}"] = np.exp(-step / tau)
                records[f"{prefix}mean_{receptor}"] = -np.expm1(-step / tau) * tau / step
    records["refractory_steps"] = steps_of(q["tau_refrac"], dt)
    # cells with an adaptation current (AdEx); the others skip w and the exp term
    records["adex"] = 1 if cell.adex else 0
    return records


def kind_run_ends(kinds: np.ndarray, adex: np.ndarray, cells: np.ndarray,
                  block_offset: np.ndarray) -> np.ndarray:
    """For each position of the block-ordered ``cells``, where its run ends: runs are
    of one kind, and of neurons all with or all without adaptation (``adex``); runs
    of neurons are consecutive in cell index (their loops are vectorised over it; the
    Poisson sources' loop runs over block positions); they stop at block boundaries."""
    n = kinds.size
    boundary = np.zeros(n + 1, dtype=bool)
    boundary[block_offset] = True
    consecutive = kinds < contracts.KIND_POISSON
    boundary[1:n] |= ((kinds[1:] != kinds[:-1]) | (adex[1:] != adex[:-1])
                      | (consecutive[1:] & (cells[1:] != cells[:-1] + 1)))
    ends = np.flatnonzero(boundary)  # run starts, and n
    return ends[np.searchsorted(ends, np.arange(n), side="right")].astype(np.int64)


@dataclass
class PoissonTables:
    """Inversion tables for Poisson counts, one set per distinct mean count per step.

    ``cdf[cdf_start[i] + k]`` is P(count <= k) for cell ``i``, ending with exactly 1.
    ``guide[guide_start[i] + j]`` is the smallest k with P(count <= k) > j / G, where
    G = ``guide_size[i]``: a uniform u starts its search at ``guide[int(u G)]`` and
    almost always stops there (a guide table, Chen & Asau 1974). ``head[k, i]`` is
    P(count <= k) for k < ``contracts.POISSON_HEAD`` (1 past the table's end): the
    entries the kernel reads for every source in every step, laid out by cell here
    and by block position in ``Cells``."""

    head: np.ndarray
    cdf: np.ndarray
    cdf_start: np.ndarray
    guide: np.ndarray
    guide_start: np.ndarray
    guide_size: np.ndarray


def poisson_tables(mean: np.ndarray) -> PoissonTables:
    """Tables for cells with ``mean`` spikes per step (see :class:`PoissonTables`).
    A cumulative table ends where the remaining probability is below 1e-16."""
    distinct, which = np.unique(mean, return_inverse=True)
    cdfs, guides = [], []
    for m in distinct:
        k = np.arange(1, int(m + 20 * np.sqrt(m) + 30))
        pmf = np.exp(-m) * np.concatenate([[1.0], np.cumprod(m / k)])
        cdf = np.cumsum(pmf)
        cdf = cdf[:int(np.searchsorted(cdf, 1.0 - 1e-16)) + 1]
        cdf[-1] = 1.0
        size = 1 << int(4 * cdf.size - 1).bit_length()
        guides.append(np.searchsorted(cdf, np.arange(size) / size, side="right"))
        cdfs.append(cdf)

    def starts(tables: list) -> np.ndarray:
        return np.concatenate([[0], np.cumsum([t.size for t in tables])[:-1]]).astype(np.int64)

    head = np.ones((contracts.POISSON_HEAD, len(distinct)))
    for d, cdf in enumerate(cdfs):
        kept = min(cdf.size, contracts.POISSON_HEAD)
        head[:kept, d] = cdf[:kept]
    return PoissonTables(
        head=np.ascontiguousarray(head[:, which]), cdf=np.concatenate(cdfs),
        cdf_start=starts(cdfs)[which],
        guide=np.concatenate(guides).astype(np.int64), guide_start=starts(guides)[which],
        guide_size=np.array([g.size for g in guides], dtype=np.int64)[which])


def split_into_blocks(net: RealisedNetwork) -> tuple[np.ndarray, int]:
    """Split the cells into blocks that each hold an equal share of every population.

    Returns ``cell_block`` (int32 per cell) and the number of blocks. Some spike
    sources move later (:func:`settle_sources`); neurons stay where they are put here.
    """
    n = net.n_cells
    # a power of two, so common thread counts divide the blocks evenly
    n_blocks = 1 << int(min(MAX_BLOCKS, max(1, n // CELLS_PER_BLOCK))).bit_length() - 1
    cell_block = np.empty(n, dtype=np.int32)
    for population in net.populations:
        bounds = np.linspace(0, population.size, n_blocks + 1).round().astype(np.int64)
        cell_block[population.start:population.stop] = np.repeat(
            np.arange(n_blocks, dtype=np.int32), np.diff(bounds))
    return cell_block, n_blocks


def settle_sources(cell_block: np.ndarray, n_blocks: int, direct: np.ndarray,
                   direct_target: np.ndarray, input_fpga: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Move sources to the block they must share, and order the cells by block.

    Cells marked ``direct`` (Poisson sources with one synapse, onto
    ``direct_target``) join the block of their target, which then draws and delivers
    their spikes itself. Sources that enter through a limited FPGA (``input_fpga`` >=
    0) share a block with the FPGA's other sources, since they share its buffers.
    Changes ``cell_block`` in place; returns ``block_offset`` (block b's cells are
    ``block_cells[offset[b]:offset[b+1]]``) and ``block_cells`` (cell indices,
    ascending within a block)."""
    cell_block[direct] = cell_block[direct_target[direct]]
    limited = input_fpga >= 0
    cell_block[limited] = input_fpga[limited] % n_blocks
    block_cells = np.argsort(cell_block, kind="stable").astype(np.int64)
    block_offset = np.concatenate([[0], np.cumsum(np.bincount(cell_block,
                                                              minlength=n_blocks))])
    return block_offset.astype(np.int64), block_cells


def _ring_size(max_delay_steps: int) -> int:
    """Slots of the input ring buffer, rounded up to a power of two so the slot index
    is a bit mask, not a division. Step n reads slot n + 1 at its end; the spikes it
    writes land in n + 1 .. n + 1 + max delay: max delay + 1 distinct slots."""
    return 1 << int(max_delay_steps).bit_length()


def lay_out(mapped: MappedNetwork, dt: float) -> Layout:
    """Build the kernel arrays for ``mapped`` on a grid of ``dt`` ms.

    Raises
    ------
    ValueError
        When a delay is too long or a Poisson rate too high for ``dt``.
    """
    net = mapped.network
    n = net.n_cells
    kind = np.empty(n, dtype=np.int8)
    parameters = np.zeros(n, dtype=contracts.PARAMETER_DTYPE)
    poisson_mean = np.zeros(n)
    active_from = np.zeros(n, dtype=np.int64)
    active_until = np.zeros(n, dtype=np.int64)
    trains: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * n
    current_changes = []
    for population in net.populations:
        cells = slice(population.start, population.stop)
        cell = translation(population.cell_type)
        q = population.parameters
        kind[cells] = cell.kind
        if cell.kind == contracts.KIND_POISSON:
            poisson_mean[cells] = q["rate"] * dt * 1e-3
            too_high = poisson_mean[cells] > MAX_POISSON_MEAN_PER_STEP
            if too_high.any():
                raise ValueError(
                    f"Population {population.label!r}: rate up to {q['rate'].max():g} Hz "
                    f"gives more than {MAX_POISSON_MEAN_PER_STEP:g} spikes per step of "
                    f"{dt} ms; lower the rate or split the source")
            active_from[cells] = steps_of(q["start"], dt)
            active_until[cells] = steps_of(q["start"] + q["duration"], dt)
        elif cell.kind == contracts.KIND_ARRAY:
            # a spike at time t is emitted in the step that ends at t
            for offset, train in enumerate(q["spike_times"]):
                trains[population.start + offset] = np.maximum(steps_of(train, dt) - 1, 0)
        else:
            parameters[cells] = neuron_parameters(population, dt)
            cell_indices = np.arange(population.start, population.stop)
            for source in population.current_sources:
                changes = np.diff(source.amplitudes, prepend=0.0)
                for time, change in zip(source.times, changes):
                    current_changes.append((int(steps_of(time, dt)), cell_indices,
                                            float(change)))
    current_changes.sort(key=lambda change: change[0])  # stable: sources keep order
    lengths = np.array([t.size for t in trains], dtype=np.int64)
    array_start = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    array_end = array_start + lengths
    array_steps = (np.concatenate(trains).astype(np.int64) if lengths.sum()
                   else np.empty(0, dtype=np.int64))

    # the synapses, one projection at a time, in two passes (see _Census)
    for receptor, name in ((0, "E"), (1, "I")):
        parameters[f"saturation_{name}"] = np.where(kind == contracts.KIND_COND_EXP,
                                                    mapped.saturation[receptor], 0.0)
    cell_block, n_blocks = split_into_blocks(net)
    census = count_synapses(mapped, dt, cell_block, n_blocks)
    input_link, input_fpga = mapped.input_link, mapped.input_fpga
    direct = (kind == contracts.KIND_POISSON) & (census.out_degree == 1) & (input_link < 0)
    block_offset, block_cells = settle_sources(cell_block, n_blocks, direct,
                                               census.last_target, input_fpga)
    synapses, plasticity, delays_raised = file_synapses(mapped, dt, census,
                                                         cell_block, n_blocks)
    direct_synapse = np.full(n, -1, dtype=np.int64)
    direct_synapse[direct] = synapses.entry_synapse[synapses.entry_pointer[:-1][direct]]
    poisson = poisson_tables(poisson_mean)
    cells = contracts.Cells(
        kind=kind, block_offset=block_offset,
        block_cells=block_cells,
        kind_run_end=kind_run_ends(kind[block_cells], parameters["adex"][block_cells],
                                   block_cells, block_offset),
        # what the Poisson count reads of every source in every step, by block position
        poisson_head=np.ascontiguousarray(poisson.head[:, block_cells]),
        poisson_cdf=poisson.cdf,
        poisson_cdf_start=poisson.cdf_start, poisson_guide=poisson.guide,
        poisson_guide_start=poisson.guide_start, poisson_guide_size=poisson.guide_size,
        active_from=active_from[block_cells], active_until=active_until[block_cells],
        array_steps=array_steps,
        array_end=array_end, direct_synapse=direct_synapse,
        input_limited=bool((input_link >= 0).any()), input_link=input_link,
        input_fpga=input_fpga,
        link_rate=mapped.input_link_rate_hz * dt * 1e-3,
        fpga_rate=mapped.input_fpga_rate_hz * dt * 1e-3,
        link_depth=float(mapped.buffer_events))
    neurons = contracts.NeuronParameters(*(np.ascontiguousarray(parameters[name])
                                           for name in contracts.NeuronParameters._fields))
    return Layout(dt=dt, cells=cells, neurons=neurons, synapses=synapses,
                  plasticity=plasticity,
                  out_degree=census.out_degree,
                  array_start=array_start,
                  ring_size=_ring_size(census.longest_delay),
                  current_changes=current_changes, delays_raised=delays_raised)
