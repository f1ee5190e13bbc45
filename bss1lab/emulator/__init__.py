"""The numba engine that runs a mapped network: ``Emulation(mapped, seed).run(ms)``."""

from bss1lab.emulator import compiling as compiling  # announces numba's compilations
from bss1lab.emulator.engine import DEFAULT_DT, Emulation, RunChunk
from bss1lab.emulator.recording import STATE_VARIABLES, RecordSpec

__all__ = ["Emulation", "RunChunk", "RecordSpec", "DEFAULT_DT", "STATE_VARIABLES"]
