"""The recorder of ``bss1lab.pynn``: reads what the emulation recorded out of the run's
``xarray.Dataset`` (so the spikes the wafer's readout drops are absent, as on the
wafer) and annotates PyNN's Neo blocks with what the hardware did."""

from __future__ import annotations

import numpy as np
from pyNN import recording

from bss1lab.pynn import simulator

__all__ = ["Recorder"]

#: Run facts of the Dataset that a Neo block of the wafer carries as annotations.
HARDWARE_FACTS = ("wafer", "synapses_requested", "synapses_realised", "synapses_lost",
                  "readout_spikes_dropped", "input_spikes_dropped", "parameters_clipped",
                  "hicanns_used", "delays_raised_to_dt", "speedup")


class Recorder(recording.Recorder):
    _simulator = simulator

    def _record(self, variable, new_ids, sampling_interval=None):
        if sampling_interval is not None:
            self.sampling_interval = sampling_interval
        simulator.state.changed = True

    def _start(self) -> float:
        return float(self._recording_start_time.rescale("ms").magnitude)

    def _get_spiketimes(self, ids, clear=False):
        start = self._start()
        wanted = np.array(sorted(int(i) for i in ids), dtype=np.int64)
        cells, times = [], []
        for ds in simulator.state.datasets():
            cell, time = ds["spike_neuron"].values, ds["spike_time"].values
            keep = np.isin(cell, wanted) & ((time > start) if start > 0 else True)
            cells.append(cell[keep])
            times.append(time[keep])
        cell = np.concatenate(cells) if cells else np.empty(0, dtype=np.int64)
        time = np.concatenate(times) if times else np.empty(0)
        order = np.argsort(cell, kind="stable")          # time order within a cell
        bounds = np.searchsorted(cell[order], wanted), np.searchsorted(cell[order], wanted,
                                                                       side="right")
        return {int(c): time[order][a:b] for c, a, b in zip(wanted, *bounds)}

    def _get_all_signals(self, variable, ids, clear=False):
        """Samples every ``sampling_interval`` from the recording's start (time x
        cell); a cell not traced in an epoch (recorded from later on) gives NaN."""
        ids = [int(i) for i in ids]
        start, interval = self._start(), self.sampling_interval
        blocks, times = [], []
        for ds in simulator.state.datasets():
            if variable.name not in ds:
                continue
            time = ds["time"].values
            on_grid = np.abs(np.remainder(time + 1e-9, interval)) < 1e-6 * interval + 1e-8
            chosen = on_grid & (time >= start - 1e-9)
            traced = {int(c): j for j, c in enumerate(ds["recorded"].values)}
            values = ds[variable.name].values[chosen]
            block = np.full((int(chosen.sum()), len(ids)), np.nan)
            for k, cell in enumerate(ids):
                if cell in traced:
                    block[:, k] = values[:, traced[cell]]
            blocks.append(block)
            times.append(time[chosen])
        if not blocks:
            return np.empty((0, len(ids))), np.empty(0)
        return np.concatenate(blocks), np.concatenate(times)

    def _local_count(self, variable, filter_ids=None):
        counts = {int(i): 0 for i in self.filter_recorded(variable, filter_ids)}
        for cell, times in self._get_spiketimes(list(counts)).items():
            counts[cell] = int(times.size)
        return counts

    def _clear_simulator(self):
        pass  # data before the new recording start is left out when read

    def _reset(self):
        pass

    @property
    def metadata(self):
        """PyNN's annotations, plus bss1lab's: the HICANN of each cell (-1: ideal),
        the wafer seed and what the hardware lost and dropped in the last epoch."""
        metadata = super().metadata
        ds = simulator.state.dataset
        if ds is None:
            return metadata
        cells = np.asarray(self.population.all_cells, dtype=np.int64)
        metadata["hicann"] = ds["hicann"].values[cells].astype(int)
        metadata["wafer_seed"] = int(simulator.state.wafer.seed)
        metadata["seed"] = int(simulator.state.seed)
        for fact in HARDWARE_FACTS:
            if fact in ds.attrs:
                metadata[fact] = ds.attrs[fact]
        return metadata
