"""Lay a mapped network out as the flat arrays the kernels run on.

Validation against the time step happens here (delays, Poisson rates); everything
else was validated when the network was described.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from bss1lab.emulator import contracts
from bss1lab.hardware import links
from bss1lab.hardware.geometry import wafer_geometry
from bss1lab.hardware.spec import REFERENCE_SPEEDUP, SATURATION_RATE_HZ, SATURATION_SHORTFALL
from bss1lab.hardware.wafer import MappedNetwork
from bss1lab.network.realise import PopulationSlice, RealisedNetwork

__all__ = ["Layout", "lay_out", "check_stability", "KIND_OF_SYNAPSE_MODEL"]

KIND_OF_SYNAPSE_MODEL = {"cond_exp": contracts.KIND_COND_EXP, "curr_exp": contracts.KIND_CURR_EXP,
                         "curr_delta": contracts.KIND_CURR_DELTA}
#: About this many cells per block of the kernel's work split (fixed, so results never
#: depend on the number of threads); at most MAX_BLOCKS blocks, a power of two.
CELLS_PER_BLOCK = 2048
MAX_BLOCKS = 16
#: The Poisson generator inverts one uniform by summing terms; beyond this mean
#: count per step that gets slow and imprecise.
MAX_POISSON_MEAN_PER_STEP = 500.0
#: Relative slack when rounding times to steps (see ``steps_of``).
STEP_SLACK = 1e-9
#: A delay counts as shorter than dt only below dt (1 - this): float32 storage rounds.
DELAY_ROUNDING = 1e-6


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


@njit(cache=True, inline="always")
def _nearest_step(time_ms, dt):
    """The rule of ``steps_of`` for one time, for the kernels of this module."""
    return np.int64(np.floor(time_ms / dt * (1.0 + STEP_SLACK) + 0.5))


@njit(cache=True)
def _nearest_steps(times_ms, dt):
    steps = np.empty(times_ms.shape[0], dtype=np.int64)
    for s in range(times_ms.shape[0]):
        steps[s] = _nearest_step(times_ms[s], dt)
    return steps


def steps_of(times_ms: np.ndarray | float, dt: float) -> np.ndarray:
    """Nearest grid step of each time (ms), halves rounded up; a relative
    ``STEP_SLACK`` keeps 0.3 / 0.1 = 2.9999999999999996 at step 3. Returns int64
    steps in the shape of ``times_ms``."""
    times = np.asarray(times_ms, dtype=np.float64)
    return _nearest_steps(times.ravel(), float(dt)).reshape(times.shape)


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
    PyNN parameters (bio units) and the time step ``dt`` (ms)."""
    q = population.parameters
    records = np.zeros(population.size, dtype=contracts.PARAMETER_DTYPE)
    for name in ("v_rest", "v_thresh", "v_reset", "i_offset", "e_rev_E", "e_rev_I",
                 "delta_T", "b"):
        if name in q:
            records[name] = q[name]
    records["g_l"] = q["cm"] / q["tau_m"]
    records["dt_over_cm"] = dt / q["cm"]
    # AdEx spikes at v_spike; without the exponential term (delta_T = 0) at v_thresh,
    # as in NEST's aeif models
    records["v_peak"] = np.where(q.get("delta_T", 0.0) > 0, q.get("v_spike", q["v_thresh"]),
                                 q["v_thresh"])
    records["a"] = q.get("a", 0.0) * 1e-3  # nS -> uS
    tau_w = q.get("tau_w", 1.0)
    records["rate_w"] = 1.0 / tau_w
    records["decay_w"] = np.exp(-dt / tau_w)
    records["decay_m"] = np.exp(-dt / q["tau_m"])
    for receptor in ("E", "I"):
        tau = q.get(f"tau_syn_{receptor}")
        if tau is not None:  # delta synapses keep no synaptic state: both stay 0
            records[f"decay_{receptor}"] = np.exp(-dt / tau)
            records[f"mean_{receptor}"] = -np.expm1(-dt / tau) * tau / dt
    records["refractory_steps"] = steps_of(q["tau_refrac"], dt)
    # cells with an adaptation current (AdEx); the others skip w and the exp term
    records["adex"] = 1 if "tau_w" in q else 0
    return records


