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
import dataclasses
import html
import importlib
import json
import numbers
import re
import threading
import time
import traceback
from typing import Any, Callable, Iterable, Iterator, Mapping

import ipywidgets as w
import traitlets
import xarray as xr
from bokeh.model import Model
from jupyter_bokeh.widgets import BokehModel

from bss1lab.emulator.compiling import on_compile
from bss1lab.hardware import Wafer

__all__ = ["Panel", "Call", "Figure", "ensure_bokehjs", "number", "NumberControl",
           "variation_slider", "chip_slider", "wafer_toggle", "DOCUMENT_LOCK", "STYLE"]

#: Room for the controls' descriptions.
STYLE = {"description_width": "110px"}

#: Held while a panel changes its figures and while a BokehJS message is applied:
#: bokeh documents are not thread-safe (one lock for all panels: a panel's run and
#: the kernel's thread are the only writers, and each holds it for milliseconds).
DOCUMENT_LOCK = threading.RLock()


# --- the call a panel runs, and its code -------------------------------------------

def _import_path(obj: Any) -> tuple[str, str]:
    """The shortest public module that exports ``obj``, and its name there."""
    name = obj.__qualname__.split(".")[0]
    parts = obj.__module__.split(".")
    for end in range(1, len(parts) + 1):
        module = ".".join(parts[:end])
        if getattr(importlib.import_module(module), name, None) is \
                getattr(importlib.import_module(obj.__module__), name):
            return module, name
    return obj.__module__, name


def _source(value: Any, imports: set[tuple[str, str]]) -> str:
    """``value`` as Python source (its repr, shortened for dataclasses), noting the
    imports that source needs in ``imports``."""
    if isinstance(value, Wafer) and value == Wafer.ideal():
        imports.add(_import_path(Wafer))
        return "Wafer.ideal()"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        imports.add(_import_path(type(value)))
        fields = [f"{f.name}={_source(getattr(value, f.name), imports)}"
                  for f in dataclasses.fields(value)
                  if f.init and getattr(value, f.name) != f.default]
        return f"{type(value).__name__}({', '.join(fields)})"
    if isinstance(value, (list, tuple)):
        items = [_source(v, imports) for v in value]
        if isinstance(value, tuple):
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        return f"[{', '.join(items)}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_source(k, imports)}: {_source(v, imports)}"
                               for k, v in value.items()) + "}"
    if type(value).__module__.startswith("bss1lab"):
        imports.add(_import_path(type(value)))
    return repr(value)


@dataclasses.dataclass(frozen=True)
class Call:
    """One call of a bss1lab function: what a panel runs and the code it shows, made
    from the same description so the two cannot differ.

    Parameters
    ----------
    function : callable
        A public bss1lab function (``balanced_random_network``, ...).
    args : tuple
        Positional arguments.
    kwargs : mapping
        Keyword arguments; their reprs are the code (shortened for dataclasses: only
        the fields that differ from the defaults).
    """

    function: Callable[..., Any]
    args: tuple = ()
    kwargs: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __call__(self, **extra: Any) -> Any:
        """Run it; ``extra`` keywords (e.g. ``on_chunk``, which does not change the
        result) are not part of the code."""
        return self.function(*self.args, **self.kwargs, **extra)

    def source(self, imports: set[tuple[str, str]], width: int = 88) -> str:
        """The call as Python source (one argument a line when it is wider than
        ``width``); the imports it needs are added to ``imports``."""
        imports.add(_import_path(self.function))
        arguments = [_source(a, imports) for a in self.args]
        arguments += [f"{k}={_source(v, imports)}" for k, v in self.kwargs.items()]
        line = f"{self.function.__name__}({', '.join(arguments)})"
        if len(line) <= width:
            return line
        return f"{self.function.__name__}(\n" + "".join(f"    {a},\n" for a in arguments) + ")"


def render(calls: Mapping[str, Call], epilogue: str = "", uses: tuple = ()) -> str:
    """The code of ``calls`` (assigned to their names, in order), imports first, then
    the ``epilogue`` lines, which may use the names of the calls and of ``uses``
    (functions or classes, imported too)."""
    imports = {_import_path(obj) for obj in uses} if epilogue else set()
    lines = [f"{name} = {call.source(imports)}" for name, call in calls.items()]
    by_module: dict[str, list[str]] = {}
    for module, name in sorted(imports):
        by_module.setdefault(module, []).append(name)
    head = [f"from {module} import {', '.join(names)}" for module, names in by_module.items()]
    return "\n".join(head + lines + ([epilogue] if epilogue else []))


# --- controls ----------------------------------------------------------------------

