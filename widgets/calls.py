"""The call a panel runs, described once: it runs it, and it writes the code that
reproduces it (``Call``, ``render``)."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any, Callable, Mapping

from bss1lab.hardware import Wafer

__all__ = ["Call", "render"]


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
