"""What every panel shares: controls that run on release, a run in a background
thread with a progress bar, stale results dropped, the last Dataset and the code that
reproduces it."""

from __future__ import annotations

import json
import re
import threading
import time
import traceback
from typing import Any, Callable, Iterable

import ipywidgets as w
import xarray as xr
from bokeh.model import Model
from jupyter_bokeh.widgets import BokehModel

__all__ = ["Panel", "Figure", "ensure_bokehjs", "slider", "variation_slider", "chip_slider",
           "wafer_toggle", "STYLE"]

#: Room for the controls' descriptions.
STYLE = {"description_width": "110px"}


def slider(description: str, value, low, high, step) -> w.ValueWidget:
    """A slider that changes its value (and so runs the panel) on release; an
    ``IntSlider`` when all its numbers are ints."""
    integer = all(isinstance(v, int) for v in (value, low, high, step))
    cls = w.IntSlider if integer else w.FloatSlider
    return cls(value=value, min=low, max=high, step=step, description=description,
               continuous_update=False, style=STYLE)


def variation_slider() -> w.FloatSlider:
    """The scale of the fixed-pattern noise: 0 perfect circuits, 1 as measured."""
    return slider("variation", 1.0, 0.0, 2.0, 0.1)


def chip_slider() -> w.IntSlider:
    """The wafer seed: one seed is one chip."""
    return slider("chip (wafer seed)", 0, 0, 20, 1)


def wafer_toggle() -> w.ToggleButtons:
    """The emulated wafer or the ideal reference."""
    return w.ToggleButtons(options=["emulated wafer", "ideal"], value="emulated wafer",
                           style={"button_width": "110px"})

#: Runs the BokehJS load it wraps only when the page does not hold these components
#: yet: a figure's cell carries the load, and a page that already ran it skips it.
_LOAD_ONCE_PER_PAGE = """(function(root) {{
  const loaded = root._bss1lab_bokehjs || (root._bss1lab_bokehjs = {{}});
  const components = {components};
  if (root.Bokeh !== undefined && components.every(c => loaded[c])) return;
  {load}
  components.forEach(c => loaded[c] = true);
}})(window);"""