class NumberControl(w.VBox):
    """A number the user may drag (a slider that changes on release) or type (a text
    box next to it). Typed text is parsed and checked in Python: a bad entry leaves
    the value as it was and says why under the control, in words.

    ``control.value`` and ``control.observe(..., names="value")`` work as on a slider;
    setting ``value`` out of range raises ValueError.
    """

    value = traitlets.Any()

    def __init__(self, description: str, value, low, high, step) -> None:
        self.integer = all(isinstance(v, int) for v in (value, low, high, step))
        self.description, self.low, self.high = description, low, high
        cls = w.IntSlider if self.integer else w.FloatSlider
        self.slider = cls(value=value, min=low, max=high, step=step,
                          description=description, continuous_update=False,
                          readout=False, style=STYLE, layout=w.Layout(width="260px"))
        self.text = w.Text(value=self._format(value), continuous_update=False,
                           layout=w.Layout(width="70px"))
        self.text.add_class("bss1lab-number")
        self.message = w.HTML("", layout=w.Layout(display="none"))
        self.message.add_class("bss1lab-number-message")
        super().__init__([w.HBox([self.slider, self.text]), self.message])
        self.value = value
        self.slider.observe(lambda change: self._set(change["new"]), names="value")
        self.text.observe(lambda change: self._typed(change["new"]), names="value")

    def _format(self, value) -> str:
        return f"{value:d}" if self.integer else f"{value:g}"

    def refusal(self, got) -> str:
        """Why ``got`` is not a value of this control, in words."""
        kind = "a whole number" if self.integer else "a number"
        return (f"{self.description} must be {kind} between {self._format(self.low)} "
                f"and {self._format(self.high)}; got {got!r}")

    @traitlets.validate("value")
    def _check(self, proposal):
        value = proposal["value"]
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
                (self.integer and value != int(value)) or not self.low <= value <= self.high:
            raise ValueError(self.refusal(value))
        return int(value) if self.integer else float(value)

    @traitlets.observe("value")
    def _show_value(self, change) -> None:
        self.slider.value = change["new"]
        self.text.value = self._format(change["new"])
        self.message.value = ""
        self.message.layout.display = "none"

    def _set(self, value) -> None:
        if value != self.value:
            self.value = value

    def _typed(self, text: str) -> None:
        if text.strip() == self._format(self.value):  # the value as shown (or echoed)
            return
        try:
            value = float(text.strip())
            if self.integer and value == int(value):
                value = int(value)
            self._set(value)
        except (ValueError, OverflowError):
            self.message.value = (f"<span style='color:#b00'>{html.escape(self.refusal(text))}"
                                  f" (kept {self._format(self.value)})</span>")
            self.message.layout.display = None
            return
        self.text.value = self._format(self.value)  # normalised: "2.50" -> "2.5"


def number(description: str, value, low, high, step) -> NumberControl:
    """A number control (slider and text box); integer when all its numbers are ints."""
    return NumberControl(description, value, low, high, step)


def variation_slider() -> NumberControl:
    """The scale of the fixed-pattern noise: 0 perfect circuits, 1 as measured."""
    return number("variation", 1.0, 0.0, 2.0, 0.1)


def chip_slider() -> NumberControl:
    """The wafer seed: one seed is one chip."""
    return number("chip (wafer seed)", 0, 0, 20, 1)


def wafer_toggle() -> w.ToggleButtons:
    """The emulated wafer or the ideal reference."""
    return w.ToggleButtons(options=["emulated wafer", "ideal"], value="emulated wafer",
                           style={"button_width": "auto"})  # as wide as "emulated wafer"


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


class LockedBokehModel(BokehModel):
    """jupyter_bokeh's ``BokehModel``, safe to change from a panel's run.

    * Messages from BokehJS (range changes, ..., handled on the kernel's thread) are
      applied under :data:`DOCUMENT_LOCK`, so they never meet a run changing the
      same document.
    * :meth:`redrawing` sends a finished change as the whole document (the
      ``render_bundle`` a view is drawn from) instead of a patch: jupyter_bokeh
      sends patches to the views that exist and draws every later view (the first
      display of a panel whose run finished before the browser drew it, a second
      display, a reloaded page) from the bundle made when the model was created,
      so without this those views show the figures as they were then (empty).
    """

    _redrawing = False

    def _sync_model(self, model, content, buffers) -> None:
        with DOCUMENT_LOCK:
            super()._sync_model(model, content, buffers)

    def _document_patched(self, event) -> None:
        if not self._redrawing:
            super()._document_patched(event)

    @contextlib.contextmanager
    def combined(self) -> Iterator[None]:
        """Changes made inside go to the browser as one patch."""
        with DOCUMENT_LOCK:
            self._document.hold("combine")
            try:
                yield
            finally:
                self._document.unhold()

    @contextlib.contextmanager
    def redrawing(self) -> Iterator[None]:
        """Changes made inside reach every view, present and future, as the whole
        document, once."""
        with DOCUMENT_LOCK:
            self._redrawing = True
            try:
                yield
            finally:
                self._redrawing = False
                self.render_bundle = self._model_to_traits(self._model)


# --- the panel ---------------------------------------------------------------------

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
        self.status.value = "compiling the emulator (once)..." if now else "running..."

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
