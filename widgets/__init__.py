"""ipywidgets panels built from ``bss1lab.plotting`` and jupyter_bokeh (installed as
``bss1lab.widgets``). Importing ``bss1lab`` never imports this package, so the library
stays usable without Jupyter."""
