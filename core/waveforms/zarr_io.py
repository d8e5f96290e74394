"""Parts of WaveformExtractor zarr stores (zarr format 2, as SpikeInterface 0.100; FORMATS.md §8.2).

:class:`~.store_zarr.ZarrWaveformStore` reads and writes whole stores with these: opening the
root, the probe group and sparsity attributes, extractor descriptions, and extension data.
Extension groups may hold JSON and pickle object arrays that zarr-python 3 can neither open nor
write: :func:`read_zarr_extension_data` and :func:`write_zarr_extension_data` handle them through
:mod:`core.zarr_v2_raw`.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import zarr
from probeinterface import Probe, ProbeGroup

from ..json_io import to_jsonable
from ..zarr_v2_raw import group_members, read_array, read_attributes, write_json_array
from ..zarr_v2_store import create_array, get_default_zarr_compressor

if TYPE_CHECKING:
    from .sparsity import ChannelSparsity


# --------------------------------------------------------------------------- store parts
def open_zarr(folder: Path, mode: str = "r") -> zarr.Group:
    """Open a WE zarr store, ignoring its consolidated metadata.

    SpikeInterface's stores may carry a ``.zmetadata`` (xarray writes one with quality metrics)
    that lists JSON and pickle object arrays, which zarr-python 3 cannot parse; the per-node files
    are authoritative anyway. Groups holding such arrays are read with :mod:`core.zarr_v2_raw`.
    """
    if mode == "r" and not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such zarr folder")
    return zarr.open_group(
        str(folder),
        mode=mode,
        zarr_format=2 if mode == "w" else None,
        use_consolidated=False,
    )


def zarr_probegroup(attrs: dict) -> ProbeGroup | None:
    """The ``probegroup`` attribute of ``recording_info`` (a ProbeGroup dict, or a Probe dict)."""
    description = attrs.get("probegroup")
    if description is None:
        return None
    description = copy.deepcopy(description)
    if "probes" in description:
        return ProbeGroup.from_dict(description)
    probegroup = ProbeGroup()
    probegroup.add_probe(Probe.from_dict(description))
    return probegroup


def read_zarr_recording_info(root: zarr.Group, folder: Path) -> dict:
    """Recording attributes of a WE zarr store, with ``probegroup`` added."""
    if "recording_info" not in root:
        raise ValueError(f"{folder}: no recording_info group: use with_recording=True")
    attrs = dict(root["recording_info"].attrs)
    if "recording_attributes" not in attrs:
        raise ValueError(f"{folder}: recording_info has no recording_attributes")
    rec_attributes = copy.deepcopy(attrs["recording_attributes"])
    rec_attributes["probegroup"] = zarr_probegroup(attrs)
    return rec_attributes


def zarr_sparsity(root: zarr.Group) -> ChannelSparsity | None:
    """The ``sparsity`` attribute of a WE zarr store as a ChannelSparsity."""
    from .sparsity import ChannelSparsity

    description = root.attrs.get("sparsity")
    return None if description is None else ChannelSparsity.from_dict(description)


def probegroup_dict(probegroup: ProbeGroup) -> dict:
    """probeinterface dictionary of a ProbeGroup, JSON-ready."""
    return to_jsonable(probegroup.to_dict(array_as_list=True))


def extractor_dict(extractor, relative_to: Path | None) -> dict | None:
    """The recursive description stored in zarr attributes, or None if not JSON-serializable."""
    if not extractor.check_if_json_serializable():
        return None
    return to_jsonable(
        extractor.to_dict(include_annotations=True, recursive=True, relative_to=relative_to)
    )


def read_zarr_extension_data(group: Path, allow_pickle: bool) -> dict[str, Any]:
    """The data of an extension's group in a WE zarr store (FORMATS.md §8.3), by name.

    The group is read from its files (:mod:`core.zarr_v2_raw`), so that the JSON and pickle
    object arrays of SpikeInterface's stores can be read: an array with attribute ``dict`` is a
    dict (a 1-element JSON object array with ``dict: true``, as SpikeInterface and
    `write_zarr_extension_data` write it; older SpikeDesk stores: an array whose ``dict``
    attribute is the dict itself); a group with attribute ``dataframe`` (a pandas DataFrame,
    xarray layout) becomes a dict of its 1-D arrays, the columns and ``index``; pickled data (a
    0-d array holds one object) needs ``allow_pickle``; any other array is returned whole.

    Raises
    ------
    ValueError
        If an array is pickled and ``allow_pickle`` is False, or cannot be read; the message
        names the array.
    """
    groups, arrays = group_members(group)
    data: dict[str, Any] = {}
    for name in arrays:
        path = group / name
        stored_dict = read_attributes(path).get("dict")
        if isinstance(stored_dict, dict):
            data[name] = dict(stored_dict)
            continue
        values = read_array(path, allow_pickle=allow_pickle)
        if stored_dict is not None:
            if values.shape != (1,) or not isinstance(values[0], dict):
                raise ValueError(
                    f"{path}: attribute 'dict' is set but the array is not one JSON dict "
                    f"(shape {values.shape}, dtype {values.dtype})"
                )
            data[name] = values[0]
        else:
            data[name] = values[()] if values.dtype == object and values.ndim == 0 else values
    for name in groups:
        path = group / name
        if not read_attributes(path).get("dataframe"):
            warnings.warn(f"{path}: a group that is not a DataFrame; not loaded", stacklevel=5)
            continue
        data[name] = {
            column: read_array(path / column, allow_pickle=allow_pickle)
            for column in group_members(path)[1]
        }
    return data


def write_zarr_extension_data(group: Path, data: dict[str, Any], compressor: Any) -> None:
    """Write an extension's data into its empty group of a WE zarr store, as SpikeInterface 0.100.

    A dict becomes a 1-element JSON object array with attribute ``dict: true`` (written from its
    files by :mod:`core.zarr_v2_raw`, with zarr 2's default compressor as SpikeInterface leaves
    it), an ndarray a one-chunk array compressed with ``compressor``, a pandas DataFrame a group
    in xarray's layout (:func:`core.zarr_dataframe.write_dataframe_group`).

    Parameters
    ----------
    group : Path
        Folder of the extension's group.
    data : dict
        The extension data by name.
    compressor : numcodecs codec | None
        Compressor of the ndarrays (None: `get_default_zarr_compressor`).

    Raises
    ------
    NotImplementedError
        If a value is neither a dict, an ndarray nor a DataFrame.
    """
    compressor = compressor if compressor is not None else get_default_zarr_compressor()
    zarr_group = open_zarr(group, mode="r+")
    for name, value in data.items():
        if isinstance(value, dict):
            write_json_array(group, name, [to_jsonable(value)], attributes={"dict": True})
        elif isinstance(value, np.ndarray):
            create_array(zarr_group, name, value, compressor=compressor)
        elif type(value).__name__ == "DataFrame" and hasattr(value, "to_xarray"):
            from ..zarr_dataframe import write_dataframe_group

            write_dataframe_group(zarr_group, name, value, compressor)
        else:
            raise NotImplementedError(
                f"extension data {name!r} of type {type(value).__name__} cannot be stored in "
                "zarr: use a binary folder"
            )
