"""Zarr format 2 nodes read from (and JSON object arrays written to) their files.

SpikeInterface wrote its zarr stores with zarr-python 2, which stores Python objects as ``"|O"``
arrays through an object codec: JSON (``json2``, e.g. an extension's dict) or pickle (any other
object). zarr-python 3 knows neither codec: it cannot open such an array, list a group holding
one, or open a store whose consolidated ``.zmetadata`` describes one; nor can it write one. This
module reads a local store node by node from its ``.zgroup`` / ``.zarray`` / ``.zattrs`` files
instead, and decodes an object array's single chunk itself with numcodecs. Numeric and string
arrays are still read by zarr. `write_json_array` writes a JSON object array's files as zarr 2
does, so that SpikeInterface 0.100 reads it.

JSON object arrays are decoded freely (JSON cannot run code). Pickled arrays (a ``pickle`` codec
anywhere in ``compressor`` or ``filters``) are decoded only with ``allow_pickle=True``: unpickling
runs whatever code the file names. Every error is a ``ValueError`` naming the file or array.
"""

from __future__ import annotations

import json
import math
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .json_io import read_json

__all__ = [
    "codec_ids",
    "group_members",
    "holds_objects",
    "is_array",
    "is_group",
    "read_array",
    "read_array_metadata",
    "read_attributes",
    "write_json_array",
]

#: Object codecs decoded here: JSON holds data only.
_DECODED_OBJECT_CODECS = {"json2"}
#: Object codecs zarr-python 3 reads itself (strings and bytes).
_ZARR_OBJECT_CODECS = {"vlen-utf8", "vlen-bytes"}
#: Codecs whose decoding unpickles.
_PICKLE_CODECS = {"pickle"}
#: The compressor zarr 2 gives an array created without one (``zarr.storage.default_compressor``),
#: as a numcodecs config (numcodecs is imported when an array is written).
_ZARR2_DEFAULT_COMPRESSOR = {
    "id": "blosc",
    "cname": "lz4",
    "clevel": 5,
    "shuffle": 1,
    "blocksize": 0,
}


def is_group(path: Path) -> bool:
    """Whether ``path`` is a zarr v2 group (holds ``.zgroup``)."""
    return (path / ".zgroup").is_file()


def is_array(path: Path) -> bool:
    """Whether ``path`` is a zarr v2 array (holds ``.zarray``)."""
    return (path / ".zarray").is_file()


def group_members(path: Path) -> tuple[list[str], list[str]]:
    """Names of the child groups and child arrays of a v2 group, each sorted.

    Parameters
    ----------
    path : Path
        Folder of the group.

    Returns
    -------
    groups, arrays : list of str

    Raises
    ------
    ValueError
        If ``path`` is not a zarr v2 group.
    """
    if not is_group(path):
        raise ValueError(f"{path}: not a zarr format 2 group (no .zgroup)")
    children = sorted(child for child in path.iterdir() if child.is_dir())
    return (
        [child.name for child in children if is_group(child)],
        [child.name for child in children if is_array(child)],
    )


def read_attributes(path: Path) -> dict[str, Any]:
    """The ``.zattrs`` of a v2 group or array (empty when the file is absent).

    Raises
    ------
    ValueError
        If ``.zattrs`` is not a JSON object.
    """
    attrs_file = path / ".zattrs"
    if not attrs_file.is_file():
        return {}
    attrs = read_json(attrs_file)
    if not isinstance(attrs, dict):
        raise ValueError(f"{attrs_file}: expected a JSON object of attributes")
    return attrs