def kind_run_ends(kinds: np.ndarray, adex: np.ndarray, cells: np.ndarray,
                  block_offset: np.ndarray) -> np.ndarray:
    """For each position of the block-ordered ``cells``, where its run ends: runs are
    of one kind, and of neurons all with or all without adaptation (``adex``) and
    consecutive in cell index; they stop at block boundaries."""
    n = kinds.size
    boundary = np.zeros(n + 1, dtype=bool)
    boundary[block_offset] = True
    neuron = kinds < contracts.KIND_POISSON
    boundary[1:n] |= ((kinds[1:] != kinds[:-1]) | (adex[1:] != adex[:-1])
                      | (neuron[1:] & (cells[1:] != cells[:-1] + 1)))
    ends = np.flatnonzero(boundary)  # run starts, and n
    return ends[np.searchsorted(ends, np.arange(n), side="right")].astype(np.int64)


@njit(cache=True)
def _count_groups(pre, post, cell_block, n_blocks, counts):
    """Add each synapse to the count of its (pre cell, post block) group."""
    for s in range(pre.shape[0]):
        counts[pre[s] * n_blocks + cell_block[post[s]]] += 1


@njit(cache=True)
def _sum_weights(post, weight, summed):
    """Add the weights onto their targets, in synapse order (as ``np.bincount``)."""
    for s in range(post.shape[0]):
        summed[post[s]] += np.float64(weight[s])


@njit(cache=True)
def _delay_steps(delay, dt, lengthen):
    """Delays (ms) on the grid, rounded as ``steps_of`` does; with ``lengthen``
    (as the layout always asks) those shorter than ``dt`` take one step. Returns the
    steps (int16; the caller checks the longest fits) and how many were lengthened."""
    steps = np.empty(delay.shape[0], dtype=np.int16)
    n_lengthened = 0
    for s in range(delay.shape[0]):
        d = np.float64(delay[s])
        if lengthen and d < dt * (1.0 - DELAY_ROUNDING):
            d = np.float64(np.float32(dt))
            n_lengthened += 1
        steps[s] = _nearest_step(d, dt)
    return steps, n_lengthened


