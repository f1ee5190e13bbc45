"""What every panel shares: controls that run on release, a run in a background
thread with a progress bar, stale runs stopped and dropped, the last Dataset and the
code that reproduces it.

Threads: a panel's run goes on in a background thread while the kernel's thread
handles the browser's messages (control changes, and BokehJS's own changes such as
ranges). Bokeh documents are not thread-safe, so every change of a panel's figures
(from the run) and every message from BokehJS (on the kernel's thread) is applied
under one lock, :data:`DOCUMENT_LOCK`.
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from typing import Any, Callable, Iterator

import ipywidgets as w
import xarray as xr

from bss1lab.emulator.compiling import COMPILING_MESSAGE, compiling_now, on_compile

from .calls import Call, render
from .figures import DOCUMENT_LOCK, LockedBokehModel, ensure_bokehjs

__all__ = ["Panel"]


class Panel(w.VBox):
    """Base of the panels: an ipywidgets ``VBox`` of controls, a run button, a
    progress bar, the figures (``BokehModel``) and a report.

    Subclasses set ``title``, build ``self.controls`` (name -> widget that changes on
    release) and the figures in ``_build``, describe the run in ``calls(values)``
    (name -> :class:`Call`; the first one's result is the panel's Dataset, its code is
    ``panel.code_view``), and implement ``_show(ds, values)`` (updates the figures)
    and optionally ``_stream(chunk)`` (a chunk's results as they come),
    ``_experiment(calls, on_chunk)`` (when there is more than one call) and
    ``epilogue(values)`` (code lines after the calls, using the names of the calls and
    of ``epilogue_uses``).

    Attributes
    ----------
    result : xarray.Dataset or None
        The Dataset of the last finished run.
    error : str or None
        Why the last run failed, if it did.
    """

    title = "panel"
    epilogue_uses: tuple = ()

    def __init__(self, *, auto_run: bool = True) -> None:
        self.result: xr.Dataset | None = None
        self.error: str | None = None
        self.controls: dict[str, w.DOMWidget] = {}
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.progress = w.FloatProgress(value=0.0, min=0.0, max=1.0, description="run",
                                        layout=w.Layout(width="320px"))
        self.status = w.HTML("")
        self.report = w.HTML("")
        self.code_view = w.Textarea(layout=w.Layout(width="100%", height="230px"),
                                    disabled=True)
        self.run_button = w.Button(description="run", button_style="primary",
                                   icon="play")
        self.run_button.on_click(lambda _: self.start())
        with DOCUMENT_LOCK:
            figures = self._build()
            self.models = [LockedBokehModel(f) for f in figures]
        for control in self.controls.values():
            control.observe(lambda _: self.start(), names="value")
        code = w.Accordion(children=[self.code_view], titles=("the code of this run",))
        code.selected_index = None
        super().__init__([
            w.HTML(f"<h3>{self.title}</h3>"),
            w.HBox([w.VBox(list(self.controls.values()),
                           layout=w.Layout(width="360px")),
                    w.VBox(self.models)]),
            w.HBox([self.run_button, self.progress, self.status]),
            self.report, code])
        if auto_run:
            self.start()

    def _repr_mimebundle_(self, **kwargs):
        ensure_bokehjs(m._model for m in self.models)  # the page may have no BokehJS
        return super()._repr_mimebundle_(**kwargs)

    # --- for subclasses -------------------------------------------------------------

    def _build(self) -> list:
        raise NotImplementedError

    def calls(self, values: dict) -> dict[str, Call]:
        """The run as calls, name -> Call (the first is the panel's Dataset)."""
        raise NotImplementedError

    def epilogue(self, values: dict) -> str:
        """Code lines shown after the calls (default: none)."""
        return ""

    def _experiment(self, calls: dict[str, Call], on_chunk: Callable) -> xr.Dataset:
        """Run ``calls`` (default: the one call, with ``on_chunk``)."""
        (call,) = calls.values()
        return call(on_chunk=on_chunk)

    def _show(self, ds: xr.Dataset, values: dict) -> None:
        raise NotImplementedError

    def _stream(self, chunk: xr.Dataset) -> None:
        """Show a chunk's results while the run goes on (default: nothing)."""

    # --- running --------------------------------------------------------------------

    @property
    def values(self) -> dict[str, Any]:
        """The controls' current values."""
        return {name: control.value for name, control in self.controls.items()}

    def code(self, values: dict) -> str:
        """The code that reproduces the run with ``values``."""
        return render(self.calls(values), self.epilogue(values), self.epilogue_uses)

    @contextlib.contextmanager
    def figures_changing(self, *, redraw: bool = False) -> Iterator[None]:
        """Change the figures inside this, under :data:`DOCUMENT_LOCK`: sent to the
        browser as one patch per figure, or with ``redraw`` as the whole figures
        (see :meth:`LockedBokehModel.redrawing`)."""
        with DOCUMENT_LOCK, contextlib.ExitStack() as stack:
            for model in self.models:
                stack.enter_context(model.redrawing() if redraw else model.combined())
            yield

    def start(self) -> None:
        """Run with the controls' values in a background thread; a run still going
        is told to stop and its results are dropped."""
        with self._lock:
            self._generation += 1
            generation = self._generation
        values = self.values
        calls = self.calls(values)
        self.code_view.value = render(calls, self.epilogue(values), self.epilogue_uses)
        self.progress.value = 0.0
        self.progress.bar_style = "info"
        self.status.value = "running..."
        self._thread = threading.Thread(target=self._run,
                                        args=(generation, values, calls, self._thread),
                                        daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> xr.Dataset | None:
        """Wait for the current run to finish; returns its Dataset."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.result

    def _compiling(self, now: bool) -> None:
        """numba compiles the emulator (the first run after installing): say so."""
        self.status.value = (compiling_now() or COMPILING_MESSAGE) if now else "running..."

    def _current(self, generation: int) -> bool:
        return generation == self._generation

    def _run(self, generation: int, values: dict, calls: dict[str, Call],
             previous: threading.Thread | None) -> None:
        if previous is not None:
            previous.join()  # told to stop at its next chunk: one run at a time
        if not self._current(generation):
            return
        started = time.perf_counter()

        def on_chunk(chunk: xr.Dataset, fraction: float, *, stream: bool = True) -> bool:
            if not self._current(generation):
                return False  # the user moved on: stop, nobody wants this result
            self.progress.value = fraction
            if stream:
                with self.figures_changing():
                    self._stream(chunk)
            return True

        try:
            with on_compile(self._compiling):
                ds = self._experiment(calls, on_chunk)
        except Exception as error:  # shown in the panel, kept for inspection
            if self._current(generation):
                self.error = "".join(traceback.format_exception_only(type(error), error))
                self.status.value = f"<span style='color:#b00'>{self.error}</span>"
                self.progress.bar_style = "danger"
            return
        if not self._current(generation):
            return
        self.result = ds
        self.error = None
        with self.figures_changing(redraw=True):
            self._show(ds, values)
        self.progress.value = 1.0
        self.progress.bar_style = "success"
        self.status.value = (f"run {generation} done in "
                             f"{time.perf_counter() - started:.2f} s")
