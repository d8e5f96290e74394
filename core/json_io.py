"""JSON reading and writing for extractor dictionaries (FORMATS.md §1.2)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import numpy as np


class ExtractorJSONEncoder(json.JSONEncoder):
    """Encode numpy scalars/arrays/dtypes, extractors, paths and datetimes as SpikeInterface does.

    As SpikeInterface's ``SIJsonEncoder`` (an alias of this class), numpy scalars are also
    accepted as dictionary keys, and objects with ``to_dict`` (extractors, sparsities) are
    written as their dictionaries.
    """

    def default(self, obj: Any) -> Any:
        if isinstance(obj, np.dtype):
            return obj.name if obj.names is None else obj.descr
        if isinstance(obj, type) and issubclass(obj, np.generic):
            return np.dtype(obj).name
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        if isinstance(obj, Path):
            return str(obj)
        if isinstance(obj, datetime.datetime | datetime.date):
            return obj.isoformat()
        if hasattr(obj, "to_dict") and callable(obj.to_dict):
            return obj.to_dict()
        return super().default(obj)

    def iterencode(self, o: Any, _one_shot: bool = False):
        # keys are never passed to default(): numpy scalar keys are converted beforehand
        return super().iterencode(_plain_keys(o), _one_shot)


#: SpikeInterface's name (``spikeinterface.core.core_tools.SIJsonEncoder``).
SIJsonEncoder = ExtractorJSONEncoder


def _plain_keys(value: Any) -> Any:
    """``value`` with numpy scalars (keys and values) made Python scalars, recursively."""
    if isinstance(value, dict):
        return {_plain_keys(k): _plain_keys(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain_keys(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if not isinstance(value, type) and hasattr(value, "to_dict") and callable(value.to_dict):
        return _plain_keys(value.to_dict())
    return value


def check_json(dictionary: dict) -> dict:
    """``dictionary`` made JSON-writable: numpy values, dtypes and extractors converted.

    Parameters
    ----------
    dictionary : dict
        Any dictionary (extractor objects, numpy arrays and scalars allowed inside).

    Returns
    -------
    dict
        A new dictionary of plain JSON types (a round trip through `SIJsonEncoder`).
    """
    return json.loads(json.dumps(dictionary, indent=4, cls=ExtractorJSONEncoder))


def to_jsonable(obj: Any) -> Any:
    """Return ``obj`` converted to plain JSON types (round trip through the encoder)."""
    return json.loads(json.dumps(obj, cls=ExtractorJSONEncoder))


def write_json(path: str | Path, obj: Any, indent: int | None = 4) -> None:
    """Write ``obj`` as JSON to ``path`` (NaN/Infinity written as bare tokens, like Python)."""
    Path(path).write_text(json.dumps(obj, cls=ExtractorJSONEncoder, indent=indent), encoding="utf8")


def read_json(path: str | Path) -> Any:
    """Read a JSON file leniently (accepts NaN/Infinity) with an error that names the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf8")
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: file not found") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