def ensure_bokehjs(models: Iterable[Model] = ()) -> None:
    """Put BokehJS into the page ahead of a figure, each time one is shown.

    jupyter_bokeh's ``BokehModel`` draws with the page's BokehJS (``window.Bokeh``)
    and does not bring it (its documented way: ``bokeh.io.output_notebook()`` first).
    A page holds it only while it lives: a reloaded tab, or a notebook opened anew,
    has none, even on a kernel that sent it before. So every cell that shows a figure
    sends the load first, as a display output of its own (jupyter_bokeh's
    ``application/vnd.bokehjs_load.v0+json``, which JupyterLab runs before the
    figure's view, in order), inline (no network needed) and only the BokehJS
    components ``models`` need; the page runs it only if it lacks them. Called by
    :class:`Figure` and :class:`Panel` when they are displayed. Does nothing outside a
    Jupyter kernel.

    Parameters
    ----------
    models : iterable of bokeh.model.Model
        The figures (or layouts) about to be shown.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return
    from bokeh.embed.bundle import bundle_for_objs_and_resources
    from bokeh.io.notebook import LOAD_MIME_TYPE, _loading_js
    from bokeh.resources import INLINE
    from IPython.display import publish_display_data

    bundle = bundle_for_objs_and_resources(list(models) or None, INLINE)
    # one name per piece of BokehJS: its "/* BEGIN bokeh-gl.min.js */" banner
    components = [re.match(r"/\* BEGIN (\S+) \*/", js).group(1)
                  for js in bundle.js_raw if js.startswith("/* BEGIN ")]
    load = _loading_js(bundle, None, 5000, register_mime=False)
    publish_display_data({LOAD_MIME_TYPE: _LOAD_ONCE_PER_PAGE.format(
        components=json.dumps(components), load=load)})


class Figure(BokehModel):
    """A bokeh figure (or layout) in a notebook: jupyter_bokeh's ``BokehModel`` that
    puts BokehJS into the page each time it is displayed (:func:`ensure_bokehjs`), so
    it draws on a fresh page, a reloaded one and a re-run alike. Updating the figure
    in Python redraws it in place.

    Parameters
    ----------
    model : bokeh.models.LayoutDOM
        The figure or layout, e.g. ``Raster(ds).figure`` or ``column(a, b)``.
    """

    def _repr_mimebundle_(self, **kwargs):
        ensure_bokehjs([self._model])
        return super()._repr_mimebundle_(**kwargs)


class Panel(w.VBox):
    """Base of the panels: an ipywidgets ``VBox`` of controls, a run button, a
    progress bar, the figures (``BokehModel``) and a report.

    Subclasses set ``title``, build ``self.controls`` (name -> widget, with
    ``continuous_update=False``: a slider runs on release) and the figures in
    ``_build``, and implement ``_experiment(values, on_chunk)`` (returns the
    Dataset), ``_show(ds)`` (updates the figures), ``_stream(chunk)`` (optional: a
    chunk's spikes as they come) and ``code(values)`` (the code a user would type).

    Attributes
    ----------
    result : xarray.Dataset or None
        The Dataset of the last finished run.
    error : str or None
        Why the last run failed, if it did.
    """

    title = "panel"

    def __init__(self, *, auto_run: bool = True) -> None:
        self.result: xr.Dataset | None = None
        self.error: str | None = None
        self.controls: dict[str, w.ValueWidget] = {}
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.progress = w.FloatProgress(value=0.0, min=0.0, max=1.0, description="run",
                                        layout=w.Layout(width="320px"))
        self.status = w.HTML("")
        self.report = w.HTML("")
        self.code_view = w.Textarea(layout=w.Layout(width="100%", height="90px"),
                                    disabled=True)
        self.run_button = w.Button(description="run", button_style="primary",
                                   icon="play")
        self.run_button.on_click(lambda _: self.start())
        figures = self._build()
        for control in self.controls.values():
            control.observe(lambda _: self.start(), names="value")
        self.models = [BokehModel(f) for f in figures]
        code = w.Accordion(children=[self.code_view], titles=("the code of this run",))
        code.selected_index = None
        super().__init__([
            w.HTML(f"<h3>{self.title}</h3>"),
            w.HBox([w.VBox(list(self.controls.values()),
                           layout=w.Layout(width="340px")),
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

    def _experiment(self, values: dict, on_chunk: Callable) -> xr.Dataset:
        raise NotImplementedError

    def _show(self, ds: xr.Dataset) -> None:
        raise NotImplementedError

    def _stream(self, chunk: xr.Dataset) -> None:
        """Show a chunk's results while the run goes on (default: nothing)."""

    def code(self, values: dict) -> str:
        raise NotImplementedError

    # --- running --------------------------------------------------------------------

    @property
    def values(self) -> dict[str, Any]:
        """The controls' current values."""
        return {name: control.value for name, control in self.controls.items()}

    def start(self) -> None:
        """Run with the controls' values in a background thread; a run still going
        is told to stop and its results are dropped."""
        with self._lock:
            self._generation += 1
            generation = self._generation
        values = self.values
        self.code_view.value = self.code(values)
        self.progress.value = 0.0
        self.progress.bar_style = "info"
        self.status.value = "running..."
        self._thread = threading.Thread(target=self._run,
                                        args=(generation, values, self._thread),
                                        daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> xr.Dataset | None:
        """Wait for the current run to finish; returns its Dataset."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.result

    def _current(self, generation: int) -> bool:
        return generation == self._generation

    def _run(self, generation: int, values: dict,
             previous: threading.Thread | None) -> None:
        if previous is not None:
            previous.join()  # told to stop at its next chunk: one run at a time
        if not self._current(generation):
            return
        started = time.perf_counter()

        def on_chunk(chunk: xr.Dataset, fraction: float) -> bool:
            if not self._current(generation):
                return False  # the user moved on: stop, nobody wants this result
            self.progress.value = fraction
            self._stream(chunk)
            return True

        try:
            ds = self._experiment(values, on_chunk)
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
        self._show(ds)
        self.progress.value = 1.0
        self.progress.bar_style = "success"
        self.status.value = (f"run {generation} done in "
                             f"{time.perf_counter() - started:.2f} s")