def read_array_metadata(path: Path) -> dict[str, Any]:
    """The ``.zarray`` of a v2 array, checked for the keys a reader needs.

    Raises
    ------
    ValueError
        If ``.zarray`` is missing, not JSON, or lacks a valid ``shape``, ``chunks``, ``dtype`` or
        ``zarr_format`` 2.
    """
    metadata_file = path / ".zarray"
    if not metadata_file.is_file():
        raise ValueError(f"{path}: not a zarr format 2 array (no .zarray)")
    metadata = read_json(metadata_file)
    if not isinstance(metadata, dict):
        raise ValueError(f"{metadata_file}: expected a JSON object")
    problems = []
    if metadata.get("zarr_format") != 2:
        problems.append(f"zarr_format is {metadata.get('zarr_format')!r}, expected 2")
    for key in ("shape", "chunks"):
        value = metadata.get(key)
        if not (isinstance(value, list) and all(_is_size(v) for v in value)):
            problems.append(f"{key} is {value!r}, expected a list of non-negative integers")
    if isinstance(metadata.get("shape"), list) and isinstance(metadata.get("chunks"), list):
        if len(metadata["shape"]) != len(metadata["chunks"]):
            problems.append("shape and chunks differ in length")
    if not isinstance(metadata.get("dtype"), str | list):
        problems.append(f"dtype is {metadata.get('dtype')!r}")
    filters = metadata.get("filters")
    if filters is not None and not (
        isinstance(filters, list) and all(_is_codec(f) for f in filters)
    ):
        problems.append(f"filters is {filters!r}, expected null or a list of codec objects")
    compressor = metadata.get("compressor")
    if compressor is not None and not _is_codec(compressor):
        problems.append(f"compressor is {compressor!r}, expected null or a codec object")
    if problems:
        raise ValueError(f"{metadata_file}: not a valid zarr v2 array: {'; '.join(problems)}")
    return metadata


def holds_objects(dtype: Any) -> bool:
    """Whether a v2 ``dtype`` (``"|O"``, or a structured list of fields) holds Python objects."""
    if isinstance(dtype, str):
        return dtype.lstrip("<>|=") == "O"
    if isinstance(dtype, list):
        return any(
            holds_objects(field[1]) for field in dtype if isinstance(field, list) and len(field) > 1
        )
    return False


def codec_ids(metadata: dict[str, Any]) -> list[str]:
    """Ids of an array's filters (in order), then of its compressor."""
    codecs = [*(metadata.get("filters") or []), metadata.get("compressor")]
    return [str(codec.get("id")) for codec in codecs if isinstance(codec, dict)]


def read_array(path: Path, allow_pickle: bool = False) -> np.ndarray:
    """The whole content of a v2 array.

    Numeric, structured and string arrays are read by zarr (strings come back as fixed-width
    unicode). Object arrays with a JSON codec, and with ``allow_pickle=True`` those with a pickle
    codec, are decoded here; they must be stored in one chunk, as SpikeInterface writes them.

    Parameters
    ----------
    path : Path
        Folder of the array.
    allow_pickle : bool, default: False
        Decode pickled arrays (only for stores you trust: unpickling can execute code).

    Returns
    -------
    np.ndarray

    Raises
    ------
    ValueError
        If the array is pickled and ``allow_pickle`` is False, uses an object codec that is not
        supported, or cannot be read; the message names the array.
    """
    metadata = read_array_metadata(path)
    ids = codec_ids(metadata)
    pickled = sorted(_PICKLE_CODECS.intersection(ids))
    if pickled and not allow_pickle:
        raise ValueError(
            f"{path}: array is stored with the {', '.join(pickled)} codec; it is not read because "
            "unpickling can execute arbitrary code (load with allow_pickle=True only if you trust "
            "this store)"
        )
    if holds_objects(metadata["dtype"]):
        object_codec = ids[0] if ids else None
        if metadata["dtype"] != "|O" or object_codec not in (
            _DECODED_OBJECT_CODECS | _ZARR_OBJECT_CODECS | _PICKLE_CODECS
        ):
            raise ValueError(
                f"{path}: object array (dtype {metadata['dtype']!r}, codecs {ids}) is not "
                f"supported; readable object codecs: "
                f"{sorted(_DECODED_OBJECT_CODECS | _ZARR_OBJECT_CODECS | _PICKLE_CODECS)}"
            )
        if object_codec not in _ZARR_OBJECT_CODECS:
            return _decode_single_chunk(path, metadata)
    try:
        import zarr

        values = np.asarray(zarr.open_array(str(path), mode="r", zarr_format=2)[...])
    except (ValueError, TypeError, KeyError, OSError, RuntimeError) as error:
        raise ValueError(f"{path}: cannot read the array ({error})") from None
    if values.dtype.kind == "T":  # numpy 2 variable-width strings: fixed width, like zarr 2
        return np.array(values.tolist(), dtype=str).reshape(values.shape)
    return values


