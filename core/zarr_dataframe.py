"""A pandas DataFrame as a zarr format 2 group, laid out as xarray writes it.

SpikeInterface 0.100 keeps a DataFrame extension item (quality metrics) in a zarr store with
``df.to_xarray().to_zarr(...)`` and marks the group with the attribute ``dataframe: true``: one
1-D array per column and one ``index`` array, each with the attribute ``_ARRAY_DIMENSIONS:
["index"]`` that xarray needs to read them back. This module writes that layout without xarray;
:func:`core.waveforms.zarr_io.read_zarr_extension_data` reads it back as a dict of arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import zarr

from .zarr_v2_store import ARRAY_CONFIG, V2_CHUNK_KEYS

__all__ = ["write_dataframe_group"]


def _column_array(values: Any) -> np.ndarray:
    """A numeric array as it is, anything else as fixed-width strings."""
    array = np.asarray(values)
    if array.dtype.kind in "biuf":
        return array
    return np.array([str(value) for value in array.tolist()], dtype=str)


def write_dataframe_group(parent: zarr.Group, name: str, frame: Any, compressor: Any) -> None:
    """Write ``frame`` as the group ``parent[name]`` (xarray's layout, ``dataframe: true``).

    Parameters
    ----------
    parent : zarr.Group
        Group opened for writing (zarr format 2).
    name : str
        Name of the new group.
    frame : pandas.DataFrame
        Its index and columns (column names must be strings other than ``"index"``).
    compressor : numcodecs codec or None
        Compressor of the arrays.

    Raises
    ------
    ValueError
        If a column name is not a string or is ``"index"``.
    """
    for column in frame.columns:
        if not isinstance(column, str) or column == "index":
            raise ValueError(
                f"DataFrame column {column!r} cannot be stored in zarr: column names must be "
                "strings other than 'index'"
            )
    group = parent.create_group(name)
    group.attrs["dataframe"] = True
    arrays = {"index": _column_array(frame.index.to_numpy())}
    arrays.update({column: _column_array(frame[column].to_numpy()) for column in frame.columns})
    for array_name, values in arrays.items():
        # as xarray: NaN marks missing floats; no fill value otherwise (xarray would read a
        # fill value of 0 as "missing" and turn every zero into NaN)
        array = group.create_array(
            array_name,
            shape=values.shape,
            dtype=values.dtype,
            chunks=(max(values.size, 1),),
            compressors=compressor,
            fill_value=np.nan if values.dtype.kind == "f" else None,
            chunk_key_encoding=V2_CHUNK_KEYS,
            config=ARRAY_CONFIG,
        )
        if values.size:
            array[...] = values
        array.attrs["_ARRAY_DIMENSIONS"] = ["index"]
