"""The numba engine that runs a mapped network: ``Emulation(mapped, seed).run(ms)``."""

from bss1lab.emulator import compiling as compiling  # announces numba's compilations
from bss1lab.emulator.engine import DEFAULT_DT, STATE_VARIABLES, Emulation, RunChunk

__all__ = ["Emulation", "RunChunk", "DEFAULT_DT", "STATE_VARIABLES"]
