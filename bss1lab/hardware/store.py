"""Saving and loading a ``MappedNetwork``: netCDF-4 through xarray, no pickle.

The format (version ``FORMAT_VERSION``)
---------------------------------------
One netCDF-4 file of groups, one group per record: the root group is the
``MappedNetwork``, and each field that is itself a record (a dataclass such as
``RealisedNetwork``, ``PopulationSlice``, ``Placement``, ``Routing``, ``Wafer``; a dict;
a tuple or list of records) is a child group named after the field (items of a
sequence: ``item0``, ``item1``, ...). In each group:

- numeric and boolean arrays are variables named after the field, with their own
  dimensions ``<field>_0``, ``<field>_1``, ... (dtypes kept: int16, int32, int64,
  float32, float64, bool);
- numbers, strings and booleans are attributes named after the field;
- tuples of numbers or strings are 1-D variables; lists of arrays (a
  ``SpikeSourceArray``'s trains) are ``<field>__values`` with ``<field>__lengths``;
- a cell type is an attribute holding its class name (its per-cell values are the
  population's ``parameters``);
- the attribute ``bss1lab_kinds`` (JSON) says for every field how it is stored,
  and ``bss1lab_type`` which class the group is (``module:name``, bss1lab's own only).

The root group also holds the provenance: ``format``, ``format_version``,
``bss1lab_version``, ``wafer_description``, ``wafer_seed``, ``network_seed``,
``trial`` and whatever the caller adds. A network whose synapses are drawn anew for
each emulation (``RealisedNetwork.redraw``) is saved with its synapses drawn.

Fields are written by walking ``dataclasses.fields``: a field added to a class is
saved without changing this module, as long as its values are of the kinds above;
otherwise :func:`save` raises naming it. A field computed from the others can be
listed in ``DERIVED`` instead (name -> function of the loaded fields).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import numbers
import os
from typing import TYPE_CHECKING, Callable

import numpy as np
import xarray as xr

import bss1lab
from bss1lab.network.cells import CellType
from bss1lab.network.model import StepCurrentSource
from bss1lab.network.realise import RealisedNetwork

if TYPE_CHECKING:
    from bss1lab.hardware.mapped import MappedNetwork

__all__ = ["save", "load", "provenance", "FORMAT", "FORMAT_VERSION", "DERIVED"]

#: What the root group's ``format`` attribute says.
FORMAT = "bss1lab MappedNetwork"
#: The format's version: a file of another version is refused.
FORMAT_VERSION = 1
#: Fields of ``MappedNetwork`` not saved but computed on loading: name -> function of
#: the dict of the loaded fields.
DERIVED: dict[str, Callable[[dict], object]] = {}

_ROOT = "/"


class _Writer:
    """Collects one ``xr.Dataset`` per group."""

    def __init__(self) -> None:
        self.groups: dict[str, xr.Dataset] = {}

    def record(self, path: str, type_name: str, items) -> None:
        data, attrs, kinds = {}, {"bss1lab_type": type_name}, {}
        for name, value in items:
            kinds[name] = self.value(path, name, value, data, attrs)
        attrs["bss1lab_kinds"] = json.dumps(kinds)
        self.groups[path] = xr.Dataset(data, attrs=attrs)

    def value(self, path: str, name: str, value, data: dict, attrs: dict) -> str:
        child = f"{path.rstrip('/')}/{name}"
        if value is None:
            return "none"
        if isinstance(value, (bool, np.bool_)):
            attrs[name] = np.int8(value)
            return "bool"
        if isinstance(value, numbers.Integral):
            attrs[name] = np.int64(value)
            return "int"
        if isinstance(value, numbers.Real):
            attrs[name] = np.float64(value)
            return "float"
        if isinstance(value, str):
            attrs[name] = value
            return "str"
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            data[name] = ([f"{name}_{axis}" for axis in range(value.ndim)], value)
            return "array"
        if isinstance(value, CellType):
            attrs[name] = type(value).__name__
            return "cell_type"
        if isinstance(value, StepCurrentSource):
            self.record(child, "StepCurrentSource",
                        [("times", value.times), ("amplitudes", value.amplitudes)])
            return "group"
        if isinstance(value, RealisedNetwork) and not value.synapses_kept:
            value = _drawn(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            cls = type(value)
            if not cls.__module__.startswith("bss1lab."):
                raise TypeError(f"save: {child}: {cls.__name__} is not bss1lab's")
            self.record(child, f"{cls.__module__}:{cls.__qualname__}",
                        [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)])
            return "group"
        if isinstance(value, dict):
            if not all(isinstance(key, str) for key in value):
                raise TypeError(f"save: {child}: dict keys must be strings")
            self.record(child, "dict", value.items())
            return "group"
        if isinstance(value, (tuple, list)):
            sequence = type(value).__name__
            if all(isinstance(v, str) for v in value) and value:
                data[name] = ([f"{name}_0"], np.array(value, dtype=object))
                return f"{sequence}:str"
            if all(isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))
                   for v in value):
                array = np.array(value, dtype=np.int64 if all(
                    isinstance(v, numbers.Integral) for v in value) and value
                    else np.float64)
                data[name] = ([f"{name}_0"], array)
                return f"{sequence}:number"
            if value and all(isinstance(v, np.ndarray) and v.ndim == 1 for v in value):
                data[f"{name}__values"] = ([f"{name}__values_0"], np.concatenate(value))
                data[f"{name}__lengths"] = ([f"{name}__lengths_0"],
                                            np.array([v.size for v in value], np.int64))
                return f"{sequence}:ragged"
            self.record(child, sequence, [(f"item{i}", v) for i, v in enumerate(value)])
            return "group"
        raise TypeError(
            f"save: {child} is a {type(value).__name__}, which the mapping format does "
            "not store; give it a kind in bss1lab.hardware.store, or list the field in "
            "store.DERIVED if it is computed from the others")


def _drawn(network: RealisedNetwork) -> RealisedNetwork:
    """``network`` with its synapses drawn into arrays (they are drawn anew, the same,
    for each emulation otherwise)."""
    parts = [network.projection_synapses(k) for k in range(len(network.projection_labels))]
    arrays = [np.concatenate([p[i] for p in parts]) if parts else np.empty(0, dtype)
              for i, dtype in enumerate((np.int32, np.int32, np.float32, np.float32))]
    return dataclasses.replace(network, pre=arrays[0], post=arrays[1], weight=arrays[2],
                               delay=arrays[3], redraw=())


def save(mapped: "MappedNetwork", path: str | os.PathLike,
         attrs: dict | None = None) -> None:
    """Write ``mapped`` to ``path`` (netCDF-4, see the module's description).

    Parameters
    ----------
    mapped : MappedNetwork
    path : str or path-like
        Replaced if it exists.
    attrs : dict, optional
        Further provenance for the root group (numbers and strings), e.g. the run
        seed the mapping came from.
    """
    writer = _Writer()
    fields = [(f.name, getattr(mapped, f.name)) for f in dataclasses.fields(mapped)
              if f.name not in DERIVED]
    writer.record(_ROOT, "bss1lab.hardware.mapped:MappedNetwork", fields)
    root = writer.groups[_ROOT]
    clash = sorted(set(attrs or {}) & set(json.loads(root.attrs["bss1lab_kinds"])))
    if clash:
        raise ValueError(f"save: attrs {clash} are names of MappedNetwork's fields")
    requested = mapped.requested if mapped.requested is not None else mapped.network
    root.attrs.update({
        "format": FORMAT, "format_version": np.int64(FORMAT_VERSION),
        "bss1lab_version": bss1lab.__version__,
        "wafer_description": mapped.wafer.describe(),
        "wafer_seed": np.int64(mapped.wafer.seed),
        "network_seed": ("not an integer" if requested.seed is None
                         else str(requested.seed)),
        "trial": np.int64(mapped.report.get("trial", 0)),
        "title": f"{mapped.network.label}: {mapped.wafer.describe()}",
        **(attrs or {})})
    path = os.fspath(path)
    if os.path.exists(path):
        os.remove(path)
    mode = "w"
    for group, ds in writer.groups.items():
        ds.to_netcdf(path, mode=mode, group=None if group == _ROOT else group,
                     engine="netcdf4")
        mode = "a"


def provenance(path: str | os.PathLike) -> dict:
    """The root group's attributes of a saved mapping: format, versions, wafer, seeds."""
    with xr.open_dataset(path, engine="netcdf4") as root:
        return {k: v for k, v in root.attrs.items() if not k.startswith("bss1lab_")
                or k == "bss1lab_version"}


def _check_format(attrs: dict, path) -> None:
    if attrs.get("format") != FORMAT:
        raise ValueError(f"MappedNetwork.load: {os.fspath(path)!r} is not a saved mapping "
                         f"(its format attribute is {attrs.get('format')!r}, not "
                         f"{FORMAT!r})")
    version = int(attrs.get("format_version", -1))
    if version != FORMAT_VERSION:
        raise ValueError(f"MappedNetwork.load: {os.fspath(path)!r} is in mapping format "
                         f"version {version} (written by bss1lab "
                         f"{attrs.get('bss1lab_version', '?')}); this bss1lab "
                         f"({bss1lab.__version__}) reads version {FORMAT_VERSION} only: "
                         "map the network again")


def load(path: str | os.PathLike) -> "MappedNetwork":
    """Read a mapping written by :func:`save` (see ``MappedNetwork.load``)."""
    with xr.open_dataset(path, engine="netcdf4") as root:
        _check_format(root.attrs, path)
    groups = xr.open_groups(path, engine="netcdf4", mask_and_scale=False,
                            decode_times=False, decode_timedelta=False)
    try:
        groups = {name: ds.load() for name, ds in groups.items()}
    finally:
        for ds in groups.values():
            ds.close()
    return _read(groups, _ROOT)


def _read(groups: dict, path: str):
    ds = groups[path]
    kinds = json.loads(ds.attrs["bss1lab_kinds"])
    values = {name: _read_value(groups, ds, path, name, kind)
              for name, kind in kinds.items()}
    type_name = ds.attrs["bss1lab_type"]
    if type_name == "dict":
        return values
    if type_name in ("tuple", "list"):
        items = [values[f"item{i}"] for i in range(len(values))]
        return tuple(items) if type_name == "tuple" else items
    if type_name == "StepCurrentSource":
        return StepCurrentSource(values["times"], values["amplitudes"])
    module, _, name = type_name.partition(":")
    if not module.startswith("bss1lab."):
        raise ValueError(f"MappedNetwork.load: group {path!r} names {type_name!r}, "
                         "not a class of bss1lab")
    cls = getattr(importlib.import_module(module), name)
    if not dataclasses.is_dataclass(cls):
        raise ValueError(f"MappedNetwork.load: group {path!r}: {type_name} is not a record")
    if path == _ROOT:
        for field_name, derive in DERIVED.items():
            values[field_name] = derive(values)
    return cls(**values)


def _read_value(groups: dict, ds: xr.Dataset, path: str, name: str, kind: str):
    if kind == "none":
        return None
    if kind == "group":
        return _read(groups, f"{path.rstrip('/')}/{name}")
    if kind in ("bool", "int", "float", "str"):
        return {"bool": bool, "int": int, "float": float, "str": str}[kind](ds.attrs[name])
    if kind == "array":
        return ds[name].values
    if kind == "cell_type":
        from bss1lab.network import cells
        cls = getattr(cells, ds.attrs[name], None)
        if not (isinstance(cls, type) and issubclass(cls, CellType)):
            raise ValueError(f"MappedNetwork.load: unknown cell type {ds.attrs[name]!r}")
        return cls()
    sequence, _, element = kind.partition(":")
    make = tuple if sequence == "tuple" else list
    if element == "ragged":
        lengths = ds[f"{name}__lengths"].values
        return make(np.split(ds[f"{name}__values"].values, np.cumsum(lengths)[:-1]))
    if element == "str":
        return make(str(v) for v in ds[name].values)
    if element == "number":
        return make(ds[name].values.tolist())
    raise ValueError(f"MappedNetwork.load: {path}/{name}: unknown kind {kind!r}")