def write_json_array(
    group: Path, name: str, values: Sequence[Any], attributes: dict[str, Any] | None = None
) -> None:
    """Write a 1-D ``"|O"`` array of JSON values into the v2 group at ``group``, as zarr 2 does.

    The files are those of zarr 2's ``group.create_dataset(name, data=values,
    object_codec=numcodecs.JSON())`` (how SpikeInterface 0.100 stores an extension's dict): a
    ``.zarray`` with the ``json2`` codec as filter and zarr 2's default compressor (Blosc lz4), and
    the whole array in chunk ``0``; ``.zattrs`` when ``attributes`` are given.

    Parameters
    ----------
    group : Path
        Folder of an existing v2 group.
    name : str
        Array name; ``group / name`` must not exist.
    values : sequence
        At least one JSON-serializable value (NaN and infinities allowed, as in zarr 2).
    attributes : dict | None
        JSON-serializable attributes of the array.

    Raises
    ------
    ValueError
        If ``values`` is empty.
    FileExistsError
        If ``group / name`` exists.
    """
    if len(values) == 0:
        raise ValueError(f"{group / name}: a JSON object array needs at least one value")
    folder = group / name
    import numcodecs

    folder.mkdir()
    object_codec = numcodecs.JSON()
    compressor = numcodecs.get_codec(dict(_ZARR2_DEFAULT_COMPRESSOR))
    metadata = {
        "chunks": [len(values)],
        "compressor": compressor.get_config(),
        "dtype": "|O",
        "fill_value": 0,
        "filters": [object_codec.get_config()],
        "order": "C",
        "shape": [len(values)],
        "zarr_format": 2,
    }
    chunk = np.empty(len(values), dtype=object)
    for index, value in enumerate(values):  # element-wise: a list value stays one element
        chunk[index] = value
    (folder / "0").write_bytes(compressor.encode(object_codec.encode(chunk)))
    (folder / ".zarray").write_bytes(_zarr2_json(metadata))
    if attributes is not None:
        (folder / ".zattrs").write_bytes(_zarr2_json(attributes))


def _zarr2_json(value: Any) -> bytes:
    """JSON as zarr 2 writes its metadata files."""
    return json.dumps(
        value, indent=4, sort_keys=True, ensure_ascii=True, separators=(",", ": ")
    ).encode("ascii")


def _decode_single_chunk(path: Path, metadata: dict[str, Any]) -> np.ndarray:
    """Decode an object array stored in one chunk: compressor, then filters in reverse."""
    shape, chunks = tuple(metadata["shape"]), tuple(metadata["chunks"])
    num_chunks = math.prod(math.ceil(s / c) if c else 0 for s, c in zip(shape, chunks))
    if shape and num_chunks != 1:
        raise ValueError(
            f"{path}: object array of shape {shape} is stored in {num_chunks} chunks of {chunks}; "
            "only object arrays in a single chunk are read"
        )
    separator = metadata.get("dimension_separator") or "."
    chunk_file = path / (separator.join("0" * len(shape)) or "0")
    if not chunk_file.is_file():
        raise ValueError(f"{chunk_file}: missing chunk of the object array")
    try:
        data: Any = chunk_file.read_bytes()
        if metadata.get("compressor") is not None:
            data = _decode(metadata["compressor"], data)
        for codec in reversed(metadata.get("filters") or []):
            data = _decode(codec, data)
        values = np.asarray(data, dtype=object).reshape(chunks, order=metadata.get("order", "C"))
    except Exception as error:  # any codec failure on a damaged chunk: report which one
        raise ValueError(f"{chunk_file}: cannot decode the object array ({error!r})") from None
    if not shape:  # indexing a 0-d array with () would return its object, not the array
        return values
    return values[tuple(slice(0, size) for size in shape)]


def _decode(codec: dict[str, Any], data: Any) -> Any:
    if codec["id"] in _PICKLE_CODECS:
        # what numcodecs' Pickle codec does, without its process-wide opt-in switch: the caller
        # opted in for this store with allow_pickle=True
        return pickle.loads(bytes(data))
    import numcodecs

    return numcodecs.get_codec(dict(codec)).decode(data)


def _is_size(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_codec(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("id"), str)
