"""bokeh figures in a notebook or a panel: BokehJS brought into the page once, and a
``BokehModel`` whose messages from BokehJS wait for a panel's redraw.

Bokeh documents are not thread-safe, so every change of a panel's figures (from the
run) and every message from BokehJS (on the kernel's thread) is applied under one
lock, :data:`DOCUMENT_LOCK`.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import threading
from typing import Iterable, Iterator

from bokeh.model import Model
from bokeh.models import DataRange1d
from jupyter_bokeh.widgets import BokehModel

__all__ = ["Figure", "LockedBokehModel", "ensure_bokehjs", "DOCUMENT_LOCK"]

#: Held while a panel changes its figures and while a BokehJS message is applied:
#: bokeh documents are not thread-safe (one lock for all panels: a panel's run and
#: the kernel's thread are the only writers, and each holds it for milliseconds).
DOCUMENT_LOCK = threading.RLock()


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

    def __init__(self, model, **kwargs) -> None:
        #: (range id, "start" or "end") that BokehJS has sent back since the last redraw
        self._browser_limits: set[tuple[str, str]] = set()
        super().__init__(model, **kwargs)

    def _sync_model(self, model, content, buffers) -> None:
        with DOCUMENT_LOCK:
            super()._sync_model(model, content, buffers)
            if content.get("kind") == "ModelChanged" and content.get("attr") in (
                    "start", "end"):
                self._browser_limits.add((content["model"]["id"], content["attr"]))

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
        document, once. The limits of its data ranges that came from the browser
        are dropped: BokehJS sends back the extent it computed for the data shown so
        far (and a zoom), and in a whole document those would come back as fixed
        limits, hiding new data beyond them; limits set in Python stay."""
        with DOCUMENT_LOCK:
            self._redrawing = True
            try:
                yield
            finally:
                for model_id, attr in self._browser_limits:
                    data_range = self._document.get_model_by_id(model_id)
                    if isinstance(data_range, DataRange1d):
                        setattr(data_range, attr, math.nan)  # the default: the data's
                self._browser_limits.clear()
                self._redrawing = False
                self.render_bundle = self._model_to_traits(self._model)