@njit(cache=True)
def _entries(counts, n_cells, n_blocks):
    """Turn the group counts into entries (non-empty groups, in (cell, block) order):
    each entry's cell, block and first synapse, and each cell's first entry. On
    return ``counts[g]`` is where group g's first synapse goes."""
    n_entries = 0
    for g in range(counts.shape[0]):
        if counts[g] > 0:
            n_entries += 1
    entry_cell = np.empty(n_entries, dtype=np.int32)
    entry_block = np.empty(n_entries, dtype=np.int32)
    entry_synapse = np.empty(n_entries + 1, dtype=np.int64)
    entry_pointer = np.zeros(n_cells + 1, dtype=np.int64)
    e = 0
    position = 0
    for g in range(counts.shape[0]):
        count = counts[g]
        if count > 0:
            entry_cell[e] = g // n_blocks
            entry_block[e] = g % n_blocks
            entry_synapse[e] = position
            entry_pointer[g // n_blocks + 1] += 1
            e += 1
        counts[g] = position
        position += count
    entry_synapse[n_entries] = position
    for c in range(n_cells):
        entry_pointer[c + 1] += entry_pointer[c]
    return entry_cell, entry_block, entry_synapse, entry_pointer


@njit(cache=True)
def _scatter(pre, post, weight, steps, slot, receptor, cell_block, n_blocks, next_free,
             column_out, weight_out, delay_out, slot_out):
    """File one projection's synapses into their groups, after the ones filed before
    (a stable counting sort, one projection at a time). ``slot`` is empty for static
    projections."""
    plastic = slot.shape[0] > 0
    for s in range(pre.shape[0]):
        g = pre[s] * n_blocks + cell_block[post[s]]
        d = next_free[g]
        next_free[g] = d + 1
        column_out[d] = 2 * post[s] + receptor
        weight_out[d] = weight[s]
        delay_out[d] = steps[s]
        if plastic:
            slot_out[d] = slot[s]


@dataclass
class PoissonTables:
    """Inversion tables for Poisson counts, one set per distinct mean count per step.

    ``cdf[cdf_start[i] + k]`` is P(count <= k) for cell ``i``, ending with exactly 1.
    ``guide[guide_start[i] + j]`` is the smallest k with P(count <= k) > j / G, where
    G = ``guide_size[i]``: a uniform u starts its search at ``guide[int(u G)]`` and
    almost always stops there (a guide table, Chen & Asau 1974)."""

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

    return PoissonTables(
        cdf=np.concatenate(cdfs), cdf_start=starts(cdfs)[which],
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


def _input_links(mapped: MappedNetwork, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, the input link (HICANN) and FPGA a spike source enters through, when
    the wafer limits its input; -1 otherwise."""
    n = kind.size
    link = np.full(n, -1, dtype=np.int64)
    if mapped.input_limited and mapped.hicann is not None:
        sources = (kind >= contracts.KIND_POISSON) & (mapped.hicann >= 0)
        link[sources] = mapped.hicann[sources]
    fpga = np.where(link >= 0, wafer_geometry().fpga[np.maximum(link, 0)], -1)
    return link, fpga.astype(np.int64)


def saturation_conductances(mapped: MappedNetwork, summed: np.ndarray,
                            parameters: np.ndarray, kind: np.ndarray) -> None:
    """Set where each conductance-based neuron's synaptic inputs saturate (in place).

    g_s is chosen so that with all its inputs firing at SATURATION_RATE_HZ a neuron's
    mean conductance (rate x tau_syn x summed weights) falls SATURATION_SHORTFALL
    short of the model. ``summed`` holds each cell's summed weights (uS) per
    receptor, shape (2, cells)."""
    net = mapped.network
    n = net.n_cells
    factor = 1.0 / np.sqrt(1.0 / (1.0 - SATURATION_SHORTFALL) ** 2 - 1.0)
    for receptor, name in ((0, "E"), (1, "I")):
        tau = np.zeros(n)
        for population in net.populations:
            if f"tau_syn_{name}" in population.parameters:
                tau[population.start:population.stop] = population.parameters[
                    f"tau_syn_{name}"]
        rate_hz = SATURATION_RATE_HZ * REFERENCE_SPEEDUP / mapped.speedup  # quoted at 1e4
        at_rate = rate_hz * 1e-3 * tau * summed[receptor]
        parameters[f"saturation_{name}"] = np.where(kind == contracts.KIND_COND_EXP,
                                                    at_rate * factor, 0.0)


def plasticity_slots(mapped: MappedNetwork, emitting: dict[int, np.ndarray]
                     ) -> tuple[contracts.Plasticity, np.ndarray]:
    """One short-term plasticity state per (emitting cell, plastic projection).

    ``emitting`` gives, per plastic projection, the cells it has synapses from. Returns
    the states, with ``synapse_slot`` still all -1 for the layout to fill, and the
    sorted slot keys (cell x projections + projection) to look synapses up in.
    On the wafer the synapse drivers' circuit replaces the Tsodyks-Markram model
    (depressing without ``tau_facil``, else facilitating)."""
    net = mapped.network
    n = net.n_cells
    n_projections = len(net.projection_plasticity)
    if not emitting:
        empty = contracts.Plasticity(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int8),
                             np.zeros(0), np.zeros(0), np.zeros(0),
                             np.zeros(0, dtype=np.int64))
        return empty, np.zeros(0, dtype=np.int64)
    slots = np.sort(np.concatenate([cells.astype(np.int64) * n_projections + projection
                                    for projection, cells in emitting.items()]))
    cell_of_slot, projection_of_slot = np.divmod(slots, n_projections)
    parameters = np.array([net.projection_plasticity[p] for p in projection_of_slot],
                          dtype=np.float64).reshape(-1, 3)
    U, tau_rec, tau_facil = parameters.T
    if mapped.wafer_plasticity:
        facilitating = tau_facil > 0
        model = np.where(facilitating, contracts.STP_WAFER_FACILITATION,
                         contracts.STP_WAFER_DEPRESSION)
        tau_1, tau_2 = np.where(facilitating, tau_facil, tau_rec), np.zeros(slots.size)
    else:
        model = np.full(slots.size, contracts.STP_TSODYKS_MARKRAM)
        tau_1, tau_2 = tau_rec, tau_facil
    pointer = np.concatenate([[0], np.cumsum(np.bincount(cell_of_slot, minlength=n))])
    plasticity = contracts.Plasticity(pointer.astype(np.int64), model.astype(np.int8), U, tau_1,
                              tau_2, np.full(net.n_synapses, -1, dtype=np.int64))
    return plasticity, slots


@dataclass
class _Census:
    """What the first pass over the synapses learns, one projection at a time.

    The kernel files synapses by (pre cell, post block) group. A first pass counts
    each group (and what else needs every synapse: out-degrees, the longest delay,
    summed weights, plastic projections' cells); a second files each synapse into
    its group. Projections come as views of the network's arrays or, for a network
    that does not keep them, drawn again: then the kernel's arrays are the only full
    copy of the synapses."""

    group_size: np.ndarray      # int64 per (pre cell, post block)
    out_degree: np.ndarray      # int64 per cell
    last_target: np.ndarray     # int32 per cell: its only target when it has one
    summed_weight: np.ndarray   # (2, cells): summed weights per receptor (saturation)
    emitting: dict              # plastic projection -> its pre cells
    longest_delay: int          # steps


def _count_synapses(mapped: MappedNetwork, dt: float, saturating: bool,
                    cell_block: np.ndarray, n_blocks: int) -> _Census:
    """The first pass (see :class:`_Census`); checks the longest delay fits the
    kernel's int16 steps of ``dt``. Sums the weights only if ``saturating``."""
    net = mapped.network
    n = net.n_cells
    census = _Census(np.zeros(n * n_blocks, dtype=np.int64), np.zeros(n, dtype=np.int64),
                     np.zeros(n, dtype=np.int32), np.zeros((2, n)), {}, 0)
    for p in range(len(net.projection_labels)):
        if net.projection_offsets[p + 1] == net.projection_offsets[p]:
            continue
        shortest, longest = net.projection_delay_range(p)
        if longest > np.iinfo(np.int16).max * dt:
            raise ValueError(f"Projection {net.projection_labels[p]!r}: delays up to "
                             f"{longest:g} ms exceed {np.iinfo(np.int16).max} steps of "
                             f"dt={dt} ms; the longest delay allowed is "
                             f"{np.iinfo(np.int16).max * dt:g} ms")
        census.longest_delay = max(census.longest_delay, int(steps_of(longest, dt)), 1)
        pre, post = net.projection_connections(p)
        census.out_degree += np.bincount(pre, minlength=n)
        census.last_target[pre] = post
        _count_groups(pre, post, cell_block, n_blocks, census.group_size)
        if saturating:
            _sum_weights(post, net.projection_synapses(p)[2],
                         census.summed_weight[net.projection_receptors[p]])
        if net.projection_plasticity[p] is not None:
            census.emitting[p] = np.unique(pre)
    if census.longest_delay > np.iinfo(np.int16).max:
        raise ValueError(f"delays up to {census.longest_delay * dt:g} ms exceed "
                         f"{np.iinfo(np.int16).max} steps of dt={dt} ms")
    return census


def _file_synapses(mapped: MappedNetwork, dt: float, census: _Census,
                   cell_block: np.ndarray, n_blocks: int
                   ) -> tuple[contracts.Synapses, contracts.Plasticity, int]:
    """The second pass (see :class:`_Census`): the kernel's synapses, their plasticity
    slots and how many delays were lengthened to one step. Uses up
    ``census.group_size``."""
    net = mapped.network
    n_projections = len(net.projection_labels)
    entry_cell, entry_block, entry_synapse, entry_pointer = _entries(
        census.group_size, net.n_cells, n_blocks)
    next_free = census.group_size  # _entries turned the sizes into first positions
    n_synapses = int(entry_synapse[-1])
    column = np.empty(n_synapses, dtype=np.int32)
    weights = np.empty(n_synapses, dtype=np.float32)
    delays = np.empty(n_synapses, dtype=np.int16)
    plasticity, slot_keys = plasticity_slots(mapped, census.emitting)
    no_slots = np.zeros(0, dtype=np.int64)
    delays_raised = 0
    # Largest projections first: the arrays above take memory page by page as they
    # are written, so little of them is resident yet while a large projection, drawn
    # again, briefly needs a few times its final size. Within a group synapses follow
    # in this order, which changes a sum only where two projections share pre cell,
    # post cell, receptor and delay (then in its last bit).
    sizes = np.diff(net.projection_offsets)
    for p in np.argsort(-sizes, kind="stable"):
        if sizes[p] == 0:
            continue
        pre, post, weight, delay = net.projection_synapses(p)
        steps, lengthened = _delay_steps(delay, dt, True)
        delays_raised += lengthened
        del delay
        slot = (np.searchsorted(slot_keys, pre.astype(np.int64) * n_projections + p)
                if p in census.emitting else no_slots)
        _scatter(pre, post, weight, steps, slot, np.int32(net.projection_receptors[p]),
                 cell_block, n_blocks, next_free, column, weights, delays,
                 plasticity.synapse_slot)
        del pre, post, weight, steps, slot
    synapses = contracts.Synapses(
        entry_pointer=entry_pointer, entry_block=entry_block, entry_cell=entry_cell,
        entry_synapse=entry_synapse, column=column, weight=weights, delay=delays)
    return synapses, plasticity, delays_raised


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
        name = type(population.cell_type).__name__
        q = population.parameters
        if name == "SpikeSourcePoisson":
            kind[cells] = contracts.KIND_POISSON
            poisson_mean[cells] = q["rate"] * dt * 1e-3
            too_high = poisson_mean[cells] > MAX_POISSON_MEAN_PER_STEP
            if too_high.any():
                raise ValueError(
                    f"Population {population.label!r}: rate up to {q['rate'].max():g} Hz "
                    f"gives more than {MAX_POISSON_MEAN_PER_STEP:g} spikes per step of "
                    f"{dt} ms; lower the rate or split the source")
            active_from[cells] = steps_of(q["start"], dt)
            active_until[cells] = steps_of(q["start"] + q["duration"], dt)
        elif name == "SpikeSourceArray":
            kind[cells] = contracts.KIND_ARRAY
            # a spike at time t is emitted in the step that ends at t
            for offset, train in enumerate(q["spike_times"]):
                trains[population.start + offset] = np.maximum(steps_of(train, dt) - 1, 0)
        else:
            kind[cells] = KIND_OF_SYNAPSE_MODEL[population.cell_type.synapse_model]
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
    saturating = not mapped.wafer.is_ideal and mapped.wafer.saturation
    cell_block, n_blocks = split_into_blocks(net)
    census = _count_synapses(mapped, dt, saturating, cell_block, n_blocks)
    if saturating:
        saturation_conductances(mapped, census.summed_weight, parameters, kind)
    input_link, input_fpga = _input_links(mapped, kind)
    direct = (kind == contracts.KIND_POISSON) & (census.out_degree == 1) & (input_link < 0)
    block_offset, block_cells = settle_sources(cell_block, n_blocks, direct,
                                               census.last_target, input_fpga)
    synapses, plasticity, delays_raised = _file_synapses(mapped, dt, census,
                                                         cell_block, n_blocks)
    direct_synapse = np.full(n, -1, dtype=np.int64)
    direct_synapse[direct] = synapses.entry_synapse[synapses.entry_pointer[:-1][direct]]
    poisson = poisson_tables(poisson_mean)
    cells = contracts.Cells(
        kind=kind, block_offset=block_offset,
        block_cells=block_cells,
        kind_run_end=kind_run_ends(kind[block_cells], parameters["adex"][block_cells],
                                   block_cells, block_offset),
        poisson_mean=poisson_mean, poisson_cdf=poisson.cdf,
        poisson_cdf_start=poisson.cdf_start, poisson_guide=poisson.guide,
        poisson_guide_start=poisson.guide_start, poisson_guide_size=poisson.guide_size,
        active_from=active_from, active_until=active_until, array_steps=array_steps,
        array_end=array_end, direct_synapse=direct_synapse,
        input_limited=bool((input_link >= 0).any()), input_link=input_link,
        input_fpga=input_fpga,
        link_rate=links.bio_rate(links.INPUT_LINK_LIMIT_HZ, mapped.speedup) * dt * 1e-3,
        fpga_rate=links.bio_rate(links.INPUT_FPGA_LIMIT_HZ, mapped.speedup) * dt * 1e-3,
        link_depth=float(links.LINK_BUFFER_EVENTS))
    neurons = contracts.NeuronParameters(*(np.ascontiguousarray(parameters[name])
                                   for name in contracts.NeuronParameters._fields))
    return Layout(dt=dt, cells=cells, neurons=neurons, synapses=synapses,
                  plasticity=plasticity,
                  out_degree=census.out_degree,
                  array_start=array_start,
                  ring_size=_ring_size(census.longest_delay),
                  current_changes=current_changes, delays_raised=delays_raised)
