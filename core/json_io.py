"""JSON reading and writing for extractor dictionaries (FORMATS.md §1.2)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import numpy as np


class ExtractorJSONEncoder(json.JSONEncoder):
    """Encode numpy scalars/arrays, dtypes, paths and datetimes the way SpikeInterface does."""

    def default(self, obj: Any) -> Any:
        if isinstance(obj, np.dtype):
            return obj.name if obj.names is None else obj.descr
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
